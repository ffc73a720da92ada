"""Invitation links: single use, expiring, unguessable; every bad link gets a clear page."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hiring import services
from hiring.models import Invitation, InvitationStatus
from hiring.services import HiringError
from interviews.models import Session, SessionKind
from interviews.selectors import INVITED_SESSIONS_KEY
from tests.hiring.conftest import (
    GOOD,
    answer_all,
    expire,
    finish_and_grade,
    make_invitation,
    start_in_browser,
)

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return reverse("hiring:invite", args=[token])


def _assert_clear_page(response, status: int, *, leaks: tuple[str, ...] = ()) -> None:
    assert response.status_code == status
    body = response.content.decode()
    assert "Traceback" not in body
    assert '<main id="main"' in body  # our page, not a bare error
    for secret in leaks:
        assert secret not in body


def test_only_the_hash_of_the_token_is_stored(world):
    invitation, token = make_invitation(world.interview_set, name="Ada")
    assert len(token) == 43
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = Invitation.objects.filter(id=invitation.id).values()[0]
    assert token not in str(stored)


def test_tokens_are_unique(world):
    tokens = {make_invitation(world.interview_set)[1] for _ in range(20)}
    assert len(tokens) == 20


def test_landing_page_shows_the_set_and_a_start_button(world, client):
    _, token = make_invitation(world.interview_set, name="Ada")
    response = client.get(_url(token))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Backend screen" in body and "30 minutes" in body and "Answer in prose." in body
    assert 'method="post"' in body and "Start the interview" in body
    assert re.search(r"until \d+ \w+ \d{4} \d\d:\d\d UTC\.", body)  # says which clock
    assert response["Cache-Control"].startswith("max-age=0")
    # Looking is not starting.
    assert Invitation.objects.get(token_hash=services.token_hash(token)).status == "pending"


def test_start_creates_an_invited_session_and_opens_the_interview(world, client):
    invitation, token = make_invitation(world.interview_set, name="Ada")
    response = client.post(_url(token))
    session = Session.objects.get(invitation=invitation)
    assert response.status_code == 302
    assert response["Location"] == reverse("interviews:interview", args=[session.id])
    assert client.session[INVITED_SESSIONS_KEY] == [session.id]
    assert session.kind == SessionKind.INVITED and session.candidate is None
    assert session.answers.count() == 3
    assert session.set_version.number == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.STARTED and invitation.used_at
    # The interview page accepts this browser without an account.
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "x" * 200,
        "a" * 42 + "!",
        "%00" + "a" * 40,
        "a" * 43,  # well formed, but no such invitation
    ],
)
def test_malformed_and_unknown_tokens_get_404(world, client, token):
    _assert_clear_page(client.get(_url(token)), 404)
    _assert_clear_page(client.post(_url(token)), 404)
    assert not Session.objects.exists()


def test_tampered_token_gets_404_and_never_the_real_invitation(world, client):
    _, token = make_invitation(world.interview_set, name="Ada Lovelace")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    _assert_clear_page(client.get(_url(tampered)), 404, leaks=("Ada Lovelace", "Backend screen"))
    _assert_clear_page(client.post(_url(tampered)), 404)
    assert not Session.objects.exists()


def test_expired_token_gets_410(world, client):
    invitation, token = make_invitation(world.interview_set, name="Ada")
    expire(invitation)
    _assert_clear_page(client.get(_url(token)), 410, leaks=("Ada",))
    response = client.post(_url(token))
    _assert_clear_page(response, 410)
    assert b"expired" in response.content
    assert not Session.objects.exists()


def test_revoked_token_gets_410(world, client):
    invitation, token = make_invitation(world.interview_set)
    services.invitation_revoke(invitation=invitation)
    _assert_clear_page(client.get(_url(token)), 410)
    response = client.post(_url(token))
    _assert_clear_page(response, 410)
    assert b"withdrawn" in response.content
    assert not Session.objects.exists()


def test_reused_token_from_another_browser_gets_410_same_browser_resumes(world):
    invitation, token = make_invitation(world.interview_set, name="Ada Lovelace")
    first, second = Client(), Client()
    session = start_in_browser(first, token)
    answer_all(session, "My private answer text")

    for response in (second.get(_url(token)), second.post(_url(token))):
        _assert_clear_page(response, 410, leaks=("Ada Lovelace", "My private answer text"))
    assert INVITED_SESSIONS_KEY not in second.session
    interview = reverse("interviews:interview", args=[session.id])
    elsewhere = second.get(interview)  # a signed-out browser without the invitation
    assert elsewhere.status_code == 302 and elsewhere["Location"].startswith("/accounts/login/")

    # The browser that started it comes back to the same interview, by GET or POST.
    assert first.get(_url(token))["Location"] == interview
    assert first.post(_url(token))["Location"] == interview
    assert Session.objects.filter(invitation=invitation).count() == 1


def test_completed_invitation_cannot_be_restarted(world):
    invitation, token = make_invitation(world.interview_set)
    first = Client()
    session = start_in_browser(first, token)
    first.post(reverse("interviews:submit", args=[session.id]), {"confirmed": "1"})
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.COMPLETED
    _assert_clear_page(Client().post(_url(token)), 410)
    assert first.get(_url(token)).status_code == 302  # back to its own results
    assert Session.objects.count() == 1


def test_signed_in_candidate_resumes_from_another_browser(world):
    laptop, phone = Client(), Client()
    laptop.force_login(world.outsider)
    phone.force_login(world.outsider)
    _, token = make_invitation(world.interview_set)
    session = start_in_browser(laptop, token)
    assert session.candidate == world.outsider
    response = phone.get(_url(token))
    assert response["Location"] == reverse("interviews:interview", args=[session.id])


def test_expired_after_start_does_not_stop_the_interview(world):
    invitation, token = make_invitation(world.interview_set)
    browser = Client()
    session = start_in_browser(browser, token)
    expire(invitation)
    # Started invitations are not "expired": the session's own deadline rules now.
    assert browser.get(_url(token))["Location"] == reverse(
        "interviews:interview", args=[session.id]
    )


def test_extend_reopens_an_expired_invitation(world, client):
    invitation, token = make_invitation(world.interview_set)
    expire(invitation)
    services.invitation_extend(invitation=invitation, days=2)
    invitation.refresh_from_db()
    assert invitation.effective_status == InvitationStatus.PENDING
    assert invitation.expires_at > timezone.now() + timedelta(days=1, hours=23)
    assert client.get(_url(token)).status_code == 200


def test_started_invitations_cannot_be_revoked_or_extended(world):
    invitation, token = make_invitation(world.interview_set)
    start_in_browser(Client(), token)
    with pytest.raises(HiringError):
        services.invitation_revoke(invitation=invitation)
    with pytest.raises(HiringError):
        services.invitation_extend(invitation=invitation, days=3)


def test_revoke_and_extend_through_htmx(world, client):
    client.force_login(world.reviewer)
    invitation, _ = make_invitation(world.interview_set, name="Ada")
    response = client.post(
        reverse("hiring:invitation_extend", args=[invitation.id]),
        {"days": 5},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'id="invitation-{invitation.id}"' in response.content.decode()
    response = client.post(
        reverse("hiring:invitation_revoke", args=[invitation.id]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and b"revoked" in response.content
    response = client.post(
        reverse("hiring:invitation_revoke", args=[invitation.id]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 400 and b"Only an unused invitation" in response.content


def test_create_invitation_shows_the_link_once_and_emails_it(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.reviewer)
    url = reverse("hiring:invitations", args=[world.interview_set.id])
    with_email = {"name": "Ada", "email": "ada@example.com", "days": 3}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, with_email)
    assert response.status_code == 200
    link = response.context["new_link"]
    assert link.startswith("http://testserver/hiring/invite/")
    assert link in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"] and link in mail.outbox[0].body
    # The link is never shown again.
    assert link not in client.get(url).content.decode()
    assert Client().get(link).status_code == 200


def test_invitation_without_questions_is_refused(world, client):
    client.force_login(world.owner)
    world.interview_set.items.all().delete()
    response = client.post(
        reverse("hiring:invitations", args=[world.interview_set.id]), {"days": 3}
    )
    assert response.status_code == 400
    assert b"Add questions" in response.content
    assert not Invitation.objects.exists()


def test_two_starts_race_to_one_session(world):
    """The row lock makes the second start see 'started' (here: sequentially)."""
    _, token = make_invitation(world.interview_set)
    services.invitation_start(token=token, known_session_ids=[])
    with pytest.raises(services.InvitationUnavailable) as exc:
        services.invitation_start(token=token, known_session_ids=[])
    assert exc.value.status_code == 410 and exc.value.reason == "used"
    assert Session.objects.count() == 1


def test_guessing_links_is_throttled_per_client(world, client):
    _, token = make_invitation(world.interview_set)
    statuses = [client.get(_url(f"{i:043d}")).status_code for i in range(21)]
    assert statuses[:20] == [404] * 20 and statuses[20] == 429
    # Once blocked, even a real link waits: the scanner learns nothing.
    assert client.get(_url(token)).status_code == 429
    # Other candidates (other clients) are unaffected.
    assert Client(REMOTE_ADDR="10.0.0.9").get(_url(token)).status_code == 200


def test_hammering_one_link_is_throttled(world, client):
    _, token = make_invitation(world.interview_set)
    statuses = [client.get(_url(token)).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429


def test_invitation_links_never_cached(world, client):
    _, token = make_invitation(world.interview_set)
    response = client.get(_url(token))
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_candidates_see_results_only_once_the_team_releases_them(world, client):
    _, token = make_invitation(world.interview_set, name="Ada")
    browser = Client()
    session = start_in_browser(browser, token)
    answer_all(session, GOOD)
    finish_and_grade(session)
    url = reverse("interviews:results", args=[session.id])

    held = browser.get(url).content.decode()
    assert "your answers are in" in held and world.team_a.name in held
    assert "/100" not in held and "Rubric" not in held and "Practise again" not in held

    first = session.answers.filter(kind="free_text").order_by("position").first()
    services.answer_override(answer=first, reviewer=world.reviewer, score=7, comment="Thin.")
    client.force_login(world.reviewer)
    team_results = reverse("hiring:results", args=[world.interview_set.id])
    assert "see only that their answers were submitted" in client.get(team_results).text
    settings_url = reverse("hiring:set_settings", args=[world.interview_set.id])
    data = {"title": "Backend screen", "time_limit_minutes": 30, "instructions": "x"}
    assert client.post(settings_url, data | {"candidates_see_results": "on"}).status_code == 302
    assert "can see their final results" in client.get(team_results).text
    shown = browser.get(url).content.decode()
    assert "/100 overall" in shown and "including their review" in shown
    assert "7/100" in shown  # the override, not the machine grade
    assert "Model answer" not in shown and "Practise again" not in shown

    assert client.post(settings_url, data).status_code == 302  # unticked: held again
    assert "/100" not in browser.get(url).content.decode()


def test_a_new_link_replaces_the_old_one(world, client, django_capture_on_commit_callbacks):
    invitation, old_token = make_invitation(
        world.interview_set, name="Ada", email="ada@example.com"
    )
    expire(invitation)
    client.force_login(world.owner)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("hiring:invitation_reissue", args=[invitation.id]))
    body = page.content.decode()
    assert page.status_code == 200 and "the old one no longer works" in body
    new_token = re.search(r"/hiring/invite/([^/\"]+)/", body).group(1)
    assert new_token != old_token and new_token in mail.outbox[-1].body
    assert client.get(_url(old_token)).status_code == 404
    invitation.refresh_from_db()
    assert invitation.effective_status == InvitationStatus.PENDING
    assert Client().get(_url(new_token)).status_code == 200


def test_a_started_invitation_gets_no_new_link(world):
    invitation, token = make_invitation(world.interview_set, name="Ada")
    start_in_browser(Client(), token)
    with pytest.raises(HiringError, match="Only an unused invitation"):
        services.invitation_reissue(invitation=invitation, link_for=str)


def test_extra_time_is_recorded_and_lengthens_only_that_interview(world, client):
    client.force_login(world.owner)
    client.post(
        reverse("hiring:invitations", args=[world.interview_set.id]),
        {"name": "Ada", "days": 7, "extra_minutes": 15},
    )
    invitation = Invitation.objects.get(name="Ada")
    assert invitation.extra_minutes == 15
    _, plain_token = make_invitation(world.interview_set, name="Bo")
    # the token of Ada's invitation was shown once; issue a fresh one to start it
    invitation, token = services.invitation_reissue(invitation=invitation, link_for=str)
    extended = start_in_browser(Client(), token)
    plain = start_in_browser(Client(), plain_token)
    limit = world.interview_set.time_limit_minutes
    assert extended.deadline - extended.started_at == timedelta(minutes=limit + 15)
    assert plain.deadline - plain.started_at == timedelta(minutes=limit)


def test_the_candidate_is_told_their_answers_arrived(world, django_capture_on_commit_callbacks):
    _invitation, token = make_invitation(world.interview_set, name="Ada", email="ada@example.com")
    session = start_in_browser(Client(), token)
    answer_all(session, GOOD)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        finish_and_grade(session)
    received = [m for m in mail.outbox if m.to == ["ada@example.com"]]
    assert len(received) == 1 and "have arrived" in received[0].body


def test_bulk_invite_creates_and_mails_every_row_or_none(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.owner)
    url = reverse("hiring:invitations_bulk", args=[world.interview_set.id])
    broken = client.post(url, {"candidates": "Ada, ada@example.com\nBo, not-an-address", "days": 7})
    assert broken.status_code == 400
    assert "line 2: &#x27;not-an-address&#x27; is not an email address" in broken.content.decode()
    assert not Invitation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url,
            {
                "candidates": "name,email\nAda Lovelace, ada@example.com\nBo, bo@example.com",
                "days": 7,
            },
        )
    assert done.status_code == 200
    assert "2 invitations created and emailed" in done.content.decode()
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "ada@example.com",
        "bo@example.com",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "bo@example.com"]


def test_loading_the_link_marks_the_invitation_opened(world, client):
    invitation, token = make_invitation(world.interview_set, name="Ada")
    make_invitation(world.interview_set, name="Bo")
    assert Client().get(_url(token)).status_code == 200
    invitation.refresh_from_db()
    assert invitation.effective_status == InvitationStatus.OPENED
    client.force_login(world.owner)
    url = reverse("hiring:invitations", args=[world.interview_set.id])
    opened = client.get(url, {"status": "opened"}).content.decode()
    pending = client.get(url, {"status": "pending"}).content.decode()
    assert "Ada" in opened and "Bo" not in opened
    assert "Bo" in pending and "Ada" not in pending
    start_in_browser(Client(), token)  # opening never stops the candidate starting
    invitation.refresh_from_db()
    assert invitation.effective_status == InvitationStatus.STARTED
