"""Batch grading: one task, two queries and one short transaction per session's answers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grading import rubric, services, tasks
from grading.models import Grade
from grading.tasks import grade_answers_task
from interviews import services as interview_services
from interviews.models import Answer, Session
from tests.factories import QuestionFactory, UserFactory, add_rubric
from tests.grading.conftest import wait_for

GOOD = (
    "Repeating it leaves the same state as sending it once, so clients can safely retry. "
    "PUT and DELETE."
)


def submitted_answers(candidate, n: int = 3) -> list[int]:
    """A submitted session's free-text answer ids, saved but not graded (no task sent)."""
    for _ in range(n):
        add_rubric(QuestionFactory())
    session = interview_services.session_start(
        candidate=candidate, level="junior", topic_slugs=[], count=n,
        include_multiple_choice=False,
    )  # fmt: skip
    Answer.objects.filter(session=session).update(saved_text=GOOD)
    Session.objects.filter(id=session.id).update(status="submitted", finished_at=timezone.now())
    return list(session.answers.order_by("id").values_list("id", flat=True))


def keyword_rows(ids) -> dict[int, list[Grade]]:
    rows: dict[int, list[Grade]] = {i: [] for i in ids}
    for grade in Grade.objects.filter(answer_id__in=ids, kind="keyword").order_by("id"):
        rows[grade.answer_id].append(grade)
    return rows


@pytest.mark.django_db
def test_batch_task_grades_each_answer_once_and_a_redelivery_changes_nothing(candidate):
    ids = submitted_answers(candidate)
    outcome = grade_answers_task.apply(args=[ids])
    assert outcome.successful(), outcome.traceback
    first = keyword_rows(ids)
    assert all(len(rows) == 1 and rows[0].is_current for rows in first.values())
    assert all(rows[0].score >= 80 and rows[0].verdicts for rows in first.values())

    assert grade_answers_task.apply(args=[ids]).successful()  # delivered again
    assert keyword_rows(ids) == first


@pytest.mark.django_db
def test_batch_with_an_already_graded_answer_keeps_that_grade(candidate):
    ids = submitted_answers(candidate)
    services.grade_answer(answer_id=ids[1])
    graded = Grade.objects.get(answer_id=ids[1], kind="keyword")
    assert services.grade_answers(answer_ids=ids) == 2
    rows = keyword_rows(ids)
    assert rows[ids[1]] == [graded]
    assert all(len(r) == 1 and r[0].is_current for r in rows.values())


@pytest.mark.django_db
def test_a_grade_from_an_older_grader_version_is_replaced_and_kept_as_history(candidate):
    ids = submitted_answers(candidate, n=3)
    services.grade_answer(answer_id=ids[0])
    Grade.objects.filter(answer_id=ids[0]).update(grader_version="keyword-0")
    assert services.grade_answers(answer_ids=ids) == 3
    old, new = keyword_rows(ids)[ids[0]]
    assert (old.grader_version, old.is_current) == ("keyword-0", False)
    assert (new.grader_version, new.is_current) == (rubric.GRADER_VERSION, True)


@pytest.mark.django_db
def test_a_duplicate_delivery_that_stores_first_wins(candidate, monkeypatch):
    """Two deliveries of one batch at once: the second finds nothing graded when it reads,
    grades, then finds the first's grades stored. It must neither fail nor add a grade."""
    ids = submitted_answers(candidate)
    real_grade = rubric.grade

    def grade_while_the_other_delivery_stores(*args, **kwargs):
        monkeypatch.setattr(rubric, "grade", real_grade)
        assert services.grade_answers(answer_ids=ids) == 3  # the other delivery, committed
        return real_grade(*args, **kwargs)

    monkeypatch.setattr(rubric, "grade", grade_while_the_other_delivery_stores)
    services.grade_answers(answer_ids=ids)
    rows = keyword_rows(ids)
    assert all(len(r) == 1 and r[0].is_current for r in rows.values()), rows


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_as_one_answer(candidate):
    one, batch = submitted_answers(candidate, n=3)[:1], submitted_answers(candidate, n=5)
    with CaptureQueriesContext(connection) as for_one:
        services.grade_answers(answer_ids=one)
    with CaptureQueriesContext(connection) as for_batch:
        services.grade_answers(answer_ids=batch)
    assert len(for_batch) == len(for_one)
    inserts = [q["sql"] for q in for_batch if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1


def test_enqueue_sends_one_task_per_15_answers(monkeypatch, settings):
    sent: list[list[int]] = []
    monkeypatch.setattr(grade_answers_task, "delay", sent.append)
    assert tasks.grading_enqueue(answer_ids=list(range(1, 33))) == 32
    assert [len(batch) for batch in sent] == [15, 15, 2]
    assert [i for batch in sent for i in batch] == list(range(1, 33))

    # With the LLM on, keyword batches stay whole: second opinions are their own tasks on
    # the llm queue (tests/grading/test_llm_queue.py), so no network call holds a batch.
    settings.OPENAI_API_KEY, settings.GRADING_LLM_MODEL = "key", "model"
    settings.GRADING_LLM_MODE = "all"
    sent.clear()
    assert tasks.grading_enqueue(answer_ids=[1, 2, 3]) == 3
    assert sent == [[1, 2, 3]]


def test_enqueue_stops_at_a_broker_failure_and_says_how_many_went(monkeypatch):
    sent: list[list[int]] = []

    def delay(batch):
        if sent:
            raise ConnectionError("broker down")
        sent.append(batch)

    monkeypatch.setattr(grade_answers_task, "delay", delay)
    assert tasks.grading_enqueue(answer_ids=list(range(40))) == 15


@pytest.mark.django_db(transaction=True)
def test_batch_delivered_twice_to_the_worker_grades_each_answer_once(celery_worker_live):
    ids = submitted_answers(UserFactory(username="batch-twice"))
    grade_answers_task.delay(ids)
    grade_answers_task.delay(ids)
    wait_for(lambda: Grade.objects.filter(answer_id__in=ids, kind="keyword").count() >= 3)
    # A marker task queued behind the two: when it has run, both have.
    from config.celery import ping

    assert ping.delay("after").get(timeout=20) == "after"
    rows = keyword_rows(ids)
    assert all(len(r) == 1 and r[0].is_current for r in rows.values()), rows
