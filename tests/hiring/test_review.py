"""Review: ranking, per-candidate page, overrides with audit trail, blind review, queue, mail."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from grading.models import Grade, GraderKind
from hiring import services
from hiring.selectors import review_queue, set_ranking
from interviews.models import Answer
from tests.hiring.conftest import (
    GOOD,
    MEDIUM,
    POOR,
    answer_all,
    completed_candidate,
    finish_and_grade,
    make_invitation,
    start_in_browser,
)

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _names(ranking) -> list[str]:
    return [row.name for row in ranking.rows]


def test_ranking_orders_by_final_score(world):
    s = world.interview_set
    completed_candidate(s, name="Poor Pat", text=POOR)
    completed_candidate(s, name="Good Gita", text=GOOD)
    completed_candidate(s, name="Medium Mo", text=MEDIUM)
    make_invitation(s, name="Not Yet")
    ranking = set_ranking(interview_set=s)
    assert _names(ranking) == ["Good Gita", "Medium Mo", "Poor Pat", "Not Yet"]
    assert [row.rank for row in ranking.rows] == [1, 2, 3, None]
    scores = [row.score for row in ranking.rows[:3]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[2]
    assert [c.label for c in ranking.columns] == ["Q1", "Q2", "Q3"]
    assert all(len(row.cells) == 3 for row in ranking.rows)


def test_status_filter(world, client):
    s = world.interview_set
    completed_candidate(s, name="Done Dana")
    make_invitation(s, name="Waiting Wes")
    client.force_login(world.viewer)
    url = reverse("hiring:results", args=[s.id])
    body = client.get(url, {"status": "pending"}).content.decode()
    assert "Waiting Wes" in body and "Done Dana" not in body
    response = client.get(url, {"status": "completed"}, headers=HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="ranking"')
    assert "Done Dana" in body and "Waiting Wes" not in body


def test_candidate_page_shows_answers_verdicts_and_integrity(world, client):
    s = world.interview_set
    invitation, token = make_invitation(s, name="Ivy Integrity")
    session = start_in_browser(Client(), token)
    answer_all(session, GOOD, pastes=2, hidden=3)
    finish_and_grade(session)
    client.force_login(world.viewer)
    response = client.get(reverse("hiring:candidate", args=[invitation.id]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ivy Integrity" in body
    assert '<mark class="evidence' in body  # highlighted rubric evidence
    assert "page hidden 3 times" in body and "2 pastes (80 characters)" in body
    assert "Time on question: 60 s" in body
    assert "Version 1" in body
    assert "Model answer" in body  # reviewers see model answers
    # A viewer reads but gets no override form.
    assert "Override grade" not in body


def test_override_records_who_when_old_new_and_final_score_follows(world, client):
    s = world.interview_set
    invitation, session = completed_candidate(s, name="Olga Override", text=MEDIUM)
    answer = session.answers.get(position=0)
    before = set_ranking(interview_set=s).rows[0].score
    old = Grade.objects.get(answer=answer, kind=GraderKind.KEYWORD, is_current=True).score
    client.force_login(world.reviewer)
    url = reverse("hiring:answer_override", args=[invitation.id, answer.id])
    response = client.post(
        url, {"score": 100, "comment": "Explained it in other words."}, headers=HX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<div class="review-item" id="review-{answer.id}">')
    assert 'id="candidate-score" hx-swap-oob="true"' in body
    assert "reviewer" in body and "Explained it in other words." in body
    human = Grade.objects.get(answer=answer, kind=GraderKind.HUMAN, is_current=True)
    assert (human.reviewer, human.previous_score, human.score) == (world.reviewer, old, 100.0)
    after = set_ranking(interview_set=s).rows[0].score
    assert after > before

    # A second override keeps the first in the trail.
    client.force_login(world.owner)
    client.post(url, {"score": 80, "comment": "Second look."})
    history = list(Grade.objects.filter(answer=answer, kind=GraderKind.HUMAN).order_by("id"))
    assert [(g.previous_score, g.score, g.is_current) for g in history] == [
        (old, 100.0, False),
        (100.0, 80.0, True),
    ]
    page = client.get(reverse("hiring:candidate", args=[invitation.id])).content.decode()
    assert "Second look." in page and "Explained it in other words." in page


@pytest.mark.parametrize(
    "data",
    [{"score": 50, "comment": ""}, {"score": 101, "comment": "x"}, {"score": "", "comment": "x"}],
)
def test_override_needs_a_valid_score_and_a_comment(world, client, data):
    invitation, session = completed_candidate(world.interview_set, name="Val")
    answer = session.answers.get(position=0)
    client.force_login(world.reviewer)
    url = reverse("hiring:answer_override", args=[invitation.id, answer.id])
    response = client.post(url, data, headers=HX)
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not Grade.objects.filter(kind=GraderKind.HUMAN).exists()


def test_override_cannot_reach_another_candidates_answer(world, client):
    invitation, _ = completed_candidate(world.interview_set, name="One")
    _, other_session = completed_candidate(world.interview_set, name="Two")
    other_answer = other_session.answers.first()
    client.force_login(world.owner)
    url = reverse("hiring:answer_override", args=[invitation.id, other_answer.id])
    assert client.post(url, {"score": 1, "comment": "x"}).status_code == 404


def test_confirm_records_human_grades_with_the_same_scores(world, client):
    invitation, session = completed_candidate(world.interview_set, name="Cora")
    before = set_ranking(interview_set=world.interview_set).rows[0].score
    client.force_login(world.reviewer)
    unticked = client.post(reverse("hiring:confirm", args=[invitation.id]), follow=True)
    assert "Tick “I have read every answer”" in unticked.content.decode()
    humans = Grade.objects.filter(kind=GraderKind.HUMAN, answer__session=session)
    assert not humans.exists()
    response = client.post(reverse("hiring:confirm", args=[invitation.id]), {"reviewed": "yes"})
    assert response.status_code == 302
    assert humans.count() == 3
    assert {g.comment for g in humans} == {services.CONFIRM_COMMENT}
    assert set_ranking(interview_set=world.interview_set).rows[0].score == before
    # Confirming again changes nothing: every answer already has a human grade.
    client.post(reverse("hiring:confirm", args=[invitation.id]), {"reviewed": "yes"})
    assert humans.count() == 3
    assert {g.reviewer for g in humans} == {world.reviewer}  # who confirmed


def test_blind_review_hides_names_until_scored(world, client):
    s = world.interview_set
    ann, ann_session = completed_candidate(s, name="Ann Visible", email="ann@example.com")
    completed_candidate(s, name="Bob Hidden")
    client.force_login(world.reviewer)
    client.post(reverse("hiring:blind_toggle", args=[s.id]), {"blind": "on"})
    body = client.get(reverse("hiring:results", args=[s.id])).content.decode()
    assert "Ann Visible" not in body and "Bob Hidden" not in body and "ann@example.com" not in body
    assert body.count("Candidate ") >= 2
    candidate_page = client.get(reverse("hiring:candidate", args=[ann.id])).content.decode()
    assert "Ann Visible" not in candidate_page and "ann@example.com" not in candidate_page

    answer = ann_session.answers.get(position=0)
    client.post(
        reverse("hiring:answer_override", args=[ann.id, answer.id]),
        {"score": 70, "comment": "Fair."},
    )
    body = client.get(reverse("hiring:results", args=[s.id])).content.decode()
    assert "Ann Visible" in body and "Bob Hidden" not in body

    # Blind review is this reviewer's choice: a colleague still sees names.
    colleague = Client()
    colleague.force_login(world.owner)
    assert "Bob Hidden" in colleague.get(reverse("hiring:results", args=[s.id])).content.decode()
    # It lasts across logins: a new sign-in (another browser) is still blind.
    again = Client()
    again.force_login(world.reviewer)
    body = again.get(reverse("hiring:results", args=[s.id])).content.decode()
    assert "Bob Hidden" not in body and "Ann Visible" in body
    queue = again.get(reverse("hiring:queue", args=[world.team_a.slug])).content.decode()
    assert "Bob Hidden" not in queue
    # Turning it off shows everyone again.
    client.post(reverse("hiring:blind_toggle", args=[s.id]), {"blind": "off"})
    assert "Bob Hidden" in client.get(reverse("hiring:results", args=[s.id])).content.decode()


def test_review_queue_lists_flagged_answers_until_a_human_scores(world, client):
    _invitation, session = completed_candidate(world.interview_set, name="Fay Flagged")
    _, other_team_session = completed_candidate(world.other_set, name="Other Team")
    flagged = session.answers.get(position=1)
    Grade.objects.filter(answer=flagged, kind=GraderKind.KEYWORD).update(needs_review=True)
    Grade.objects.filter(answer__session=other_team_session).update(needs_review=True)
    assert list(review_queue(team=world.team_a)) == [flagged]

    client.force_login(world.viewer)
    body = client.get(reverse("hiring:queue", args=[world.team_a.slug])).content.decode()
    assert "Fay Flagged" in body and "Other Team" not in body
    assert f"#review-{flagged.id}" in body

    services.answer_override(answer=flagged, reviewer=world.reviewer, score=40, comment="Checked.")
    assert list(review_queue(team=world.team_a)) == []


def test_team_is_emailed_when_a_candidate_completes(world, django_capture_on_commit_callbacks):
    _, token = make_invitation(world.interview_set, name="Nina Notify")
    browser = Client()
    session = start_in_browser(browser, token)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("interviews:submit", args=[session.id]), {"confirmed": "1"})
    notices = [m for m in mail.outbox if "completed" in m.subject]
    assert len(notices) == 1
    assert sorted(notices[0].to) == sorted(
        u.email for u in (world.owner, world.reviewer, world.viewer, world.extra)
    )
    assert "Nina Notify" not in notices[0].body  # keeps blind review blind
    assert reverse("hiring:candidate", args=[session.invitation_id]) in notices[0].body


def test_unstarted_candidate_page_is_calm(world, client):
    invitation, _ = make_invitation(world.interview_set, name="Sam Soon")
    client.force_login(world.viewer)
    response = client.get(reverse("hiring:candidate", args=[invitation.id]))
    assert response.status_code == 200 and b"Not started yet." in response.content


def test_integrity_signals_never_change_the_score(world):
    s = world.interview_set
    _, _clean = completed_candidate(s, name="Clean")
    _invitation, token = make_invitation(s, name="Paster")
    session = start_in_browser(Client(), token)
    answer_all(session, GOOD, pastes=20, hidden=30)
    finish_and_grade(session)
    rows = {row.name: row for row in set_ranking(interview_set=s).rows}
    assert rows["Paster"].score == rows["Clean"].score
    assert rows["Paster"].paste_count == 40 and rows["Paster"].hidden_count == 60
    assert Answer.objects.filter(session=session, paste_count=20).count() == 2


def test_review_pages_are_never_cached(world, client):
    invitation, _session = completed_candidate(world.interview_set, name="Ada")
    client.force_login(world.reviewer)
    for url in (
        reverse("hiring:candidate", args=[invitation.id]),
        reverse("hiring:results", args=[world.interview_set.id]),
        reverse("hiring:queue", args=[world.team_a.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_candidate_sees_the_feedback_never_the_internal_comment(world, client):
    """A released result used to show the reviewer's internal reason (S4)."""
    s = world.interview_set
    s.candidates_see_results = True
    s.save(update_fields=["candidates_see_results"])
    invitation, token = make_invitation(s, name="Cara Candidate")
    candidate = Client()
    session = start_in_browser(candidate, token)
    answer_all(session, MEDIUM)
    finish_and_grade(session)
    answer = session.answers.get(position=0)
    client.force_login(world.reviewer)
    client.post(
        reverse("hiring:answer_override", args=[invitation.id, answer.id]),
        {
            "score": 40,
            "comment": "Second look: lower, no defence named.",
            "feedback": "Name a concrete defence, such as idempotency keys.",
        },
        headers=HX,
    )
    team_view = client.get(reverse("hiring:candidate", args=[invitation.id])).content.decode()
    assert "Second look: lower, no defence named." in team_view
    results = candidate.get(reverse("interviews:results", args=[session.id])).content.decode()
    assert "Name a concrete defence, such as idempotency keys." in results
    assert "Second look" not in results


