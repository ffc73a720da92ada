"""Start a Celery worker for the fault tests, with two test-only knobs read from env.

    python -m tests.reliability.worker_main --pool=prefork --concurrency=1

- ``VIVA_TEST_SLOW_GRADE_SECONDS`` + ``VIVA_TEST_SLOW_GRADE_DIR``: grading an answer whose
  text contains ``[slow-once:NAME]`` is slow the first time only (across processes and
  restarts: whoever creates ``DIR/NAME`` first): the pool process writes its pid there and
  sleeps while grading, so the test can kill it mid-grading.
- ``VIVA_TEST_VISIBILITY_TIMEOUT``: seconds before Redis hands an unacknowledged message
  to another consumer (production: 600). Lets the test see a SIGKILLed worker's task come
  back without waiting ten minutes.

Nothing here changes what grading does; it only slows it down or shortens a broker timer.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import django

SLOW_RE = re.compile(r"\[slow-once:([a-z0-9-]+)\]")


def _install_slow_grading(seconds: float, folder: Path) -> None:
    import grading.rubric as rubric

    real_grade = rubric.grade

    def slow_grade(prompt, criteria, answer, **options):
        found = SLOW_RE.search(answer or "")
        if not found:
            return real_grade(prompt, criteria, answer, **options)
        try:
            fd = os.open(folder / found.group(1), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return real_grade(prompt, criteria, answer, **options)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        time.sleep(seconds)
        return real_grade(prompt, criteria, answer, **options)

    rubric.grade = slow_grade


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from config.celery import app

    slow = os.environ.get("VIVA_TEST_SLOW_GRADE_SECONDS")
    if slow:
        _install_slow_grading(float(slow), Path(os.environ["VIVA_TEST_SLOW_GRADE_DIR"]))
    visibility = os.environ.get("VIVA_TEST_VISIBILITY_TIMEOUT")
    if visibility:
        app.conf.broker_transport_options = {
            **(app.conf.broker_transport_options or {}),
            "visibility_timeout": float(visibility),
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }
    app.worker_main(["worker", "--loglevel=INFO", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
