"""Webhooks against a real local HTTP receiver: signatures, events, retries, refusals,
and no second POST of a delivered event (also across a real Celery worker's restart)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from hiring import webhooks
from hiring.exports import ranking_rows
from hiring.models import WebhookDelivery, WebhookEndpoint
from hiring.selectors import set_ranking
from hiring.tasks import deliver_webhook_task
from hiring.webhooks import DeliveryRetry, WebhookRefused
from tests.grading.conftest import celery_worker_live, wait_for  # noqa: F401  (fixture)
from tests.hiring.conftest import (
    GOOD,
    answer_all,
    completed_candidate,
    make_invitation,
    make_set,
    start_in_browser,
)

BOTH = ["invitation.completed", "candidate.graded"]


def viva_webhook_is_genuine(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
    """A receiver's check, exactly as docs/operations.md gives it."""
    timestamp = headers["X-Viva-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    signed = timestamp.encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Viva-Signature"])


verify = viva_webhook_is_genuine


def endpoint_for(world, url: str, events=None) -> WebhookEndpoint:
    return webhooks.webhook_endpoint_create(
        team=world.team_a, url=url, events=events or BOTH, created_by=world.owner
    )


def send(delivery: WebhookDelivery) -> str:
    return webhooks.webhook_delivery_send(delivery_id=delivery.id)


@pytest.mark.django_db
def test_a_ping_is_signed_with_the_endpoint_secret(world, webhook_receiver):
    endpoint = endpoint_for(world, webhook_receiver.url)
    delivery = webhooks.webhook_ping(endpoint=endpoint)
    assert send(delivery) == "delivered"

    [received] = webhook_receiver.requests
    assert received.path == "/hooks/viva"
    assert received.headers["X-Viva-Event"] == "ping"
    assert received.headers["X-Viva-Delivery"] == str(delivery.id)
    assert received.headers["Content-Type"] == "application/json"
    assert verify(endpoint.secret, received.headers, received.body)
    assert not verify("another-secret", received.headers, received.body)
    assert not verify(endpoint.secret, received.headers, received.body + b" ")
    stale = {**received.headers, "X-Viva-Timestamp": str(int(time.time()) - 3600)}
    assert not verify(endpoint.secret, stale, received.body)  # a replay an hour on
    body = json.loads(received.body)
    assert body["type"] == "ping" and body["id"] == str(delivery.event_id)
    assert body["team"] == {"slug": world.team_a.slug, "name": world.team_a.name}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


@pytest.mark.django_db
def test_completing_and_grading_record_one_event_each_with_scores(world, webhook_receiver):
    endpoint = endpoint_for(world, webhook_receiver.url)
    only_completed = endpoint_for(world, webhook_receiver.url + "/2", ["invitation.completed"])
    invitation, session = completed_candidate(
        world.interview_set, name="Ada Lovelace", email="ada@example.com"
    )
    # grading again (a duplicate task) records nothing new
    from grading.services import grade_answers

    grade_answers(answer_ids=list(session.answers.values_list("id", flat=True)))

    rows = WebhookDelivery.objects.order_by("id")
    assert [(d.endpoint_id, d.event_type) for d in rows] == [
        (endpoint.id, "invitation.completed"),
        (only_completed.id, "invitation.completed"),
        (endpoint.id, "candidate.graded"),
    ]
    graded = rows.get(event_type="candidate.graded")
    assert send(graded) == "delivered"
    body = json.loads(webhook_receiver.requests[-1].body)
    assert body["type"] == "candidate.graded"
    assert body["set"] == {"id": world.interview_set.id, "title": world.interview_set.title}
    candidate = body["invitation"]
    assert candidate["id"] == invitation.id
    assert (candidate["name"], candidate["email"]) == ("Ada Lovelace", "ada@example.com")
    assert candidate["status"] == "completed"
    # rounded as the results page (and its export) shows them
    [shown] = ranking_rows(set_ranking(interview_set=world.interview_set))
    assert candidate["score"] == shown["final_score"] is not None
    assert {str(a["question_id"]): a["score"] for a in candidate["answers"]} == shown["scores"]
    completed = rows.filter(event_type="invitation.completed").first()
    assert json.loads(json.dumps(completed.payload))["invitation"]["status"] == "completed"


