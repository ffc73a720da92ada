"""The read API's URLs, mounted at /api/v1/ (namespace "api")."""

from __future__ import annotations

from django.urls import path

from hiring import api

app_name = "api"

urlpatterns = [
    path("sets", api.sets, name="sets"),
    path("sets/<int:set_id>/invitations", api.set_invitations, name="set_invitations"),
    path("sets/<int:set_id>/candidates", api.set_candidates, name="set_candidates"),
]
