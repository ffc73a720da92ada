"""Email verification: a signed link mailed to the address, and what it unlocks."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from core.errors import DomainError
from core.links import absolute_url
from core.models import VerifiedEmail

SALT = "viva.core.verify-email"
LINK_DAYS = 3


class VerificationFailed(DomainError):
    code = "verification_failed"


def normalised(email: str) -> str:
    return email.strip().lower()


def email_verification_send(*, user, request=None) -> bool:
    """Mail ``user`` a link that proves they read their address; False without one."""
    email = normalised(user.email or "")
    if not email:
        return False
    token = signing.dumps({"u": user.pk, "e": email}, salt=SALT, compress=True)
    link = absolute_url(reverse("verify_email", args=[token]), request=request)
    body = render_to_string(
        "registration/verify_email.txt", {"user": user, "link": link, "days": LINK_DAYS}
    ).strip()
    send_mail("Confirm your email address for Viva", body, None, [email])
    return True


def email_verify(*, token: str) -> VerifiedEmail:
    """Record the address a link was mailed to as verified for its account."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_DAYS * 24 * 3600)
    except signing.SignatureExpired:
        raise VerificationFailed("This link has expired: sign in and ask for a new one.") from None
    except signing.BadSignature:
        raise VerificationFailed(
            "This link is not valid. Copy the whole link from the email."
        ) from None
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or normalised(user.email or "") != data.get("e"):
        raise VerificationFailed(
            "This link was for an address the account no longer uses: ask for a new one."
        )
    try:
        with transaction.atomic():
            verified, _ = VerifiedEmail.objects.update_or_create(
                user=user, defaults={"email": data["e"]}
            )
    except IntegrityError:
        raise VerificationFailed(
            "Another account has already verified this address. Sign in to that one."
        ) from None
    return verified


def is_verified(user) -> bool:
    """Has ``user`` verified the address their account now has?"""
    if not getattr(user, "is_authenticated", False) or not user.email:
        return False
    return VerifiedEmail.objects.filter(user=user, email=normalised(user.email)).exists()


def verified_email_mark(*, user) -> VerifiedEmail:
    """Verify an address without a link: for accounts the operator creates (demo data)."""
    verified, _ = VerifiedEmail.objects.update_or_create(
        user=user, defaults={"email": normalised(user.email)}
    )
    return verified
