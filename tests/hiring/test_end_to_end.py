"""From an empty account to a ranked, exported shortlist, through HTTP."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from grading.services import grade_answer
from hiring.models import Invitation, InvitationStatus, TeamInvite
from interviews.models import Session
from tests.factories import make_mcq
from tests.hiring.conftest import (
    GOOD,
    MEDIUM,
    POOR,
    answer_all,
    completed_candidate,
    make_bank_question,
    make_user,
)

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def test_build_invite_review_override_export(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    # Grade in-process instead of through the broker (as CELERY_TASK_ALWAYS_EAGER would).
    monkeypatch.setattr(
        "grading.tasks.grading_enqueue",
        lambda *, answer_ids: [grade_answer(answer_id=i) for i in answer_ids],
    )
    questions = [
        make_bank_question("Idempotency"),
        make_bank_question("Retry budgets", topic_slug="operations", level="mid"),
        make_mcq(title="Status codes"),
    ]
    lead = make_user("lead")
    colleague = make_user("colleague")
    client.force_login(lead)

    # A team, with a colleague as reviewer.
    response = client.post(reverse("hiring:team_create"), {"name": "Platform hiring"})
    slug = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    client.post(
        reverse("hiring:member_add", args=[slug]),
        {"email": "colleague@example.com", "role": "reviewer"},
    )
    assert not colleague.memberships.exists()  # a seat is offered, not taken for them
    colleague_browser = Client()
    colleague_browser.force_login(colleague)
    colleague_browser.post(
        reverse("hiring:member_invite_answer", args=[TeamInvite.objects.get().id]),
        {"answer": "accept"},
    )
    assert colleague.memberships.get().role == "reviewer"

    # A set built in the builder: search the bank, add three questions, set the limit.
    response = client.post(
        reverse("hiring:set_create", args=[slug]),
        {"title": "Platform screen", "time_limit_minutes": 45, "instructions": "No notes."},
    )
    set_id = int(response["Location"].rstrip("/").rsplit("/", 1)[-1])
    found = client.get(reverse("hiring:bank", args=[set_id]), {"q": "Idempotency"}, headers=HX)
    assert b"Idempotency" in found.content
    for question in questions:
        response = client.post(
            reverse("hiring:item_add", args=[set_id]), {"question": question.id}, headers=HX
        )
        assert question.title.encode() in response.content
    client.post(
        reverse("hiring:set_settings", args=[set_id]),
        {"title": "Platform screen", "time_limit_minutes": 40, "instructions": "No notes."},
        headers=HX,
    )

    # Three invitations, emailed.
    links = {}
    for name in ("Ana", "Ben", "Cy"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("hiring:invitations", args=[set_id]),
                {"name": name, "email": f"{name.lower()}@example.com", "days": 5},
            )
        links[name] = response.context["new_link"]
    assert {m.to[0] for m in mail.outbox} == {
        "ana@example.com",
        "ben@example.com",
        "cy@example.com",
    }

    # The candidates take it without accounts, each in their own browser.
    texts = {"Ana": MEDIUM, "Ben": GOOD, "Cy": POOR}
    for name, link in links.items():
        browser = Client()
        assert browser.get(link).status_code == 200
        response = browser.post(link)
        session = Session.objects.get(invitation__name=name)
        assert response["Location"] == reverse("interviews:interview", args=[session.id])
        answer_all(session, texts[name])
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            browser.post(reverse("interviews:submit", args=[session.id]))
        assert mail.outbox and set(mail.outbox[0].to) == {
            "lead@example.com",
            "colleague@example.com",
        }
    assert set(Invitation.objects.values_list("status", flat=True)) == {InvitationStatus.COMPLETED}

    # Review: Ben first, then Ana, then Cy.
    results = client.get(reverse("hiring:results", args=[set_id]))
    ranking = results.context["ranking"]
    assert [row.name for row in ranking.rows] == ["Ben", "Ana", "Cy"]
    assert all(row.version_number == 1 for row in ranking.rows)

    # The colleague reads Ben's answers and overrides one grade down, with a reason.
    reviewer = Client()
    reviewer.force_login(colleague)
    ben = Invitation.objects.get(name="Ben")
    page = reviewer.get(reverse("hiring:candidate", args=[ben.id]))
    assert page.status_code == 200 and b"Override grade" in page.content
    first = ben.session.answers.get(position=0)
    response = reviewer.post(
        reverse("hiring:answer_override", args=[ben.id, first.id]),
        {"score": 20, "comment": "Keywords without understanding, per the follow-up call."},
        headers=HX,
    )
    machine = first.grades.get(kind="keyword").score
    assert response.status_code == 200 and f"{machine:.0f} → 20" in response.content.decode()

    # The export is ranked with the override applied: Ana now leads, all three are there.
    csv_response = client.get(reverse("hiring:results_csv", args=[set_id]))
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "platform-screen-results.csv" in csv_response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    assert [r["name"] for r in rows] == ["Ana", "Ben", "Cy"]
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert all(r["status"] == "completed" for r in rows)
    question_headers = [h for h in rows[0] if h.startswith("Q")]
    assert question_headers == ["Q1 Idempotency", "Q2 Retry budgets", "Q3 Status codes"]
    assert float(rows[1]["Q1 Idempotency"]) == 20.0

    data = json.loads(client.get(reverse("hiring:results_json", args=[set_id])).content)
    assert [c["name"] for c in data["candidates"]] == ["Ana", "Ben", "Cy"]
    assert [q["title"] for q in data["questions"]] == [q.title for q in questions]
    scores = [c["final_score"] for c in data["candidates"]]
    assert scores == sorted(scores, reverse=True)

    # Exports are for members only.
    assert Client().get(reverse("hiring:results_csv", args=[set_id])).status_code == 302
    stranger = Client()
    stranger.force_login(make_user("stranger"))
    assert stranger.get(reverse("hiring:results_json", args=[set_id])).status_code == 404


def test_csv_neutralises_formulas(world, client):
    completed_candidate(world.interview_set, name='=HYPERLINK("http://evil")')
    client.force_login(world.viewer)
    body = client.get(reverse("hiring:results_csv", args=[world.interview_set.id])).content
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert rows[0]["name"].startswith("'=")
