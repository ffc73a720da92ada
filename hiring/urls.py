"""Hiring-team URLs, mounted at /hiring/ (app namespace "hiring")."""

from __future__ import annotations

from django.urls import path

from hiring import integration_views, views

app_name = "hiring"

urlpatterns = [
    path("", views.teams, name="teams"),
    path("teams/new", views.team_create, name="team_create"),
    path("seats/<int:invite_id>/answer", views.member_invite_answer, name="member_invite_answer"),
    path("t/<slug:slug>/", views.team, name="team"),
    path("t/<slug:slug>/members/add", views.member_add, name="member_add"),
    path("t/<slug:slug>/members/<int:membership_id>/role", views.member_role, name="member_role"),
    path(
        "t/<slug:slug>/members/<int:membership_id>/remove",
        views.member_remove,
        name="member_remove",
    ),
    path("t/<slug:slug>/sets/new", views.set_create, name="set_create"),
    path("t/<slug:slug>/queue/", views.review_queue, name="queue"),
    # the set builder
    path("sets/<int:set_id>/", views.builder, name="builder"),
    path("sets/<int:set_id>/settings", views.set_settings, name="set_settings"),
    path("sets/<int:set_id>/bank/", views.bank, name="bank"),
    path("sets/<int:set_id>/items/add", views.item_add, name="item_add"),
    path("sets/<int:set_id>/items/<int:item_id>/remove", views.item_remove, name="item_remove"),
    path("sets/<int:set_id>/items/<int:item_id>/move", views.item_move, name="item_move"),
    path("sets/<int:set_id>/questions/new", views.question_new, name="question_new"),
    path("questions/<int:question_id>/edit", views.question_edit, name="question_edit"),
    path("questions/<int:question_id>/retire", views.question_retire, name="question_retire"),
    # invitations
    path("sets/<int:set_id>/invitations/", views.invitations, name="invitations"),
    path("sets/<int:set_id>/invitations/bulk", views.invitations_bulk, name="invitations_bulk"),
    path(
        "invitations/<int:invitation_id>/reissue",
        views.invitation_reissue,
        name="invitation_reissue",
    ),
    path(
        "invitations/<int:invitation_id>/revoke",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "invitations/<int:invitation_id>/extend",
        views.invitation_extend,
        name="invitation_extend",
    ),
    # review and export
    path("sets/<int:set_id>/results/", views.results, name="results"),
    path("sets/<int:set_id>/results.csv", views.results_csv, name="results_csv"),
    path("sets/<int:set_id>/results.json", views.results_json, name="results_json"),
    path("sets/<int:set_id>/blind", views.blind_toggle, name="blind_toggle"),
    path("sets/<int:set_id>/questions/<int:question_id>/compare", views.compare, name="compare"),
    path("candidates/<int:invitation_id>/", views.candidate, name="candidate"),
    path(
        "candidates/<int:invitation_id>/answers/<int:answer_id>/override",
        views.answer_override,
        name="answer_override",
    ),
    path("candidates/<int:invitation_id>/confirm", views.candidate_confirm, name="confirm"),
    # integrations: webhooks and read-API tokens (owners)
    path("t/<slug:slug>/integrations/", integration_views.integrations_page, name="integrations"),
    path("t/<slug:slug>/integrations/webhooks", integration_views.webhook_add, name="webhook_add"),
    path(
        "t/<slug:slug>/integrations/tokens", integration_views.api_token_add, name="api_token_add"
    ),
    path(
        "api-tokens/<int:token_id>/revoke",
        integration_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("webhooks/<int:endpoint_id>/", integration_views.webhook, name="webhook"),
    path("webhooks/<int:endpoint_id>/test", integration_views.webhook_test, name="webhook_test"),
    path(
        "webhooks/<int:endpoint_id>/active", integration_views.webhook_active, name="webhook_active"
    ),
    path(
        "webhooks/<int:endpoint_id>/delete", integration_views.webhook_delete, name="webhook_delete"
    ),
    path("candidates/<int:invitation_id>/scorecard", views.scorecard, name="scorecard"),
    # the candidate's link: no account needed
    path("invite/<str:token>/", views.invite, name="invite"),
]