@pytest.mark.django_db
def test_a_multiple_choice_only_set_is_graded_at_completion(world, webhook_receiver):
    endpoint_for(world, webhook_receiver.url)
    mcq_set = make_set(world.team_a, [world.questions[2]], title="Quiz")
    invitation, _ = completed_candidate(mcq_set, name="Quick")
    graded = WebhookDelivery.objects.get(event_type="candidate.graded")
    assert graded.payload["invitation"]["id"] == invitation.id
    assert graded.payload["invitation"]["score"] == 100


@pytest.mark.django_db
def test_a_webhook_failure_never_blocks_a_submission(world, webhook_receiver, monkeypatch):
    endpoint_for(world, webhook_receiver.url)

    def broken(**kwargs):
        raise RuntimeError("webhook bug")

    monkeypatch.setattr(webhooks, "_event_record", broken)
    invitation, session = completed_candidate(world.interview_set, name="Unaffected")
    assert invitation.status == "completed"
    assert session.answers.filter(grades__is_current=True).exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_candidate_still_in_progress_records_nothing(world, webhook_receiver):
    endpoint_for(world, webhook_receiver.url)
    _, token = make_invitation(world.interview_set, name="Busy")
    session = start_in_browser(Client(), token)
    answer_all(session, GOOD)
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_disabled_endpoints_and_unsubscribed_events_get_nothing(world, webhook_receiver):
    disabled = endpoint_for(world, webhook_receiver.url)
    webhooks.webhook_endpoint_set_active(endpoint=disabled, active=False)
    endpoint_for(world, webhook_receiver.url, ["candidate.graded"])
    make_other_team_endpoint = webhooks.webhook_endpoint_create(
        team=world.team_b, url=webhook_receiver.url, events=BOTH, created_by=world.member_b
    )
    completed_candidate(world.interview_set, name="Only graded")
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == [
        "candidate.graded"
    ]
    assert not make_other_team_endpoint.deliveries.exists()


@pytest.mark.django_db
def test_a_500_is_retried_then_delivered(world, webhook_receiver):
    webhook_receiver.answer(500)
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, webhook_receiver.url))
    with pytest.raises(DeliveryRetry):
        send(delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 1, 500)
    assert delivery.last_error == "HTTP 500"
    assert send(delivery) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)
    assert len(webhook_receiver.requests) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status", [408, 429, 502, 503])
def test_busy_or_broken_receivers_are_retried(world, webhook_receiver, status):
    webhook_receiver.answer(status)
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, webhook_receiver.url))
    with pytest.raises(DeliveryRetry):
        send(delivery)
    assert WebhookDelivery.objects.get(id=delivery.id).status == "retrying"


@pytest.mark.django_db
@pytest.mark.parametrize("status", [400, 401, 404, 410])
def test_a_4xx_fails_for_good_and_is_not_sent_again(world, webhook_receiver, status):
    webhook_receiver.answer(status)
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, webhook_receiver.url))
    assert send(delivery) == "failed"
    assert send(delivery) == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("failed", status, 1)
    assert delivery.last_error == f"HTTP {status}"
    assert len(webhook_receiver.requests) == 1


@pytest.mark.django_db
def test_redirects_are_not_followed(world, webhook_receiver):
    webhook_receiver.answer(302)
    webhook_receiver.extra_headers[302] = {"Location": webhook_receiver.url + "/elsewhere"}
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, webhook_receiver.url))
    assert send(delivery) == "failed"
    assert [r.path for r in webhook_receiver.requests] == ["/hooks/viva"]
    assert "redirect" in WebhookDelivery.objects.get(id=delivery.id).last_error


@pytest.mark.django_db
def test_attempts_are_bounded(world, webhook_receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    webhook_receiver.answer(500, 500, 500)
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, webhook_receiver.url))
    with pytest.raises(DeliveryRetry):
        send(delivery)
    assert send(delivery) == "failed"
    assert send(delivery) == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_error.startswith("Gave up after 2 attempts")
    assert len(webhook_receiver.requests) == 2


