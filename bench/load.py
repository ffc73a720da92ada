"""Load: simulated candidates against gunicorn + PostgreSQL + Redis + a Celery worker.

    uv run python bench/load.py [--steps 50,100,200,400] [--seconds 60]

Each step runs locust (headless) with N concurrent ``Candidate`` users (see
bench/locustfile.py): open the interview page, type and autosave every ~5 s, move to
the next question, submit, open the results, start the next interview. The bare
``/status`` view, driven closed-loop through the same load generator at the start of
the run, is the ceiling the steps are compared with.

Per step: p50/p95/p99 (all requests and per endpoint), throughput, errors, peak
resident memory of every process (gunicorn master and workers, the celery worker and
its children, the PostgreSQL backends of the bench database, locust itself), CPU per
component, and grading lag: ``Session.finished_at`` (set by the submit) -> the
answer's keyword ``Grade.created_at``, both database timestamps.

Steps are short (default 60 s) so the whole run stays under 10 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness
from bench.harness import log
from bench.web import locust_row

PORT = 8094
NAMES = ("interview page", "autosave", "submit", "results page")


def run_locust(
    user_class: str, users: int, seconds: int, fixtures: Path, tag: str, spawn_rate: float
) -> tuple[dict, float]:
    prefix = harness.RESULTS_DIR / f"locust-load-{tag}"
    for suffix in ("_stats.csv", "_failures.csv", "_exceptions.csv"):
        Path(f"{prefix}{suffix}").unlink(missing_ok=True)
    args = harness.python_module(
        "locust", "--headless", "-f", str(harness.BENCH_DIR / "locustfile.py"), user_class,
        "--users", str(users), "--spawn-rate", f"{spawn_rate:g}", "--run-time", f"{seconds}s",
        "--host", f"http://127.0.0.1:{PORT}", "--csv", str(prefix), "--reset-stats",
        "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "0",
    )  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = harness.start_process(
        args, name=f"locust-{tag}", env=harness.child_env(BENCH_FIXTURES=str(fixtures))
    )
    try:
        proc.wait(timeout=seconds + 60)
    finally:
        harness.stop_process(proc)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    stats_path = Path(f"{prefix}_stats.csv")
    stats = {"Aggregated": locust_row(stats_path, "Aggregated")}
    for name in NAMES:
        with contextlib.suppress(KeyError):
            stats[name] = locust_row(stats_path, name)
    failures = Path(f"{prefix}_failures.csv")
    stats["failures"] = failures.read_text().strip().splitlines()[1:6] if failures.exists() else []
    return stats, cpu


def grading_lag(since: datetime, settle_seconds: float = 20.0) -> dict:
    """finished_at -> keyword Grade.created_at for answers of sessions submitted since."""
    from grading.models import Grade
    from interviews.models import Answer, Session

    sessions = Session.objects.filter(finished_at__gte=since).exclude(status="in_progress")
    answers = Answer.objects.filter(session__in=sessions, kind="free_text")
    expected = answers.count()
    deadline = time.monotonic() + settle_seconds
    graded = Grade.objects.filter(answer__in=answers, kind="keyword", is_current=True)
    while graded.count() < expected and time.monotonic() < deadline:
        time.sleep(0.25)
    rows = graded.values_list("created_at", "answer__session__finished_at")
    lags = [(created - finished).total_seconds() for created, finished in rows]
    return {
        "submitted_sessions": sessions.count(),
        "answers": expected,
        "graded": len(lags),
        "p50_ms": round(harness.percentile(lags, 50) * 1000, 1) if lags else None,
        "p95_ms": round(harness.percentile(lags, 95) * 1000, 1) if lags else None,
        "p99_ms": round(harness.percentile(lags, 99) * 1000, 1) if lags else None,
    }


def warm_up(fixtures: Path) -> None:
    """Get every gunicorn worker's first, slow requests (lazy imports, template
    compilation, first Redis and database connections: ~1 s each here) out of the
    measured steps, and the celery worker's first grades too."""
    import urllib.parse
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    data = json.loads(fixtures.read_text())
    base = f"http://127.0.0.1:{PORT}"

    def call(path: str, headers: dict, body: dict | None = None) -> None:
        encoded = urllib.parse.urlencode(body).encode() if body is not None else None
        request = urllib.request.Request(base + path, data=encoded, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def candidate(person: dict) -> None:
        sid = person["sessions"][0]["id"]
        headers = {
            "Cookie": f"sessionid={person['cookie']}; csrftoken={data['csrf']}",
            "X-CSRFToken": data["csrf"],
            "HX-Request": "true",
        }
        call(f"/practice/s/{sid}/", headers)
        for position in range(3):
            call(f"/practice/s/{sid}/?q={position}", headers)
            call(f"/practice/s/{sid}/q/{position}/save", headers, {"text": "warm up " * 20})
        call(f"/practice/s/{sid}/submit", headers, {})
        call(f"/practice/s/{sid}/results/", headers)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(candidate, data["candidates"]))


