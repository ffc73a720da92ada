"""Submit many one-question interviews on the dev stack: one grading task each.

Run as ``python -m tests.reliability.soak_submit N`` with the dev stack's environment.
Each submit goes through ``session_submit``, the path a candidate's Submit button takes,
so its grading task is published while the worker is busy consuming earlier ones.
"""

from __future__ import annotations

import sys

import django


def main(count: int) -> None:
    django.setup()
    from django.contrib.auth import get_user_model

    from interviews.models import Answer
    from interviews.services import session_create, session_submit
    from questionbank.models import Question

    candidate = get_user_model().objects.get(username="cand0")
    question = Question.objects.filter(kind="free_text").first()
    for i in range(count):
        session = session_create(
            candidate=candidate, title=f"soak {i}", questions=[question], time_limit_minutes=30
        )
        Answer.objects.filter(session=session).update(
            saved_text=f"Answer {i}: a cache keeps copies of expensive results closer to "
            "the reader, so repeated requests skip the slow database and stay fast."
        )
        session_submit(session=session)


if __name__ == "__main__":
    main(int(sys.argv[1]))
