"""`make run`'s stack: the supervisor, the embedded filesystem broker and its worker.

The site must stay up when the worker dies, and the worker must survive a flood of
grading tasks published while it consumes (it once read a half-written task file).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from core.devserver import FIRST_PAUSE, Child
from tests.reliability.stack import HOST, PY, ROOT, Processes, app_env, free_port, wait_until

SOAK_TASKS = 1050


@pytest.fixture
def dev_stack(tmp_path):
    """A migrated, seeded SQLite database and `python -m core.devserver` on it, with
    the environment `make run` gives it (DEBUG, no Redis: the filesystem broker)."""
    db = tmp_path / "viva.sqlite3"
    env = app_env(DATABASE_URL=f"sqlite:///{db}", VIVA_VAR_DIR=str(tmp_path / "var"), DEBUG="1")
    for argv in (
        [PY, "manage.py", "migrate", "--no-input", "-v0"],
        [PY, "-m", "tests.reliability.seed"],
    ):
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr
    procs = Processes(tmp_path)
    port = free_port()
    server = procs.start("devserver", [PY, "-m", "core.devserver", f"{HOST}:{port}"], env)
    url = f"http://{HOST}:{port}/healthz"

    def site_up() -> bool:
        assert server.alive(), server.log()
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_until(site_up, timeout=60, what="the dev site")
    wait_until(lambda: " ready." in server.log(50_000), timeout=60, what="the dev worker")
    yield {"env": env, "db": db, "server": server, "site_up": site_up, "url": url}
    # SIGTERM first: the supervisor stops its children (each in a session of its own,
    # so killing the supervisor's group alone would leave a restarted worker behind).
    children = _child_pids(server.pid) if server.alive() else []
    server.stop(grace=30)
    procs.stop_all()
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()], (
        "a child outlived make run"
    )


def _child_pids(supervisor_pid: int) -> list[int]:
    path = Path(f"/proc/{supervisor_pid}/task/{supervisor_pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def worker_pids(supervisor_pid: int) -> list[int]:
    """The supervisor's children running Celery (the worker's main process)."""
    return [
        pid
        for pid in _child_pids(supervisor_pid)
        if b"celery" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def graded_counts(db: Path) -> tuple[int, int, int]:
    """(free-text answers submitted, answers with a keyword grade, keyword grade rows)."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "select (select count(*) from interviews_answer where kind = 'free_text'),"
            " (select count(distinct answer_id) from grading_grade where kind = 'keyword'),"
            " (select count(*) from grading_grade where kind = 'keyword')"
        ).fetchone()


@pytest.mark.slow
def test_a_killed_worker_is_restarted_and_the_site_stays_up(dev_stack):
    server = dev_stack["server"]
    (first,) = worker_pids(server.pid)
    os.killpg(first, signal.SIGKILL)
    # The site answers throughout, and a new worker comes up after the pause.
    deadline = time.monotonic() + FIRST_PAUSE + 30
    while time.monotonic() < deadline:
        assert dev_stack["site_up"](), "the site went down with the worker"
        pids = worker_pids(server.pid)
        if pids and pids != [first]:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"the worker was not started again:\n{server.log()}")
    assert "The worker stopped (exit code -9); starting it again in 1 s" in server.log(50_000)
    assert server.alive()


@pytest.mark.slow
def test_soak_every_answer_graded_once_and_the_worker_stays_up(dev_stack):
    server, db = dev_stack["server"], dev_stack["db"]
    (worker,) = worker_pids(server.pid)
    done = subprocess.run(
        [PY, "-m", "tests.reliability.soak_submit", str(SOAK_TASKS)],
        cwd=ROOT, env=dev_stack["env"], capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    wait_until(
        lambda: graded_counts(db)[1] >= SOAK_TASKS,
        timeout=400,
        interval=1,
        what=f"{SOAK_TASKS} grades",
    )
    time.sleep(2)  # a duplicate delivery would land now
    assert graded_counts(db) == (SOAK_TASKS, SOAK_TASKS, SOAK_TASKS)
    log = server.log(2_000_000)
    assert "Unrecoverable error" not in log and "stopped (exit code" not in log
    # the console stays readable: no per-task, periodic or per-connection lines
    for noise in ("No hostname was supplied", "superuser privileges", "Sending due task",
                  "succeeded in", "] received"):  # fmt: skip
        assert noise not in log, noise
    assert worker_pids(server.pid) == [worker]
    assert dev_stack["site_up"]()


def test_a_child_that_dies_is_restarted_after_a_growing_pause():
    child = Child("worker", [PY, "-c", "import sys; sys.exit(3)"])
    child.start()
    child.process.wait(timeout=10)
    t0 = child.started_at + 1  # died quickly
    child.check(t0)
    assert child.restart_at == t0 + FIRST_PAUSE
    first = child.process
    child.check(t0 + FIRST_PAUSE / 2)
    assert child.process is first  # still pausing
    child.check(t0 + FIRST_PAUSE)
    assert child.process is not first and child.restarts == 1
    child.process.wait(timeout=10)
    t1 = child.started_at + 1
    child.check(t1)
    assert child.restart_at == t1 + 2 * FIRST_PAUSE  # doubled after a quick failure


def test_a_child_that_ran_a_while_restarts_after_the_first_pause_again():
    child = Child("worker", [PY, "-c", "pass"], pause=32.0)
    child.start()
    child.process.wait(timeout=10)
    later = child.started_at + 120
    child.check(later)
    assert child.restart_at == later + FIRST_PAUSE
