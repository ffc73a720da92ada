"""Grade free text against a stored question exactly as production does, without storing
anything: shared by ``calibrate``, ``grade_answers`` and the rubric tryout."""

from __future__ import annotations

from dataclasses import dataclass

from grading import services
from grading.calibration import Graded, QuestionCalibration, question_calibration
from grading.highlight import evidence_segments
from grading.rubric import Result
from questionbank.snapshot import QuestionSnapshot


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
            prompt=QuestionSnapshot.of(snapshot).prompt,
            criteria=services.criteria_from_snapshot(snapshot),
            answer=text,
            keyword_result=result,
        )
        flags = (*flags, *outcome.flags)
        if outcome.ok and not outcome.needs_review and outcome.score is not None:
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


def result_segments(text: str, result: Result):
    """``text`` with the grade's evidence highlighted, wrong claims first."""
    spans = [
        {"verdict": "misconception", "label": m.claim, "spans": m.spans}
        for m in result.misconceptions
    ]
    spans += [{"verdict": v.verdict, "label": v.label, "spans": v.spans} for v in result.verdicts]
    return evidence_segments(text, spans)


@dataclass(frozen=True)
class SampleCheck:
    kind: str
    human: float
    text: str
    checked: CheckedAnswer

    @property
    def segments(self):
        """The sample with its evidence highlighted, as the results page shows an answer."""
        return result_segments(self.text, self.checked.result)


def samples_check(*, snapshot: dict, samples) -> tuple[QuestionCalibration, list[SampleCheck]]:
    """Grade a question's sample answers (``kind``, ``score``, ``text``) and say whether
    the question is calibrated."""
    checks = [
        SampleCheck(s.kind, s.score, s.text, answer_check(snapshot=snapshot, text=s.text))
        for s in samples
    ]
    status = question_calibration([Graded(c.kind, c.human, c.checked.score) for c in checks])
    return status, checks


def question_samples_check(question) -> tuple[QuestionCalibration, list[SampleCheck]]:
    """A stored question's samples graded against its current content (the admin's panel,
    the team form). Expects its topic, content relations and samples to be loaded."""
    from questionbank.selectors import question_snapshot

    return samples_check(snapshot=question_snapshot(question), samples=question.samples.all())
