"""The grading pipeline end to end: HTTP submit -> Redis -> real Celery worker -> grade rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grading import services
from grading.models import Grade
from grading.selectors import final_grade
from grading.services import GradeRefused
from grading.tasks import grade_answer_task, sweep_ungraded
from interviews import services as interview_services
from interviews.models import Session
from tests.factories import QuestionFactory, UserFactory, add_rubric
from tests.grading.conftest import wait_for
from tests.grading.fake_openai import Reply

GOOD = (
    "Repeating it leaves the same state as sending it once, so clients can safely retry. "
    "PUT and DELETE."
)


def make_session(candidate, n=2):
    for _ in range(n):
        add_rubric(QuestionFactory())
    return interview_services.session_start(
        candidate=candidate, level="junior", topic_slugs=[], count=3,
        include_multiple_choice=False,
    )  # fmt: skip


def keyword_grades(session):
    return Grade.objects.filter(answer__session=session, kind="keyword", is_current=True)


@pytest.mark.django_db(transaction=True)
def test_submit_over_http_is_graded_by_the_worker(celery_worker_live, client):
    user = UserFactory(username="pipeline")
    session = make_session(user)
    client.force_login(user)
    for position in range(session.answers.count()):
        client.post(
            reverse("interviews:save", args=[session.id, position]),
            {"text": GOOD},
            headers={"HX-Request": "true"},
        )
    client.post(reverse("interviews:submit", args=[session.id]))
    count = session.answers.count()
    wait_for(lambda: keyword_grades(session).count() == count)
    grade = keyword_grades(session).first()
    assert grade.score >= 80
    assert grade.grader_version and grade.rubric and grade.verdicts
    assert any(v["spans"] for v in grade.verdicts)


@pytest.mark.django_db(transaction=True)
def test_grading_twice_leaves_one_current_grade(celery_worker_live):
    session = make_session(UserFactory(username="twice"), n=1)
    interview_services.answer_save_draft(session_id=session.id, position=0, text=GOOD)
    Session.objects.filter(id=session.id).update(status="submitted", finished_at=timezone.now())
    answer = session.answers.first()
    grade_answer_task.delay(answer.id)
    grade_answer_task.delay(answer.id)
    wait_for(lambda: Grade.objects.filter(answer=answer).exists())
    # A third, marker task queued behind the two: when it has run, both have.
    from config.celery import ping

    assert ping.delay("after").get(timeout=20) == "after"
    assert Grade.objects.filter(answer=answer, kind="keyword").count() == 1


@pytest.mark.django_db(transaction=True)
def test_sweep_enqueues_answers_left_ungraded(celery_worker_live, settings):
    settings.GRADING_SWEEP_AFTER_SECONDS = 60
    session = make_session(UserFactory(username="swept"), n=1)
    interview_services.answer_save_draft(session_id=session.id, position=0, text=GOOD)
    # As if the broker was down when the session was submitted ten minutes ago.
    Session.objects.filter(id=session.id).update(
        status="submitted", finished_at=timezone.now() - timedelta(minutes=10)
    )
    assert services.ungraded_answer_ids(older_than_seconds=60)
    sweep_ungraded.delay()
    wait_for(lambda: keyword_grades(session).count() == session.answers.count())
    assert services.ungraded_answer_ids(older_than_seconds=60) == []


@pytest.mark.django_db
def test_human_override_wins_and_keeps_history(candidate):
    session = make_session(candidate, n=1)
    interview_services.answer_save_draft(session_id=session.id, position=0, text=GOOD)
    interview_services.session_submit(session=session)
    answer = session.answers.first()
    services.grade_answer(answer_id=answer.id)
    keyword = Grade.objects.get(answer=answer, kind="keyword")
    reviewer = UserFactory(username="reviewer")
    first = services.grade_override(answer=answer, reviewer=reviewer, score=40, comment="Too thin")
    second = services.grade_override(answer=answer, reviewer=reviewer, score=55, comment="Fairer")
    assert first.previous_score == keyword.score and second.previous_score == 40
    current = list(Grade.objects.filter(answer=answer, is_current=True))
    assert final_grade(current).score == 55
    history = Grade.objects.filter(answer=answer, kind="human").order_by("created_at")
    assert [(g.previous_score, g.score, g.reviewer_id) for g in history] == [
        (keyword.score, 40, reviewer.id),
        (40, 55, reviewer.id),
    ]
    with pytest.raises(GradeRefused, match="comment is required"):
        services.grade_override(answer=answer, reviewer=reviewer, score=10, comment=" ")


@pytest.mark.django_db
def test_llm_second_opinion_is_recorded_and_failures_keep_keyword(candidate, settings, fake_openai):
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.GRADING_LLM_MODEL = "scripted-model"
    settings.GRADING_LLM_MODE = "all"
    session = make_session(candidate, n=1)
    interview_services.answer_save_draft(session_id=session.id, position=0, text=GOOD)
    interview_services.session_submit(session=session)
    answer = session.answers.first()
    fake_openai.script(Reply.error(400))
    services.grade_answer(answer_id=answer.id)  # the keyword grade; the opinion is queued
    assert not Grade.objects.filter(answer=answer, kind="llm").exists()
    services.answer_second_opinion(answer_id=answer.id)  # the llm queue's task
    llm = Grade.objects.get(answer=answer, kind="llm")
    assert llm.score is None and llm.error == "api_error"
    assert llm.meta["model"] == "scripted-model"
    grades = list(Grade.objects.filter(answer=answer, is_current=True))
    assert final_grade(grades).kind == "keyword"
