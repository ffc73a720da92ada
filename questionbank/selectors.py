"""Reads from the question bank."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import QuerySet

from questionbank.models import Question

# What a question is asked and graded with; samples are loaded only where needed.
CONTENT_RELATIONS = ("tags", "criteria", "choices", "misconceptions")


def question_content(question: Question) -> dict[str, Any]:
    """The question's content as a plain record, in the YAML format's shape, without samples.

    Expects ``CONTENT_RELATIONS`` to be prefetched.
    """
    return {
        "slug": question.slug,
        "title": question.title,
        "level": question.level,
        "kind": question.kind,
        "status": question.status,
        "prompt": question.prompt,
        "model_answer": question.model_answer,
        "suggested_minutes": question.suggested_minutes,
        "tags": sorted(tag.name for tag in question.tags.all()),
        "criteria": [
            {
                "label": c.label,
                "weight": float(c.weight),
                "required": c.required,
                "keywords": list(c.keywords),
            }
            for c in question.criteria.all()
        ],
        "choices": [
            {"text": c.text, "is_correct": c.is_correct, "explanation": c.explanation}
            for c in question.choices.all()
        ],
        "misconceptions": [
            {
                "claim": m.claim,
                "phrasings": list(m.phrasings),
                "explanation": m.explanation,
                "penalty": m.penalty,
                "cap": m.cap,
            }
            for m in question.misconceptions.all()
        ],
    }


def question_record(question: Question) -> dict[str, Any]:
    """The whole question as the YAML format holds it: content and sample answers.

    Expects ``CONTENT_RELATIONS`` and ``samples`` to be prefetched.
    """
    return {
        **question_content(question),
        "samples": [
            {"kind": s.kind, "text": s.text, "score": s.score, "reason": s.reason}
            for s in question.samples.all()
        ],
    }


def question_fingerprint(record: dict[str, Any], *, topic_slug: str) -> str:
    """A stable digest of a question record and its topic, to tell edits apart."""
    canonical = json.dumps([topic_slug, record], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def question_snapshot(question: Question) -> dict[str, Any]:
    """What a candidate is asked and graded against, frozen with their answer."""
    record = question_content(question)
    record["id"] = question.id
    record["version"] = question.version
    record["topic"] = {"slug": question.topic.slug, "name": question.topic.name}
    return record


def questions_with_details() -> QuerySet[Question]:
    return Question.objects.select_related("topic").prefetch_related(*CONTENT_RELATIONS)
