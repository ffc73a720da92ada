"""Reads and access checks for hiring teams.

Every lookup of a team's object goes through a ``*_for_member`` selector that resolves
the object and the user's role in one query, and raises ``Http404`` for non-members:
a team's sets, invitations, candidates and results are invisible to everyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac

from grading.models import Grade, GraderKind
from grading.selectors import final_grade
from hiring.models import (
    BlindReview,
    InterviewSet,
    InterviewSetItem,
    Invitation,
    InvitationStatus,
    Membership,
    Team,
)
from hiring.permissions import Access
from hiring.scorecards import CandidateCards, Reader, cards_for_set
from interviews.models import Answer, Session
from interviews.selectors import AnswerResult, overall_score, results_for
from questionbank.models import Question, Status

BANK_PAGE = 25
STATUS_FILTERS = ("pending", "opened", "started", "completed", "expired", "revoked")

HUMAN_HISTORY = "human_history"  # each answer's human overrides, oldest first
NOT_ASKED = ""  # a ranking cell for a question this candidate was not asked


def _role_of(user, team_ref: str) -> Subquery:
    return Subquery(
        Membership.objects.filter(team_id=OuterRef(team_ref), user_id=user.id).values("role")[:1]
    )


# --------------------------------------------------------------------------- access
IN_A_TEAM_SECONDS = 300


def in_a_team_key(user_id: int) -> str:
    return f"hiring:in-a-team:{user_id}"


def user_in_a_team(*, user_id: int) -> bool:
    """Does the user belong to a team? Every page's header asks, so the answer is kept in
    the cache; a membership saved or deleted drops it (hiring/receivers.py)."""
    return bool(
        cache.get_or_set(
            in_a_team_key(user_id),
            lambda: Membership.objects.filter(user_id=user_id).exists(),
            IN_A_TEAM_SECONDS,
        )
    )


def memberships_for_user(*, user) -> list[Membership]:
    return list(Membership.objects.filter(user=user).select_related("team").order_by("team__name"))


def team_for_member(*, user, slug: str) -> Access:
    membership = (
        Membership.objects.select_related("team").filter(user_id=user.id, team__slug=slug).first()
    )
    if membership is None:
        raise Http404("No such team.")
    return Access(team=membership.team, role=membership.role)


def team_owned_for_member(model, *, user, object_id: int, missing: str):
    """A row with a ``team`` foreign key, and the user's access to that team, in one
    query; 404 (saying ``missing``) when it does not exist or the user is not a member."""
    found = (
        model.objects.select_related("team")
        .annotate(member_role=_role_of(user, "team_id"))
        .filter(id=object_id, member_role__isnull=False)
        .first()
    )
    if found is None:
        raise Http404(missing)
    return found, Access(team=found.team, role=found.member_role)


def set_for_member(*, user, set_id: int) -> tuple[InterviewSet, Access]:
    return team_owned_for_member(
        InterviewSet, user=user, object_id=set_id, missing="No such interview set."
    )


def invitation_for_member(*, user, invitation_id: int) -> tuple[Invitation, Access]:
    invitation = (
        Invitation.objects.select_related("interview_set__team", "session__set_version")
        .annotate(member_role=_role_of(user, "interview_set__team_id"))
        .filter(id=invitation_id, member_role__isnull=False)
        .first()
    )
    if invitation is None:
        raise Http404("No such candidate.")
    return invitation, Access(team=invitation.interview_set.team, role=invitation.member_role)


def private_question_for_member(*, user, question_id: int) -> tuple[Question, Access]:
    # No prefetch: for one question it costs the same queries the edit page makes on
    # first use, and retiring needs neither criteria nor choices.
    question = (
        Question.objects.select_related("team", "topic")
        .annotate(member_role=_role_of(user, "team_id"))
        .filter(id=question_id, team__isnull=False, member_role__isnull=False)
        .first()
    )
    if question is None or question.team is None:
        raise Http404("No such question.")
    return question, Access(team=question.team, role=question.member_role)


def membership_in_team(*, team: Team, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user").filter(id=membership_id, team=team).first()
    )
    if membership is None:
        raise Http404("No such member.")
    return membership


def answer_of_invitation(*, invitation: Invitation, answer_id: int) -> Answer:
    answer = Answer.objects.filter(id=answer_id, session__invitation_id=invitation.id).first()
    if answer is None:
        raise Http404("No such answer.")
    return answer


def candidate_answers(*, invitation: Invitation) -> list[Answer]:
    """The candidate's answers in the order asked (none before they start)."""
    return list(Answer.objects.filter(session__invitation_id=invitation.id).order_by("position"))


