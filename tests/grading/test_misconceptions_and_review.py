"""Wrong claims are stored with the grade and named on the results page; grades that need
a human say why, in the review queue and on the candidate page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grading.models import Grade
from grading.services import grade_answer
from interviews import services
from interviews.models import Answer
from questionbank.models import Misconception
from tests.factories import QuestionFactory, add_rubric
from tests.interviews.conftest import HX

pytestmark = pytest.mark.django_db


@pytest.fixture
def question_with_a_myth(db):
    question = add_rubric(QuestionFactory(title="Idempotency"))
    Misconception.objects.create(
        question=question,
        claim="POST is idempotent",
        phrasings=["post is idempotent", "posting twice is harmless"],
        explanation="Two POSTs usually create two resources.",
        cap=20,
    )
    return question


def answered_session(candidate, question, text):
    session = services.session_create(
        candidate=candidate, title="t", questions=[question], time_limit_minutes=10
    )
    Answer.objects.filter(session=session).update(saved_text=text)
    services.session_submit(session=session)
    grade_answer(answer_id=session.answers.get().id)
    return session


def test_a_wrong_claim_is_stored_and_shown_on_the_results_page(
    client, candidate, question_with_a_myth
):
    text = "Repeating it leaves the same state. POST is idempotent too, like PUT and DELETE."
    session = answered_session(candidate, question_with_a_myth, text)
    grade = Grade.objects.get(kind="keyword")
    assert grade.score <= 20 and "misconception" in grade.flags
    assert grade.misconceptions[0]["claim"] == "POST is idempotent"
    assert grade.needs_review and "misconception" in " ".join(grade.review_reasons)
    client.force_login(candidate)
    html = client.get(reverse("interviews:results", args=[session.id]), headers=HX).content.decode()
    assert "This claim is wrong:" in html and "POST is idempotent" in html
    assert "Two POSTs usually create two resources." in html
    assert '<mark class="evidence misconception"' in html


def test_the_right_claim_is_not_flagged(candidate, question_with_a_myth):
    text = "Repeating it leaves the same state, so you can safely retry. POST is not idempotent."
    answered_session(candidate, question_with_a_myth, text)
    grade = Grade.objects.get(kind="keyword")
    assert grade.misconceptions == [] and grade.score >= 70


def test_a_required_idea_missed_sends_the_answer_to_review_with_the_reason(
    candidate, question_with_a_myth
):
    text = "You can safely retry it: PUT and DELETE work like that, while POST creates things."
    answered_session(candidate, question_with_a_myth, text)
    grade = Grade.objects.get(kind="keyword")
    assert grade.score == 50
    assert grade.needs_review
    assert any("required idea was not found" in r for r in grade.review_reasons)
