"""Suggested ideas for curators and teams: sentences of the model answer, the answer's own
phrases plus curated technical equivalents, one idea required."""

from __future__ import annotations

import re

from grading.ideas import DOMAIN_EQUIVALENTS, suggest_ideas
from grading.rubric import grade

PROMPT = (
    "What is the difference between continuous integration, continuous delivery and "
    "continuous deployment?"
)
MODEL = (
    "Continuous integration means merging small changes to main frequently, with an "
    "automated build and tests on every merge. Continuous delivery keeps main always "
    "releasable: every change passes a pipeline and can be deployed with one click. "
    "Continuous deployment goes further and releases every passing change to production "
    "automatically, with no human approval."
)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9-]+", text.lower()))


def test_one_idea_per_sentence_and_exactly_one_required():
    ideas = suggest_ideas(PROMPT, MODEL)
    assert len(ideas) == 3
    assert sum(idea.required for idea in ideas) == 1
    assert ideas[0].label.startswith("Continuous integration means merging small changes")


def test_phrasings_come_from_the_answer_or_the_curated_table_only():
    allowed = (
        words(MODEL)
        | {"not"}
        | {w for group in DOMAIN_EQUIVALENTS for t in group for w in words(t)}
    )
    for idea in suggest_ideas(PROMPT, MODEL):
        for keyword in idea.keywords:
            assert words(keyword) <= allowed, keyword  # no "deallocate", "clone delivery"
        assert "means" not in idea.keywords and "keeps" not in idea.keywords


def test_the_model_answer_scores_full_marks_and_a_stranger_nothing():
    ideas = suggest_ideas(PROMPT, MODEL)
    assert grade(PROMPT, ideas, MODEL).score == 100
    assert grade(PROMPT, ideas, "A cache keeps copies of expensive results.").score == 0


def test_empty_or_prompt_only_answers_suggest_nothing():
    assert suggest_ideas(PROMPT, "") == []
    assert suggest_ideas(PROMPT, "Continuous integration. Continuous delivery.") == []
