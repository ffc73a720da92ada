"""The database restarting under load: a clear 503, nothing half-written, retries succeed.

gunicorn (psycopg connection pool on, as in production) reaches a private PostgreSQL
database through a TCP proxy the test controls. ``cut()`` resets every connection and
refuses new ones, which is what the app sees when PostgreSQL restarts; ``cut_on()`` kills
the one connection about to send a given statement, i.e. in the middle of a transaction.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
import requests

from tests.reliability.conftest import needs_postgres
from tests.reliability.stack import TcpProxy, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLEAR_503 = "Back in a moment"


@pytest.fixture(autouse=True)
def _postgres_only():
    needs_postgres()  # before the stack is built: skipping costs nothing


@pytest.fixture
def proxied(stack):
    proxy = TcpProxy(stack.db.server["port"], stack.db.server["host"]).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@dataclass
class Log:
    """Every response the simulated candidates got."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    responses: list[tuple[str, int, str, str | None]] = field(default_factory=list)

    def add(self, what: str, response: requests.Response) -> None:
        with self.lock:
            self.responses.append(
                (what, response.status_code, response.text, response.headers.get("Retry-After"))
            )


def check_clear_errors(log: Log) -> None:
    statuses = {status for _, status, _, _ in log.responses}
    assert statuses <= {200, 204, 302, 503}, statuses
    for what, status, body, retry_after in log.responses:
        assert "Traceback" not in body and "Internal Server Error" not in body, what
        if status == 503:
            assert CLEAR_503 in body and retry_after, (what, body[:300])


def sessions_answer_counts(stack) -> dict[int, int]:
    rows = stack.query(
        "SELECT s.id, COUNT(a.id) FROM interviews_session s "
        "LEFT JOIN interviews_answer a ON a.session_id = s.id GROUP BY s.id"
    )
    return dict(rows)


def test_connection_lost_inside_session_create_leaves_nothing_half_written(stack, proxied):
    env = stack.env(db_port=proxied.port)
    _web, base = stack.web(env)
    candidate = stack.browser(base, 0)
    candidate.get("/practice/")
    key = uuid.uuid4().hex

    # The session row is inserted, then the connection dies before its answers are.
    proxied.cut_on(b'INSERT INTO "interviews_answer"')
    response = candidate.post("/practice/", {"level": "junior", "count": 3, "start_key": key})
    assert proxied.tripped.is_set()
    assert response.status_code == 503 and CLEAR_503 in response.text
    assert response.headers["Retry-After"]
    assert stack.query("SELECT COUNT(*) FROM interviews_session")[0][0] == 0

    # The candidate clicks again (same form, same start_key): one complete session.
    session_id = wait_until(
        lambda: _start_or_none(candidate, key), timeout=30, what="start to succeed on retry"
    )
    assert sessions_answer_counts(stack) == {session_id: 3}
    assert candidate.start(start_key=key) == session_id  # a double-click changes nothing


def _start_or_none(browser, key: str) -> int | None:
    response = browser.post("/practice/", {"level": "junior", "count": 3, "start_key": key})
    if response.status_code == 503:
        return None
    return int(re.search(r"/practice/s/(\d+)/", response.headers["Location"]).group(1))


