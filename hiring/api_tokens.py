"""Per-team tokens for the read API: shown once, stored only as a hash, revocable."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from hiring.models import ApiToken, Team
from hiring.services import HiringError
from hiring.tokens import TOKEN_BYTES, token_hash, token_is_well_formed

PREFIX = "viva_"  # tells a leaked Viva token apart (and lets log redaction find it)
MAX_TOKENS_PER_TEAM = 20
# last_used_at is written at most this often per token: a busy integration does not
# turn every read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def api_token_create(*, team: Team, name: str, created_by) -> tuple[ApiToken, str]:
    """A new token for the team; returns it and the secret, which is never stored."""
    name = name.strip()
    if not name:
        raise HiringError("Give the token a name, e.g. the system that will use it.")
    if team.api_tokens.filter(revoked_at__isnull=True).count() >= MAX_TOKENS_PER_TEAM:
        raise HiringError(f"A team can have at most {MAX_TOKENS_PER_TEAM} active tokens.")
    secret = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken.objects.create(
        team=team,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[: len(PREFIX) + 4],
        created_by=created_by,
    )
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke at once; idempotent."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(id=token.id, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token with this secret (its team loaded), or None; notes when it was used."""
    secret = secret or ""
    if not (secret.startswith(PREFIX) and token_is_well_formed(secret.removeprefix(PREFIX))):
        return None
    token = (
        ApiToken.objects.select_related("team")
        .filter(token_hash=token_hash(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRANULARITY),
        id=token.id,
    ).update(last_used_at=now)
    return token