# --------------------------------------------------------------------------- team pages
def team_members(*, team: Team) -> list[Membership]:
    return list(team.memberships.select_related("user").order_by("role", "user__username"))


def team_sets(*, team: Team) -> list[InterviewSet]:
    return list(
        team.interview_sets.annotate(
            question_count=Count("items", distinct=True),
            invitation_count=Count("invitations", distinct=True),
            completed_count=Count(
                "invitations",
                filter=Q(invitations__status=InvitationStatus.COMPLETED),
                distinct=True,
            ),
        ).order_by("-updated_at")
    )


def team_private_questions(*, team: Team) -> list[Question]:
    return list(Question.objects.filter(team=team).select_related("topic").order_by("-updated_at"))


# --------------------------------------------------------------------------- builder
def question_by_id(raw_id: str) -> Question | None:
    """Any question by id; whether this team may use it is the service's rule."""
    try:
        return Question.objects.filter(id=int(raw_id)).first()
    except (TypeError, ValueError):
        return None


def set_items(*, interview_set: InterviewSet) -> list[InterviewSetItem]:
    return list(interview_set.items.select_related("question__topic").order_by("position", "id"))


@dataclass(frozen=True)
class BankFilter:
    q: str = ""
    level: str = ""
    topic: str = ""
    kind: str = ""
    source: str = ""  # "", "bank" or "team"
    page: int = 1

    def as_params(self) -> dict[str, str]:
        """The query string for these results (page 1 is left out, as the default)."""
        return {k: str(v) for k, v in self.__dict__.items() if v and (k, v) != ("page", 1)}

    def query(self, **changes) -> str:
        return urlencode(replace(self, **changes).as_params())


@dataclass(frozen=True)
class BankPage:
    page: Page  # Django's page of questions
    search: BankFilter  # with the page actually shown

    @property
    def questions(self) -> list[Question]:
        return list(self.page.object_list)

    @property
    def total(self) -> int:
        return self.page.paginator.count

    @property
    def first(self) -> int:  # 1-based position of the first question shown
        return self.page.start_index()

    @property
    def last(self) -> int:
        return self.page.end_index()

    @property
    def previous_query(self) -> str | None:
        if not self.page.has_previous():
            return None
        return self.search.query(page=self.page.previous_page_number())

    @property
    def next_query(self) -> str | None:
        return (
            self.search.query(page=self.page.next_page_number()) if self.page.has_next() else None
        )


def bank_search(*, team: Team, search: BankFilter) -> BankPage:
    """Published bank questions plus the team's own, filtered, one page of them.

    A page past the end shows the last page (the results shrank since the link was made).
    """
    queryset = Question.objects.filter(
        Q(team__isnull=True, status=Status.PUBLISHED) | (Q(team=team) & ~Q(status=Status.RETIRED))
    )
    if search.source == "bank":
        queryset = queryset.filter(team__isnull=True)
    elif search.source == "team":
        queryset = queryset.filter(team=team)
    if search.level:
        queryset = queryset.filter(level=search.level)
    if search.topic:
        queryset = queryset.filter(topic__slug=search.topic)
    if search.kind:
        queryset = queryset.filter(kind=search.kind)
    for word in search.q.split()[:6]:
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(prompt__icontains=word)
            | Q(slug__icontains=word)
            | Q(tags__name__icontains=word)
        )
    ordered = (
        queryset.distinct().select_related("topic").order_by("topic__name", "level", "title", "id")
    )
    page = Paginator(ordered, BANK_PAGE).get_page(search.page)
    return BankPage(page=page, search=replace(search, page=page.number))


