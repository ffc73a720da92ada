"""How fast is the keyword grader? Answers per second on one core.

Grades ~100-word answers against 6-criterion rubrics with ``grading.rubric.grade`` and
prints answers/s, next to a baseline measured in the same run over the same answers
(``text.lower().split()``: the least any grader must do) and the ratio between them.

    uv run python bench/grader_speed.py [--answers 5000] [--repeat 3]

The figures are also written to var/bench/grader_speed.json (like the other bench
scripts).

Pure Python, no Django. The answers are built deterministically (fixed seed) from a
pool of realistic backend-interview sentences, with a few misspellings mixed in so
the near-miss matching is exercised. Every answer is graded in full: nothing is cached
by answer text.

What the grader caches, as a long-running worker would: parsed whitespace-separated
chunks (normalised word, stem, punctuation around it), compiled rubrics (per prompt
and criteria) and, per rubric, what each answer word means to it (keyword stem, near
miss, negation). "cold" is the first pass with all of these emptied; "warm" is the
best of the following passes (the same questions answered again and again).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grading import rubric as rubric_module
from grading import text as text_module
from grading.rubric import Criterion, grade

ROOT = Path(__file__).resolve().parents[1]

QUESTIONS = [
    (
        "What does it mean for a REST API to be stateless, and why does it matter?",
        [
            Criterion(
                "No session state on the server",
                ("no session state", "server does not store client state", "no server session"),
                3,
                True,
            ),
            Criterion(
                "Each request is self-contained",
                ("request contains all the information", "self-contained request", "auth token"),
                2,
            ),
            Criterion(
                "Horizontal scaling",
                ("horizontal scaling", "scale out", "any server can handle any request"),
                2,
            ),
            Criterion("Load balancing is simple", ("load balancer", "no sticky sessions"), 1),
            Criterion("Cacheable responses", ("cacheable", "http caching"), 1),
            Criterion("Trade-off: bigger requests", ("larger requests", "client holds state"), 1),
        ],
    ),
    (
        "Why should PUT be idempotent, and how is that different from POST?",
        [
            Criterion("Idempotent", ("idempotent", "same result when repeated"), 3, True),
            Criterion("Safe to retry", ("safe to retry", "retries after a timeout"), 2),
            Criterion("Replaces the whole resource", ("replace the resource", "full update"), 2),
            Criterion("POST creates", ("post creates a new resource", "not idempotent"), 2),
            Criterion("Idempotency key", ("idempotency key", "request id"), 1),
            Criterion("Duplicate side effects", ("duplicate orders", "double charge"), 1),
        ],
    ),
    (
        "What is a cache stampede and how do you prevent one?",
        [
            Criterion("Many misses at once", ("cache stampede", "thundering herd"), 3, True),
            Criterion("Hot key expires", ("hot key expires", "popular key", "ttl expiry"), 2),
            Criterion("Database overload", ("database overload", "load on the database"), 2),
            Criterion("Request coalescing", ("single flight", "request coalescing", "lock"), 2),
            Criterion("Jittered expiry", ("jitter", "randomised ttl", "early refresh"), 1),
            Criterion("Serve stale", ("serve stale", "stale while revalidate"), 1),
        ],
    ),
]

SENTENCES = [
    "Stateless means the server does not store any client session state between requests.",
    "Each request contains all the information the server needs, such as an auth token.",
    "Because of that any server behind the load balancer can handle any request.",
    "This makes horizontal scaling easy since we can just add more instances.",
    "Responses can be cacheable when the right HTTP caching headers are set.",
    "The trade-off is that requests get larger because the client holds the state.",
    "PUT is idempotent so sending the same request twice leaves the same result.",
    "That makes it safe to retry after a timeout without creating duplicate orders.",
    "POST usually creates a new resource and is not idempotent by default.",
    "Clients can send an idempotency key so the server can detect duplicates.",
    "A cache stampede happens when a hot key expires and many requests miss at once.",
    "All those misses go to the database at the same time and can overload it.",
    "Request coalescing or a single flight lock lets only one request rebuild the value.",
    "Adding jitter to the TTL spreads expiry out so keys do not expire together.",
    "Another option is to serve stale data while one worker refreshes the entry.",
    "In practice I would also add metrics and alerts on the cache hit ratio.",
    "We used Redis for this in my last project and it worked well under load.",
    "I think the most important part is to measure before optimising anything.",
    "The databse would otherwise recieve a burst of identical queries.",
    "Idempotancy matters for payments because a double charge is very costly.",
]


def build_answers(count: int, seed: int = 7) -> list[tuple[str, list[Criterion], str]]:
    rnd = random.Random(seed)
    items = []
    for _ in range(count):
        prompt, criteria = QUESTIONS[rnd.randrange(len(QUESTIONS))]
        words: list[str] = []
        for sentence in rnd.sample(SENTENCES, len(SENTENCES)):  # no sentence twice
            words.extend(sentence.split())
            if len(words) >= 100:
                break
        items.append((prompt, criteria, " ".join(words)))
    return items


def clear_caches() -> None:
    text_module._INFO_CACHE.clear()
    text_module._ROOT_CACHE.clear()
    text_module._CHUNK_CACHE.clear()
    rubric_module._compile.cache_clear()  # the per-rubric word caches go with the rubrics


def time_grader(items) -> float:
    start = time.process_time()
    for prompt, criteria, answer in items:
        grade(prompt, criteria, answer)
    return time.process_time() - start


def time_baseline(items) -> float:
    start = time.process_time()
    for _, _, answer in items:
        answer.lower().split()
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    items = build_answers(args.answers)
    mean_words = sum(len(a.split()) for _, _, a in items) / len(items)
    clear_caches()
    cold = time_grader(items)
    warm = min(time_grader(items) for _ in range(args.repeat))
    base = min(time_baseline(items) for _ in range(args.repeat))
    n = len(items)
    print(f"answers: {n}, mean {mean_words:.0f} words, rubrics of 6 criteria, one core")
    print(f"keyword grader (cold caches): {n / cold:10.0f} answers/s")
    print(f"keyword grader (warm):        {n / warm:10.0f} answers/s")
    print(f"baseline lower().split():     {n / base:10.0f} answers/s")
    print(f"grader is {warm / base:.0f}x slower than the baseline")
    results = ROOT / "var" / "bench"
    results.mkdir(parents=True, exist_ok=True)
    figures = {
        "answers": n,
        "mean_words": round(mean_words, 1),
        "criteria_per_rubric": 6,
        "answers_per_second_cold": round(n / cold, 1),
        "answers_per_second_warm": round(n / warm, 1),
        "baseline_answers_per_second": round(n / base, 1),
        "slowdown_vs_baseline": round(warm / base, 1),
    }
    (results / "grader_speed.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
