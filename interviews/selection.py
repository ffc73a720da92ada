"""Choosing questions for a practice session."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from interviews.models import Answer
from questionbank.models import Kind, Question
from questionbank.selectors import CONTENT_RELATIONS

RECENT_DAYS = 14


@dataclass(frozen=True)
class Selection:
    questions: list[Question]
    note: str


def questions_pick(
    *,
    candidate,
    level: str,
    topic_slugs: list[str],
    count: int,
    include_multiple_choice: bool,
    rng: random.Random | None = None,
) -> Selection:
    """Pick ``count`` published bank questions, avoiding ones seen recently when possible."""
    rng = rng or random.Random()
    pool = Question.objects.published().in_bank().filter(level=level)
    if topic_slugs:
        pool = pool.filter(topic__slug__in=topic_slugs)
    if not include_multiple_choice:
        pool = pool.filter(kind=Kind.FREE_TEXT)
    pool_ids = list(pool.values_list("id", flat=True))
    recent = set(
        Answer.objects.filter(
            session__candidate=candidate,
            session__started_at__gte=timezone.now() - timedelta(days=RECENT_DAYS),
            question_id__in=pool_ids,
        ).values_list("question_id", flat=True)
    )
    fresh = [qid for qid in pool_ids if qid not in recent]
    rng.shuffle(fresh)
    chosen = fresh[:count]
    note = ""
    if len(chosen) < count:
        seen = [qid for qid in pool_ids if qid in recent]
        rng.shuffle(seen)
        repeats = seen[: count - len(chosen)]
        chosen += repeats
        if repeats:
            note = (
                f"{len(repeats)} question(s) repeat from your last {RECENT_DAYS} days: "
                "there are not enough new ones for this level and these topics."
            )
    if len(chosen) < count and chosen:
        note = (
            f"Only {len(chosen)} question(s) match this level and these topics, "
            f"so this interview has {len(chosen)} instead of {count}."
        )
    by_id = {
        q.id: q
        for q in Question.objects.filter(id__in=chosen)
        .select_related("topic")
        .prefetch_related(*CONTENT_RELATIONS)
    }
    # Free text first reads naturally; keep the random order within each kind.
    ordered = sorted((by_id[qid] for qid in chosen), key=lambda q: q.kind != Kind.FREE_TEXT)
    return Selection(questions=ordered, note=note)
