"""Scorecards, the sortable ranking and the side-by-side view in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from core.accounts import verified_email_mark
from hiring.models import InterviewSet, Membership, Role
from hiring.services import set_item_add
from tests.browser.conftest import log_in
from tests.browser.test_hiring_browser import hiring_team  # noqa: F401  (fixture)
from tests.factories import UserFactory
from tests.hiring.conftest import GOOD, MEDIUM, POOR, completed_candidate, make_bank_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _set(team) -> InterviewSet:
    interview_set = InterviewSet.objects.create(team=team, title="Platform screen")
    set_item_add(interview_set=interview_set, question=make_bank_question("Idempotency"))
    set_item_add(
        interview_set=interview_set,
        question=make_bank_question("Caching headers", topic_slug="caching", level="mid"),
    )
    return interview_set


def _colleague(team, username: str = "rita"):
    user = UserFactory(username=username, email=f"{username}@example.com")
    verified_email_mark(user=user)
    Membership.objects.create(team=team, user=user, role=Role.REVIEWER)
    return user


def _fill_card(page: Page, scores: list[str], recommendation: str, notes: str) -> None:
    card = page.locator("#scorecards")
    for number, score in enumerate(scores, start=1):
        card.get_by_label(f"Q{number} score (0-100)").fill(score)
    card.get_by_label(recommendation, exact=True).check()
    card.get_by_label("Internal notes").fill(notes)


def test_two_reviewers_score_independently_then_both_see_spread_and_combined(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    _colleague(team)
    interview_set = _set(team)
    invitation, _ = completed_candidate(interview_set, name="Ada Lovelace")
    url = f"{live_server.url}/hiring/candidates/{invitation.id}/"

    log_in(page, live_server, "lead")
    page.goto(url)
    expect(page.locator("#scorecards")).to_contain_text("Submitting is final")
    _fill_card(page, ["80", "60"], "Hire", "Clear on retries.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Draft saved. Only you can see it")
    expect(page.get_by_label("Q1 score (0-100)")).to_have_value("80")
    page.get_by_role("button", name="Submit scorecard (final)").click()
    expect(page.get_by_role("status")).to_contain_text("Scorecard submitted. It is final")
    expect(page.locator("#scorecards")).to_contain_text("A submitted scorecard is final")
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)

    # the second reviewer sees nothing of the first card until submitting their own
    second = page.context.browser.new_context().new_page()
    log_in(second, live_server, "rita")
    second.goto(url)
    panel = second.locator("#scorecards")
    expect(panel).to_contain_text("stay hidden until you submit yours")
    expect(panel).not_to_contain_text("Clear on retries.")
    expect(panel).not_to_contain_text("lead")
    second.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/results/")
    expect(second.locator("#ranking")).to_contain_text("after yours")
    second.goto(url)
    _fill_card(second, ["40", "50"], "No hire", "Vague on caching.")
    second.get_by_role("button", name="Submit scorecard (final)").click()
    expect(second.get_by_role("status")).to_contain_text("you now see the other")
    table = second.locator("table.scorecards")
    expect(table).to_contain_text("lead")
    expect(table).to_contain_text("rita")
    expect(table).to_contain_text("40–80")  # Q1's spread
    expect(table).to_contain_text("45.0–70.0")  # the overall spread
    # combined: the mean of 70.0 (lead) and 45.0 (rita)
    expect(second.locator("#combined-score")).to_have_text("57.5")
    expect(second.locator("#scorecards")).to_contain_text("Clear on retries.")

    page.reload()
    expect(page.locator("#combined-score")).to_have_text("57.5")
    expect(page.locator("#scorecards")).to_contain_text("Vague on caching.")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/results/")
    expect(page.locator("#ranking")).to_contain_text("57.5")
    expect(page.locator("#ranking")).to_contain_text("1 hire · 1 no hire")
    assert page.csp_violations == []


def test_an_invalid_score_is_explained_and_what_was_typed_stays(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    interview_set = _set(team)
    invitation, _ = completed_candidate(interview_set, name="Ada Lovelace")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/candidates/{invitation.id}/")
    _fill_card(page, ["101", "55"], "Strong hire", "Keep these words.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert")).to_contain_text("Q1: a score cannot be above 100.")
    expect(page.get_by_label("Q1 score (0-100)")).to_have_value("101")
    expect(page.get_by_label("Q2 score (0-100)")).to_have_value("55")
    expect(page.get_by_label("Strong hire", exact=True)).to_be_checked()
    expect(page.get_by_label("Internal notes")).to_have_value("Keep these words.")

    # submitting a card with a score missing is refused the same way
    page.get_by_label("Q1 score (0-100)").fill("")
    page.get_by_role("button", name="Submit scorecard (final)").click()
    expect(page.get_by_role("alert")).to_contain_text("Not submitted: score Q1 first.")
    expect(page.get_by_label("Internal notes")).to_have_value("Keep these words.")
    assert page.csp_violations == []


def test_sorting_the_ranking_by_a_column(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    interview_set = _set(team)
    completed_candidate(interview_set, name="Mo Medium", text=MEDIUM)
    completed_candidate(interview_set, name="Gita Good", text=GOOD)
    completed_candidate(interview_set, name="Pat Poor", text=POOR)
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/results/")
    names = page.locator("#ranking tbody tr td:nth-child(2) a")
    expect(names).to_have_text(["Gita Good", "Mo Medium", "Pat Poor"])
    expect(page.get_by_role("columnheader", name="Rank")).to_have_attribute(
        "aria-sort", "ascending"
    )

    page.get_by_role("link", name="Candidate", exact=True).click()
    expect(names).to_have_text(["Gita Good", "Mo Medium", "Pat Poor"])
    expect(page.get_by_role("columnheader", name="Candidate")).to_have_attribute(
        "aria-sort", "ascending"
    )
    page.get_by_role("link", name="Candidate").click()  # again: the other way round
    expect(names).to_have_text(["Pat Poor", "Mo Medium", "Gita Good"])
    expect(page.get_by_role("columnheader", name="Candidate")).to_have_attribute(
        "aria-sort", "descending"
    )
    assert "sort=-name" in page.url

    page.get_by_role("link", name="Score", exact=True).click()  # highest first
    page.get_by_role("link", name="Score").click()  # then lowest first
    expect(names).to_have_text(["Pat Poor", "Mo Medium", "Gita Good"])
    expect(page.get_by_role("columnheader", name="Score")).to_have_attribute(
        "aria-sort", "ascending"
    )
    # the status filter keeps the chosen order
    page.get_by_label("Show").select_option("completed")
    expect(page).to_have_url(
        re.compile(r"status=completed.*sort=score|sort=score.*status=completed")
    )
    expect(names).to_have_text(["Pat Poor", "Mo Medium", "Gita Good"])
    assert page.csp_violations == []


def test_side_by_side_shows_one_question_for_every_candidate(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    interview_set = _set(team)
    completed_candidate(interview_set, name="Gita Good", text=GOOD)
    completed_candidate(interview_set, name="Eve Tags", text="<b>bold</b> PUT repeats safely.")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/results/")
    page.get_by_role("link", name="Q1 side by side").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Q1: Idempotency")
    rows = page.locator("#side-by-side tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Gita Good")
    expect(rows.nth(1)).to_contain_text("<b>bold</b> PUT repeats safely.")  # shown as typed
    expect(rows.nth(1).locator("b")).to_have_count(0)
    expect(rows.nth(0)).to_contain_text("(machine)")
    page.get_by_role("link", name="Q2", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Q2: Caching headers")
    assert page.csp_violations == []


def test_blind_review_keeps_names_off_scorecards_and_the_side_by_side_view(
    page: Page,
    live_server,
    hiring_team,  # noqa: F811
):
    _owner, team = hiring_team
    interview_set = _set(team)
    invitation, _ = completed_candidate(interview_set, name="Bob Hidden", email="bob@example.com")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/results/")
    page.get_by_role("button", name="Blind review").click()
    expect(page.locator("#ranking")).not_to_contain_text("Bob Hidden")
    expect(page.get_by_role("link", name="Candidate", exact=True)).to_have_count(0)

    page.goto(f"{live_server.url}/hiring/candidates/{invitation.id}/")
    _fill_card(page, ["70", "70"], "Hire", "Fine.")
    page.get_by_role("button", name="Submit scorecard (final)").click()
    expect(page.locator(".messages")).to_contain_text("Scorecard submitted")
    expect(page.locator("main")).not_to_contain_text("Bob Hidden")
    expect(page.locator("main")).not_to_contain_text("bob@example.com")
    expect(page.locator("table.scorecards")).to_contain_text("lead")

    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/results/")
    page.get_by_role("link", name="Q1 side by side").click()
    expect(page.locator("#side-by-side")).to_contain_text("Candidate ")
    expect(page.locator("main")).not_to_contain_text("Bob Hidden")
    expect(page.locator("main")).not_to_contain_text("bob@example.com")
    assert page.csp_violations == []
