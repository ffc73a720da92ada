"""Shared plumbing for the bench scripts: environment, database, processes, figures.

Every bench script imports this first. It points Django at a dedicated PostgreSQL
database (``viva_bench``, created if missing) and a dedicated Redis database number
(``/9``), starts servers and workers in their own process groups and always stops
them again (normal exit, exception, Ctrl-C or SIGTERM), and samples the resident
memory of the processes it started.

Override the targets with ``BENCH_DATABASE_URL`` and ``BENCH_REDIS_URL``; only
loopback addresses are accepted, so a bench run can never load another machine.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = ROOT / "var" / "bench"
RESULTS_DIR.mkdir(parents=True, exist_ok=True)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grading.metrics import nearest_rank  # noqa: E402  (needs the path above)

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/viva_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"bench: refusing non-loopback target {url!r}")


_check_loopback(DATABASE_URL)
_check_loopback(REDIS_URL)

# What the web servers, workers and this process all run with: production settings
# (DEBUG off, pooled PostgreSQL, Redis broker and shared cache) minus TLS, since the
# load is plain HTTP on the loopback interface.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "CACHE_URL": REDIS_URL,
    "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 40,
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
    "STATIC_MANIFEST": "0",
    "LOG_LEVEL": "WARNING",
    "VIVA_VAR_DIR": str(ROOT / "var" / "bench" / "state"),
}
os.environ.update(BENCH_ENV)
# The LLM second opinion is out of scope: keyword grading only, whatever the shell has.
for _name in ("OPENAI_API_KEY", "GRADING_LLM_MODEL"):
    os.environ.pop(_name, None)


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(BENCH_ENV)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- database / redis


def ensure_database() -> None:
    """Create the bench database if it is missing (psycopg, no createdb binary needed)."""
    import psycopg

    parsed = urlparse(DATABASE_URL)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"bench: unexpected database name {name!r}")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


_django_ready = False


def setup_django(*, fresh: bool = True) -> None:
    """Create/migrate the bench database, load the bundled bank, empty bench tables."""
    global _django_ready
    if _django_ready:
        return
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("import_questions", verbosity=0)
    if fresh:
        reset_data()
    _django_ready = True


def reset_data() -> None:
    """Forget earlier bench runs: sessions, answers, grades, logins, bench users."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE interviews_session, django_session RESTART IDENTITY CASCADE")
    get_user_model().objects.filter(username__startswith="bench-").delete()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL)


def redis_flush() -> None:
    """Empty the bench's own Redis database number (never FLUSHALL)."""
    redis_client().flushdb()


def pg_backend_pids() -> list[int]:
    """PostgreSQL backends serving the bench database (for memory sampling)."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        return [row[0] for row in cursor.fetchall()]


# ---------------------------------------------------------------- fixtures

FILLER = [
    "In practice I would start simple and measure before adding more moving parts.",
    "I have seen this go wrong in production when nobody was monitoring it closely.",
    "The trade-off depends on the read and write patterns of the application.",
    "I would document the decision so the rest of the team understands the reasons.",
    "A small load test before the release would tell us whether it really helps.",
    "It is worth adding metrics and alerts so we notice regressions early.",
    "For a small team the operational cost matters as much as raw performance.",
]


def _sentences(markdown_text: str) -> list[str]:
    text = re.sub(r"[`*_#>]", "", markdown_text)
    text = re.sub(r"\s+", " ", text).strip()
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 4]


def realistic_answer(snapshot: dict, rng: random.Random, words: int = 100) -> str:
    """A ~100-word answer: most of the model answer's sentences, shuffled, plus filler.

    Good enough to exercise the grader realistically (some criteria met, some not).
    """
    sentences = _sentences(snapshot.get("model_answer", "")) or list(FILLER)
    picked = rng.sample(sentences, k=max(1, int(len(sentences) * rng.uniform(0.4, 0.8))))
    out: list[str] = []
    while sum(len(s.split()) for s in out) < words:
        out.append(picked.pop(0) if picked else rng.choice(FILLER))
    text = " ".join(out).split()
    return " ".join(text[: words + rng.randint(0, 15)])


def free_text_questions():
    from questionbank.models import Question
    from questionbank.selectors import questions_with_details

    questions = list(
        questions_with_details()
        .filter(kind="free_text", status="published", team__isnull=True)
        .order_by("id")
    )
    if not questions:
        raise SystemExit("bench: no published free-text questions (import_questions failed?)")
    assert all(isinstance(q, Question) for q in questions)
    return questions


def make_candidates(n: int, prefix: str = "bench-cand"):
    """n candidate users (fast password hashing is irrelevant: they never log in)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    users = [user_model(username=f"{prefix}-{i}", password="!") for i in range(n)]
    user_model.objects.bulk_create(users, batch_size=500)
    return list(user_model.objects.filter(username__startswith=f"{prefix}-").order_by("id"))


