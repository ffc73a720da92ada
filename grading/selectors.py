"""Reads for grading: the final grade is derived from the current rows, never stored."""

from __future__ import annotations

from collections.abc import Iterable

from grading.models import Grade, GraderKind


def final_grade(grades: Iterable[Grade]) -> Grade | None:
    """Human override > agreed LLM > keyword (or the multiple-choice score)."""
    current = {g.kind: g for g in grades if g.is_current}
    human = current.get(GraderKind.HUMAN)
    if human:
        return human
    llm = current.get(GraderKind.LLM)
    if llm and llm.score is not None and not llm.error and not llm.needs_review:
        return llm
    return current.get(GraderKind.KEYWORD) or current.get(GraderKind.CHOICE)
