"""Fixtures for the fault tests: a private stack (database, Redis, gunicorn, Celery workers).

The shared PostgreSQL and Redis are never stopped or reconfigured: the app's processes run
against a private database (cloned from a migrated, seeded template) and, where a test
needs a broker it can break, a private ``redis-server`` on a free port.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.reliability.stack import (
    Browser,
    PrivateRedis,
    Processes,
    StackDatabase,
    app_env,
    free_port,
    start_web,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: starts real processes (gunicorn, Celery, redis-server); seconds each"
    )


def needs_postgres() -> None:
    if not ON_POSTGRES:
        if IN_CI:
            pytest.fail("CI runs on PostgreSQL; this test must not skip there")
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...): it restarts a database")


class _StackDatabaseOnce:
    """Builds the template on first use, so tests that skip early never pay for it."""

    def __init__(self, tmp_path_factory):
        self._factory = tmp_path_factory
        self.db: StackDatabase | None = None

    def get(self) -> StackDatabase:
        if self.db is None:
            workdir = self._factory.mktemp("stack-db")
            self.db = StackDatabase.create(workdir, settings.DATABASES["default"])
        return self.db


@pytest.fixture(scope="session")
def stack_db(tmp_path_factory) -> Iterator[_StackDatabaseOnce]:
    """Migrated + seeded template database for the app's processes (built once)."""
    once = _StackDatabaseOnce(tmp_path_factory)
    try:
        yield once
    finally:
        if once.db is not None:
            once.db.drop_all()


@dataclass
class Stack:
    """One test's private world: a fresh database clone and the processes started on it."""

    db: StackDatabase
    name: str
    procs: Processes
    workdir: Path

    def database_url(self, *, port: int | None = None) -> str:
        return self.db.url(self.name, port=port)

    def env(self, *, db_port: int | None = None, **extra: str) -> dict[str, str]:
        return app_env(
            DATABASE_URL=self.database_url(port=db_port),
            VIVA_VAR_DIR=str(self.workdir / "var"),
            **extra,
        )

    def web(self, env: dict[str, str], port: int | None = None):
        port = port or free_port()
        proc = start_web(self.procs, env, port)
        return proc, f"http://127.0.0.1:{port}"

    def browser(self, base_url: str, n: int, **kwargs) -> Browser:
        return Browser(base_url, f"cand{n}", **kwargs).login()

    # -- what was stored (plain SQL, so the test never shares the app's connections)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.db.query(self.name, sql, params)

    def answers(self, session_id: int) -> dict[int, str]:
        rows = self.query(
            "SELECT position, saved_text FROM interviews_answer WHERE session_id = %s",
            (session_id,),
        )
        return dict(rows)

    def status(self, session_id: int) -> str:
        return self.query("SELECT status FROM interviews_session WHERE id = %s", (session_id,))[0][
            0
        ]

    def keyword_grades(self, session_ids: list[int]) -> dict[int, int]:
        """answer id -> number of keyword Grade rows (any, current or not)."""
        marks = ", ".join(["%s"] * len(session_ids))
        rows = self.query(
            "SELECT a.id, COUNT(g.id) FROM interviews_answer a "
            "LEFT JOIN grading_grade g ON g.answer_id = a.id AND g.kind = 'keyword' "
            f"WHERE a.session_id IN ({marks}) GROUP BY a.id",
            tuple(session_ids),
        )
        return dict(rows)

    def answer_ids(self, session_id: int) -> list[int]:
        rows = self.query(
            "SELECT id FROM interviews_answer WHERE session_id = %s ORDER BY position",
            (session_id,),
        )
        return [r[0] for r in rows]


@pytest.fixture
def stack(stack_db, tmp_path) -> Iterator[Stack]:
    db = stack_db.get()
    procs = Processes(tmp_path)
    world = Stack(db, db.clone(), procs, tmp_path)
    try:
        yield world
    finally:
        procs.stop_all()
        # Shown by pytest only when the test failed: what each process said.
        for proc in procs.started:
            print(f"\n===== {proc.name} (pid {proc.pid}) log tail =====\n{proc.log(3000)}")


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if not shutil.which("redis-server"):
        if IN_CI:
            pytest.fail("redis-server is required in CI")
        pytest.skip("needs the redis-server binary (a private instance is started)")
    (tmp_path / "redis").mkdir()
    server = PrivateRedis(tmp_path / "redis").start()
    try:
        yield server
    finally:
        if server.proc is not None:  # wake it first if a test froze it (SIGSTOP)
            server.proc.send_signal(signal.SIGCONT)
        server.stop(crash=True)