def test_database_restart_under_load_loses_nothing(stack, proxied):
    env = stack.env(db_port=proxied.port, DATABASE_POOL_MAX="4")
    _web, base = stack.web(env)
    savers = [stack.browser(base, n, timeout=60) for n in range(3)]
    starter = stack.browser(base, 3, timeout=60)
    sessions = [browser.start() for browser in savers]
    log = Log()
    stop = threading.Event()
    restored = threading.Event()
    ok_after_restore: dict[str, int] = defaultdict(int)
    last_sent: dict[tuple[int, int], int] = {}
    last_acked: dict[tuple[int, int], int] = {}
    start_keys: dict[str, int | None] = {}

    def autosave(browser, session_id: int) -> None:
        for n in range(1, 10_000):
            if stop.is_set():
                return
            position = n % 3
            last_sent[(session_id, position)] = n
            try:
                response = browser.save(session_id, position, f"draft {n}")
            except requests.RequestException as exc:  # a reset is a failed save, retried
                log.responses.append(("save", 0, repr(exc), None))
                continue
            log.add("save", response)
            if response.status_code == 200:
                last_acked[(session_id, position)] = n
                if restored.is_set():
                    ok_after_restore[browser.username] += 1
            time.sleep(0.25)

    def start_interviews() -> None:
        for _ in range(1000):
            if stop.is_set():
                return
            key = uuid.uuid4().hex
            start_keys[key] = None
            for _attempt in range(200):  # the candidate retries with the same form
                if stop.is_set():
                    return
                response = starter.post(
                    "/practice/", {"level": "junior", "count": 3, "start_key": key}
                )
                log.add("start", response)
                if response.status_code == 302:
                    start_keys[key] = int(
                        re.search(r"/practice/s/(\d+)/", response.headers["Location"]).group(1)
                    )
                    if restored.is_set():
                        ok_after_restore[starter.username] += 1
                    break
                time.sleep(0.2)
            time.sleep(0.3)

    threads = [
        threading.Thread(target=autosave, args=(b, s), daemon=True)
        for b, s in zip(savers, sessions)
    ]
    threads.append(threading.Thread(target=start_interviews, daemon=True))
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        proxied.cut()  # PostgreSQL "restarts": every connection reset, new ones refused
        time.sleep(3)
        proxied.restore()
        restored.set()
        everyone = [b.username for b in savers] + [starter.username]
        wait_until(
            lambda: all(ok_after_restore[name] >= 2 for name in everyone),
            timeout=45,
            what="every candidate's retries to succeed after the restart",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    # The outage was seen, and only as the clear 503 page (never a 500 or a traceback).
    assert any(status == 503 for _, status, _, _ in log.responses), "no request saw the outage"
    assert not [r for r in log.responses if r[1] == 0], "a request was reset without a response"
    check_clear_errors(log)

    # Nothing acknowledged was lost: each stored draft is the last acknowledged one or a
    # later one whose response was lost with the connection.
    for key, sent in last_sent.items():
        session_id, position = key
        stored = stack.answers(session_id)[position]
        number = int(stored.removeprefix("draft "))
        assert last_acked.get(key, 0) <= number <= sent, (key, stored, last_acked.get(key))

    # No half-written session: every session has all its answers; one per start key.
    counts = sessions_answer_counts(stack)
    assert counts and set(counts.values()) == {3}, counts
    started = [sid for sid in start_keys.values() if sid is not None]
    assert len(started) == len(set(started))
    assert len(counts) == len(sessions) + len(started)


def test_requests_during_a_long_outage_get_the_503_page_quickly(stack, proxied):
    """While the database stays away, each request answers 503 within DATABASE_POOL_TIMEOUT
    (instead of waiting up to psycopg's 30 s for a pooled connection, which ties up
    gunicorn's threads and runs into gunicorn's own 30 s timeout)."""
    env = stack.env(db_port=proxied.port, DATABASE_POOL_TIMEOUT="2")
    _web, base = stack.web(env)
    browsers = [stack.browser(base, n, timeout=40) for n in range(3)]
    sessions = [b.start() for b in browsers]
    timings: list[tuple[int, float]] = []

    def save_twice(browser, session_id):
        for n in range(2):
            started = time.monotonic()
            response = browser.save(session_id, 0, f"during outage {n}")
            timings.append((response.status_code, time.monotonic() - started))

    proxied.cut()
    try:
        threads = [
            threading.Thread(target=save_twice, args=(b, s), daemon=True)
            for b, s in zip(browsers, sessions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        proxied.restore()
    assert len(timings) == 6
    assert {status for status, _ in timings} == {503}, timings
    assert max(seconds for _, seconds in timings) < 4.5, timings

    # And once the database is back, the retried saves land. On a loaded machine gunicorn
    # may recycle a worker whose threads sat out the outage; a retry goes to the next one.
    def saved_after_outage(browser, session_id) -> bool:
        try:
            return browser.save(session_id, 0, "after outage").status_code == 200
        except requests.ConnectionError:
            return False

    for browser, session_id in zip(browsers, sessions):
        wait_until(
            lambda b=browser, s=session_id: saved_after_outage(b, s),
            timeout=40,
            interval=0.5,
            what="a save to succeed after the outage",
        )
        assert stack.answers(session_id)[0] == "after outage"
