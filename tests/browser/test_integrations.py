"""A team owner connects an applicant-tracking system: a webhook endpoint that receives
a signed test event, a clear refusal of a bad URL, and an API token shown once."""

from __future__ import annotations

import json
import re

import pytest
import requests
from playwright.sync_api import Page, expect

from hiring.models import WebhookEndpoint
from tests.browser.conftest import log_in
from tests.browser.test_hiring_browser import hiring_team  # noqa: F401  (fixture)
from tests.hiring.test_webhooks import verify
from tests.hiring.webhook_receiver import webhook_receiver  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_adds_an_endpoint_and_a_test_event_is_delivered(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
    webhook_receiver,  # noqa: F811
    eager_celery,
):
    _owner, team = hiring_team
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/t/{team.slug}/")
    page.get_by_role("link", name="Integrations").click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()

    page.get_by_label("Endpoint URL").fill(webhook_receiver.url)
    page.get_by_role("checkbox", name=re.compile(r"invitation\.completed")).uncheck()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", name="Webhook endpoint")).to_be_visible()
    expect(page.get_by_text("Events: candidate.graded")).to_be_visible()
    endpoint = WebhookEndpoint.objects.get()
    expect(page.get_by_label("Signing secret")).to_have_value(endpoint.secret)
    expect(page.locator("#deliveries")).to_contain_text("Nothing sent yet")

    page.get_by_role("button", name="Send test event").click()
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_contain_text("ping")
    expect(row).to_contain_text("delivered")
    expect(row).to_contain_text("200")
    [received] = webhook_receiver.requests
    assert received.headers["X-Viva-Event"] == "ping"
    assert verify(endpoint.secret, received.headers, received.body)
    assert json.loads(received.body)["team"]["slug"] == team.slug

    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_text("Endpoint disabled.")).to_be_visible()
    expect(page.get_by_role("button", name="Enable")).to_be_visible()
    assert page.csp_violations == []


def test_a_bad_url_is_explained_and_what_was_typed_stays(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
    settings,
):
    _owner, team = hiring_team
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/t/{team.slug}/integrations/")

    page.get_by_label("Endpoint URL").fill("ftp://ats.example.com/hooks")
    page.get_by_role("checkbox", name=re.compile(r"candidate\.graded")).uncheck()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("starting with https://")
    expect(page.get_by_label("Endpoint URL")).to_have_value("ftp://ats.example.com/hooks")
    expect(page.get_by_role("checkbox", name=re.compile(r"candidate\.graded"))).not_to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile(r"invitation\.completed"))).to_be_checked()

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    page.get_by_label("Endpoint URL").fill("http://169.254.169.254/latest/meta-data")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("private or local address")
    expect(page.get_by_label("Endpoint URL")).to_have_value(
        "http://169.254.169.254/latest/meta-data"
    )
    assert not WebhookEndpoint.objects.exists()
    assert page.csp_violations == []


def test_owner_creates_an_api_token_sees_it_once_and_uses_it(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    team.interview_sets.create(title="Platform screen")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/t/{team.slug}/integrations/")

    page.get_by_label("Token name").fill("   ")  # blank, once trimmed
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert")).to_contain_text("This field is required.")
    page.get_by_label("Token name").fill("Greenhouse sync")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("status")).to_contain_text("only time it is shown")
    secret = page.get_by_label("New API token").input_value()
    assert secret.startswith("viva_")

    response = requests.get(
        f"{live_server.url}/api/v1/sets",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert [s["title"] for s in response.json()["results"]] == ["Platform screen"]

    page.goto(f"{live_server.url}/hiring/t/{team.slug}/integrations/")
    expect(page.locator("#api-tokens table")).to_contain_text("Greenhouse sync")
    expect(page.get_by_label("New API token")).to_have_count(0)
    assert secret not in page.content()
    page.get_by_role("button", name="Revoke “Greenhouse sync”").click()
    expect(page.get_by_text("revoked: it no longer works")).to_be_visible()
    again = requests.get(
        f"{live_server.url}/api/v1/sets",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )
    assert again.status_code == 401
    assert page.csp_violations == []
