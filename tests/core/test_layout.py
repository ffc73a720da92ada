"""Every page links the layout's stylesheet and scripts, and the header's links."""

from __future__ import annotations

import pytest
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

ASSETS = ("css/viva.css", "img/favicon.svg", "vendor/htmx/htmx.min.js", "js/viva.js")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/no-such-page/"])
def test_pages_link_the_stylesheet_and_scripts(client, path):
    html = client.get(path).content.decode()
    for asset in ASSETS:
        assert static(asset) in html


@pytest.mark.django_db
def test_the_header_links_where_a_signed_in_user_goes(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ann", password="x"))
    html = client.get("/").content.decode()
    for name in (
        "home",
        "interviews:start",
        "interviews:dashboard",
        "hiring:team_create",
        "logout",
    ):
        assert f'href="{reverse(name)}"' in html or f'action="{reverse(name)}"' in html


@pytest.mark.django_db
def test_the_csrf_failure_page_is_styled_too():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert static("css/viva.css") in response.content.decode()


@pytest.mark.django_db
def test_the_hiring_link_follows_membership_at_once(client, django_user_model):
    from hiring.models import Membership, Team

    user = django_user_model.objects.create_user("ivy", password="x")
    client.force_login(user)
    hiring = f'href="{reverse("hiring:teams")}"'
    assert hiring not in client.get("/").content.decode()  # cached: not in a team
    team = Team.objects.create(name="Platform", slug="platform")
    membership = Membership.objects.create(team=team, user=user, role="viewer")
    assert hiring in client.get("/").content.decode()
    membership.delete()
    assert hiring not in client.get("/").content.decode()
