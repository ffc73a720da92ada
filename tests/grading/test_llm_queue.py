"""LLM second opinions as queued work, against a real HTTP server speaking chat-completions
(tests/grading/fake_openai.py) through the real ``openai`` client: retries and Retry-After,
the circuit breaker, budgets, the reply cache, exactly-once completion, and routing."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.utils import timezone

from config.celery import app
from core import devserver
from grading import services
from grading.llm import RetryPolicy, llm_grade, llm_grade_with_retries, retry_after_seconds
from grading.llm_queue import breaker, budget_charge, budget_used
from grading.llm_service import llm_config, opinions_due
from grading.models import Grade, LlmOpinion, LlmReplyCache
from grading.rubric import Criterion, Result
from grading.tasks import llm_opinion_task, sweep_llm_opinions
from interviews import services as interview_services
from questionbank.models import Question
from tests.factories import QuestionFactory, UserFactory, add_rubric
from tests.grading.fake_openai import RecordedRequest, Reply

pytestmark = pytest.mark.django_db

# What a candidate writes: right ideas, some in the rubric's words, one missing.
PARAPHRASE = (
    "If the client sends the request a second time nothing changes on the server, because the "
    "handler checks whether it already did the work and hands back what it did the first time. "
    "That is why a client can send it again after a timeout without double charging anyone. "
    "PUT replaces the resource with the same body each time and DELETE of something already "
    "gone leaves it gone, so both behave like this, and a well-designed API documents which "
    "of its endpoints have this property so that client libraries can decide for themselves."
)
STRONG = (
    "Repeating the request leaves the server in the same state as sending it once, so "
    "clients can safely retry. PUT and DELETE behave this way; POST usually does not."
)
FEEDBACK = "Say plainly that POST usually does not behave this way, and why."


def criteria_labels(request: RecordedRequest) -> list[str]:
    """The rubric labels the grader sent, read back from the user message."""
    block = request.message_text("user").split("CRITERIA:\n", 1)[1].split("\n\n", 1)[0]
    return [re.sub(r"^\d+\. ", "", line) for line in block.splitlines()]


def judged(request: RecordedRequest) -> dict:
    """A valid reply for whatever the grader asked: every criterion missed but the first."""
    labels = criteria_labels(request)
    return {
        "criteria": [
            {"index": i, "label": label, "verdict": "missed", "quote": ""}
            for i, label in enumerate(labels, start=1)
        ],
        "feedback": FEEDBACK,
    }


@pytest.fixture
def llm(settings, fake_openai):
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.GRADING_LLM_MODEL = "queue-model"
    settings.GRADING_LLM_MODE = "all"
    settings.GRADING_LLM_TIMEOUT = 2.0
    settings.GRADING_LLM_ATTEMPTS = 3
    settings.GRADING_LLM_BACKOFF_SECONDS = 0.01
    settings.GRADING_LLM_BACKOFF_MAX_SECONDS = 2.0
    settings.GRADING_LLM_BREAKER_FAILURES = 3
    settings.GRADING_LLM_BREAKER_COOLDOWN_SECONDS = 60
    fake_openai.respond_with(judged)
    return fake_openai


def submitted_answers(n: int = 1, *, text: str = STRONG, distinct: bool = False) -> list:
    """``n`` free-text answers, each in its own submitted practice session, keyword-graded.
    ``distinct`` makes each text differ (a closing sentence), so the cache cannot help."""
    if not Question.objects.exists():
        add_rubric(QuestionFactory())  # the only question: every session asks the same one
    answers = []
    for i in range(n):
        session = interview_services.session_start(
            candidate=UserFactory(), level="junior", topic_slugs=[], count=1,
            include_multiple_choice=False,
        )  # fmt: skip
        typed = f"{text} I have seen this in {i + 2} services." if distinct else text
        interview_services.answer_save_draft(session_id=session.id, position=0, text=typed)
        interview_services.session_submit(session=session)
        answer = session.answers.get()
        services.grade_answer(answer_id=answer.id)
        answers.append(answer)
    return answers


def run_opinion(answer) -> None:
    outcome = llm_opinion_task.apply(args=[answer.id])
    assert outcome.successful(), outcome.traceback


def llm_grades(answer):
    return Grade.objects.filter(answer=answer, kind="llm")


# --------------------------------------------------------------------------------------
# Retries: Retry-After honoured, exponential backoff with jitter
# --------------------------------------------------------------------------------------


def test_retry_after_reads_seconds_http_dates_and_milliseconds():
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    now = 1_800_000_000.0
    date = format_datetime(datetime.fromtimestamp(now + 30, tz=UTC), usegmt=True)
    assert retry_after_seconds({"retry-after": date}, now=lambda: now) == 30.0
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def keyword(score: float) -> Result:
    return Result(score=score, verdicts=(), flags=(), confidence=1.0)


CRITERIA = (Criterion("Same state after repeats", ("same state",), 1, False),)
ONE_MET = {
    "criteria": [
        {"index": 1, "label": "Same state after repeats", "verdict": "met", "quote": "same state"}
    ],
    "feedback": "Name an endpoint that is not safe to repeat.",
}


def graded_with_retries(fake_openai, sleeps: list[float], attempts: int = 4):
    config = llm_config()
    config = type(config)(
        api_key="k", base_url=fake_openai.base_url, model="m", timeout=2.0, max_retries=0
    )
    return llm_grade_with_retries(
        policy=RetryPolicy(attempts=attempts, base_delay=1.0, max_delay=30.0),
        grade=lambda: llm_grade(
            config=config, prompt="Q?", criteria=CRITERIA, answer=STRONG, keyword_result=keyword(50)
        ),
        sleep=sleeps.append,
        rng=lambda: 0.5,
    )


def test_a_429_with_retry_after_waits_that_long_then_succeeds(fake_openai):
    fake_openai.script(Reply.error(429, headers={"Retry-After": "3"}), ONE_MET)
    sleeps: list[float] = []
    outcome = graded_with_retries(fake_openai, sleeps)
    assert outcome.ok and outcome.attempts == 2
    assert sleeps == [3.0]  # the header, not the (shorter) jittered backoff
    assert len(fake_openai.requests) == 2


def test_5xx_and_429_back_off_exponentially_with_jitter(fake_openai):
    fake_openai.script(Reply.error(503), Reply.error(429), Reply.error(500), ONE_MET)
    sleeps: list[float] = []
    outcome = graded_with_retries(fake_openai, sleeps)
    assert outcome.ok and outcome.attempts == 4
    assert sleeps == [0.5, 1.0, 2.0]  # base * 2^(n-1), times the jitter draw (0.5)


def test_a_retry_after_longer_than_the_longest_wait_stops_retrying(fake_openai):
    fake_openai.script(Reply.error(429, headers={"Retry-After": "120"}))
    sleeps: list[float] = []
    outcome = graded_with_retries(fake_openai, sleeps)
    assert outcome.error == "rate_limited" and outcome.retry_after == 120.0
    assert sleeps == [] and len(fake_openai.requests) == 1


def test_a_rejected_request_is_not_retried(fake_openai):
    fake_openai.script(Reply.error(400))
    sleeps: list[float] = []
    outcome = graded_with_retries(fake_openai, sleeps)
    assert outcome.error == "api_error" and sleeps == [] and len(fake_openai.requests) == 1


# --------------------------------------------------------------------------------------
# The queue: an opinion per answer, stored once, shown when it arrives
# --------------------------------------------------------------------------------------


def test_keyword_grade_is_stored_at_once_and_the_opinion_follows(llm):
    [answer] = submitted_answers()
    keyword_grade = Grade.objects.get(answer=answer, kind="keyword")
    assert keyword_grade.meta == {"second_opinion": "all"}
    assert LlmOpinion.objects.get(answer=answer).status == "pending"
    assert not llm.requests  # grading the keywords called nobody

    run_opinion(answer)
    grade = llm_grades(answer).get()
    assert grade.error == "" and grade.feedback == FEEDBACK
    assert grade.meta["attempts"] == 1 and grade.meta["cached"] is False
    assert LlmOpinion.objects.get(answer=answer).status == "done"


def test_one_opinion_costs_a_bounded_number_of_queries(llm, django_assert_max_num_queries):
    """Claim, re-read, keyword score, cache lookup, charge, cache insert, store: no per-field
    re-reads of the answer (the worker runs a hundred of these at once). Inside the test's
    transaction each atomic block counts as a SAVEPOINT and a RELEASE."""
    [answer] = submitted_answers()
    with django_assert_max_num_queries(20):
        run_opinion(answer)
    assert LlmOpinion.objects.get(answer=answer).status == "done"
    assert budget_used(scope="global", day=timezone.localdate()) == 1


def test_a_429_in_the_task_is_retried_after_its_retry_after(llm, settings):
    settings.GRADING_LLM_BACKOFF_MAX_SECONDS = 5.0
    [answer] = submitted_answers()
    llm.script(Reply.error(429, headers={"Retry-After": "0.2"}))
    run_opinion(answer)
    assert llm_grades(answer).get().meta["attempts"] == 2
    assert len(llm.requests) == 2


def test_a_duplicate_task_neither_calls_nor_charges_twice(llm):
    [answer] = submitted_answers()
    run_opinion(answer)
    run_opinion(answer)  # a redelivered message
    assert len(llm.requests) == 1
    assert llm_grades(answer).count() == 1
    assert budget_used(scope="global", day=timezone.localdate()) == 1


def test_a_worker_killed_mid_call_is_completed_once_by_the_sweep(llm):
    """The state a SIGKILL leaves: claimed, charged, the call maybe made, nothing stored."""
    [answer] = submitted_answers()
    today = timezone.localdate()
    assert budget_charge(team_id=None, day=today) == ""
    lease = timezone.now() + timedelta(minutes=5)
    LlmOpinion.objects.filter(answer=answer).update(
        status="running", claim=1, charged_on=today, lease_until=lease
    )
    run_opinion(answer)  # the redelivery while the lease runs: the claim is someone's
    assert not llm.requests and not llm_grades(answer).exists()
    assert answer.id not in opinions_due(stale_after_seconds=60)

    # The lease runs out; the sweep hands the opinion on.
    LlmOpinion.objects.filter(answer=answer).update(lease_until=timezone.now())
    assert opinions_due(stale_after_seconds=60) == [answer.id]
    run_opinion(answer)
    assert llm_grades(answer).count() == 1
    assert len(llm.requests) == 1
    assert budget_used(scope="global", day=today) == 1  # charged once, before the kill
    assert LlmOpinion.objects.get(answer=answer).claim == 2


@pytest.mark.django_db(transaction=True)  # the second worker runs in the server's thread
def test_a_slow_worker_that_lost_its_claim_stores_nothing(llm):
    """Two workers on one opinion: the first one's lease ran out while it waited on the
    endpoint and a second worker took it over. Only the holder of the latest claim stores."""
    [answer] = submitted_answers()
    took_over = threading.Event()

    def slow_then_taken_over(request):
        if not took_over.is_set():
            # the first call is in flight: its lease expires and the sweep re-sends it
            LlmOpinion.objects.filter(answer=answer).update(lease_until=timezone.now())
            took_over.set()
            run_opinion(answer)
        return judged(request)

    llm.respond_with(slow_then_taken_over)
    run_opinion(answer)
    assert len(llm.requests) == 2
    assert llm_grades(answer).count() == 1
    assert budget_used(scope="global", day=timezone.localdate()) == 1


# --------------------------------------------------------------------------------------
# Circuit breaker, outage and sweep
# --------------------------------------------------------------------------------------


def test_the_breaker_opens_after_consecutive_failures_and_defers_without_calling(llm, settings):
    settings.GRADING_LLM_ATTEMPTS = 1
    answers = submitted_answers(4, distinct=True)
    llm.respond_with(lambda request: Reply.error(503))
    for answer in answers[:3]:  # three failed calls in a row (GRADING_LLM_BREAKER_FAILURES)
        run_opinion(answer)
    assert breaker.open_until() is not None
    run_opinion(answers[3])
    assert len(llm.requests) == 3  # the fourth was deferred without a call
    opinion = LlmOpinion.objects.get(answer=answers[3])
    assert (opinion.status, opinion.reason) == ("deferred", "endpoint_unavailable")
    assert opinion.charged_on is None
    assert sweep_llm_opinions.apply().get() == 0  # the sweep waits for the breaker too


def test_rate_limits_do_not_open_the_breaker(llm, settings):
    """Many calls in flight meet a 429 at once: the endpoint is pacing, not down."""
    settings.GRADING_LLM_ATTEMPTS = 1
    answers = submitted_answers(4, distinct=True)
    llm.respond_with(lambda request: Reply.error(429, headers={"Retry-After": "1"}))
    for answer in answers:
        run_opinion(answer)
    assert breaker.open_until() is None
    assert set(LlmOpinion.objects.values_list("reason", flat=True)) == {"rate_limited"}


def test_an_outage_loses_no_opinion_and_charges_none_twice(llm, settings):
    """The endpoint is down for a while (here: until the test says it is back; the bench
    runs a timed outage, bench/llm.py --outage-seconds). Every opinion completes after it
    returns, each stored once and charged once."""
    settings.GRADING_LLM_ATTEMPTS = 2
    settings.GRADING_LLM_BREAKER_COOLDOWN_SECONDS = 0.5
    answers = submitted_answers(6, distinct=True)
    down = threading.Event()
    down.set()
    llm.respond_with(lambda request: Reply.error(503) if down.is_set() else judged(request))
    for answer in answers:
        run_opinion(answer)
    statuses = set(LlmOpinion.objects.values_list("status", flat=True))
    assert statuses == {"deferred"}
    calls_during_outage = len(llm.requests)
    assert calls_during_outage < 2 * len(answers)  # the breaker spared some calls

    down.clear()  # the endpoint is back; the breaker's cool-down ends
    LlmOpinion.objects.update(not_before=timezone.now())  # their waits are over
    wait_until_closed()
    for answer_id in opinions_due(stale_after_seconds=60):
        llm_opinion_task.apply(args=[answer_id])
    for answer in answers:
        assert llm_grades(answer).filter(error="").count() == 1
    assert set(LlmOpinion.objects.values_list("status", flat=True)) == {"done"}
    assert budget_used(scope="global", day=timezone.localdate()) == len(answers)


def wait_until_closed() -> None:
    from tests.grading.conftest import wait_for

    wait_for(lambda: breaker.open_until() is None, timeout=5)


def test_the_sweep_resends_deferred_opinions_once_their_wait_is_over(llm, settings):
    settings.GRADING_LLM_ATTEMPTS = 1
    [answer] = submitted_answers()
    llm.script(Reply.error(500))
    run_opinion(answer)
    assert LlmOpinion.objects.get(answer=answer).status == "deferred"
    assert opinions_due(stale_after_seconds=60) == []
    LlmOpinion.objects.filter(answer=answer).update(not_before=timezone.now())
    sent: list[int] = []
    from grading import tasks

    real_delay = tasks.llm_opinion_task.delay
    tasks.llm_opinion_task.delay = sent.append  # type: ignore[method-assign]
    try:
        assert sweep_llm_opinions.apply().get() == 1
    finally:
        tasks.llm_opinion_task.delay = real_delay  # type: ignore[method-assign]
    assert sent == [answer.id]


# --------------------------------------------------------------------------------------
# Budgets and the cache
# --------------------------------------------------------------------------------------


def test_over_the_daily_budget_the_opinion_is_skipped_with_a_reason(llm, settings):
    settings.GRADING_LLM_DAILY_BUDGET = 1
    first, second = submitted_answers(2, text=STRONG)
    LlmReplyCache.objects.all().delete()
    run_opinion(first)
    # A different answer text, so the cache cannot answer for it.
    second.saved_text = STRONG + " Retries are safe."
    second.save(update_fields=["saved_text"])
    run_opinion(second)
    assert len(llm.requests) == 1
    skipped = llm_grades(second).get()
    assert skipped.error == "daily_budget_exhausted" and skipped.score is None
    assert LlmOpinion.objects.get(answer=second).status == "done"


def test_team_and_global_budgets_count_together_and_never_overspend(settings):
    settings.GRADING_LLM_DAILY_BUDGET = 3
    settings.GRADING_LLM_TEAM_DAILY_BUDGET = 2
    day = timezone.localdate()
    results = [budget_charge(team_id=7, day=day) for _ in range(3)]
    assert results == ["", "", "team_budget_exhausted"]
    assert budget_used(scope="team:7", day=day) == 2
    assert budget_used(scope="global", day=day) == 2  # the refused call moved neither
    assert budget_charge(team_id=8, day=day) == ""
    assert budget_charge(team_id=8, day=day) == "daily_budget_exhausted"
    assert budget_used(scope="team:8", day=day) == 1
    tomorrow = day + timedelta(days=1)
    assert budget_charge(team_id=7, day=tomorrow) == ""


def test_a_duplicate_answer_or_a_regrade_is_judged_from_the_cache(llm):
    first, duplicate = submitted_answers(2, text=PARAPHRASE)
    run_opinion(first)
    run_opinion(duplicate)  # another candidate, word for word the same answer
    assert len(llm.requests) == 1
    cached = llm_grades(duplicate).get()
    assert cached.meta["cached"] is True and cached.feedback == FEEDBACK
    assert budget_used(scope="global", day=timezone.localdate()) == 1

    # A regrade asks again; the cache answers.
    services.opinions_request(teams_by_answer={first.id: None})
    run_opinion(first)
    assert len(llm.requests) == 1
    assert llm_grades(first).count() == 2 and llm_grades(first).filter(is_current=True).count() == 1


# --------------------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------------------


def test_uncertain_mode_asks_only_about_the_doubtful_answers(llm, settings):
    settings.GRADING_LLM_MODE = "uncertain"
    settings.GRADING_LLM_SUBSTANTIAL_WORDS = 60
    [strong] = submitted_answers(text=STRONG)
    [paraphrase] = submitted_answers(text=PARAPHRASE)
    assert not LlmOpinion.objects.filter(answer=strong).exists()
    assert Grade.objects.get(answer=strong, kind="keyword").meta == {}
    opinion = LlmOpinion.objects.get(answer=paraphrase)
    assert opinion.status == "pending"
    assert Grade.objects.get(answer=paraphrase, kind="keyword").meta["second_opinion"] in {
        "substantial_low_score",
        "needs_review",
        "low_confidence",
    }


def test_mode_off_or_no_model_queues_nothing(llm, settings):
    settings.GRADING_LLM_MODE = "off"
    submitted_answers(text=PARAPHRASE)
    settings.GRADING_LLM_MODE = "all"
    settings.GRADING_LLM_MODEL = ""
    submitted_answers(text=PARAPHRASE)
    assert not LlmOpinion.objects.exists()
    assert not llm.requests


# --------------------------------------------------------------------------------------
# Routing: the llm queue, its own worker
# --------------------------------------------------------------------------------------


def test_opinions_are_routed_to_the_llm_queue_and_keyword_grading_is_not():
    route = app.amqp.router.route
    assert route({}, "grading.tasks.llm_opinion")["queue"].name == "llm"
    assert route({}, "grading.tasks.grade_answers")["queue"].name == app.conf.task_default_queue
    assert app.conf.task_default_queue != "llm"


def test_compose_and_make_run_workers_consume_the_right_queues():
    compose = yaml.safe_load((Path(django_settings.BASE_DIR) / "docker-compose.yml").read_text())
    worker = " ".join(compose["services"]["worker"]["command"])
    llm_worker = " ".join(compose["services"]["llm-worker"]["command"])
    assert "--queues=celery" in worker and "llm" not in worker
    assert "--queues=llm" in llm_worker and "--pool=threads" in llm_worker
    assert "GRADING_LLM_CONCURRENCY" in llm_worker
    assert "--queues=celery,llm,webhooks" in devserver.WORKER
