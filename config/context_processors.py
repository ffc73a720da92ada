"""Template context shared by every page."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.templatetags.static import static
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


ASSETS = {
    "css": "css/viva.css",
    "favicon": "img/favicon.svg",
    "htmx": "vendor/htmx/htmx.min.js",
    "js": "js/viva.js",
}


@cache
def _asset_urls(static_url: str) -> dict[str, str]:
    return {key: static(path) for key, path in ASSETS.items()}


def static_assets(request) -> dict:
    """The layout's stylesheet, icon and scripts, looked up once per process (their
    hashed names do not change while it runs) instead of on every page."""
    return {"assets": _asset_urls(settings.STATIC_URL)}
