from __future__ import annotations

import time

import pytest


@pytest.fixture
def celery_worker_live(redis_url, transactional_db, settings):
    """A real Celery worker (in a thread) consuming the real Redis broker."""
    from config.celery import app
    from tests.workers import live_worker

    if not str(app.conf.broker_url).startswith("redis"):
        pytest.skip("the Celery app was configured without REDIS_URL")
    app.control.purge()
    with live_worker(app) as worker:
        yield worker


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
