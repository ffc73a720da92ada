"""A prefork Celery worker keeps its PostgreSQL connection from one task to the next.

Celery's Django fixup closes the connections around every task and, in prefork children
with Django's psycopg pool, the whole pool: one new PostgreSQL connection per task.
``CELERY_DB_REUSE_MAX`` and the ``task_postrun`` hand-back in config/celery.py keep the
child's pooled connection open between tasks.
"""

from __future__ import annotations

import pytest

from tests.reliability.conftest import needs_postgres
from tests.reliability.stack import start_worker, wait_until
from tests.reliability.test_redis_outage import send_task

pytestmark = [pytest.mark.slow, pytest.mark.redis]

APP_NAME = "viva-worker-under-test"


def test_prefork_worker_keeps_its_connection_between_tasks(stack, private_redis):
    needs_postgres()
    env = stack.env(REDIS_URL=private_redis.url(0))
    env["DATABASE_URL"] += f"?application_name={APP_NAME}"
    start_worker(stack.procs, env, concurrency=1)

    def worker_backends() -> set[tuple]:
        rows = stack.query(
            "SELECT pid, backend_start FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            (APP_NAME,),
        )
        return set(rows)

    def run_tasks(n: int) -> None:
        for _ in range(n):  # each one reads the database (nothing is left to grade)
            send_task(private_redis.url(0), "grading.tasks.sweep_ungraded")
        wait_until(private_redis.queue_drained, timeout=30, what="the tasks to run")

    run_tasks(1)
    first = wait_until(worker_backends, timeout=10, what="the worker's connection")
    run_tasks(10)
    # The same backends (pid and start time), still connected: no connection per task.
    # (The pool may have opened two at first: its min_size one and the first task's.)
    assert worker_backends() == first
