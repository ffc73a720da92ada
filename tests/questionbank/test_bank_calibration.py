"""The bundled bank's rubrics are written for candidates, not copied from the model
answer, and every free-text question carries sample answers a fair interviewer scored."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from grading.calibration import Graded, agreement
from grading.services import grade_text
from questionbank.markdown import render_markdown
from questionbank.quality import shared_run, verbatim_share
from tests.questionbank.test_bank_quality import FREE_TEXT, MCQ, QUESTIONS

IDS = [q["slug"] for _, q in FREE_TEXT]
SAMPLE_KINDS = {"strong", "terse", "partial", "wrong", "rambling"}
LIST_ITEM = re.compile(r"\s*([-*+]|\d+\.)\s")


@pytest.mark.parametrize(("topic", "question"), FREE_TEXT, ids=IDS)
def test_every_question_has_the_five_kinds_of_scored_sample(topic, question):
    samples = question["samples"]
    assert len(samples) >= 5
    assert {s["kind"] for s in samples} >= SAMPLE_KINDS
    assert all(s["reason"] and 0 <= s["score"] <= 100 for s in samples)


@pytest.mark.parametrize(("topic", "question"), FREE_TEXT, ids=IDS)
def test_no_sample_copies_six_words_of_its_model_answer(topic, question):
    for sample in question["samples"]:
        run = shared_run(sample["text"], question["model_answer"])
        assert run is None, f"{sample['kind']} sample shares {run!r} with the model answer"


@pytest.mark.parametrize(("topic", "question"), FREE_TEXT, ids=IDS)
def test_at_most_40_percent_of_phrasings_come_from_the_model_answer(topic, question):
    phrasings = [k for c in question["criteria"] for k in c["keywords"]]
    share = verbatim_share(model_answer=question["model_answer"], phrasings=phrasings)
    assert share <= 0.40, f"{share:.0%} of the phrasings are in the model answer"


def test_most_mid_and_senior_questions_list_a_misconception():
    harder = [q for _, q in FREE_TEXT if q["level"] in {"mid", "senior"}]
    with_claims = [q for q in harder if q["misconceptions"]]
    assert len(with_claims) >= 0.6 * len(harder)


@pytest.mark.parametrize(("topic", "question"), FREE_TEXT, ids=IDS)
def test_no_right_answer_makes_one_of_its_misconceptions(topic, question):
    """A claim must be distinctive of the wrong belief: the model answer and the strong,
    terse and partial samples never trip one."""
    right = [("model answer", question["model_answer"])] + [
        (f"{s['kind']} sample", s["text"])
        for s in question["samples"]
        if s["kind"] in {"strong", "terse", "partial"}
    ]
    for name, text in right:
        result = grade_text(snapshot=question, text=text)
        assert not result.misconceptions, (name, [m.claim for m in result.misconceptions])


def test_every_free_text_question_lists_misconceptions():
    assert all(len(q["misconceptions"]) >= 3 for _, q in FREE_TEXT)


def test_each_level_has_a_dozen_multiple_choice_questions():
    levels = Counter(q["level"] for _, q in MCQ)
    assert min(levels[level] for level in ("junior", "mid", "senior")) >= 12, levels


def test_the_right_option_is_not_usually_first():
    first = sum(q["choices"][0]["is_correct"] for _, q in MCQ)
    assert first <= 0.4 * len(MCQ)


@pytest.mark.parametrize(("topic", "question"), QUESTIONS, ids=[q["slug"] for _, q in QUESTIONS])
def test_every_list_in_the_bank_renders_as_a_list(topic, question):
    """A list needs a blank line before it, or Markdown folds it into the paragraph."""
    for field in ("prompt", "model_answer"):
        for paragraph in re.findall(r"<p>(.*?)</p>", str(render_markdown(question[field])), re.S):
            items = [line for line in paragraph.splitlines() if LIST_ITEM.match(line)]
            assert not items, f"{field}: a list rendered as a paragraph: {items[0]!r}"


def test_samples_agree_with_their_human_scores():
    """The calibration gate's headline figures on the bank's own samples, as measured
    in docs/grading.md; a rule change that makes them worse fails here."""
    graded = [
        Graded(s["kind"], s["score"], grade_text(snapshot=q, text=s["text"]).score)
        for _, q in FREE_TEXT
        for s in q["samples"]
    ]
    figures = agreement(graded)
    assert figures.pearson >= 0.875
    assert figures.mae <= 11.5
    assert figures.strong_low_share <= 0.05
    assert figures.wrong_high_share <= 0.045
