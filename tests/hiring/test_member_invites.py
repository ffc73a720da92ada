"""Joining a team takes consent from the owner of a verified address (S1, S2, S5)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from hiring.models import Membership, TeamInvite
from tests.hiring.conftest import make_bank_question, make_set, make_team, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_and_owner(client):
    owner = make_user("olive")
    team = make_team("Platform", owner=owner)
    client.force_login(owner)
    return team, owner


def _invite(client, team, email: str, role: str = "reviewer"):
    return client.post(
        reverse("hiring:member_add", args=[team.slug]), {"email": email, "role": role}, follow=True
    )


def _answer(user, invite, answer: str = "accept"):
    browser = Client()
    browser.force_login(user)
    return browser.post(
        reverse("hiring:member_invite_answer", args=[invite.id]), {"answer": answer}
    )


def test_an_unverified_look_alike_account_cannot_take_the_seat(client, team_and_owner):
    """Signing up with a colleague's future address used to make you a reviewer (S1)."""
    team, _ = team_and_owner
    attacker = make_user("mallory", email="newhire@example.com", verified=False)
    _invite(client, team, "newhire@example.com")
    assert _answer(attacker, TeamInvite.objects.get()).status_code == 404
    assert not Membership.objects.filter(user=attacker).exists()
    # the real person, with a second account on the same address, verifies it and joins
    real = make_user("newhire", email="newhire@example.com")
    assert _answer(real, TeamInvite.objects.get()).status_code == 302
    assert Membership.objects.get(user=real).role == "reviewer"


def test_nobody_joins_or_appears_without_accepting(client, team_and_owner):
    """Adding someone by username used to show their email on the team page (S2)."""
    team, _ = team_and_owner
    victim = make_user("victor", email="victor@example.com")
    _invite(client, team, "victor@example.com")
    assert not Membership.objects.filter(user=victim).exists()
    page = client.get(reverse("hiring:team", args=[team.slug])).content.decode()
    assert "victor@example.com" in page  # only as the address the owner typed, pending
    assert "Invited, not yet accepted" in page
    _answer(victim, TeamInvite.objects.get(), "decline")
    assert not TeamInvite.objects.exists() and not Membership.objects.filter(user=victim).exists()


def test_the_reply_never_says_whether_an_account_exists(
    client, team_and_owner, django_capture_on_commit_callbacks
):
    team, _ = team_and_owner
    make_user("known", email="known@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        known = _invite(client, team, "known@example.com").content.decode()
        unknown = _invite(client, team, "nobody-here@example.com").content.decode()
    assert "Invitation sent to known@example.com. They join once they accept." in known
    assert "Invitation sent to nobody-here@example.com. They join once they accept." in unknown
    assert {m.to[0] for m in mail.outbox} == {"known@example.com", "nobody-here@example.com"}


def test_an_unverified_account_invites_nobody(client):
    """A fresh account could mail attacker-written text to any address (S5)."""
    sender = make_user("fresh", verified=False)
    team = make_team("Spam Inc", owner=sender)
    interview_set = make_set(
        team, [make_bank_question("Idempotency")], title="Your account is locked"
    )
    client.force_login(sender)
    member = _invite(client, team, "victim@example.com")
    assert "Confirm your email address first" in member.content.decode()
    candidate = client.post(
        reverse("hiring:invitations", args=[interview_set.id]),
        {"name": "Victim", "email": "victim@example.com", "days": 7},
    )
    assert candidate.status_code == 400
    assert "Confirm your email address first" in candidate.content.decode()
    assert not mail.outbox and not TeamInvite.objects.exists()


def test_seat_offers_are_limited_per_team(client, team_and_owner):
    team, _ = team_and_owner
    for i in range(20):
        _invite(client, team, f"person{i}@example.com")
    assert _invite(client, team, "one-more@example.com").status_code == 429
