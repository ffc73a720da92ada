"""The optional LLM second opinion, wired to settings, queued and stored as a Grade row.

The pure call and its retry policy live in grading/llm.py; the breaker, budgets, cache key
and selection rule in grading/llm_queue.py. This module runs one opinion end to end:

    claim (conditional UPDATE) -> cache? -> breaker open? -> budget -> call with retries
    -> store the Grade and mark the opinion done, only while still holding the claim.

An opinion is charged and stored once however often its task runs: a claim carries a
number, the budget is charged only while ``charged_on`` is empty, and the result is
written only by the holder of the latest claim. A worker that dies mid-call leaves a
claim whose lease runs out; the sweep then hands the opinion to another worker.
Any failure leaves the keyword grade in force; transient ones defer the opinion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from grading.llm import (
    PROMPT_VERSION,
    LlmConfig,
    LlmOutcome,
    RetryPolicy,
    llm_grade,
    llm_grade_with_retries,
)
from grading.llm_queue import breaker, budget_charge, reply_cache_key, rubric_fingerprint
from grading.models import Grade, GraderKind, LlmOpinion, LlmReplyCache, OpinionStatus
from grading.store import grade_store

logger = logging.getLogger(__name__)

# After this many claims that ended deferred, the opinion is recorded as failed for good.
MAX_CLAIMS = 12
# Failed calls that say the endpoint is down or broken: what the circuit breaker counts.
BREAKER_ERRORS = frozenset({"server_error", "timeout", "connection_error"})


def llm_config() -> LlmConfig:
    return LlmConfig(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        model=settings.GRADING_LLM_MODEL,
        timeout=settings.GRADING_LLM_TIMEOUT,
        max_uplift=settings.GRADING_LLM_MAX_UPLIFT,
        disagreement_threshold=settings.GRADING_LLM_DISAGREEMENT,
    )


def retry_policy() -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.GRADING_LLM_ATTEMPTS,
        base_delay=settings.GRADING_LLM_BACKOFF_SECONDS,
        max_delay=settings.GRADING_LLM_BACKOFF_MAX_SECONDS,
    )


def grader_version(config: LlmConfig) -> str:
    return f"{config.model}/{PROMPT_VERSION}"[:40]


def opinions_request(*, teams_by_answer: dict[int, int | None]) -> None:
    """Queue a second opinion for each answer (run inside the keyword grade's transaction).

    An answer regraded after its opinion was done gets a fresh one (the reply cache makes
    that free when nothing the model sees has changed)."""
    if not teams_by_answer:
        return
    LlmOpinion.objects.bulk_create(
        [LlmOpinion(answer_id=a, team_id=t) for a, t in teams_by_answer.items()],
        ignore_conflicts=True,
    )
    LlmOpinion.objects.filter(
        answer_id__in=list(teams_by_answer), status=OpinionStatus.DONE
    ).update(status=OpinionStatus.PENDING, reason="", not_before=None, charged_on=None, claim=0)


def _claim(answer_id: int) -> LlmOpinion | None:
    now = timezone.now()
    due = Q(status__in=[OpinionStatus.PENDING, OpinionStatus.DEFERRED]) & (
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    abandoned = Q(status=OpinionStatus.RUNNING, lease_until__lt=now)
    claimed = LlmOpinion.objects.filter(Q(answer_id=answer_id) & (due | abandoned)).update(
        status=OpinionStatus.RUNNING,
        claim=F("claim") + 1,
        lease_until=now + timedelta(seconds=settings.GRADING_LLM_LEASE_SECONDS),
    )
    if not claimed:
        return None  # done, deferred for later, or another worker holds it
    # Only what an opinion reads: the answer's text and the question snapshot it was asked.
    return (
        LlmOpinion.objects.select_related("answer")
        .only("id", "answer_id", "team_id", "claim", "charged_on", *_ANSWER_FIELDS)
        .get(answer_id=answer_id)
    )


_ANSWER_FIELDS = ("answer__id", "answer__saved_text", "answer__snapshot")


def _holding(opinion: LlmOpinion):
    return LlmOpinion.objects.filter(
        pk=opinion.pk, claim=opinion.claim, status=OpinionStatus.RUNNING
    )


def _defer(opinion: LlmOpinion, *, reason: str, until: datetime) -> str:
    _holding(opinion).update(status=OpinionStatus.DEFERRED, reason=reason, not_before=until)
    return OpinionStatus.DEFERRED


def opinion_complete(*, answer_id: int, keyword: Callable[[Any], tuple[list, Any]]) -> str:
    """Ask for (or reuse) the second opinion on one answer; returns the opinion's status
    after this run, or "" when there was nothing to do (done, or held by another worker).

    ``keyword(answer)`` gives the rubric criteria and the keyword result the LLM score is
    bounded by (the keyword grader is deterministic, so it is recomputed, not stored)."""
    opinion = _claim(answer_id)
    if opinion is None:
        return ""
    try:
        criteria, keyword_result = keyword(opinion.answer)
        return _complete(opinion, criteria, keyword_result)
    except BaseException:
        # Hand it back at once (a retry or the sweep takes it), unless the process is dying.
        _holding(opinion).update(status=OpinionStatus.PENDING)
        raise


def _complete(opinion: LlmOpinion, criteria, keyword_result) -> str:
    answer = opinion.answer
    config = llm_config()
    asked = answer.asked
    key = reply_cache_key(
        model=config.model,
        prompt_version=PROMPT_VERSION,
        fingerprint=rubric_fingerprint(prompt=asked.prompt, criteria=criteria),
        answer=answer.saved_text,
    )
    cached = LlmReplyCache.objects.filter(key=key).values_list("reply", flat=True).first()

    def grade(reply: str | None = None) -> LlmOutcome:
        return llm_grade(
            config=config,
            prompt=asked.prompt,
            criteria=criteria,
            answer=answer.saved_text,
            keyword_result=keyword_result,
            reply=reply,
        )

    if cached is not None:
        outcome = grade(cached)
        return _finish(opinion, config, outcome, cached=True)

    open_until = breaker.open_until()
    if open_until is not None:
        return _defer(opinion, reason="endpoint_unavailable", until=_at(open_until))

    if opinion.charged_on is None:  # a re-run after a lost worker is not charged again
        today = timezone.localdate()
        with transaction.atomic():
            # Marked first, so the shared budget rows stay locked only until the commit.
            if not _holding(opinion).update(charged_on=today):
                return ""  # the claim was lost meanwhile: its new holder does the work
            spent = budget_charge(team_id=opinion.team_id, day=today)
            if spent:
                transaction.set_rollback(True)  # not charged: charged_on stays empty
        if spent:
            return _finish(opinion, config, None, error=spent)

    # No database connection is held while the call waits on the network (a worker runs
    # many calls at once; the pool has far fewer connections).
    if not connection.in_atomic_block:
        connection.close()

    def one_call() -> LlmOutcome:
        outcome = grade()
        if outcome.error in BREAKER_ERRORS:
            breaker.record_failure()
        elif outcome.error != "rate_limited":
            breaker.record_success()
        # A 429 is the endpoint alive and pacing us: Retry-After and backoff handle it, and
        # with many calls in flight its quick replies would otherwise open the breaker.
        return outcome

    outcome = llm_grade_with_retries(
        policy=retry_policy(),
        grade=one_call,
        keep_trying=lambda: breaker.open_until() is None,
    )
    if outcome.transient and opinion.claim < MAX_CLAIMS:
        wait = max(outcome.retry_after or 0.0, settings.GRADING_LLM_BACKOFF_MAX_SECONDS)
        return _defer(
            opinion,
            reason=outcome.error,
            until=timezone.now() + timedelta(seconds=wait),
        )
    if outcome.ok:
        LlmReplyCache.objects.bulk_create(
            [
                LlmReplyCache(
                    key=key,
                    model=config.model,
                    prompt_version=PROMPT_VERSION,
                    reply=outcome.reply,
                    prompt_tokens=outcome.prompt_tokens,
                    completion_tokens=outcome.completion_tokens,
                )
            ],
            ignore_conflicts=True,
        )
    return _finish(opinion, config, outcome)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _finish(
    opinion: LlmOpinion,
    config: LlmConfig,
    outcome: LlmOutcome | None,
    *,
    error: str = "",
    cached: bool = False,
) -> str:
    """Store the Grade and mark the opinion done, in one transaction, only while this
    worker still holds the claim: a slower duplicate stores nothing."""
    answer = opinion.answer
    with transaction.atomic():
        if not _holding(opinion).update(
            status=OpinionStatus.DONE, reason="", lease_until=None, not_before=None
        ):
            return ""
        version = grader_version(config)
        if outcome is None:
            _store(answer=answer, version=version, error=error, meta={"model": config.model})
            return OpinionStatus.DONE
        if not outcome.ok:
            logger.warning("LLM opinion on answer %s failed: %s", answer.id, outcome.error)
        _store(
            answer=answer,
            version=version,
            score=outcome.score if outcome.ok else None,
            error=outcome.error,
            needs_review=outcome.needs_review,
            verdicts=[
                {
                    "label": v.label,
                    "verdict": v.verdict,
                    "quote": v.quote,
                    "credit": v.credit,
                    "void_reason": v.void_reason,
                }
                for v in outcome.verdicts
            ],
            flags=list(outcome.flags),
            feedback=outcome.feedback,
            duration_ms=outcome.duration_ms,
            meta={
                "model": outcome.model,
                "prompt_version": outcome.prompt_version,
                "prompt_tokens": outcome.prompt_tokens,
                "completion_tokens": outcome.completion_tokens,
                "raw_score": outcome.raw_score,
                "injection_signals": list(outcome.injection_signals),
                "error_detail": outcome.error_detail,
                "attempts": outcome.attempts,
                "cached": cached,
            },
        )
    return OpinionStatus.DONE


def _store(*, answer, version: str, **fields) -> Grade:
    return grade_store(
        answer=answer,
        kind=GraderKind.LLM,
        grader_version=version,
        rubric=answer.asked.criteria_records(),
        **fields,
    )


def opinions_due(*, stale_after_seconds: int, limit: int = 500) -> list[int]:
    """Answers whose opinion should be (re)sent: deferred ones whose wait is over, pending
    ones whose message may have been lost, claims whose worker vanished."""
    now = timezone.now()
    stale = now - timedelta(seconds=stale_after_seconds)
    return list(
        LlmOpinion.objects.filter(
            Q(status=OpinionStatus.DEFERRED, not_before__lte=now)
            | Q(status=OpinionStatus.PENDING, updated_at__lte=stale)
            | Q(status=OpinionStatus.RUNNING, lease_until__lt=now)
        )
        .order_by("id")
        .values_list("answer_id", flat=True)[:limit]
    )
