"""`make run` starts a real Celery worker: prove a task round-trips with each transport."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def round_trip(env: dict) -> str:
    """Send config.ping from a fresh process and wait for the worker's reply."""
    code = (
        "import django; django.setup();"
        "from config.celery import ping;"
        "print(ping.delay('round-trip').get(timeout=30))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def run_with_worker(env: dict) -> str:
    worker = start_worker(env)
    try:
        time.sleep(1)
        assert worker.poll() is None, worker.stdout.read().decode()[-2000:]
        return round_trip(env)
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def base_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="test-only",
        VIVA_VAR_DIR=str(tmp_path / "var"),
    )
    return env


def test_filesystem_transport_round_trips_through_a_worker(tmp_path):
    """Without REDIS_URL (as in `make run`), kombu's filesystem transport carries tasks."""
    assert run_with_worker(base_env(tmp_path)) == "round-trip"
    assert (tmp_path / "var" / "broker" / "queue").is_dir()


def test_redis_transport_round_trips_through_a_worker(tmp_path, redis_url):
    env = base_env(tmp_path)
    env["REDIS_URL"] = redis_url
    assert run_with_worker(env) == "round-trip"
