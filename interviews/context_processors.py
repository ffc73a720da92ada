from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def navigation(request):
    """Whether to show the Hiring link; evaluated only if a template asks."""

    def has_teams() -> bool:
        user = getattr(request, "user", None)
        return bool(user and user.is_authenticated and user.memberships.exists())

    return {"nav_has_teams": SimpleLazyObject(has_teams)}
