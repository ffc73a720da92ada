"""`calibrate` and `grade_answers`: the calibration gate and grading any CSV of answers
through the production path."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import CommandError, call_command

from grading.calibration import Graded, agreement, question_calibration
from questionbank.models import SampleAnswer
from tests.factories import QuestionFactory, add_rubric

pytestmark = pytest.mark.django_db

GOOD = (
    "Repeating it leaves the server in the same state, so a client can safely retry. "
    "PUT and DELETE are idempotent; POST creates a new resource each time."
)


def test_question_calibration_needs_order_and_closeness():
    ok = [Graded("strong", 95, 90), Graded("partial", 50, 55), Graded("wrong", 5, 10)]
    assert question_calibration(ok).calibrated
    far = [Graded("strong", 95, 70), Graded("wrong", 5, 10)]
    status = question_calibration(far)
    assert not status.calibrated and "strong answer graded 70, human 95" in status.problems[0]
    swapped = [Graded("strong", 95, 40), Graded("wrong", 5, 45)]
    assert any("not above" in p for p in question_calibration(swapped).problems)
    assert not question_calibration([]).calibrated


def test_agreement_figures():
    figures = agreement(
        [Graded("a", 90, 50), Graded("b", 85, 90), Graded("c", 10, 60), Graded("d", 0, 0)]
    )
    assert figures.n == 4
    assert figures.strong_low_share == 0.5 and figures.wrong_high_share == 0.5
    assert figures.mae == pytest.approx((40 + 5 + 50 + 0) / 4)


@pytest.fixture
def calibrated_question(db):
    question = add_rubric(QuestionFactory(slug="idempotency"))
    for kind, score, text in [
        ("strong", 95, GOOD),
        ("partial", 45, "It leaves the same state when repeated."),
        ("wrong", 5, "It is about HTTP verbs and speed."),
    ]:
        SampleAnswer.objects.create(question=question, kind=kind, score=score, text=text)
    return question


def test_calibrate_prints_each_question_and_a_json_summary(calibrated_question, capsys):
    call_command("calibrate", "--json")
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("idempotency: ")
    summary = json.loads(out[-1])
    assert summary["n"] == 3 and summary["questions"] == 1
    assert set(summary) >= {"pearson", "spearman", "mae", "strong_low_share", "wrong_high_share"}


def test_calibrate_with_nothing_to_do_says_so(db):
    with pytest.raises(CommandError, match="No free-text questions match"):
        call_command("calibrate", "--slug", "nope")


def test_grade_answers_writes_scores_and_agreement(calibrated_question, tmp_path, capsys):
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["slug", "answer", "human_score"])
        writer.writerow(["idempotency", GOOD, "95"])
        writer.writerow(["idempotency", "It is about HTTP verbs and speed.", "5"])
        writer.writerow(["idempotency", "No human score for this one.", ""])
    call_command("grade_answers", "--csv", str(source), "--out", str(out), "--json")
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["n"] == 2 and summary["pearson"] == pytest.approx(1.0)
    rows = list(csv.DictReader(out.open()))
    assert [r["slug"] for r in rows] == ["idempotency"] * 3
    assert float(rows[0]["score"]) >= 80 and float(rows[1]["score"]) <= 20
    assert set(rows[0]) >= {"score", "confidence", "flags", "needs_review"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("idempotency,ok,abc\n", "not a number"),
        ("idempotency,ok,150\n", "0 to 100"),
        ("missing-slug,some answer\n", "No free-text question with slug"),
        ("only-one-column\n", "expected slug,answer"),
        ("", "has no answers"),
    ],
)
def test_grade_answers_refuses_bad_input_clearly(calibrated_question, tmp_path, content, message):
    source = tmp_path / "in.csv"
    source.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("grade_answers", "--csv", str(source), "--out", str(tmp_path / "o.csv"))
