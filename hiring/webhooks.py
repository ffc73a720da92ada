"""Webhooks: a team's endpoints, the events they hear about, and sending them.

An event becomes one ``WebhookDelivery`` row per subscribed endpoint, written in the
transaction that caused it; a Celery task sends each row after commit (hiring/tasks.py).
Sending holds the row's lock, and a row already delivered (or given up on) is never sent
again, so a duplicate task or a worker restart makes no second POST of a delivered event.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from grading.models import Grade, GraderKind
from hiring import records
from hiring.integration_selectors import candidate_for_event
from hiring.models import (
    SUBSCRIBABLE_EVENTS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from hiring.services import HiringError
from interviews.models import Answer
from questionbank.models import Kind

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_TEAM = 10
USER_AGENT = "Viva-Webhooks/1"


class WebhookRefused(HiringError):
    code = "webhook_refused"


class DeliveryRetry(Exception):
    """The receiver may take it later (5xx, 408, 429, timeout, no connection)."""


# --------------------------------------------------------------------------- endpoints
def endpoint_url_problem(url: str) -> str:
    """Why Viva will not post to this URL, or "" when it may.

    Only http(s). Unless WEBHOOK_ALLOW_PRIVATE_URLS is on, every address the host name
    resolves to must be public: no loopback, private, link-local (cloud metadata) or
    reserved address, so a team cannot make the server probe its own network.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "Use a full URL starting with https:// (or http://)."
    if parts.username or parts.password:
        return "Leave the user name and password out of the URL; the signature authenticates us."
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        return f"The host name {parts.hostname} does not resolve."
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return "That URL points to a private or local address: use a public one."
    return ""


def webhook_endpoint_create(*, team, url: str, events: list[str], created_by) -> WebhookEndpoint:
    """Register an endpoint with a fresh signing secret."""
    url = url.strip()
    if problem := endpoint_url_problem(url):
        raise WebhookRefused(problem)
    events = [e.value for e in SUBSCRIBABLE_EVENTS if e in events]  # known ones, in order
    if not events:
        raise WebhookRefused("Choose at least one event.")
    if team.webhook_endpoints.count() >= MAX_ENDPOINTS_PER_TEAM:
        raise WebhookRefused(f"A team can have at most {MAX_ENDPOINTS_PER_TEAM} endpoints.")
    return WebhookEndpoint.objects.create(
        team=team,
        url=url,
        events=events,
        secret=secrets.token_hex(32),
        created_by=created_by,
    )


def webhook_endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    """Pause or resume an endpoint; while paused, its events are not recorded."""
    endpoint.is_active = active
    endpoint.save(update_fields=["is_active"])
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log; queued sends find no row and stop."""
    endpoint.delete()


# --------------------------------------------------------------------------- events
def _event_payload(*, event_id: uuid.UUID, event_type: str, team, invitation) -> dict:
    payload: dict = {
        "id": str(event_id),
        "type": event_type,
        "created": timezone.now().isoformat(),
        "team": {"slug": team.slug, "name": team.name},
    }
    if invitation is not None:
        interview_set = invitation.interview_set
        payload["set"] = {"id": interview_set.id, "title": interview_set.title}
        payload["invitation"] = records.candidate_record(invitation)
    return payload


def webhook_event_record(*, event_type: str, invitation_id: int) -> list[int]:
    """Record a candidate's event for every active endpoint of the team that subscribed.

    Call inside the transaction that made the event happen: the rows commit with it, and
    the sends are queued after commit. Each endpoint hears of each candidate's event once
    (a unique constraint settles racing workers). Returns the new deliveries' ids.
    """
    endpoints = _subscribed_endpoints(invitation_id=invitation_id, event_type=event_type)
    invitation = candidate_for_event(invitation_id=invitation_id) if endpoints else None
    if invitation is None:
        return []
    return _event_record(event_type=event_type, endpoints=endpoints, invitation=invitation)


def _event_record(*, event_type: str, endpoints, invitation) -> list[int]:
    """One event of a loaded candidate, for those of ``endpoints`` that take it."""
    endpoints = [e for e in endpoints if event_type in e.events]
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    payload = _event_payload(
        event_id=event_id, event_type=event_type, team=invitation.interview_set.team,
        invitation=invitation,
    )  # fmt: skip
    return _deliveries_create(
        endpoints=endpoints, event_id=event_id, event_type=event_type, payload=payload,
        invitation=invitation,
    )  # fmt: skip


def _subscribed_endpoints(*, invitation_id: int, event_type: str | None) -> list[WebhookEndpoint]:
    """The active endpoints of the invitation's team that take this event (any event with
    None): one query."""
    endpoints = WebhookEndpoint.objects.filter(
        team__interview_sets__invitations__id=invitation_id, is_active=True
    )
    return [e for e in endpoints if event_type is None or event_type in e.events]


def webhook_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event (``ping``) to one endpoint, sent like any other."""
    event_id = uuid.uuid4()
    payload = _event_payload(
        event_id=event_id, event_type=WebhookEvent.PING, team=endpoint.team, invitation=None
    )
    [delivery_id] = _deliveries_create(
        endpoints=[endpoint], event_id=event_id, event_type=WebhookEvent.PING,
        payload=payload, invitation=None,
    )  # fmt: skip
    return WebhookDelivery.objects.get(id=delivery_id)


