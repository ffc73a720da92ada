"""Which answers get an LLM second opinion (GRADING_LLM_MODE): the rule on its own, fed by
the real keyword grader's result for answers a candidate would write. No database."""

from __future__ import annotations

import pytest

from grading.llm_queue import second_opinion_reason
from grading.rubric import Criterion, grade
from grading.services import LOW_CONFIDENCE, review_reasons

PROMPT = "What does it mean for an HTTP method to be idempotent, and why does it matter?"
CRITERIA = [
    Criterion("Same state after repeats", ("same state", "same result", "repeat"), 3, True),
    Criterion("Safe to retry", ("safely retry", "safe to retry", "retries"), 2),
    Criterion("Examples: PUT and DELETE", ("PUT", "DELETE"), 2),
    Criterion("POST is not", ("POST usually does not", "POST creates"), 1),
]

STRONG = (
    "Repeating the request leaves the server in the same state as sending it once, so "
    "clients can safely retry. PUT and DELETE behave this way; POST usually does not."
)
# The right ideas in other words: long, and low on the rubric's keywords.
PARAPHRASE = (
    "If the client sends the request a second time nothing changes on the server, because the "
    "handler checks whether it already did the work and hands back what it did the first time. "
    "That is why a client can send it again after a timeout without double charging anyone. "
    "Replacing a resource with the same body each time, or removing something already gone, "
    "leaves things as they were, and a well-designed API documents which of its endpoints "
    "have this property so that client libraries can decide for themselves when to resend."
)
SHORT_WRONG = "It means the method is fast."


def reason_for(text: str, *, mode: str = "uncertain", set_opt_in: bool | None = None) -> str:
    result = grade(PROMPT, CRITERIA, text)
    return second_opinion_reason(
        mode=mode,
        score=result.score,
        confidence=result.confidence,
        needs_review=bool(review_reasons(result)),
        word_count=len(text.split()),
        set_opt_in=set_opt_in,
        low_confidence=LOW_CONFIDENCE,
        substantial_words=60,
        low_score=50.0,
    )


def test_a_strong_answer_in_the_rubrics_words_needs_no_second_opinion():
    assert reason_for(STRONG) == ""


def test_a_long_paraphrase_graded_low_gets_one():
    assert grade(PROMPT, CRITERIA, PARAPHRASE).score < 50
    assert reason_for(PARAPHRASE) in {"substantial_low_score", "needs_review", "low_confidence"}


def test_a_short_wrong_answer_is_not_worth_a_call():
    assert reason_for(SHORT_WRONG) == ""


def test_all_mode_sends_everything_and_off_mode_nothing():
    assert reason_for(STRONG, mode="all") == "all"
    assert reason_for(PARAPHRASE, mode="off") == ""


def test_a_hiring_set_decides_for_its_own_answers():
    assert reason_for(STRONG, set_opt_in=True) == "hiring_set"
    assert reason_for(PARAPHRASE, set_opt_in=False) == ""
    assert reason_for(PARAPHRASE, mode="all", set_opt_in=False) == ""
    assert reason_for(STRONG, mode="off", set_opt_in=True) == ""


@pytest.mark.parametrize(
    ("score", "confidence", "needs_review", "words", "expected"),
    [
        (90, 0.9, True, 40, "needs_review"),
        (70, 0.3, False, 40, "low_confidence"),
        (30, 0.9, False, 80, "substantial_low_score"),
        (30, 0.9, False, 20, ""),
        (60, 0.9, False, 200, ""),
    ],
)
def test_the_uncertain_rule_case_by_case(score, confidence, needs_review, words, expected):
    reason = second_opinion_reason(
        mode="uncertain", score=score, confidence=confidence, needs_review=needs_review,
        word_count=words, set_opt_in=None, low_confidence=0.5, substantial_words=60,
        low_score=50.0,
    )  # fmt: skip
    assert reason == expected
