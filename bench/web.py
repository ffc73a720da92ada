"""Web speed: gunicorn + PostgreSQL, DEBUG off, three endpoints measured in one run.

    uv run python bench/web.py [--concurrency 8] [--seconds 10] [--rounds 3]
                               [--worker-class sync|gthread] [--workers 4] [--threads 4]
                               [--tool wrk|locust]

- bare: ``GET /status``: one query, a small template, no login (the baseline);
- autosave: ``POST /practice/s/<id>/q/<n>/save`` with ``HX-Request`` and a ~100-word
  ``text``: session + user lookup, access check, rate-limit counter in Redis, one
  UPDATE and one SELECT, the "saved at" partial;
- interview: ``GET /practice/s/<id>/?q=<n>``: the full interview page.

Each endpoint is driven closed-loop at a fixed concurrency (no think time) for
``--seconds``; rounds interleave the three so drift on a shared machine hits them
alike. Reported: requests/s, p50/p95/p99, errors, and where the CPU went (load
generator, gunicorn, PostgreSQL backends, everything else on the machine). Ratios
are autosave/bare and interview/bare, medians of the per-round ratios.

Logged-in clients use real Django login sessions made in the database (see
``harness.login_cookie``); autosaves rotate over hundreds of interview sessions so
the 120-saves-per-minute limit of one session is never reached. The load generator
is wrk (``apt-get install -y wrk``) when installed: it needs far less CPU than a
Python client on these 2 shared cores. Without it, locust (in the dev dependencies).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness
from bench.harness import log

PORT = 8093
ENDPOINTS = ("bare", "autosave", "interview")
LOCUST_CLASS = {"bare": "StatusPage", "autosave": "AutosaveHammer", "interview": "InterviewHammer"}
TARGETS = {"autosave": 0.5, "interview": 0.35}


def build_fixtures(rng: random.Random, candidates: int = 200, per_candidate: int = 3) -> dict:
    users = harness.make_candidates(candidates, prefix="bench-web")
    sessions = harness.make_open_sessions_bulk(users, per_candidate, 3, rng)
    cookies = harness.login_cookies(users)
    targets = []
    for user in users:
        for sid in sessions[user.id]:
            for position in range(3):
                targets.append(
                    {
                        "cookie": cookies[user.id],
                        "save": f"/practice/s/{sid}/q/{position}/save",
                        "page": f"/practice/s/{sid}/?q={position}",
                    }
                )
    rng.shuffle(targets)
    snapshot = {"model_answer": " ".join(harness.FILLER)}
    return {
        "csrf": harness.CSRF_TOKEN,
        "targets": targets,
        "text": harness.realistic_answer(snapshot, rng),
        "candidates": [],
    }


# ---------------------------------------------------------------- wrk

LUA_TEMPLATE = """
local items = %(items)s
local token = "%(csrf)s"
local body = "%(body)s"
local mode = "%(mode)s"
local tid = 0
local counter = 0

function setup(thread)
  thread:set("offset", tid * 7919)
  tid = tid + 1
end

function init(args)
  counter = offset
end

