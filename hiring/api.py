"""The read API, /api/v1/: a team's sets, invitations and candidates' scores as JSON.

``Authorization: Bearer <token>`` with a token an owner made on the team's
Integrations page; every answer is that team's data only, and any other id is a 404.
GET only; no session cookie is accepted, so there is nothing for CSRF to protect.
Failed token attempts are throttled per client address.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.paginator import Page
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from core.client import client_ip
from core.throttle import Throttle
from hiring import integration_selectors as selectors
from hiring import records
from hiring.api_tokens import api_token_authenticate
from hiring.models import ApiToken

BAD_TOKEN_THROTTLE = Throttle(scope="api-bad-token", limit=20, window_seconds=600)
REALM = 'Bearer realm="viva"'


def _error(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _unauthorised(message: str) -> JsonResponse:
    return _error(401, "unauthorised", message, WWW_Authenticate=REALM)


def token_required(view: Callable) -> Callable:
    """Authenticate the bearer token (401 otherwise), answer GET only (405), never CSRF:
    the view gets the token, and through it the team."""

    @csrf_exempt
    @never_cache
    @require_GET
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        ip = client_ip(request)
        if retry_after := BAD_TOKEN_THROTTLE.blocked_for(ip):
            return _error(
                429, "throttled", "Too many failed attempts; try later.",
                Retry_After=str(retry_after),
            )  # fmt: skip
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return _unauthorised("Send Authorization: Bearer <token>.")
        token = api_token_authenticate(secret=secret.strip())
        if token is None:
            BAD_TOKEN_THROTTLE.hit(ip)
            return _unauthorised("The token is not valid or has been revoked.")
        try:
            return view(request, token, *args, **kwargs)
        except Http404 as exc:
            return _error(404, "not_found", str(exc) or "Not found.")

    return wrapped


def _listing(request: HttpRequest, page: Page, record: Callable) -> JsonResponse:
    def link(number: int) -> str:
        return request.build_absolute_uri(f"{request.path}?page={number}")

    return JsonResponse(
        {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "next": link(page.next_page_number()) if page.has_next() else None,
            "previous": link(page.previous_page_number()) if page.has_previous() else None,
            "results": [record(item) for item in page.object_list],
        }
    )


@token_required
def sets(request: HttpRequest, token: ApiToken) -> JsonResponse:
    page = selectors.api_page(selectors.api_sets(team=token.team), request.GET.get("page"))
    return _listing(request, page, records.set_record)


@token_required
def set_invitations(request: HttpRequest, token: ApiToken, set_id: int) -> JsonResponse:
    interview_set = selectors.api_set(team=token.team, set_id=set_id)
    page = selectors.api_page(
        selectors.api_invitations(interview_set=interview_set), request.GET.get("page")
    )
    return _listing(request, page, records.invitation_record)


@token_required
def set_candidates(request: HttpRequest, token: ApiToken, set_id: int) -> JsonResponse:
    interview_set = selectors.api_set(team=token.team, set_id=set_id)
    page = selectors.api_page(
        selectors.api_candidates(interview_set=interview_set), request.GET.get("page")
    )
    return _listing(request, page, records.candidate_record)