def _deliveries_create(*, endpoints, event_id, event_type, payload, invitation) -> list[int]:
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    endpoint=endpoint,
                    event_id=event_id,
                    event_type=event_type,
                    invitation=invitation,
                    payload=payload,
                )
                for endpoint in endpoints
            ],
            ignore_conflicts=True,  # already recorded for that endpoint: keep the first
        )
        ids = list(WebhookDelivery.objects.filter(event_id=event_id).values_list("id", flat=True))
        if ids:
            transaction.on_commit(lambda: _enqueue(ids))
    return ids


def _enqueue(delivery_ids: list[int]) -> None:
    from hiring.tasks import deliveries_enqueue  # the tasks module imports this one

    deliveries_enqueue(delivery_ids=delivery_ids)


def candidate_graded_check(*, answer_ids: list[int]) -> int:
    """After new grades: for each invited session among these answers whose free-text
    answers now all have a current keyword grade, record ``candidate.graded``.
    Returns how many candidates that was."""
    ungraded = Answer.objects.filter(session_id=OuterRef("session_id"), kind=Kind.FREE_TEXT).filter(
        ~Exists(
            Grade.objects.filter(answer=OuterRef("pk"), kind=GraderKind.KEYWORD, is_current=True)
        )
    )
    team_listens = WebhookEndpoint.objects.filter(
        team=OuterRef("session__invitation__interview_set__team"), is_active=True
    )
    invitation_ids = set(
        Answer.objects.filter(id__in=answer_ids, session__invitation__isnull=False)
        .filter(Exists(team_listens))  # teams without webhooks pay one query, no more
        .filter(~Exists(ungraded))
        .values_list("session__invitation_id", flat=True)
    )
    for invitation_id in sorted(invitation_ids):
        with transaction.atomic():
            webhook_event_record(
                event_type=WebhookEvent.CANDIDATE_GRADED, invitation_id=invitation_id
            )
    return len(invitation_ids)


def session_finished_record(*, session) -> None:
    """Inside the transaction that closes an invited session: ``invitation.completed``,
    and ``candidate.graded`` too when there is no free-text answer left to grade.

    One query when the team has no endpoint; the endpoints and the candidate are read
    once for both events. Whatever goes wrong here is logged and rolled back to a
    savepoint: the candidate's submission stands.
    """
    endpoints = _subscribed_endpoints(invitation_id=session.invitation_id, event_type=None)
    if not endpoints:
        return
    try:
        with transaction.atomic():
            invitation = candidate_for_event(invitation_id=session.invitation_id)
            if invitation is None:
                return
            events = [WebhookEvent.INVITATION_COMPLETED]
            if not any(a.kind == Kind.FREE_TEXT for a in invitation.session.answers.all()):
                events.append(WebhookEvent.CANDIDATE_GRADED)
            for event_type in events:
                _event_record(event_type=event_type, endpoints=endpoints, invitation=invitation)
    except Exception:
        logger.exception("could not record webhooks for session %s", session.id)


