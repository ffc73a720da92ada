"""Rules a question must satisfy, shared by the admin, the importer and team questions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from questionbank.models import Kind

MIN_CRITERIA = 3
MAX_CRITERIA = 8
MAX_CHOICES = 6


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def question_problems(
    *,
    kind: str,
    status: str,
    model_answer: str,
    criteria: Iterable[dict],
    choices: Iterable[dict],
) -> list[Problem]:
    """Return what is wrong with a question, or an empty list.

    ``criteria`` items have ``weight`` and ``keywords``; ``choices`` items have
    ``is_correct``. Drafts may be incomplete; published questions may not.
    """
    criteria = list(criteria)
    choices = list(choices)
    problems: list[Problem] = []
    for index, criterion in enumerate(criteria, start=1):
        if criterion.get("weight") is None or float(criterion["weight"]) <= 0:
            problems.append(Problem(f"criteria[{index}].weight", "must be a positive number"))
        if not [k for k in criterion.get("keywords") or [] if str(k).strip()]:
            problems.append(
                Problem(f"criteria[{index}].keywords", "needs at least one keyword or phrase")
            )
    if kind == Kind.MULTIPLE_CHOICE:
        correct = sum(1 for c in choices if c.get("is_correct"))
        if choices and correct != 1:
            problems.append(
                Problem("choices", f"exactly one choice must be correct (found {correct})")
            )
        if status == "published" and len(choices) < 2:
            problems.append(Problem("choices", "a published question needs at least 2 choices"))
        if len(choices) > MAX_CHOICES:
            problems.append(
                Problem("choices", f"at most {MAX_CHOICES} choices (found {len(choices)})")
            )
    elif status == "published":
        if not (model_answer or "").strip():
            problems.append(Problem("model_answer", "a published question needs a model answer"))
        if len(criteria) < MIN_CRITERIA:
            problems.append(
                Problem(
                    "criteria",
                    f"a published free-text question needs at least {MIN_CRITERIA} rubric "
                    f"criteria with positive weights (found {len(criteria)})",
                )
            )
        if len(criteria) > MAX_CRITERIA:
            problems.append(
                Problem("criteria", f"at most {MAX_CRITERIA} criteria (found {len(criteria)})")
            )
    return problems
