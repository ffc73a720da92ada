"""Factories and the small fixtures most tests need."""

from __future__ import annotations

import factory
import pytest
from django.contrib.auth import get_user_model

from questionbank.models import Choice, Question, RubricCriterion, Topic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.LazyAttribute(lambda t: t.slug.replace("-", " ").title())


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    slug = factory.Sequence(lambda n: f"question-{n}")
    title = factory.Sequence(lambda n: f"Question {n}")
    prompt = "Explain what makes an HTTP method **idempotent** and give an example."
    level = "junior"
    kind = "free_text"
    topic = factory.SubFactory(TopicFactory, slug="http-rest", name="HTTP and REST")
    model_answer = (
        "Repeating the request leaves the server in the same state as sending it once, "
        "so clients can safely retry. PUT and DELETE behave this way; POST usually does not."
    )
    suggested_minutes = 4
    status = "published"


def add_rubric(question: Question) -> Question:
    rows = [
        ("Same state after repeats", 3, True, ["same state", "same result", "repeat"]),
        ("Safe to retry", 2, False, ["safely retry", "safe to retry", "retries"]),
        ("Examples: PUT and DELETE", 2, False, ["PUT", "DELETE"]),
        ("POST is not", 1, False, ["POST usually does not", "POST creates"]),
    ]
    for order, (label, weight, required, keywords) in enumerate(rows):
        RubricCriterion.objects.create(
            question=question,
            label=label,
            weight=weight,
            required=required,
            keywords=keywords,
            order=order,
        )
    return question


def add_samples(question: Question) -> Question:
    """Sample answers, scored as a fair interviewer would, that ``add_rubric``'s rubric
    ranks in order: enough for the question to be calibrated and publishable."""
    from questionbank.models import SampleAnswer

    for order, (kind, score, text) in enumerate(
        [
            ("strong", 95, "Repeating it leaves the same state, so a client can safely retry. "
             "PUT and DELETE behave so; POST creates a new thing each time."),
            ("partial", 45, "Doing it twice leaves the same state as doing it once."),
            ("wrong", 5, "It is about HTTP verbs and speed."),
        ]
    ):  # fmt: skip
        SampleAnswer.objects.create(
            question=question, kind=kind, score=score, text=text, order=order
        )
    return question


def make_mcq(**kwargs) -> Question:
    question = QuestionFactory(
        kind="multiple_choice",
        prompt="Which status code means the client must authenticate?",
        model_answer="",
        **kwargs,
    )
    for order, (text, correct, why) in enumerate(
        [
            ("401 Unauthorized", True, "It asks the client to authenticate."),
            ("403 Forbidden", False, "The client is known but not allowed."),
            ("404 Not Found", False, "Nothing exists at that address."),
        ]
    ):
        Choice.objects.create(
            question=question, text=text, is_correct=correct, explanation=why, order=order
        )
    return question


@pytest.fixture
def candidate(db):
    return UserFactory(username="cand")


@pytest.fixture
def other_candidate(db):
    return UserFactory(username="other")


@pytest.fixture
def free_text_question(db):
    return add_rubric(QuestionFactory())


@pytest.fixture
def mcq_question(db):
    return make_mcq()


def right_option(answer) -> int:
    """Where the right option of a multiple-choice answer stands, as its candidate saw it
    (options are shuffled per session)."""
    return next(i for i, c in enumerate(answer.snapshot["choices"]) if c["is_correct"])
