"""Writes for hiring teams: teams and members, sets, private questions, invitations, review."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from core import accounts
from core.errors import DomainError, NotFound
from core.links import absolute_url
from grading.models import Grade, GraderKind
from grading.selectors import final_grade
from grading.services import GradeRefused, grade_override
from hiring.models import (
    BlindReview,
    InterviewSet,
    InterviewSetItem,
    InterviewSetVersion,
    Invitation,
    InvitationStatus,
    Membership,
    Role,
    Team,
    TeamInvite,
)
from hiring.tokens import token_hash, token_is_well_formed, token_new
from interviews.models import Session, SessionKind
from interviews.services import session_create
from questionbank.models import Kind, Question, Status
from questionbank.selectors import CONTENT_RELATIONS
from questionbank.services import choices_replace, criteria_replace, samples_replace
from questionbank.validation import question_problems

logger = logging.getLogger(__name__)

MAX_SET_QUESTIONS = 30
MAX_INVITATION_DAYS = 60
CONFIRM_COMMENT = "Confirmed the machine grade."


class HiringError(DomainError):
    """A refused hiring action; ``message`` is shown to the user as is."""

    code = "hiring_refused"


class InvitationUnavailable(HiringError):
    """The invitation link cannot be used: a clear page, never another candidate's data."""

    def __init__(self, *, reason: str, title: str, message: str, status_code: int):
        super().__init__(message, code=f"invitation_{reason}")
        self.reason = reason
        self.title = title
        self.status_code = status_code


class QuestionInvalid(HiringError):
    code = "question_invalid"

    def __init__(self, problems: list):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# --------------------------------------------------------------------------- teams
def _unique_slug(base: str, exists: Callable[[str], bool], max_length: int = 50) -> str:
    base = (slugify(base) or "team")[: max_length - 7]
    slug = base
    while exists(slug):
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


@transaction.atomic
def team_create(*, name: str, owner) -> Team:
    """Create a team; its creator is its first owner."""
    slug = _unique_slug(name, lambda s: Team.objects.filter(slug=s).exists())
    team = Team.objects.create(name=name.strip(), slug=slug)
    Membership.objects.create(team=team, user=owner, role=Role.OWNER)
    return team


def require_verified(user) -> None:
    """Only an account that proved its address may invite anyone (S1, S5)."""
    if not accounts.is_verified(user):
        raise HiringError(
            "Confirm your email address first: open the link we sent you, or ask for a new "
            "one on the Hiring page."
        )


def member_invite(*, team: Team, email: str, role: str, invited_by) -> TeamInvite:
    """Offer a seat to an address. The person joins only by accepting it while signed in
    to the account that verified the address; nothing here says whether one exists."""
    if role not in Role.values:
        raise HiringError("Unknown role.")
    require_verified(invited_by)
    email = accounts.normalised(email)
    if team.memberships.filter(user__verified_email__email=email).exists():
        raise HiringError("That person is already a member of this team.")
    with transaction.atomic():
        invite, _ = TeamInvite.objects.update_or_create(
            team=team, email=email, defaults={"role": role, "invited_by": invited_by}
        )
        transaction.on_commit(lambda: _member_invite_email(invite_id=invite.id))
    return invite


def _member_invite_email(*, invite_id: int) -> None:
    invite = TeamInvite.objects.select_related("team", "invited_by").filter(id=invite_id).first()
    if invite is None:
        return
    body = render_to_string(
        "hiring/email/member_invite.txt",
        {"invite": invite, "link": absolute_url(reverse("hiring:teams"))},
    ).strip()
    try:
        send_mail(f"Join {invite.team.name} on Viva", body, None, [invite.email])
    except Exception:  # the invite stands; the invitee also sees it on their Hiring page
        logger.exception("could not email team invite %s", invite_id)


def member_invites_for(*, user) -> list[TeamInvite]:
    """Seats offered to the address this user has verified."""
    if not accounts.is_verified(user):
        return []
    email = accounts.normalised(user.email)
    return list(TeamInvite.objects.filter(email=email).select_related("team"))


