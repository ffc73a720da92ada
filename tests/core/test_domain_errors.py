"""A refusal no view catches becomes the answer the request expects (core.middleware)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hiring.models import Membership
from tests.hiring.conftest import make_team, make_user

pytestmark = pytest.mark.django_db
LAST_OWNER = "A team needs at least one owner"


@pytest.fixture
def sole_owner(client):
    owner = make_user("olga")
    team = make_team("Platform", owner=owner)
    client.force_login(owner)
    membership = Membership.objects.get(team=team, user=owner)
    url = reverse("hiring:member_remove", args=[team.slug, membership.id])
    return team, url


def test_a_plain_post_comes_back_to_its_page_with_the_message(client, sole_owner):
    team, url = sole_owner
    page = reverse("hiring:team", args=[team.slug])
    response = client.post(url, headers={"Referer": f"http://testserver{page}"}, follow=True)
    assert response.redirect_chain[-1][0].endswith(page)
    assert LAST_OWNER in response.content.decode()
    assert Membership.objects.filter(team=team).count() == 1


def test_without_a_page_to_go_back_to_it_shows_the_message_with_the_status(client, sole_owner):
    _, url = sole_owner
    response = client.post(url, headers={"Referer": "https://elsewhere.example/"})
    assert response.status_code == 400
    assert LAST_OWNER in response.content.decode()


def test_htmx_gets_the_escaped_message_and_the_status(client, sole_owner):
    _, url = sole_owner
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.content.decode() == (
        "A team needs at least one owner: make someone else owner first."
    )


def test_not_found_from_a_service_is_django_s_404(client):
    from core.errors import DomainError, NotFound

    assert issubclass(NotFound, DomainError)
    user = make_user("nobody")
    client.force_login(user)
    response = client.post(reverse("interviews:save", args=[999_999, 0]), {"text": "x"})
    assert response.status_code == 404
