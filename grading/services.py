"""Writes for grading: grade answers, enqueue grading, human overrides.

Every grade is a new row. ``is_current`` marks the latest row of each grader kind;
the final grade is derived from the current rows (see selectors.final_grade).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from core.errors import DomainError
from grading import rubric
from grading.llm_queue import MODE_OFF, llm_mode, second_opinion_reason
from grading.llm_service import opinion_complete, opinions_request
from grading.models import Grade, GraderKind
from grading.signals import answers_graded
from grading.store import grade_store
from questionbank.models import Kind
from questionbank.snapshot import QuestionSnapshot

# a stored snapshot, or a question record in the bank's YAML shape
Snapshot = QuestionSnapshot | Mapping[str, Any]

logger = logging.getLogger(__name__)

CHOICE_GRADER_VERSION = "choice-1"


def criteria_from_snapshot(snapshot: Snapshot) -> list[rubric.Criterion]:
    return [
        rubric.Criterion(label=c.label, keywords=c.keywords, weight=c.weight, required=c.required)
        for c in QuestionSnapshot.of(snapshot).criteria
    ]


def misconceptions_from_snapshot(snapshot: Snapshot) -> list[rubric.Misconception]:
    return [
        rubric.Misconception(
            claim=m.claim,
            phrasings=m.phrasings,
            explanation=m.explanation,
            penalty=m.penalty or 0.0,
            cap=m.cap,
        )
        for m in QuestionSnapshot.of(snapshot).misconceptions
    ]


def grade_text(*, snapshot: Snapshot, text: str) -> rubric.Result:
    """The keyword grade of ``text`` against a question snapshot: the one production path
    shared by the tasks, the calibration, ``grade_answers`` and the rubric tryout."""
    asked = QuestionSnapshot.of(snapshot)
    return rubric.grade(
        asked.prompt,
        criteria_from_snapshot(asked),
        text,
        misconceptions=misconceptions_from_snapshot(asked),
    )


# Why a keyword grade goes to the review queue, in words a reviewer acts on.
REVIEW_REASONS = {
    "required_idea_missed": "A required idea was not found in an otherwise strong answer; "
    "its score was capped. Check whether it is said in other words.",
    "substantial_low_score": "A substantial answer in the question's vocabulary scored "
    "under 40: it may say the right things in words the rubric does not list.",
    "misconception": "The answer states a known misconception.",
    "addressed_to_grader": "The answer addresses the grader.",
}
LOW_CONFIDENCE = 0.5


def review_reasons(result: rubric.Result) -> list[str]:
    reasons = [REVIEW_REASONS[f] for f in result.flags if f in REVIEW_REASONS]
    if result.confidence < LOW_CONFIDENCE and not reasons:
        reasons.append("The keyword grader is unsure about this answer.")
    return reasons


def criteria_records(criteria) -> list[dict]:
    """Criteria (e.g. from suggest_rubric) as editable records: the inverse of the above."""
    return [
        {
            "label": c.label,
            "keywords": list(c.keywords),
            "weight": round(c.weight, 2),
            "required": c.required,
        }
        for c in criteria
    ]


def answer_grade_choice(*, answer) -> Grade:
    """Multiple choice is scored at once, without a task."""
    choices = answer.asked.choices
    index = answer.choice_index
    correct = index is not None and 0 <= index < len(choices) and choices[index].is_correct
    return grade_store(
        answer=answer,
        kind=GraderKind.CHOICE,
        grader_version=CHOICE_GRADER_VERSION,
        rubric=[],
        score=100.0 if correct else 0.0,
        verdicts=[{"choice_index": index, "correct": bool(correct)}],
        confidence=1.0,
    )


def grade_answer(*, answer_id: int) -> int:
    """Grade one free-text answer: a batch of one."""
    return grade_answers(answer_ids=[answer_id])


def grade_answers(*, answer_ids: list[int]) -> int:
    """Grade free-text answers with the keyword grader; queue LLM second opinions.

    Returns how many answers it graded. Idempotent: an answer whose current keyword
    grade is from this grader version keeps it. A batch costs two queries whatever its
    size: one SELECT reads the answers with the version of their current keyword grade,
    and one INSERT, in a short transaction, stores the new grades. Grading runs before
    that transaction, so no lock is held while it computes. A duplicate delivery
    running at the same moment is settled by the one-current-grade-per-kind unique
    index, which turns its INSERT into a no-op (ON CONFLICT DO NOTHING).

    With GRADING_LLM_MODE on, the answers that need a second opinion (see
    llm_queue.second_opinion_reason) get an LlmOpinion row in the same transaction, and
    their tasks go to the ``llm`` queue after the commit: the keyword grade never waits.
    """
    current_version = (
        Grade.objects.filter(answer=OuterRef("pk"), kind=GraderKind.KEYWORD, is_current=True)
        .order_by()  # at most one current row per kind: no sort needed
        .values("grader_version")[:1]
    )
    answers = (
        _answers()
        .filter(id__in=answer_ids, kind=Kind.FREE_TEXT)
        .annotate(keyword_version=Subquery(current_version))
        .only("snapshot", "saved_text")
        .order_by("id")
    )
    mode = llm_mode()
    if mode != MODE_OFF:  # the hiring set's switch and team, read through the relations
        answers = answers.annotate(
            opinion_opt_in=F("session__invitation__interview_set__llm_second_opinion"),
            opinion_team=F("session__invitation__interview_set__team_id"),
        )
    new, outdated, opinions = [], [], {}
    for answer in answers:
        if answer.keyword_version == rubric.GRADER_VERSION:
            continue
        snapshot = answer.asked
        started = time.perf_counter()
        result = grade_text(snapshot=snapshot, text=answer.saved_text)
        if answer.keyword_version is not None:
            outdated.append(answer.id)
        reasons = review_reasons(result)
        why = _second_opinion_reason(mode, answer, result, needs_review=bool(reasons))
        if why:
            opinions[answer.id] = getattr(answer, "opinion_team", None)
        new.append(
            Grade(
                answer=answer,
                kind=GraderKind.KEYWORD,
                is_current=True,
                grader_version=rubric.GRADER_VERSION,
                rubric=snapshot.criteria_records(),
                score=result.score,
                verdicts=[_verdict_dict(v) for v in result.verdicts],
                flags=list(result.flags),
                misconceptions=[_misconception_dict(m) for m in result.misconceptions],
                confidence=result.confidence,
                needs_review=bool(reasons),
                review_reasons=reasons,
                duration_ms=int((time.perf_counter() - started) * 1000),
                # The pages say "second opinion pending" until an LLM grade row exists.
                meta={"second_opinion": why} if why else {},
            )
        )
    if new:
        with transaction.atomic():
            if outdated:  # graded by an older grader version: keep it as history
                Grade.objects.filter(
                    answer_id__in=outdated, kind=GraderKind.KEYWORD, is_current=True
                ).exclude(grader_version=rubric.GRADER_VERSION).update(is_current=False)
            Grade.objects.bulk_create(new, ignore_conflicts=True)
            if opinions:
                from grading.tasks import llm_opinions_enqueue  # tasks import this module

                opinions_request(teams_by_answer=opinions)
                ids = list(opinions)
                transaction.on_commit(lambda: llm_opinions_enqueue(answer_ids=ids))
    if new:  # e.g. hiring tells a team's webhooks once a candidate is fully graded
        answers_graded.send(sender=Grade, answer_ids=[grade.answer_id for grade in new])
    return len(new)


def _second_opinion_reason(mode: str, answer, result: rubric.Result, *, needs_review: bool) -> str:
    return second_opinion_reason(
        mode=mode,
        score=result.score,
        confidence=result.confidence,
        needs_review=needs_review,
        word_count=len(answer.saved_text.split()),
        set_opt_in=getattr(answer, "opinion_opt_in", None),
        low_confidence=LOW_CONFIDENCE,
        substantial_words=settings.GRADING_LLM_SUBSTANTIAL_WORDS,
        low_score=settings.GRADING_LLM_LOW_SCORE,
    )


def answer_second_opinion(*, answer_id: int) -> str:
    """Complete one answer's queued LLM second opinion (the ``llm`` queue's task)."""
    return opinion_complete(answer_id=answer_id, keyword=_keyword_for)


def _keyword_for(answer) -> tuple[list[rubric.Criterion], rubric.Result]:
    """The criteria and the keyword result bounding the LLM score. Only the score is used,
    so the stored keyword grade's is read (grading the text again would cost more CPU than
    the rest of the opinion, on a worker that runs a hundred of them at once)."""
    snapshot = answer.asked
    criteria = criteria_from_snapshot(snapshot)
    stored = (
        Grade.objects.filter(answer=answer, kind=GraderKind.KEYWORD, is_current=True)
        .values_list("score", "confidence")
        .first()
    )
    score, confidence = stored or (None, None)
    if score is None:
        return criteria, grade_text(snapshot=snapshot, text=answer.saved_text)
    return criteria, rubric.Result(score=score, verdicts=(), flags=(), confidence=confidence or 0)


def _misconception_dict(hit) -> dict:
    return {
        "claim": hit.claim,
        "explanation": hit.explanation,
        "spans": [list(span) for span in hit.spans],
        "matched": hit.matched,
    }


def _verdict_dict(verdict) -> dict:
    return {
        "label": verdict.label,
        "verdict": verdict.verdict,
        "credit": verdict.credit,
        "spans": [list(span) for span in verdict.spans],
        "matched": verdict.matched,
    }


class GradeRefused(DomainError):
    code = "grade_refused"


def grade_override(*, answer, reviewer, score: float, comment: str, feedback: str = "") -> Grade:
    """A reviewer sets the score; history keeps who, when, old -> new. ``comment`` is the
    team's internal reason; ``feedback``, if any, is what the candidate may see."""
    from grading.selectors import final_grade

    if not 0 <= score <= 100:
        raise GradeRefused("A score must be between 0 and 100.")
    if not comment.strip():
        raise GradeRefused("Say why you are changing the grade: a comment is required.")
    with transaction.atomic():
        grades = list(Grade.objects.select_for_update().filter(answer=answer, is_current=True))
        before = final_grade(grades)
        return grade_store(
            answer=answer,
            kind=GraderKind.HUMAN,
            grader_version="human",
            rubric=answer.asked.criteria_records(),
            score=float(score),
            reviewer=reviewer,
            comment=comment.strip(),
            feedback=feedback.strip(),
            previous_score=before.score if before else None,
            confidence=1.0,
        )


def _answers() -> QuerySet:
    """Answers, reached through the grade's own relation: grading sits below interviews
    and never imports it."""
    return Grade.answer.field.related_model._default_manager.all()


def ungraded_answer_ids(*, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Final free-text answers with no current keyword grade, finished a while ago."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        # only a finished session (submitted or timed out) has a finish time
        _answers()
        .filter(kind=Kind.FREE_TEXT, session__finished_at__lte=cutoff)
        .exclude(grades__kind=GraderKind.KEYWORD, grades__is_current=True)
        .order_by("id")  # a session's answers are adjacent, so they share a batch
        .values_list("id", flat=True)[:limit]
    )
