"""LLM second opinions at an endpoint's pace: a real Celery ``llm`` worker, Redis, PostgreSQL,
and a local OpenAI-compatible server that takes 2 s per call and answers 429 to 10% of them.

    uv run python bench/llm.py [--answers 5000] [--concurrency 100] [--llm-workers 1]
                               [--rate 50] [--seconds 20]
    uv run python bench/llm.py --resilience [--answers 300] [--outage-seconds 60]

Throughput run (default):
  1. keyword-only baseline: sessions of 5 answers submitted with ``session_submit`` at
     ``--rate`` answers/s for ``--seconds``; p95 of submit -> keyword Grade.created_at.
     The llm worker is not running yet, so nothing competes with keyword grading.
  2. a backlog of ``--answers`` finalised answers (distinct texts, so the reply cache
     cannot help) is keyword-graded through the app's own ``grading_enqueue``; every
     answer gets an LlmOpinion (GRADING_LLM_MODE=all) and an ``llm`` task;
  3. the llm worker starts (``--pool threads --concurrency N -Q llm``) and drains it;
     meanwhile phase 1 is repeated: keyword p95 while the LLM backlog drains;
  4. opinions/s = opinions completed / seconds from the llm worker's start to the last.

Resilience run (``--resilience``): the endpoint answers 503 for ``--outage-seconds`` in the
middle of a backlog, then comes back; later the llm worker is SIGKILLed while calls are in
flight and started again. The LLM sweep runs every 5 s (as beat would, every 60 s). It
checks every opinion completes, one LLM grade per answer, and the day's charged calls equal
the answers (none charged twice).

Uses its own PostgreSQL database and Redis database number (BENCH_DATABASE_URL,
BENCH_REDIS_URL; defaults below), never another's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/viva_bench_llm")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")

from bench import harness
from bench.harness import log

# ------------------------------------------------------------------- the fake endpoint


class FakeEndpoint:
    """Chat completions with a fixed latency, a share of 429s (Retry-After: 1) and an
    outage switch; replies judge every criterion "partial" with a quote from the answer."""

    def __init__(self, *, latency: float, rate_limited: float, seed: int = 7) -> None:
        self.latency = latency
        self.rate_limited = rate_limited
        self.down_until = 0.0
        self.calls = 0
        self.status: dict[int, int] = {}
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.request_queue_size = 512
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def outage(self, seconds: float) -> None:
        self.down_until = time.monotonic() + seconds

    def _decide(self) -> int:
        with self._lock:
            self.calls += 1
            if time.monotonic() < self.down_until:
                status = 503
            elif self._rng.random() < self.rate_limited:
                status = 429
            else:
                status = 200
            self.status[status] = self.status.get(status, 0) + 1
            return status

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                status = fake._decide()
                # A limiter or a dead upstream answers at once; a completion takes the latency.
                if status == 503:
                    return self._send(503, {"error": {"message": "down", "type": "server_error"}})
                if status == 429:
                    error = {"error": {"message": "slow down", "type": "rate_limit_exceeded"}}
                    return self._send(429, error, {"Retry-After": "1"})
                time.sleep(fake.latency)
                self._send(200, completion(body))

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)  # a killed worker's call: nobody is listening

        return Handler


def completion(body: dict) -> dict:
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    labels = re.findall(r"^\d+\. (.+)$", user.split("CRITERIA:\n", 1)[1].split("\n\n")[0], re.M)
    answer = user.split("<<<ANSWER ", 1)[1].split("\n", 1)[1].rsplit("\nANSWER ", 1)[0]
    quote = " ".join(answer.split()[:6])
    reply = {
        "criteria": [
            {"index": i, "label": label, "verdict": "partial", "quote": quote}
            for i, label in enumerate(labels, start=1)
        ],
        "feedback": f"Say more about: {labels[-1] if labels else 'the main idea'}.",
    }
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "bench"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": json.dumps(reply)},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 900, "completion_tokens": 150, "total_tokens": 1050},
    }


# ------------------------------------------------------------------- processes


def worker(*, name: str, queues: str, pool: str, concurrency: int):
    args = harness.python_module(
        "celery", "-A", "config", "worker", "--queues", queues, "--pool", pool,
        "--concurrency", str(concurrency), "--prefetch-multiplier", "1", "--loglevel", "WARNING",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
        "-n", f"bench-{name}-{os.getpid()}@%h",
    )  # fmt: skip
    return harness.start_process(args, name=name, env=harness.child_env())


def wait_ping(proc, timeout: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}")
        try:
            if app.send_task("config.ping", args=["up"]).get(timeout=5) == "up":
                return
        except Exception:
            if time.monotonic() > deadline:
                raise


def unique_backlog(candidate, n: int, rng: random.Random) -> list[int]:
    from bench.pipeline import make_submitted_answers
    from interviews.models import Answer

    ids = make_submitted_answers(candidate, n, rng)
    answers = list(Answer.objects.filter(id__in=ids).only("id", "saved_text"))
    for answer in answers:  # distinct texts: every opinion is a real call
        answer.saved_text = f"{answer.saved_text} (answer {answer.id})"
    Answer.objects.bulk_update(answers, ["saved_text"], batch_size=1000)
    return ids


def done_count(ids=None) -> int:
    from grading.models import LlmOpinion

    opinions = LlmOpinion.objects.filter(status="done")
    return (opinions.filter(answer_id__in=ids) if ids is not None else opinions).count()


def sweep() -> None:
    from grading.tasks import sweep_llm_opinions

    sweep_llm_opinions.delay()


# ------------------------------------------------------------------- runs


def throughput_run(args, fake: FakeEndpoint, candidate, rng) -> dict:
    from bench.pipeline import enqueue, latency
    from grading.models import Grade, LlmOpinion

    keyword = worker(name="keyword-worker", queues="celery", pool="prefork", concurrency=2)
    wait_ping(keyword)
    latency(candidate, rng, rate=args.rate, seconds=3)  # warm-up, not counted
    log(f"keyword-only latency: {args.rate}/s for {args.seconds}s")
    baseline = latency(candidate, rng, rate=args.rate, seconds=args.seconds)
    log(f"  p95 {baseline['p95_ms']} ms")

    log(f"backlog: {args.answers} answers keyword-graded, each with an LLM opinion queued")
    ids = unique_backlog(candidate, args.answers, rng)
    enqueue(ids)
    while LlmOpinion.objects.filter(answer_id__in=ids).count() < len(ids):
        time.sleep(0.5)
    queued = LlmOpinion.objects.exclude(status="done").count()
    log(f"  {queued} opinions waiting (backlog + the baseline's); starting the llm worker")

    started = time.monotonic()
    # --llm-workers processes share --concurrency calls in flight (as compose's
    # `--scale llm-worker=N` with GRADING_LLM_CONCURRENCY divided by N would).
    share = max(args.concurrency // args.llm_workers, 1)
    llms = [
        worker(name=f"llm-worker-{i}", queues="llm", pool="threads", concurrency=share)
        for i in range(args.llm_workers)
    ]
    time.sleep(3)  # let it fill its pool of calls
    log(f"keyword latency while the backlog drains: {args.rate}/s for {args.seconds}s")
    during = latency(candidate, rng, rate=args.rate, seconds=args.seconds)
    log(f"  p95 {during['p95_ms']} ms; {done_count()} opinions done so far")
    total = LlmOpinion.objects.count()
    deadline = time.monotonic() + 3600
    ticks = 0
    while done_count() < total and time.monotonic() < deadline:
        time.sleep(1)
        ticks += 1
        if ticks % 10 == 0:
            sweep()  # as celery beat would (every 60 s in production)
        if any(llm.poll() is not None for llm in llms):
            raise RuntimeError("an llm worker died")
    elapsed = time.monotonic() - started
    grades = Grade.objects.filter(kind="llm", is_current=True)
    first, last = (
        grades.order_by("created_at").first().created_at,
        grades.order_by("-created_at").first().created_at,
    )
    return {
        "answers_backlog": args.answers,
        "opinions_total": total,
        "concurrency": args.concurrency,
        "llm_worker_processes": args.llm_workers,
        "seconds_from_worker_start": round(elapsed, 1),
        "opinions_per_second": round(total / elapsed, 1),
        "opinions_per_second_first_to_last": round(total / (last - first).total_seconds(), 1),
        "llm_grades_with_error": grades.exclude(error="").count(),
        "max_attempts_per_opinion": max(g.meta.get("attempts", 1) for g in grades),
        "endpoint_calls": fake.calls,
        "endpoint_status_counts": fake.status,
        "keyword_only": baseline,
        "keyword_during_llm_drain": during,
        "p95_ratio": round(during["p95_ms"] / baseline["p95_ms"], 2),
    }


def resilience_run(args, fake: FakeEndpoint, candidate, rng) -> dict:
    from django.db.models import Count
    from django.utils import timezone

    from bench.pipeline import enqueue
    from grading.llm_queue import budget_used
    from grading.models import Grade, LlmOpinion

    keyword = worker(name="keyword-worker", queues="celery", pool="prefork", concurrency=2)
    wait_ping(keyword)
    llm = worker(name="llm-worker", queues="llm", pool="threads", concurrency=args.concurrency)
    ids = unique_backlog(candidate, args.answers, rng)
    enqueue(ids)
    time.sleep(4)
    log(f"outage: the endpoint answers 503 for {args.outage_seconds}s")
    fake.outage(args.outage_seconds)
    outage_end = time.monotonic() + args.outage_seconds
    deferred_seen = 0
    while time.monotonic() < outage_end:
        deferred_seen = max(deferred_seen, LlmOpinion.objects.filter(status="deferred").count())
        time.sleep(1)
    log(f"  endpoint back; at most {deferred_seen} opinions were deferred at once")

    kill_ids = unique_backlog(candidate, args.answers // 3, rng)
    enqueue(kill_ids)
    while not LlmOpinion.objects.filter(answer_id__in=kill_ids, status="running").exists():
        time.sleep(0.05)
    time.sleep(0.5)  # calls in flight (2 s each)
    in_flight = LlmOpinion.objects.filter(status="running").count()
    log(f"SIGKILL the llm worker with {in_flight} claims in flight")
    os.killpg(llm.pid, 9)
    llm.wait()
    llm = worker(name="llm-worker-2", queues="llm", pool="threads", concurrency=args.concurrency)

    everything = ids + kill_ids
    deadline = time.monotonic() + 900
    while done_count(everything) < len(everything) and time.monotonic() < deadline:
        sweep()
        time.sleep(5)
    per_answer = Grade.objects.filter(kind="llm", answer_id__in=everything).values("answer_id")
    duplicates = per_answer.annotate(n=Count("id")).filter(n__gt=1).count()
    charged = budget_used(scope="global", day=timezone.localdate())
    return {
        "answers": len(everything),
        "outage_seconds": args.outage_seconds,
        "max_deferred_at_once": deferred_seen,
        "claims_in_flight_when_killed": in_flight,
        "opinions_done": done_count(everything),
        "answers_with_more_than_one_llm_grade": duplicates,
        "llm_grades_with_error": Grade.objects.filter(kind="llm", answer_id__in=everything)
        .exclude(error="")
        .count(),
        "calls_charged_today": charged,
        "endpoint_calls": fake.calls,
        "endpoint_status_counts": fake.status,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--rate-limited", type=float, default=0.10)
    parser.add_argument("--llm-workers", type=int, default=1)
    parser.add_argument("--resilience", action="store_true")
    parser.add_argument("--outage-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    args.answers = args.answers or (300 if args.resilience else 5000)
    # The sweep re-sends a pending opinion whose message may be lost after this long: in
    # the resilience run, the messages a killed worker had reserved but not started.
    sweep_after = "20" if args.resilience else "3600"

    fake = FakeEndpoint(latency=args.latency, rate_limited=args.rate_limited)
    os.environ.update(
        {
            "OPENAI_API_KEY": "bench-key",
            "OPENAI_BASE_URL": fake.base_url,
            "GRADING_LLM_MODEL": "bench-model",
            "GRADING_LLM_MODE": "all",
            "GRADING_LLM_CONCURRENCY": str(args.concurrency),
            "GRADING_LLM_DAILY_BUDGET": "1000000",
            "GRADING_LLM_TEAM_DAILY_BUDGET": "1000000",
            "GRADING_LLM_TIMEOUT": "20",
            "GRADING_LLM_BREAKER_COOLDOWN_SECONDS": "10",
            "GRADING_LLM_LEASE_SECONDS": "15",
            "GRADING_LLM_BACKOFF_MAX_SECONDS": "10",
            "GRADING_SWEEP_AFTER_SECONDS": sweep_after,
            "DATABASE_POOL_MAX": "20",
        }
    )
    harness.setup_django()
    harness.redis_flush()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE grading_llmreplycache, grading_llmdailyusage, grading_llmopinion")
    candidate = harness.make_candidates(1, prefix="bench-llm")[0]
    rng = random.Random(11)
    run = resilience_run if args.resilience else throughput_run
    out = {"machine": harness.machine_note(), **run(args, fake, candidate, rng)}
    path = harness.save_results("llm-resilience" if args.resilience else "llm", out)
    print(json.dumps(out, indent=2, default=str))
    log(f"saved {path}")
    harness.stop_all()
    return out


if __name__ == "__main__":
    main()
