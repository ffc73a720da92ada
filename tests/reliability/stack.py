"""Private servers and processes for the fault tests: nothing here touches shared services.

- ``PrivateRedis``: a throw-away ``redis-server`` on a free 127.0.0.1 port, no persistence,
  that a test can stop, kill and start again (the shared Redis on 6379 is never touched).
- ``StackDatabase``: a migrated and seeded database the app's *processes* use: a file
  for SQLite, a private database (cloned from a private template) on the same PostgreSQL
  server as the test run. Dropped at the end.
- ``TcpProxy``: sits in front of PostgreSQL; ``cut()`` drops every connection and refuses
  new ones, as a database restart does; ``restore()`` lets them through again.
- ``Processes``: gunicorn and Celery workers as subprocesses in their own process groups,
  killed (whole group) at teardown even when the test failed.
- ``Browser``: a candidate's browser over real HTTP (cookies, CSRF header, HTMX header).

Every loop is bounded; every address is 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
HOST = "127.0.0.1"
PASSWORD = "reliable-horse-battery"  # the seeded users' password (tests/reliability/seed.py)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, interval=0.1):
    """Poll ``predicate`` until it is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# ------------------------------------------------------------------------------ processes


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole process group (a crash: no cleanup, no acks)."""
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)

    def stop(self, grace: float = 8.0) -> None:
        if self.alive():
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        # Children (pool processes) may outlive their parent: always sweep the group.
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


class Processes:
    """Starts subprocesses in their own sessions and stops all of them at teardown."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.started: list[Proc] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Proc:
        log_path = self.workdir / f"{name}-{len(self.started)}.log"
        log = log_path.open("wb")
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killpg reaches its children
        )
        log.close()
        proc = Proc(name, popen, log_path)
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        """Teardown: SIGKILL every group (nothing to save; faster than a warm shutdown)."""
        for proc in reversed(self.started):
            proc.kill()