# --------------------------------------------------------------------------- invitations
def _status_q(status: str) -> Q:
    now = timezone.now()
    if status == InvitationStatus.PENDING:
        return Q(status=InvitationStatus.PENDING, expires_at__gt=now, opened_at__isnull=True)
    if status == InvitationStatus.OPENED:
        return Q(status=InvitationStatus.PENDING, expires_at__gt=now, opened_at__isnull=False)
    if status == InvitationStatus.EXPIRED:
        return Q(status=InvitationStatus.EXPIRED) | Q(
            status=InvitationStatus.PENDING, expires_at__lte=now
        )
    return Q(status=status)


def set_invitations(
    *, interview_set: InterviewSet, status: str = "", blind_for=None
) -> list[Invitation]:
    """The set's invitations, newest first. With ``blind_for`` (a reviewer reviewing the
    set blind), each carries the name and email that reviewer may see."""
    queryset = interview_set.invitations.select_related("session", "created_by")
    if status in STATUS_FILTERS:
        queryset = queryset.filter(_status_q(status))
    invitations = list(queryset.order_by("-created_at", "-id"))
    return invitations_as_seen(invitations, reviewer=blind_for)


def blinded_ids(*, reviewer, invitations: list[Invitation]) -> set[int]:
    """The invitations whose candidate ``reviewer`` may not yet see by name: in a set they
    review blind, not yet scored by them."""
    blind = blind_set_ids(reviewer=reviewer, set_ids={i.interview_set_id for i in invitations})
    if not blind:
        return set()
    revealed = invitations_scored_by(reviewer=reviewer, set_ids=sorted(blind))
    return {i.id for i in invitations if i.interview_set_id in blind and i.id not in revealed}


def invitations_as_seen(invitations: list[Invitation], *, reviewer=None) -> list[Invitation]:
    """Set ``shown_name`` and ``shown_email`` on each invitation: pseudonym and no email
    for a ``reviewer`` reviewing blind who has not yet scored that candidate."""
    hidden = blinded_ids(reviewer=reviewer, invitations=invitations) if reviewer else set()
    for invitation in invitations:
        blinded = invitation.id in hidden
        invitation.shown_name = candidate_name(invitation, blinded=blinded)  # type: ignore[attr-defined]
        invitation.shown_email = "" if blinded else invitation.email  # type: ignore[attr-defined]
    return invitations


def blind_set_ids(*, reviewer, set_ids) -> set[int]:
    """Which of these sets the reviewer has chosen to review blind."""
    return set(
        BlindReview.objects.filter(user=reviewer, interview_set_id__in=list(set_ids)).values_list(
            "interview_set_id", flat=True
        )
    )


def blind_code(invitation: Invitation) -> str:
    """A stable pseudonym that says nothing about the candidate or invitation order."""
    digest = salted_hmac("viva.hiring.blind", str(invitation.id), algorithm="sha256").hexdigest()
    return digest[:6].upper()


def candidate_name(invitation: Invitation, *, blinded: bool = False) -> str:
    """How a reviewer sees the candidate: a pseudonym while they review blind."""
    pseudonym = f"Candidate {blind_code(invitation)}"
    if blinded:
        return pseudonym
    return invitation.name or invitation.email or pseudonym


