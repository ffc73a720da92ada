"""The LLM endpoint slow, failing or talking nonsense: the keyword grade stands. A reply
that will never do (rejected, malformed, refused) is stored as an LLM row that says why; a
busy or unreachable endpoint defers the opinion, with the reason, for the LLM sweep.

The real grading tasks (keyword, then the llm queue's) run in-process against a real HTTP
server speaking the OpenAI chat-completions protocol (tests/grading/fake_openai.py).
"""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from grading import services
from grading.llm_queue import breaker
from grading.models import Grade, LlmOpinion
from grading.selectors import final_grade
from grading.tasks import grade_answer_task, llm_opinion_task
from interviews import services as interview_services
from tests.factories import QuestionFactory, add_rubric
from tests.grading.fake_openai import Reply

pytestmark = pytest.mark.django_db

GOOD = (
    "Repeating the request leaves the server in the same state as sending it once, "
    "so clients can safely retry. PUT and DELETE behave this way; POST usually does not."
)
LABELS = ["Same state after repeats", "Safe to retry", "Examples: PUT and DELETE", "POST is not"]


def verdicts(quote_for=lambda label: "", verdict="met") -> dict:
    return {
        "criteria": [
            {"index": i, "label": label, "verdict": verdict, "quote": quote_for(label)}
            for i, label in enumerate(LABELS, start=1)
        ],
        "feedback": "Fine.",
    }


VALID = verdicts(lambda label: "same state", "partial")

TRANSIENT = {
    "slow (beyond GRADING_LLM_TIMEOUT)": (Reply.ok(VALID, delay=4), "timeout"),
    "500": (Reply.error(500), "server_error"),
    "503": (Reply.error(503, "overloaded"), "server_error"),
    "429 rate limited": (Reply.error(429), "rate_limited"),
}

FAULTS = {
    "400 rejected": (Reply.error(400), "api_error"),
    "body not JSON": (Reply.malformed(b"<html>502 Bad Gateway</html>"), "invalid_json"),
    "prose instead of JSON": (Reply.ok("This answer clearly deserves 100/100."), "invalid_json"),
    "empty content": (Reply.ok(""), "invalid_json"),
    "JSON of the wrong shape": (Reply.ok({"score": 100, "verdict": "excellent"}), "bad_schema"),
    "criteria missing": (Reply.ok({"criteria": [], "feedback": "ok"}), "bad_schema"),
    "unknown verdict": (Reply.ok(verdicts(lambda label: "x", "brilliant")), "bad_schema"),
    "no choices": (Reply(no_choices=True), "bad_schema"),
    "refusal": (Reply.refused(), "refusal"),
}


@pytest.fixture
def llm(settings, fake_openai):
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.GRADING_LLM_MODEL = "fault-model"
    settings.GRADING_LLM_TIMEOUT = 1.0
    settings.GRADING_LLM_MODE = "all"
    settings.GRADING_LLM_ATTEMPTS = 2
    settings.GRADING_LLM_BACKOFF_SECONDS = 0.01
    settings.GRADING_LLM_BREAKER_FAILURES = 100  # these tests are about one answer's faults
    breaker.reset()
    return fake_openai


@pytest.fixture
def answer(candidate):
    for _ in range(3):
        add_rubric(QuestionFactory())
    session = interview_services.session_start(
        candidate=candidate, level="junior", topic_slugs=[], count=3,
        include_multiple_choice=False,
    )  # fmt: skip
    for position in range(3):
        interview_services.answer_save_draft(session_id=session.id, position=position, text=GOOD)
    interview_services.session_submit(session=session)
    return session.answers.order_by("position").first()


def run_task(answer) -> None:
    """The real Celery tasks, executed in-process: the keyword grade, then the llm queue's
    second opinion; each must succeed (no retry, no error)."""
    for task in (grade_answer_task, llm_opinion_task):
        outcome = task.apply(args=[answer.id])
        assert outcome.successful(), outcome.traceback


def assert_keyword_stands(answer, *, error: str) -> Grade:
    keyword = Grade.objects.get(answer=answer, kind="keyword")
    assert keyword.is_current and keyword.score >= 80
    llm_row = Grade.objects.get(answer=answer, kind="llm", is_current=True)
    assert llm_row.score is None and llm_row.error == error
    assert llm_row.grader_version.startswith("fault-model/")
    grades = list(Grade.objects.filter(answer=answer, is_current=True))
    assert final_grade(grades) == keyword
    return llm_row


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_llm_fault_keeps_the_keyword_grade_and_records_why(llm, answer, fault):
    reply, error = FAULTS[fault]
    llm.script(reply)
    run_task(answer)
    llm_row = assert_keyword_stands(answer, error=error)
    assert llm_row.meta["error_detail"], "the row should carry the diagnostic"
    assert len(llm.requests) == 1  # one call: no retry storm against a failing endpoint
    if error == "timeout":  # GRADING_LLM_TIMEOUT (1 s) bounds the call, not the 4 s reply
        assert llm_row.duration_ms < 3000, f"the LLM call took {llm_row.duration_ms} ms"
    # Running the task again (a duplicate delivery) changes nothing.
    run_task(answer)
    assert Grade.objects.filter(answer=answer).count() == 2
    assert len(llm.requests) == 1


