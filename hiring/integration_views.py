"""A team's integrations, for its owners: webhook endpoints with their delivery logs,
and read-API tokens. Non-members get a 404, members who are not owners a 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.http import HtmxHttpRequest
from hiring import api_tokens, selectors, webhooks
from hiring import integration_selectors as integrations
from hiring.integration_forms import ApiTokenForm, WebhookEndpointForm
from hiring.services import HiringError

# A token just made waits here for the one page load that shows it; the create form
# redirects, so reloading that page neither shows it again nor makes a second token.
NEW_TOKEN_SESSION_KEY = "viva_new_api_token"


def _page(request, access, *, status: int = 200, new_token_id=None, **extra) -> HttpResponse:
    team = access.team
    tokens = integrations.team_api_tokens(team=team)
    context = {
        "team": team,
        "access": access,
        "endpoints": integrations.team_webhook_endpoints(team=team),
        "tokens": tokens,
        "new_token": next((t for t in tokens if t.id == new_token_id), None),
        "endpoint_form": WebhookEndpointForm(),
        "token_form": ApiTokenForm(),
        **extra,
    }
    return render(request, "hiring/integrations.html", context, status=status)


def _owner_of_team(request, slug: str):
    access = selectors.team_for_member(user=request.user, slug=slug)
    access.require_manage()
    return access


@require_safe
@never_cache  # the page can show a token that was just made
@login_required
def integrations_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = _owner_of_team(request, slug)
    new = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    if new and new["team_id"] == access.team.id:
        return _page(request, access, new_token_id=new["id"], new_secret=new["secret"])
    return _page(request, access)


@require_POST
@login_required
def webhook_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = _owner_of_team(request, slug)
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = webhooks.webhook_endpoint_create(
                team=access.team,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                created_by=request.user,
            )
        except HiringError as exc:
            form.add_error("url", exc.message)
        else:
            messages.success(request, "Endpoint added. Copy its signing secret below.")
            return redirect("hiring:webhook", endpoint_id=endpoint.id)
    return _page(request, access, endpoint_form=form, status=400)


@require_POST
@never_cache
@login_required
def api_token_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = _owner_of_team(request, slug)
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = api_tokens.api_token_create(
                team=access.team, name=form.cleaned_data["name"], created_by=request.user
            )
        except HiringError as exc:
            form.add_error("name", exc.message)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {
                "id": token.id,
                "team_id": access.team.id,
                "secret": secret,
            }
            return redirect("hiring:integrations", slug=access.team.slug)
    return _page(request, access, token_form=form, status=400)


@require_POST
@login_required
def api_token_revoke(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    token, access = integrations.api_token_for_member(user=request.user, token_id=token_id)
    access.require_manage()
    api_tokens.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("hiring:integrations", slug=access.team.slug)


def _owned_endpoint(request, endpoint_id: int):
    endpoint, access = integrations.webhook_endpoint_for_member(
        user=request.user, endpoint_id=endpoint_id
    )
    access.require_manage()
    return endpoint, access


@require_safe
@never_cache
@login_required
def webhook(request: HtmxHttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint, access = _owned_endpoint(request, endpoint_id)
    deliveries = integrations.endpoint_deliveries(
        endpoint=endpoint, page=request.GET.get("page", 1)
    )
    return render(
        request,
        "hiring/webhook.html",
        {"team": access.team, "access": access, "endpoint": endpoint, "deliveries": deliveries},
    )


@require_POST
@login_required
def webhook_test(request: HtmxHttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint, _ = _owned_endpoint(request, endpoint_id)
    webhooks.webhook_ping(endpoint=endpoint)
    messages.success(request, "Test event queued: its delivery is in the log below.")
    return redirect("hiring:webhook", endpoint_id=endpoint.id)


@require_POST
@login_required
def webhook_active(request: HtmxHttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint, _ = _owned_endpoint(request, endpoint_id)
    active = request.POST.get("active") == "1"
    webhooks.webhook_endpoint_set_active(endpoint=endpoint, active=active)
    messages.success(request, "Endpoint enabled." if active else "Endpoint disabled.")
    return redirect("hiring:webhook", endpoint_id=endpoint.id)


@require_POST
@login_required
def webhook_delete(request: HtmxHttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint, access = _owned_endpoint(request, endpoint_id)
    webhooks.webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Endpoint {endpoint.url} deleted.")
    return redirect("hiring:integrations", slug=access.team.slug)
