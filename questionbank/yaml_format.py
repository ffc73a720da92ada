"""The bank's YAML format: parse files into plain records, and records back into YAML.

Parsing checks shape and types and reports the file, question and field of every
problem; it never touches the database (see ``services.bank_import``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import models

from questionbank.models import (
    Choice,
    Kind,
    Level,
    Misconception,
    Question,
    RubricCriterion,
    SampleAnswer,
    SampleKind,
    Status,
    Tag,
    Topic,
)
from questionbank.validation import question_problems

QUESTION_KEYS = {
    "slug", "title", "level", "kind", "status", "suggested_minutes", "tags", "prompt",
    "model_answer", "criteria", "choices", "misconceptions", "samples",
}  # fmt: skip
CRITERION_KEYS = {"label", "weight", "required", "keywords"}
CHOICE_KEYS = {"text", "correct", "explanation"}
MISCONCEPTION_KEYS = {"claim", "phrasings", "explanation", "penalty", "cap"}
SAMPLE_KEYS = {"kind", "text", "score", "reason"}


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
    """Values longer than their database column (PostgreSQL would refuse the whole import)."""
    checks = [
        (f"{path.name}: topic.slug", record.slug, _max_length(Topic, "slug")),
        (f"{path.name}: topic.name", record.name, _max_length(Topic, "name")),
    ]
    for index, question in enumerate(record.questions, start=1):
        where = _where(path, question["slug"], index)
        checks += [
            (f"{where}: slug", question["slug"], _max_length(Question, "slug")),
            (f"{where}: title", question["title"], _max_length(Question, "title")),
        ]
        checks += [(f"{where}: tags", t, _max_length(Tag, "name")) for t in question["tags"]]
        checks += [
            (f"{where}: criteria[{i}].label", c["label"], _max_length(RubricCriterion, "label"))
            for i, c in enumerate(question["criteria"], start=1)
        ]
        checks += [
            (f"{where}: choices[{i}].text", c["text"], _max_length(Choice, "text"))
            for i, c in enumerate(question["choices"], start=1)
        ]
        checks += [
            (f"{where}: misconceptions[{i}].claim", m["claim"], _max_length(Misconception, "claim"))
            for i, m in enumerate(question["misconceptions"], start=1)
        ]
        checks += [
            (f"{where}: samples[{i}].reason", m["reason"], _max_length(SampleAnswer, "reason"))
            for i, m in enumerate(question["samples"], start=1)
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


def _choice_value(
    value: Any, allowed: type[models.TextChoices], where: str, problems: list[str]
) -> Any:
    if value not in allowed.values:
        problems.append(f"{where}: must be one of {', '.join(allowed.values)} (got {value!r})")
    return value


def _parse_question(raw: Any, *, where: str) -> tuple[dict | None, list[str]]:
    if not isinstance(raw, dict):
        return None, [f"{where}: must be a mapping"]
    problems: list[str] = []
    unknown = set(raw) - QUESTION_KEYS
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("slug", "title", "prompt"):
        if not _text(raw.get(key)).strip():
            problems.append(f"{where}: {key}: is required")
    kind = raw.get("kind", Kind.FREE_TEXT)
    status = raw.get("status", Status.DRAFT)
    question = {
        "slug": _text(raw.get("slug")).strip(),
        "title": _text(raw.get("title")).strip(),
        "level": _choice_value(raw.get("level"), Level, f"{where}: level", problems),
        "kind": _choice_value(kind, Kind, f"{where}: kind", problems),
        "status": _choice_value(status, Status, f"{where}: status", problems),
        "prompt": _text(raw.get("prompt")).strip() + "\n",
        "model_answer": _text(raw.get("model_answer")).strip(),
        "tags": [],
        "criteria": [],
        "choices": [],
        "misconceptions": [],
        "samples": [],
    }
    if question["model_answer"]:
        question["model_answer"] += "\n"
    minutes = raw.get("suggested_minutes", 5)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 120:
        problems.append(f"{where}: suggested_minutes: must be a whole number from 1 to 120")
    question["suggested_minutes"] = minutes
    tags = raw.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        problems.append(f"{where}: tags: must be a list of non-empty strings")
    else:
        question["tags"] = sorted({t.strip() for t in tags})
    question["criteria"] = _parse_criteria(raw.get("criteria") or [], where, problems)
    question["choices"] = _parse_choices(raw.get("choices") or [], where, problems)
    question["misconceptions"] = _parse_misconceptions(
        raw.get("misconceptions") or [], where, problems
    )
    question["samples"] = _parse_samples(raw.get("samples") or [], where, problems)
    if kind == Kind.FREE_TEXT and question["choices"]:
        problems.append(f"{where}: choices: only multiple-choice questions have choices")
    problems.extend(
        f"{where}: {problem}"
        for problem in question_problems(
            kind=kind,
            status=status,
            model_answer=question["model_answer"],
            criteria=question["criteria"],
            choices=question["choices"],
        )
    )
    return question, problems


def _parse_criteria(raw: Any, where: str, problems: list[str]) -> list[dict]:
    if not isinstance(raw, list):
        problems.append(f"{where}: criteria: must be a list")
        return []
    criteria = []
    for index, item in enumerate(raw, start=1):
        at = f"{where}: criteria[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{at}: must be a mapping")
            continue
        if set(item) - CRITERION_KEYS:
            problems.append(
                f"{at}: unknown field(s) {', '.join(sorted(set(item) - CRITERION_KEYS))}"
            )
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            problems.append(f"{at}.weight: must be a number (got {weight!r})")
            weight = None
        keywords = item.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            problems.append(f"{at}.keywords: must be a list of strings")
            keywords = []
        if not _text(item.get("label")).strip():
            problems.append(f"{at}.label: is required")
        criteria.append(
            {
                "label": _text(item.get("label")).strip(),
                "weight": float(weight) if weight is not None else None,
                "required": bool(item.get("required", False)),
                "keywords": [k.strip() for k in keywords if k.strip()],
            }
        )
    return criteria


def _parse_choices(raw: Any, where: str, problems: list[str]) -> list[dict]:
    if not isinstance(raw, list):
        problems.append(f"{where}: choices: must be a list")
        return []
    choices = []
    for index, item in enumerate(raw, start=1):
        at = f"{where}: choices[{index}]"
        if not isinstance(item, dict) or not _text(item.get("text")).strip():
            problems.append(f"{at}: needs a 'text'")
            continue
        if set(item) - CHOICE_KEYS:
            problems.append(f"{at}: unknown field(s) {', '.join(sorted(set(item) - CHOICE_KEYS))}")
        choices.append(
            {
                "text": _text(item["text"]).strip(),
                "is_correct": bool(item.get("correct", False)),
                "explanation": _text(item.get("explanation")).strip(),
            }
        )
    return choices


def _items(raw: Any, name: str, keys: set[str], where: str, problems: list[str]):
    """Yield (location, mapping) for each well-shaped item of a list field."""
    if not isinstance(raw, list):
        problems.append(f"{where}: {name}: must be a list")
        return
    for index, item in enumerate(raw, start=1):
        at = f"{where}: {name}[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{at}: must be a mapping")
            continue
        if set(item) - keys:
            problems.append(f"{at}: unknown field(s) {', '.join(sorted(set(item) - keys))}")
        yield at, item


def _bounded_number(value: Any, at: str, low: int, high: int, problems: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{at}: must be a whole number from {low} to {high} (got {value!r})")
        return None
    return value


def _parse_misconceptions(raw: Any, where: str, problems: list[str]) -> list[dict]:
    """Wrong claims: matching one lowers the score (``penalty`` points off, or ``cap``)."""
    misconceptions = []
    for at, item in _items(raw, "misconceptions", MISCONCEPTION_KEYS, where, problems):
        phrasings = item.get("phrasings") or []
        if not isinstance(phrasings, list) or not all(isinstance(p, str) for p in phrasings):
            problems.append(f"{at}.phrasings: must be a list of strings")
            phrasings = []
        phrasings = [p.strip() for p in phrasings if p.strip()]
        if not phrasings:
            problems.append(f"{at}.phrasings: needs at least one phrasing")
        for key in ("claim", "explanation"):
            if not _text(item.get(key)).strip():
                problems.append(f"{at}.{key}: is required")
        penalty = _bounded_number(item.get("penalty"), f"{at}.penalty", 1, 100, problems)
        cap = _bounded_number(item.get("cap"), f"{at}.cap", 0, 100, problems)
        if penalty is None and cap is None and "penalty" not in item and "cap" not in item:
            problems.append(f"{at}: needs a penalty (points off) or a cap (highest score)")
        misconceptions.append(
            {
                "claim": _text(item.get("claim")).strip(),
                "phrasings": phrasings,
                "explanation": _text(item.get("explanation")).strip(),
                "penalty": penalty,
                "cap": cap,
            }
        )
    return misconceptions


def _parse_samples(raw: Any, where: str, problems: list[str]) -> list[dict]:
    """Sample answers with the score a fair interviewer gave: the calibration set."""
    samples = []
    for at, item in _items(raw, "samples", SAMPLE_KEYS, where, problems):
        kind = item.get("kind", "other")
        kind = _choice_value(kind, SampleKind, f"{at}.kind", problems)
        if not _text(item.get("text")).strip():
            problems.append(f"{at}.text: is required")
        score = _bounded_number(item.get("score"), f"{at}.score", 0, 100, problems)
        if score is None and "score" not in item:
            problems.append(f"{at}.score: is required (0 to 100)")
        samples.append(
            {
                "kind": kind,
                "text": _text(item.get("text")).strip(),
                "score": score,
                "reason": _text(item.get("reason")).strip(),
            }
        )
    return samples


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
