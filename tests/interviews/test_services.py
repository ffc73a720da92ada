from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grading.models import Grade
from interviews import services
from interviews.errors import AnswerTooLong, DeadlinePassed, NoQuestions, SessionClosed
from interviews.models import Answer, Session, SessionStatus
from tests.factories import right_option

pytestmark = pytest.mark.django_db


def start(candidate, **kwargs):
    options = dict(level="junior", topic_slugs=[], count=4, include_multiple_choice=False)
    options.update(kwargs)
    return services.session_start(candidate=candidate, **options)


def test_start_picks_published_questions_of_the_level(bank, candidate):
    session = start(candidate, count=5)
    answers = list(session.answers.all())
    assert len(answers) == 5
    assert {a.snapshot["level"] for a in answers} == {"junior"}
    assert all(a.kind == "free_text" for a in answers)
    assert session.deadline - session.started_at == timedelta(minutes=5 * 4)


def test_start_with_the_same_key_creates_one_session(bank, candidate):
    first = start(candidate, start_key="same")
    second = start(candidate, start_key="same")
    assert first.id == second.id
    assert Session.objects.count() == 1


def test_topics_filter_and_multiple_choice(bank, candidate):
    session = start(candidate, topic_slugs=["caching"], count=15, include_multiple_choice=True)
    topics = {a.snapshot["topic"]["slug"] for a in session.answers.all()}
    kinds = {a.kind for a in session.answers.all()}
    assert topics == {"caching"} and kinds == {"free_text", "multiple_choice"}
    assert "Only 4 question(s) match" in session.note


def test_recent_questions_are_avoided_when_the_pool_allows(bank, candidate):
    first = start(candidate, count=3)
    second = start(candidate, count=3)
    seen = {a.question_id for a in first.answers.all()}
    assert seen.isdisjoint({a.question_id for a in second.answers.all()})
    third = start(candidate, count=3)
    assert "repeat from your last 14 days" in third.note


def test_no_questions_is_a_clear_error(bank, candidate):
    with pytest.raises(NoQuestions):
        start(candidate, level="senior")


def test_editing_the_bank_never_rewrites_what_was_asked(session):
    answer = session.answers.first()
    question = answer.question
    question.prompt = "Rewritten later"
    question.save()
    question.criteria.all().delete()
    answer.refresh_from_db()
    assert answer.snapshot["prompt"] != "Rewritten later"
    assert len(answer.snapshot["criteria"]) == 4


def test_save_draft_and_oversize_keeps_previous(session, settings):
    services.answer_save_draft(session_id=session.id, position=0, text="first draft")
    with pytest.raises(AnswerTooLong, match="limit is"):
        services.answer_save_draft(
            session_id=session.id, position=0, text="x" * (settings.ANSWER_MAX_CHARS + 1)
        )
    assert Answer.objects.get(session=session, position=0).saved_text == "first draft"


def test_integrity_counters_only_add_up(session):
    services.answer_save_draft(
        session_id=session.id, position=0, text="a", pastes=1, pasted_chars=40
    )
    services.answer_save_draft(session_id=session.id, position=0, text="ab", pastes=2, hidden=1)
    answer = Answer.objects.get(session=session, position=0)
    assert (answer.paste_count, answer.paste_chars, answer.hidden_count) == (3, 40, 1)


def test_saves_after_the_deadline_are_refused_and_drafts_become_final(session, settings):
    services.answer_save_draft(session_id=session.id, position=0, text="kept")
    Session.objects.filter(id=session.id).update(
        deadline=timezone.now() - timedelta(seconds=settings.DEADLINE_GRACE_SECONDS + 1)
    )
    session.refresh_from_db()
    with pytest.raises(DeadlinePassed):
        services.answer_save_draft(session_id=session.id, position=0, text="too late")
    session.refresh_from_db()
    assert session.status == SessionStatus.TIMED_OUT
    assert Answer.objects.get(session=session, position=0).saved_text == "kept"


def test_a_save_inside_the_grace_period_is_accepted(session):
    Session.objects.filter(id=session.id).update(deadline=timezone.now() - timedelta(seconds=2))
    session.refresh_from_db()
    services.answer_save_draft(session_id=session.id, position=0, text="in flight")
    assert Answer.objects.get(session=session, position=0).saved_text == "in flight"


def test_submit_is_idempotent_and_grades_once(
    session, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(
        "grading.tasks.grading_enqueue", lambda *, answer_ids: enqueued.append(answer_ids)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.session_submit(session=session)
        services.session_submit(session=session)
    session.refresh_from_db()
    assert session.status == SessionStatus.SUBMITTED
    assert len(enqueued) == 1 and len(enqueued[0]) == 4
    with pytest.raises(SessionClosed):
        services.answer_save_draft(session_id=session.id, position=0, text="after submit")


def test_multiple_choice_is_scored_at_once(bank, candidate):
    session = start(candidate, topic_slugs=["http-rest"], count=15, include_multiple_choice=True)
    mcq = session.answers.get(kind="multiple_choice")
    services.answer_save_draft(
        session_id=session.id, position=mcq.position, choice_index=right_option(mcq)
    )
    services.session_submit(session=session)
    grade = Grade.objects.get(answer=mcq)
    assert grade.kind == "choice" and grade.score == 100.0


def test_sweep_finalises_walked_away_sessions(session):
    Session.objects.filter(id=session.id).update(deadline=timezone.now() - timedelta(minutes=5))
    assert services.sessions_finalise_expired() == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.TIMED_OUT
    assert services.sessions_finalise_expired() == 0


def test_options_are_shuffled_per_session_and_frozen_with_the_answer(candidate, mcq_question):
    from grading.models import Grade
    from interviews.services import session_create, session_submit

    positions = set()
    for _ in range(40):
        session = session_create(
            candidate=candidate, title="t", questions=[mcq_question], time_limit_minutes=5
        )
        answer = session.answers.get()
        shown = [c["text"] for c in answer.snapshot["choices"]]
        assert sorted(shown) == sorted(c.text for c in mcq_question.choices.all())
        positions.add(next(i for i, c in enumerate(answer.snapshot["choices"]) if c["is_correct"]))
    assert len(positions) >= 3  # the right option is not always in the same place

    # Grading and results read the order the candidate saw.
    right = next(i for i, c in enumerate(answer.snapshot["choices"]) if c["is_correct"])
    answer.choice_index = right
    answer.save()
    session_submit(session=session)
    assert Grade.objects.get(answer=answer).score == 100
