"""Authorisation matrix: every hiring URL, for every kind of visitor.

Non-members (a candidate, a member of another team, staff) get 404 for anything of
team A; viewers read but get 403 on writes; reviewers write but do not manage members;
owners do everything. Anonymous visitors are sent to log in, except on invitation links.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from hiring import api_tokens, api_urls, webhooks
from hiring import urls as hiring_urls
from hiring.models import Membership, TeamInvite
from interviews.selectors import INVITED_SESSIONS_KEY
from tests.hiring.conftest import (
    answer_all,
    completed_candidate,
    finish_and_grade,
    make_invitation,
    start_in_browser,
)

pytestmark = pytest.mark.django_db

ANY_USER, READ, WRITE, MANAGE, PUBLIC = "any_user", "read", "write", "manage", "public"
OFFEREE = "offeree"  # only the account that verified the invited address


@dataclass
class Call:
    name: str
    method: str
    kwargs: dict
    level: str
    data: dict | None = None
    htmx: bool = False

    @property
    def url(self) -> str:
        return reverse(f"hiring:{self.name}", kwargs=self.kwargs)


def _calls(world) -> list[Call]:
    """One call per URL and method, on team A's objects; writes ordered last."""
    s = world.interview_set
    started, token_started = make_invitation(s, name="Ada Candidate")
    session = start_in_browser(Client(), token_started)
    answer_all(session, "Same state on repeat, safely retry with PUT.")
    finish_and_grade(session)
    answer = session.answers.order_by("position").first()
    pending, _ = make_invitation(s, name="Pending Person")
    pending2, _ = make_invitation(s, name="Second Pending")
    pending3, _ = make_invitation(s, name="Third Pending")
    _, fresh_token = make_invitation(s, name="Fresh")
    _, landing_token = make_invitation(s, name="Landing")
    item = s.items.order_by("position").first()
    private = _private_question(world)
    extra_membership = Membership.objects.get(team=world.team_a, user=world.extra)
    seat = TeamInvite.objects.create(team=world.team_a, email=world.outsider.email, role="viewer")
    slug = world.team_a.slug
    endpoint = webhooks.webhook_endpoint_create(
        team=world.team_a,
        url="http://127.0.0.1:9/hook",
        events=["invitation.completed"],
        created_by=world.owner,
    )
    api_token, _ = api_tokens.api_token_create(
        team=world.team_a, name="ATS", created_by=world.owner
    )
    question_data = {
        "title": "Our outbox",
        "prompt": "How do you publish events reliably?",
        "level": "mid",
        "topic": world.questions[0].topic.slug,
        "model_answer": "Write the event in the same transaction, then relay it.",
        "suggested_minutes": 5,
        "c-TOTAL_FORMS": "3",
        "c-INITIAL_FORMS": "0",
        "c-0-label": "Same transaction",
        "c-0-keywords": "same transaction",
        "c-0-weight": "2",
        "c-1-label": "Relay",
        "c-1-keywords": "relay, poller",
        "c-1-weight": "1",
        "c-2-label": "Idempotent consumer",
        "c-2-keywords": "idempotent",
        "c-2-weight": "1",
        "action": "save",
    }
    return [
        Call("teams", "get", {}, ANY_USER),
        Call("team", "get", {"slug": slug}, READ),
        Call("queue", "get", {"slug": slug}, READ),
        Call("builder", "get", {"set_id": s.id}, READ),
        Call("bank", "get", {"set_id": s.id}, READ, htmx=True),
        Call("invitations", "get", {"set_id": s.id}, READ),
        Call("results", "get", {"set_id": s.id}, READ),
        Call("results_csv", "get", {"set_id": s.id}, READ),
        Call("results_json", "get", {"set_id": s.id}, READ),
        Call("candidate", "get", {"invitation_id": started.id}, READ),
        Call("compare", "get", {"set_id": s.id, "question_id": world.questions[0].id}, READ),
        Call("blind_toggle", "post", {"set_id": s.id}, READ, {"blind": "on"}),
        Call("invite", "get", {"token": landing_token}, PUBLIC),
        Call("invite", "post", {"token": fresh_token}, PUBLIC),
        Call("team_create", "post", {}, ANY_USER, {"name": "Brand new team"}),
        Call("member_invite_answer", "post", {"invite_id": seat.id}, OFFEREE, {"answer": "no"}),
        Call("question_new", "get", {"set_id": s.id}, WRITE),
        Call("question_edit", "get", {"question_id": private.id}, WRITE),
        Call(
            "set_create",
            "post",
            {"slug": slug},
            WRITE,
            {"title": "Another", "time_limit_minutes": 30, "instructions": ""},
        ),
        Call(
            "set_settings",
            "post",
            {"set_id": s.id},
            WRITE,
            {"title": "Renamed", "time_limit_minutes": 40, "instructions": "Go."},
        ),
        Call("item_add", "post", {"set_id": s.id}, WRITE, {"question": world.spare_question.id}),
        Call(
            "item_move",
            "post",
            {"set_id": s.id, "item_id": item.id},
            WRITE,
            {"direction": "down"},
        ),
        Call("item_remove", "post", {"set_id": s.id, "item_id": item.id}, WRITE, {}),
        Call("question_new", "post", {"set_id": s.id}, WRITE, question_data),
        Call("question_edit", "post", {"question_id": private.id}, WRITE, question_data),
        Call("question_retire", "post", {"question_id": private.id}, WRITE, {"retired": "0"}),
        Call("invitations", "post", {"set_id": s.id}, WRITE, {"name": "New", "days": 7}),
        Call("invitation_reissue", "post", {"invitation_id": pending3.id}, WRITE, {}),
        Call(
            "invitations_bulk",
            "post",
            {"set_id": s.id},
            WRITE,
            {"candidates": "Bulk One, bulk1@example.com", "days": 7},
        ),
        Call("invitation_revoke", "post", {"invitation_id": pending.id}, WRITE, {}),
        Call("invitation_extend", "post", {"invitation_id": pending2.id}, WRITE, {"days": 3}),
        Call(
            "answer_override",
            "post",
            {"invitation_id": started.id, "answer_id": answer.id},
            WRITE,
            {"score": 55, "comment": "Reads better than the keywords suggest."},
        ),
        Call("confirm", "post", {"invitation_id": started.id}, WRITE, {"reviewed": "yes"}),
        Call(
            "scorecard",
            "post",
            {"invitation_id": started.id},
            WRITE,
            {"action": "save", "recommendation": "hire", "notes": "Draft"},
        ),
        Call(
            "member_add",
            "post",
            {"slug": slug},
            MANAGE,
            {"email": "newcomer@example.com", "role": "viewer"},
        ),
        Call(
            "member_role",
            "post",
            {"slug": slug, "membership_id": extra_membership.id},
            MANAGE,
            {"role": "reviewer"},
        ),
        Call(
            "member_remove",
            "post",
            {"slug": slug, "membership_id": extra_membership.id},
            MANAGE,
            {},
        ),
        # integrations: owners only (secrets and tokens live there)
        Call("integrations", "get", {"slug": slug}, MANAGE),
        Call("webhook", "get", {"endpoint_id": endpoint.id}, MANAGE),
        Call(
            "webhook_add",
            "post",
            {"slug": slug},
            MANAGE,
            {"url": "http://127.0.0.1:9/other", "events": ["candidate.graded"]},
        ),
        Call("webhook_test", "post", {"endpoint_id": endpoint.id}, MANAGE, {}),
        Call("webhook_active", "post", {"endpoint_id": endpoint.id}, MANAGE, {"active": "0"}),
        Call("api_token_add", "post", {"slug": slug}, MANAGE, {"name": "Another ATS"}),
        Call("api_token_revoke", "post", {"token_id": api_token.id}, MANAGE, {}),
        Call("webhook_delete", "post", {"endpoint_id": endpoint.id}, MANAGE, {}),
    ]