def invitations_scored_by(*, reviewer, set_ids: list[int]) -> set[int]:
    """Candidates this reviewer has scored (overridden or confirmed any answer): one query."""
    if not set_ids:
        return set()
    return set(
        Grade.objects.filter(
            kind=GraderKind.HUMAN,
            reviewer_id=reviewer.id,
            answer__session__invitation__interview_set_id__in=set_ids,
        )
        .order_by()
        .values_list("answer__session__invitation_id", flat=True)
        .distinct()
    )


# --------------------------------------------------------------------------- ranking
@dataclass(frozen=True)
class Column:
    question_id: int
    title: str
    label: str


@dataclass
class CandidateRow:
    invitation: Invitation
    session: Session | None
    results: list[AnswerResult]
    status: str
    score: float | None
    # per column: the score, None while grading, NOT_ASKED when not in this candidate's version
    cells: list[float | str | None] = field(default_factory=list)
    rank: int | None = None
    name: str = ""
    email: str = ""
    blinded: bool = False
    graded: int = 0
    needs_review: int = 0
    hidden_count: int = 0
    paste_count: int = 0
    paste_chars: int = 0
    seconds: int = 0
    reviews: CandidateCards = field(default_factory=CandidateCards)

    @property
    def finished_at(self) -> datetime | None:
        return self.session.finished_at if self.session else None

    @property
    def version_number(self) -> int | None:
        version = self.session.set_version if self.session else None
        return version.number if version else None

    @property
    def pending_grades(self) -> int:
        return len(self.results) - self.graded


@dataclass
class Ranking:
    interview_set: InterviewSet
    columns: list[Column]
    rows: list[CandidateRow]
    status: str
    sort: RankingSort | None = None
    blind: bool = False

    def _link(self, key: str) -> SortLink:
        param = self.sort.link(key) if self.sort else sort_first_param(key)
        params = {"status": self.status, "sort": param}
        return SortLink(
            query=urlencode({k: v for k, v in params.items() if v}),
            aria=self.sort.aria(key) if self.sort else "",
        )

    @property
    def sort_links(self) -> dict[str, SortLink]:
        """Each sortable header's link and aria-sort value ("" when not the sorted one)."""
        keys = [k for k in _SORTS if not (k == "name" and self.blind)]
        return {key: self._link(key) for key in keys}

    @property
    def question_headers(self) -> list[tuple[Column, SortLink]]:
        return [(c, self._link(f"q{c.question_id}")) for c in self.columns]

    @property
    def default_query(self) -> str:
        return urlencode({"status": self.status} if self.status else {})


@dataclass(frozen=True)
class SortLink:
    query: str
    aria: str


def answers_prefetch(lookup: str = "session__answers") -> Prefetch:
    return Prefetch(
        lookup,
        queryset=Answer.objects.order_by("position").prefetch_related(
            Prefetch("grades", queryset=Grade.objects.filter(is_current=True))
        ),
    )


def candidate_results(invitation: Invitation) -> tuple[list[AnswerResult], float | None]:
    """The candidate's answers with their final grades, and the overall score (None until
    there is one). Expects ``answers_prefetch()``."""
    session = getattr(invitation, "session", None)
    results = results_for(list(session.answers.all()) if session else [])
    return results, overall_score(results) if results else None


