"""End-to-end grading speed: Celery + Redis + PostgreSQL with real worker processes.

    uv run python bench/pipeline.py [--answers 3000] [--rounds 3] [--rate 50] [--seconds 20]
    uv run python bench/pipeline.py --sweep      # also try other worker settings

The worker is the app as it is (``celery -A config worker``, the app's settings), with
prefork ``-c 2`` and the app's prefetch multiplier unless told otherwise.

(a) Throughput. N finalised ~100-word answers to bundled-bank questions (imported with
    ``import_questions``), in submitted sessions of 5, wait in the database. The clock
    starts, the app's own ``grading_enqueue`` is called once per session, as a submit
    does (one ``grading.tasks.grade_answers`` task per session), and the clock stops when
    the broker holds no message (queue empty, nothing delivered but unacked: with
    ``acks_late`` a task is acked only after its grades are committed) and all N keyword
    grades are in the database. Baseline in the same run, through the same broker and
    worker: N of the app's ``grading.tasks.noop``, one task per answer; it ends the same
    way, and the worker's own counters (``inspect stats``) confirm all N ran. Rounds
    alternate baseline and grading; the median round is reported.

(b) Latency. Sessions of 5 free-text answers are submitted with the app's
    ``session_submit`` service (store, then enqueue on commit) at a steady 50 answers/s
    (10 sessions/s) for 20 s; latency is submit call -> ``Grade.created_at``.

Needs only PostgreSQL and Redis on 127.0.0.1 (see bench/harness.py for the targets).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness
from bench.harness import log

QUEUE = "celery"
PER_SESSION = 5  # free-text answers per submitted session


def make_submitted_answers(candidate, n: int, rng: random.Random, per_session: int = 5):
    """n free-text answers in submitted sessions, not yet graded (no task sent)."""
    from django.utils import timezone

    from interviews.models import Answer, Session, SessionStatus
    from questionbank.selectors import question_snapshot

    pool = harness.free_text_questions()
    snapshots = {q.id: question_snapshot(q) for q in pool}
    now = timezone.now()
    sessions = Session.objects.bulk_create(
        Session(
            candidate=candidate,
            title="Bench interview",
            level="mid",
            started_at=now - timedelta(minutes=30),
            deadline=now + timedelta(minutes=30),
            status=SessionStatus.SUBMITTED,
            finished_at=now,
        )
        for _ in range((n + per_session - 1) // per_session)
    )
    answers = []
    for i in range(n):
        question = rng.choice(pool)
        snapshot = snapshots[question.id]
        answers.append(
            Answer(
                session=sessions[i // per_session],
                position=i % per_session,
                question=question,
                kind="free_text",
                snapshot=snapshot,
                saved_text=harness.realistic_answer(snapshot, rng),
                saved_at=now,
                revision=3,
            )
        )
    created = Answer.objects.bulk_create(answers, batch_size=1000)
    return [a.id for a in created]


def make_open_sessions(candidate, count: int, per_session: int, rng: random.Random):
    """Sessions in progress whose answers hold saved drafts, ready to be submitted."""
    from interviews.models import Answer

    sessions = harness.make_sessions(candidate, count, per_session, rng)
    answers = list(Answer.objects.filter(session__in=sessions))
    for answer in answers:
        answer.saved_text = harness.realistic_answer(answer.snapshot, rng)
    Answer.objects.bulk_update(answers, ["saved_text"], batch_size=1000)
    return sessions


class Broker:
    """Watches the Redis broker: pending messages and delivered-but-unacked ones."""

    def __init__(self) -> None:
        self.redis = harness.redis_client()

    def in_flight(self) -> int:
        pipe = self.redis.pipeline()
        pipe.llen(QUEUE)
        pipe.hlen("unacked")
        queued, unacked = pipe.execute()
        return int(queued) + int(unacked)

    def wait_empty(self, confirm, timeout: float, poll: float = 0.02) -> float:
        """perf_counter() when the broker was first seen empty with ``confirm()`` true."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.in_flight() == 0:
                seen = time.perf_counter()
                if confirm():
                    return seen
            time.sleep(poll)
        raise TimeoutError(f"broker not drained within {timeout}s ({self.in_flight()} left)")


def noop_total(app) -> int:
    """How many noop tasks the worker(s) accepted, from the worker's own counters."""
    stats = app.control.inspect(timeout=2.0).stats() or {}
    return sum(s.get("total", {}).get("grading.tasks.noop", 0) for s in stats.values())


