"""Locust users for bench/load.py (and bench/web.py when wrk is not installed).

Not run on its own: the bench scripts start ``python -m locust --headless -f`` this file
with ``BENCH_FIXTURES`` pointing at a JSON file of logged-in candidates and their
sessions (made by the scripts in the bench database).

- ``Candidate``: a person taking a timed interview. Opens the interview page, types
  (think time), autosaves every ~5 s like the page's debounced autosave, moves to the
  next question, submits, opens the results, and starts the next interview.
- ``StatusPage`` / ``AutosaveHammer`` / ``InterviewHammer``: closed-loop clients with
  no think time, one endpoint each, for throughput at a fixed concurrency.
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, between, constant, task

FIXTURES = json.loads(open(os.environ["BENCH_FIXTURES"]).read())  # noqa: SIM115
CSRF = FIXTURES["csrf"]
SAVE_SECONDS = float(os.environ.get("BENCH_SAVE_SECONDS", "5"))
TEXT = (
    "A cache keeps copies of expensive results in a faster store so later reads skip the "
    "slow work. On a miss we fall back to the source of truth and store the value with a "
    "TTL. Invalidation on write keeps it fresh; jittered expiry and request coalescing "
    "stop a stampede when a hot key expires under load."
)
WORDS = TEXT.split()

_candidates = itertools.count()
_hammer = itertools.count()


def _headers(cookie: str, htmx: bool = False) -> dict[str, str]:
    headers = {"Cookie": f"sessionid={cookie}; csrftoken={CSRF}", "X-CSRFToken": CSRF}
    if htmx:
        headers["HX-Request"] = "true"
    return headers


class Candidate(FastHttpUser):
    """One simulated candidate, with their own login and a pool of fresh interviews."""

    wait_time = between(2, 5)  # between two interviews

    def on_start(self) -> None:
        people = FIXTURES["candidates"]
        self.person = people[next(_candidates) % len(people)]
        self.sessions = iter(self.person["sessions"])
        self.rng = random.Random(self.person["cookie"])
        # Candidates are at different points of their interview when the step starts
        # (steady state), not all starting question 1 together: the first interview
        # begins at a random question with a random number of saves left.
        self.phase: tuple[int, int] | None = (self.rng.randint(0, 2), self.rng.randint(1, 4))

    def _think(self, seconds: float) -> None:
        self._sleep(seconds * self.rng.uniform(0.8, 1.2))

    def _sleep(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)

    @task
    def take_interview(self) -> None:
        session = next(self.sessions, None)
        if session is None:  # all interviews done (a long step): idle like a reader
            self._think(SAVE_SECONDS)
            return
        sid, questions = session["id"], session["questions"]
        headers = _headers(self.person["cookie"])
        htmx = _headers(self.person["cookie"], htmx=True)
        first, first_saves = self.phase or (0, 0)
        self.phase = None
        self.client.get(f"/practice/s/{sid}/?q={first}", headers=headers, name="interview page")
        for position in range(first, questions):
            if position != first:
                self.client.get(
                    f"/practice/s/{sid}/?q={position}", headers=headers, name="interview page"
                )
            words: list[str] = []
            saves = first_saves if position == first and first_saves else self.rng.randint(2, 4)
            for _ in range(saves):
                self._think(SAVE_SECONDS)  # typing, then the debounced autosave fires
                words.extend(self.rng.choices(WORDS, k=self.rng.randint(15, 30)))
                self.client.post(
                    f"/practice/s/{sid}/q/{position}/save",
                    data={"text": " ".join(words), "seconds": "5"},
                    headers=htmx,
                    name="autosave",
                )
        self._think(2)
        self.client.post(f"/practice/s/{sid}/submit", headers=htmx, name="submit")
        self.client.get(f"/practice/s/{sid}/results/", headers=headers, name="results page")


class _Hammer(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        self.index = next(_hammer) * 7919

    def _next(self) -> dict:
        self.index += 1
        targets = FIXTURES["targets"]
        return targets[self.index % len(targets)]


class StatusPage(_Hammer):
    @task
    def status(self) -> None:
        self.client.get("/status", name="bare /status")


class AutosaveHammer(_Hammer):
    @task
    def autosave(self) -> None:
        target = self._next()
        self.client.post(
            target["save"],
            data={"text": FIXTURES["text"], "seconds": "5"},
            headers=_headers(target["cookie"], htmx=True),
            name="autosave",
        )


class InterviewHammer(_Hammer):
    @task
    def interview(self) -> None:
        target = self._next()
        self.client.get(target["page"], headers=_headers(target["cookie"]), name="interview page")