def member_invite_answer(*, invite_id: int, user, accept: bool) -> Membership | None:
    """Accept (join with the offered role) or decline a seat offered to this user."""
    invite = None
    if accounts.is_verified(user):
        email = accounts.normalised(user.email)
        invite = TeamInvite.objects.filter(id=invite_id, email=email).select_related("team").first()
    if invite is None:
        raise NotFound("No such invitation.")
    with transaction.atomic():
        TeamInvite.objects.filter(id=invite.id).delete()
        if not accept:
            return None
        membership, _ = Membership.objects.get_or_create(
            team=invite.team, user=user, defaults={"role": invite.role}
        )
    return membership


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise HiringError("Unknown role.")
    _keep_an_owner(membership=membership, leaving=role != Role.OWNER)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    _keep_an_owner(membership=membership, leaving=True)
    membership.delete()


def _keep_an_owner(*, membership: Membership, leaving: bool) -> None:
    """A team without an owner could never manage its members again."""
    if not leaving or membership.role != Role.OWNER:
        return
    owners = (
        Membership.objects.select_for_update()
        .filter(team_id=membership.team_id, role=Role.OWNER)
        .count()
    )
    if owners <= 1:
        raise HiringError("A team needs at least one owner: make someone else owner first.")


# --------------------------------------------------------------------------- sets
def set_create(
    *,
    team: Team,
    title: str,
    time_limit_minutes: int,
    instructions: str,
    created_by,
    candidates_see_results: bool = False,
) -> InterviewSet:
    return InterviewSet.objects.create(
        team=team,
        title=title.strip(),
        time_limit_minutes=time_limit_minutes,
        instructions=instructions.strip(),
        candidates_see_results=candidates_see_results,
        created_by=created_by,
    )


def set_update(
    *,
    interview_set: InterviewSet,
    title: str,
    time_limit_minutes: int,
    instructions: str,
    candidates_see_results: bool = False,
) -> InterviewSet:
    """Edit freely: candidates who already started keep the version they took."""
    interview_set.title = title.strip()
    interview_set.time_limit_minutes = time_limit_minutes
    interview_set.instructions = instructions.strip()
    interview_set.candidates_see_results = candidates_see_results
    interview_set.save(
        update_fields=[
            "title",
            "time_limit_minutes",
            "instructions",
            "candidates_see_results",
            "updated_at",
        ]
    )
    return interview_set


def question_usable_in_set(*, question: Question, team: Team) -> bool:
    """Published bank questions, and this team's own private questions. Never another team's."""
    if question.team_id is None:
        return question.status == Status.PUBLISHED
    return question.team_id == team.id and question.status != Status.RETIRED


@transaction.atomic
def set_item_add(*, interview_set: InterviewSet, question: Question) -> InterviewSetItem:
    """Append a question; adding one already in the set is a no-op."""
    InterviewSet.objects.select_for_update().filter(id=interview_set.id).first()
    if not question_usable_in_set(question=question, team=interview_set.team):
        raise HiringError("That question cannot be used in this set.")
    existing = interview_set.items.filter(question=question).first()
    if existing:
        return existing
    if interview_set.items.count() >= MAX_SET_QUESTIONS:
        raise HiringError(f"A set holds at most {MAX_SET_QUESTIONS} questions.")
    last = interview_set.items.aggregate(m=Max("position"))["m"]
    item = InterviewSetItem.objects.create(
        interview_set=interview_set, question=question, position=0 if last is None else last + 1
    )
    _touch(interview_set)
    return item


@transaction.atomic
def set_item_remove(*, interview_set: InterviewSet, item_id: int) -> None:
    deleted, _ = interview_set.items.filter(id=item_id).delete()
    if deleted:
        _renumber(interview_set)
        _touch(interview_set)


@transaction.atomic
def set_item_move(*, interview_set: InterviewSet, item_id: int, offset: int) -> None:
    """Move a question up (offset -1) or down (+1); positions stay 0..n-1."""
    InterviewSet.objects.select_for_update().filter(id=interview_set.id).first()
    items = list(interview_set.items.order_by("position", "id"))
    index = next((i for i, item in enumerate(items) if item.id == item_id), None)
    if index is None:
        return
    target = max(0, min(len(items) - 1, index + offset))
    if target == index:
        return
    items.insert(target, items.pop(index))
    _renumber(interview_set, items)
    _touch(interview_set)


def _renumber(interview_set: InterviewSet, items: list[InterviewSetItem] | None = None) -> None:
    items = items if items is not None else list(interview_set.items.order_by("position", "id"))
    for position, item in enumerate(items):
        item.position = position
    InterviewSetItem.objects.bulk_update(items, ["position"])


