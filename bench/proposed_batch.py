"""A change bench/README.md proposes, measured by ``pipeline.py --variant batch``.

Grade several answers (a session's free-text answers) in one task and one transaction:
one broker message, one row lock query, one existing-grade query, one bulk INSERT and
one commit per batch instead of per answer. Same idempotency rule as
``grading.services.grade_answer``: an answer that already has a current keyword grade
from this grader version keeps it. The LLM second opinion (off in the bench) would
still run per answer after the commit.

This module is loaded into the bench's worker with ``-I bench.proposed_batch``; it is
not part of the app. If the app adopts the change, delete it and the variant.
"""

from __future__ import annotations

import time

from celery import shared_task
from django.db import transaction


def grade_answers(*, answer_ids: list[int]) -> int:
    from grading import rubric
    from grading.models import Grade, GraderKind
    from grading.services import _verdict_dict, criteria_from_snapshot
    from interviews.models import Answer

    with transaction.atomic():
        answers = list(
            Answer.objects.select_for_update()
            .filter(id__in=answer_ids, kind="free_text")
            .order_by("id")
        )
        done = set(
            Grade.objects.filter(
                answer__in=answers,
                kind=GraderKind.KEYWORD,
                is_current=True,
                grader_version=rubric.GRADER_VERSION,
            ).values_list("answer_id", flat=True)
        )
        todo = [a for a in answers if a.id not in done]
        if not todo:
            return 0
        Grade.objects.filter(answer__in=todo, kind=GraderKind.KEYWORD, is_current=True).update(
            is_current=False
        )
        grades = []
        for answer in todo:
            snapshot = answer.snapshot
            started = time.perf_counter()
            result = rubric.grade(
                snapshot.get("prompt", ""), criteria_from_snapshot(snapshot), answer.saved_text
            )
            grades.append(
                Grade(
                    answer=answer,
                    kind=GraderKind.KEYWORD,
                    is_current=True,
                    grader_version=rubric.GRADER_VERSION,
                    rubric=snapshot.get("criteria", []),
                    score=result.score,
                    verdicts=[_verdict_dict(v) for v in result.verdicts],
                    flags=list(result.flags),
                    confidence=result.confidence,
                    needs_review=result.confidence < 0.5,
                    duration_ms=int((time.perf_counter() - started) * 1000),
                )
            )
        Grade.objects.bulk_create(grades)
    return len(grades)


@shared_task(
    name="bench.proposed_batch.grade_answers",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
)
def grade_answers_task(answer_ids: list[int]) -> None:
    grade_answers(answer_ids=answer_ids)
