"""The one base for refusals a service makes: a message for people, a code for programs.

Each app's errors derive from it (interviews/errors.py, hiring's HiringError), so a view
or a client can tell a refused action from a bug without knowing which app refused.
"""

from __future__ import annotations

from django.http import Http404


class DomainError(Exception):
    status_code = 400  # the HTTP status a view answers with
    code = "refused"  # stable, for programs and tests
    message = "That could not be done."

    def __init__(self, message: str | None = None, *, code: str | None = None):
        self.message = message or self.message
        self.code = code or self.code
        super().__init__(self.message)


class NotFound(DomainError, Http404):
    """What the request names does not exist, or is not the requester's to see: Django's
    404 page, without saying which."""

    status_code = 404
    code = "not_found"
    message = "Not found."
