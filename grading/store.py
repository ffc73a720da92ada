"""Storing grades: every grade is a row, and a new one retires the current one of its kind."""

from __future__ import annotations

from django.db import transaction

from grading.models import Grade


def grade_store(*, answer, kind: str, **fields) -> Grade:
    """Replace the current grade of this kind with a new row, keeping history."""
    with transaction.atomic():
        Grade.objects.filter(answer=answer, kind=kind, is_current=True).update(is_current=False)
        return Grade.objects.create(answer=answer, kind=kind, is_current=True, **fields)