def set_ranking(
    *,
    interview_set: InterviewSet,
    status: str = "",
    blind_for=None,
    reader: Reader | None = None,
    sort: str = "",
) -> Ranking:
    """Candidates ranked by final score (derived per answer with final_grade).

    A fixed number of queries whatever the number of candidates. With ``blind_for``
    (a reviewer), names stay hidden until that reviewer has scored the candidate. With
    ``reader``, each row carries the submitted scorecards that reader may see. ``sort``
    (see ``ranking_sort``) reorders the rows; ranks stay those of the final score.
    """
    queryset = interview_set.invitations.select_related("session__set_version").prefetch_related(
        answers_prefetch()
    )
    if status in STATUS_FILTERS:
        queryset = queryset.filter(_status_q(status))
    invitations = list(queryset.order_by("created_at", "id"))
    revealed = (
        invitations_scored_by(reviewer=blind_for, set_ids=[interview_set.id])
        if blind_for is not None
        else None
    )

    columns = _columns(interview_set=interview_set, invitations=invitations)
    reviews = (
        cards_for_set(invitation_ids=[i.id for i in invitations], reader=reader)
        if reader is not None
        else {}
    )
    rows = []
    for invitation in invitations:
        session = getattr(invitation, "session", None)
        results, score = candidate_results(invitation)
        answers = [r.answer for r in results]
        by_question: dict[int | None, float | str | None] = {
            r.answer.asked.id: r.grade.score if r.grade else None for r in results
        }
        blinded = revealed is not None and invitation.id not in revealed
        row = CandidateRow(
            invitation=invitation,
            session=session,
            results=results,
            status=invitation.effective_status,
            score=score,
            cells=[by_question.get(c.question_id, NOT_ASKED) for c in columns],
            name=candidate_name(invitation, blinded=blinded),
            email="" if blinded else invitation.email,
            blinded=blinded,
            graded=sum(1 for r in results if r.grade is not None),
            needs_review=sum(1 for r in results if _needs_review(r)),
            hidden_count=sum(a.hidden_count for a in answers),
            paste_count=sum(a.paste_count for a in answers),
            paste_chars=sum(a.paste_chars for a in answers),
            seconds=sum(a.time_spent_seconds for a in answers),
            reviews=reviews.get(invitation.id, CandidateCards()),
        )
        rows.append(row)
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.invitation.created_at))
    _assign_ranks(rows)
    chosen = ranking_sort(sort, columns=columns, blind=blind_for is not None)
    if chosen is not None:
        rows = chosen.apply(rows)
    return Ranking(
        interview_set=interview_set,
        columns=columns,
        rows=rows,
        status=status,
        sort=chosen,
        blind=blind_for is not None,
    )


# Statuses in the order a candidate moves through them, then the ones that ended early.
_STATUS_ORDER: list[str] = [
    InvitationStatus.COMPLETED,
    InvitationStatus.STARTED,
    InvitationStatus.OPENED,
    InvitationStatus.PENDING,
    InvitationStatus.EXPIRED,
    InvitationStatus.REVOKED,
]

# The ranking's sortable columns: key -> (the value a row sorts by, None sorting last;
# whether the first click sorts descending).
_SORTS: dict[str, tuple[Callable[[CandidateRow], Any], bool]] = {
    "name": (lambda r: r.name.casefold(), False),
    "score": (lambda r: r.score, True),
    "combined": (lambda r: r.reviews.combined, True),
    "recommendations": (
        lambda r: (r.reviews.hire_votes, -r.reviews.no_hire_votes) if r.reviews.cards else None,
        True,
    ),
    "status": (lambda r: _STATUS_ORDER.index(r.status), False),
    "needs_review": (lambda r: r.needs_review, True),
    "submitted": (lambda r: r.finished_at, True),
}


@dataclass(frozen=True)
class RankingSort:
    key: str  # a _SORTS key or "q<question id>"
    descending: bool
    column_index: int | None = None  # for a question's column

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def _value(self, row: CandidateRow):
        if self.column_index is None:
            return _SORTS[self.key][0](row)
        cell = row.cells[self.column_index]
        return cell if isinstance(cell, float | int) else None

    def apply(self, rows: list[CandidateRow]) -> list[CandidateRow]:
        """Rows with a value in the chosen order (ties keep the rank order), then the rest."""
        valued = [(self._value(r), r) for r in rows]
        with_value = [pair for pair in valued if pair[0] is not None]
        with_value.sort(key=lambda pair: pair[0], reverse=self.descending)
        return [r for _v, r in with_value] + [r for v, r in valued if v is None]

    def link(self, key: str) -> str:
        """The sort parameter a column header links to: the other direction if this
        column is the one sorted, else the column's natural first direction."""
        if key == self.key:
            return key if self.descending else f"-{key}"
        return sort_first_param(key)

    def aria(self, key: str) -> str:
        if key != self.key:
            return ""
        return "descending" if self.descending else "ascending"


