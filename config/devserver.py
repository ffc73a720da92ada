"""`make run`'s server: Django's runserver and a Celery worker (with beat), stopped together.

Run as ``python -m config.devserver [ADDRPORT]``. Ctrl-C (or SIGTERM) stops both and
waits for them, so no worker is left behind.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

WORKER = [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat",
          "--loglevel=INFO", "--concurrency=2"]  # fmt: skip


def main(addrport: str) -> int:
    children = [
        subprocess.Popen(WORKER, start_new_session=True),
        subprocess.Popen(
            [sys.executable, "manage.py", "runserver", addrport], start_new_session=True
        ),
    ]
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:  # one died: stop the other too
                code = child.returncode or 1
                stopping = True
        time.sleep(0.3)
    print("\nStopping the site and the worker…", flush=True)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000"))
