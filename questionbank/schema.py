"""The shape of one question in a bank file, as pydantic models.

``question_from_yaml`` checks a question mapping against it and returns the plain record
the importer stores, or problems that name the field and say what is wrong in words a
curator acts on ("criteria[1].weight: must be a number (got 'heavy')"). Rules that span
fields (enough criteria to publish, exactly one correct choice) live in
``validation.question_problems``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator
from pydantic_core import ErrorDetails

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
)


def _limit(model, name: str) -> int:
    return model._meta.get_field(name).max_length


Required = Annotated[str, Field(min_length=1)]
Number = Annotated[float, Strict()]  # a YAML number; never a string or a boolean
Flag = Annotated[bool, Strict()]
Minutes = Annotated[int, Strict(), Field(ge=1, le=120)]
Penalty = Annotated[int, Strict(), Field(ge=1, le=100)]
Percent = Annotated[int, Strict(), Field(ge=0, le=100)]
Slug = Annotated[str, Field(min_length=1, max_length=_limit(Question, "slug"))]
Title = Annotated[str, Field(min_length=1, max_length=_limit(Question, "title"))]
TagName = Annotated[str, Field(min_length=1, max_length=_limit(Tag, "name"))]
Label = Annotated[str, Field(min_length=1, max_length=_limit(RubricCriterion, "label"))]
ChoiceText = Annotated[str, Field(min_length=1, max_length=_limit(Choice, "text"))]
Claim = Annotated[str, Field(min_length=1, max_length=_limit(Misconception, "claim"))]
Reason = Annotated[str, Field(max_length=_limit(SampleAnswer, "reason"))]


class _Shape(BaseModel):
    # Unknown keys are typos; text is trimmed; a YAML number where text is expected
    # ("title: 404") is read as text.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)


class CriterionIn(_Shape):
    label: Label
    weight: Number = 1.0
    required: Flag = False
    keywords: list[str] = []


class ChoiceIn(_Shape):
    text: ChoiceText
    correct: Flag = False
    explanation: str = ""


class MisconceptionIn(_Shape):
    claim: Claim
    phrasings: list[str]
    explanation: Required
    penalty: Penalty | None = None
    cap: Percent | None = None

    @model_validator(mode="after")
    def _lowers_the_score(self) -> MisconceptionIn:
        self.phrasings = [p.strip() for p in self.phrasings if p.strip()]
        if not self.phrasings:
            raise ValueError("phrasings: needs at least one phrasing")
        if self.penalty is None and self.cap is None:
            raise ValueError("needs a penalty (points off) or a cap (highest score)")
        return self


class SampleIn(_Shape):
    kind: SampleKind = SampleKind.OTHER
    text: Required
    score: Percent
    reason: Reason = ""


class QuestionIn(_Shape):
    slug: Slug
    title: Title
    level: Level
    kind: Kind = Kind.FREE_TEXT
    status: Status = Status.DRAFT
    suggested_minutes: Minutes = 5
    tags: list[TagName] = []
    prompt: Required
    model_answer: str = ""
    criteria: list[CriterionIn] = []
    choices: list[ChoiceIn] = []
    misconceptions: list[MisconceptionIn] = []
    samples: list[SampleIn] = []


def question_from_yaml(raw: Any) -> tuple[dict | None, list[str]]:
    """The question as a plain record, or None and every problem found in it."""
    if not isinstance(raw, dict):
        return None, ["must be a mapping"]
    try:
        question = QuestionIn.model_validate(raw)
    except ValidationError as exc:
        return None, [_problem(error) for error in exc.errors()]
    record = question.model_dump(mode="json")
    record["prompt"] += "\n"
    if record["model_answer"]:
        record["model_answer"] += "\n"
    record["tags"] = sorted(set(record["tags"]))
    for criterion in record["criteria"]:
        criterion["keywords"] = [k.strip() for k in criterion["keywords"] if k.strip()]
    record["choices"] = [
        {"text": c["text"], "is_correct": c["correct"], "explanation": c["explanation"]}
        for c in record["choices"]
    ]
    return record, []


def _where(loc: tuple) -> str:
    where = ""
    for part in loc:
        if isinstance(part, int):
            where += f"[{part + 1}]"
        else:
            where += f".{part}" if where else str(part)
    return where


_RANGES = {"suggested_minutes": (1, 120), "penalty": (1, 100), "cap": (0, 100), "score": (0, 100)}

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
}


def _problem(error: ErrorDetails) -> str:
    where = _where(error["loc"])
    kind = error["type"]
    got = error.get("input")
    if kind == "enum":
        allowed = error.get("ctx", {}).get("expected", "")
        message = f"must be one of {allowed.replace(' or ', ', ').replace(chr(39), '')}"
    elif kind == "string_too_short":
        message = "is required"
    elif kind == "string_too_long":
        limit = error.get("ctx", {}).get("max_length")
        return f"{where}: at most {limit} characters (got {len(str(got)):,})"
    elif kind in {"greater_than_equal", "less_than_equal", "int_type"} and (
        bounds := _RANGES.get(str(error["loc"][-1]))
    ):
        message = f"must be a whole number from {bounds[0]} to {bounds[1]}"
    elif kind == "value_error":
        return f"{where}: {str(error['msg']).removeprefix('Value error, ')}".lstrip(": ")
    else:
        message = _MESSAGES.get(kind, str(error["msg"]).lower())
    if kind in {"missing", "extra_forbidden", "string_too_short"}:
        return f"{where}: {message}"
    return f"{where}: {message} (got {got!r})"