def _touch(interview_set: InterviewSet) -> None:
    InterviewSet.objects.filter(id=interview_set.id).update(updated_at=timezone.now())


def set_fingerprint(*, interview_set: InterviewSet, questions: list[Question]) -> str:
    """What a candidate would be asked: ordered questions with versions, limit, instructions."""
    content = {
        "questions": [[q.id, q.version] for q in questions],
        "time_limit_minutes": interview_set.time_limit_minutes,
        "instructions": interview_set.instructions,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def set_version_freeze(*, interview_set: InterviewSet) -> tuple[InterviewSetVersion, list]:
    """The version a candidate starting now takes: the latest, or a new one if the set changed.

    Call inside a transaction that locked the set row, so two candidates starting at
    once agree on one version.
    """
    questions = [
        item.question
        for item in interview_set.items.select_related("question__topic")
        .prefetch_related(*(f"question__{name}" for name in CONTENT_RELATIONS))
        .order_by("position", "id")
    ]
    if not questions:
        raise HiringError("This interview has no questions yet.")
    fingerprint = set_fingerprint(interview_set=interview_set, questions=questions)
    latest = interview_set.versions.order_by("-number").first()
    if latest and latest.fingerprint == fingerprint:
        return latest, questions
    version = InterviewSetVersion.objects.create(
        interview_set=interview_set,
        number=(latest.number + 1) if latest else 1,
        title=interview_set.title,
        instructions=interview_set.instructions,
        time_limit_minutes=interview_set.time_limit_minutes,
        question_ids=[q.id for q in questions],
        fingerprint=fingerprint,
    )
    return version, questions


# --------------------------------------------------------------------------- private questions
@transaction.atomic
def private_question_save(
    *,
    team: Team,
    question: Question | None = None,
    title: str,
    prompt: str,
    level: str,
    topic,
    model_answer: str,
    suggested_minutes: int,
    criteria: list[dict],
    choices: list[dict] | None = None,
    samples: list[dict] | None = None,
    kind: str = Kind.FREE_TEXT,
    created_by=None,
) -> Question:
    """Create or edit a team's own question: free text with its rubric, or multiple choice.

    Held to the published bank's rules (free text: model answer, 3-8 weighted criteria
    with keywords; multiple choice: 2-6 options, exactly one correct). Only the part its
    kind uses is kept. Editing bumps the question's version, so the next candidate gets a
    new set version.
    """
    if kind == Kind.MULTIPLE_CHOICE:
        criteria, choices, samples = [], list(choices or []), []
    else:
        kind, choices = Kind.FREE_TEXT, []
    problems = question_problems(
        kind=kind,
        status=Status.PUBLISHED,
        model_answer=model_answer,
        criteria=criteria,
        choices=choices,
    )
    if problems:
        raise QuestionInvalid(problems)
    if question is None:
        slug = _unique_slug(
            f"{team.slug}-{title}",
            lambda s: Question.objects.filter(slug=s).exists(),
            max_length=120,
        )
        question = Question(slug=slug, team=team, created_by=created_by)
    elif question.team_id != team.id:
        raise HiringError("That question belongs to another team.")
    question.kind = kind
    question.title = title.strip()
    question.prompt = prompt.strip()
    question.level = level
    question.topic = topic
    question.model_answer = model_answer.strip()
    question.suggested_minutes = suggested_minutes
    if question.pk is None:  # an edit keeps a retired question retired
        question.status = Status.PUBLISHED
    question.save()
    criteria_replace(question=question, criteria=criteria)
    choices_replace(question=question, choices=choices)
    if samples is not None:
        samples_replace(question=question, samples=samples)
    return question


def private_question_retire(*, team: Team, question: Question, retired: bool) -> Question:
    """Retire a team's question from the bank search, or bring it back.

    Sets that already use it keep it, and so do the answers given to it. The content is
    unchanged, so the version stays as it is.
    """
    if question.team_id != team.id:
        raise HiringError("That question belongs to another team.")
    question.status = Status.RETIRED if retired else Status.PUBLISHED
    Question.objects.filter(id=question.id).update(status=question.status)
    return question


# --------------------------------------------------------------------------- invitations
def invitation_create(
    *,
    interview_set: InterviewSet,
    created_by,
    name: str = "",
    email: str = "",
    days: int | None = None,
    extra_minutes: int = 0,
    link_for: Callable[[str], str],
) -> tuple[Invitation, str]:
    """Create an invitation; return it and its link's token (shown once, never stored).

    ``link_for`` turns a path into an absolute URL (the view passes
    ``core.links.absolute_url``). With an email, the link is mailed after commit.
    """
    days = _invitation_checks(interview_set=interview_set, created_by=created_by, days=days)
    return _invitation_new(
        interview_set=interview_set,
        created_by=created_by,
        name=name,
        email=email,
        days=days,
        extra_minutes=extra_minutes,
        link_for=link_for,
    )


def _invitation_checks(*, interview_set: InterviewSet, created_by, days: int | None) -> int:
    """Refuse what no invitation to this set may do; return the validity in days."""
    if created_by is not None:
        require_verified(created_by)
    days = days or settings.INVITATION_DAYS
    if not 1 <= days <= MAX_INVITATION_DAYS:
        raise HiringError(f"An invitation lasts between 1 and {MAX_INVITATION_DAYS} days.")
    if not interview_set.items.exists():
        raise HiringError("Add questions to the set before inviting candidates.")
    return days


def _invitation_new(
    *,
    interview_set: InterviewSet,
    created_by,
    name: str,
    email: str,
    days: int,
    extra_minutes: int,
    link_for: Callable[[str], str],
) -> tuple[Invitation, str]:
    token, hashed = token_new()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            interview_set=interview_set,
            token_hash=hashed,
            name=name.strip(),
            email=email.strip(),
            expires_at=timezone.now() + timedelta(days=days),
            extra_minutes=extra_minutes,
            created_by=created_by,
        )
        if invitation.email:
            link = link_for(reverse("hiring:invite", args=[token]))
            transaction.on_commit(
                lambda: _invitation_email(
                    invitation=invitation, interview_set=interview_set, link=link
                )
            )
    return invitation, token