function request()
  if mode == "bare" then
    return wrk.format("GET", "/status")
  end
  counter = counter + 1
  local it = items[(counter %% #items) + 1]
  local headers = {["Cookie"] = "sessionid=" .. it[3] .. "; csrftoken=" .. token}
  if mode == "autosave" then
    headers["X-CSRFToken"] = token
    headers["HX-Request"] = "true"
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", it[1], headers, body)
  end
  return wrk.format("GET", it[2], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, ' ..
    '"p99_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, ' ..
    '"timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def lua_script(fixtures: dict, mode: str) -> Path:
    from urllib.parse import urlencode

    items = ",\n".join(
        f'{{"{t["save"]}", "{t["page"]}", "{t["cookie"]}"}}' for t in fixtures["targets"]
    )
    body = urlencode({"text": fixtures["text"], "seconds": "5"})
    path = harness.RESULTS_DIR / f"wrk-{mode}.lua"
    values = {"items": "{" + items + "}", "csrf": fixtures["csrf"], "body": body, "mode": mode}
    path.write_text(LUA_TEMPLATE % values)
    return path


def run_wrk(fixtures: dict, mode: str, concurrency: int, seconds: float) -> dict:
    script = lua_script(fixtures, mode)
    args = [
        "wrk", "-t", "1", "-c", str(concurrency), "-d", f"{seconds:g}s", "--timeout", "10s",
        "-s", str(script), f"http://127.0.0.1:{PORT}",
    ]  # fmt: skip
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {out.stdout}\n{out.stderr}")
    data = json.loads(line[6:])
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "requests": data["requests"],
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": errors,
        "error_detail": {k: data[k] for k in ("connect", "read", "write", "status", "timeout")},
    }


# ---------------------------------------------------------------- locust (fallback)


def run_locust(fixtures_path: Path, mode: str, concurrency: int, seconds: float) -> dict:
    prefix = harness.RESULTS_DIR / f"locust-web-{mode}"
    args = harness.python_module(
        "locust", "--headless", "-f", str(harness.BENCH_DIR / "locustfile.py"),
        LOCUST_CLASS[mode], "--users", str(concurrency), "--spawn-rate", str(concurrency),
        "--run-time", f"{int(seconds)}s", "--host", f"http://127.0.0.1:{PORT}",
        "--csv", str(prefix), "--reset-stats", "--only-summary", "--loglevel", "WARNING",
    )  # fmt: skip
    env = harness.child_env(BENCH_FIXTURES=str(fixtures_path))
    subprocess.run(
        args, cwd=harness.ROOT, env=env, capture_output=True, timeout=seconds + 60, check=False
    )
    return locust_row(Path(f"{prefix}_stats.csv"), "Aggregated")


def locust_row(path: Path, name: str) -> dict:
    with path.open() as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    row = rows[name]

    def num(key: str) -> float:
        value = row.get(key, "")
        return float(value) if value not in ("", "N/A") else float("nan")

    return {
        "requests": int(num("Request Count")),
        "rps": num("Requests/s"),
        "p50_ms": num("50%"),
        "p95_ms": num("95%"),
        "p99_ms": num("99%"),
        "errors": int(num("Failure Count")),
    }


# ---------------------------------------------------------------- the run


class CpuWatch:
    """CPU seconds used by the load generator, gunicorn, PostgreSQL and the machine."""

    def __init__(self, gunicorn_pid: int) -> None:
        self.gunicorn_pid = gunicorn_pid

    def __enter__(self) -> CpuWatch:
        import psutil

        self.t0 = time.perf_counter()
        self.children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.gunicorn0 = harness.cpu_seconds(harness.process_tree(self.gunicorn_pid))
        self.pg_pids = harness.pg_backend_pids()
        self.pg0 = harness.cpu_seconds(self.pg_pids)
        self.machine0 = psutil.cpu_times()
        return self

    def __exit__(self, *exc) -> None:
        import psutil

        wall = time.perf_counter() - self.t0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        gen = (children.ru_utime + children.ru_stime) - (
            self.children0.ru_utime + self.children0.ru_stime
        )
        gunicorn = harness.cpu_seconds(harness.process_tree(self.gunicorn_pid)) - self.gunicorn0
        pg = harness.cpu_seconds(self.pg_pids) - self.pg0
        m1 = psutil.cpu_times()
        busy = sum(
            getattr(m1, f) - getattr(self.machine0, f)
            for f in ("user", "system", "nice", "irq", "softirq", "steal")
            if hasattr(m1, f)
        )

        def pct(seconds: float) -> float:  # % of one core
            return round(100 * seconds / wall, 1)

        self.result = {
            "cpu_pct_of_one_core": {
                "load_generator": pct(gen),
                "gunicorn": pct(gunicorn),
                "postgres": pct(pg),
                "machine_total": pct(busy),
                "everything_else": pct(busy - gen - gunicorn - pg),
            }
        }


def measure(tool, fixtures, fixtures_path, mode, concurrency, seconds, gunicorn) -> dict:
    with CpuWatch(gunicorn.pid) as watch:
        if tool == "wrk":
            result = run_wrk(fixtures, mode, concurrency, seconds)
        else:
            result = run_locust(fixtures_path, mode, concurrency, seconds)
    result.update(watch.result)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="gthread only")
    parser.add_argument("--tool", choices=["wrk", "locust"], default=None)
    args = parser.parse_args(argv)
    args.concurrency = max(1, min(args.concurrency, 256))
    args.seconds = max(2.0, min(args.seconds, 120.0))
    args.rounds = max(1, min(args.rounds, 10))
    tool = args.tool or ("wrk" if shutil.which("wrk") else "locust")
    if tool == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (or --tool locust)")

    log(f"web bench: {harness.machine_note()}; load generator: {tool}")
    harness.setup_django()
    harness.redis_flush()
    rng = random.Random(20260102)
    fixtures = build_fixtures(rng)
    fixtures_path = harness.RESULTS_DIR / "web-fixtures.json"
    fixtures_path.write_text(json.dumps(fixtures))

    threads = args.threads if args.worker_class == "gthread" else 1
    server = f"gunicorn {args.workers} x {args.worker_class}" + (
        f" ({threads} threads)" if threads > 1 else ""
    )
    log(f"starting {server} on 127.0.0.1:{PORT}")
    gunicorn = harness.start_gunicorn(port=PORT, workers=args.workers, threads=threads)
    try:
        check(fixtures)
        for mode in ENDPOINTS:  # warm: pools, template and Markdown caches in every worker
            measure(tool, fixtures, fixtures_path, mode, args.concurrency, 3, gunicorn)
        rounds = []
        for r in range(args.rounds):
            row = {}
            for mode in ENDPOINTS:
                row[mode] = measure(
                    tool, fixtures, fixtures_path, mode, args.concurrency, args.seconds, gunicorn
                )
            rounds.append(row)
            log(
                f"  round {r + 1}: "
                + ", ".join(f"{m} {row[m]['rps']:.0f} req/s" for m in ENDPOINTS)
                + f"; autosave/bare {row['autosave']['rps'] / row['bare']['rps']:.0%}"
                + f", interview/bare {row['interview']['rps'] / row['bare']['rps']:.0%}"
            )
        memory = harness.RssSampler({"gunicorn": lambda: harness.process_tree(gunicorn.pid)})
        memory.sample_once()
    finally:
        harness.stop_process(gunicorn)

    out = {
        "tool": tool,
        "server": server,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "rounds": rounds,
        "summary": summarise(rounds),
        "gunicorn_memory": memory.summary(),
    }
    report(out)
    harness.save_results("web", out)
    return out


def check(fixtures: dict) -> None:
    """One request of each kind by hand: fail loudly if the set-up is wrong."""
    import urllib.parse
    import urllib.request

    target = fixtures["targets"][0]
    headers = {"Cookie": f"sessionid={target['cookie']}; csrftoken={fixtures['csrf']}"}
    base = f"http://127.0.0.1:{PORT}"
    request = urllib.request.Request(base + target["page"], headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        page = response.read().decode()
        assert response.status == 200 and 'id="answer-text"' in page, "interview page"
    body = urllib.parse.urlencode({"text": "check", "seconds": "1"}).encode()
    save_headers = {**headers, "X-CSRFToken": fixtures["csrf"], "HX-Request": "true"}
    request = urllib.request.Request(base + target["save"], data=body, headers=save_headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and "Saved" in response.read().decode(), "autosave"


def summarise(rounds: list[dict]) -> dict:
    summary = {}
    for mode in ENDPOINTS:
        runs = [r[mode] for r in rounds]
        summary[mode] = {
            key: round(statistics.median(run[key] for run in runs), 1)
            for key in ("rps", "p50_ms", "p95_ms", "p99_ms")
        }
        summary[mode]["errors"] = sum(run["errors"] for run in runs)
        summary[mode]["requests"] = sum(run["requests"] for run in runs)
        summary[mode]["cpu_pct_of_one_core"] = {
            key: round(statistics.median(run["cpu_pct_of_one_core"][key] for run in runs), 1)
            for key in runs[0]["cpu_pct_of_one_core"]
        }
        # Server CPU (gunicorn + PostgreSQL backends) per request: what a request costs,
        # which the other tenants of a shared machine change much less than req/s.
        summary[mode]["server_cpu_ms"] = round(
            statistics.median(
                (run["cpu_pct_of_one_core"]["gunicorn"] + run["cpu_pct_of_one_core"]["postgres"])
                * 10
                / run["rps"]
                for run in runs
            ),
            2,
        )
    for mode, target in TARGETS.items():
        ratios = [r[mode]["rps"] / r["bare"]["rps"] for r in rounds]
        summary[mode]["ratio_to_bare"] = round(statistics.median(ratios), 3)
        summary[mode]["ratio_per_round"] = [round(x, 3) for x in ratios]
        summary[mode]["cpu_cost_ratio"] = round(
            summary["bare"]["server_cpu_ms"] / summary[mode]["server_cpu_ms"], 3
        )
        summary[mode]["target"] = target
        summary[mode]["met"] = statistics.median(ratios) >= target
    return summary


def report(out: dict) -> None:
    s = out["summary"]
    print(
        f"\n{out['server']}, {out['tool']} at {out['concurrency']} connections, "
        f"{len(out['rounds'])} x {out['seconds']:g} s per endpoint (medians)"
    )
    print(
        f"{'endpoint':<10} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
        f" {'ratio':>6} {'cpu ms':>6} {'cpu ratio':>9}  cpu % of a core: gen / gunicorn / "
        f"postgres / other"
    )
    for mode in ENDPOINTS:
        row, cpu = s[mode], s[mode]["cpu_pct_of_one_core"]
        ratio = f"{row['ratio_to_bare']:.0%}" if "ratio_to_bare" in row else "1"
        cpu_ratio = f"{row['cpu_cost_ratio']:.0%}" if "cpu_cost_ratio" in row else "1"
        print(
            f"{mode:<10} {row['rps']:>7.0f} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
            f"{row['p99_ms']:>7.1f} {row['errors']:>6} {ratio:>6} {row['server_cpu_ms']:>6.1f} "
            f"{cpu_ratio:>9}  "
            f"{cpu['load_generator']:.0f} / {cpu['gunicorn']:.0f} / {cpu['postgres']:.0f} / "
            f"{cpu['everything_else']:.0f}"
        )
    for mode, target in TARGETS.items():
        row = s[mode]
        print(
            f"{mode}/bare {row['ratio_to_bare']:.0%} (target >= {target:.0%}): "
            f"{'met' if row['met'] else 'MISSED'}; per-round ratios "
            f"{', '.join(f'{x:.0%}' for x in row['ratio_per_round'])}"
        )
    print(
        "(ratio: req/s over bare's req/s, median of per-round ratios; cpu ms: gunicorn + "
        "PostgreSQL CPU per request; cpu ratio: bare's cpu ms over this endpoint's)"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        harness.stop_all()