def sort_first_param(key: str) -> str:
    descending = _SORTS[key][1] if key in _SORTS else True
    return f"-{key}" if descending else key


def ranking_sort(raw: str, *, columns: list[Column], blind: bool) -> RankingSort | None:
    """Parse ``?sort=``: a column key, "-" first for descending. Anything unknown (or
    the name while reviewing blind) means the default order: by rank."""
    raw = (raw or "")[:20]
    descending = raw.startswith("-")
    key = raw.removeprefix("-")
    question_keys = {f"q{c.question_id}": i for i, c in enumerate(columns)}
    if key not in _SORTS and key not in question_keys:
        return None
    if key == "name" and blind:
        return None
    return RankingSort(key=key, descending=descending, column_index=question_keys.get(key))


def _assign_ranks(rows: list[CandidateRow]) -> None:
    """Competition ranking (1, 2, 2, 4) over candidates with a final score."""
    previous, rank = None, 0
    for index, row in enumerate(rows, start=1):
        if row.score is None:
            break
        if row.score != previous:
            rank, previous = index, row.score
        row.rank = rank


def _needs_review(result: AnswerResult) -> bool:
    grades = list(result.answer.grades.all())
    if any(g.kind == GraderKind.HUMAN for g in grades):
        return False
    return any(g.needs_review for g in grades)


def _columns(*, interview_set: InterviewSet, invitations: list[Invitation]) -> list[Column]:
    """The set's current questions in order, then questions only older versions asked."""
    seen: dict[int, str] = {}
    for item in interview_set.items.select_related("question").order_by("position", "id"):
        seen.setdefault(item.question_id, item.question.title)
    for invitation in invitations:
        session = getattr(invitation, "session", None)
        for answer in session.answers.all() if session else []:
            question_id = answer.asked.id
            if question_id is not None:
                seen.setdefault(question_id, answer.asked.title)
    return [
        Column(question_id=qid, title=title, label=f"Q{i}")
        for i, (qid, title) in enumerate(seen.items(), start=1)
    ]


# --------------------------------------------------------------------------- one candidate
@dataclass
class ReviewItem:
    result: AnswerResult
    history: list[Grade]
    needs_review: bool


@dataclass
class CandidateReview:
    invitation: Invitation
    session: Session | None
    items: list[ReviewItem]
    score: float | None

    @property
    def results(self) -> list[AnswerResult]:
        return [item.result for item in self.items]


def _review_prefetches() -> tuple[Prefetch, Prefetch]:
    """Current grades, and every human override with its reviewer (the audit trail)."""
    return (
        Prefetch("grades", queryset=Grade.objects.filter(is_current=True)),
        Prefetch(
            "grades",
            queryset=Grade.objects.filter(kind=GraderKind.HUMAN)
            .select_related("reviewer")
            .order_by("created_at", "id"),
            to_attr=HUMAN_HISTORY,
        ),
    )


def candidate_review(*, invitation: Invitation) -> CandidateReview:
    """One candidate's answers, current grades and the human audit trail of each."""
    session = getattr(invitation, "session", None)
    items: list[ReviewItem] = []
    if session is not None:
        answers = list(
            session.answers.order_by("position").prefetch_related(
                *_review_prefetches(),
            )
        )
        for result in results_for(answers):
            items.append(
                ReviewItem(
                    result=result,
                    history=getattr(result.answer, HUMAN_HISTORY),
                    needs_review=_needs_review(result),
                )
            )
    results = [item.result for item in items]
    return CandidateReview(
        invitation=invitation,
        session=session,
        items=items,
        score=overall_score(results) if results else None,
    )


