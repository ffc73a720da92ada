from __future__ import annotations

import pytest
from django.urls import reverse

from questionbank.models import Question, Status
from tests.factories import QuestionFactory, UserFactory, add_rubric, add_samples, make_mcq

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_client(client):
    user = UserFactory(username="curator", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def change_form_data(
    question: Question,
    *,
    criteria: list[dict],
    choices: list[dict],
    samples: tuple[dict, ...] = (),
    **overrides,
):
    data = {
        "title": question.title,
        "slug": question.slug,
        "topic": question.topic_id,
        "level": question.level,
        "kind": question.kind,
        "status": question.status,
        "prompt": question.prompt,
        "model_answer": question.model_answer,
        "suggested_minutes": question.suggested_minutes,
        "criteria-TOTAL_FORMS": len(criteria),
        "criteria-INITIAL_FORMS": 0,
        "choices-TOTAL_FORMS": len(choices),
        "choices-INITIAL_FORMS": 0,
        "misconceptions-TOTAL_FORMS": 0,
        "misconceptions-INITIAL_FORMS": 0,
        "samples-TOTAL_FORMS": len(samples),
        "samples-INITIAL_FORMS": 0,
    }
    for i, sample in enumerate(samples):
        data.update({f"samples-{i}-{k}": v for k, v in sample.items()})
    for i, c in enumerate(criteria):
        data.update({f"criteria-{i}-{k}": v for k, v in c.items()})
    for i, c in enumerate(choices):
        data.update({f"choices-{i}-{k}": v for k, v in c.items()})
    data.update(overrides)
    return data


def test_only_staff_reach_the_admin(client):
    client.force_login(UserFactory(username="plain"))
    response = client.get(reverse("admin:questionbank_question_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_changelist_filters_and_search(curator_client):
    QuestionFactory(title="Explain cache stampede", level="senior")
    QuestionFactory(title="Define REST", level="junior")
    url = reverse("admin:questionbank_question_changelist")
    response = curator_client.get(url, {"q": "stampede"})
    assert b"Explain cache stampede" in response.content and b"Define REST" not in response.content
    response = curator_client.get(url, {"level__exact": "junior"})
    assert b"Define REST" in response.content and b"Explain cache stampede" not in response.content


def test_published_free_text_needs_three_positive_criteria(curator_client):
    question = QuestionFactory(status=Status.DRAFT)
    criteria = [{"label": "One", "weight": "1", "keywords": "alpha", "order": 0}]
    data = change_form_data(question, criteria=criteria, choices=[], status="published")
    response = curator_client.post(
        reverse("admin:questionbank_question_change", args=[question.pk]), data
    )
    assert response.status_code == 200
    assert b"needs at least 3 rubric criteria with positive weights" in response.content
    question.refresh_from_db()
    assert question.status == Status.DRAFT


def test_zero_weight_is_refused_with_a_clear_message(curator_client):
    question = QuestionFactory(status=Status.DRAFT)
    criteria = [
        {"label": f"C{i}", "weight": "0" if i == 0 else "1", "keywords": "alpha", "order": i}
        for i in range(3)
    ]
    data = change_form_data(question, criteria=criteria, choices=[], status="published")
    response = curator_client.post(
        reverse("admin:questionbank_question_change", args=[question.pk]), data
    )
    assert b"must be a positive number" in response.content


def test_multiple_choice_needs_exactly_one_correct(curator_client):
    question = make_mcq()
    choices = [
        {"text": "A", "is_correct": "on", "explanation": "x", "order": 0},
        {"text": "B", "is_correct": "on", "explanation": "y", "order": 1},
    ]
    question.choices.all().delete()
    data = change_form_data(question, criteria=[], choices=choices)
    response = curator_client.post(
        reverse("admin:questionbank_question_change", args=[question.pk]), data
    )
    assert b"exactly one choice must be correct (found 2)" in response.content


def test_valid_question_saves_and_shows_a_preview(curator_client):
    question = QuestionFactory(status=Status.DRAFT, prompt="Use `PUT` <script>x()</script>")
    criteria = [
        {"label": f"C{i}", "weight": "2", "keywords": "alpha\nbeta", "order": i} for i in range(3)
    ]
    samples = (
        {"kind": "strong", "score": 95, "text": "The alpha part is what matters.", "order": 0},
        {"kind": "wrong", "score": 5, "text": "It is all about speed.", "order": 1},
    )
    data = change_form_data(
        question, criteria=criteria, choices=[], samples=samples, status="published"
    )
    url = reverse("admin:questionbank_question_change", args=[question.pk])
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    question.refresh_from_db()
    assert question.status == "published"
    assert list(question.criteria.values_list("keywords", flat=True)) == [["alpha", "beta"]] * 3
    page = curator_client.get(url).content.decode()
    assert "<code>PUT</code>" in page and "<script>x()" not in page


def test_bulk_publish_refuses_incomplete_questions(curator_client):
    complete = add_samples(add_rubric(QuestionFactory(status=Status.DRAFT)))
    incomplete = QuestionFactory(status=Status.DRAFT)
    url = reverse("admin:questionbank_question_changelist")
    response = curator_client.post(
        url,
        {"action": "publish", "_selected_action": [complete.pk, incomplete.pk]},
        follow=True,
    )
    assert b"Nothing was published" in response.content
    curator_client.post(url, {"action": "publish", "_selected_action": [complete.pk]})
    complete.refresh_from_db()
    assert complete.status == Status.PUBLISHED


def test_bulk_retire(curator_client):
    question = add_rubric(QuestionFactory())
    curator_client.post(
        reverse("admin:questionbank_question_changelist"),
        {"action": "retire", "_selected_action": [question.pk]},
    )
    question.refresh_from_db()
    assert question.status == Status.RETIRED


def test_suggest_rubric_fills_editable_criteria(curator_client):
    question = QuestionFactory(status=Status.DRAFT)
    response = curator_client.post(
        reverse("admin:questionbank_question_suggest_rubric", args=[question.pk]), follow=True
    )
    assert response.status_code == 200
    assert question.criteria.count() >= 3


def test_admin_upload_imports_yaml(curator_client, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.questionbank.test_import_export import GOOD

    upload = SimpleUploadedFile("caching.yaml", GOOD.encode())
    response = curator_client.post(
        reverse("admin:questionbank_question_import"), {"bank_files": [upload]}, follow=True
    )
    assert b"2 created" in response.content
    bad = SimpleUploadedFile("bad.yaml", b"topic: [")
    response = curator_client.post(
        reverse("admin:questionbank_question_import"), {"bank_files": [bad]}, follow=True
    )
    assert b"Nothing was imported" in response.content


def test_saving_unchanged_changes_nothing(curator_client, tmp_path):
    """Browsers post textareas with CRLF; an unchanged save keeps text, version and history."""
    from django.contrib.admin.models import LogEntry

    from tests.questionbank.admin_forms import browser_post_data

    question = add_rubric(
        QuestionFactory(prompt="Line one\nline two\n", model_answer="A\n\n- one\n- two\n")
    )
    version = Question.objects.get(pk=question.pk).version
    url = reverse("admin:questionbank_question_change", args=[question.pk])
    response = curator_client.post(url, browser_post_data(curator_client.get(url)))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.prompt == "Line one\nline two\n"
    assert question.model_answer == "A\n\n- one\n- two\n"
    assert question.version == version
    assert LogEntry.objects.get().get_change_message() == "No fields changed."


def test_crlf_in_a_changed_save_is_stored_as_lf(curator_client):
    from tests.questionbank.admin_forms import browser_post_data

    question = add_rubric(QuestionFactory(prompt="Old\n"))
    url = reverse("admin:questionbank_question_change", args=[question.pk])
    data = browser_post_data(curator_client.get(url), prompt="New\r\nprompt\r\n")
    assert curator_client.post(url, data).status_code == 302
    question.refresh_from_db()
    assert question.prompt == "New\nprompt\n"


def test_editing_only_the_rubric_bumps_the_version(curator_client):
    from tests.questionbank.admin_forms import browser_post_data

    question = add_rubric(QuestionFactory())
    version = Question.objects.get(pk=question.pk).version
    url = reverse("admin:questionbank_question_change", args=[question.pk])
    data = browser_post_data(curator_client.get(url), **{"criteria-0-weight": "7"})
    assert curator_client.post(url, data).status_code == 302
    question.refresh_from_db()
    assert question.version == version + 1


def test_an_uncalibrated_question_is_saved_as_a_draft_with_the_reason(curator_client):
    question = QuestionFactory(status=Status.DRAFT)
    criteria = [
        {"label": f"C{i}", "weight": "2", "keywords": "alpha", "order": i} for i in range(3)
    ]
    samples = ({"kind": "strong", "score": 95, "text": "It is all about speed.", "order": 0},)
    data = change_form_data(
        question, criteria=criteria, choices=[], samples=samples, status="published"
    )
    url = reverse("admin:questionbank_question_change", args=[question.pk])
    page = curator_client.post(url, data, follow=True).content.decode()
    question.refresh_from_db()
    assert question.status == "draft"
    assert "Saved as a draft, not published: it is not calibrated" in page
    assert "strong answer graded 0, human 95" in page
    # The panel shows each sample as the grader saw it, and the list has the column.
    panel = curator_client.get(url).content.decode()
    assert "Not calibrated" in panel and "It is all about speed." in panel
    listing = curator_client.get(reverse("admin:questionbank_question_changelist")).content
    assert b"column-calibration" in listing


def test_bulk_publish_refuses_an_uncalibrated_question(curator_client):
    question = add_rubric(QuestionFactory(status=Status.DRAFT, title="No samples"))
    response = curator_client.post(
        reverse("admin:questionbank_question_changelist"),
        {"action": "publish", "_selected_action": [question.pk]},
        follow=True,
    )
    assert "No samples: it is not calibrated" in response.content.decode()
    question.refresh_from_db()
    assert question.status == "draft"


def test_free_text_questions_show_no_options_and_choice_questions_no_rubric(curator_client):
    free = add_rubric(QuestionFactory())
    mcq = make_mcq()
    free_page = curator_client.get(reverse("admin:questionbank_question_change", args=[free.pk]))
    mcq_page = curator_client.get(reverse("admin:questionbank_question_change", args=[mcq.pk]))
    assert b'id="choices-group"' not in free_page.content
    assert b'id="criteria-group"' in free_page.content
    assert b'id="criteria-group"' not in mcq_page.content
    assert b'id="choices-group"' in mcq_page.content


def test_staff_cannot_list_open_or_change_a_team_s_private_question(curator_client):
    """The team form promises "Only <team> sees this question" (S7)."""
    from hiring.models import Team

    team = Team.objects.create(name="Platform", slug="platform")
    private = add_rubric(QuestionFactory(title="Our outbox design", team=team))
    shared = add_rubric(QuestionFactory(title="Shared idempotency"))
    listing = curator_client.get(reverse("admin:questionbank_question_changelist"))
    assert b"Shared idempotency" in listing.content
    assert b"Our outbox design" not in listing.content
    change = reverse("admin:questionbank_question_change", args=[private.pk])
    assert curator_client.get(change).status_code in (302, 404)
    curator_client.post(
        change, change_form_data(private, criteria=[], choices=[], title="Edited by staff")
    )
    private.refresh_from_db()
    assert private.title == "Our outbox design" and private.team == team
    form = curator_client.get(reverse("admin:questionbank_question_change", args=[shared.pk]))
    assert b'name="team"' not in form.content