@pytest.mark.django_db
def test_an_unreachable_receiver_is_retried(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, f"http://127.0.0.1:{port}/"))
    with pytest.raises(DeliveryRetry):
        send(delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("retrying", "Could not connect")


@pytest.mark.django_db
def test_a_delivered_event_is_never_sent_twice(world, webhook_receiver):
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, webhook_receiver.url))
    assert send(delivery) == "delivered"
    assert send(delivery) == "delivered"
    deliver_webhook_task.apply(args=[delivery.id])  # a duplicate task, run here
    assert len(webhook_receiver.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_send_in_flight_holds_the_row_so_a_duplicate_makes_no_post(world, webhook_receiver):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite ignores SELECT ... FOR UPDATE)")
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, webhook_receiver.url))
    webhook_receiver.hold = threading.Event()
    outcome = {}

    def first_worker():
        try:
            outcome["first"] = send(delivery)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    wait_for(lambda: len(webhook_receiver.requests) == 1)  # mid-POST, row locked
    assert send(delivery) == "skipped"  # the duplicate leaves it to the first
    webhook_receiver.hold.set()
    thread.join(timeout=30)
    assert outcome["first"] == "delivered"
    assert send(delivery) == "delivered"
    assert len(webhook_receiver.requests) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_and_local_addresses_are_refused(world, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(WebhookRefused, match="private or local address"):
        endpoint_for(world, url)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "example.com"]
)
def test_only_http_urls_are_accepted(world, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with pytest.raises(WebhookRefused, match="https://"):
        endpoint_for(world, url)


@pytest.mark.django_db
def test_an_address_turned_private_is_refused_when_sending(world, webhook_receiver, settings):
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, webhook_receiver.url))
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert send(delivery) == "failed"
    assert webhook_receiver.requests == []
    assert "private or local" in WebhookDelivery.objects.get(id=delivery.id).last_error


# --------------------------------------------------------------------------- real worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_a_500_then_delivers(
    world,
    webhook_receiver,
    celery_worker_live,  # noqa: F811
):
    webhook_receiver.answer(500)
    delivery = webhooks.webhook_ping(endpoint=endpoint_for(world, webhook_receiver.url))
    # queued after commit; retried with backoff by the worker
    wait_for(lambda: WebhookDelivery.objects.get(id=delivery.id).status == "delivered", timeout=60)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_code) == (2, 200)
    assert len(webhook_receiver.requests) == 2
    bodies = {r.body for r in webhook_receiver.requests}
    assert len(bodies) == 1  # the same event, resent


@pytest.mark.django_db(transaction=True)
def test_a_graded_candidate_reaches_the_receiver_through_the_worker(
    world,
    webhook_receiver,
    celery_worker_live,  # noqa: F811
):
    """Submit over HTTP; the worker grades, records candidate.graded and sends both."""
    endpoint = endpoint_for(world, webhook_receiver.url)
    invitation, token = make_invitation(world.interview_set, name="Worker Candidate")
    browser = Client()
    session = start_in_browser(browser, token)
    answer_all(session, GOOD)
    from interviews.services import session_submit

    session_submit(session=session)
    wait_for(lambda: endpoint.deliveries.filter(status="delivered").count() == 2, timeout=60)
    events = sorted(r.headers["X-Viva-Event"] for r in webhook_receiver.requests)
    assert events == ["candidate.graded", "invitation.completed"]
    for received in webhook_receiver.requests:
        assert verify(endpoint.secret, received.headers, received.body)
    graded = next(
        json.loads(r.body) for r in webhook_receiver.requests if b"candidate.graded" in r.body
    )
    assert graded["invitation"]["id"] == invitation.id
    assert graded["invitation"]["score"] is not None


