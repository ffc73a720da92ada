"""Grade free text against a stored question exactly as production does, without storing
anything: shared by ``calibrate``, ``grade_answers`` and the rubric tryout."""

from __future__ import annotations

from dataclasses import dataclass

from grading import services
from grading.rubric import Result


@dataclass(frozen=True)
class CheckedAnswer:
    result: Result  # the keyword grade
    score: float  # the final score: the LLM's when it agrees, else the keyword grade's
    confidence: float
    flags: tuple[str, ...]
    review_reasons: tuple[str, ...]

    @property
    def needs_review(self) -> bool:
        return bool(self.review_reasons)


def answer_check(*, snapshot: dict, text: str, with_llm: bool = False) -> CheckedAnswer:
    result = services.grade_text(snapshot=snapshot, text=text)
    reasons = services.review_reasons(result)
    score, flags = result.score, result.flags
    if with_llm:
        from grading.llm import llm_grade
        from grading.llm_service import llm_config

        outcome = llm_grade(
            config=llm_config(),
            prompt=snapshot.get("prompt", ""),
            criteria=services.criteria_from_snapshot(snapshot),
            answer=text,
            keyword_result=result,
        )
        flags = (*flags, *outcome.flags)
        if outcome.ok and not outcome.needs_review:
            score = outcome.score
        elif outcome.needs_review:
            reasons.append("The LLM second opinion disagrees with the keyword grade.")
    return CheckedAnswer(
        result=result,
        score=score,
        confidence=result.confidence,
        flags=tuple(flags),
        review_reasons=tuple(reasons),
    )