def fixtures_for(users: int, rng: random.Random, tag: str, sessions_per_candidate: int = 3) -> Path:
    """Fresh candidates (own login each) with enough interviews for the step."""
    people = harness.make_candidates(users, prefix=f"bench-load-{tag}")
    sessions = harness.make_open_sessions_bulk(people, sessions_per_candidate, 3, rng)
    cookies = harness.login_cookies(people)
    data = {
        "csrf": harness.CSRF_TOKEN,
        "targets": [],
        "text": "",
        "candidates": [
            {
                "cookie": cookies[p.id],
                "sessions": [{"id": sid, "questions": 3} for sid in sessions[p.id]],
            }
            for p in people
        ],
    }
    path = harness.RESULTS_DIR / f"load-fixtures-{tag}.json"
    path.write_text(json.dumps(data))
    return path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="50,100,200,400")
    parser.add_argument("--seconds", type=int, default=60, help="per step")
    parser.add_argument("--ceiling-users", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn threads per worker (> 1: gthread)"
    )
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--celery-prefetch", type=int, default=1, help="the app's setting is 1")
    args = parser.parse_args(argv)
    steps = [max(1, min(int(s), 1000)) for s in args.steps.split(",")]
    seconds = max(10, min(args.seconds, 300))

    log(f"load bench: {harness.machine_note()}")
    harness.setup_django()
    harness.redis_flush()
    rng = random.Random(20260103)
    step_fixtures = {n: fixtures_for(n, rng, f"s{n}") for n in steps}
    warm_fixtures = fixtures_for(16, rng, "warm", sessions_per_candidate=1)
    ceiling_fixtures = harness.RESULTS_DIR / "load-fixtures-ceiling.json"
    ceiling_fixtures.write_text(
        json.dumps({"csrf": harness.CSRF_TOKEN, "targets": [], "candidates": []})
    )

    server = f"gunicorn {args.workers} x " + (
        f"gthread ({args.threads} threads)" if args.threads > 1 else "sync"
    )
    log(f"starting {server} and a celery worker")
    gunicorn = harness.start_gunicorn(port=PORT, workers=args.workers, threads=args.threads)
    worker = harness.start_celery_worker(
        concurrency=args.celery_concurrency,
        prefetch=args.celery_prefetch,
        name="celery-load",
    )
    out: dict = {
        "server": server,
        "celery": f"prefork -c {args.celery_concurrency} "
        f"--prefetch-multiplier {args.celery_prefetch}",
        "seconds_per_step": seconds,
        "steps": [],
    }
    try:
        warm_up(warm_fixtures)
        log(f"ceiling: bare /status, {args.ceiling_users} users, no think time, 20 s")
        ceiling, ceiling_cpu = run_locust(
            "StatusPage", args.ceiling_users, 20, ceiling_fixtures, "ceiling",
            spawn_rate=args.ceiling_users,
        )  # fmt: skip
        out["ceiling"] = {**ceiling["Aggregated"], "locust_cpu_pct": round(100 * ceiling_cpu / 20)}
        log(f"  ceiling {out['ceiling']['rps']:.0f} req/s, p95 {out['ceiling']['p95_ms']} ms")

        for users in steps:
            groups = {
                "gunicorn": lambda: harness.process_tree(gunicorn.pid),
                "celery": lambda: harness.process_tree(worker.pid),
                "postgres": harness.pg_backend_pids,
                "locust": lambda: [
                    pid
                    for proc in harness._started
                    if getattr(proc, "bench_name", "").startswith("locust")
                    for pid in harness.process_tree(proc.pid)
                ],
            }
            since = datetime.now(UTC)
            log(f"step: {users} candidates for {seconds} s")
            cpu_groups = {
                "gunicorn": groups["gunicorn"],
                "celery": groups["celery"],
                "postgres": harness.pg_backend_pids,
            }
            with harness.RssSampler(groups) as memory, harness.CpuAccount(cpu_groups) as cpu:
                stats, locust_cpu = run_locust(
                    "Candidate", users, seconds, step_fixtures[users], f"s{users}",
                    spawn_rate=max(10, users / 5),
                )  # fmt: skip
            # locust ran (and was reaped) inside the window: its CPU comes from rusage.
            locust_pct = round(100 * locust_cpu / seconds, 1)
            cpu.result["locust"] = locust_pct
            cpu.result["everything_else"] = round(cpu.result["everything_else"] - locust_pct, 1)
            lag = grading_lag(since)
            agg = stats["Aggregated"]
            row = {
                "users": users,
                "requests": stats,
                "grading_lag": lag,
                "memory_mib": memory.summary(),
                "cpu_pct_of_one_core": cpu.result,
                "share_of_ceiling": round(agg["rps"] / out["ceiling"]["rps"], 3),
            }
            out["steps"].append(row)
            log(
                f"  {agg['rps']:.1f} req/s, p50 {agg['p50_ms']} ms, p95 {agg['p95_ms']} ms, "
                f"p99 {agg['p99_ms']} ms, errors {agg['errors']}, grading lag p95 "
                f"{lag['p95_ms']} ms ({lag['graded']}/{lag['answers']} graded)"
            )
    finally:
        harness.stop_process(worker)
        harness.stop_process(gunicorn)
    report(out)
    harness.save_results("load", out)
    return out


