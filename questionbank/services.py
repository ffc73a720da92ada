"""Writes to the question bank: import, export, publish/retire."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from questionbank import grader
from questionbank.models import (
    Choice,
    Misconception,
    Question,
    RubricCriterion,
    SampleAnswer,
    Status,
    Tag,
    Topic,
)
from questionbank.selectors import CONTENT_RELATIONS, question_fingerprint, question_record
from questionbank.validation import question_problems
from questionbank.yaml_format import BankFormatError, TopicRecord, dump_topic, parse_text

BUNDLED_BANK_DIR = Path(settings.BASE_DIR) / "questionbank" / "bank"


@dataclass(frozen=True)
class ImportReport:
    files: int
    created: int
    updated: int
    unchanged: int
    # Slugs of questions edited here since their last import, left as they are.
    kept: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"Imported {self.files} file(s): {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, {len(self.kept)} kept."
        )

    def conflicts(self) -> list[str]:
        return [f"kept your edit of {slug}; --overwrite to replace it" for slug in self.kept]


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


def bank_import(*, paths: list[Path] | None = None, overwrite: bool = False) -> ImportReport:
    """Import bank files atomically; idempotent by slug (updates, never duplicates).

    A question edited here since it was last imported (its content no longer matches
    what the files last set) is kept as it is and named in ``ImportReport.kept``,
    unless ``overwrite`` is true.
    """
    paths = paths or [BUNDLED_BANK_DIR]
    records = bank_parse(paths)
    outcomes: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "kept": []}
    with transaction.atomic():
        for record in records:
            topic, _ = Topic.objects.update_or_create(
                slug=record.slug, defaults={"name": record.name, "description": record.description}
            )
            for data in record.questions:
                outcome = _question_upsert(topic=topic, data=data, overwrite=overwrite)
                outcomes[outcome].append(data["slug"])
    return ImportReport(
        files=len(records),
        created=len(outcomes["created"]),
        updated=len(outcomes["updated"]),
        unchanged=len(outcomes["unchanged"]),
        kept=tuple(outcomes["kept"]),
    )


def _question_upsert(*, topic: Topic, data: dict, overwrite: bool) -> str:
    incoming = question_fingerprint(data, topic_slug=topic.slug)
    question = (
        Question.objects.filter(slug=data["slug"])
        .select_related("topic")
        .prefetch_related(*CONTENT_RELATIONS, "samples")
        .first()
    )
    if question is not None:
        if question.team_id is not None:
            raise BankFormatError(
                [f"question {data['slug']}: slug: already used by a team's private question"]
            )
        current = question_fingerprint(question_record(question), topic_slug=question.topic.slug)
        if current == incoming:
            if question.imported_fingerprint != incoming:
                Question.objects.filter(pk=question.pk).update(imported_fingerprint=incoming)
            return "unchanged"
        if current != question.imported_fingerprint and not overwrite:
            return "kept"
    outcome = "created" if question is None else "updated"
    question = question or Question(slug=data["slug"])
    for name in ("title", "prompt", "level", "kind", "status", "model_answer"):
        setattr(question, name, data[name])
    question.suggested_minutes = data["suggested_minutes"]
    question.topic = topic
    question.imported_fingerprint = incoming
    question.save()
    question.tags.set([Tag.objects.get_or_create(name=name)[0] for name in data["tags"]])
    criteria_replace(question=question, criteria=data["criteria"])
    choices_replace(question=question, choices=data["choices"])
    misconceptions_replace(question=question, misconceptions=data["misconceptions"])
    samples_replace(question=question, samples=data["samples"])
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


def misconceptions_replace(*, question: Question, misconceptions: list[dict]) -> None:
    """``misconceptions`` items have ``claim``, ``phrasings``, ``explanation``, ``penalty``
    and ``cap``, in order."""
    question.misconceptions.all().delete()
    Misconception.objects.bulk_create(
        Misconception(question=question, order=i, **item) for i, item in enumerate(misconceptions)
    )


def samples_replace(*, question: Question, samples: list[dict]) -> None:
    """``samples`` items have ``kind``, ``text``, ``score`` and ``reason``, in order."""
    question.samples.all().delete()
    SampleAnswer.objects.bulk_create(
        SampleAnswer(question=question, order=i, **item) for i, item in enumerate(samples)
    )


def bank_export(*, out_dir: Path) -> list[Path]:
    """Write the shared bank (not teams' private questions) as one YAML file per topic."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    questions = (
        Question.objects.in_bank()
        .select_related("topic")
        .prefetch_related(*CONTENT_RELATIONS, "samples")
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


def question_publish_problem(question: Question) -> str:
    """Why ``question`` may not be published, or "": its content must be complete, and a
    free-text question calibrated (the grader ranks its samples in order, each within 15
    points of its human score). Expects content relations and samples loaded."""
    problems = question_problems(
        kind=question.kind,
        status=Status.PUBLISHED,
        model_answer=question.model_answer,
        criteria=[{"weight": c.weight, "keywords": c.keywords} for c in question.criteria.all()],
        choices=[{"is_correct": c.is_correct} for c in question.choices.all()],
    )
    if problems:
        return str(problems[0])
    if not question.is_free_text:
        return ""
    status, _ = grader.samples_check(question)
    if status.calibrated:
        return ""
    return (
        "it is not calibrated: the grader must rank its sample answers in order, each within "
        f"15 points of its human score ({'; '.join(status.problems[:3])})"
    )


def questions_set_status(*, question_ids: list[int], status: str) -> int:
    """Bulk publish / retire. Returns how many changed."""
    if status not in Status.values:
        raise ValueError(f"unknown status {status!r}")
    return Question.objects.filter(id__in=question_ids).exclude(status=status).update(status=status)
