"""Celery tasks: ids in, re-fetch, call a service. Safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from grading import services

logger = logging.getLogger(__name__)

# Acknowledged only once the grades are stored; re-queued if the worker dies; retried
# with backoff. Safe because grading is idempotent.
RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="grading.tasks.grade_answers", **RELIABLE)
def grade_answers_task(answer_ids: list[int]) -> None:
    services.grade_answers(answer_ids=answer_ids)


@shared_task(name="grading.tasks.grade_answer", **RELIABLE)
def grade_answer_task(answer_id: int) -> None:
    """One answer (messages queued before batches, or sent by hand): a batch of one."""
    services.grade_answers(answer_ids=[answer_id])


@shared_task(name="grading.tasks.sweep_ungraded")
def sweep_ungraded() -> int:
    """Re-enqueue answers left ungraded (broker was down, worker lost)."""
    ids = services.ungraded_answer_ids(older_than_seconds=settings.GRADING_SWEEP_AFTER_SECONDS)
    if ids:
        logger.info("sweep: re-enqueuing %d ungraded answer(s)", len(ids))
    return services.grading_enqueue(answer_ids=ids)


@shared_task(name="grading.tasks.noop")
def noop_task(answer_id: int) -> None:
    """Does nothing: the benchmark's baseline for broker + worker overhead."""
