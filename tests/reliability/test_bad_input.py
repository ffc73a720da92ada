"""Bad input is refused clearly, stored exactly when it is valid, and always shown escaped.

Everything goes through HTTP (or the management commands) as a user or a script would.
Invitation tokens (forged, expired, tampered) are covered in tests/hiring/test_invitations.py.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from grading.services import grade_answer
from hiring.models import Invitation, Team
from interviews.models import Answer, Session
from questionbank.models import Question, Topic
from tests.factories import UserFactory
from tests.hiring import conftest as hiring_fixtures
from tests.hiring.test_builder import _criteria_post
from tests.interviews import conftest as interview_fixtures
from tests.interviews.conftest import HX
from tests.questionbank.test_import_export import GOOD as GOOD_YAML

pytestmark = pytest.mark.django_db

# Fixtures of the interviews and hiring tests, bound by assignment (not import) so that
# test arguments named after them do not read as redefinitions.
bank = interview_fixtures.bank
session = interview_fixtures.session
cand_client = interview_fixtures.cand_client
world = hiring_fixtures.world
_fast_passwords = hiring_fixtures._fast_passwords  # autouse: cheap password hashing

OK_TEXT = "Repeating it leaves the same state, so clients can safely retry. PUT and DELETE."


def save_url(session, position=0):
    return reverse("interviews:save", args=[session.id, position])


def stored(session, position=0) -> str:
    return Answer.objects.get(session=session, position=position).saved_text


# ------------------------------------------------------------------------- answer size


def test_limit_is_inclusive_and_one_more_character_is_refused(session, cand_client, settings):
    limit = settings.ANSWER_MAX_CHARS
    exactly = "a" * limit
    assert cand_client.post(save_url(session), {"text": exactly}, headers=HX).status_code == 200
    assert stored(session) == exactly
    response = cand_client.post(save_url(session), {"text": exactly + "b"}, headers=HX)
    assert response.status_code == 413
    html = response.content.decode()
    assert f"This answer is {limit + 1:,} characters; the limit is {limit:,}" in html
    assert "your previous draft is kept" in html
    assert stored(session) == exactly


def test_limit_counts_characters_not_bytes(session, cand_client, settings):
    emoji = "🚀" * settings.ANSWER_MAX_CHARS  # 4 bytes each in UTF-8
    assert cand_client.post(save_url(session), {"text": emoji}, headers=HX).status_code == 200
    assert stored(session) == emoji


def test_oversized_answer_without_javascript_is_refused_with_a_message(
    session, cand_client, settings
):
    cand_client.post(save_url(session), {"text": "kept draft"})
    big = "z" * (settings.ANSWER_MAX_CHARS + 1)
    response = cand_client.post(save_url(session), {"text": big, "go": "next"}, follow=True)
    assert response.status_code == 200
    assert "the limit is 20,000" in response.content.decode()
    assert stored(session) == "kept draft"


def test_a_body_beyond_the_upload_limit_is_a_400_and_keeps_the_draft(session, cand_client):
    cand_client.post(save_url(session), {"text": "kept draft"}, headers=HX)
    response = cand_client.post(save_url(session), {"text": "x" * 3_000_000}, headers=HX)
    assert response.status_code == 400
    assert stored(session) == "kept draft"


@pytest.mark.parametrize(
    "data",
    [
        {"text": "nul \x00 byte"},  # PostgreSQL cannot store NUL in text
        {"choice": "not-a-number"},
        {"text": "x", "seconds": "-5"},
    ],
    ids=["nul-byte", "bad-choice", "negative-seconds"],
)
def test_unreadable_saves_are_refused_and_keep_the_draft(session, cand_client, data):
    cand_client.post(save_url(session), {"text": "kept draft"}, headers=HX)
    response = cand_client.post(save_url(session), data, headers=HX)
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert stored(session) == "kept draft"


# ------------------------------------------------------------------------- shown escaped

TRICKY = (
    "Same state after repeats; safe to retry. "
    '<script>alert("answer")</script> <img src=x onerror=alert(1)> '
    "Unicode: Zoë, 東京, emoji 🚀👩🏽‍💻, RTL עברית ومرحبا, override \u202edesrever\u202c, "
    "zero-width\u200bjoiner, combining e\u0301, quotes \"double\" 'single' & ampersand."
)


def test_tricky_answers_are_stored_exactly_and_shown_escaped(session, cand_client):
    response = cand_client.post(save_url(session), {"text": TRICKY}, headers=HX)
    assert response.status_code == 200
    assert stored(session) == TRICKY
    page = cand_client.get(reverse("interviews:interview", args=[session.id])).content.decode()
    assert escape(TRICKY) in page
    cand_client.post(
        reverse("interviews:submit", args=[session.id]), {"confirmed": "1"}, headers=HX
    )
    for answer in session.answers.all():
        grade_answer(answer_id=answer.id)
    results = cand_client.get(reverse("interviews:results", args=[session.id])).content.decode()
    for raw in ('<script>alert("answer")', "<img src=x"):
        assert raw not in page and raw not in results
    assert "&lt;img src=x onerror=alert(1)&gt;" in results
    assert "東京" in results and "עברית" in results and "🚀" in results


EVIL_NAME = 'Zoë <script>alert("name")</script> 🚀 فريق'


def test_names_and_team_questions_are_stored_exactly_and_shown_escaped(world, client):
    client.force_login(world.owner)
    response = client.post(reverse("hiring:team_create"), {"name": EVIL_NAME})
    assert response.status_code == 302
    team = Team.objects.get(name=EVIL_NAME)
    page = client.get(response["Location"]).content.decode()
    assert escape(EVIL_NAME) in page and "<script>alert" not in page

    # A team question whose title, prompt (Markdown) and rubric labels carry markup.
    data = {
        "title": EVIL_NAME,
        "prompt": f"Explain **retries**. {EVIL_NAME} <img src=x onerror=alert(2)>",
        "level": "mid",
        "topic": world.questions[0].topic.slug,
        "model_answer": "Retries need idempotency keys so the same state results.",
        "suggested_minutes": 5,
        "action": "save",
        **_criteria_post(
            [
                (f"Idempotency {EVIL_NAME}", "idempotency key", "2"),
                ("Same state", "same state", "1"),
                ("Backoff", "backoff, jitter", "1"),
            ]
        ),
    }
    url = reverse("hiring:question_new", args=[world.interview_set.id])
    assert client.post(url, data).status_code == 302
    question = Question.objects.get(title=EVIL_NAME)
    assert question.criteria.first().label == f"Idempotency {EVIL_NAME}"
    builder = client.get(reverse("hiring:builder", args=[world.interview_set.id])).content
    builder = builder.decode()
    assert escape(EVIL_NAME) in builder
    assert "<script>alert" not in builder and "<img src=x" not in builder

    # An invitation for a candidate with such a name; the candidate answers and is graded.
    url = reverse("hiring:invitations", args=[world.interview_set.id])
    response = client.post(url, {"name": EVIL_NAME, "days": 3})
    assert response.status_code == 200
    invitation = Invitation.objects.get(name=EVIL_NAME)
    link = response.context["new_link"]
    browser = Client()
    assert browser.post(link.removeprefix("http://testserver")).status_code == 302
    interview = Session.objects.get(invitation=invitation)
    for answer in interview.answers.all():
        if answer.is_free_text:
            browser.post(save_url(interview, answer.position), {"text": TRICKY}, headers=HX)
    browser.post(reverse("interviews:submit", args=[interview.id]), {"confirmed": "1"}, headers=HX)
    for answer in interview.answers.filter(kind="free_text"):
        assert answer.saved_text == TRICKY
        grade_answer(answer_id=answer.id)
    pages = [
        client.get(url).content.decode(),
        client.get(reverse("hiring:results", args=[world.interview_set.id])).content.decode(),
        client.get(reverse("hiring:candidate", args=[invitation.id])).content.decode(),
    ]
    for html in pages:
        assert escape(EVIL_NAME) in html
        assert "<script>alert" not in html and "<img src=x" not in html
    assert team.name == EVIL_NAME


# ------------------------------------------------------------------------- bank imports

BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *[
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcde", "bcdef")
        ],
        "topic: {slug: laughs, name: *f}",  # 9^6 "lol"s once expanded
        "questions: []",
    ]
)

BAD_BANK_FILES = {
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    "latin-1": "topic: {slug: caf\xe9, name: Caf\xe9}\nquestions: []\n".encode("latin-1"),
    "empty": b"",
    "top-level list": b"- just\n- a list\n",
    "tab indentation": b"topic:\n\tslug: tabs\n",
    "unclosed quote": b'topic: {slug: "open, name: x}\n',
    "questions not a list": b"topic: {slug: s, name: n}\nquestions: {a: 1}\n",
    "alias bomb": BILLION_LAUGHS.encode(),
    "overlong name": GOOD_YAML.replace("name: Caching", "name: " + "N" * 500).encode(),
    "overlong title": GOOD_YAML.replace("title: What is a TTL?", "title: " + "T" * 300).encode(),
}


@pytest.mark.parametrize("kind", BAD_BANK_FILES, ids=list(BAD_BANK_FILES))
def test_malformed_bank_file_via_command_is_refused_whole(kind, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(BAD_BANK_FILES[kind])
    good = tmp_path / "good.yaml"
    good.write_text(GOOD_YAML.replace("caching", "other"), encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("import_questions", str(good), str(path))
    message = str(excinfo.value)
    assert message.startswith("Nothing was imported") and "bad.yaml" in message
    assert len(message) < 3000  # a clear message, not a dump of the file
    assert Question.objects.count() == 0 and Topic.objects.count() == 0


@pytest.mark.parametrize("kind", ["binary", "latin-1", "alias bomb", "overlong title"])
def test_malformed_bank_file_via_admin_is_refused_whole(kind, client):
    client.force_login(UserFactory(username="curator", is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile("bad.yaml", BAD_BANK_FILES[kind])
    response = client.post(
        reverse("admin:questionbank_question_import"), {"bank_files": [upload]}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported" in html and "bad.yaml" in html.lower()  # admin capitalises
    assert Question.objects.count() == 0 and Topic.objects.count() == 0


# ------------------------------------------------------------------------- benchmark CSV


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"question,student_answer\nq,a\n", "missing column(s) desired_answer"),
        (b"", "missing column(s) question, desired_answer, student_answer"),
        (b"just some text\n", "missing column(s) question"),
        (
            b"question,desired_answer,student_answer,score_avg\nq,d,a,lots\n",
            "line 2: score_avg 'lots' is not a number",
        ),
        (b"question,desired_answer,student_answer\nq\xff,d,a\n", "UTF-8"),
    ],
    ids=["missing-column", "empty", "no-header", "bad-score", "not-utf8"],
)
def test_benchmark_csv_problems_are_clear_errors(tmp_path, content, expected):
    path = tmp_path / "answers.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError) as excinfo:
        call_command("grade_benchmark", "--csv", str(path))
    assert expected in str(excinfo.value)


def test_benchmark_csv_that_does_not_exist_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="CSV file not found"):
        call_command("grade_benchmark", "--csv", str(tmp_path / "nope.csv"))


# ------------------------------------------------------------------------- forged ids


def test_someone_elses_session_is_404_on_every_endpoint(session, client, other_candidate):
    client.force_login(other_candidate)
    before = list(session.answers.values_list("saved_text", "flagged"))
    for url in [
        reverse("interviews:save", args=[session.id, 0]),
        reverse("interviews:flag", args=[session.id, 0]),
        reverse("interviews:submit", args=[session.id]),
    ]:
        assert client.post(url, {"text": "hijack"}, headers=HX).status_code == 404
    for url in [
        reverse("interviews:interview", args=[session.id]),
        reverse("interviews:results", args=[session.id]),
    ]:
        assert client.get(url, headers=HX).status_code == 404
    assert list(session.answers.values_list("saved_text", "flagged")) == before
    assert Session.objects.get(id=session.id).status == "in_progress"


ODD_PATHS = ["/practice/s/0/", "/practice/s/99999999999999999999/", "/practice/s/-1/",
             "/practice/s/1e3/", "/practice/s/%00/"]  # fmt: skip


@pytest.mark.parametrize("path", ODD_PATHS)
def test_odd_session_ids_are_plain_404s(cand_client, path):
    assert cand_client.get(path).status_code == 404


def test_a_question_position_that_does_not_exist_is_404(session, cand_client):
    """A tampered position must not read as "time is up" (409) nor crash (500)."""
    response = cand_client.post(save_url(session, 99), {"text": "x"}, headers=HX)
    assert response.status_code == 404
    response = cand_client.post(reverse("interviews:flag", args=[session.id, 99]), headers=HX)
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == "in_progress"


def test_another_candidates_start_key_never_gives_their_session(session, client):
    """start_key is a hidden form field; a forged one equal to someone else's must neither
    return their interview nor crash."""
    intruder = UserFactory(username="intruder")
    client.force_login(intruder)
    data = {"level": "junior", "count": 3, "start_key": session.start_key}
    response = client.post(reverse("interviews:start"), data)
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response["Location"] != reverse("interviews:interview", args=[session.id])
    assert not Session.objects.filter(candidate=intruder, id=session.id).exists()


# ------------------------------------------------------------------------- CSRF


def _csrf_targets(session) -> list[tuple[str, dict]]:
    return [
        (reverse("interviews:save", args=[session.id, 0]), {"text": "no token"}),
        (reverse("interviews:flag", args=[session.id, 0]), {}),
        (reverse("interviews:submit", args=[session.id]), {}),
        (
            reverse("interviews:start"),
            {"level": "junior", "count": 3, "start_key": uuid.uuid4().hex},
        ),
        (reverse("interviews:weakest"), {}),
    ]


def test_htmx_posts_without_csrf_token_get_403_and_change_nothing(session, candidate):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(candidate)
    before = list(session.answers.values_list("saved_text", "flagged"))
    sessions = Session.objects.count()
    for url, data in _csrf_targets(session):
        assert strict.post(url, data, headers=HX).status_code == 403, url
        forged = {**HX, "X-CSRFToken": "forged" * 6}
        assert strict.post(url, data, headers=forged).status_code == 403, url
    assert list(session.answers.values_list("saved_text", "flagged")) == before
    assert Session.objects.count() == sessions
    assert Session.objects.get(id=session.id).status == "in_progress"


def test_hiring_htmx_posts_without_csrf_token_get_403(world):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.owner)
    set_id = world.interview_set.id
    item = world.interview_set.items.first()
    for url, data in [
        (reverse("hiring:set_settings", args=[set_id]), {"title": "x", "time_limit_minutes": 30}),
        (reverse("hiring:item_remove", args=[set_id, item.id]), {}),
        (reverse("hiring:invitations", args=[set_id]), {"name": "x", "days": 3}),
        (reverse("hiring:blind_toggle", args=[set_id]), {}),
        (reverse("hiring:team_create"), {"name": "csrf team"}),
    ]:
        assert strict.post(url, data, headers=HX).status_code == 403, url
    assert world.interview_set.items.filter(id=item.id).exists()
    assert not Invitation.objects.filter(name="x").exists()
    assert not Team.objects.filter(name="csrf team").exists()
