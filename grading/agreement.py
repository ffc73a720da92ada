"""How far each grader agrees with the human scores of the bank's sample answers, with the
LLM in the loop: ``calibrate --llm``.

Three graders are measured on the same samples: the keyword grader alone, the LLM alone
(its score from its own verdicts, quotes checked, before the keyword cap) and the combined
grade the product would keep (``grading.selectors.final_grade`` over the two rows). The
call figures (failures, tokens, time per call) say what a model costs to run.

The samples are read from the database in the caller's thread; only the pure ``llm_grade``
runs in the worker threads, so no thread opens a database connection.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from grading import services
from grading.calibration import Agreement, Graded, agreement
from grading.llm import LlmConfig, LlmOutcome, llm_grade
from grading.metrics import nearest_rank
from grading.models import Grade, GraderKind
from grading.rubric import Criterion, Result
from grading.selectors import final_grade
from questionbank.selectors import question_snapshot
from questionbank.snapshot import QuestionSnapshot


@dataclass(frozen=True)
class SampleToGrade:
    question: str  # the question's slug
    kind: str  # strong, terse, partial, wrong, rambling...
    human: float
    text: str
    prompt: str
    criteria: tuple[Criterion, ...]
    keyword: Result


@dataclass(frozen=True)
class SampleOutcome:
    sample: SampleToGrade
    llm: LlmOutcome
    combined: float  # the final grade the product would keep

    @property
    def llm_alone(self) -> float | None:
        return self.llm.raw_score if self.llm.ok else None


def samples_to_grade(questions: Iterable[Any], *, limit: int | None = None) -> list[SampleToGrade]:
    """The questions' sample answers with their keyword grades, in bank order, at most
    ``limit``. Expects each question's topic, content relations and samples loaded."""
    samples: list[SampleToGrade] = []
    for question in questions:
        snapshot = question_snapshot(question)
        prompt = QuestionSnapshot.of(snapshot).prompt
        criteria = tuple(services.criteria_from_snapshot(snapshot))
        for sample in question.samples.all():
            if limit is not None and len(samples) >= limit:
                return samples
            samples.append(
                SampleToGrade(
                    question=question.slug,
                    kind=sample.kind,
                    human=float(sample.score),
                    text=sample.text,
                    prompt=prompt,
                    criteria=criteria,
                    keyword=services.grade_text(snapshot=snapshot, text=sample.text),
                )
            )
    return samples


def combined_score(keyword: Result, llm: LlmOutcome) -> float:
    """The final score the product keeps for these two opinions: the same rule as for stored
    grades, applied to unsaved rows."""
    rows = [
        Grade(kind=GraderKind.KEYWORD, score=keyword.score, is_current=True),
        Grade(
            kind=GraderKind.LLM,
            score=llm.score if llm.ok else None,
            error=llm.error,
            needs_review=llm.needs_review,
            is_current=True,
        ),
    ]
    final = final_grade(rows)
    return float(final.score) if final and final.score is not None else keyword.score


def samples_grade(
    samples: Sequence[SampleToGrade],
    *,
    config: LlmConfig,
    concurrency: int = 1,
    on_progress: Callable[[int], None] | None = None,
) -> list[SampleOutcome]:
    """Ask the model about every sample, ``concurrency`` calls at a time; results keep the
    samples' order. ``on_progress(done)`` is called after each call."""
    done = 0
    lock = threading.Lock()

    def grade_one(sample: SampleToGrade) -> SampleOutcome:
        nonlocal done
        outcome = llm_grade(
            config=config,
            prompt=sample.prompt,
            criteria=sample.criteria,
            answer=sample.text,
            keyword_result=sample.keyword,
        )
        with lock:
            done += 1
            if on_progress is not None:
                on_progress(done)
        return SampleOutcome(sample, outcome, combined_score(sample.keyword, outcome))

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(grade_one, samples))