def report(out: dict) -> None:
    c = out["ceiling"]
    print(
        f"\n{out['server']}, celery {out['celery']}; ceiling (bare /status, closed loop): "
        f"{c['rps']:.0f} req/s, p50 {c['p50_ms']:.0f} ms, p95 {c['p95_ms']:.0f} ms"
    )
    print(
        f"{'users':>5} {'req/s':>6} {'%ceil':>6} {'p50':>5} {'p95':>5} {'p99':>5} {'err':>4}"
        f" {'lag p95':>8}  peak RSS MiB (largest process / all): gunicorn, celery, postgres"
    )
    for row in out["steps"]:
        a, lag, mem = row["requests"]["Aggregated"], row["grading_lag"], row["memory_mib"]

        def m(label: str, mem=mem) -> str:
            g = mem.get(label, {})
            return f"{g.get('max_process_mib', 0):.0f}/{g.get('peak_total_mib', 0):.0f}"

        print(
            f"{row['users']:>5} {a['rps']:>6.1f} {row['share_of_ceiling']:>6.1%} "
            f"{a['p50_ms']:>5.0f} {a['p95_ms']:>5.0f} {a['p99_ms']:>5.0f} {a['errors']:>4} "
            f"{lag['p95_ms'] or float('nan'):>8.0f}  {m('gunicorn')}, {m('celery')}, "
            f"{m('postgres')}"
        )
    target = next((r for r in out["steps"] if r["users"] == 200), None)
    if target:
        a, lag = target["requests"]["Aggregated"], target["grading_lag"]
        ok = a["p95_ms"] < 200 and a["errors"] == 0 and (lag["p95_ms"] or 1e9) < 2000
        print(
            f"target at 200 candidates (p95 < 200 ms, 0 errors, grading lag p95 < 2 s): "
            f"{'met' if ok else 'MISSED'}"
        )


if __name__ == "__main__":
    try:
        main()
    finally:
        harness.stop_all()
