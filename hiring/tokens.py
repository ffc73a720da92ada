"""Invitation tokens: unguessable, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32  # 256 bits: guessing is hopeless, throttling is belt and braces
# token_urlsafe(32) is always 43 characters of the URL-safe base64 alphabet.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9_-]{43}$")


def token_new() -> tuple[str, str]:
    """A fresh token and the hash to store; the token itself is never saved."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_is_well_formed(token: str) -> bool:
    """Reject malformed tokens before touching the database."""
    return bool(_WELL_FORMED.match(token or ""))
