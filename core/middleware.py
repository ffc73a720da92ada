"""Turn a lost database connection into a clear 503 page, and a service's refusal into
the answer the request expects, instead of a stack trace."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import DomainError

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable: %s", exception)
        body = render_to_string("503.html", {"request": request})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "5"
        return response


class DomainErrorMiddleware:
    """The one place a refusal that reached no ``except`` becomes a response.

    htmx: the message, escaped, with the refusal's status; the page's global response
    handling shows it where the request would have swapped. A plain form post: the message
    as a flash message on the page the post came from (a same-site Referer), or on an
    error page with the status. NotFound is left to Django's 404 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or isinstance(exception, Http404):
            return None
        if getattr(request, "htmx", False):
            return HttpResponse(escape(exception.message), status=exception.status_code)
        back = request.headers.get("Referer", "")
        if back and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            messages.error(request, exception.message)
            return redirect(back)
        body = render_to_string("refused.html", {"message": exception.message}, request=request)
        return HttpResponse(body, status=exception.status_code)
