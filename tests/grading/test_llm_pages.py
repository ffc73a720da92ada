"""The pages while a second opinion is on its way: "second opinion pending", polling, then
the opinion (its feedback for the candidate, its score for the team) once it arrives."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grading.llm_queue import budget_used
from grading.models import LlmOpinion
from tests.grading.test_llm_queue import FEEDBACK, STRONG, run_opinion, submitted_answers
from tests.hiring.conftest import completed_candidate, world  # noqa: F401  (fixture)

from .test_llm_queue import llm  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    return html, len(queries)


def test_results_page_says_pending_then_shows_the_feedback(llm, client):  # noqa: F811
    [answer] = submitted_answers(text=STRONG)
    client.force_login(answer.session.candidate)
    url = reverse("interviews:results", args=[answer.session_id])

    html, pending_queries = get(client, url)
    assert "second opinion pending" in html
    assert 'hx-trigger="every 2s"' in html  # the page keeps polling for it
    assert FEEDBACK not in html

    run_opinion(answer)
    html, done_queries = get(client, url)
    assert "second opinion pending" not in html
    assert 'hx-trigger="every 2s"' not in html
    assert "What would make this answer stronger" in html
    assert FEEDBACK.replace("'", "&#x27;") in html
    assert done_queries == pending_queries  # the pending state costs no query


def test_results_page_without_an_llm_shows_no_pending_note(client, settings):
    settings.OPENAI_API_KEY = ""
    [answer] = submitted_answers(text=STRONG)
    client.force_login(answer.session.candidate)
    html, _ = get(client, reverse("interviews:results", args=[answer.session_id]))
    assert "second opinion pending" not in html and 'hx-trigger="every 2s"' not in html


def test_review_page_polls_for_the_opinion_and_counts_the_teams_budget(
    llm,  # noqa: F811
    world,  # noqa: F811
    client,
    settings,
):
    settings.GRADING_LLM_MODE = "uncertain"  # the set's llm_second_opinion (on) still asks
    invitation, session = completed_candidate(world.interview_set, name="Robin")
    opinions = LlmOpinion.objects.filter(answer__session=session)
    assert opinions.count() == session.answers.filter(kind="free_text").count()
    assert set(opinions.values_list("team_id", flat=True)) == {world.team_a.id}

    client.force_login(world.reviewer)
    url = reverse("hiring:candidate", args=[invitation.id])
    html = client.get(url).content.decode()
    assert "LLM second opinion pending" in html and 'hx-trigger="every 3s"' in html

    for opinion in opinions:
        run_opinion(opinion.answer)
    html = client.get(url).content.decode()
    assert "second opinion pending" not in html
    assert "· LLM " in html
    day = timezone.localdate()
    # one charge per call made (answers the cache could judge cost none)
    assert budget_used(scope=f"team:{world.team_a.id}", day=day) == len(llm.requests) >= 1


def test_a_set_with_the_second_opinion_off_queues_none(llm, world, settings):  # noqa: F811
    world.interview_set.llm_second_opinion = False
    world.interview_set.save(update_fields=["llm_second_opinion"])
    _invitation, session = completed_candidate(world.interview_set, name="Sam")
    assert not LlmOpinion.objects.filter(answer__session=session).exists()


def test_review_page_says_why_an_opinion_was_not_asked(llm, world, client, settings):  # noqa: F811
    settings.GRADING_LLM_TEAM_DAILY_BUDGET = 0
    invitation, session = completed_candidate(world.interview_set, name="Alex")
    for opinion in LlmOpinion.objects.filter(answer__session=session):
        run_opinion(opinion.answer)
    assert not llm.requests
    client.force_login(world.reviewer)
    html = client.get(reverse("hiring:candidate", args=[invitation.id])).content.decode()
    assert "not asked: the daily LLM budget is used up" in html
    assert "second opinion pending" not in html


def test_switching_the_llm_off_stops_the_pending_note(llm, client, settings):  # noqa: F811
    [answer] = submitted_answers(text=STRONG)
    settings.GRADING_LLM_MODE = "off"
    client.force_login(answer.session.candidate)
    html, _ = get(client, reverse("interviews:results", args=[answer.session_id]))
    assert "second opinion pending" not in html and 'hx-trigger="every 2s"' not in html
