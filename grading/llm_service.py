"""The optional LLM second opinion, wired to settings and stored as a Grade row.

The pure call lives in grading/llm.py; this module adds configuration, the daily
budget and persistence. Any failure leaves the keyword grade in force and says why.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from grading.llm import PROMPT_VERSION, LlmConfig, llm_grade
from grading.models import Grade, GraderKind
from grading.store import grade_store

logger = logging.getLogger(__name__)


def llm_config() -> LlmConfig:
    return LlmConfig(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        model=settings.GRADING_LLM_MODEL,
        timeout=settings.GRADING_LLM_TIMEOUT,
        max_uplift=settings.GRADING_LLM_MAX_UPLIFT,
        disagreement_threshold=settings.GRADING_LLM_DISAGREEMENT,
    )


def _budget_left() -> bool:
    today = timezone.localdate()
    used = Grade.objects.filter(kind=GraderKind.LLM, created_at__date=today).count()
    return used < settings.GRADING_LLM_DAILY_BUDGET


def answer_grade_llm(*, answer, criteria, keyword_result) -> Grade:
    """Ask the LLM for a second opinion; idempotent per model and prompt version."""
    config = llm_config()
    version = f"{config.model}/{PROMPT_VERSION}"
    existing = Grade.objects.filter(
        answer=answer, kind=GraderKind.LLM, is_current=True, grader_version=version
    ).first()
    if existing:
        return existing
    if not _budget_left():
        return _store(answer=answer, version=version, error="daily_budget_exhausted")
    outcome = llm_grade(
        config=config,
        prompt=answer.asked.prompt,
        criteria=criteria,
        answer=answer.saved_text,
        keyword_result=keyword_result,
    )
    if not outcome.ok:
        logger.warning("LLM grading of answer %s failed: %s", answer.id, outcome.error)
    return _store(
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
        },
    )


def _store(*, answer, version: str, **fields) -> Grade:
    return grade_store(
        answer=answer,
        kind=GraderKind.LLM,
        grader_version=version,
        rubric=answer.asked.criteria_records(),
        **fields,
    )
