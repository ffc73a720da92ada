"""The bundled bank meets the numbers in its issue, and its rubrics tell answers apart."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from statistics import mean

import pytest
from rapidfuzz import fuzz

from grading.rubric import grade
from grading.services import criteria_from_snapshot
from questionbank.services import BUNDLED_BANK_DIR, bank_parse

RECORDS = bank_parse([BUNDLED_BANK_DIR])
QUESTIONS = [(r.slug, q) for r in RECORDS for q in r.questions if q["status"] == "published"]
FREE_TEXT = [(t, q) for t, q in QUESTIONS if q["kind"] == "free_text"]
MCQ = [(t, q) for t, q in QUESTIONS if q["kind"] == "multiple_choice"]


def words(markdown: str) -> int:
    return len(re.findall(r"[\w'’-]+", markdown))


def test_counts_levels_and_topics():
    levels = Counter(q["level"] for _, q in FREE_TEXT)
    assert len(FREE_TEXT) >= 120
    assert min(levels[level] for level in ("junior", "mid", "senior")) >= 35, levels
    by_topic = defaultdict(set)
    for topic, q in FREE_TEXT:
        by_topic[topic].add(q["level"])
    assert len(by_topic) >= 10
    assert all(levels_ == {"junior", "mid", "senior"} for levels_ in by_topic.values()), by_topic
    assert len(MCQ) >= 30


@pytest.mark.parametrize(("topic", "question"), FREE_TEXT, ids=[q["slug"] for _, q in FREE_TEXT])
def test_free_text_question_is_complete(topic, question):
    assert 60 <= words(question["model_answer"]) <= 250, words(question["model_answer"])
    assert 3 <= len(question["criteria"]) <= 8
    assert all(c["weight"] > 0 and c["keywords"] for c in question["criteria"])
    assert any(c["required"] for c in question["criteria"])
    assert question["tags"] and question["suggested_minutes"] >= 1


@pytest.mark.parametrize(("topic", "question"), MCQ, ids=[q["slug"] for _, q in MCQ])
def test_multiple_choice_has_one_answer_and_every_explanation(topic, question):
    assert sum(c["is_correct"] for c in question["choices"]) == 1
    assert len(question["choices"]) >= 3
    assert all(c["explanation"].strip() for c in question["choices"])


def _score(question, answer_text: str) -> float:
    return grade(question["prompt"], criteria_from_snapshot(question), answer_text).score


@pytest.mark.parametrize(("topic", "question"), FREE_TEXT, ids=[q["slug"] for _, q in FREE_TEXT])
def test_model_answer_scores_high_against_its_own_rubric(topic, question):
    assert _score(question, question["model_answer"]) >= 85


def test_rubrics_tell_answers_apart_within_a_topic():
    """Other questions' model answers average at most 40 against each rubric."""
    by_topic = defaultdict(list)
    for topic, question in FREE_TEXT:
        by_topic[topic].append(question)
    too_lenient = {}
    for questions in by_topic.values():
        for question in questions:
            others = [
                _score(question, other["model_answer"])
                for other in questions
                if other is not question
            ]
            if mean(others) > 40:
                too_lenient[question["slug"]] = round(mean(others), 1)
    assert too_lenient == {}


def _normalised(prompt: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", prompt.lower()))


def test_no_two_prompts_are_near_duplicates():
    prompts = [(q["slug"], _normalised(q["prompt"])) for _, q in QUESTIONS]
    close = [
        (a, b, round(ratio))
        for (a, pa), (b, pb) in itertools.combinations(prompts, 2)
        if (ratio := fuzz.token_set_ratio(pa, pb)) >= 85
    ]
    assert close == []
