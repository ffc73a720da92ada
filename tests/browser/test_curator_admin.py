"""A curator in the admin: bank permissions only, the calibration panel, publishing
refused for an uncalibrated question, each kind's own inlines."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from questionbank.models import Question, Status
from tests.browser.conftest import log_in
from tests.factories import QuestionFactory, add_rubric, add_samples, make_mcq

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def curator(transactional_db):
    call_command("seed_demo", verbosity=0)
    return "curator"


def test_curator_sees_calibration_and_cannot_publish_an_uncalibrated_question(
    page, live_server, curator
):
    draft = add_rubric(QuestionFactory(status=Status.DRAFT, title="Idempotency draft"))
    calibrated = add_samples(add_rubric(QuestionFactory(status=Status.DRAFT, title="Ready one")))
    mcq = make_mcq()
    log_in(page, live_server, "curator", "viva-curator")
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("link", name="Questions")).to_be_visible()
    expect(page.get_by_role("link", name="Users")).to_have_count(0)  # not a superuser

    page.goto(f"{live_server.url}/admin/questionbank/question/{calibrated.pk}/change/")
    expect(
        page.get_by_text("Calibrated: the grader ranks the sample answers in order")
    ).to_be_visible()
    expect(page.locator("#choices-group")).to_have_count(0)
    expect(page.get_by_role("button", name="Suggest rubric from model answer")).to_be_visible()

    page.goto(f"{live_server.url}/admin/questionbank/question/{draft.pk}/change/")
    expect(page.get_by_text("Not calibrated")).to_be_visible()
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(
        page.get_by_text("Saved as a draft, not published: it is not calibrated")
    ).to_be_visible()
    assert Question.objects.get(pk=draft.pk).status == Status.DRAFT

    page.goto(f"{live_server.url}/admin/questionbank/question/{mcq.pk}/change/")
    expect(page.locator("#choices-group")).to_be_visible()
    expect(page.locator("#criteria-group")).to_have_count(0)


def test_the_admin_login_says_so_after_repeated_wrong_passwords(page, live_server, curator):
    page.goto(f"{live_server.url}/admin/login/")
    for _ in range(5):
        page.get_by_label("Username").fill("curator")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("Please enter the correct username and password")).to_be_visible()
    page.get_by_label("Username").fill("curator")
    page.get_by_label("Password").fill("viva-curator")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many requests")).to_be_visible()
    expect(page.get_by_text("Please wait")).to_be_visible()
