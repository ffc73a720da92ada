"""What a team keeps to itself: blind review across pages and exports, and internal
comments that never reach the candidate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from hiring.models import InterviewSet
from hiring.services import set_item_add
from tests.browser.conftest import log_in
from tests.browser.test_hiring_browser import hiring_team  # noqa: F401  (fixture)
from tests.hiring.conftest import (
    MEDIUM,
    answer_all,
    completed_candidate,
    finish_and_grade,
    make_bank_question,
    make_invitation,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _set(team, *, see_results: bool = False) -> InterviewSet:
    interview_set = InterviewSet.objects.create(
        team=team, title="Platform screen", candidates_see_results=see_results
    )
    set_item_add(interview_set=interview_set, question=make_bank_question("Idempotency"))
    return interview_set


def test_blind_review_holds_on_the_invitations_page_and_in_the_csv(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    interview_set = _set(team)
    completed_candidate(interview_set, name="Bob Hidden", email="bob@example.com")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/results/")
    page.get_by_role("button", name="Blind review").click()
    expect(page.locator("#ranking")).not_to_contain_text("Bob Hidden")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Bob Hidden" not in csv_text and "bob@example.com" not in csv_text
    assert "Candidate " in csv_text

    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/invitations/")
    table = page.locator("table")
    expect(table).to_contain_text("Candidate ")
    expect(table).not_to_contain_text("Bob Hidden")
    expect(table).not_to_contain_text("bob@example.com")
    assert page.csp_violations == []


def test_the_candidate_reads_the_feedback_not_the_internal_reason(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    interview_set = _set(team, see_results=True)
    invitation, token = make_invitation(interview_set, name="Cara")
    # the candidate takes the interview in this browser
    page.goto(f"{live_server.url}/hiring/invite/{token}/")
    page.get_by_role("button", name="Start the interview").click()
    page.wait_for_url("**/practice/s/**")
    session_url = page.url.split("?")[0]
    from interviews.models import Session

    session = Session.objects.get(invitation=invitation)
    answer_all(session, MEDIUM)
    finish_and_grade(session)

    # a reviewer overrides, with an internal reason and feedback for the candidate
    reviewer = page.context.browser.new_context()
    team_page = reviewer.new_page()
    log_in(team_page, live_server, "lead")
    team_page.goto(f"{live_server.url}/hiring/candidates/{invitation.id}/")
    card = team_page.locator(".review-item").first
    expect(card.get_by_text("Only your team sees this.")).to_be_visible()
    card.get_by_label("New score (0-100)").fill("45")
    card.get_by_label("Why (internal)").fill("Second look: lower, no defence named.")
    card.get_by_label("Feedback for the candidate (optional)").fill(
        "Name a concrete defence, such as idempotency keys."
    )
    card.get_by_role("button", name="Override grade").click()
    expect(team_page.locator(".review-item").first.locator("table.history")).to_contain_text(
        "Second look"
    )
    reviewer.close()

    page.goto(session_url.rstrip("/") + "/results/")
    expect(page.get_by_text("Name a concrete defence, such as idempotency keys.")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Second look")
    assert page.csp_violations == []


def test_a_new_colleague_signs_up_confirms_the_address_and_accepts_the_seat(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/t/{team.slug}/")
    page.get_by_label("Email").fill("newcolleague@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Invitation sent to newcolleague@example.com. They join once they accept."
    )
    expect(page.locator("main")).to_contain_text("Invited, not yet accepted")

    colleague = page.context.browser.new_context().new_page()
    colleague.goto(f"{live_server.url}/accounts/signup/")
    colleague.get_by_label("Username").fill("newcolleague")
    colleague.get_by_label("Email").fill("newcolleague@example.com")
    colleague.get_by_label("Password", exact=True).fill("a-long-enough-passphrase-1")
    colleague.get_by_label("Password confirmation").fill("a-long-enough-passphrase-1")
    colleague.get_by_role("button", name="Sign up").click()
    colleague.goto(f"{live_server.url}/hiring/")
    expect(colleague.get_by_role("status")).to_contain_text("Confirm your email address")
    expect(colleague.get_by_role("button", name="Accept")).to_have_count(0)

    link = re.search(r"http\S+/accounts/verify/\S+/", mail.outbox[-1].body).group(0)
    colleague.goto(link)
    colleague.get_by_role("button", name="Confirm my email").click()
    expect(colleague.get_by_role("status")).to_contain_text("Your email address is confirmed.")
    colleague.goto(f"{live_server.url}/hiring/")
    colleague.get_by_role("button", name="Accept").click()
    expect(colleague.get_by_role("heading", level=1)).to_contain_text("Platform")


def test_a_bad_confirmation_link_says_so(page: Page, live_server, hiring_team):  # noqa: F811
    page.goto(f"{live_server.url}/accounts/verify/not-a-real-token/")
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.get_by_role("alert")).to_contain_text("This link is not valid")


def test_extra_time_and_a_new_link_on_the_invitations_page(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    interview_set = _set(team)
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/invitations/")
    page.get_by_label("Candidate name (optional)").fill("Ada")
    page.get_by_label("Extra time (minutes)").fill("15")
    page.get_by_role("button", name="Create invitation").click()
    expect(page.get_by_role("status")).to_contain_text("with 15 extra minutes")
    first_link = page.get_by_label("Invitation link").input_value()
    expect(page.locator("table")).to_contain_text("+15 min")

    page.get_by_role("button", name="New link").click()
    expect(
        page.get_by_role("heading", name="New link made: the old one no longer works")
    ).to_be_visible()
    second_link = page.get_by_label("Invitation link").input_value()
    assert second_link != first_link
    page.goto(first_link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("not valid")
    assert page.csp_violations == []


def test_bulk_invite_shows_line_errors_then_every_link(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    interview_set = _set(team)
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/invitations/")
    page.get_by_text("Invite many at once").click()
    box = page.get_by_label("Candidates, one per line: name, email")
    box.fill("Ada, ada@example.com\nBo, not-an-address")
    page.get_by_role("button", name="Invite all").click()
    expect(page.locator("#invitations-panel")).to_contain_text(
        "line 2: 'not-an-address' is not an email address"
    )
    box = page.get_by_label("Candidates, one per line: name, email")
    expect(box).to_have_value("Ada, ada@example.com\nBo, not-an-address")  # nothing lost
    box.fill("Ada, ada@example.com\nBo, bo@example.com")
    page.get_by_role("button", name="Invite all").click()
    expect(page.get_by_role("status")).to_contain_text("2 invitations created and emailed")
    expect(page.get_by_label("Link for bo@example.com")).to_have_value(
        re.compile(r"/hiring/invite/")
    )
    assert page.csp_violations == []


def test_confirming_machine_grades_asks_first_and_records_who(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    owner, team = hiring_team
    interview_set = _set(team)
    invitation, _session = completed_candidate(interview_set, name="Cora")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/candidates/{invitation.id}/")
    page.get_by_role("button", name="Confirm all machine grades").click()
    # nothing happens until the reviewer says they read every answer
    expect(page.get_by_label("I have read every answer")).to_be_visible()
    from grading.models import Grade, GraderKind

    assert not Grade.objects.filter(kind=GraderKind.HUMAN).exists()
    page.get_by_label("I have read every answer").check()
    page.get_by_role("button", name="Confirm all machine grades").click()
    expect(page.get_by_role("status")).to_contain_text("Confirmed 1 machine grade")
    assert {g.reviewer_id for g in Grade.objects.filter(kind=GraderKind.HUMAN)} == {owner.id}
    assert page.csp_violations == []
