"""Writes for interview sessions: start, autosave, flag, submit and finalise.

The deadline lives in the database and every write checks it here, on the server.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import NotFound
from grading.tasks import answers_grade_after_commit
from interviews import drafts
from interviews.errors import (
    AnswerTooLong,
    DeadlinePassed,
    InterviewError,
    NoQuestions,
    SessionClosed,
)
from interviews.models import Answer, Session, SessionKind, SessionStatus
from interviews.selection import questions_pick
from interviews.signals import session_finished
from questionbank.models import Question
from questionbank.selectors import CONTENT_RELATIONS, question_snapshot

logger = logging.getLogger(__name__)

MIN_QUESTIONS, MAX_QUESTIONS = 3, 15


def _grace() -> timedelta:
    return timedelta(seconds=settings.DEADLINE_GRACE_SECONDS)


def default_time_limit_minutes(questions: list[Question]) -> int:
    return max(5, sum(q.suggested_minutes for q in questions))


@transaction.atomic
def session_create(
    *,
    candidate,
    title: str,
    questions: list[Question],
    time_limit_minutes: int,
    kind: str = SessionKind.PRACTICE,
    level: str = "",
    topic_slugs: list[str] | None = None,
    start_key: str | None = None,
    note: str = "",
    invitation=None,
    set_version=None,
) -> Session:
    """Create a session with one answer slot per question, each freezing its question."""
    now = timezone.now()
    session = Session.objects.create(
        kind=kind,
        candidate=candidate,
        title=title,
        level=level,
        topic_slugs=topic_slugs or [],
        start_key=start_key,
        started_at=now,
        deadline=now + timedelta(minutes=time_limit_minutes),
        note=note,
        invitation=invitation,
        set_version=set_version,
    )
    Answer.objects.bulk_create(
        Answer(session=session, position=i, question=q, kind=q.kind, snapshot=_as_shown(q))
        for i, q in enumerate(questions)
    )
    return session


def _as_shown(question: Question) -> dict:
    """The question's snapshot with its options in this session's own random order.

    The bank stores the right option first more often than not; shuffled per session,
    picking by position wins no more than chance. The order is frozen with the answer,
    so results and review show the options as the candidate saw them.
    """
    snapshot = question_snapshot(question)
    random.shuffle(snapshot["choices"])
    return snapshot


def session_start(
    *,
    candidate,
    level: str,
    topic_slugs: list[str],
    count: int,
    include_multiple_choice: bool,
    time_limit_minutes: int | None = None,
    start_key: str | None = None,
) -> Session:
    """Start a practice interview. A repeated ``start_key`` returns the same session."""
    if start_key:
        existing = Session.objects.filter(candidate=candidate, start_key=start_key).first()
        if existing:
            return existing
    count = max(MIN_QUESTIONS, min(MAX_QUESTIONS, count))
    picked = questions_pick(
        candidate=candidate,
        level=level,
        topic_slugs=topic_slugs,
        count=count,
        include_multiple_choice=include_multiple_choice,
    )
    if not picked.questions:
        raise NoQuestions()
    topics = sorted({q.topic.name for q in picked.questions})
    title = f"{level.title()} · {', '.join(topics) if len(topics) <= 3 else 'mixed topics'}"
    try:
        return session_create(
            candidate=candidate,
            title=title,
            questions=picked.questions,
            time_limit_minutes=time_limit_minutes or default_time_limit_minutes(picked.questions),
            level=level,
            topic_slugs=topic_slugs,
            start_key=start_key,
            note=picked.note,
        )
    except IntegrityError:
        # A double-click raced us to the same start_key: return the winner's session.
        existing = Session.objects.filter(candidate=candidate, start_key=start_key).first()
        if existing is None:  # the key is another candidate's (a forged or reused form)
            raise InterviewError("This form has expired; please start again.") from None
        return existing


def session_retry_question(*, candidate, question_id: int) -> Session:
    """A practice interview of one bank question, to try it again after its results."""
    question = (
        Question.objects.published()
        .in_bank()
        .select_related("topic")
        .prefetch_related(*CONTENT_RELATIONS)
        .filter(id=question_id)
        .first()
    )
    if question is None:
        raise NoQuestions("That question is no longer in the bank.")
    return session_create(
        candidate=candidate,
        title=f"Again · {question.title}",
        questions=[question],
        time_limit_minutes=default_time_limit_minutes([question]),
        level=question.level,
        topic_slugs=[question.topic.slug],
    )


@dataclass(frozen=True)
class SaveResult:
    saved_at: datetime
    deadline: datetime
    revision: int


def answer_save_draft(
    *,
    session_id: int,
    position: int,
    candidate_id: int | None = None,
    text: str | None = None,
    choice_index: int | None = None,
    seconds_spent: int = 0,
    pastes: int = 0,
    pasted_chars: int = 0,
    hidden: int = 0,
) -> SaveResult:
    """Store the latest draft of one answer, if the session is still open.

    With ``candidate_id`` the draft lands only in that candidate's session. Oversized
    text is refused and the previous draft kept. Integrity counters (paste events, page
    hidden) only ever add up.
    """
    now = timezone.now()
    if text is not None and len(text) > settings.ANSWER_MAX_CHARS:
        raise AnswerTooLong(settings.ANSWER_MAX_CHARS, len(text))
    written = drafts.write(
        session_id=session_id,
        position=position,
        candidate_id=candidate_id,
        now=now,
        open_after=now - _grace(),
        text=text,
        choice_index=choice_index,
        counters=drafts.Counters(
            seconds=max(0, min(seconds_spent, 3600)),
            pastes=max(0, min(pastes, 1000)),
            pasted_chars=max(0, min(pasted_chars, 10**6)),
            hidden=max(0, min(hidden, 1000)),
        ),
    )
    if written is None:
        _explain_refused_save(session_id=session_id, position=position, candidate_id=candidate_id)
    return SaveResult(saved_at=now, deadline=written.deadline, revision=written.revision)


def _explain_refused_save(*, session_id: int, position: int, candidate_id: int | None) -> NoReturn:
    """The write matched nothing: say why, and close a session whose time ran out."""
    session = Session.objects.filter(id=session_id).first()
    if session is None or candidate_id not in (None, session.candidate_id):
        raise NotFound("No such interview.")
    if not Answer.objects.filter(session_id=session_id, position=position).exists():
        raise NotFound("No such question.")
    if session.status != SessionStatus.IN_PROGRESS:
        raise SessionClosed(deadline=session.deadline)
    session_finalise(session_id=session_id, reason=SessionStatus.TIMED_OUT)
    raise DeadlinePassed(deadline=session.deadline)


def answer_toggle_flag(*, session: Session, position: int) -> bool:
    if session.status != SessionStatus.IN_PROGRESS:
        raise SessionClosed()
    answer = Answer.objects.filter(session_id=session.id, position=position).first()
    if answer is None:
        raise NotFound("No such question.")
    answer.flagged = not answer.flagged
    answer.save(update_fields=["flagged"])
    return answer.flagged


def session_submit(*, session: Session) -> Session:
    """Submit: idempotent (double-clicks, two tabs and refreshes give one submission)."""
    return session_finalise(session_id=session.id, reason=SessionStatus.SUBMITTED)


def session_finalise(*, session_id: int, reason: str) -> Session:
    """Close a session once; its last saved drafts become the final answers, then grade.

    After the deadline, a submit counts as timed out. Only the call that changes the
    status enqueues grading, so a session is graded once however often this runs.
    """
    now = timezone.now()
    with transaction.atomic():
        session = Session.objects.select_for_update().get(id=session_id)
        if session.status != SessionStatus.IN_PROGRESS:
            return session
        if reason == SessionStatus.SUBMITTED and now > session.deadline + _grace():
            reason = SessionStatus.TIMED_OUT
        session.status = reason
        session.finished_at = min(now, session.deadline + _grace())
        session.save(update_fields=["status", "finished_at"])
        answers = list(session.answers.all())
        answers_grade_after_commit(answers=answers)
        # inside the transaction, so what listens (hiring's invitation) commits with it
        session_finished.send(sender=Session, session=session)
    return session


def session_close_if_over(*, session: Session) -> Session:
    """Looking at a session whose time is up closes it (as timed out, answers graded);
    a session still within its time, or already closed, comes back as it is."""
    if session.is_open and timezone.now() > session.deadline:
        return session_finalise(session_id=session.id, reason=SessionStatus.TIMED_OUT)
    return session


def sessions_finalise_expired() -> int:
    """Sweep: close sessions whose candidate walked away, so they are graded anyway."""
    cutoff = timezone.now() - _grace()
    ids = list(
        Session.objects.filter(status=SessionStatus.IN_PROGRESS, deadline__lt=cutoff).values_list(
            "id", flat=True
        )[:500]
    )
    for session_id in ids:
        session_finalise(session_id=session_id, reason=SessionStatus.TIMED_OUT)
    return len(ids)
