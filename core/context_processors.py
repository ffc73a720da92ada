"""Template context shared by every page."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def team_menu(request) -> dict:
    """Whether the user belongs to a hiring team: asked only when a page shows the menu."""
    return {"in_a_team": SimpleLazyObject(lambda: _in_a_team(request.user))}


def _in_a_team(user) -> bool:
    from hiring.selectors import user_in_a_team

    return user.is_authenticated and user_in_a_team(user_id=user.id)