def _invitation_email(*, invitation: Invitation, interview_set: InterviewSet, link: str) -> None:
    body = render_to_string(
        "hiring/email/invitation.txt",
        {
            "invitation": invitation,
            "interview_set": interview_set,
            "expires": timezone.localtime(invitation.expires_at),
            "link": link,
        },
    ).strip()
    try:
        send_mail(
            f"Interview invitation: {interview_set.title}",
            body,
            None,
            [invitation.email],
        )
    except Exception:  # a mail outage must not lose the invitation; the link is on screen
        logger.exception("could not email invitation %s", invitation.id)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Revoke a link that has not been used; a started interview is not cut short."""
    invitation = Invitation.objects.select_for_update().get(id=invitation.id)
    if invitation.status not in {InvitationStatus.PENDING, InvitationStatus.EXPIRED}:
        raise HiringError("Only an unused invitation can be revoked.")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status"])
    return invitation


def invitations_create_bulk(
    *,
    interview_set: InterviewSet,
    created_by,
    candidates: list[tuple[str, str]],
    days: int,
    link_for: Callable[[str], str],
) -> list[tuple[Invitation, str]]:
    """One invitation per (name, email), all or none; each link is mailed after commit."""
    days = _invitation_checks(interview_set=interview_set, created_by=created_by, days=days)
    with transaction.atomic():
        return [
            _invitation_new(
                interview_set=interview_set,
                created_by=created_by,
                name=name,
                email=email,
                days=days,
                extra_minutes=0,
                link_for=link_for,
            )
            for name, email in candidates
        ]


def invitation_mark_opened(*, invitation: Invitation) -> None:
    """Note the first time a pending link is loaded (the team sees "opened")."""
    if invitation.opened_at is None:
        now = timezone.now()
        Invitation.objects.filter(id=invitation.id, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now


def invitation_reissue(
    *, invitation: Invitation, link_for: Callable[[str], str]
) -> tuple[Invitation, str]:
    """A new link for an unused invitation; the old link stops working at once. A lapsed
    invitation gets the usual validity again. Mailed, like the first, if it has an email."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(id=invitation.id)
        if invitation.status not in {InvitationStatus.PENDING, InvitationStatus.EXPIRED}:
            raise HiringError("Only an unused invitation can get a new link.")
        token, hashed = token_new()
        invitation.token_hash = hashed
        invitation.status = InvitationStatus.PENDING
        invitation.opened_at = None  # the new link has not been opened
        invitation.expires_at = max(
            invitation.expires_at, timezone.now() + timedelta(days=settings.INVITATION_DAYS)
        )
        invitation.save(update_fields=["token_hash", "status", "expires_at", "opened_at"])
        if invitation.email:
            link = link_for(reverse("hiring:invite", args=[token]))
            interview_set = invitation.interview_set
            transaction.on_commit(
                lambda: _invitation_email(
                    invitation=invitation, interview_set=interview_set, link=link
                )
            )
    return invitation, token


