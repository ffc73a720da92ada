"""`make run`'s server: Django's runserver and a Celery worker (with beat), supervised.

Run as ``python -m core.devserver [ADDRPORT]``. A child that dies is started again
after a pause that doubles with each quick failure (1 s up to a minute), so a crashed
worker never takes the site down. Ctrl-C (or SIGTERM) stops both and waits for them,
so no worker is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

# One worker for every queue here: keyword grading ("celery"), LLM second opinions
# ("llm", only when an LLM is configured) and webhook sends ("webhooks"). Production
# gives the last two their own thread-pool worker (docker-compose.yml).
WORKER = [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat",
          "--loglevel=INFO", "--concurrency=2", "--queues=celery,llm,webhooks"]  # fmt: skip
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 60.0
# A child that ran this long before dying is restarted after the first pause again.
STABLE_AFTER = 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    pause: float = FIRST_PAUSE
    restart_at: float | None = None
    restarts: int = 0

    def start(self) -> None:
        env = {**os.environ, "VIVA_DEV_CONSOLE": "1"}  # a quieter worker (config/celery.py)
        self.process = subprocess.Popen(self.argv, start_new_session=True, env=env)
        self.started_at = time.monotonic()
        self.restart_at = None

    def check(self, now: float) -> None:
        """Notice a death and schedule the restart; start again when its pause is over."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                print(f"Starting the {self.name} again.", flush=True)
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        if now - self.started_at >= STABLE_AFTER:
            self.pause = FIRST_PAUSE
        print(
            f"The {self.name} stopped (exit code {self.process.returncode}); "
            f"starting it again in {self.pause:.0f} s. The site stays up.",
            flush=True,
        )
        self.restart_at = now + self.pause
        self.pause = min(self.pause * 2, LONGEST_PAUSE)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def supervise(children: list[Child], *, poll: float = 0.3) -> int:
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for child in children:
        child.start()
    while not stopping:
        now = time.monotonic()
        for child in children:
            child.check(now)
        time.sleep(poll)
    print("\nStopping the site and the worker…", flush=True)
    for child in children:
        child.stop()
    for child in children:
        child.wait()
    return 0


def main(addrport: str) -> int:
    return supervise(
        [
            Child("worker", WORKER),
            Child("web server", [sys.executable, "manage.py", "runserver", addrport]),
        ]
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000"))