def make_sessions(
    candidate, count: int, questions_per_session: int, rng: random.Random, *, minutes=120
):
    """Sessions in progress, each with ``questions_per_session`` free-text answer slots."""
    from interviews.services import session_create

    pool = free_text_questions()
    sessions = []
    for _ in range(count):
        picked = rng.sample(pool, k=min(questions_per_session, len(pool)))
        sessions.append(
            session_create(
                candidate=candidate,
                title="Bench interview",
                questions=picked,
                time_limit_minutes=minutes,
                level="mid",
            )
        )
    return sessions


def make_open_sessions_bulk(
    candidates, per_candidate: int, questions: int, rng: random.Random, *, minutes: int = 240
) -> dict[int, list[int]]:
    """In-progress sessions (free-text questions, empty drafts), bulk-inserted.

    The same rows ``session_create`` makes (answers freeze a question snapshot), made
    in a few statements so thousands of simulated candidates are ready in seconds.
    Returns {candidate id: [session ids]}.
    """
    from django.utils import timezone

    from interviews.models import Answer, Session
    from questionbank.selectors import question_snapshot

    pool = free_text_questions()
    snapshots = {q.id: question_snapshot(q) for q in pool}
    now = timezone.now()
    owners = [c for c in candidates for _ in range(per_candidate)]
    sessions = Session.objects.bulk_create(
        (
            Session(
                candidate=c,
                title="Bench interview",
                level="mid",
                started_at=now,
                deadline=now + timedelta(minutes=minutes),
            )
            for c in owners
        ),
        batch_size=1000,
    )
    answers = []
    for session in sessions:
        for position, question in enumerate(rng.sample(pool, k=questions)):
            answers.append(
                Answer(
                    session=session,
                    position=position,
                    question=question,
                    kind="free_text",
                    snapshot=snapshots[question.id],
                )
            )
    Answer.objects.bulk_create(answers, batch_size=1000)
    out: dict[int, list[int]] = {}
    for session in sessions:
        out.setdefault(session.candidate_id, []).append(session.id)
    return out


def login_cookies(users) -> dict[int, str]:
    return {user.id: login_cookie(user) for user in users}


