"""reverse() for URLs whose arguments are all ids, resolved once per process.

The interview page links to four URLs of its session on every load; resolving each
through the URL resolver costs more than filling the ids into a pattern reversed once.
"""

from __future__ import annotations

from functools import cache

from django.urls import get_script_prefix, reverse

# Stand-ins for the ids while reversing: 18 digits (the longest id a URL takes, see
# config/converters.py), each distinct, so they can be found again in the result.
_MARKS = tuple(100_000_000_000_000_000 + n for n in range(4))


def reverse_ids(name: str, *ids: int) -> str:
    """The URL ``name`` with these integer arguments, like ``reverse(name, args=ids)``."""
    return _pattern(name, len(ids), get_script_prefix()).format(*map(int, ids))


@cache
def _pattern(name: str, count: int, script_prefix: str) -> str:
    url = reverse(name, args=_MARKS[:count]).replace("{", "{{").replace("}", "}}")
    for slot, mark in enumerate(_MARKS[:count]):
        if url.count(str(mark)) != 1:
            raise ValueError(f"cannot make a pattern of the URL {name!r}")
        url = url.replace(str(mark), f"{{{slot}}}")
    return url