@pytest.mark.parametrize(
    "page", ["hiring:results_csv", "hiring:results_json", "hiring:invitations"]
)
def test_blind_review_hides_names_in_exports_and_invitations_too(world, client, page):
    """The CSV, the JSON and the invitations page used to show names under blind review (S6)."""
    s = world.interview_set
    completed_candidate(s, name="Bob Hidden", email="bob@example.com")
    client.force_login(world.reviewer)
    client.post(reverse("hiring:blind_toggle", args=[s.id]), {"blind": "on"})
    body = client.get(reverse(page, args=[s.id])).content.decode()
    assert "Bob Hidden" not in body and "bob@example.com" not in body
    assert "Candidate " in body
    client.post(reverse("hiring:blind_toggle", args=[s.id]), {"blind": "off"})
    body = client.get(reverse(page, args=[s.id])).content.decode()
    assert "Bob Hidden" in body and "bob@example.com" in body


def test_exports_round_like_the_page_and_json_downloads(world, client):
    from hiring.exports import as_shown

    assert as_shown(96.5, 0) == 97 and as_shown(96.45, 1) == 96.5 and as_shown(None, 0) is None
    s = world.interview_set
    completed_candidate(s, name="Rita Round")
    client.force_login(world.reviewer)
    response = client.get(reverse("hiring:results_json", args=[s.id]))
    assert response["Content-Disposition"].startswith("attachment;")
    (record,) = response.json()["candidates"]
    assert record["scores"] and all(isinstance(v, int) for v in record["scores"].values())
    assert record["final_score"] == round(record["final_score"], 1)
