"""Calibration: does the grader agree with a fair interviewer on a question's samples?

Pure: takes (human score, graded score) pairs and returns figures. The ``calibrate`` and
``grade_answers`` commands and the admin's calibration panel all read these.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from grading.metrics import pearson, spearman

TOLERANCE = 15.0  # a sample's grade must land this close to its human score
RANK_GAP = 10.0  # samples whose human scores differ by more must be graded in that order
STRONG_HUMAN, STRONG_LOW = 80.0, 60.0  # a strong answer (human >= 80) graded under 60
WRONG_HUMAN, WRONG_HIGH = 20.0, 50.0  # a wrong answer (human <= 20) graded over 50


@dataclass(frozen=True)
class Graded:
    label: str  # e.g. the sample's kind
    human: float
    score: float


@dataclass(frozen=True)
class QuestionCalibration:
    calibrated: bool
    problems: tuple[str, ...]


def question_calibration(samples: Sequence[Graded]) -> QuestionCalibration:
    """Calibrated: every sample within ``TOLERANCE`` of its human score, and every pair
    whose human scores differ by more than ``RANK_GAP`` graded in the same order."""
    if not samples:
        return QuestionCalibration(False, ("no sample answers",))
    problems = [
        f"{s.label} answer graded {s.score:.0f}, human {s.human:.0f}"
        for s in samples
        if abs(s.score - s.human) > TOLERANCE
    ]
    for a in samples:
        for b in samples:
            if a.human - b.human > RANK_GAP and a.score <= b.score:
                problems.append(
                    f"{a.label} answer (human {a.human:.0f}) graded {a.score:.0f}, not above "
                    f"the {b.label} answer (human {b.human:.0f}) graded {b.score:.0f}"
                )
    return QuestionCalibration(not problems, tuple(problems))


@dataclass(frozen=True)
class Agreement:
    n: int
    pearson: float
    spearman: float
    mae: float
    strong_low_share: float  # human >= 80 graded < 60
    wrong_high_share: float  # human <= 20 graded > 50

    def as_dict(self) -> dict:
        def clean(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 4)

        return {
            "pearson": clean(self.pearson),
            "spearman": clean(self.spearman),
            "mae": clean(self.mae),
            "strong_low_share": clean(self.strong_low_share),
            "wrong_high_share": clean(self.wrong_high_share),
            "n": self.n,
        }


def agreement(samples: Sequence[Graded]) -> Agreement:
    humans = [s.human for s in samples]
    scores = [s.score for s in samples]
    strong = [s for s in samples if s.human >= STRONG_HUMAN]
    wrong = [s for s in samples if s.human <= WRONG_HUMAN]
    n = len(samples)
    return Agreement(
        n=n,
        pearson=pearson(humans, scores),
        spearman=spearman(humans, scores) if n >= 2 else math.nan,
        mae=sum(abs(h - g) for h, g in zip(humans, scores)) / n if n else math.nan,
        strong_low_share=_share(strong, lambda s: s.score < STRONG_LOW),
        wrong_high_share=_share(wrong, lambda s: s.score > WRONG_HIGH),
    )


def _share(items: Sequence[Graded], test) -> float:
    return sum(1 for s in items if test(s)) / len(items) if items else math.nan
