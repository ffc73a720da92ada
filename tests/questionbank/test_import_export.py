from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from questionbank.models import Question, RubricCriterion, Topic
from questionbank.selectors import question_record
from questionbank.services import BUNDLED_BANK_DIR, bank_export, bank_import
from questionbank.yaml_format import BankFormatError

pytestmark = pytest.mark.django_db

GOOD = """
topic: {slug: caching, name: Caching, description: Cache layers.}
questions:
  - slug: caching-what-is-ttl
    title: What is a TTL?
    level: junior
    kind: free_text
    status: published
    suggested_minutes: 3
    tags: [caching/ttl]
    prompt: |
      What is a TTL on a cache entry?
    model_answer: |
      A time to live says how long an entry may be served before it expires.
    criteria:
      - {label: Expiry after a time, weight: 3, required: true, keywords: [expires, time to live]}
      - {label: Staleness bound, weight: 2, keywords: [stale, out of date]}
      - {label: Chosen by volatility, weight: 1, keywords: [volatile, changes often]}
  - slug: caching-leaderboard-mcq
    title: Leaderboard structure
    level: junior
    kind: multiple_choice
    status: published
    prompt: Which Redis type fits a leaderboard?
    choices:
      - {text: Sorted set, correct: true, explanation: Ordered by score.}
      - {text: List, correct: false, explanation: Insertion order only.}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot_bank() -> dict:
    return {
        q.slug: question_record(q)
        for q in Question.objects.prefetch_related("tags", "criteria", "choices")
    }


def test_import_is_idempotent_by_slug(tmp_path):
    path = write(tmp_path, "caching.yaml", GOOD)
    first = bank_import(paths=[path])
    second = bank_import(paths=[path])
    assert (first.created, second.created, second.unchanged) == (2, 0, 2)
    assert Question.objects.count() == 2
    assert RubricCriterion.objects.count() == 3


def test_reimport_updates_instead_of_duplicating(tmp_path):
    bank_import(paths=[write(tmp_path, "caching.yaml", GOOD)])
    changed = GOOD.replace("What is a TTL?", "What does a TTL do?")
    report = bank_import(paths=[write(tmp_path, "caching.yaml", changed)])
    assert report.updated == 1
    question = Question.objects.get(slug="caching-what-is-ttl")
    assert question.title == "What does a TTL do?"
    assert question.version == 2


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("topic: [oops", "not valid YAML (line 1"),
        (
            GOOD.replace(
                "level: junior\n    kind: free_text", "level: expert\n    kind: free_text"
            ),
            "question caching-what-is-ttl: level: must be one of junior, mid, senior",
        ),
        (
            GOOD.replace("weight: 3", "weight: heavy"),
            "question caching-what-is-ttl: criteria[1].weight: must be a number (got 'heavy')",
        ),
        (
            GOOD.replace("level: junior", "level: junior\n    colour: blue", 1),
            "question caching-what-is-ttl: colour: unknown field",
        ),
        (
            GOOD.replace("suggested_minutes: 3", "suggested_minutes: 500", 1),
            "question caching-what-is-ttl: suggested_minutes: must be a whole number from 1 to 120",
        ),
        (
            GOOD.replace("correct: false", "correct: true"),
            "question caching-leaderboard-mcq: choices: "
            "exactly one choice must be correct (found 2)",
        ),
        (
            GOOD.replace(
                "      - {text: List, correct: false, explanation: Insertion order only.}\n",
                "".join(
                    f"      - {{text: Option {i}, correct: false, explanation: No.}}\n"
                    for i in range(6)
                ),
            ),
            "question caching-leaderboard-mcq: choices: at most 6 choices (found 7)",
        ),
        (
            GOOD.replace(
                "      A time to live says how long an entry may be served before it expires.\n", ""
            ),
            "question caching-what-is-ttl: model_answer: a published question needs a model answer",
        ),
    ],
)
def test_bad_file_is_rejected_whole_with_precise_message(tmp_path, broken, expected):
    good = write(
        tmp_path,
        "a-good.yaml",
        GOOD.replace("caching-", "other-").replace("slug: caching", "slug: other"),
    )
    bad = write(tmp_path, "b-bad.yaml", broken)
    with pytest.raises(BankFormatError) as excinfo:
        bank_import(paths=[good, bad])
    assert any(expected in problem for problem in excinfo.value.problems), excinfo.value.problems
    assert any(problem.startswith("b-bad.yaml") for problem in excinfo.value.problems)
    assert Question.objects.count() == 0 and Topic.objects.count() == 0


def test_duplicate_slug_across_files_is_reported(tmp_path):
    a = write(tmp_path, "a.yaml", GOOD)
    b = write(tmp_path, "b.yaml", GOOD.replace("slug: caching,", "slug: caching2,"))
    with pytest.raises(BankFormatError) as excinfo:
        bank_import(paths=[a, b])
    assert any("slug: duplicated (also in a.yaml)" in p for p in excinfo.value.problems)


def test_command_reports_problems_and_writes_nothing(tmp_path):
    bad = write(tmp_path, "bad.yaml", "questions: 3")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_questions", str(bad))
    assert Question.objects.count() == 0


def test_export_then_import_reproduces_the_bank_exactly(tmp_path):
    call_command("import_questions")
    before = snapshot_bank()
    assert len(before) > 10
    bank_export(out_dir=tmp_path / "out")
    Question.objects.all().delete()
    Topic.objects.all().delete()
    bank_import(paths=[tmp_path / "out"])
    assert snapshot_bank() == before


def test_exported_files_are_readable_yaml(tmp_path):
    bank_import(paths=[write(tmp_path, "caching.yaml", GOOD)])
    (path,) = bank_export(out_dir=tmp_path / "out")
    data = yaml.safe_load(path.read_text())
    assert data["topic"]["slug"] == "caching"
    assert "prompt: |" in path.read_text()


def test_bundled_bank_imports_cleanly():
    report = bank_import(paths=[BUNDLED_BANK_DIR])
    assert report.created == Question.objects.count() > 0


def test_duplicate_slug_within_one_file_is_reported(tmp_path):
    doubled = GOOD.replace("slug: caching-leaderboard-mcq", "slug: caching-what-is-ttl")
    with pytest.raises(BankFormatError) as excinfo:
        bank_import(paths=[write(tmp_path, "a.yaml", doubled)])
    assert any("slug: duplicated (also in a.yaml)" in p for p in excinfo.value.problems)