def app_env(**overrides: str) -> dict[str, str]:
    """Environment for the app's processes: production settings, plain HTTP on 127.0.0.1."""
    drop = {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "OPENAI_API_KEY", "DEBUG"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="reliability-tests-only",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        STATIC_MANIFEST="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def start_web(procs: Processes, env: dict[str, str], port: int, *, threads: int = 4) -> Proc:
    """gunicorn on the WSGI app, as docker-compose runs it (one worker process here)."""
    argv = [
        PY, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"{HOST}:{port}", "--workers", "1", "--threads", str(threads),
        "--timeout", "30", "--graceful-timeout", "2", "--log-level", "warning",
    ]  # fmt: skip
    proc = procs.start("web", argv, env)
    url = f"http://{HOST}:{port}/healthz"

    def healthy() -> bool:
        if not proc.alive():
            raise AssertionError(f"gunicorn exited:\n{proc.log()}")
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_until(healthy, timeout=30, what="gunicorn to answer /healthz")
    return proc


def start_worker(
    procs: Processes,
    env: dict[str, str],
    *,
    pool: str = "prefork",
    concurrency: int = 1,
    name: str = "worker",
    wait_ready: bool = True,
) -> Proc:
    """A Celery worker through tests/reliability/worker_main.py (test hooks via env)."""
    hostname = f"{name}-{uuid.uuid4().hex[:6]}@%h"
    argv = [
        PY, "-m", "tests.reliability.worker_main",
        f"--pool={pool}", f"--concurrency={concurrency}", f"--hostname={hostname}",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    proc = procs.start(name, argv, env)
    if wait_ready:
        wait_worker_ready(proc)
    return proc


def wait_worker_ready(proc: Proc) -> Proc:
    def ready() -> bool:
        if not proc.alive():
            raise AssertionError(f"the worker exited:\n{proc.log()}")
        return " ready." in proc.log(20_000)

    wait_until(ready, timeout=40, what="the Celery worker to be ready")
    return proc


def celery_call(env: dict[str, str], task: str) -> None:
    """The operator's command: ``celery -A config call <task>``."""
    done = subprocess.run(
        [PY, "-m", "celery", "-A", "config", "call", task],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------------------ Redis


class PrivateRedis:
    """A private redis-server this test may stop and start (no persistence: a restart
    empties it, as losing the broker host would)."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if not binary:
            raise FileNotFoundError("redis-server")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def client(self, db: int = 0):
        import redis

        return redis.Redis(host=HOST, port=self.port, db=db, socket_connect_timeout=1)

    def start(self) -> PrivateRedis:
        argv = [
            self.binary, "--port", str(self.port), "--bind", HOST, "--save", "",
            "--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no",
            "--loglevel", "warning",
        ]  # fmt: skip
        log = (self.workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        wait_until(self.ping, timeout=10, what=f"private redis on port {self.port}")
        return self

    def ping(self) -> bool:
        import redis

        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self, *, crash: bool = False) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL if crash else signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def queue_idle(self, queue: str = "celery") -> bool:
        """No message waiting and none delivered-but-unacknowledged (acks_late: a task
        is acknowledged only when it finished)."""
        client = self.client()
        return client.llen(queue) == 0 and client.hlen("unacked") == 0

    def queue_drained(self, queue: str = "celery", settle: float = 0.5) -> bool:
        """Idle twice, ``settle`` seconds apart (a message moving from the list to the
        unacked hash is briefly in neither)."""
        if not self.queue_idle(queue):
            return False
        time.sleep(settle)
        return self.queue_idle(queue)


# ------------------------------------------------------------------------------ database


@dataclass
class StackDatabase:
    """A migrated, seeded database for the app's processes (not the pytest-django one)."""

    kind: str  # "sqlite" | "postgres"
    workdir: Path
    server: dict = field(default_factory=dict)  # postgres: host, port, user, password
    template: str = ""
    clones: list[str] = field(default_factory=list)

    # -- building

    @classmethod
    def create(cls, workdir: Path, default_db: dict) -> StackDatabase:
        if default_db["ENGINE"].endswith("postgresql"):
            server = {
                "host": default_db.get("HOST") or HOST,
                "port": int(default_db.get("PORT") or 5432),
                "user": default_db.get("USER") or "postgres",
                "password": default_db.get("PASSWORD") or "",
            }
            db = cls("postgres", workdir, server, f"viva_rel_tmpl_{uuid.uuid4().hex[:8]}")
            db._admin(f'CREATE DATABASE "{db.template}"')
        else:
            db = cls("sqlite", workdir, {}, str(workdir / "template.sqlite3"))
        url = db.url(db.template)
        env = app_env(DATABASE_URL=url, VIVA_VAR_DIR=str(workdir / "var"), DATABASE_POOL="0")
        for argv in (
            [PY, "manage.py", "migrate", "--no-input", "-v0"],
            [PY, "-m", "tests.reliability.seed"],
        ):
            done = subprocess.run(
                argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
            )
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
        return db

    def clone(self) -> str:
        """A fresh copy of the seeded template for one test; returns its name."""
        name = f"viva_rel_{uuid.uuid4().hex[:10]}"
        if self.kind == "postgres":
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        else:
            name = str(self.workdir / f"{name}.sqlite3")
            shutil.copyfile(self.template, name)
        self.clones.append(name)
        return name

    def drop_all(self) -> None:
        if self.kind != "postgres":
            return
        for name in [*self.clones, self.template]:
            with contextlib.suppress(Exception):
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # -- addressing

    def url(self, name: str, *, port: int | None = None) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{name}"  # name is absolute: sqlite:////abs/path
        s = self.server
        auth = quote(s["user"]) + (f":{quote(s['password'])}" if s["password"] else "")
        return f"postgres://{auth}@{s['host']}:{port or s['port']}/{name}"

    # -- reading (the tests check what was stored with plain SQL)

    def query(self, name: str, sql: str, params: tuple = ()) -> list[tuple]:
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(name, timeout=20)) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(**self._conninfo(name), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def _conninfo(self, name: str) -> dict:
        s = self.server
        info = {"host": s["host"], "port": s["port"], "user": s["user"], "dbname": name}
        if s["password"]:
            info["password"] = s["password"]
        return info

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(**self._conninfo("postgres"), autocommit=True) as conn:
            conn.execute(sql)


# ------------------------------------------------------------------------------ TCP proxy


class TcpProxy:
    """127.0.0.1:<port> -> target. ``cut()`` resets every connection and refuses new ones
    (what clients see when PostgreSQL restarts); ``restore()`` accepts again."""

    def __init__(self, target_port: int, target_host: str = HOST):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._listener: socket.socket | None = None
        self._accepting = threading.Event()
        self._stopping = threading.Event()
        self._accept_thread: threading.Thread | None = None
        self._trigger: bytes | None = None
        self.tripped = threading.Event()
        self.cuts = 0

    def start(self) -> TcpProxy:
        self.restore()
        return self

    def restore(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((HOST, self.port))
            listener.listen(64)
            listener.settimeout(0.2)
            self._listener = listener
        thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        thread.start()
        self._accept_thread = thread

    def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            pairs, self._pairs = self._pairs, []
            self.cuts += 1
        if listener is not None:
            listener.close()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=2)
        for pair in pairs:
            for sock in pair:
                _reset(sock)

    def cut_on(self, pattern: bytes) -> None:
        """Reset the one connection whose next client message contains ``pattern``, before
        the server sees it (the server dies mid-transaction, from that client's view)."""
        self.tripped.clear()
        self._trigger = pattern

    def stop(self) -> None:
        self._stopping.set()
        self.cut()

    def _accept_loop(self, listener: socket.socket) -> None:
        for _ in range(10**7):  # bounded: ends when cut() closes the listener
            if self._stopping.is_set():
                return
            try:
                client, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the listener was closed by cut()
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut while we connected
                    _reset(client)
                    _reset(upstream)
                    return
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            for _ in range(10**8):  # bounded; ends when either side closes
                try:
                    readable, _, _ = select.select([a, b], [], [], 0.5)
                except (OSError, ValueError):
                    return
                if self._stopping.is_set():
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    trigger = self._trigger
                    if sock is a and trigger is not None and trigger in data:
                        self._trigger = None
                        self.tripped.set()
                        return  # finally: both sides reset, the statement never arrives
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in (a, b):
                _reset(sock)
            with self._lock, contextlib.suppress(ValueError):
                self._pairs.remove((a, b))


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a killed server's kernel would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with contextlib.suppress(OSError):
        sock.close()


# ------------------------------------------------------------------------------ browser


SESSION_URL_RE = re.compile(r"/practice/s/(\d+)/")


class Browser:
    """One candidate's browser: cookies, the CSRF header on every post, HTMX headers."""

    def __init__(self, base_url: str, username: str, *, timeout: float = 40.0):
        self.base = base_url.rstrip("/")
        self.username = username
        self.http = requests.Session()
        self.timeout = timeout

    def _csrf(self) -> str:
        return self.http.cookies.get("csrftoken", "")

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base + path, timeout=self.timeout, **kwargs)

    def post(self, path: str, data: dict, *, htmx: bool = False, **kwargs) -> requests.Response:
        headers = {"X-CSRFToken": self._csrf()}
        if htmx:
            headers["HX-Request"] = "true"
        return self.http.post(
            self.base + path,
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=self.timeout,
            **kwargs,
        )

    def login(self) -> Browser:
        self.get("/accounts/login/")
        response = self.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": self._csrf()},
        )
        assert response.status_code == 302, response.text[:2000]
        return self

    def start(self, *, count: int = 3, start_key: str | None = None) -> int:
        if not self._csrf():
            self.get("/practice/")
        response = self.post(
            "/practice/",
            {"level": "junior", "count": count, "start_key": start_key or uuid.uuid4().hex},
        )
        assert response.status_code == 302, (response.status_code, response.text[:2000])
        return int(SESSION_URL_RE.search(response.headers["Location"]).group(1))

    def save(self, session_id: int, position: int, text: str, **kwargs) -> requests.Response:
        return self.post(
            f"/practice/s/{session_id}/q/{position}/save", {"text": text}, htmx=True, **kwargs
        )

    def submit(self, session_id: int) -> requests.Response:
        """Submit past the "n questions unanswered" confirmation."""
        return self.post(f"/practice/s/{session_id}/submit", {"confirmed": "1"}, htmx=True)

    def page(self, session_id: int, position: int = 0) -> requests.Response:
        return self.get(f"/practice/s/{session_id}/?q={position}", allow_redirects=False)
