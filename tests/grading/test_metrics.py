"""Benchmark metrics against values worked out by hand (pure, no Django)."""

from __future__ import annotations

import math

import pytest

from grading.metrics import (
    pearson,
    quadratic_weighted_kappa,
    rankdata,
    rmse,
    round_half_up,
    spearman,
)


def test_pearson_by_hand():
    # x: mean 2.5, y: mean 3.75; Sxy = 3.5, Sxx = 5, Syy = 4.75
    assert pearson([1, 2, 3, 4], [2, 4, 5, 4]) == pytest.approx(3.5 / math.sqrt(5 * 4.75))
    assert pearson([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_pearson_is_nan_when_undefined():
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))
    assert math.isnan(pearson([1], [2]))
    with pytest.raises(ValueError):
        pearson([1, 2], [1])


def test_ranks_average_ties():
    assert rankdata([10, 20, 20, 30]) == [1, 2.5, 2.5, 4]
    assert rankdata([3, 1, 2]) == [3, 1, 2]


def test_spearman_by_hand():
    # ranks of y = [1, 2, 3.5, 5, 3.5]; Sxy = 8, Sxx = 10, Syy = 9.5
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert spearman([1, 2, 3], [1, 4, 9]) == pytest.approx(1.0)


def test_rmse_by_hand():
    assert rmse([0, 0], [3, 4]) == pytest.approx(math.sqrt(12.5))
    assert rmse([1.5, 2.5], [1.5, 2.5]) == 0.0


def test_round_half_up():
    assert [round_half_up(x) for x in (0.49, 0.5, 2.5, 3.5, 4.75, 5.0)] == [0, 1, 3, 4, 5, 5]


def test_quadratic_weighted_kappa_by_hand():
    # observed: (0,0), (1,2), (2,2); numerator 1/4; expected-weighted sum 5/4
    assert quadratic_weighted_kappa([0, 1, 2], [0, 2, 2]) == pytest.approx(0.8)
    # complete disagreement at the extremes
    assert quadratic_weighted_kappa([0, 2], [2, 0]) == pytest.approx(-1.0)
    assert quadratic_weighted_kappa([0, 3, 5], [0, 3, 5], 0, 5) == pytest.approx(1.0)


def test_quadratic_weighted_kappa_second_example():
    # categories 1-4: observed off-diagonal only (3, 4), weight 1/9; expected-weighted
    # sum (0.25 * 14 + 0.25 * 6 + 0.5 * 14) / 9 = 12/9, so kappa = 1 - 1/12
    assert quadratic_weighted_kappa([1, 2, 3, 4], [1, 2, 4, 4]) == pytest.approx(11 / 12)
    assert quadratic_weighted_kappa([1, 2, 3, 4], [1, 2, 4, 4], 0, 5) == pytest.approx(11 / 12)
