"""Invitation links and API tokens are keys: keep them out of every log line.

A token is in the path of the first request a candidate makes, and in the Referer of the
requests that page makes next (same-origin referrers carry the full URL). Gunicorn's access
log and Django's own loggers both go through ``redact``.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as _GunicornLogger

_INVITE_TOKEN = re.compile(r"(/hiring/invite/)[^/?#\s\"']+")
# Read-API tokens (hiring/api_tokens.py), wherever one turns up: a logged header, an
# error message quoting a request.
_API_TOKEN = re.compile(r"\b(viva_)[A-Za-z0-9_-]{20,}")
REDACTED = "[token]"


def redact(text: str) -> str:
    text = _INVITE_TOKEN.sub(rf"\g<1>{REDACTED}", text)
    return _API_TOKEN.sub(rf"\g<1>{REDACTED}", text)


class RedactTokens(logging.Filter):
    """A handler filter: the formatted message, with invitation tokens replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class GunicornLogger(_GunicornLogger):
    """Gunicorn's logger whose access-log fields (request line, path, referrer...) are
    redacted before formatting."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(v) if isinstance(v, str) else v for key, v in atoms.items()}
