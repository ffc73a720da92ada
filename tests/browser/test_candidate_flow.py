"""The candidate loop in a real browser: start, type, reload, offline, time out, results."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interviews.models import Answer, Session
from tests.browser.conftest import log_in
from tests.factories import QuestionFactory, TopicFactory, UserFactory, add_rubric, make_mcq

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWER = "Repeating the call leaves the same state, so a client can safely retry. PUT and DELETE."


@pytest.fixture
def user(transactional_db):
    topic = TopicFactory(slug="http-rest", name="HTTP and REST")
    for _ in range(4):
        add_rubric(QuestionFactory(topic=topic))
    make_mcq(topic=topic)
    return UserFactory(username="browser")


def start_session(page, live_server, *, questions: int = 3):
    page.goto(f"{live_server.url}/practice/")
    page.get_by_label("Junior").check()
    page.get_by_label("Number of questions").fill(str(questions))
    page.get_by_role("button", name="Start the interview").click()
    page.wait_for_url("**/practice/s/*/")
    return Session.objects.latest("id")


def test_type_reload_and_find_the_text(page, live_server, user):
    log_in(page, live_server, "browser")
    session = start_session(page, live_server)
    box = page.get_by_label("Your answer")
    expect(page.locator("#answered-count")).to_have_text("0 of 3 answered")
    box.fill(ANSWER)
    expect(page.locator("#save-status")).to_contain_text("Saved")
    assert Answer.objects.get(session=session, position=0).saved_text == ANSWER
    # The navigator counts the saved answer without a reload.
    expect(page.locator("#answered-count")).to_have_text("1 of 3 answered")
    expect(page.get_by_role("link", name="Question 1, answered")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Your answer")).to_have_value(ANSWER)
    expect(page.locator("#word-count")).to_contain_text("16 words")
    assert page.csp_violations == []


def test_offline_typing_is_kept_and_sent_when_back(page, context, live_server, user):
    log_in(page, live_server, "browser")
    session = start_session(page, live_server)
    box = page.get_by_label("Your answer")
    box.fill("first part")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    context.set_offline(True)
    box.fill("first part, typed while the network was down")
    expect(page.locator("#save-status")).to_contain_text("Offline", timeout=10_000)
    stored = page.evaluate(f"localStorage.getItem('viva:{session.id}:0')")
    assert "network was down" in stored
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=10_000)
    answer = Answer.objects.get(session=session, position=0)
    assert answer.saved_text == "first part, typed while the network was down"


def test_text_typed_offline_survives_a_reload(page, context, live_server, user):
    """Typed offline, sent when the network returns, then a reload that the server answered
    before that save landed: the page is older than the text the browser saw saved, and
    the text must still be there. Serving the reload the page as it stood before the save
    makes that race happen every time instead of now and then."""
    log_in(page, live_server, "browser")
    session = start_session(page, live_server)
    url = page.url
    page_before_the_save = page.request.get(url).text()
    box, status = page.get_by_label("Your answer"), page.locator("#save-status")
    context.set_offline(True)
    box.fill("kept in this browser only")
    expect(status).to_contain_text("Offline", timeout=10_000)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_contain_text("Saved", timeout=10_000)
    page.route(
        url,
        lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=page_before_the_save
        ),
        times=1,
    )
    page.reload()
    expect(box).to_have_value("kept in this browser only")
    expect(status).to_contain_text("Saved", timeout=10_000)
    assert Answer.objects.get(session=session, position=0).saved_text == (
        "kept in this browser only"
    )
    # A page that shows the saved text clears the local copy.
    page.reload()
    expect(box).to_have_value("kept in this browser only")
    assert page.evaluate(f"localStorage.getItem('viva:{session.id}:0')") is None


def test_text_that_never_reached_the_server_is_restored_by_a_reload(
    page, context, live_server, user
):
    log_in(page, live_server, "browser")
    session = start_session(page, live_server)
    box, status = page.get_by_label("Your answer"), page.locator("#save-status")
    # Saves fail (as offline) while the pages themselves still load.
    page.route("**/q/*/save", lambda route: route.abort("internetdisconnected"))
    box.fill("never reached the server")
    expect(status).to_contain_text("Offline", timeout=10_000)
    page.reload()
    expect(box).to_have_value("never reached the server")
    expect(status).to_contain_text("Offline", timeout=10_000)  # the resend failed too
    page.unroute("**/q/*/save")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_contain_text("Saved", timeout=10_000)
    assert Answer.objects.get(session=session, position=0).saved_text == "never reached the server"


def test_time_limit_runs_out_and_the_session_is_finalised(page, live_server, user, eager_celery):
    log_in(page, live_server, "browser")
    session = start_session(page, live_server)
    page.get_by_label("Your answer").fill(ANSWER)
    expect(page.locator("#save-status")).to_contain_text("Saved")
    Session.objects.filter(id=session.id).update(deadline=timezone.now() + timedelta(seconds=4))
    page.reload()
    page.wait_for_url(f"**/practice/s/{session.id}/results/", timeout=20_000)
    session.refresh_from_db()
    assert session.status == "timed_out"
    assert Answer.objects.get(session=session, position=0).saved_text == ANSWER


def test_submit_and_see_graded_results_with_evidence(page, live_server, user, eager_celery):
    log_in(page, live_server, "browser")
    start_session(page, live_server)
    page.get_by_label("Your answer").fill(ANSWER + " <script>alert('x')</script>")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    page.get_by_role("button", name="Submit the interview").click()
    # Two of the three questions have no answer: the page names them and asks first.
    expect(page.get_by_text("Questions 2, 3 have no answer yet.")).to_be_visible()
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url("**/results/")
    expect(page.locator(".score")).to_be_visible(timeout=20_000)
    evidence = page.locator("mark.evidence.met").first
    expect(evidence).to_be_visible()
    expect(page.locator(".answer-text").first).to_contain_text("<script>alert('x')</script>")
    expect(page.get_by_text("Model answer").first).to_be_visible()


def test_phone_width_labels_and_keyboard(page, live_server, user):
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, live_server, "browser")
    start_session(page, live_server)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
             .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
             .map(el => el.name)"""
    )
    assert unlabelled == []
    expect(page.locator("[aria-live=polite]#timer-announce")).to_have_count(1)
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(
            page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")
        )
    assert "answer-text" in reached
    assert any("Submit the interview" in r for r in reached)
