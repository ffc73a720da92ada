"""The read API: bearer tokens per team, JSON lists scoped to that team, pagination."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from core.logredact import RedactTokens
from hiring import api_tokens, integration_selectors
from hiring.exports import ranking_rows
from hiring.models import ApiToken
from hiring.selectors import set_ranking
from tests.hiring.conftest import completed_candidate, make_invitation, make_set

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token_a(world) -> str:
    _, secret = api_tokens.api_token_create(
        team=world.team_a, name="ATS sync", created_by=world.owner
    )
    return secret


def test_sets_lists_only_the_token_teams_sets(world, token_a, django_assert_max_num_queries):
    client = Client()
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/sets", headers=bearer(token_a))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["count"] == 1 and body["page"] == 1 and body["next"] is None
    [record] = body["results"]
    assert record["id"] == world.interview_set.id
    assert record["title"] == world.interview_set.title
    assert record["question_count"] == 3


def test_invitations_and_candidates_with_scores_rounded_like_the_page(world, token_a):
    invitation, _ = completed_candidate(
        world.interview_set, name="Ada Lovelace", email="ada@example.com"
    )
    pending, _ = make_invitation(world.interview_set, name="Not yet")
    client = Client()
    s = world.interview_set.id

    invitations = client.get(f"/api/v1/sets/{s}/invitations", headers=bearer(token_a)).json()
    assert [(r["id"], r["status"]) for r in invitations["results"]] == [
        (invitation.id, "completed"),
        (pending.id, "pending"),
    ]
    assert invitations["results"][0]["email"] == "ada@example.com"

    candidates = client.get(f"/api/v1/sets/{s}/candidates", headers=bearer(token_a)).json()
    done = candidates["results"][0]
    [shown] = [
        r
        for r in ranking_rows(set_ranking(interview_set=world.interview_set))
        if r["invitation_id"] == invitation.id
    ]
    assert done["score"] == shown["final_score"] is not None
    assert {str(a["question_id"]): a["score"] for a in done["answers"]} == shown["scores"]
    assert [a["position"] for a in done["answers"]] == [0, 1, 2]
    assert candidates["results"][1]["score"] is None
    assert candidates["results"][1]["answers"] == []


def test_candidates_cost_a_fixed_number_of_queries(world, token_a, django_assert_num_queries):
    for n in range(3):
        completed_candidate(world.interview_set, name=f"Candidate {n}")
    client = Client()
    url = f"/api/v1/sets/{world.interview_set.id}/candidates"
    client.get(url, headers=bearer(token_a))  # warm: last_used_at is written once a minute
    with django_assert_num_queries(7):
        response = client.get(url, headers=bearer(token_a))
    assert len(response.json()["results"]) == 3


def test_lists_are_paginated(world, token_a, monkeypatch):
    monkeypatch.setattr(integration_selectors, "API_PAGE", 2)
    for n in range(5):
        make_invitation(world.interview_set, name=f"Invitee {n}")
    client = Client()
    url = f"/api/v1/sets/{world.interview_set.id}/invitations"
    first = client.get(url, headers=bearer(token_a)).json()
    assert (first["count"], first["pages"], len(first["results"])) == (5, 3, 2)
    assert first["next"].endswith(f"{url}?page=2") and first["previous"] is None
    last = client.get(f"{url}?page=3", headers=bearer(token_a)).json()
    assert len(last["results"]) == 1 and last["next"] is None
    for bad in ("4", "0", "x"):
        response = client.get(f"{url}?page={bad}", headers=bearer(token_a))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_another_teams_ids_are_404(world, token_a):
    client = Client()
    for path in ("invitations", "candidates"):
        response = client.get(f"/api/v1/sets/{world.other_set.id}/{path}", headers=bearer(token_a))
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": "No such interview set."}
        }
        missing = client.get(f"/api/v1/sets/99999999/{path}", headers=bearer(token_a))
        assert missing.status_code == 404


def test_team_b_token_sees_team_b_only(world):
    _, secret = api_tokens.api_token_create(team=world.team_b, name="B", created_by=world.member_b)
    make_set(world.team_b, [world.questions[0]], title="Another B set")
    body = Client().get("/api/v1/sets", headers=bearer(secret)).json()
    assert {r["title"] for r in body["results"]} == {"Team B screen", "Another B set"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer viva_" + "x" * 43},
        {"Authorization": "Bearer not-a-token"},
    ],
)
def test_missing_or_invalid_tokens_are_401_with_json(world, headers):
    response = Client().get("/api/v1/sets", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="viva"'
    assert response.json()["error"]["code"] == "unauthorised"


def test_a_revoked_token_stops_working_at_once(world, token_a):
    client = Client()
    assert client.get("/api/v1/sets", headers=bearer(token_a)).status_code == 200
    token = ApiToken.objects.get()
    api_tokens.api_token_revoke(token=token)
    response = client.get("/api/v1/sets", headers=bearer(token_a))
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]


def test_a_signed_in_session_is_not_a_token(world, client):
    client.force_login(world.owner)
    assert client.get("/api/v1/sets").status_code == 401


def test_last_used_is_recorded(world, token_a):
    assert ApiToken.objects.get().last_used_at is None
    Client().get("/api/v1/sets", headers=bearer(token_a))
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_is_allowed_and_no_csrf_token_is_needed(world, token_a, method):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/sets", headers=bearer(token_a))
    assert response.status_code == 405


def test_failed_attempts_are_throttled(world, token_a):
    client = Client()
    for _ in range(20):
        assert client.get("/api/v1/sets", headers=bearer("viva_" + "y" * 43)).status_code == 401
    blocked = client.get("/api/v1/sets", headers=bearer(token_a))
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert blocked.json()["error"]["code"] == "throttled"


def test_only_a_hash_is_stored_and_logs_never_show_a_token(world, token_a):
    token = ApiToken.objects.get()
    assert token_a not in (token.token_hash, token.prefix, token.name)
    assert token_a.startswith(token.prefix)
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "auth %s", (f"Bearer {token_a}",), None
    )
    RedactTokens().filter(record)
    assert token_a not in record.getMessage()
    assert "viva_[token]" in record.getMessage()


def test_owner_creates_a_token_sees_it_once_and_revokes_it(world, client):
    client.force_login(world.owner)
    response = client.post(
        f"/hiring/t/{world.team_a.slug}/integrations/tokens",
        {"name": "Greenhouse <sync>"},
        follow=True,
    )
    assert response.redirect_chain[0][1] == 302  # a reload cannot make a second token
    page = response.content.decode()
    token = ApiToken.objects.get()
    secret = page.split('aria-label="New API token"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert secret.startswith("viva_") and token.prefix in secret
    assert "Greenhouse &lt;sync&gt;" in page
    assert Client().get("/api/v1/sets", headers=bearer(secret)).status_code == 200
    again = client.get(f"/hiring/t/{world.team_a.slug}/integrations/").content.decode()
    assert secret not in again and token.prefix in again
    client.post(f"/hiring/api-tokens/{token.id}/revoke")
    assert Client().get("/api/v1/sets", headers=bearer(secret)).status_code == 401


def test_a_token_needs_a_name(world, client):
    client.force_login(world.owner)
    response = client.post(f"/hiring/t/{world.team_a.slug}/integrations/tokens", {"name": "  "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
