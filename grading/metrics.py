"""Agreement metrics for the grader benchmark, in plain Python (no numpy)."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "nearest_rank",
    "pearson",
    "quadratic_weighted_kappa",
    "rankdata",
    "rmse",
    "round_half_up",
    "spearman",
]


def nearest_rank(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest value with ``percent`` % of values at or
    below it; nan when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(max(math.ceil(percent / 100 * len(ordered)), 1), len(ordered)) - 1]


def _check(xs: Sequence[float], ys: Sequence[float]) -> int:
    if len(xs) != len(ys):
        raise ValueError("sequences differ in length")
    return len(xs)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson correlation; nan when fewer than two points or a sequence is constant."""
    n = _check(xs, ys)
    if n < 2:
        return math.nan
    mx = math.fsum(xs) / n
    my = math.fsum(ys) / n
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return math.nan
    return sxy / math.sqrt(sxx * syy)


def rankdata(xs: Sequence[float]) -> list[float]:
    """1-based ranks, ties get the mean of the ranks they span."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        mean_rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = mean_rank
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman rank correlation (Pearson on tie-averaged ranks)."""
    _check(xs, ys)
    return pearson(rankdata(xs), rankdata(ys))


def rmse(xs: Sequence[float], ys: Sequence[float]) -> float:
    n = _check(xs, ys)
    if n == 0:
        return math.nan
    return math.sqrt(math.fsum((x - y) ** 2 for x, y in zip(xs, ys)) / n)


def round_half_up(x: float) -> int:
    """2.5 -> 3, 3.5 -> 4 (Python's round() would give 2 and 4)."""
    return math.floor(x + 0.5)


def quadratic_weighted_kappa(
    a: Sequence[int], b: Sequence[int], min_rating: int | None = None, max_rating: int | None = None
) -> float:
    """Cohen's kappa with quadratic weights for two integer ratings of the same items."""
    n = _check(a, b)
    if n == 0:
        return math.nan
    a = [int(x) for x in a]
    b = [int(x) for x in b]
    lo = min(min(a), min(b)) if min_rating is None else min_rating
    hi = max(max(a), max(b)) if max_rating is None else max_rating
    k = hi - lo + 1
    if k <= 1:
        return 1.0
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b):
        observed[x - lo][y - lo] += 1
    hist_a = [sum(row) for row in observed]
    hist_b = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = 0.0
    den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            expected = hist_a[i] * hist_b[j] / n
            num += w * observed[i][j]
            den += w * expected
    if den == 0:
        return 1.0 if num == 0 else math.nan
    return 1.0 - num / den
