"""Writes to the question bank: import, export, publish/retire."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from questionbank.models import Choice, Question, RubricCriterion, Status, Tag, Topic
from questionbank.selectors import question_record
from questionbank.yaml_format import BankFormatError, TopicRecord, dump_topic, parse_text

BUNDLED_BANK_DIR = Path(settings.BASE_DIR) / "questionbank" / "bank"


@dataclass(frozen=True)
class ImportReport:
    files: int
    created: int
    updated: int
    unchanged: int


def _bank_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        elif path.is_file():
            files.append(path)
        else:
            raise BankFormatError([f"{path}: no such file or folder"])
    if not files:
        raise BankFormatError([f"no .yaml files found in {', '.join(map(str, paths))}"])
    return files


def bank_parse(paths: list[Path]) -> list[TopicRecord]:
    """Parse every file; raise BankFormatError listing all problems, or return records."""
    records: list[TopicRecord] = []
    problems: list[str] = []
    slugs: dict[str, str] = {}
    for path in _bank_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: cannot be read: {exc}")
            continue
        record, errors = parse_text(text, path=path)
        problems.extend(errors)
        if record is None:
            continue
        for question in record.questions:
            slug = question["slug"]
            if slug in slugs:
                problems.append(
                    f"{path.name}: question {slug}: slug: duplicated (also in {slugs[slug]})"
                )
            else:
                slugs[slug] = path.name
        records.append(record)
    if problems:
        raise BankFormatError(sorted(set(problems), key=problems.index))
    return records


def bank_import(*, paths: list[Path] | None = None) -> ImportReport:
    """Import bank files atomically; idempotent by slug (updates, never duplicates)."""
    paths = paths or [BUNDLED_BANK_DIR]
    records = bank_parse(paths)
    created = updated = unchanged = 0
    with transaction.atomic():
        for record in records:
            topic, _ = Topic.objects.update_or_create(
                slug=record.slug, defaults={"name": record.name, "description": record.description}
            )
            for data in record.questions:
                outcome = _question_upsert(topic=topic, data=data)
                created += outcome == "created"
                updated += outcome == "updated"
                unchanged += outcome == "unchanged"
    return ImportReport(files=len(records), created=created, updated=updated, unchanged=unchanged)


def _question_upsert(*, topic: Topic, data: dict) -> str:
    question = (
        Question.objects.filter(slug=data["slug"])
        .select_related("topic")
        .prefetch_related("tags", "criteria", "choices")
        .first()
    )
    if question is not None:
        if question.team_id is not None:
            raise BankFormatError(
                [f"question {data['slug']}: slug: already used by a team's private question"]
            )
        if question.topic_id == topic.id and question_record(question) == data:
            return "unchanged"
    outcome = "created" if question is None else "updated"
    question = question or Question(slug=data["slug"])
    for name in ("title", "prompt", "level", "kind", "status", "model_answer"):
        setattr(question, name, data[name])
    question.suggested_minutes = data["suggested_minutes"]
    question.topic = topic
    question.save()
    question.tags.set([Tag.objects.get_or_create(name=name)[0] for name in data["tags"]])
    criteria_replace(question=question, criteria=data["criteria"])
    choices_replace(question=question, choices=data["choices"])
    return outcome


def criteria_replace(*, question: Question, criteria: list[dict]) -> None:
    question.criteria.all().delete()
    RubricCriterion.objects.bulk_create(
        RubricCriterion(
            question=question,
            order=i,
            label=c["label"],
            weight=c["weight"],
            required=c["required"],
            keywords=c["keywords"],
        )
        for i, c in enumerate(criteria)
    )


def choices_replace(*, question: Question, choices: list[dict]) -> None:
    """``choices`` items have ``text``, ``is_correct`` and ``explanation``, in order."""
    question.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(question=question, order=i, **choice) for i, choice in enumerate(choices)
    )


def bank_export(*, out_dir: Path) -> list[Path]:
    """Write the shared bank (not teams' private questions) as one YAML file per topic."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    questions = (
        Question.objects.in_bank()
        .select_related("topic")
        .prefetch_related("tags", "criteria", "choices")
        .order_by("topic__slug", "id")
    )
    by_topic: dict[int, TopicRecord] = {}
    for question in questions:
        topic = question.topic
        record = by_topic.setdefault(
            topic.id, TopicRecord(slug=topic.slug, name=topic.name, description=topic.description)
        )
        record.questions.append(question_record(question))
    for record in by_topic.values():
        path = out_dir / f"{record.slug}.yaml"
        path.write_text(dump_topic(record), encoding="utf-8")
        written.append(path)
    return written


def questions_set_status(*, question_ids: list[int], status: str) -> int:
    """Bulk publish / retire. Returns how many changed."""
    if status not in Status.values:
        raise ValueError(f"unknown status {status!r}")
    return Question.objects.filter(id__in=question_ids).exclude(status=status).update(status=status)
