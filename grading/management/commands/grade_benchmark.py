"""Grade a CSV of reference-scored answers with the keyword grader and report agreement.

    python manage.py grade_benchmark --csv FILE [--json] [--out FILE]

The CSV needs the columns ``question``, ``desired_answer`` and ``student_answer``, and
optionally ``score_avg`` (a human score 0-5); other columns pass through to ``--out``.
Each distinct (question, desired answer) gets a rubric from ``suggest_rubric``; every
answer is graded with ``grade``. Rows whose ``score_avg`` is empty are graded and
written but left out of the metrics.
"""

from __future__ import annotations

import csv
import json
import math
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grading.autorubric import suggest_rubric
from grading.metrics import pearson, quadratic_weighted_kappa, rmse, round_half_up, spearman
from grading.rubric import grade

REQUIRED_COLUMNS = ("question", "desired_answer", "student_answer")
HUMAN_COLUMN = "score_avg"
METRIC_KEYS = ("pearson", "spearman", "qwk", "rmse", "n", "answers_per_second")


def to_five(score: float) -> float:
    """The grader's 0-100 score on the human 0-5 scale (linear)."""
    return score / 20.0


def benchmark_rows(rows: list[dict[str, str]]) -> tuple[list[float], dict[str, float | int]]:
    """Grade every row; return the 0-100 scores (in row order) and the metrics.

    Metrics compare ``score/20`` with ``score_avg`` over rows that have one: Pearson,
    Spearman, quadratic weighted kappa on both rounded to integers 0-5 (halves round
    up), RMSE; ``answers_per_second`` covers building the rubrics and grading.
    """
    rubrics: dict[tuple[str, str], list] = {}
    scores: list[float] = []
    start = time.perf_counter()
    for row in rows:
        key = (row["question"], row["desired_answer"])
        criteria = rubrics.get(key)
        if criteria is None:
            criteria = rubrics[key] = suggest_rubric(*key)
        scores.append(grade(key[0], criteria, row["student_answer"]).score)
    elapsed = time.perf_counter() - start

    predicted: list[float] = []
    human: list[float] = []
    for line, (row, score) in enumerate(zip(rows, scores), start=2):
        raw = (row.get(HUMAN_COLUMN) or "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError as exc:
            raise CommandError(f"line {line}: {HUMAN_COLUMN} {raw!r} is not a number") from exc
        predicted.append(to_five(score))
        human.append(value)

    n = len(human)
    metrics: dict[str, float | int] = {
        "pearson": pearson(predicted, human) if n >= 2 else math.nan,
        "spearman": spearman(predicted, human) if n >= 2 else math.nan,
        "qwk": quadratic_weighted_kappa(
            [round_half_up(x) for x in predicted], [round_half_up(x) for x in human], 0, 5
        )
        if n
        else math.nan,
        "rmse": rmse(predicted, human) if n else math.nan,
        "n": n,
        "answers_per_second": len(rows) / elapsed if elapsed > 0 else math.nan,
    }
    return scores, metrics


def read_rows(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    if not path.is_file():
        raise CommandError(f"CSV file not found: {path}")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise CommandError(
                f"{path}: missing column(s) {', '.join(missing)}; "
                f"need {', '.join(REQUIRED_COLUMNS)} (and optionally {HUMAN_COLUMN})"
            )
        rows = [{k: (v if v is not None else "") for k, v in row.items()} for row in reader]
    return rows, columns


def _json_number(value: float | int) -> float | int | None:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value


class Command(BaseCommand):
    help = "Grade a CSV of scored answers with auto-rubrics and report agreement with humans."

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, help="input CSV file")
        parser.add_argument(
            "--json", action="store_true", help="print the metrics as one JSON object, last"
        )
        parser.add_argument("--out", help="write every input row plus a 'score' column (0-100)")

    def handle(self, *args, **options):
        rows, columns = read_rows(Path(options["csv"]))
        scores, metrics = benchmark_rows(rows)

        if options.get("out"):
            out_columns = [*columns, "score"] if "score" not in columns else columns
            try:
                with Path(options["out"]).open("w", newline="", encoding="utf-8") as fh:
                    writer = csv.DictWriter(fh, fieldnames=out_columns, extrasaction="ignore")
                    writer.writeheader()
                    for row, score in zip(rows, scores):
                        writer.writerow({**row, "score": f"{score:.1f}"})
            except OSError as exc:
                raise CommandError(f"cannot write {options['out']}: {exc}") from exc

        def fmt(key: str) -> str:
            value = metrics[key]
            return "n/a" if isinstance(value, float) and math.isnan(value) else f"{value:.3f}"

        self.stdout.write(f"answers graded: {len(rows)} (with a human score: {metrics['n']})")
        self.stdout.write(f"Pearson r:    {fmt('pearson')}")
        self.stdout.write(f"Spearman rho: {fmt('spearman')}")
        self.stdout.write(f"QWK (0-5):    {fmt('qwk')}")
        self.stdout.write(f"RMSE (0-5):   {fmt('rmse')}")
        self.stdout.write(f"answers/s:    {metrics['answers_per_second']:.0f}")
        if options.get("json"):
            self.stdout.write(json.dumps({k: _json_number(metrics[k]) for k in METRIC_KEYS}))
