from __future__ import annotations

import csv as csv_module
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grading.answer_check import answer_check
from grading.calibration import Graded, agreement
from grading.llm_queue import llm_configured
from questionbank.models import Kind, Question
from questionbank.selectors import CONTENT_RELATIONS, question_snapshot


class Command(BaseCommand):
    help = (
        "Grade answers to bank or team questions through the production path (keyword "
        "grader, plus the LLM when configured). Input rows: slug,answer[,human_score]."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, type=Path, help="input CSV")
        parser.add_argument("--out", required=True, type=Path, help="output CSV")
        parser.add_argument("--json", action="store_true", help="end with a JSON summary line")

    def handle(self, *args, csv: Path, out: Path, **options):
        rows = _read_rows(csv)
        slugs = {row["slug"] for row in rows}
        questions = {
            q.slug: question_snapshot(q)
            for q in Question.objects.filter(slug__in=slugs, kind=Kind.FREE_TEXT)
            .select_related("topic")
            .prefetch_related(*CONTENT_RELATIONS)
        }
        unknown = sorted(slugs - questions.keys())
        if unknown:
            raise CommandError(f"No free-text question with slug(s): {', '.join(unknown)}")
        with_llm = llm_configured()
        graded: list[Graded] = []
        fields = ["slug", "answer", "human_score", "score", "confidence", "flags", "needs_review"]
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = _csv_writer(handle, fields)
            for row in rows:
                checked = answer_check(
                    snapshot=questions[row["slug"]], text=row["answer"], with_llm=with_llm
                )
                writer.writerow(
                    {
                        **row,
                        "score": checked.score,
                        "confidence": checked.confidence,
                        "flags": " ".join(checked.flags),
                        "needs_review": checked.needs_review,
                    }
                )
                if row["human_score"] != "":
                    graded.append(Graded(row["slug"], float(row["human_score"]), checked.score))
        self.stdout.write(f"Graded {len(rows)} answer(s) into {out}.")
        if graded:
            summary = agreement(graded)
            self.stdout.write(
                f"Against {summary.n} human score(s): Pearson {summary.pearson:.3f}, "
                f"Spearman {summary.spearman:.3f}, MAE {summary.mae:.1f}, "
                f"strong graded < 60: {summary.strong_low_share:.1%}, "
                f"wrong graded > 50: {summary.wrong_high_share:.1%}"
            )
            if options["json"]:
                self.stdout.write(json.dumps(summary.as_dict(), sort_keys=True))


def _csv_writer(handle, fields):
    writer = csv_module.DictWriter(handle, fieldnames=fields)
    writer.writeheader()
    return writer


def _read_rows(path: Path) -> list[dict]:
    """Rows of slug, answer and an optional human score, with a clear error per bad row."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            records = list(csv_module.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc
    if records and [c.strip().lower() for c in records[0][:2]] == ["slug", "answer"]:
        records = records[1:]
    rows = []
    for number, record in enumerate(records, start=1):
        if not record or not any(cell.strip() for cell in record):
            continue
        if len(record) not in (2, 3):
            raise CommandError(f"Row {number}: expected slug,answer[,human_score]")
        human = record[2].strip() if len(record) == 3 else ""
        if human:
            try:
                value = float(human)
            except ValueError:
                raise CommandError(f"Row {number}: human_score {human!r} is not a number") from None
            if not 0 <= value <= 100:
                raise CommandError(f"Row {number}: human_score must be 0 to 100")
        rows.append({"slug": record[0].strip(), "answer": record[1], "human_score": human})
    if not rows:
        raise CommandError(f"{path} has no answers")
    return rows
