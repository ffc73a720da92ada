"""Why Viva keeps its own rate limiter (core/throttle.py) rather than django-ratelimit.

    uv run --group bench python bench/ratelimit.py [--hits 3000]

Counts one limited event ``--hits`` times with each, against the same Redis cache
(django-redis, as production runs it), and reports Redis commands (round trips) per
event and time per event, as a ratio in the same run. Then, in a second process whose
cache points at a port nothing listens on, it says what each limiter does while Redis
is down.

Redis database 9 (``BENCH_REDIS_URL`` to change it); only the keys written here are
touched. No Django database is needed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
DOWN_URL = "redis://127.0.0.1:9/0"  # nothing listens there


def configure(location: str) -> None:
    from django.conf import settings

    options = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5, "IGNORE_EXCEPTIONS": True}
    settings.configure(
        CACHES={
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": location,
                "OPTIONS": options,
            }
        },
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS=False,
        RATELIMIT_FAIL_OPEN=False,
        TEMPLATES=[],
        INSTALLED_APPS=[],
        SECRET_KEY="bench",
        ALLOWED_HOSTS=["*"],
    )
    import django

    django.setup()


class RoundTrips:
    """Counts what is sent to Redis: one packed send is one round trip."""

    def __init__(self) -> None:
        from redis.connection import Connection

        self.count = 0
        send = Connection.send_packed_command

        def counted(connection, command, check_health=True):
            self.count += 1
            return send(connection, command, check_health)

        Connection.send_packed_command = counted


def limiters(limit: int):
    from django.test import RequestFactory
    from django_ratelimit.core import get_usage

    from core.throttle import Throttle

    request = RequestFactory().post("/save", REMOTE_ADDR="10.0.0.1")
    ours = Throttle(scope="bench", limit=limit, window_seconds=3600)

    def run_ours() -> bool:
        return ours.hit("10.0.0.1") > 0

    def run_library() -> bool:
        usage = get_usage(request, group="bench", key="ip", rate=f"{limit}/h", increment=True)
        return bool(usage and usage["should_limit"])

    return {"core.throttle": run_ours, "django-ratelimit": run_library}


def measure(hits: int) -> None:
    configure(REDIS_URL)
    from django.core.cache import caches

    cache = caches["default"]
    trips = RoundTrips()
    results = {}
    for name, call in limiters(limit=hits * 10).items():  # the limit is never reached
        cache.delete_pattern("*bench*")
        call()  # the window's first event
        before, started = trips.count, time.perf_counter()
        for _ in range(hits):
            call()
        elapsed = time.perf_counter() - started
        results[name] = ((trips.count - before) / hits, elapsed / hits * 1e6)
    cache.delete_pattern("*bench*")
    base = results["core.throttle"][1]
    print(f"{hits} counted events each, Redis {REDIS_URL}")
    print(f"{'limiter':<18} {'round trips/event':>18} {'us/event':>9} {'time ratio':>10}")
    for name, (round_trips, micros) in results.items():
        print(f"{name:<18} {round_trips:>18.2f} {micros:>9.0f} {micros / base:>10.2f}")


def outage() -> None:
    configure(DOWN_URL)
    print("\nRedis refusing connections; a limit of 3, then 5 events:")
    for name, call in limiters(limit=3).items():
        print(f"  {name:<17} refused: {[call() for _ in range(5)]}")
    print("  (core.throttle counts in the process until Redis is back; django-ratelimit")
    print("   fails closed and refuses everything, or with RATELIMIT_FAIL_OPEN lets all in)")


def main() -> None:
    import argparse
    import subprocess

    parser = argparse.ArgumentParser()
    parser.add_argument("--hits", type=int, default=3000)
    parser.add_argument("--outage", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.outage:
        outage()
        return
    measure(args.hits)
    subprocess.run([sys.executable, __file__, "--outage"], check=True)


if __name__ == "__main__":
    main()
