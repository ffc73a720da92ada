"""Seed the stack database: published junior questions with rubrics and candidates.

Run by StackDatabase.create as ``python -m tests.reliability.seed`` with DATABASE_URL set.
"""

from __future__ import annotations

import django

CANDIDATES = 20
QUESTIONS = 6


def main() -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from tests.factories import QuestionFactory, add_rubric
    from tests.reliability.stack import PASSWORD

    for _ in range(QUESTIONS):
        add_rubric(QuestionFactory())
    hashed = make_password(PASSWORD)  # hash once: PBKDF2 is slow on purpose
    User = get_user_model()
    User.objects.bulk_create(
        User(username=f"cand{i}", email=f"cand{i}@example.com", password=hashed)
        for i in range(CANDIDATES)
    )


if __name__ == "__main__":
    main()