# --------------------------------------------------------------------------- sending
def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of "<timestamp>.<body>" under the secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def _post(delivery: WebhookDelivery) -> requests.Response:
    body = delivery_body(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Viva-Event": delivery.event_type,
        "X-Viva-Delivery": str(delivery.id),
        "X-Viva-Timestamp": timestamp,
        "X-Viva-Signature": signature(
            secret=delivery.endpoint.secret, timestamp=timestamp, body=body
        ),
    }
    with requests.Session() as http:
        http.trust_env = False  # no proxy or .netrc from the environment
        response = http.post(
            delivery.endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,  # a redirect could point anywhere, the network included
            stream=True,  # the body is never read: a huge reply costs nothing
        )
        response.close()
    return response


def _outcome(delivery: WebhookDelivery) -> tuple[str, int | None, str]:
    """POST once: (status to record, response code, error)."""
    if problem := endpoint_url_problem(delivery.endpoint.url):  # DNS may have changed
        return DeliveryStatus.FAILED, None, problem
    try:
        response = _post(delivery)
    except (requests.Timeout, requests.ConnectionError) as exc:
        kind = "Timed out" if isinstance(exc, requests.Timeout) else "Could not connect"
        return DeliveryStatus.RETRYING, None, kind
    except requests.RequestException as exc:
        return DeliveryStatus.FAILED, None, f"Could not send: {type(exc).__name__}"
    code = response.status_code
    if 200 <= code < 300:
        return DeliveryStatus.DELIVERED, code, ""
    if 300 <= code < 400:
        return DeliveryStatus.FAILED, code, "Redirected: webhooks do not follow redirects"
    if code in {408, 429} or code >= 500:
        return DeliveryStatus.RETRYING, code, f"HTTP {code}"
    return DeliveryStatus.FAILED, code, f"HTTP {code}"


def webhook_delivery_send(*, delivery_id: int) -> str:
    """Send one delivery if it still needs sending; return its status afterwards.

    The row stays locked while it is sent, so a duplicate task waits its turn (or, on
    PostgreSQL, skips it) and then finds it delivered. Raises DeliveryRetry when the
    receiver may take it later and attempts remain (the task retries with backoff).
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(id=delivery_id)
            .first()
        )
        if delivery is None:  # deleted with its endpoint, or being sent by another worker
            return "skipped"
        if delivery.status in {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED}:
            return delivery.status
        status: str
        code: int | None
        if not delivery.endpoint.is_active and delivery.event_type != WebhookEvent.PING:
            status, code, error = DeliveryStatus.FAILED, None, "The endpoint is disabled"
        else:
            status, code, error = _outcome(delivery)
            delivery.attempts += 1
        if status == DeliveryStatus.RETRYING and delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            status, error = (
                DeliveryStatus.FAILED,
                f"Gave up after {delivery.attempts} attempts: {error}",
            )
        delivery.status = status
        delivery.response_code = code
        delivery.last_error = error[:300]
        delivery.last_attempt_at = timezone.now()
        if status == DeliveryStatus.DELIVERED:
            delivery.delivered_at = delivery.last_attempt_at
        delivery.save(
            update_fields=[
                "status", "response_code", "last_error", "last_attempt_at", "delivered_at",
                "attempts",
            ]
        )  # fmt: skip
    if status == DeliveryStatus.RETRYING:
        raise DeliveryRetry(f"delivery {delivery_id}: {error}")
    if status == DeliveryStatus.FAILED:
        logger.warning("webhook delivery %s failed: %s", delivery_id, error)
    return status


def pending_delivery_ids(*, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Deliveries never sent (the broker was down when they were queued)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
