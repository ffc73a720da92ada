"""Per-process tables of the layout's links and assets match what Django resolves."""

from __future__ import annotations

import pytest
from django.templatetags.static import static
from django.test import Client, RequestFactory
from django.urls import reverse

from config.context_processors import ASSETS, HEADER_LINKS, layout_urls


def test_assets_are_the_static_urls():
    assets = layout_urls(RequestFactory().get("/"))["assets"]
    assert assets == {key: static(path) for key, path in ASSETS.items()}


def test_header_links_are_the_reversed_urls():
    links = layout_urls(RequestFactory().get("/"))["links"]
    assert links == {key: reverse(name) for key, name in HEADER_LINKS.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/no-such-page/"])
def test_pages_link_the_stylesheet_and_scripts(client, path):
    html = client.get(path).content.decode()
    for url in layout_urls(None)["assets"].values():
        assert url in html


@pytest.mark.django_db
def test_the_csrf_failure_page_is_styled_too():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert static("css/viva.css") in response.content.decode()