@transaction.atomic
def invitation_extend(*, invitation: Invitation, days: int) -> Invitation:
    """Give an unused (possibly expired) invitation ``days`` more from now or its expiry."""
    if not 1 <= days <= MAX_INVITATION_DAYS:
        raise HiringError(f"Extend by 1 to {MAX_INVITATION_DAYS} days.")
    invitation = Invitation.objects.select_for_update().get(id=invitation.id)
    if invitation.status not in {InvitationStatus.PENDING, InvitationStatus.EXPIRED}:
        raise HiringError("Only an unused invitation can be extended.")
    invitation.expires_at = max(invitation.expires_at, timezone.now()) + timedelta(days=days)
    invitation.status = InvitationStatus.PENDING
    invitation.save(update_fields=["expires_at", "status"])
    return invitation


_UNAVAILABLE = {
    "malformed": (
        404,
        "This link is not valid",
        "Check that you copied the whole link from your invitation email.",
    ),
    "unknown": (
        404,
        "This link is not valid",
        "Check that you copied the whole link from your invitation email.",
    ),
    "revoked": (
        410,
        "This invitation was withdrawn",
        "The team has withdrawn this invitation. Contact them if you think this is a mistake.",
    ),
    "expired": (
        410,
        "This invitation has expired",
        "The link is past its date. Ask the team that invited you for a new one.",
    ),
    "used": (
        410,
        "This invitation has already been used",
        "Each link works once, in the browser where it was started. If that was you, "
        "open it again in that browser; otherwise contact the team that invited you.",
    ),
    "no_questions": (
        410,
        "This interview is not ready",
        "The team has not finished preparing it. Try again later or contact them.",
    ),
}


def invitation_unavailable(reason: str) -> InvitationUnavailable:
    status, title, message = _UNAVAILABLE[reason]
    return InvitationUnavailable(reason=reason, title=title, message=message, status_code=status)


def _may_resume(session: Session, *, known_session_ids: list[int], candidate) -> bool:
    """Only the browser (or signed-in account) that started an interview may reopen it."""
    if session.id in known_session_ids:
        return True
    return bool(
        getattr(candidate, "is_authenticated", False)
        and session.candidate_id is not None
        and session.candidate_id == candidate.id
    )


def invitation_for_token(*, token: str, known_session_ids: list[int], candidate=None) -> Invitation:
    """The invitation a candidate may still open (landing page), or InvitationUnavailable.

    A started or completed invitation opens again only where it was started.
    """
    if not token_is_well_formed(token):
        raise invitation_unavailable("malformed")
    invitation = (
        Invitation.objects.select_related("interview_set__team", "session")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise invitation_unavailable("unknown")
    status = invitation.effective_status
    if status in {InvitationStatus.STARTED, InvitationStatus.COMPLETED}:
        session = getattr(invitation, "session", None)
        if session is None or not _may_resume(
            session, known_session_ids=known_session_ids, candidate=candidate
        ):
            raise invitation_unavailable("used")
    elif status not in {InvitationStatus.PENDING, InvitationStatus.OPENED}:
        raise invitation_unavailable(status)
    return invitation


def invitation_start(*, token: str, candidate=None, known_session_ids: list[int]) -> Session:
    """Start the interview behind a link: once. The same browser resumes its session.

    Freezes the set's version and creates the invited session in one transaction,
    with the invitation row locked so two browsers cannot both start it.
    """
    invitation = invitation_for_token(
        token=token, known_session_ids=known_session_ids, candidate=candidate
    )
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("interview_set")
            .get(id=invitation.id)
        )
        if invitation.status != InvitationStatus.PENDING:
            session = Session.objects.filter(invitation=invitation).first()
            if session is not None and _may_resume(
                session, known_session_ids=known_session_ids, candidate=candidate
            ):
                return session
            raise invitation_unavailable(
                "used" if invitation.status != InvitationStatus.REVOKED else "revoked"
            )
        if invitation.effective_status == InvitationStatus.EXPIRED:
            raise invitation_unavailable("expired")
        interview_set = InterviewSet.objects.select_for_update().get(id=invitation.interview_set_id)
        try:
            version, questions = set_version_freeze(interview_set=interview_set)
        except HiringError:
            raise invitation_unavailable("no_questions") from None
        session = session_create(
            candidate=candidate if getattr(candidate, "is_authenticated", False) else None,
            title=version.title,
            questions=questions,
            time_limit_minutes=version.time_limit_minutes + invitation.extra_minutes,
            kind=SessionKind.INVITED,
            invitation=invitation,
            set_version=version,
        )
        invitation.status = InvitationStatus.STARTED
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["status", "used_at"])
    return session


