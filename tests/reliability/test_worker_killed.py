"""A Celery worker killed in the middle of grading: the answer is graded exactly once.

The worker runs as a real prefork subprocess (tests/reliability/worker_main.py). Answers
carrying ``[slow-once:NAME]`` make the keyword grading sleep the first time, so the test
can SIGKILL the process that is grading. A session's answers are graded as one batch and
stored together after grading, so a kill leaves the whole session ungraded.

- Killing the pool process: the parent sees the loss and, with acks_late and
  reject_on_worker_lost, puts the message back at once; another pool process grades it.
- Killing the whole worker (SIGKILL, no shutdown): the message stays unacknowledged in
  Redis and comes back after the visibility timeout (600 s in production, 3 s here); the
  sweep also re-enqueues it. Both deliveries run; the idempotent service stores one grade.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.stack import start_worker, wait_until, wait_worker_ready
from tests.reliability.test_redis_outage import GOOD, send_task

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def slow_grading_pid(marker: Path) -> int:
    def pid() -> int | None:
        try:
            text = marker.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text else None

    return wait_until(pid, timeout=40, what=f"grading to start ({marker.name})")


def submit_interview(browser, tag: str) -> int:
    session_id = browser.start()
    for position in range(3):
        text = f"{GOOD} [slow-once:{tag}]" if position == 1 else GOOD
        assert browser.save(session_id, position, text).status_code == 200
    assert browser.submit(session_id).status_code == 204
    return session_id


def graded_once(stack, session_id: int) -> bool:
    return set(stack.keyword_grades([session_id]).values()) == {1}


def test_worker_killed_mid_grading_grades_exactly_once(stack, private_redis, tmp_path):
    markers = tmp_path / "slow"
    markers.mkdir()
    env = stack.env(
        REDIS_URL=private_redis.url(0),
        GRADING_SWEEP_AFTER_SECONDS="0",
        VIVA_TEST_SLOW_GRADE_SECONDS="60",
        VIVA_TEST_SLOW_GRADE_DIR=str(markers),
    )
    worker = start_worker(stack.procs, env, concurrency=1, wait_ready=False)
    _web, base = stack.web(env)  # gunicorn and the worker boot side by side
    candidate = stack.browser(base, 0)
    wait_worker_ready(worker)

    # 1. The pool process dies mid-grading; the worker itself lives on.
    s_child = submit_interview(candidate, "pool-process")
    child = slow_grading_pid(markers / "pool-process")
    assert child != worker.pid
    time.sleep(0.3)  # well inside the 60 s sleep
    os.kill(child, signal.SIGKILL)
    wait_until(lambda: graded_once(stack, s_child), timeout=40, what="regrade after pool loss")

    # 2. The whole worker dies (SIGKILL: no warm shutdown, nothing acknowledged).
    s_whole = submit_interview(candidate, "whole-worker")
    slow_grading_pid(markers / "whole-worker")
    time.sleep(0.3)
    worker.kill()
    assert set(stack.keyword_grades([s_whole]).values()) == {0}  # nothing stored
    restarted = {**env, "VIVA_TEST_VISIBILITY_TIMEOUT": "3"}
    start_worker(stack.procs, restarted, concurrency=2, name="worker-restarted")
    send_task(private_redis.url(0), "grading.tasks.sweep_ungraded")
    wait_until(lambda: graded_once(stack, s_whole), timeout=60, what="regrade after restart")

    # Every delivery has run (the restored one and the sweep's): still one grade each.
    wait_until(private_redis.queue_drained, timeout=30, what="the queue to drain")
    counts = stack.keyword_grades([s_child, s_whole])
    assert len(counts) == 6 and set(counts.values()) == {1}, counts
    current = stack.query(
        "SELECT COUNT(*) FROM grading_grade WHERE kind = 'keyword' AND is_current = %s",
        (True,),
    )[0][0]
    assert current == 6
