from __future__ import annotations

import pytest

from interviews import services
from tests.factories import QuestionFactory, TopicFactory, add_rubric, make_mcq


@pytest.fixture
def bank(db):
    """Six junior free-text questions over two topics, plus two multiple-choice."""
    http = TopicFactory(slug="http-rest", name="HTTP and REST")
    caching = TopicFactory(slug="caching", name="Caching")
    questions = [add_rubric(QuestionFactory(topic=http if i % 2 else caching)) for i in range(6)]
    questions += [make_mcq(topic=http), make_mcq(topic=caching)]
    return questions


@pytest.fixture
def session(bank, candidate):
    return services.session_start(
        candidate=candidate,
        level="junior",
        topic_slugs=[],
        count=4,
        include_multiple_choice=False,
        start_key="k1",
    )


@pytest.fixture
def cand_client(client, candidate):
    client.force_login(candidate)
    return client


HX = {"HX-Request": "true"}
