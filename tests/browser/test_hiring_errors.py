"""htmx error partials on hiring pages are shown where they belong (one global setting,
no per-page listener), and the pages stay free of CSP violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from hiring.models import InterviewSet, Invitation, InvitationStatus
from tests.browser.conftest import log_in
from tests.browser.test_hiring_browser import hiring_team  # noqa: F401  (fixture)
from tests.hiring.conftest import make_bank_question, make_invitation, make_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_extending_a_revoked_invitation_says_why(page: Page, live_server, hiring_team):  # noqa: F811
    owner, team = hiring_team
    interview_set = make_set(team, [make_bank_question("Idempotency")], title="Platform screen")
    make_invitation(interview_set, name="Ada", by=owner)
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/invitations/")
    # a colleague revokes it while this page is open
    Invitation.objects.update(status=InvitationStatus.REVOKED)
    page.get_by_role("button", name="Extend").click()
    expect(page.get_by_role("alert")).to_contain_text("Only an unused invitation can be extended.")
    assert page.csp_violations == []


def test_saving_a_blank_set_title_shows_the_error_and_keeps_the_rest(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    make_bank_question("Idempotency")
    interview_set = InterviewSet.objects.create(team=team, title="Platform screen")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/")
    page.get_by_label("Title").fill("   ")
    page.get_by_label("Instructions").fill("Answer in prose, please.")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#set-settings")).to_contain_text("This field is required.")
    expect(page.get_by_label("Instructions")).to_have_value("Answer in prose, please.")
    interview_set.refresh_from_db()
    assert interview_set.title == "Platform screen"
    assert page.csp_violations == []


def test_try_your_rubric_on_a_team_question(page: Page, live_server, hiring_team):  # noqa: F811
    _owner, team = hiring_team
    interview_set = InterviewSet.objects.create(team=team, title="Platform screen")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/questions/new")
    page.get_by_role("button", name="Grade this answer").click()
    expect(page.get_by_role("alert")).to_contain_text("Add at least one criterion")
    page.locator('input[name="c-0-label"]').fill("Outbox table in the same transaction")
    page.locator('input[name="c-0-keywords"]').fill("outbox table, same transaction")
    page.get_by_label("An answer to try").fill("Write the event to an outbox table first.")
    page.get_by_role("button", name="Grade this answer").click()
    expect(page.locator("#tryout .score-pill")).to_be_visible()
    expect(page.locator("#tryout mark.evidence.met")).to_contain_text("outbox table")
    assert page.csp_violations == []


def test_team_sample_answers_need_a_score_and_keep_what_was_typed(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    interview_set = InterviewSet.objects.create(team=team, title="Platform screen")
    log_in(page, live_server, "lead")
    make_bank_question("Idempotency")  # a topic to pick
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/questions/new")
    page.get_by_label("Title").fill("Outbox pattern")
    page.get_by_label("Prompt").fill("How do you publish events reliably?")
    page.get_by_label("Topic").select_option(index=1)
    page.get_by_label("Sample answer").first.fill("Write it to an outbox table first.")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Give this sample the score a fair interviewer would.")).to_be_visible()
    expect(page.get_by_label("Sample answer").first).to_have_value(
        "Write it to an outbox table first."
    )


def test_removing_the_only_owner_is_refused_on_the_team_page(page: Page, live_server, hiring_team):  # noqa: F811
    _owner, team = hiring_team
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/t/{team.slug}/")
    page.get_by_role("button", name="Remove").click()
    expect(page).to_have_url(f"{live_server.url}/hiring/t/{team.slug}/")
    expect(page.get_by_role("status")).to_contain_text("A team needs at least one owner")
    expect(page.get_by_role("cell", name="lead", exact=True)).to_be_visible()
    assert page.csp_violations == []
