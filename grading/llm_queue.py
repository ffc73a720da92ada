"""The pieces that make LLM second opinions safe to run as queued work at an endpoint's pace.

- ``second_opinion_reason``: which answers get one (GRADING_LLM_MODE), a pure rule;
- ``Breaker``: after N consecutive failed calls, nobody calls for a cool-down; the state
  lives in Django's cache (Redis in production), so every worker process shares it;
- ``budget_charge``: the global and per-team daily call budgets, counted atomically with a
  conditional UPDATE in the database;
- ``reply_cache_key``: a model's reply is reused for the same model, prompt version, rubric
  and answer text, so a regrade or a duplicate answer costs no call.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from core.throttle import count_in_window
from grading.models import LlmDailyUsage

MODE_ALL = "all"
MODE_UNCERTAIN = "uncertain"
MODE_OFF = "off"
MODES = (MODE_ALL, MODE_UNCERTAIN, MODE_OFF)


def llm_configured() -> bool:
    """Whether an LLM is configured (GRADING_LLM_MODE decides which answers it sees)."""
    return bool(settings.OPENAI_API_KEY and settings.GRADING_LLM_MODEL)


def llm_mode() -> str:
    """The configured mode; off whenever no model or key is configured."""
    if not llm_configured():
        return MODE_OFF
    mode = str(settings.GRADING_LLM_MODE).strip().lower()
    return mode if mode in MODES else MODE_OFF


def second_opinion_reason(
    *,
    mode: str,
    score: float,
    confidence: float,
    needs_review: bool,
    word_count: int,
    set_opt_in: bool | None,
    low_confidence: float,
    substantial_words: int,
    low_score: float,
) -> str:
    """Why this answer gets an LLM second opinion, or "" when it does not.

    ``set_opt_in`` is the hiring set's ``llm_second_opinion`` (None for practice): a team
    that turned it off gets none in any mode; one that left it on gets one in every mode
    but off. In ``uncertain`` mode practice answers are sent only when the keyword grade is
    doubtful: low confidence, flagged for review, or a substantial answer scored low (the
    likely paraphrase the rubric's keywords miss).
    """
    if mode == MODE_OFF or set_opt_in is False:
        return ""
    if mode == MODE_ALL:
        return "all"
    if set_opt_in:
        return "hiring_set"
    if needs_review:
        return "needs_review"
    if confidence < low_confidence:
        return "low_confidence"
    if word_count >= substantial_words and score < low_score:
        return "substantial_low_score"
    return ""


# --------------------------------------------------------------------------------------
# Circuit breaker
# --------------------------------------------------------------------------------------


class Breaker:
    """Consecutive-failure breaker shared through the cache.

    Closed: calls go out; each failed call adds one, a success resets the count. After
    ``GRADING_LLM_BREAKER_FAILURES`` in a row it opens for
    ``GRADING_LLM_BREAKER_COOLDOWN_SECONDS``: opinions are deferred without a call. When the
    cool-down ends the calls resume; if the endpoint is still down the count climbs again.
    """

    FAILURES = "grading:llm:breaker:failures"
    OPEN_UNTIL = "grading:llm:breaker:open_until"

    def open_until(self) -> float | None:
        """The epoch second the breaker closes again, or None when it is closed."""
        until = cache.get(self.OPEN_UNTIL)
        return float(until) if until and float(until) > time.time() else None

    def record_success(self) -> None:
        if cache.get(self.FAILURES):
            cache.delete(self.FAILURES)

    def record_failure(self) -> None:
        cooldown = float(settings.GRADING_LLM_BREAKER_COOLDOWN_SECONDS)
        # None when the cache is down: no count, so the breaker stays shut and calls go on.
        failures = count_in_window(cache, self.FAILURES, int(cooldown * 10)) or 0
        if failures >= settings.GRADING_LLM_BREAKER_FAILURES:
            cache.set(self.OPEN_UNTIL, time.time() + cooldown, timeout=max(int(cooldown), 1))
            cache.delete(self.FAILURES)

    def reset(self) -> None:
        cache.delete_many([self.FAILURES, self.OPEN_UNTIL])


breaker = Breaker()


# --------------------------------------------------------------------------------------
# Daily budgets
# --------------------------------------------------------------------------------------

GLOBAL_SCOPE = "global"


def budget_scopes(team_id: int | None) -> list[tuple[str, int]]:
    scopes = [(GLOBAL_SCOPE, settings.GRADING_LLM_DAILY_BUDGET)]
    if team_id is not None:
        scopes.append((f"team:{team_id}", settings.GRADING_LLM_TEAM_DAILY_BUDGET))
    return scopes


def budget_charge(*, team_id: int | None, day: date) -> str:
    """Count one call against today's budgets; "" when charged, else which budget is spent.

    Each counter moves with ``UPDATE ... SET calls = calls + 1 WHERE calls < limit``: the
    database serialises concurrent workers, so a budget is never overspent. All counters
    move together or none does (the transaction rolls back when one is spent).
    """
    scopes = budget_scopes(team_id)
    with transaction.atomic():
        for scope, limit in scopes:
            if not _count_one(day=day, scope=scope, limit=limit):
                transaction.set_rollback(True)
                return (
                    "daily_budget_exhausted" if scope == GLOBAL_SCOPE else "team_budget_exhausted"
                )
    return ""


def _count_one(*, day: date, scope: str, limit: int) -> bool:
    def bump() -> int:
        return LlmDailyUsage.objects.filter(day=day, scope=scope, calls__lt=limit).update(
            calls=F("calls") + 1
        )

    if bump():
        return True
    # Spent, or the day's first call in this scope: make sure the counter exists (a racing
    # worker may create it too) and try once more.
    LlmDailyUsage.objects.bulk_create([LlmDailyUsage(day=day, scope=scope)], ignore_conflicts=True)
    return bool(bump())


def budget_used(*, scope: str, day: date) -> int:
    row = LlmDailyUsage.objects.filter(day=day, scope=scope).values_list("calls", flat=True)
    return next(iter(row), 0)


# --------------------------------------------------------------------------------------
# Reply cache key
# --------------------------------------------------------------------------------------


def rubric_fingerprint(*, prompt: str, criteria: Sequence) -> str:
    """What the model is shown besides the answer: the question and the criteria labels."""
    shown = {"prompt": prompt.strip(), "criteria": [c.label for c in criteria]}
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def reply_cache_key(*, model: str, prompt_version: str, fingerprint: str, answer: str) -> str:
    answer_hash = hashlib.sha256(answer.encode()).hexdigest()
    raw = "\x1f".join((model, prompt_version, fingerprint, answer_hash))
    return hashlib.sha256(raw.encode()).hexdigest()