@dataclass(frozen=True)
class CallFigures:
    made: int
    failed: int
    failures: dict[str, int]  # error code -> count
    prompt_tokens: int
    completion_tokens: int
    mean_ms: float
    p95_ms: float
    sent_to_review: int  # answered, but the product would ask a human (cap, disagreement)
    wall_seconds: float

    def per_call(self, tokens: int) -> float:
        return tokens / self.made if self.made else math.nan

    def as_dict(self) -> dict[str, Any]:
        def clean(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 1)

        return {
            "made": self.made,
            "failed": self.failed,
            "failures": dict(sorted(self.failures.items())),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "prompt_tokens_per_call": clean(self.per_call(self.prompt_tokens)),
            "completion_tokens_per_call": clean(self.per_call(self.completion_tokens)),
            "mean_ms": clean(self.mean_ms),
            "p95_ms": clean(self.p95_ms),
            "sent_to_review": self.sent_to_review,
            "wall_seconds": round(self.wall_seconds, 2),
        }


def call_figures(outcomes: Sequence[LlmOutcome], *, wall_seconds: float) -> CallFigures:
    durations = [float(o.duration_ms) for o in outcomes]
    return CallFigures(
        made=len(outcomes),
        failed=sum(not o.ok for o in outcomes),
        failures=dict(Counter(o.error for o in outcomes if not o.ok)),
        prompt_tokens=sum(o.prompt_tokens for o in outcomes),
        completion_tokens=sum(o.completion_tokens for o in outcomes),
        mean_ms=sum(durations) / len(durations) if durations else math.nan,
        p95_ms=nearest_rank(durations, 95),
        sent_to_review=sum(o.ok and o.needs_review for o in outcomes),
        wall_seconds=wall_seconds,
    )


GRADERS = ("keyword", "llm", "combined")


@dataclass(frozen=True)
class KindMeans:
    kind: str
    n: int
    human: float
    graders: dict[str, float]  # grader -> mean score (nan when the LLM answered none)


@dataclass(frozen=True)
class LlmAgreementReport:
    model: str
    questions: int
    graders: dict[str, Agreement]  # keyword, llm, combined
    calls: CallFigures
    by_kind: tuple[KindMeans, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": "llm",
            "model": self.model,
            "questions": self.questions,
            "samples": self.graders["keyword"].n,
            "graders": {name: figures.as_dict() for name, figures in self.graders.items()},
            "calls": self.calls.as_dict(),
        }


def llm_agreement_report(
    outcomes: Sequence[SampleOutcome], *, model: str, wall_seconds: float
) -> LlmAgreementReport:
    """Agreement with the human scores for each grader. Samples whose call failed count
    for the keyword and combined graders (the keyword grade stands) but not the LLM's."""
    scored: dict[str, list[tuple[SampleOutcome, float]]] = {
        "keyword": [(o, o.sample.keyword.score) for o in outcomes],
        "llm": [(o, s) for o in outcomes if (s := o.llm_alone) is not None],
        "combined": [(o, o.combined) for o in outcomes],
    }
    graders = {
        name: agreement([Graded(o.sample.kind, o.sample.human, s) for o, s in pairs])
        for name, pairs in scored.items()
    }
    by_kind = []
    for kind in sorted({o.sample.kind for o in outcomes}):
        of_kind = [o for o in outcomes if o.sample.kind == kind]
        means = {
            name: _mean([s for o, s in pairs if o.sample.kind == kind])
            for name, pairs in scored.items()
        }
        by_kind.append(
            KindMeans(kind, len(of_kind), _mean([o.sample.human for o in of_kind]), means)
        )
    return LlmAgreementReport(
        model=model,
        questions=len({o.sample.question for o in outcomes}),
        graders=graders,
        calls=call_figures([o.llm for o in outcomes], wall_seconds=wall_seconds),
        by_kind=tuple(by_kind),
    )


def llm_agreement(
    samples: Sequence[SampleToGrade],
    *,
    config: LlmConfig,
    concurrency: int = 1,
    on_progress: Callable[[int], None] | None = None,
) -> LlmAgreementReport:
    """Grade ``samples`` with the model in ``config`` and measure the three graders."""
    started = time.monotonic()
    outcomes = samples_grade(
        samples, config=config, concurrency=concurrency, on_progress=on_progress
    )
    return llm_agreement_report(
        outcomes, model=config.model, wall_seconds=time.monotonic() - started
    )


def _mean(values: Sequence[float | None]) -> float:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else math.nan
