"""Sign-up confirms the email address before it counts for anything (S1, S5)."""

from __future__ import annotations

import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from core import accounts
from core.models import VerifiedEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-passphrase-1"


def _sign_up(client, username: str, email: str, ip: str = "198.51.100.1"):
    return client.post(
        reverse("signup"),
        {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
        REMOTE_ADDR=ip,
    )


def _link_in_last_mail() -> str:
    return re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[-1].body).group(0)


def test_sign_up_mails_a_link_that_confirms_the_address(client):
    response = _sign_up(client, "dana", "Dana@Example.com")
    assert response.status_code == 302
    user = client.get("/").wsgi_request.user
    assert not accounts.is_verified(user)
    link = _link_in_last_mail()
    assert mail.outbox[-1].to == ["dana@example.com"]
    page = client.get(link)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and not accounts.is_verified(user)
    client.post(link)
    assert accounts.is_verified(user)
    assert VerifiedEmail.objects.get(user=user).email == "dana@example.com"


def test_an_email_is_required_to_sign_up(client):
    assert _sign_up(client, "noemail", "").status_code == 200
    assert not mail.outbox


def test_a_forged_or_stale_link_is_refused_with_a_clear_message(client):
    user = UserFactory(username="eve")
    forged = client.post(reverse("verify_email", args=["not-a-real-token"]))
    assert forged.status_code == 400 and "not valid" in forged.content.decode()
    token = signing.dumps({"u": user.pk, "e": "someone-else@example.com"}, salt=accounts.SALT)
    stale = client.post(reverse("verify_email", args=[token]))
    assert stale.status_code == 400 and "no longer uses" in stale.content.decode()
    assert not VerifiedEmail.objects.exists()


def test_only_one_account_can_verify_an_address(client):
    first = UserFactory(username="first", email="shared@example.com")
    second = UserFactory(username="second", email="shared@example.com")
    accounts.email_verify(
        token=signing.dumps({"u": first.pk, "e": "shared@example.com"}, salt=accounts.SALT)
    )
    token = signing.dumps({"u": second.pk, "e": "shared@example.com"}, salt=accounts.SALT)
    refused = client.post(reverse("verify_email", args=[token]))
    assert refused.status_code == 400 and "Another account" in refused.content.decode()
    assert VerifiedEmail.objects.get().user == first


def test_sign_up_is_throttled_per_client(client):
    for i in range(5):
        assert _sign_up(client, f"bulk{i}", f"bulk{i}@example.com").status_code == 302
        client.logout()
    assert _sign_up(client, "bulk5", "bulk5@example.com").status_code == 429
    assert _sign_up(client, "other", "other@example.com", ip="203.0.113.5").status_code == 302


def test_a_signed_in_user_can_ask_for_a_new_link(client):
    user = UserFactory(username="late")
    client.force_login(user)
    response = client.post(reverse("verify_email_resend"), {"next": "/hiring/"})
    assert response.status_code == 302 and response["Location"] == "/hiring/"
    assert mail.outbox[-1].to == [user.email]