def measure_noop(app, broker: Broker, n: int, done_before: int) -> dict:
    from grading.tasks import noop_task

    start = time.perf_counter()
    for i in range(n):
        noop_task.delay(i)
    enqueued = time.perf_counter()
    end = broker.wait_empty(lambda: noop_total(app) >= done_before + n, timeout=120)
    return {
        "n": n,
        "seconds": end - start,
        "per_second": n / (end - start),
        "enqueue_per_second": n / (enqueued - start),
    }


def pg_sessions() -> int:
    """Connections ever opened to the bench database (PostgreSQL's own counter)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def enqueue(answer_ids: list[int]) -> int:
    """The app's ``grading_enqueue``, once per session, as ``session_submit`` calls it."""
    from grading.tasks import grading_enqueue

    return sum(
        grading_enqueue(answer_ids=answer_ids[i : i + PER_SESSION])
        for i in range(0, len(answer_ids), PER_SESSION)
    )


def measure_grading(broker: Broker, ids: list[int]) -> dict:
    from grading.models import Grade

    sessions_before = pg_sessions()

    def stored() -> int:
        return Grade.objects.filter(answer_id__in=ids, kind="keyword", is_current=True).count()

    wall_start = datetime.now(UTC)
    start = time.perf_counter()
    sent = enqueue(ids)
    enqueued = time.perf_counter()
    assert sent == len(ids), f"only {sent} of {len(ids)} answers were enqueued"
    end = broker.wait_empty(lambda: stored() == len(ids), timeout=300)
    last = Grade.objects.filter(answer_id__in=ids).order_by("-created_at").first().created_at
    time.sleep(1.0)  # PostgreSQL counts a connection when it ends; let the counter settle
    new_connections = pg_sessions() - sessions_before
    return {
        "new_db_connections_per_answer": round(new_connections / len(ids), 2),
        "n": len(ids),
        "seconds": end - start,
        "per_second": len(ids) / (end - start),
        "enqueue_per_second": len(ids) / (enqueued - start),
        # Cross-check with the database's own clock: first enqueue -> last Grade.created_at.
        "per_second_by_created_at": len(ids) / (last - wall_start).total_seconds(),
    }


def cpu_groups(worker_pid: int) -> dict:
    def children() -> list[int]:
        return harness.process_tree(worker_pid)[1:]

    return {
        "worker_main": lambda: [worker_pid],
        "worker_children": children,
        "postgres": harness.pg_backend_pids,
    }


def throughput(candidate, rng, *, n: int, rounds: int, app, worker_pid) -> dict:
    broker = Broker()
    done = noop_total(app)
    noop_runs, grade_runs = [], []
    for r in range(rounds):
        ids = make_submitted_answers(candidate, n, rng)
        with harness.CpuAccount(cpu_groups(worker_pid)) as cpu:
            base = measure_noop(app, broker, n, done)
        base["cpu_pct_of_one_core"] = cpu.result
        done += n
        with harness.CpuAccount(cpu_groups(worker_pid)) as cpu:
            graded = measure_grading(broker, ids)
        graded["cpu_pct_of_one_core"] = cpu.result
        noop_runs.append(base)
        grade_runs.append(graded)
        log(
            f"  round {r + 1}: noop {base['per_second']:.0f}/s, "
            f"grade+store {graded['per_second']:.0f}/s "
            f"(by created_at {graded['per_second_by_created_at']:.0f}/s), "
            f"ratio {graded['per_second'] / base['per_second']:.1%}"
        )
    for run in (*noop_runs, *grade_runs):
        cpu = run["cpu_pct_of_one_core"]
        ours = sum(v for k, v in cpu.items() if k not in ("machine_total", "everything_else"))
        # CPU of every process we run (worker, its children, PostgreSQL backends, this
        # script) per task or answer: what the machine's noise does not change much.
        run["cpu_ms_per_item"] = round(ours * 10 / run["per_second"], 2)
    noop = statistics.median(r["per_second"] for r in noop_runs)
    grade = statistics.median(r["per_second"] for r in grade_runs)
    return {
        "answers": n,
        "rounds": rounds,
        "noop_per_second": round(noop, 1),
        "graded_per_second": round(grade, 1),
        "ratio": round(grade / noop, 3),
        "noop_cpu_ms_per_task": statistics.median(r["cpu_ms_per_item"] for r in noop_runs),
        "grade_cpu_ms_per_answer": statistics.median(r["cpu_ms_per_item"] for r in grade_runs),
        "new_db_connections_per_answer": statistics.median(
            r["new_db_connections_per_answer"] for r in grade_runs
        ),
        "others_pct_of_one_core": statistics.median(
            r["cpu_pct_of_one_core"]["everything_else"] for r in (*noop_runs, *grade_runs)
        ),
        "runs": {"noop": noop_runs, "grade": grade_runs},
    }