def invitation_mark_completed(*, session) -> None:
    """Called inside the session's finalising transaction; the team hears after commit."""
    invitation = session.invitation
    invitation.status = InvitationStatus.COMPLETED
    invitation.used_at = invitation.used_at or timezone.now()
    invitation.save(update_fields=["status", "used_at"])
    transaction.on_commit(lambda: team_notify_completed(invitation_id=invitation.id))
    transaction.on_commit(lambda: candidate_confirm_received(invitation_id=invitation.id))


def candidate_confirm_received(*, invitation_id: int) -> bool:
    """Tell an invited candidate with an email address that their answers arrived."""
    invitation = (
        Invitation.objects.select_related("interview_set__team").filter(id=invitation_id).first()
    )
    if invitation is None or not invitation.email:
        return False
    body = render_to_string(
        "hiring/email/received.txt",
        {"invitation": invitation, "interview_set": invitation.interview_set},
    ).strip()
    try:
        send_mail(
            f"We received your answers: {invitation.interview_set.title}",
            body,
            None,
            [invitation.email],
        )
    except Exception:  # the submission stands whatever the mail server does
        logger.exception("could not confirm receipt to invitation %s", invitation_id)
        return False
    return True


def team_notify_completed(*, invitation_id: int) -> int:
    """Email every member of the team that a candidate finished. Returns recipients.

    The mail names no candidate, so it never undoes anyone's blind review.
    """
    invitation = (
        Invitation.objects.select_related("interview_set__team").filter(id=invitation_id).first()
    )
    if invitation is None:
        return 0
    interview_set = invitation.interview_set
    User = get_user_model()
    recipients = sorted(
        set(
            User.objects.filter(memberships__team_id=interview_set.team_id, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return 0
    link = absolute_url(reverse("hiring:candidate", args=[invitation.id]))
    body = render_to_string(
        "hiring/email/completed.txt", {"interview_set": interview_set, "link": link}
    ).strip()
    try:
        send_mail(
            f"A candidate completed {interview_set.title}",
            body,
            None,
            recipients,
        )
    except Exception:  # the candidate's submission matters more than our email
        logger.exception("could not notify team of completed invitation %s", invitation_id)
        return 0
    return len(recipients)


# --------------------------------------------------------------------------- review
def answers_confirm(*, session: Session, reviewer) -> int:
    """A reviewer confirms the machine grades of a candidate they have read.

    Recorded as human grades with the same score, so who confirmed what stays in the
    audit trail and blind review knows this reviewer has scored the candidate.
    Answers still being graded, or already overridden by a human, are left alone.
    """
    confirmed = 0
    answers = session.answers.prefetch_related("grades")
    for answer in answers:
        current = [g for g in answer.grades.all() if g.is_current]
        grade = final_grade(current)
        if grade is None or grade.score is None or grade.kind == GraderKind.HUMAN:
            continue
        grade_override(answer=answer, reviewer=reviewer, score=grade.score, comment=CONFIRM_COMMENT)
        confirmed += 1
    return confirmed


def blind_review_set(*, reviewer, interview_set: InterviewSet, on: bool) -> None:
    """Turn blind review of a set on or off for one reviewer (idempotent)."""
    if on:
        BlindReview.objects.get_or_create(user=reviewer, interview_set=interview_set)
    else:
        BlindReview.objects.filter(user=reviewer, interview_set=interview_set).delete()


def answer_override(*, answer, reviewer, score: float, comment: str, feedback: str = "") -> Grade:
    """Override one answer's grade (the grading app keeps the history)."""
    try:
        return grade_override(
            answer=answer, reviewer=reviewer, score=score, comment=comment, feedback=feedback
        )
    except GradeRefused as exc:
        raise HiringError(exc.message) from None