def review_item(*, answer: Answer) -> ReviewItem:
    """One answer re-read after an override (for the htmx swap)."""
    answer = (
        Answer.objects.filter(id=answer.id)
        .prefetch_related(
            *_review_prefetches(),
        )
        .get()
    )
    result = results_for([answer])[0]
    return ReviewItem(
        result=result, history=getattr(answer, HUMAN_HISTORY), needs_review=_needs_review(result)
    )


# --------------------------------------------------------------------------- review queue
@dataclass(frozen=True)
class QueueRow:
    answer: Answer
    invitation: Invitation
    name: str  # a pseudonym when this reviewer reviews the set blind
    grades: list[Grade]


def review_queue_rows(*, team: Team, reviewer) -> list[QueueRow]:
    """The review queue as this reviewer sees it."""
    answers = [a for a in review_queue(team=team) if a.session.invitation is not None]
    invitations = [a.session.invitation for a in answers if a.session.invitation]
    hidden = blinded_ids(reviewer=reviewer, invitations=invitations)
    return [
        QueueRow(
            answer=answer,
            invitation=invitation,
            name=candidate_name(invitation, blinded=invitation.id in hidden),
            grades=list(answer.grades.all()),
        )
        for answer, invitation in zip(answers, invitations, strict=True)
    ]


def review_queue(*, team: Team, limit: int = 200) -> QuerySet[Answer]:
    """Answers in the team's interviews that a grader flagged and no human has scored yet."""
    flagged = Grade.objects.filter(answer=OuterRef("pk"), is_current=True, needs_review=True)
    human = Grade.objects.filter(answer=OuterRef("pk"), is_current=True, kind=GraderKind.HUMAN)
    return (
        Answer.objects.filter(session__invitation__interview_set__team=team)
        .filter(Exists(flagged))
        .exclude(Exists(human))
        .select_related("session__invitation__interview_set")
        .prefetch_related(Prefetch("grades", queryset=Grade.objects.filter(is_current=True)))
        .order_by("session__finished_at", "position")[:limit]
    )


# --------------------------------------------------------------------------- side by side
@dataclass(frozen=True)
class SideBySideRow:
    row: CandidateRow  # the candidate's ranking row (label respecting blind review)
    result: AnswerResult | None  # None: this candidate was not asked the question
    needs_review: bool

    @property
    def machine(self) -> Grade | None:
        """The machine's grade, whether or not a human has since overridden it."""
        if self.result is None:
            return None
        return final_grade(g for g in self.result.answer.grades.all() if g.kind != GraderKind.HUMAN)

    @property
    def source(self) -> str:
        return grade_source(self.result)


@dataclass(frozen=True)
class SideBySide:
    interview_set: InterviewSet
    column: Column
    columns: list[Column]
    rows: list[SideBySideRow]


def grade_source(result: AnswerResult | None) -> str:
    """Where an answer's final grade came from: "human", "machine", or "" (none yet)."""
    if result is None or result.grade is None:
        return ""
    return "human" if result.grade.kind == GraderKind.HUMAN else "machine"


def question_side_by_side(
    *, interview_set: InterviewSet, question_id: int, blind_for=None
) -> SideBySide:
    """Every candidate's answer to one question of the set, in ranking order.

    Built on ``set_ranking``, so blind review and "needs review" mean the same here.
    """
    ranking = set_ranking(interview_set=interview_set, blind_for=blind_for)
    column = next((c for c in ranking.columns if c.question_id == question_id), None)
    if column is None:
        raise Http404("No such question in this set.")
    rows = []
    for row in ranking.rows:
        if row.session is None:
            continue
        result = next((r for r in row.results if r.answer.asked.id == question_id), None)
        rows.append(
            SideBySideRow(
                row=row,
                result=result,
                needs_review=result is not None and _needs_review(result),
            )
        )
    return SideBySide(
        interview_set=interview_set, column=column, columns=ranking.columns, rows=rows
    )