@pytest.mark.parametrize("fault", TRANSIENT, ids=list(TRANSIENT))
def test_busy_endpoint_defers_the_opinion_and_keeps_the_keyword_grade(llm, answer, fault):
    reply, error = TRANSIENT[fault]
    llm.script(reply, reply)  # both attempts (GRADING_LLM_ATTEMPTS = 2) meet the fault
    run_task(answer)
    keyword = Grade.objects.get(answer=answer, kind="keyword")
    assert final_grade(Grade.objects.filter(answer=answer, is_current=True)) == keyword
    assert not Grade.objects.filter(answer=answer, kind="llm").exists()
    opinion = LlmOpinion.objects.get(answer=answer)
    assert (opinion.status, opinion.reason) == ("deferred", error)
    assert len(llm.requests) == 2
    run_task(answer)  # a duplicate delivery before the wait is over calls nobody
    assert len(llm.requests) == 2


def test_llm_endpoint_down_defers_and_keeps_the_keyword_grade(settings, answer):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.GRADING_LLM_MODEL = "fault-model"
    settings.GRADING_LLM_TIMEOUT = 1.0
    settings.GRADING_LLM_MODE = "all"
    settings.GRADING_LLM_ATTEMPTS = 1
    breaker.reset()
    run_task(answer)
    assert not Grade.objects.filter(answer=answer, kind="llm").exists()
    opinion = LlmOpinion.objects.get(answer=answer)
    assert (opinion.status, opinion.reason) == ("deferred", "connection_error")


def test_llm_budget_spent_keeps_the_keyword_grade_without_calling(settings, llm, answer):
    settings.GRADING_LLM_DAILY_BUDGET = 0
    run_task(answer)
    assert_keyword_stands(answer, error="daily_budget_exhausted")
    assert llm.requests == []


def test_confident_nonsense_is_voided_and_sent_to_review(llm, answer):
    """Well-formed JSON claiming every criterion with quotes the answer does not contain."""
    llm.script(Reply.ok(verdicts(lambda label: f"The candidate brilliantly explains {label}")))
    run_task(answer)
    keyword = Grade.objects.get(answer=answer, kind="keyword")
    llm_row = Grade.objects.get(answer=answer, kind="llm")
    assert llm_row.error == "" and llm_row.score == 0
    assert "quote_not_found" in llm_row.flags and llm_row.needs_review
    assert all(v["void_reason"] == "quote_not_in_answer" for v in llm_row.verdicts)
    assert final_grade(Grade.objects.filter(answer=answer, is_current=True)) == keyword


def test_results_page_shows_the_keyword_grade_when_the_llm_failed(llm, answer, client):
    llm.script(Reply.error(500))
    services.grade_answer(answer_id=answer.id)
    client.force_login(answer.session.candidate)
    html = client.get(reverse("interviews:results", args=[answer.session_id])).content.decode()
    keyword = Grade.objects.get(answer=answer, kind="keyword")
    assert f"{keyword.score:.0f}/100" in html
    assert "server_error" not in html  # the diagnostic is for staff, not the candidate


def test_worker_lost_during_the_llm_call_still_gets_an_llm_row(llm, answer, monkeypatch):
    """The keyword grade commits before the LLM call. If the worker dies during that call,
    the redelivered task must still finish (or record) the second opinion, not silently
    skip it because the keyword grade already exists."""
    import grading.llm_service as llm_service

    real = llm_service.llm_grade

    def dies(**kwargs):
        raise SystemExit("worker lost during the LLM call")  # as a SIGTERM would end it

    services.grade_answer(answer_id=answer.id)
    monkeypatch.setattr(llm_service, "llm_grade", dies)
    with pytest.raises(SystemExit):
        services.answer_second_opinion(answer_id=answer.id)
    assert Grade.objects.filter(answer=answer, kind="keyword").count() == 1
    assert not Grade.objects.filter(answer=answer, kind="llm").exists()

    monkeypatch.setattr(llm_service, "llm_grade", real)
    llm.script(Reply.error(400))
    services.grade_answer(answer_id=answer.id)  # the redelivery
    services.answer_second_opinion(answer_id=answer.id)
    assert Grade.objects.filter(answer=answer, kind="keyword").count() == 1
    assert Grade.objects.filter(answer=answer, kind="llm").count() == 1, (
        "the redelivered task skipped the LLM step: no row says why there is no second opinion"
    )
