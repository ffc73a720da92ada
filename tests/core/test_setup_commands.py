"""`make run` runs migrate, import_questions and seed_demo every time: nothing may duplicate."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from hiring.models import InterviewSet, Membership
from questionbank.models import Question, RubricCriterion, Tag, Topic

pytestmark = pytest.mark.django_db


def counts() -> dict:
    models = [get_user_model(), Membership, InterviewSet, Question, RubricCriterion, Tag, Topic]
    return {model.__name__: model.objects.count() for model in models}


def test_setup_twice_changes_nothing():
    for _ in range(2):
        call_command("import_questions", verbosity=0)
        call_command("seed_demo", verbosity=0)
    first = counts()
    call_command("import_questions", verbosity=0)
    call_command("seed_demo", verbosity=0)
    assert counts() == first
    assert first["User"] == 3 and first["InterviewSet"] == 1


def test_demo_accounts_log_in(client):
    call_command("import_questions", verbosity=0)
    call_command("seed_demo", verbosity=0)
    for username, password in [
        ("candidate", "viva-candidate"),
        ("hiring", "viva-hiring"),
        ("curator", "viva-curator"),
    ]:
        assert client.login(username=username, password=password), username
    assert get_user_model().objects.get(username="curator").is_staff


def test_the_demo_curator_keeps_the_bank_and_nothing_else(client):
    call_command("import_questions", verbosity=0)
    call_command("seed_demo", verbosity=0)
    curator = get_user_model().objects.get(username="curator")
    assert curator.is_staff and not curator.is_superuser
    assert curator.has_perm("questionbank.change_question")
    assert curator.has_perm("questionbank.add_sampleanswer")
    assert not curator.has_perm("auth.change_user")
    assert not curator.has_perm("auth.change_group")
    client.force_login(curator)
    assert client.get("/admin/questionbank/question/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403


def test_seed_demo_demotes_a_curator_left_as_superuser():
    call_command("seed_demo", verbosity=0)
    get_user_model().objects.filter(username="curator").update(is_superuser=True)
    call_command("seed_demo", verbosity=0)
    assert not get_user_model().objects.get(username="curator").is_superuser


def test_a_missing_secret_key_is_one_line_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    done = subprocess.run(
        [sys.executable, "manage.py", "export_questions", "--out", str(tmp_path)],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Viva cannot start: SECRET_KEY is not set. Set it in the environment "
        "(or set DEBUG=1 for local development)."
    ]


def test_favicon_ico_points_at_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/favicon.svg")