def _private_question(world):
    from hiring import services

    return services.private_question_save(
        team=world.team_a,
        title="Team secret",
        prompt="Explain our deploy pipeline.",
        level="mid",
        topic=world.questions[0].topic,
        model_answer="Blue green with a canary.",
        suggested_minutes=5,
        criteria=[
            {"label": "Blue green", "keywords": ["blue green"], "weight": 1, "required": False},
            {"label": "Canary", "keywords": ["canary"], "weight": 1, "required": False},
            {"label": "Rollback", "keywords": ["rollback"], "weight": 1, "required": False},
        ],
    )


@pytest.fixture(autouse=True)
def _local_webhook_urls(settings):
    """The matrix's endpoints point at 127.0.0.1, as in `make run`."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


ACTORS = ["anonymous", "candidate", "member_b", "staff", "viewer", "reviewer", "owner"]
ALLOWED = {200, 201, 302}


def _expected(actor: str, level: str) -> set[int]:
    if level == PUBLIC:
        return ALLOWED
    if actor == "anonymous":
        return {302}  # to the login page (checked below)
    if level == ANY_USER:
        return ALLOWED
    if level == OFFEREE:  # the candidate actor is the outsider the seat was offered to
        return ALLOWED if actor == "candidate" else {404}
    if actor in {"candidate", "member_b", "staff"}:
        return {404}
    if actor == "viewer":
        return ALLOWED if level == READ else {403}
    if actor == "reviewer":
        return {403} if level == MANAGE else ALLOWED
    return ALLOWED


def _client_for(actor: str, world, django_user_model) -> Client:
    client = Client()
    if actor == "anonymous":
        return client
    if actor == "candidate":
        # Someone who took team A's interview, signed in, with the session in their browser.
        user = world.outsider
        client.force_login(user)
        _, token = make_invitation(world.interview_set, name="Signed-in candidate")
        client.post(reverse("hiring:invite", args=[token]))
        assert client.session[INVITED_SESSIONS_KEY]
        return client
    client.force_login(getattr(world, actor))
    return client


def test_matrix_covers_every_hiring_url(world):
    names = {p.name for p in hiring_urls.urlpatterns if isinstance(p, URLPattern)}
    covered = {call.name for call in _calls(world)}
    assert names == covered


@pytest.mark.parametrize("actor", ACTORS)
def test_authorisation_matrix(actor, world, django_user_model):
    client = _client_for(actor, world, django_user_model)
    failures = []
    for call in _calls(world):
        headers = {"HX-Request": "true"} if call.htmx else {}
        if call.method == "get":
            response = client.get(call.url, headers=headers)
        else:
            response = client.post(call.url, call.data or {}, headers=headers)
        expected = _expected(actor, call.level)
        if response.status_code not in expected:
            failures.append(
                f"{call.method.upper()} {call.url} ({call.level}): {response.status_code}"
            )
        elif actor == "anonymous" and call.level != PUBLIC:
            assert response["Location"].startswith(reverse("login")), call.url
    assert not failures, f"{actor}:\n" + "\n".join(failures)


@pytest.mark.parametrize("actor", ["candidate", "member_b", "staff"])
def test_outsiders_never_see_team_data(actor, world, django_user_model):
    """A 404 page, not the candidate's name or answers, whatever the URL."""
    client = _client_for(actor, world, django_user_model)
    invitation, token = make_invitation(world.interview_set, name="Grace Secretname")
    start_in_browser(Client(), token)
    for name, kwargs in [
        ("candidate", {"invitation_id": invitation.id}),
        ("results", {"set_id": world.interview_set.id}),
        ("results_json", {"set_id": world.interview_set.id}),
        ("invitations", {"set_id": world.interview_set.id}),
        ("compare", {"set_id": world.interview_set.id, "question_id": world.questions[0].id}),
    ]:
        response = client.get(reverse(f"hiring:{name}", kwargs=kwargs))
        assert response.status_code == 404
        assert b"Secretname" not in response.content


