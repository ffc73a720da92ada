"""An import never overwrites a question a curator edited here since its last import."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from questionbank.models import Question
from questionbank.services import bank_import

pytestmark = pytest.mark.django_db

BANK_FILE = textwrap.dedent(
    """
    topic: {slug: conflicts, name: Conflicts}
    questions:
      - slug: conflicts-question
        title: A question
        level: junior
        kind: free_text
        status: published
        suggested_minutes: MINUTES
        prompt: What is a cache?
        model_answer: A fast store of copies.
        criteria:
          - {label: Fast store, weight: 2, required: true, keywords: [fast store]}
          - {label: Copies, weight: 1, keywords: [copies]}
          - {label: Staleness, weight: 1, keywords: [stale]}
    """
)


def write_bank(tmp_path: Path, minutes: int) -> Path:
    path = tmp_path / "conflicts.yaml"
    path.write_text(BANK_FILE.replace("MINUTES", str(minutes)))
    return path


def curator_edit(question: Question) -> None:
    question.suggested_minutes = 8
    question.save()
    question.criteria.create(label="Hit ratio", weight=1, keywords=["hit ratio"], order=9)


def test_reimport_keeps_a_curator_edit_and_names_it(tmp_path):
    path = write_bank(tmp_path, 7)
    bank_import(paths=[path])
    question = Question.objects.get(slug="conflicts-question")
    curator_edit(question)
    version = Question.objects.get(pk=question.pk).version

    report = bank_import(paths=[path])

    question.refresh_from_db()
    assert (question.suggested_minutes, question.criteria.count(), question.version) == (
        8,
        4,
        version,
    )
    assert report.kept == ("conflicts-question",)
    assert report.conflicts() == ["kept your edit of conflicts-question; --overwrite to replace it"]


def test_a_changed_file_does_not_overwrite_the_edit_either(tmp_path):
    bank_import(paths=[write_bank(tmp_path, 7)])
    curator_edit(Question.objects.get(slug="conflicts-question"))
    report = bank_import(paths=[write_bank(tmp_path, 9)])
    assert report.kept == ("conflicts-question",)
    assert Question.objects.get(slug="conflicts-question").suggested_minutes == 8


def test_overwrite_replaces_the_edit(tmp_path):
    path = write_bank(tmp_path, 7)
    bank_import(paths=[path])
    curator_edit(Question.objects.get(slug="conflicts-question"))
    report = bank_import(paths=[path], overwrite=True)
    question = Question.objects.get(slug="conflicts-question")
    assert (question.suggested_minutes, question.criteria.count()) == (7, 3)
    assert report.updated == 1 and report.kept == ()
    # Now in step with the file: the next import changes nothing.
    assert bank_import(paths=[path]).unchanged == 1


def test_an_unedited_question_follows_the_file(tmp_path):
    bank_import(paths=[write_bank(tmp_path, 7)])
    report = bank_import(paths=[write_bank(tmp_path, 9)])
    assert report.updated == 1 and report.kept == ()
    assert Question.objects.get(slug="conflicts-question").suggested_minutes == 9


def test_an_edit_that_matches_the_file_is_no_conflict(tmp_path):
    bank_import(paths=[write_bank(tmp_path, 7)])
    question = Question.objects.get(slug="conflicts-question")
    question.suggested_minutes = 9
    question.save()
    report = bank_import(paths=[write_bank(tmp_path, 9)])
    assert report.unchanged == 1 and report.kept == ()
    # ...and from then on the file leads again.
    assert bank_import(paths=[write_bank(tmp_path, 10)]).updated == 1


def test_command_prints_each_conflict(tmp_path, capsys):
    path = write_bank(tmp_path, 7)
    call_command("import_questions", str(path))
    curator_edit(Question.objects.get(slug="conflicts-question"))
    call_command("import_questions", str(path))
    out = capsys.readouterr().out
    assert "0 updated, 0 unchanged, 1 kept." in out
    assert "kept your edit of conflicts-question; --overwrite to replace it" in out
    call_command("import_questions", str(path), "--overwrite")
    assert Question.objects.get(slug="conflicts-question").suggested_minutes == 7


@pytest.mark.slow
def test_make_setup_twice_keeps_an_admin_edit(tmp_path):
    """The real restart path: `make setup` (what `make run` runs first), an edit through
    the admin, `make setup` again."""
    db = tmp_path / "viva.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "VIVA_VAR_DIR": str(tmp_path),
        "DEBUG": "1",
    }
    env.pop("REDIS_URL", None)
    base = Path(settings.BASE_DIR)

    def setup() -> str:
        done = subprocess.run(
            ["make", "-s", "setup"], cwd=base, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    setup()
    slug = "caching-what-is-a-cache"
    edit = textwrap.dedent(
        f"""
        from django.test import Client
        from django.test.utils import setup_test_environment
        setup_test_environment()  # keeps response.context, to post back what the form shows
        from django.contrib.auth import get_user_model
        from questionbank.models import Question
        from tests.questionbank.admin_forms import browser_post_data
        q = Question.objects.get(slug="{slug}")
        client = Client()
        client.force_login(get_user_model().objects.get(username="curator"))
        page = client.get(f"/admin/questionbank/question/{{q.pk}}/change/")
        data = browser_post_data(page, suggested_minutes=8)
        response = client.post(f"/admin/questionbank/question/{{q.pk}}/change/", data)
        if response.status_code != 302:
            errors = [response.context["adminform"].form.errors]
            errors += [f.formset.errors for f in response.context["inline_admin_formsets"]]
            raise AssertionError(errors)
        """
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", edit],
        cwd=base, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        minutes, version = conn.execute(
            "select suggested_minutes, version from questionbank_question where slug = ?", (slug,)
        ).fetchone()
    assert minutes == 8

    out = setup()

    assert f"kept your edit of {slug}; --overwrite to replace it" in out
    with sqlite3.connect(db) as conn:
        after = conn.execute(
            "select suggested_minutes, version from questionbank_question where slug = ?", (slug,)
        ).fetchone()
    assert after == (8, version)
