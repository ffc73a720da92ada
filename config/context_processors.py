"""Template context shared by every page."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject

HEADER_LINKS = {
    "home": "home",
    "practise": "interviews:start",
    "progress": "interviews:dashboard",
    "hiring": "hiring:teams",
    "team_create": "hiring:team_create",
    "bank": "admin:index",
    "login": "login",
    "logout": "logout",
    "signup": "signup",
}

ASSETS = {
    "css": "css/viva.css",
    "favicon": "img/favicon.svg",
    "htmx": "vendor/htmx/htmx.min.js",
    "js": "js/viva.js",
}


@cache
def _layout_urls(script_prefix: str, static_url: str) -> dict[str, dict[str, str]]:
    return {
        "links": {key: reverse(name) for key, name in HEADER_LINKS.items()},
        "assets": {key: static(path) for key, path in ASSETS.items()},
    }


def layout_urls(request) -> dict:
    """The header's links and the layout's stylesheet, icon and scripts, resolved once
    per process (none of them changes while it runs) instead of on every page, and
    whether the user belongs to a hiring team (asked only when a page shows the menu)."""
    return {
        **_layout_urls(get_script_prefix(), settings.STATIC_URL),
        "in_a_team": SimpleLazyObject(lambda: _in_a_team(request.user)),
    }


def _in_a_team(user) -> bool:
    from hiring.models import Membership

    return user.is_authenticated and Membership.objects.filter(user_id=user.id).exists()
