"""The bank's YAML format: parse files into plain records, and records back into YAML.

Parsing checks shape and types and reports the file, question and field of every
problem; it never touches the database (see ``services.bank_import``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from questionbank.models import (
    Kind,
    Topic,
)
from questionbank.schema import question_from_yaml
from questionbank.validation import question_problems


class BankFormatError(Exception):
    """One or more problems in bank files; ``problems`` lists them all."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class TopicRecord:
    slug: str
    name: str
    description: str
    questions: list[dict[str, Any]] = field(default_factory=list)


def _where(path: Path, slug: str | None, index: int) -> str:
    return f"{path.name}: question {slug or f'#{index}'}"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class _NoAliasLoader(yaml.SafeLoader):
    """Bank files never need anchors and aliases; refusing them stops "billion laughs"
    files that expand to gigabytes once read."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in bank files", event.start_mark
            )
        return super().compose_node(parent, index)


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _length_problems(record: TopicRecord, path: Path) -> list[str]:
    """The topic's values longer than their columns (questions' are checked by the schema)."""
    checks = [
        (f"{path.name}: topic.slug", record.slug, _max_length(Topic, "slug")),
        (f"{path.name}: topic.name", record.name, _max_length(Topic, "name")),
    ]
    return [
        f"{where}: at most {limit} characters (got {len(value):,})"
        for where, value, limit in checks
        if limit and len(value) > limit
    ]


def parse_text(text: str, *, path: Path) -> tuple[TopicRecord | None, list[str]]:
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader without aliases
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return None, [f"{path.name}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]
    if not isinstance(data, dict) or not isinstance(data.get("topic"), dict):
        return None, [f"{path.name}: expected a mapping with 'topic' and 'questions'"]
    topic = data["topic"]
    problems: list[str] = []
    for key in ("slug", "name"):
        if not _text(topic.get(key)).strip():
            problems.append(f"{path.name}: topic.{key}: is required")
    record = TopicRecord(
        slug=_text(topic.get("slug")).strip(),
        name=_text(topic.get("name")).strip(),
        description=_text(topic.get("description")).strip(),
    )
    questions = data.get("questions") or []
    if not isinstance(questions, list):
        return None, [*problems, f"{path.name}: questions: must be a list"]
    for index, raw in enumerate(questions, start=1):
        parsed, errors = _parse_question(raw, where=_where(path, _slug_of(raw), index))
        problems.extend(errors)
        if parsed:
            record.questions.append(parsed)
    problems.extend(_length_problems(record, path))
    return record, problems


def _slug_of(raw: Any) -> str | None:
    return _text(raw.get("slug")).strip() or None if isinstance(raw, dict) else None


def _parse_question(raw: Any, *, where: str) -> tuple[dict | None, list[str]]:
    question, problems = question_from_yaml(raw)
    if question is None:
        return None, [f"{where}: {problem}" for problem in problems]
    if question["kind"] == Kind.FREE_TEXT and question["choices"]:
        problems.append("choices: only multiple-choice questions have choices")
    problems += map(
        str,
        question_problems(
            kind=question["kind"],
            status=question["status"],
            model_answer=question["model_answer"],
            criteria=question["criteria"],
            choices=question["choices"],
        ),
    )
    return question, [f"{where}: {problem}" for problem in problems]


def dump_topic(record: TopicRecord) -> str:
    """Records -> YAML in the documented layout (block scalars for Markdown)."""
    questions = []
    for q in record.questions:
        item: dict[str, Any] = {
            "slug": q["slug"],
            "title": q["title"],
            "level": q["level"],
            "kind": q["kind"],
            "status": q["status"],
            "suggested_minutes": q["suggested_minutes"],
            "tags": q["tags"],
            "prompt": q["prompt"],
            "model_answer": q["model_answer"],
        }
        if q["criteria"]:
            item["criteria"] = [
                {
                    "label": c["label"],
                    "weight": _plain_number(c["weight"]),
                    "required": c["required"],
                    "keywords": c["keywords"],
                }
                for c in q["criteria"]
            ]
        if q["choices"]:
            item["choices"] = [
                {"text": c["text"], "correct": c["is_correct"], "explanation": c["explanation"]}
                for c in q["choices"]
            ]
        if q.get("misconceptions"):
            item["misconceptions"] = [
                {k: v for k, v in m.items() if v is not None} for m in q["misconceptions"]
            ]
        if q.get("samples"):
            item["samples"] = q["samples"]
        questions.append(item)
    data = {
        "topic": {"slug": record.slug, "name": record.name, "description": record.description},
        "questions": questions,
    }
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=88)


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _BlockDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)
