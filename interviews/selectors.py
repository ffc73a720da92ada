"""Reads and access checks for interview sessions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from grading.highlight import evidence_segments, flag_sentences
from grading.models import Grade, GraderKind
from grading.selectors import final_grade
from interviews.models import Answer, Session, SessionKind, SessionStatus
from questionbank.models import Kind, Question
from questionbank.snapshot import SnapshotChoice

INVITED_SESSIONS_KEY = "viva_invited_sessions"


def session_get_for_request(*, request, session_id: int) -> Session:
    """The session if it belongs to this user (or this browser's invitation), else 404."""
    return _check_access(request, Session.objects.filter(id=session_id).first())


# The interview page's two reads, in SQL through ``Model.objects.raw``: the busiest
# page spent more CPU compiling the equivalent ORM query than running it (bench/README.md).
# Only the question on screen carries its snapshot (prompt, model answer, rubric): the
# navigator needs the other answers' states, not their questions, and each snapshot left
# behind is one large JSON document PostgreSQL need not send and Python need not decode.
# tests/interviews/test_drafts_schema.py ties the column names to the models.
SESSION_BY_ID = "SELECT * FROM {session} WHERE id = %s"
ANSWERS_OF_SESSION = (
    "SELECT {columns}, CASE WHEN position = %s THEN snapshot END AS snapshot"
    " FROM {answer} WHERE session_id = %s ORDER BY position"
)


def _answer_columns_but_snapshot() -> str:
    return ", ".join(
        field.column
        for field in Answer._meta.concrete_fields
        if field.column and field.name != "snapshot"
    )


def session_answers_for_request(
    *, request, session_id: int, question_shown: int | None = None
) -> tuple[Session, list[Answer]]:
    """The session and its answers in position order; 404 as above.

    Only the answer at ``question_shown`` (if any) has its ``snapshot``; the others'
    is None. A position past the end shows the last question, which then gets its own.
    """
    tables = {"session": Session._meta.db_table, "answer": Answer._meta.db_table}
    found = list(Session.objects.raw(SESSION_BY_ID.format(**tables), [session_id]))
    session = _check_access(request, found[0] if found else None)
    sql = ANSWERS_OF_SESSION.format(columns=_answer_columns_but_snapshot(), **tables)
    shown = -1 if question_shown is None else question_shown
    answers = list(Answer.objects.raw(sql, [shown, session_id]))
    if not answers:  # every session has answers; without any there is nothing to show
        raise Http404("No such interview.")
    for answer in answers:
        answer.session = session  # the relation, without another query
    return session, answers


def _check_access(request, session: Session | None) -> Session:
    if session is None:
        raise Http404("No such interview.")
    user = request.user
    owns = user.is_authenticated and session.candidate_id == user.id
    if not (owns or holds_invitation(request, session.id)):
        raise Http404("No such interview.")
    return session


def holds_invitation(request, session_id: int) -> bool:
    """Did this browser open the invitation that created the session?"""
    return session_id in request.session.get(INVITED_SESSIONS_KEY, [])


def session_writer_id(*, request, session_id: int) -> int | None:
    """Whose session this request may write to, without reading the session.

    The user's id (the write must match the session's candidate), or None when this
    browser holds the session's invitation. 404 when it can be neither.
    """
    if holds_invitation(request, session_id):
        return None
    if not request.user.is_authenticated:
        raise Http404("No such interview.")
    return request.user.id


def invited_from(session: Session):
    """The interview set (with its team) an invited session was taken from, else None.

    Read through the session's own relation, so interviews never imports hiring."""
    if session.invitation_id is None:
        return None
    invited = Session.objects.select_related("invitation__interview_set__team").get(id=session.id)
    return invited.invitation.interview_set if invited.invitation else None


def answers_with_grades(session: Session) -> list[Answer]:
    return list(
        session.answers.order_by("position").prefetch_related(
            Prefetch("grades", queryset=Grade.objects.filter(is_current=True))
        )
    )


@dataclass
class AnswerResult:
    answer: Answer
    grade: Grade | None
    keyword: Grade | None
    llm: Grade | None

    @property
    def pending(self) -> bool:
        return self.grade is None

    @property
    def segments(self):
        if not self.keyword:
            return evidence_segments(self.answer.saved_text, [])
        verdicts = [{**v, "ref": f"c{i}"} for i, v in enumerate(self.keyword.verdicts)]
        claims = [
            {**m, "verdict": "misconception", "label": f"Wrong claim: {m['claim']}", "ref": f"m{i}"}
            for i, m in enumerate(self.keyword.misconceptions)
        ]
        return evidence_segments(self.answer.saved_text, [*claims, *verdicts])

    @property
    def full_marks_note(self) -> str:
        """Why 100 although an idea was missed: the rubric counts weight, not ideas."""
        if not self.keyword or self.keyword.score is None or self.keyword.score < 100:
            return ""
        if all(v["verdict"] == "met" for v in self.keyword.verdicts):
            return ""
        return (
            "Full marks although not every idea was found: the ideas you covered carry at "
            "least 90% of the rubric's weight, which earns 100."
        )

    @property
    def grader_notes(self) -> list[str]:
        return flag_sentences(self.keyword.flags) if self.keyword else []

    @property
    def chosen(self) -> SnapshotChoice | None:
        choices = self.answer.asked.choices
        index = self.answer.choice_index
        return choices[index] if index is not None and 0 <= index < len(choices) else None


def results_for(answers: list[Answer]) -> list[AnswerResult]:
    out = []
    for answer in answers:
        grades = list(answer.grades.all())
        by_kind = {g.kind: g for g in grades}
        out.append(
            AnswerResult(
                answer=answer,
                grade=final_grade(grades),
                keyword=by_kind.get(GraderKind.KEYWORD),
                llm=by_kind.get(GraderKind.LLM),
            )
        )
    return out


@dataclass(frozen=True)
class ResultsSummary:
    """The top of a results page: the ideas that went best and worst, what to study."""

    strongest: list[str]
    weakest: list[str]
    wrong_claims: list[str]
    study: list[AnswerResult]  # the lowest-scored questions, lowest first


def results_summary(results: list[AnswerResult], *, limit: int = 3) -> ResultsSummary:
    met: list[str] = []
    missed: list[str] = []
    wrong: list[str] = []
    for r in results:
        if not r.keyword:
            continue
        for v in r.keyword.verdicts:
            (met if v["verdict"] == "met" else missed).append(v["label"])
        wrong += [m["claim"] for m in r.keyword.misconceptions]
    scored = [(r.grade.score, r) for r in results if r.grade and r.grade.score is not None]
    study = [r for score, r in sorted(scored, key=lambda pair: pair[0]) if score < 70]
    return ResultsSummary(
        strongest=list(dict.fromkeys(met))[:limit],
        weakest=list(dict.fromkeys(missed))[:limit],
        wrong_claims=list(dict.fromkeys(wrong)),
        study=study[:limit],
    )


@dataclass(frozen=True)
class WeakestPlan:
    """What "practise my weakest topics" starts: the two lowest-scoring topics, at the
    level the candidate has practised most."""

    level: str
    topic_slugs: list[str]
    topic_names: list[str]
    count: int = 5


def weakest_plan(*, progress: Progress) -> WeakestPlan | None:
    if not progress.by_topic:
        return None
    weakest = progress.by_topic[:2]
    level = max(progress.by_level, key=lambda row: row[2])[0] if progress.by_level else "mid"
    return WeakestPlan(
        level=level,
        topic_slugs=[slug for slug, _name, _avg, _n in weakest],
        topic_names=[name for _slug, name, _avg, _n in weakest],
    )


def multiple_choice_counts() -> dict[str, int]:
    """Published bank multiple-choice questions per level (one query)."""
    rows = (
        Question.objects.published()
        .in_bank()
        .filter(kind=Kind.MULTIPLE_CHOICE)
        .values_list("level")
        .annotate(n=Count("id"))
    )
    return {level: n for level, n in rows}


def overall_score(results: list[AnswerResult]) -> float | None:
    scores = [r.grade.score for r in results if r.grade and r.grade.score is not None]
    if not scores or len(scores) < len(results):
        return None
    return round(mean(scores), 1)


@dataclass
class Progress:
    sessions: list[tuple[Session, float | None]] = field(default_factory=list)
    by_topic: list[tuple[str, str, float, int]] = field(default_factory=list)
    by_level: list[tuple[str, float, int]] = field(default_factory=list)

    @property
    def trend(self) -> list[tuple[Session, float]]:
        return [(s, score) for s, score in reversed(self.sessions) if score is not None]


@dataclass(frozen=True)
class OpenInterview:
    """An interview the candidate can go back to: "n of N answered, mm:ss left"."""

    session: Session
    answered: int
    total: int
    seconds_left: int

    @property
    def time_left(self) -> str:
        minutes, seconds = divmod(max(0, self.seconds_left), 60)
        return f"{minutes}:{seconds:02d}"


def open_interview_for(*, user) -> OpenInterview | None:
    """The candidate's latest interview still running (one query), or None."""
    if not user.is_authenticated:
        return None
    now = timezone.now()
    session = (
        Session.objects.filter(candidate=user, status=SessionStatus.IN_PROGRESS, deadline__gt=now)
        .annotate(
            total=Count("answers"),
            answered=Count(
                "answers",
                filter=~Q(answers__saved_text="") | Q(answers__choice_index__isnull=False),
            ),
        )
        .order_by("-started_at")
        .first()
    )
    if session is None:
        return None
    return OpenInterview(
        session=session,
        answered=session.answered,
        total=session.total,
        seconds_left=int((session.deadline - now).total_seconds()),
    )


def candidate_progress(*, user, limit: int = 50) -> Progress:
    """Past sessions with scores, and averages per topic and level (fixed query count)."""
    sessions = list(
        Session.objects.filter(candidate=user, kind=SessionKind.PRACTICE)
        .exclude(status=SessionStatus.IN_PROGRESS)
        .order_by("-started_at")[:limit]
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.order_by("position").prefetch_related(
                    Prefetch("grades", queryset=Grade.objects.filter(is_current=True))
                ),
            )
        )
    )
    progress = Progress()
    topic_scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    level_scores: dict[str, list[float]] = defaultdict(list)
    for session in sessions:
        results = results_for(list(session.answers.all()))
        progress.sessions.append((session, overall_score(results)))
        for result in results:
            if result.grade is None or result.grade.score is None:
                continue
            topic = result.answer.asked.topic
            topic_scores[(topic.slug, topic.name or "Other")].append(result.grade.score)
            level_scores[result.answer.asked.level].append(result.grade.score)
    progress.by_topic = sorted(
        ((slug, name, round(mean(v), 1), len(v)) for (slug, name), v in topic_scores.items()),
        key=lambda row: row[2],
    )
    progress.by_level = [
        (level, round(mean(level_scores[level]), 1), len(level_scores[level]))
        for level in ("junior", "mid", "senior")
        if level_scores.get(level)
    ]
    return progress
