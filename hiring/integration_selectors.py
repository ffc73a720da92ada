"""Reads and access checks for a team's integrations: webhook endpoints and their
deliveries, API tokens, and what the read API returns (always one team's data)."""

from __future__ import annotations

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from hiring.models import (
    ApiToken,
    InterviewSet,
    Invitation,
    InvitationStatus,
    Team,
    WebhookEndpoint,
)
from hiring.permissions import Access
from hiring.selectors import answers_prefetch, team_owned_for_member

DELIVERIES_PAGE = 50
API_PAGE = 50


# --------------------------------------------------------------------------- owner pages
def team_webhook_endpoints(*, team: Team) -> list[WebhookEndpoint]:
    return list(
        team.webhook_endpoints.annotate(
            delivered_count=Count("deliveries", filter=Q(deliveries__status="delivered")),
            failed_count=Count("deliveries", filter=Q(deliveries__status="failed")),
        ).order_by("created_at", "id")
    )


def team_api_tokens(*, team: Team) -> list[ApiToken]:
    return list(team.api_tokens.select_related("created_by").order_by("-created_at", "-id"))


def webhook_endpoint_for_member(*, user, endpoint_id: int) -> tuple[WebhookEndpoint, Access]:
    return team_owned_for_member(
        WebhookEndpoint, user=user, object_id=endpoint_id, missing="No such webhook endpoint."
    )


def api_token_for_member(*, user, token_id: int) -> tuple[ApiToken, Access]:
    return team_owned_for_member(ApiToken, user=user, object_id=token_id, missing="No such token.")


def endpoint_deliveries(*, endpoint: WebhookEndpoint, page: str | int = 1) -> Page:
    """The endpoint's delivery log, newest first, one page of it."""
    deliveries = endpoint.deliveries.select_related("invitation").order_by("-created_at", "-id")
    return Paginator(deliveries, DELIVERIES_PAGE).get_page(page)


# --------------------------------------------------------------------------- read API
def api_page(queryset: QuerySet, number: str | None) -> Page:
    """One page of an API list; a page that is not a number or past the end is a 404."""
    paginator = Paginator(queryset, API_PAGE)
    try:
        return paginator.page(number or 1)
    except InvalidPage as exc:  # not a number, or past the end
        raise Http404("No such page.") from exc


def api_sets(*, team: Team) -> QuerySet[InterviewSet]:
    return team.interview_sets.annotate(
        question_count=Count("items", distinct=True),
        invitation_count=Count("invitations", distinct=True),
        completed_count=Count(
            "invitations", filter=Q(invitations__status=InvitationStatus.COMPLETED), distinct=True
        ),
    ).order_by("id")


def api_set(*, team: Team, set_id: int) -> InterviewSet:
    """One of the token's team's sets; any other id is a 404, whoever owns it."""
    interview_set = InterviewSet.objects.filter(team=team, id=set_id).first()
    if interview_set is None:
        raise Http404("No such interview set.")
    return interview_set


def api_invitations(*, interview_set: InterviewSet) -> QuerySet[Invitation]:
    return interview_set.invitations.select_related("session").order_by("id")


def api_candidates(*, interview_set: InterviewSet) -> QuerySet[Invitation]:
    """Invitations with their answers and current grades: a fixed number of queries."""
    return (
        interview_set.invitations.select_related("session")
        .prefetch_related(answers_prefetch())
        .order_by("id")
    )


def candidate_for_event(*, invitation_id: int) -> Invitation | None:
    """An invitation as a webhook payload needs it (team, set, answers, current grades)."""
    return (
        Invitation.objects.select_related("interview_set__team", "session")
        .prefetch_related(answers_prefetch())
        .filter(id=invitation_id)
        .first()
    )
