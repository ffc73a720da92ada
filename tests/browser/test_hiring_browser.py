"""The hiring builder and review pages in a real browser (Playwright, Debian's Chromium).

What the HTTP tests cannot show: htmx swaps work under the strict CSP, the bank search
updates as you type, add / reorder / remove change the list in place, "Suggest rubric"
fills the criteria, and an override updates the answer and the final score in place.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from core.accounts import verified_email_mark
from hiring.models import InterviewSet, Membership, Role, Team
from hiring.services import set_item_add
from tests.browser.conftest import log_in
from tests.factories import UserFactory
from tests.hiring.conftest import (
    GOOD,
    MEDIUM,
    completed_candidate,
    make_bank_question,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hiring_team(transactional_db):
    owner = UserFactory(username="lead", email="lead@example.com")
    verified_email_mark(user=owner)
    team = Team.objects.create(name="Platform", slug="platform")
    Membership.objects.create(team=team, user=owner, role=Role.OWNER)
    return owner, team


def _item_titles(page: Page) -> list[str]:
    return page.locator("#set-items ol > li > strong").all_inner_texts()


def test_builder_search_add_reorder_remove_and_team_question(page: Page, live_server, hiring_team):
    _owner, team = hiring_team
    make_bank_question("Idempotency")
    make_bank_question("Cache stampedes", topic_slug="caching", level="senior")
    make_bank_question("Retry budgets", topic_slug="operations", level="mid")
    interview_set = InterviewSet.objects.create(team=team, title="Platform screen")
    log_in(page, live_server, "lead")

    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/")
    expect(page.get_by_role("heading", name="Platform screen")).to_be_visible()
    expect(page.locator("#bank-results tbody tr")).to_have_count(3)

    # Typing filters the bank in place (htmx, no reload).
    page.get_by_label("Search").fill("stampede")
    expect(page.locator("#bank-results tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Add “Cache stampedes”").click()
    expect(page.locator("#set-items")).to_contain_text("Cache stampedes")
    expect(page.locator("#bank-results")).to_contain_text("In set")

    page.get_by_label("Search").fill("")
    page.get_by_label("Level").select_option("mid")
    expect(page.locator("#bank-results tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Add “Retry budgets”").click()
    expect(page.locator("#set-items li")).to_have_count(2)
    assert _item_titles(page) == ["Cache stampedes", "Retry budgets"]

    page.get_by_role("button", name="Move “Retry budgets” up").click()
    expect(page.locator("#set-items li").first).to_contain_text("Retry budgets")
    page.get_by_role("button", name="Remove “Cache stampedes”").click()
    expect(page.locator("#set-items li")).to_have_count(1)

    # Settings save in place.
    page.get_by_label("Time limit (minutes)").fill("35")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#set-settings")).to_contain_text("Saved.")
    interview_set.refresh_from_db()
    assert interview_set.time_limit_minutes == 35

    # A team question, its rubric suggested from the model answer.
    page.get_by_role("link", name="Write a team question").click()
    page.get_by_label("Title").fill("Outbox pattern")
    page.get_by_label("Prompt").fill("How do you publish domain events reliably?")
    page.get_by_label("Topic").select_option(label="Operations")
    page.get_by_label("Model answer").fill(
        "Write the event into an outbox table inside the same database transaction as the "
        "state change. A separate relay process polls the outbox and publishes to the broker; "
        "consumers deduplicate because delivery is at least once."
    )
    page.get_by_role("button", name="Suggest rubric from the model answer").click()
    expect(page.locator("#criteria")).to_contain_text("Suggested")
    expect(page.locator("input[name='c-2-keywords']")).not_to_have_value("")
    page.get_by_role("button", name="Save question").click()

    expect(page).to_have_url(re.compile(rf"/hiring/sets/{interview_set.id}/$"))
    expect(page.locator("#set-items")).to_contain_text("Outbox pattern")
    assert _item_titles(page) == ["Retry budgets", "Outbox pattern"]
    assert page.csp_violations == []


def test_team_multiple_choice_question_shows_only_its_options(page: Page, live_server, hiring_team):
    _owner, team = hiring_team
    make_bank_question("Retry budgets", topic_slug="operations", level="mid")
    interview_set = InterviewSet.objects.create(team=team, title="Platform screen")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/questions/new")
    rubric = page.locator("fieldset[data-kind='free_text']")
    options = page.locator("fieldset[data-kind='multiple_choice']")
    expect(rubric).to_be_visible()
    expect(options).to_be_hidden()

    page.get_by_label("Multiple choice").check()
    expect(rubric).to_be_hidden()
    expect(options).to_be_visible()
    page.get_by_label("Title").fill("Status after create")
    page.get_by_label("Prompt").fill("Which response fits a **POST** that created a resource?")
    page.get_by_label("Topic").select_option(label="Operations")
    rows = options.locator("tbody tr")
    for i, (text, why) in enumerate(
        [("301 Moved Permanently", "Nothing moved."), ("201 Created", "It names the new one.")]
    ):
        rows.nth(i).get_by_label("Option").fill(text)
        rows.nth(i).get_by_label("Why it is right or wrong").fill(why)
    rows.nth(1).get_by_label("Correct").check()
    page.get_by_role("button", name="Save question").click()

    expect(page).to_have_url(re.compile(rf"/hiring/sets/{interview_set.id}/$"))
    expect(page.locator("#set-items")).to_contain_text("Status after create")
    assert page.csp_violations == []


def test_review_ranks_overrides_in_place_and_blind_review(page: Page, live_server, hiring_team):
    _owner, team = hiring_team
    questions = [make_bank_question("Idempotency"), make_bank_question("Retries")]
    interview_set = InterviewSet.objects.create(team=team, title="Platform screen")
    for question in questions:
        set_item_add(interview_set=interview_set, question=question)
    completed_candidate(interview_set, name="Ana Medium", text=MEDIUM)
    completed_candidate(interview_set, name="Ben Good", text=GOOD)
    log_in(page, live_server, "lead")

    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/results/")
    rows = page.locator("#ranking tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Ben Good")
    expect(rows.nth(1)).to_contain_text("Ana Medium")

    # The status filter swaps the table in place.
    page.get_by_label("Show").select_option("pending")
    expect(page.locator("#ranking")).to_contain_text("No candidates with that status")
    page.get_by_label("Show").select_option("")
    expect(rows).to_have_count(2)

    # Blind review hides both names.
    page.get_by_role("button", name="Blind review").click()
    expect(page.locator("#ranking")).not_to_contain_text("Ben Good")
    expect(page.locator("#ranking")).not_to_contain_text("Ana Medium")

    # Override Ana's first answer: the answer card and the final score update in place.
    page.locator("#ranking tbody tr").nth(1).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Candidate [0-9A-F]{6}$")
    )
    before = page.locator("#candidate-score").inner_text()
    card = page.locator(".review-item").first
    card.get_by_label("New score (0-100)").fill("100")
    card.get_by_label("Why").fill("Clear explanation in other words.")
    card.get_by_role("button", name="Override grade").click()
    card = page.locator(".review-item").first
    expect(card.locator("table.history")).to_contain_text("Clear explanation in other words.")
    expect(card.locator("table.history")).to_contain_text("→ 100")
    expect(page.locator("#candidate-score")).not_to_have_text(before)

    # Having scored Ana, the reviewer now sees her name (Ben stays hidden).
    page.goto(f"{live_server.url}/hiring/sets/{interview_set.id}/results/")
    expect(page.locator("#ranking")).to_contain_text("Ana Medium")
    expect(page.locator("#ranking")).not_to_contain_text("Ben Good")
    assert page.csp_violations == []
