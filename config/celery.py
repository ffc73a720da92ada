"""The Celery app: configured from Django settings (CELERY_* names)."""

from __future__ import annotations

import logging
import os
import warnings

from celery import Celery
from celery.signals import after_setup_logger, task_postrun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("viva")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping", ignore_result=False)
def ping(value: str = "pong") -> str:
    """Round-trip check used by tests and operators: proves a worker consumes the broker."""
    return value


# CELERY_DB_REUSE_MAX (settings) stops Celery's Django fixup from closing the database
# connection, and in prefork children Django's whole psycopg pool, around every task.
# These two handlers do the part of that closing that is still needed.


@worker_init.connect(weak=False)
def _close_database_before_the_pool_starts(**_kwargs) -> None:
    """Start the task pool with no connection open in this process.

    With DB reuse on, the fixup no longer closes them here. A forked child would then
    inherit one, and the solo pool (the tests' in-thread worker) runs the fixup's
    fork clean-up in this very process: it closes the live connection's socket fd and
    puts the connection back into Django's pool, which later hands it to a task whose
    queries then wait forever on a reused fd.
    """
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
        if conn.settings_dict["OPTIONS"].get("pool"):
            conn.close_pool()  # type: ignore[attr-defined]  # PostgreSQL's wrapper has it


@task_postrun.connect(weak=False)
def _release_database_connection(task=None, **_kwargs) -> None:
    """After each task, hand the connection back to the pool (or drop a broken one),
    as Django does after each request."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


# `make run` (core/devserver.py) shares one console between the site and the worker:
# there the worker keeps to its start-up, readiness and problems, so the request log
# stays readable, and does not repeat the root-user warning a throw-away dev box earns.
DEV_CONSOLE = os.environ.get("VIVA_DEV_CONSOLE") == "1"
if DEV_CONSOLE:
    warnings.filterwarnings("ignore", message="You're running the worker with superuser privileges")


@after_setup_logger.connect(weak=False)
def _quiet_periodic_lines(**_kwargs) -> None:
    if DEV_CONSOLE:
        for name in ("celery.beat", "celery.app.trace", "celery.worker.strategy"):
            logging.getLogger(name).setLevel(logging.WARNING)
