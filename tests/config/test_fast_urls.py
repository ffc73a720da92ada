"""config.fast_urls.reverse_ids gives exactly what reverse() gives."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from config.fast_urls import reverse_ids


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("interviews:save", (1, 0)),
        ("interviews:save", (987_654_321_012_345_678, 14)),
        ("interviews:flag", (42, 3)),
        ("interviews:submit", (7,)),
        ("interviews:results", (123_456,)),
        ("interviews:interview", (5,)),
    ],
)
def test_same_as_reverse(name, ids):
    assert reverse_ids(name, *ids) == reverse(name, args=ids)


def test_follows_the_script_prefix():
    set_script_prefix("/viva/")
    try:
        assert reverse_ids("interviews:submit", 9) == "/viva/practice/s/9/submit"
        assert reverse_ids("interviews:submit", 9) == reverse("interviews:submit", args=[9])
    finally:
        clear_script_prefix()
    assert reverse_ids("interviews:submit", 9) == reverse("interviews:submit", args=[9])


def test_wrong_arguments_fail_like_reverse():
    with pytest.raises(NoReverseMatch):
        reverse_ids("interviews:submit", 1, 2)
    with pytest.raises(ValueError):
        reverse_ids("interviews:submit", "not-an-id")