def latency(candidate, rng, *, rate: float, seconds: float, per_session: int = PER_SESSION) -> dict:
    """Submit sessions at a steady answer rate; submit call -> Grade.created_at."""
    from grading.models import Grade
    from interviews.services import session_submit

    sessions_per_second = rate / per_session
    count = int(seconds * sessions_per_second)
    sessions = make_open_sessions(candidate, count, per_session, rng)
    submitted_at: dict[int, datetime] = {}
    late = 0
    start = time.perf_counter()
    for i, session in enumerate(sessions):
        due = start + i / sessions_per_second
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        elif pause < -0.05:
            late += 1
        submitted_at[session.id] = datetime.now(UTC)
        session_submit(session=session)
    elapsed = time.perf_counter() - start
    expected = count * per_session
    grades = Grade.objects.filter(answer__session__in=sessions, kind="keyword", is_current=True)
    deadline = time.monotonic() + 60
    while grades.count() < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    rows = list(grades.values_list("answer__session_id", "created_at"))
    lags = [(created - submitted_at[sid]).total_seconds() for sid, created in rows]
    return {
        "answers_per_second_offered": round(expected / elapsed, 1),
        "seconds": round(elapsed, 1),
        "answers": expected,
        "graded": len(rows),
        "late_submits": late,
        "p50_ms": round(harness.percentile(lags, 50) * 1000, 1),
        "p95_ms": round(harness.percentile(lags, 95) * 1000, 1),
        "p99_ms": round(harness.percentile(lags, 99) * 1000, 1),
        "max_ms": round(max(lags) * 1000, 1) if lags else None,
    }


def grader_alone(candidate, rng, n: int = 500) -> dict:
    """The pure grader on the same kind of answers, in this process (one core), for scale."""
    from grading import rubric
    from grading.services import criteria_from_snapshot
    from interviews.models import Answer

    ids = make_submitted_answers(candidate, n, rng)
    items = [
        (a.snapshot.get("prompt", ""), criteria_from_snapshot(a.snapshot), a.saved_text)
        for a in Answer.objects.filter(id__in=ids)
    ]
    Answer.objects.filter(id__in=ids).delete()
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for prompt, criteria, text in items:
            rubric.grade(prompt, criteria, text)
        best = max(best, len(items) / (time.perf_counter() - start))
    return {
        "answers": len(items),
        "per_second_one_core": round(best, 1),
        "mean_words": round(sum(len(t.split()) for _, _, t in items) / len(items), 1),
        "mean_criteria": round(sum(len(c) for _, c, _ in items) / len(items), 2),
    }


def warm_up(app, candidate, rng) -> None:
    """Import modules, open pooled connections and fill caches in every worker child."""
    broker = Broker()
    done = noop_total(app)
    measure_noop(app, broker, 200, done)
    measure_grading(broker, make_submitted_answers(candidate, 200, rng))


ASYNC_COMMIT = "options=-c%20synchronous_commit%3Doff"


def run_config(
    candidate, rng, *, pool, concurrency, prefetch, async_commit, n, rounds, with_latency,
    args,
):  # fmt: skip
    from config.celery import app

    harness.redis_flush()
    label = f"{pool} -c {concurrency} --prefetch-multiplier {prefetch}"
    env = {}
    if async_commit:
        label += ", synchronous_commit=off"
        sep = "&" if "?" in harness.DATABASE_URL else "?"
        env["DATABASE_URL"] = f"{harness.DATABASE_URL}{sep}{ASYNC_COMMIT}"
    log(f"worker: {label}")
    worker = harness.start_celery_worker(
        concurrency=concurrency,
        prefetch=prefetch,
        pool=pool,
        name="celery-pipeline",
        env=env,
    )
    try:
        warm_up(app, candidate, rng)
        result = {"worker": label, "pool": pool, "concurrency": concurrency}
        result.update(prefetch=prefetch, async_commit=async_commit)
        result["throughput"] = throughput(
            candidate, rng, n=n, rounds=rounds, app=app, worker_pid=worker.pid
        )
        if with_latency:
            log(f"latency at {args.rate:g} answers/s for {args.seconds:g} s")
            result["latency"] = latency(candidate, rng, rate=args.rate, seconds=args.seconds)
        return result
    finally:
        harness.stop_process(worker)


