"""Redis stopped while candidates save and submit: nothing is lost, grading catches up once.

Real processes on a private stack: gunicorn (the web app), a prefork Celery worker, and a
private redis-server that the test crashes, restarts empty and freezes.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.reliability.stack import start_worker, wait_until, wait_worker_ready

pytestmark = [pytest.mark.slow, pytest.mark.redis]

GOOD = (
    "Repeating the request leaves the server in the same state as sending it once, "
    "so clients can safely retry. PUT and DELETE behave this way; POST usually does not."
)


def send_task(broker_url: str, name: str, *args) -> None:
    """Publish by task name from outside the app (as `celery -A config call` does)."""
    from celery import Celery

    app = Celery("reliability-probe", broker=broker_url, set_as_current=False)
    try:
        app.send_task(name, args=list(args))
    finally:
        app.close()


def timed(call, *args):
    started = time.monotonic()
    response = call(*args)
    return response, time.monotonic() - started


def test_broker_outage_loses_no_answer_and_grades_each_answer_once(stack, private_redis):
    env = stack.env(REDIS_URL=private_redis.url(0), GRADING_SWEEP_AFTER_SECONDS="0")
    worker = start_worker(stack.procs, env, wait_ready=False)  # boots while gunicorn does
    _web, base = stack.web(env)
    early, late_a, late_b = (stack.browser(base, n) for n in range(3))
    wait_worker_ready(worker)

    # Redis up: the pipeline works end to end.
    s_early = early.start()
    for position in range(3):
        assert early.save(s_early, position, GOOD).status_code == 200
    assert early.submit(s_early).status_code == 204
    wait_until(
        lambda: set(stack.keyword_grades([s_early]).values()) == {1},
        timeout=30,
        what="the first interview to be graded",
    )

    s_a, s_b = late_a.start(), late_b.start()
    private_redis.stop(crash=True)  # no persistence: whatever was queued is gone

    # Redis down: every save and submit still succeeds, fast, and is stored.
    last_saved: dict[tuple[int, int], str] = {}
    for browser, session_id in ((late_a, s_a), (late_b, s_b)):
        for draft in range(2):
            for position in range(3):
                text = f"{GOOD} (draft {draft} of answer {position} in {session_id})"
                response, seconds = timed(browser.save, session_id, position, text)
                assert response.status_code == 200, response.text[:500]
                assert seconds < 5, f"a save took {seconds:.1f}s while Redis was down"
                last_saved[(session_id, position)] = text
        response, seconds = timed(browser.submit, session_id)
        assert response.status_code == 204, response.text[:500]
        assert seconds < 10, f"a submit took {seconds:.1f}s while Redis was down"
    for session_id in (s_a, s_b):
        assert stack.status(session_id) == "submitted"
        assert stack.answers(session_id) == {p: last_saved[(session_id, p)] for p in range(3)}
    assert set(stack.keyword_grades([s_a, s_b]).values()) == {0}  # enqueue failed: ungraded

    # Redis back (empty). The worker reconnects; the sweep (Celery beat, every 60 s in
    # production; sent by hand here) enqueues what was never graded.
    private_redis.start()
    send_task(private_redis.url(0), "grading.tasks.sweep_ungraded")
    wait_until(
        lambda: set(stack.keyword_grades([s_a, s_b]).values()) == {1},
        timeout=60,
        what="the sweep to get the outage's answers graded",
    )

    # Duplicate deliveries (a second sweep, a re-sent task per answer) change nothing.
    send_task(private_redis.url(0), "grading.tasks.sweep_ungraded")
    for session_id in (s_early, s_a, s_b):
        for answer_id in stack.answer_ids(session_id):
            send_task(private_redis.url(0), "grading.tasks.grade_answer", answer_id)
    wait_until(private_redis.queue_drained, timeout=30, what="the queue to drain")
    counts = stack.keyword_grades([s_early, s_a, s_b])
    assert len(counts) == 9 and set(counts.values()) == {1}, counts
    for session_id in (s_a, s_b):  # and the graded text is what the candidate last saved
        assert stack.answers(session_id) == {p: last_saved[(session_id, p)] for p in range(3)}


def test_redis_down_or_frozen_never_fails_or_holds_a_save_or_submit(stack, private_redis):
    """docker-compose shape: Redis is both the broker and the cache (rate-limit counters).

    Down (connection refused) and frozen (accepts, never answers: SIGSTOP, as a hung
    host or a partition looks) must both leave saving, submitting and logging in working,
    each answered within seconds, with the text stored.
    """
    env = stack.env(REDIS_URL=private_redis.url(0), CACHE_URL=private_redis.url(1))
    _web, base = stack.web(env)
    candidate = stack.browser(base, 0)
    s_down, s_frozen = candidate.start(), candidate.start()

    private_redis.stop(crash=True)
    response, seconds = timed(candidate.save, s_down, 0, "typed while Redis was down")
    assert response.status_code == 200, f"save with Redis down: {response.status_code}"
    assert seconds < 5
    response, seconds = timed(candidate.submit, s_down)
    assert response.status_code == 204, f"submit with Redis down: {response.status_code}"
    assert seconds < 10
    stack.browser(base, 1)  # logging in (throttled through the cache) works too
    assert stack.status(s_down) == "submitted"
    assert stack.answers(s_down)[0] == "typed while Redis was down"

    private_redis.start()
    assert candidate.save(s_frozen, 0, "warm-up").status_code == 200
    os.kill(private_redis.proc.pid, signal.SIGSTOP)
    try:
        candidate.timeout = 25  # a hung request fails the test instead of hanging it
        response, seconds = timed(candidate.save, s_frozen, 0, "typed while frozen")
        assert response.status_code == 200, f"save with Redis frozen: {response.status_code}"
        assert seconds < 5, f"a save took {seconds:.1f}s with Redis frozen"
        response, seconds = timed(candidate.submit, s_frozen)
        assert response.status_code == 204, f"submit with Redis frozen: {response.status_code}"
        assert seconds < 15, f"a submit took {seconds:.1f}s with Redis frozen"
    finally:
        os.kill(private_redis.proc.pid, signal.SIGCONT)
    assert stack.status(s_frozen) == "submitted"
    assert stack.answers(s_frozen)[0] == "typed while frozen"
