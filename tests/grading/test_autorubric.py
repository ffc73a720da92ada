"""Rubric suggestions from a model answer (pure, no Django)."""

from __future__ import annotations

import pytest

from grading.autorubric import suggest_rubric
from grading.rubric import Criterion, grade
from grading.text import tokenize

STAMPEDE_PROMPT = "What is a cache stampede and how do you prevent one?"
STAMPEDE_MODEL = (
    "A cache stampede happens when a popular key expires and many concurrent requests miss "
    "the cache at the same time, so they all recompute the value and hit the database "
    "together, which can overload it. To prevent it, use request coalescing or a lock so "
    "that only one request rebuilds the entry while the others wait or serve stale data. "
    "Adding random jitter to the TTL spreads expiries out, and refreshing hot keys early "
    "before they expire avoids the thundering herd entirely."
)
CTOR_PROMPT = "How does a constructor differ from a method in Java?"
CTOR_MODEL = (
    "A constructor has the same name as the class and is called automatically when an "
    "object is created with new. Constructors do not have a return type, not even void, "
    "and they are not inherited. A method is called explicitly, has a return type and can "
    "be inherited and overridden."
)


def stems_of(text: str) -> set[str]:
    toks = tokenize(text)
    return {s for s, stop in zip(toks.stems, toks.stop) if not stop}


def test_suggests_three_to_eight_weighted_criteria():
    criteria = suggest_rubric(STAMPEDE_PROMPT, STAMPEDE_MODEL)
    assert 3 <= len(criteria) <= 8
    for c in criteria:
        assert isinstance(c, Criterion)
        assert c.weight > 0
        assert c.keywords and all(isinstance(k, str) and k for k in c.keywords)
        assert c.label.startswith(("Mentions: ", "Uses the question's terms: "))


def test_max_criteria_is_respected():
    assert len(suggest_rubric(STAMPEDE_PROMPT, STAMPEDE_MODEL, max_criteria=4)) <= 4


def test_keeps_meaningful_phrases():
    keywords = {k for c in suggest_rubric(STAMPEDE_PROMPT, STAMPEDE_MODEL) for k in c.keywords}
    assert "thundering herd" in keywords  # the trailing adverb is trimmed
    assert any(len(k.split()) >= 2 for k in keywords)


def test_prompt_words_are_left_out_of_the_criteria():
    prompt_stems = stems_of(STAMPEDE_PROMPT)
    for c in suggest_rubric(STAMPEDE_PROMPT, STAMPEDE_MODEL):
        if c.label.startswith("Mentions: "):
            assert not stems_of(c.keywords[0]) <= prompt_stems, c


def test_rare_terms_weigh_more_than_common_ones():
    criteria = suggest_rubric(
        "What should a client do when a request times out?",
        "Use the idempotency key. Make sure the thing is good.",
        max_criteria=8,
    )
    weights = {c.keywords[0]: c.weight for c in criteria}
    assert weights["idempotency key"] > weights["thing"]


def test_synonyms_become_keyword_alternatives():
    criteria = suggest_rubric(
        "Why add an index to a column?", "Lookups become fast. It avoids a full scan."
    )
    fast = next(c for c in criteria if "fast" in c.keywords[0])
    assert any("quick" in k for k in fast.keywords)


def test_negated_statements_become_negative_keywords():
    criteria = suggest_rubric(CTOR_PROMPT, CTOR_MODEL)
    return_type = next(c for c in criteria if "return type" in c.label)
    assert return_type.keywords[0] == "not return type"
    result = grade(CTOR_PROMPT, criteria, "Constructors have no return type.")
    assert next(v for v in result.verdicts if v.label == return_type.label).verdict == "met"


def test_model_answer_scores_full_marks_and_the_prompt_nothing():
    for prompt, model in ((STAMPEDE_PROMPT, STAMPEDE_MODEL), (CTOR_PROMPT, CTOR_MODEL)):
        criteria = suggest_rubric(prompt, model)
        assert grade(prompt, criteria, model).score >= 90
        assert grade(prompt, criteria, prompt).score <= 5


def test_suggestion_is_deterministic():
    assert suggest_rubric(STAMPEDE_PROMPT, STAMPEDE_MODEL) == suggest_rubric(
        STAMPEDE_PROMPT, STAMPEDE_MODEL
    )


@pytest.mark.parametrize("model", ["", "   ", "?!"])
def test_empty_model_answer_gives_no_criteria(model):
    assert suggest_rubric("Anything?", model) == []


def test_tiny_model_answer_gives_what_it_can():
    criteria = suggest_rubric("How are arrays passed to functions?", "By reference.")
    assert [c.keywords[0] for c in criteria] == ["reference"]
