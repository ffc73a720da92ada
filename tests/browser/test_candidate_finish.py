"""Sign-up, flagging, the confirmation before submitting, the way back after it, wrong
claims on the results page and signed-out visitors, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from interviews.models import Session
from questionbank.models import Misconception
from tests.browser.conftest import log_in
from tests.browser.test_candidate_flow import start_session
from tests.factories import QuestionFactory, TopicFactory, UserFactory, add_rubric

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def user(transactional_db):
    topic = TopicFactory(slug="http-rest", name="HTTP and REST")
    for _ in range(3):
        question = add_rubric(QuestionFactory(topic=topic))
        Misconception.objects.create(
            question=question,
            claim="POST is idempotent",
            phrasings=["post is idempotent"],
            explanation="Two POSTs usually create two resources.",
            cap=20,
        )
    return UserFactory(username="browser")


def answer_one_and_submit(page) -> None:
    """Answer the first question, submit past the confirmation, land on the results."""
    page.get_by_label("Your answer").fill(
        "Repeating it leaves the same state, so you can safely retry."
    )
    expect(page.locator("#save-status")).to_contain_text("Saved")
    page.get_by_role("button", name="Submit the interview").click()
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url("**/results/")


def test_sign_up_signs_you_in_and_lands_on_the_start_page(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_label("Password confirmation").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/practice/")
    expect(page.get_by_text("Welcome to Viva")).to_be_visible()
    # still signed in on the next page
    page.goto(f"{live_server.url}/practice/progress/")
    expect(page).to_have_url(f"{live_server.url}/practice/progress/")


def test_sign_up_errors_are_shown_and_the_typed_name_kept(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("browser")  # taken
    page.get_by_label("Email").fill("someone@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_label("Password confirmation").fill("a-different-passphrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("A user with that username already exists.")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("browser")


def test_flag_for_later_updates_the_button_and_the_navigator(page, live_server, user):
    log_in(page, live_server, "browser")
    start_session(page, live_server)
    page.get_by_role("button", name="⚐ Flag for later").click()
    expect(page.get_by_role("button", name="⚑ Flagged — unflag")).to_be_visible()
    expect(page.get_by_role("link", name="Question 1, flagged")).to_be_visible()
    expect(page.get_by_text("flagged for later")).to_be_visible()  # the legend
    page.get_by_role("button", name="⚑ Flagged — unflag").click()
    expect(page.get_by_role("button", name="⚐ Flag for later")).to_be_visible()
    expect(page.get_by_role("link", name="Question 1", exact=True)).to_be_visible()


def test_submitting_names_what_is_left_and_going_back_keeps_the_session(page, live_server, user):
    log_in(page, live_server, "browser")
    session = start_session(page, live_server)
    page.get_by_label("Your answer").fill("Repeating it leaves the same state.")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    page.get_by_role("button", name="⚐ Flag for later").click()
    expect(page.get_by_role("button", name="⚑ Flagged — unflag")).to_be_visible()
    page.get_by_role("button", name="Submit the interview").click()
    expect(page.get_by_text("Questions 2, 3 have no answer yet.")).to_be_visible()
    expect(page.get_by_text("You flagged question 1 to come back to.")).to_be_visible()
    page.get_by_role("link", name="← Back to the interview").click()
    expect(page.get_by_label("Your answer")).to_be_visible()
    session.refresh_from_db()
    assert session.status == "in_progress"


def test_after_submitting_back_does_not_show_a_live_interview(
    page, live_server, user, eager_celery
):
    log_in(page, live_server, "browser")
    session = start_session(page, live_server)
    for position in range(3):
        page.get_by_label("Your answer").fill(
            "Repeating it leaves the same state. POST is idempotent."
        )
        expect(page.locator("#save-status")).to_contain_text("Saved")
        if position < 2:
            page.get_by_role("button", name="Save and next →").click()
            page.wait_for_url(f"**/practice/s/{session.id}/?q={position + 1}")
    page.get_by_role("button", name="Submit the interview").click()
    page.wait_for_url("**/results/")
    page.go_back()
    # not the cached page with a running clock: the server sends us to the results again
    page.wait_for_url(f"**/practice/s/{session.id}/results/")
    assert Session.objects.get(id=session.id).status == "submitted"
    # and the wrong claim is named, with why
    expect(page.get_by_text("This claim is wrong:").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Two POSTs usually create two resources.").first).to_be_visible()
    expect(page.locator("mark.evidence.misconception").first).to_be_visible()


def test_a_signed_out_visitor_is_asked_to_log_in_and_returns_to_the_results(
    page, context, live_server, user
):
    log_in(page, live_server, "browser")
    session = start_session(page, live_server)
    results = f"{live_server.url}/practice/s/{session.id}/results/"
    context.clear_cookies()
    page.goto(results)
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=.*results"))
    page.get_by_label("Username").fill("browser")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/practice/s/{session.id}/")  # still open: back to the interview


def test_home_offers_the_interview_in_progress(page, live_server, user):
    log_in(page, live_server, "browser")
    session = start_session(page, live_server)
    page.get_by_label("Your answer").fill("Repeating it leaves the same state.")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_text("1 of 3 answered")).to_be_visible()
    page.get_by_role("link", name="Continue your interview").click()
    page.wait_for_url(f"**/practice/s/{session.id}/")
    expect(page.get_by_label("Your answer")).to_have_value("Repeating it leaves the same state.")
    # while the clock runs, no menu pulls the candidate away
    expect(page.get_by_role("link", name="My progress")).to_have_count(0)
    expect(page.get_by_role("link", name="Viva")).to_be_visible()
    # elsewhere, only team members see the Hiring menu
    page.goto(f"{live_server.url}/practice/progress/")
    expect(page.get_by_role("link", name="Hiring", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Create a team")).to_be_visible()


@pytest.mark.parametrize("width", [375, 1200])
def test_the_clock_and_count_stay_in_view_while_typing(page, live_server, user, width):
    page.set_viewport_size({"width": width, "height": 700})
    log_in(page, live_server, "browser")
    start_session(page, live_server)
    page.get_by_label("Your answer").fill("A long answer.\n" * 60)
    page.get_by_role("button", name="Submit the interview").scroll_into_view_if_needed()
    for locator in (page.locator("#timer"), page.locator("#answered-count")):
        box = locator.bounding_box()
        assert box is not None and 0 <= box["y"] < 700, (width, box)


def test_results_summary_evidence_rows_and_trying_again(page, live_server, user, eager_celery):
    log_in(page, live_server, "browser")
    start_session(page, live_server)
    answer_one_and_submit(page)
    expect(page.get_by_role("heading", name="Your strongest ideas")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Study next:")).to_be_visible()
    # jump links lead to each question
    page.get_by_role("navigation", name="Questions").get_by_role("link").nth(2).click()
    expect(page).to_have_url(re.compile(r"#answer-2$"))
    # a rubric row brings its evidence forward
    first = page.locator("#answer-0")
    row = first.get_by_role("button", name="Same state after repeats")
    row.click()
    expect(row).to_have_attribute("aria-pressed", "true")
    expect(first.locator("mark.evidence.focus")).to_have_count(1)
    expect(first.locator("mark.evidence.focus")).to_contain_text("same state")
    # and a question can be tried again, as a new practice interview
    first.get_by_role("button", name="Try this question again").click()
    page.wait_for_url("**/practice/s/*/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#answered-count")).to_have_text("0 of 1 answered")
    assert page.csp_violations == []


def test_progress_page_reads_on_a_phone(page, live_server, user, eager_celery):
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, live_server, "browser")
    start_session(page, live_server)
    answer_one_and_submit(page)
    expect(page.locator(".score")).to_be_visible(timeout=20_000)
    page.goto(f"{live_server.url}/practice/progress/")
    score_header = page.get_by_role("columnheader", name="Score")
    expect(score_header).to_be_visible()
    box = score_header.bounding_box()
    assert box["x"] + box["width"] <= 375
    # chart labels are readable: at least 8 px on a phone
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.chart .x-label')).fontSize)"
        " * document.querySelector('.chart svg').getBoundingClientRect().width / 480"
    )
    assert size >= 8
    expect(page.locator(".chart.bars rect.bar")).to_have_count(1)
    assert page.csp_violations == []


def test_start_form_states_its_limits_and_weakest_topics_preview(
    page, live_server, user, eager_celery
):
    log_in(page, live_server, "browser")
    page.goto(f"{live_server.url}/practice/")
    expect(page.get_by_text("From 3 to 15.")).to_be_visible()
    expect(page.get_by_text("From 5 to 240 minutes.", exact=False)).to_be_visible()
    expect(page.get_by_text("Senior has none", exact=False)).to_be_visible()
    # an out-of-range count is refused with the rule, the rest kept
    page.get_by_label("Junior").check()
    page.get_by_label("Number of questions").fill("40")
    page.get_by_label("Number of questions").evaluate("el => el.removeAttribute('max')")
    page.get_by_role("button", name="Start the interview").click()
    expect(page.get_by_text("Ensure this value is less than or equal to 15.")).to_be_visible()
    expect(page.get_by_label("Junior")).to_be_checked()
    # finish one, then the weakest-topics button shows its plan before starting
    start_session(page, live_server)
    page.get_by_label("Your answer").fill("Repeating it leaves the same state.")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    page.get_by_role("button", name="Submit the interview").click()
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url("**/results/")
    page.goto(f"{live_server.url}/practice/progress/")
    page.get_by_role("link", name="Practise my weakest topics").click()
    expect(page.get_by_text("The clock starts when you press Start.")).to_be_visible()
    expect(page.get_by_text("HTTP and REST")).to_be_visible()
    page.get_by_role("button", name="Start the interview").click()
    page.wait_for_url("**/practice/s/*/")
