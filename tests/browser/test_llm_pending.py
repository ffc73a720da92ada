"""The results page while the LLM second opinion is on its way: "second opinion pending",
then, once the (real HTTP) fake endpoint replies, the opinion's feedback appears by itself."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect

from grading import services
from interviews import services as interview_services
from tests.browser.conftest import log_in
from tests.factories import QuestionFactory, UserFactory, add_rubric
from tests.grading import fake_openai as _fake_openai_module
from tests.grading.test_llm_queue import FEEDBACK, judged
from tests.hiring import conftest as _hiring_fixtures
from tests.hiring.conftest import completed_candidate

# Fixtures bound by assignment, so that test arguments named after them are not redefinitions.
fake_openai = _fake_openai_module.fake_openai
world = _hiring_fixtures.world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWER = (
    "Repeating the request leaves the server in the same state, so clients can safely "
    "retry it. PUT and DELETE work like that."
)


@pytest.fixture
def graded_answer(transactional_db, settings, fake_openai):
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.GRADING_LLM_MODEL = "browser-model"
    settings.GRADING_LLM_MODE = "all"
    add_rubric(QuestionFactory())
    user = UserFactory(username="waiting")
    session = interview_services.session_start(
        candidate=user, level="junior", topic_slugs=[], count=1, include_multiple_choice=False
    )
    interview_services.answer_save_draft(session_id=session.id, position=0, text=ANSWER)
    interview_services.session_submit(session=session)
    answer = session.answers.get()
    services.grade_answer(answer_id=answer.id)  # the keyword grade; the opinion is queued
    return answer


def test_pending_second_opinion_is_replaced_by_its_feedback(
    page,
    live_server,
    graded_answer,
    fake_openai,
):
    release = threading.Event()

    def reply_when_released(request):
        release.wait(timeout=30)
        return judged(request)

    fake_openai.respond_with(reply_when_released)

    def llm_worker():  # the llm queue's task, waiting on the endpoint
        try:
            services.answer_second_opinion(answer_id=graded_answer.id)
        finally:
            connections.close_all()

    worker = threading.Thread(target=llm_worker)
    worker.start()
    try:
        log_in(page, live_server, "waiting")
        results = reverse("interviews:results", args=[graded_answer.session_id])
        page.goto(f"{live_server.url}{results}")
        expect(page.get_by_text("second opinion pending")).to_be_visible()
        expect(page.get_by_text(FEEDBACK)).to_have_count(0)
        release.set()  # the endpoint answers; the page polls and shows the opinion
        expect(page.get_by_text(FEEDBACK)).to_be_visible()
        expect(page.get_by_text("What would make this answer stronger")).to_be_visible()
        expect(page.get_by_text("second opinion pending")).to_have_count(0)
    finally:
        release.set()
        worker.join(timeout=30)


def test_review_page_shows_the_opinion_when_it_arrives(
    page,
    live_server,
    world,
    settings,
    fake_openai,
):
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.GRADING_LLM_MODEL = "browser-model"
    settings.GRADING_LLM_MODE = "uncertain"  # the set's switch is on: every answer is asked
    invitation, session = completed_candidate(world.interview_set, name="Robin")
    answer = session.answers.filter(kind="free_text").order_by("position").first()
    fake_openai.respond_with(judged)

    log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}{reverse('hiring:candidate', args=[invitation.id])}")
    line = page.locator(f"#opinion-{answer.id}")
    expect(line).to_contain_text("LLM second opinion pending")

    services.answer_second_opinion(answer_id=answer.id)  # the llm worker's task
    expect(line).not_to_contain_text("pending")
    expect(line).to_contain_text("LLM 0")  # the fake judged every criterion missed
