"""Template context shared by every page."""

from __future__ import annotations

from functools import cache

from django.urls import get_script_prefix, reverse

HEADER_LINKS = {
    "home": "home",
    "practise": "interviews:start",
    "progress": "interviews:dashboard",
    "hiring": "hiring:teams",
    "bank": "admin:index",
    "login": "login",
    "logout": "logout",
    "signup": "signup",
}


@cache
def _header_links(script_prefix: str) -> dict[str, str]:
    return {key: reverse(name) for key, name in HEADER_LINKS.items()}


def header_links(request) -> dict:
    """The header's links, reversed once per process instead of on every page."""
    return {"links": _header_links(get_script_prefix())}