def login_cookie(user) -> str:
    """A real Django login session for ``user`` (what ``login()`` stores), as a cookie value.

    The load clients use it instead of posting the login form: the form costs a
    deliberately slow password hash per login and is throttled, and neither is what
    these benchmarks measure.
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


CSRF_TOKEN = "benchcsrf" + "0" * 23  # a 32-character secret: cookie and header agree

# ---------------------------------------------------------------- processes

_started: list[subprocess.Popen] = []
_cleanup_lock = threading.Lock()


def start_process(args: list[str], *, name: str, log_path: Path | None = None, env=None):
    """Start a server/worker in its own process group; it is stopped by ``stop_all``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = open(log_path or RESULTS_DIR / f"{name}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env or child_env(),
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.bench_name = name  # type: ignore[attr-defined]
    _started.append(proc)
    return proc


def stop_process(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """TERM the process group we started, then KILL it if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    # Children that outlived their parent in the same group (e.g. prefork children).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc in _started:
        _started.remove(proc)


def stop_all() -> None:
    with _cleanup_lock:
        for proc in list(reversed(_started)):
            with contextlib.suppress(Exception):
                stop_process(proc)


def _on_signal(signum, _frame):
    stop_all()
    raise SystemExit(128 + signum)


atexit.register(stop_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    _check_loopback(url)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except Exception as exc:
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s: {last}")


def start_gunicorn(*, port: int, workers: int, threads: int, name: str = "gunicorn"):
    """gunicorn serving config.wsgi; gthread when threads > 1, else sync workers."""
    args = python_module(
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
    )
    proc = start_process(args, name=name)
    wait_http(f"http://127.0.0.1:{port}/status", timeout=60, proc=proc)
    return proc


def start_celery_worker(
    *,
    concurrency: int,
    prefetch: int = 1,
    pool: str = "prefork",
    name: str = "celery",
    env: dict[str, str] | None = None,
    include: list[str] | None = None,
):
    """A real ``celery -A config worker`` process; returns once it answers a ping.

    ``env`` overrides environment variables for the worker only; ``include`` adds
    task modules (``-I``).
    """
    args = python_module(
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--prefetch-multiplier",
        str(prefetch),
        "--loglevel",
        "WARNING",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"bench-{name}-{os.getpid()}@%h",
    )
    if include:
        args += ["-I", ",".join(include)]
    proc = start_process(args, name=name, env=child_env(**(env or {})))
    from config.celery import app

    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited with {proc.returncode}")
        try:
            if app.send_task("config.ping", args=["up"]).get(timeout=5) == "up":
                return proc
        except Exception:
            if time.monotonic() > deadline:
                raise
    return proc


def process_tree(pid: int) -> list[int]:
    import psutil

    try:
        parent = psutil.Process(pid)
        return [parent.pid, *[c.pid for c in parent.children(recursive=True)]]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(pids: Iterable[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


class CpuAccount:
    """CPU seconds per group of processes between ``__enter__`` and ``__exit__``.

    Also this process and the whole machine, so the noise from other tenants of a
    shared machine shows: ``result`` holds % of one core per label.
    """

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups

    def _snapshot(self) -> dict[int, float]:
        import psutil

        out = {}
        for get_pids in self.groups.values():
            for pid in get_pids():
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    times = psutil.Process(pid).cpu_times()
                    out[pid] = times.user + times.system
        return out

    def __enter__(self) -> CpuAccount:
        import psutil

        self.pids0 = {label: list(get()) for label, get in self.groups.items()}
        self.cpu0 = self._snapshot()
        self.self0 = sum(os.times()[:2])
        self.machine0 = psutil.cpu_times()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        import psutil

        wall = time.perf_counter() - self.t0
        cpu1 = self._snapshot()
        result: dict[str, float] = {}
        ours = 0.0
        for label, get in self.groups.items():
            pids = set(self.pids0[label]) | set(get())
            used = sum(cpu1.get(p, 0.0) - self.cpu0.get(p, 0.0) for p in pids if p in cpu1)
            ours += used
            result[label] = round(100 * used / wall, 1)
        me = sum(os.times()[:2]) - self.self0
        ours += me
        result["bench_process"] = round(100 * me / wall, 1)
        m1 = psutil.cpu_times()
        busy = sum(
            getattr(m1, f) - getattr(self.machine0, f)
            for f in ("user", "system", "nice", "irq", "softirq", "steal")
            if hasattr(m1, f)
        )
        result["machine_total"] = round(100 * busy / wall, 1)
        result["everything_else"] = round(100 * (busy - ours) / wall, 1)
        self.result = result


@dataclass
class RssSampler:
    """Samples resident memory (RSS) of groups of processes; keeps per-process peaks.

    ``groups`` maps a label to a callable returning the pids to sample.
    """

    groups: dict[str, Callable[[], list[int]]]
    interval: float = 0.5
    peaks: dict[str, dict[int, int]] = field(default_factory=dict)
    total_peaks: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample_once(self) -> None:
        import psutil

        for label, get_pids in self.groups.items():
            try:
                pids = get_pids()
            except Exception:
                continue
            total = 0
            for pid in pids:
                try:
                    rss = psutil.Process(pid).memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += rss
                per = self.peaks.setdefault(label, {})
                per[pid] = max(per.get(pid, 0), rss)
            self.total_peaks[label] = max(self.total_peaks.get(label, 0), total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample_once()

    def __enter__(self) -> RssSampler:
        self.sample_once()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def summary(self) -> dict[str, dict]:
        """Per label: process count, peak RSS of the largest process, peak of the sum (MiB)."""
        out = {}
        for label, per in self.peaks.items():
            out[label] = {
                "processes": len(per),
                "max_process_mib": round(max(per.values()) / 2**20, 1) if per else 0,
                "peak_total_mib": round(self.total_peaks.get(label, 0) / 2**20, 1),
            }
        return out


# ---------------------------------------------------------------- figures


percentile = nearest_rank


def save_results(name: str, data: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    data = {"measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cores": os.cpu_count(), **data}
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def machine_note() -> str:
    try:
        load1, _, _ = os.getloadavg()
    except OSError:
        load1 = math.nan
    return f"{os.cpu_count()} cores, load average before the run {load1:.2f}"
