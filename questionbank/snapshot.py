"""The question as a candidate was asked it, frozen with their answer: a typed view.

Answers store the snapshot as JSON (``Answer.snapshot``, built by
``questionbank.selectors.question_snapshot``); everything that reads one goes through
``QuestionSnapshot`` instead of string keys. Snapshots written before a field existed
read with its default, so old answers stay readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SnapshotTopic(_Part):
    slug: str = ""
    name: str = ""


class SnapshotCriterion(_Part):
    label: str
    weight: float = 1.0
    required: bool = False
    keywords: tuple[str, ...] = ()


class SnapshotChoice(_Part):
    text: str
    is_correct: bool = False
    explanation: str = ""


class SnapshotMisconception(_Part):
    claim: str
    phrasings: tuple[str, ...] = ()
    explanation: str = ""
    penalty: float | None = None
    cap: float | None = None


class QuestionSnapshot(_Part):
    id: int | None = None
    version: int | None = None
    slug: str = ""
    title: str = ""
    level: str = ""
    kind: str = ""
    prompt: str = ""
    model_answer: str = ""
    suggested_minutes: int | None = None
    topic: SnapshotTopic = SnapshotTopic()
    criteria: tuple[SnapshotCriterion, ...] = ()
    choices: tuple[SnapshotChoice, ...] = ()
    misconceptions: tuple[SnapshotMisconception, ...] = ()

    @classmethod
    def of(cls, snapshot: QuestionSnapshot | Mapping[str, Any]) -> QuestionSnapshot:
        """A snapshot as stored (or a question record in the bank's YAML shape), typed."""
        if isinstance(snapshot, QuestionSnapshot):
            return snapshot
        return cls.model_validate(snapshot)

    def criteria_records(self) -> list[dict[str, Any]]:
        """The rubric as stored with a grade."""
        return [c.model_dump(mode="json") for c in self.criteria]
