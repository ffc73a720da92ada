"""Small builders for hiring tests: teams with members in each role, sets, invitations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.accounts import verified_email_mark
from grading.services import grade_answer
from hiring import services as hiring
from hiring.models import InterviewSet, Invitation, Membership, Role, Team
from interviews.selectors import INVITED_SESSIONS_KEY
from interviews.services import answer_save_draft, session_submit
from tests.factories import (
    QuestionFactory,
    TopicFactory,
    UserFactory,
    add_rubric,
    make_mcq,
    right_option,
)
from tests.hiring.webhook_receiver import webhook_receiver  # noqa: F401  (a fixture)

GOOD = (
    "Repeating it leaves the server in the same state, so a client can safely retry. "
    "PUT and DELETE are idempotent; POST usually does not behave this way."
)
MEDIUM = "Repeating it leaves the same state on the server, for example PUT."
POOR = "It is about HTTP verbs and speed."


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """PBKDF2 at full strength costs ~0.5 s per user; these tests make many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, *, verified: bool = True, **kwargs):
    """A user who (by default) has confirmed their email address."""
    user = UserFactory(username=username, **kwargs)
    if verified and user.email:
        verified_email_mark(user=user)
    return user


def make_team(name: str, **roles) -> Team:
    """make_team("A", owner=user, reviewer=user2, ...)."""
    team = Team.objects.create(name=name, slug=name.lower().replace(" ", "-"))
    for role, user in roles.items():
        Membership.objects.create(team=team, user=user, role=role)
    return team


def make_bank_question(title: str, *, topic_slug: str = "http-rest", **kwargs):
    topic = TopicFactory(slug=topic_slug, name=topic_slug.replace("-", " ").title())
    return add_rubric(QuestionFactory(title=title, topic=topic, **kwargs))


def make_set(team: Team, questions, *, title: str = "Backend screen", minutes: int = 30):
    interview_set = InterviewSet.objects.create(
        team=team, title=title, time_limit_minutes=minutes, instructions="Answer in prose."
    )
    for question in questions:
        hiring.set_item_add(interview_set=interview_set, question=question)
    return interview_set


def make_invitation(interview_set, *, name: str = "", email: str = "", by=None):
    invitation, token = hiring.invitation_create(
        interview_set=interview_set,
        created_by=by,
        name=name,
        email=email,
        link_for=lambda path: f"http://testserver{path}",
    )
    return invitation, token


def start_in_browser(client: Client, token: str):
    """Start an invitation as a candidate's browser would; return the session."""
    response = client.post(f"/hiring/invite/{token}/")
    assert response.status_code == 302, response.content[:500]
    session_id = client.session[INVITED_SESSIONS_KEY][-1]
    from interviews.models import Session

    return Session.objects.get(id=session_id)


def answer_all(session, text: str, *, pastes: int = 0, hidden: int = 0) -> None:
    for answer in session.answers.order_by("position"):
        if answer.is_free_text:
            answer_save_draft(
                session_id=session.id,
                position=answer.position,
                text=text,
                seconds_spent=60,
                pastes=pastes,
                pasted_chars=pastes * 40,
                hidden=hidden,
            )
        else:
            answer_save_draft(
                session_id=session.id, position=answer.position, choice_index=right_option(answer)
            )


def finish_and_grade(session) -> None:
    session_submit(session=session)
    for answer in session.answers.filter(kind="free_text"):
        grade_answer(answer_id=answer.id)


@dataclass
class World:
    """Team A with an owner, a reviewer and a viewer; team B with one member."""

    owner: object
    reviewer: object
    viewer: object
    extra: object
    member_b: object
    staff: object
    outsider: object
    team_a: Team
    team_b: Team
    questions: list
    spare_question: object
    interview_set: InterviewSet
    other_set: InterviewSet


@pytest.fixture
def world(db) -> World:
    owner = make_user("owner")
    reviewer = make_user("reviewer")
    viewer = make_user("viewer")
    extra = make_user("extra")
    member_b = make_user("member_b")
    staff = make_user("staff", is_staff=True)
    outsider = make_user("outsider")
    team_a = make_team("Team A", owner=owner, reviewer=reviewer, viewer=viewer)
    Membership.objects.create(team=team_a, user=extra, role=Role.VIEWER)
    team_b = make_team("Team B", owner=member_b)
    questions = [
        make_bank_question("Idempotency"),
        make_bank_question("Caching headers", topic_slug="caching", level="mid"),
        make_mcq(title="Status codes"),
    ]
    spare = make_bank_question("Retries", topic_slug="operations", level="senior")
    interview_set = make_set(team_a, questions)
    other_set = make_set(team_b, [questions[0]], title="Team B screen")
    return World(
        owner=owner,
        reviewer=reviewer,
        viewer=viewer,
        extra=extra,
        member_b=member_b,
        staff=staff,
        outsider=outsider,
        team_a=team_a,
        team_b=team_b,
        questions=questions,
        spare_question=spare,
        interview_set=interview_set,
        other_set=other_set,
    )


def completed_candidate(interview_set, *, name: str, text: str = GOOD, email: str = ""):
    """An invitation whose candidate answered, submitted and was graded."""
    invitation, token = make_invitation(interview_set, name=name, email=email)
    session = start_in_browser(Client(), token)
    answer_all(session, text)
    finish_and_grade(session)
    invitation.refresh_from_db()
    return invitation, session


def expire(invitation: Invitation) -> None:
    Invitation.objects.filter(id=invitation.id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