# (pool, concurrency, prefetch multiplier, synchronous_commit=off)
SWEEP = [
    ("prefork", 2, 1, False),
    ("prefork", 2, 4, False),
    ("prefork", 3, 1, False),
    ("prefork", 4, 4, False),
    ("threads", 4, 4, False),
    ("prefork", 2, 1, True),
]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1500, help="N per throughput round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=float, default=50.0, help="answers/s for latency")
    parser.add_argument("--seconds", type=float, default=20.0, help="latency run length")
    parser.add_argument("--pool", default="prefork")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--prefetch", type=int, default=None, help="default: the app's (settings) multiplier"
    )
    parser.add_argument(
        "--async-commit",
        action="store_true",
        help="worker connects with synchronous_commit=off (see README)",
    )
    parser.add_argument("--sweep", action="store_true", help="also try other worker settings")
    args = parser.parse_args(argv)
    args.answers = max(100, min(args.answers, 50_000))
    args.rounds = max(1, min(args.rounds, 10))
    args.seconds = max(1.0, min(args.seconds, 120.0))
    args.rate = max(1.0, min(args.rate, 500.0))

    log(f"pipeline bench: {harness.machine_note()}")
    harness.setup_django()
    if args.prefetch is None:
        from django.conf import settings

        args.prefetch = settings.CELERY_WORKER_PREFETCH_MULTIPLIER
    rng = random.Random(20260101)
    candidate = harness.make_candidates(1, prefix="bench-pipeline")[0]
    out: dict = {"answers": args.answers, "rounds": args.rounds}
    out["grader_alone"] = grader_alone(candidate, rng)
    log(
        f"grader alone, this process: {out['grader_alone']['per_second_one_core']:.0f} "
        f"answers/s on one core ({out['grader_alone']['mean_words']:.0f} words, "
        f"{out['grader_alone']['mean_criteria']:.1f} criteria)"
    )

    if args.sweep:
        out["sweep"] = []
        for pool, concurrency, prefetch, async_commit in SWEEP:
            out["sweep"].append(
                run_config(
                    candidate, rng, pool=pool, concurrency=concurrency, prefetch=prefetch,
                    async_commit=async_commit, n=args.answers, rounds=1, with_latency=False,
                    args=args,
                )
            )  # fmt: skip
    out["app"] = run_config(
        candidate, rng, pool=args.pool, concurrency=args.concurrency, prefetch=args.prefetch,
        async_commit=args.async_commit, n=args.answers, rounds=args.rounds, with_latency=True,
        args=args,
    )  # fmt: skip
    harness.redis_flush()
    report(out)
    harness.save_results("pipeline", out)
    return out


def report(out: dict) -> None:
    g = out["grader_alone"]
    print(
        f"\ngrader alone (pure rubric.grade in the bench process, one core): "
        f"{g['per_second_one_core']:.0f} answers/s"
    )
    for row in out.get("sweep", []):
        t = row["throughput"]
        print(
            f"sweep  {row['worker']:<62} noop {t['noop_per_second']:>5.0f}/s  "
            f"graded {t['graded_per_second']:>5.0f}/s  ratio {t['ratio']:.1%}"
        )
    row = out["app"]
    t, lat = row["throughput"], row["latency"]
    ok_t = "met" if t["graded_per_second"] >= 300 else "MISSED"
    ok_l = "met" if lat["p95_ms"] < 1000 else "MISSED"
    print(
        f"\n{'worker (the app as it is)':<42} {'noop/s':>7} {'graded/s':>8} {'ratio':>6} "
        f"{'lat p50':>8} {'p95':>6} {'p99':>6} {'cpu ms':>7} {'conn':>5}   "
        "targets (>= 300/s; p95 < 1 s)"
    )
    print(
        f"{row['worker']:<42} {t['noop_per_second']:>7.0f} {t['graded_per_second']:>8.0f} "
        f"{t['ratio']:>6.1%} {lat['p50_ms']:>6.0f}ms {lat['p95_ms']:>4.0f}ms "
        f"{lat['p99_ms']:>4.0f}ms {t['grade_cpu_ms_per_answer']:>7.1f} "
        f"{t['new_db_connections_per_answer']:>5.2f}   {ok_t}; {ok_l}"
    )
    print(
        "(throughput: median of rounds of N answers enqueued -> N keyword grades stored; "
        "latency: session_submit -> Grade.created_at at a steady rate; cpu ms: CPU of all "
        "our processes per graded answer; conn: new PostgreSQL connections per answer)"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        harness.stop_all()
