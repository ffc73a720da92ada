"""`calibrate --llm`: the keyword grader, the LLM and the combined grade measured against the
human scores of the sample answers, through the real ``openai`` client and a real HTTP
server speaking the chat-completions protocol (tests/grading/fake_openai.py)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from grading import services
from grading.agreement import call_figures, combined_score, nearest_rank
from grading.calibration import Graded, agreement
from grading.llm import LlmOutcome
from grading.rubric import Result
from questionbank.models import SampleAnswer
from questionbank.selectors import question_snapshot
from tests.factories import QuestionFactory, add_rubric

from . import fake_openai as _fake_openai_module
from .fake_openai import Reply

fake_openai = _fake_openai_module.fake_openai

pytestmark = pytest.mark.django_db

LABELS = ("Same state after repeats", "Safe to retry", "Examples: PUT and DELETE", "POST is not")
USAGE = (321, 54)  # the fake server's default prompt and completion tokens per reply


def verdicts(*items: tuple[str, str]) -> dict:
    """A model reply judging the four criteria of ``add_rubric`` in order: (verdict, quote)."""
    return {
        "criteria": [
            {"index": i, "label": label, "verdict": verdict, "quote": quote}
            for i, (label, (verdict, quote)) in enumerate(zip(LABELS, items, strict=True), 1)
        ],
        "feedback": "Scripted feedback.",
    }


MISSED = ("missed", "")

# kind, human score, answer, what the scripted model replies, the LLM's own score, and
# which grade the product keeps.
SAMPLES = [
    (
        "strong",
        95,
        "Repeating it leaves the server in the same state, so a client can safely retry. "
        "PUT and DELETE are idempotent; POST creates a new resource each time.",
        verdicts(
            ("met", "leaves the server in the same state"),
            ("met", "a client can safely retry"),
            ("met", "PUT and DELETE are idempotent"),
            ("met", "POST creates a new resource each time"),
        ),
        100.0,
        "llm",  # the two agree
    ),
    (
        "strong",
        90,
        # a paraphrase the rubric's keywords miss: the model sees it, the keyword grader not
        "Sending it twice has the effect of sending it once, so a client may resend after a "
        "timeout without harm; PUT and DELETE work like that.",
        verdicts(
            ("met", "Sending it twice has the effect of sending it once"),
            ("met", "a client may resend after a timeout without harm"),
            ("met", "PUT and DELETE work like that"),
            MISSED,
        ),
        87.5,
        "keyword",  # far above the keyword evidence: capped, a human decides
    ),
    (
        "terse",
        60,
        "Repeats leave the same state, so clients can safely retry.",
        verdicts(
            ("met", "Repeats leave the same state"),
            ("met", "clients can safely retry"),
            MISSED,
            MISSED,
        ),
        62.5,
        "llm",
    ),
    (
        "wrong",
        5,
        "It is about HTTP verbs and speed.",
        verdicts(MISSED, MISSED, MISSED, MISSED),
        0.0,
        "llm",
    ),
    (
        "rambling",
        10,
        "REST, microservices, cloud, scalability, synergy, HTTP, verbs, APIs, JSON everywhere.",
        # an invented quote voids the criterion
        verdicts(("met", "the same state every time"), MISSED, MISSED, MISSED),
        0.0,
        "llm",
    ),
    (
        "wrong",
        15,
        # the right words around a wrong idea: the keyword grader is fooled, the model not
        "It gives the same result quickly because the response is cached, so retries are "
        "cheap; PUT is cached and DELETE is not.",
        verdicts(MISSED, MISSED, MISSED, MISSED),
        0.0,
        "keyword",  # the two disagree by more than 25 points: the keyword grade stands
    ),
    (
        "partial",
        45,
        "Doing it twice leaves the same state as doing it once.",
        Reply.error(500),  # the call fails: the keyword grade stands
        None,
        "keyword",
    ),
]


def answer_between_boundaries(request) -> str:
    user = request.message_text("user")
    found = re.search(r"<<<ANSWER (\w+)\n(.*)\nANSWER \1>>>", user, flags=re.DOTALL)
    assert found, user
    return found.group(2)


@pytest.fixture
def bank(db):
    question = add_rubric(QuestionFactory(slug="idempotency"))
    for order, (kind, human, text, *_rest) in enumerate(SAMPLES):
        SampleAnswer.objects.create(
            question=question, kind=kind, score=human, text=text, order=order
        )
    other = add_rubric(QuestionFactory(slug="other-question"))
    SampleAnswer.objects.create(question=other, kind="strong", score=90, text=SAMPLES[0][2])
    return question


@pytest.fixture
def model(settings, fake_openai):
    """The LLM configured at the fake server, which replies per answer whatever the order."""
    settings.OPENAI_API_KEY = "any-string"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.GRADING_LLM_MODEL = "scripted-model"
    settings.GRADING_LLM_TIMEOUT = 5.0
    replies = {text: reply for _kind, _human, text, reply, *_rest in SAMPLES}
    fake_openai.respond_with(lambda request: replies[answer_between_boundaries(request)])
    return fake_openai


def run_json(*args: str, capsys) -> tuple[list[str], dict]:
    call_command("calibrate", "--llm", "--json", *args)
    lines = capsys.readouterr().out.strip().splitlines()
    return lines, json.loads(lines[-1])


def expected_figures(bank) -> dict[str, dict]:
    """What each grader should score, from the table above and the keyword grades."""
    keyword, llm, combined = [], [], []
    snapshot = question_snapshot(bank)
    for kind, human, text, _reply, llm_score, kept in SAMPLES:
        keyword_score = services.grade_text(snapshot=snapshot, text=text).score
        # the table's premise: the default uplift (15) and disagreement (25) limits decide
        agrees = llm_score is not None and -25 <= llm_score - keyword_score <= 15
        assert agrees == (kept == "llm"), f"keyword grade {keyword_score} of {text!r}"
        keyword.append(Graded(kind, human, keyword_score))
        if llm_score is not None:
            llm.append(Graded(kind, human, llm_score))
        combined.append(Graded(kind, human, llm_score if kept == "llm" else keyword_score))
    return {
        name: agreement(graded).as_dict()
        for name, graded in (("keyword", keyword), ("llm", llm), ("combined", combined))
    }


def test_three_graders_are_measured_against_the_human_scores(bank, model, capsys):
    lines, summary = run_json("--slug", "idempotency", capsys=capsys)
    expected = expected_figures(bank)
    assert summary["graders"] == expected
    # The LLM alone, by hand: the failed call is left out of its figures.
    llm = summary["graders"]["llm"]
    assert llm["n"] == 6 and summary["graders"]["combined"]["n"] == 7
    assert llm["mae"] == pytest.approx((5 + 2.5 + 2.5 + 5 + 10 + 15) / 6, abs=1e-4)
    assert llm["strong_low_share"] == 0 and llm["wrong_high_share"] == 0
    # The keyword grader is fooled by the wrong answer in the right words; the combined
    # grade keeps it (the disagreement goes to a human), and adopts the agreeing LLM grades.
    assert summary["graders"]["keyword"]["wrong_high_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary["graders"]["combined"]["wrong_high_share"] == pytest.approx(1 / 3, abs=1e-4)
    text = "\n".join(lines)
    for name in ("keyword", "llm", "combined"):
        assert re.search(rf"^\s+{name}\s+\d+\s", text, flags=re.MULTILINE), text
    assert "Mean score by sample kind" in text


def test_the_keyword_figures_match_the_plain_calibration(bank, model, capsys):
    _lines, summary = run_json("--slug", "idempotency", capsys=capsys)
    call_command("calibrate", "--slug", "idempotency", "--json")
    plain = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    keyword = summary["graders"]["keyword"]
    assert keyword == {key: plain[key] for key in keyword}


def test_calls_tokens_and_time_are_counted(bank, model, capsys):
    _lines, summary = run_json("--slug", "idempotency", capsys=capsys)
    calls = summary["calls"]
    assert len(model.requests) == calls["made"] == len(SAMPLES)
    assert calls["failed"] == 1 and calls["failures"] == {"server_error": 1}
    answered = len(SAMPLES) - 1  # an error reply carries no token usage
    assert calls["prompt_tokens"] == answered * USAGE[0]
    assert calls["completion_tokens"] == answered * USAGE[1]
    assert calls["prompt_tokens_per_call"] == pytest.approx(
        answered * USAGE[0] / len(SAMPLES), abs=0.05
    )
    assert calls["completion_tokens_per_call"] == pytest.approx(
        answered * USAGE[1] / len(SAMPLES), abs=0.05
    )
    assert calls["sent_to_review"] == 2  # the capped paraphrase and the disagreement
    assert calls["mean_ms"] >= 0 and calls["p95_ms"] >= 0 and calls["wall_seconds"] >= 0
    assert set(calls) == {
        "made",
        "failed",
        "failures",
        "prompt_tokens",
        "completion_tokens",
        "prompt_tokens_per_call",
        "completion_tokens_per_call",
        "mean_ms",
        "p95_ms",
        "sent_to_review",
        "wall_seconds",
    }
    # What the model was sent: the configured model and key, one call per sample.
    assert {r.body["model"] for r in model.requests} == {"scripted-model"}
    assert {r.headers["authorization"] for r in model.requests} == {"Bearer any-string"}


def test_json_shape(bank, model, capsys):
    _lines, summary = run_json("--slug", "idempotency", capsys=capsys)
    assert set(summary) == {"mode", "model", "questions", "samples", "graders", "calls"}
    assert summary["mode"] == "llm" and summary["model"] == "scripted-model"
    assert summary["questions"] == 1 and summary["samples"] == len(SAMPLES)
    assert set(summary["graders"]) == {"keyword", "llm", "combined"}
    for figures in summary["graders"].values():
        assert set(figures) == {
            "pearson",
            "spearman",
            "mae",
            "strong_low_share",
            "wrong_high_share",
            "n",
        }


def test_concurrent_calls_give_the_same_figures(bank, model, capsys):
    _lines, one_at_a_time = run_json("--slug", "idempotency", capsys=capsys)
    _lines, four_at_a_time = run_json("--slug", "idempotency", "--concurrency", "4", capsys=capsys)
    assert four_at_a_time["graders"] == one_at_a_time["graders"]
    for key in ("made", "failed", "failures", "prompt_tokens", "completion_tokens"):
        assert four_at_a_time["calls"][key] == one_at_a_time["calls"][key]


def test_limit_caps_the_samples_and_the_calls(bank, model, capsys):
    _lines, summary = run_json("--limit", "2", capsys=capsys)
    assert summary["samples"] == 2 and summary["calls"]["made"] == 2
    assert len(model.requests) == 2
    # without --slug every bank question counts, in bank order
    _lines, everything = run_json(capsys=capsys)
    assert everything["samples"] == len(SAMPLES) + 1 and everything["questions"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], "--limit must be at least 1"),
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--slug", "nope"], "No free-text questions match"),
    ],
)
def test_bad_options_are_refused_clearly(bank, model, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("calibrate", "--llm", *args)
    assert not model.requests


def test_questions_without_samples_are_refused_clearly(bank, model):
    add_rubric(QuestionFactory(slug="no-samples"))
    with pytest.raises(CommandError, match="have no sample answers"):
        call_command("calibrate", "--llm", "--slug", "no-samples")
    assert not model.requests


def test_limit_and_concurrency_need_llm(bank):
    with pytest.raises(CommandError, match="go with --llm"):
        call_command("calibrate", "--limit", "3")


@pytest.mark.parametrize("unset", ["GRADING_LLM_MODEL", "OPENAI_API_KEY"])
def test_no_llm_configured_is_a_clear_error(bank, settings, fake_openai, unset):
    settings.OPENAI_API_KEY = "key"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.GRADING_LLM_MODEL = "model"
    setattr(settings, unset, "")
    with pytest.raises(CommandError, match="No LLM is configured: set GRADING_LLM_MODEL"):
        call_command("calibrate", "--llm")
    assert not fake_openai.requests


def test_no_llm_configured_exits_non_zero_without_a_traceback(tmp_path):
    env = {
        **os.environ,
        "SECRET_KEY": "t",
        "OPENAI_API_KEY": "",
        "OPENAI_BASE_URL": "",
        "GRADING_LLM_MODEL": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "calibrate", "--llm"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "No LLM is configured" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# -- the pieces ------------------------------------------------------------------------


def outcome(**fields) -> LlmOutcome:
    values = {
        "ok": True,
        "error": "",
        "score": 70.0,
        "raw_score": 70.0,
        "verdicts": (),
        "feedback": "",
        "flags": (),
        "needs_review": False,
        "model": "m",
        "prompt_version": "v",
        "prompt_tokens": 10,
        "completion_tokens": 2,
        "duration_ms": 100,
    }
    return LlmOutcome(**{**values, **fields})


def test_combined_score_follows_the_final_grade_rule():
    keyword = Result(score=60.0, verdicts=(), flags=(), confidence=1.0)
    assert combined_score(keyword, outcome()) == 70.0
    assert combined_score(keyword, outcome(needs_review=True, score=75.0)) == 60.0
    assert combined_score(keyword, outcome(ok=False, error="timeout", score=None)) == 60.0


def test_nearest_rank_percentile():
    assert nearest_rank([5, 1, 4, 2, 3], 95) == 5
    assert nearest_rank(list(range(1, 101)), 95) == 95
    assert nearest_rank([7], 95) == 7
    assert math.isnan(nearest_rank([], 95))


def test_call_figures():
    figures = call_figures(
        [outcome(duration_ms=100), outcome(duration_ms=300, ok=False, error="timeout")],
        wall_seconds=0.4,
    )
    assert (figures.made, figures.failed, figures.failures) == (2, 1, {"timeout": 1})
    assert (figures.prompt_tokens, figures.completion_tokens) == (20, 4)
    assert figures.mean_ms == 200 and figures.p95_ms == 300
    assert figures.as_dict()["prompt_tokens_per_call"] == 10.0
