"""A real Celery worker for the tests: in a thread, on the real Redis broker."""

from __future__ import annotations

from contextlib import AbstractContextManager

from celery.contrib.testing.worker import start_worker
from django.conf import settings


def live_worker(app) -> AbstractContextManager:
    """Consumes every queue the app routes to, as the one worker of `make run` does."""
    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    queues.add(app.conf.task_default_queue)
    return start_worker(
        app,
        pool="solo",
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=10,
        queues=sorted(queues),
    )
