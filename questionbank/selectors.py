"""Reads from the question bank."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from questionbank.models import Question


def question_record(question: Question) -> dict[str, Any]:
    """The question as a plain record, in the YAML format's shape.

    Expects tags, criteria and choices to be prefetched.
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
    }


def question_snapshot(question: Question) -> dict[str, Any]:
    """What a candidate is asked and graded against, frozen with their answer."""
    record = question_record(question)
    record["id"] = question.id
    record["version"] = question.version
    record["topic"] = {"slug": question.topic.slug, "name": question.topic.name}
    return record


def questions_with_details() -> QuerySet[Question]:
    return Question.objects.select_related("topic").prefetch_related("tags", "criteria", "choices")