def test_team_b_sees_only_its_own_sets(world):
    client = Client()
    client.force_login(world.member_b)
    assert client.get(reverse("hiring:builder", args=[world.other_set.id])).status_code == 200
    assert client.get(reverse("hiring:builder", args=[world.interview_set.id])).status_code == 404
    teams_page = client.get(reverse("hiring:teams")).content.decode()
    assert "Team B" in teams_page and "Team A" not in teams_page


def test_viewer_sees_no_write_controls(world):
    client = Client()
    client.force_login(world.viewer)
    page = client.get(reverse("hiring:builder", args=[world.interview_set.id])).content.decode()
    assert reverse("hiring:item_add", args=[world.interview_set.id]) not in page
    assert reverse("hiring:set_settings", args=[world.interview_set.id]) not in page


def test_huge_or_odd_ids_are_plain_404s(world, client):
    client.force_login(world.owner)
    assert client.get("/hiring/sets/99999999999999999999999/").status_code == 404
    assert client.get("/hiring/candidates/99999999999999999999999/").status_code == 404
    assert client.get("/hiring/t/no-such-team/").status_code == 404


# --------------------------------------------------------------------------- read API
API_TOKENS = ["none", "team_a", "team_b", "revoked_a", "malformed"]


def _api_calls(world) -> list[tuple[str, dict]]:
    s = world.interview_set.id
    return [
        ("sets", {}),
        ("set_invitations", {"set_id": s}),
        ("set_candidates", {"set_id": s}),
    ]


def _api_expected(token: str, name: str) -> int:
    if token in {"none", "revoked_a", "malformed"}:
        return 401
    if token == "team_b" and name != "sets":  # team A's set, asked with team B's token
        return 404
    return 200


def _api_headers(token: str, world) -> dict:
    if token == "none":
        return {}
    if token == "malformed":
        return {"Authorization": "Bearer ../../etc/passwd"}
    team = world.team_b if token == "team_b" else world.team_a
    issued, secret = api_tokens.api_token_create(team=team, name=token, created_by=None)
    if token == "revoked_a":
        api_tokens.api_token_revoke(token=issued)
    return {"Authorization": f"Bearer {secret}"}


def test_api_matrix_covers_every_api_url(world):
    names = {p.name for p in api_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == {name for name, _ in _api_calls(world)}


@pytest.mark.parametrize("token", API_TOKENS)
def test_api_authorisation_matrix(token, world):
    """Each token sees its own team only: team A's ids are 404s to team B's token, and its
    list of sets holds none of team A's."""
    completed_candidate(world.interview_set, name="Grace Secretname")
    client = Client()
    headers = _api_headers(token, world)
    failures = []
    for name, kwargs in _api_calls(world):
        url = reverse(f"api:{name}", kwargs=kwargs)
        response = client.get(url, headers=headers)
        if response.status_code != _api_expected(token, name):
            failures.append(f"GET {url}: {response.status_code}")
        if token != "team_a":
            assert b"Secretname" not in response.content, url
            assert world.interview_set.title.encode() not in response.content, url
        if response.status_code == 401:
            assert response["WWW-Authenticate"].startswith("Bearer")
        # writes are never allowed, whoever asks
        assert client.post(url, headers=headers).status_code in {401, 405}
    assert not failures, f"{token}:\n" + "\n".join(failures)