@pytest.mark.django_db(transaction=True)
def test_no_second_post_after_a_duplicate_task_or_a_worker_restart(world, webhook_receiver):
    from config.celery import app, ping
    from tests.workers import live_worker

    if not str(app.conf.broker_url).startswith("redis"):
        pytest.skip("the Celery app was configured without REDIS_URL")
    app.control.purge()
    endpoint = endpoint_for(world, webhook_receiver.url)
    with live_worker(app):
        delivery = webhooks.webhook_ping(endpoint=endpoint)
        wait_for(lambda: WebhookDelivery.objects.get(id=delivery.id).status == "delivered")
        deliver_webhook_task.delay(delivery.id)  # a duplicate message
        assert ping.delay("after").get(timeout=20) == "after"
    # The message again, as the broker redelivers it to a restarted worker.
    deliver_webhook_task.delay(delivery.id)
    with live_worker(app):
        assert ping.delay("after restart").get(timeout=20) == "after restart"
    assert len(webhook_receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


# --------------------------------------------------------------------------- owner pages
@pytest.mark.django_db
def test_owner_adds_an_endpoint_and_sees_its_secret(world, webhook_receiver, client):
    client.force_login(world.owner)
    response = client.post(
        f"/hiring/t/{world.team_a.slug}/integrations/webhooks",
        {"url": webhook_receiver.url, "events": ["candidate.graded"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/hiring/webhooks/{endpoint.id}/"
    )
    assert endpoint.events == ["candidate.graded"] and len(endpoint.secret) == 64
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "Send test event" in page


@pytest.mark.django_db
def test_a_refused_url_keeps_what_was_typed(world, client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    client.force_login(world.owner)
    response = client.post(
        f"/hiring/t/{world.team_a.slug}/integrations/webhooks",
        {"url": "http://10.0.0.5/hook?x=<b>", "events": ["candidate.graded"]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "private or local address" in page
    assert 'value="http://10.0.0.5/hook?x=&lt;b&gt;"' in page
    assert not WebhookEndpoint.objects.exists()
    no_events = client.post(
        f"/hiring/t/{world.team_a.slug}/integrations/webhooks", {"url": "https://x.example/h"}
    )
    assert "Choose at least one event." in no_events.content.decode()


@pytest.mark.django_db
def test_disable_enable_and_delete(world, webhook_receiver, client):
    endpoint = endpoint_for(world, webhook_receiver.url)
    client.force_login(world.owner)
    client.post(f"/hiring/webhooks/{endpoint.id}/active", {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    client.post(f"/hiring/webhooks/{endpoint.id}/active", {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active
    webhooks.webhook_ping(endpoint=endpoint)
    response = client.post(f"/hiring/webhooks/{endpoint.id}/delete")
    assert response["Location"] == f"/hiring/t/{world.team_a.slug}/integrations/"
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_send_test_event_queues_a_ping_after_commit(
    world, webhook_receiver, client, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(world, webhook_receiver.url)
    client.force_login(world.owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/hiring/webhooks/{endpoint.id}/test")
    assert len(callbacks) == 1
    delivery = endpoint.deliveries.get()
    assert delivery.event_type == "ping"


@pytest.mark.django_db
def test_pages_that_list_cost_a_fixed_number_of_queries(
    world, webhook_receiver, client, django_assert_num_queries
):
    endpoints = [endpoint_for(world, f"{webhook_receiver.url}/{n}") for n in range(3)]
    for endpoint in endpoints:
        for _ in range(4):
            webhooks.webhook_ping(endpoint=endpoint)
    completed_candidate(world.interview_set, name="Listed")
    client.force_login(world.owner)
    client.get(f"/hiring/t/{world.team_a.slug}/integrations/")  # warm the session caches
    with django_assert_num_queries(5):  # session, user, membership, endpoints, tokens
        page = client.get(f"/hiring/t/{world.team_a.slug}/integrations/")
    assert page.status_code == 200
    with django_assert_num_queries(5):  # session, user, endpoint with role, count, page
        log = client.get(f"/hiring/webhooks/{endpoints[0].id}/")
    assert log.content.decode().count("<code>ping</code>") == 4


@pytest.mark.django_db
@pytest.mark.parametrize("member", ["reviewer", "viewer"])
def test_only_owners_see_the_integrations_link(world, client, member):
    client.force_login(getattr(world, member))
    page = client.get(f"/hiring/t/{world.team_a.slug}/").content.decode()
    assert "/integrations/" not in page
    client.force_login(world.owner)
    assert "/integrations/" in client.get(f"/hiring/t/{world.team_a.slug}/").content.decode()
