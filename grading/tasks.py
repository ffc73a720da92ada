"""Celery tasks (ids in, re-fetch, call a service; safe to run twice) and how grading
work is queued."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction

from grading import llm_service, services
from grading.llm_queue import MODE_OFF, breaker, llm_mode

logger = logging.getLogger(__name__)

# Acknowledged only once the grades are stored; re-queued if the worker dies; retried
# with backoff. Safe because grading is idempotent.
RELIABLE: dict[str, Any] = {
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
    return grading_enqueue(answer_ids=ids)


@shared_task(name="grading.tasks.llm_opinion", **RELIABLE)
def llm_opinion_task(answer_id: int) -> None:
    """One answer's LLM second opinion, on the ``llm`` queue (config/settings.py routes it).
    Claimed with a conditional update, so a duplicate or redelivered message is harmless."""
    services.answer_second_opinion(answer_id=answer_id)


@shared_task(name="grading.tasks.sweep_llm_opinions")
def sweep_llm_opinions() -> int:
    """Re-send opinions deferred (breaker open, endpoint busy) once their wait is over,
    pending ones whose message was lost, and claims whose worker died mid-call."""
    if llm_mode() == MODE_OFF or breaker.open_until() is not None:
        return 0
    ids = llm_service.opinions_due(stale_after_seconds=settings.GRADING_SWEEP_AFTER_SECONDS)
    if ids:
        logger.info("sweep: re-sending %d LLM second opinion(s)", len(ids))
    return llm_opinions_enqueue(answer_ids=ids)


def llm_opinions_enqueue(*, answer_ids: list[int]) -> int:
    """One ``llm`` task per answer, so one slow call holds back no other; returns how many
    were sent. A broker outage loses nothing: the LLM sweep sends them later."""
    sent = 0
    for answer_id in answer_ids:
        try:
            llm_opinion_task.delay(answer_id)
        except Exception:
            logger.warning(
                "could not enqueue LLM opinions from answer %s; the sweep will", answer_id
            )
            break
        sent += 1
    return sent


@shared_task(name="grading.tasks.noop")
def noop_task(answer_id: int) -> None:
    """Does nothing: the benchmark's baseline for broker + worker overhead."""


def answers_grade_after_commit(*, answers: Iterable) -> None:
    """Score multiple choice now; enqueue free text once the transaction commits."""
    free_text_ids = []
    for answer in answers:
        if answer.is_free_text:
            free_text_ids.append(answer.id)
        else:
            services.answer_grade_choice(answer=answer)
    if free_text_ids:
        transaction.on_commit(lambda: grading_enqueue(answer_ids=free_text_ids))


# A whole session's free-text answers (at most 15 questions) go in one task.
GRADING_BATCH_SIZE = 15


def grading_enqueue(*, answer_ids: list[int]) -> int:
    """Send grading tasks, one per batch of answers; returns how many answers were sent.

    A broker outage loses nothing: the sweep enqueues later. LLM second opinions are
    separate tasks on their own queue, so a keyword batch never waits on a network call.
    """
    sent = 0
    for start in range(0, len(answer_ids), GRADING_BATCH_SIZE):
        batch = answer_ids[start : start + GRADING_BATCH_SIZE]
        try:
            grade_answers_task.delay(batch)
        except Exception:  # the broker is down or unreachable
            logger.warning("could not enqueue grading of answers %s; the sweep will", batch)
            break
        sent += len(batch)
    return sent
