"""Celery tasks for hiring's webhooks (ids in, re-fetch, call the service; safe twice)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from grading.tasks import RELIABLE
from hiring import webhooks

logger = logging.getLogger(__name__)

# Acknowledged once the attempt is recorded, re-queued if the worker dies, and retried
# with exponential backoff and full jitter (5 s, 10 s, 20 s ... capped at 30 min) while
# the receiver is down. The delivery row counts the attempts and gives up after
# WEBHOOK_MAX_ATTEMPTS; max_retries is only a backstop.
DELIVERY: dict = {
    **RELIABLE,
    "retry_backoff": 5,
    "retry_backoff_max": 1800,
    "max_retries": settings.WEBHOOK_MAX_ATTEMPTS + 2,
}

SWEEP_AFTER_SECONDS = 120


@shared_task(name="hiring.tasks.deliver_webhook", **DELIVERY)
def deliver_webhook_task(delivery_id: int) -> str:
    return webhooks.webhook_delivery_send(delivery_id=delivery_id)


@shared_task(name="hiring.tasks.sweep_webhook_deliveries")
def sweep_webhook_deliveries() -> int:
    """Queue deliveries that were never sent (the broker was down after their commit)."""
    ids = webhooks.pending_delivery_ids(older_than_seconds=SWEEP_AFTER_SECONDS)
    return deliveries_enqueue(delivery_ids=ids)


def deliveries_enqueue(*, delivery_ids: list[int]) -> int:
    """Queue one send per delivery; a broker outage loses nothing (the sweep retries)."""
    sent = 0
    for delivery_id in delivery_ids:
        try:
            deliver_webhook_task.delay(delivery_id)
        except Exception:  # the broker is down or unreachable
            logger.warning("could not queue webhook delivery %s; the sweep will", delivery_id)
            break
        sent += 1
    return sent
