"""Scorecards (independent until submitted, final once submitted), sorting the ranking,
the side-by-side view of one question, and what the exports carry."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grading.models import Grade
from hiring import services
from hiring.models import Membership, Role, Scorecard
from hiring.scorecards import (
    Reader,
    ScorecardFinal,
    ScorecardIncomplete,
    scorecard_panel,
    scorecard_save,
)
from hiring.selectors import candidate_answers
from tests.hiring.conftest import (
    GOOD,
    MEDIUM,
    POOR,
    answer_all,
    completed_candidate,
    make_invitation,
    make_user,
    start_in_browser,
)

pytestmark = pytest.mark.django_db


def _data(invitation, scores, *, recommendation="", notes="", action="save") -> dict:
    answers = candidate_answers(invitation=invitation)
    data = {f"score-{a.id}": str(s) for a, s in zip(answers, scores, strict=False)}
    return {**data, "recommendation": recommendation, "notes": notes, "action": action}


def _post(client, invitation, scores, **kwargs):
    return client.post(
        reverse("hiring:scorecard", args=[invitation.id]), _data(invitation, scores, **kwargs)
    )


def _page(client, invitation) -> str:
    return client.get(reverse("hiring:candidate", args=[invitation.id])).content.decode()


def _submit(user, invitation, scores, recommendation="hire", notes=""):
    answers = candidate_answers(invitation=invitation)
    return scorecard_save(
        invitation=invitation,
        reviewer=user,
        answers=answers,
        scores={a.id: s for a, s in zip(answers, scores, strict=True)},
        recommendation=recommendation,
        notes=notes,
        submit=True,
    )


@pytest.fixture
def ada(world):
    invitation, _session = completed_candidate(world.interview_set, name="Ada Lovelace")
    return invitation


# --------------------------------------------------------------------------- independence
def test_a_draft_is_seen_by_its_author_only(world, client, ada):
    client.force_login(world.reviewer)
    response = _post(client, ada, [71, 62], recommendation="hire", notes="Draft thoughts")
    assert response.status_code == 302
    mine = client.get(response["Location"]).content.decode()
    assert "Draft saved" in mine
    assert "Draft thoughts" in mine and 'value="71"' in mine

    client.force_login(world.owner)
    theirs = _page(client, ada)
    assert "Draft thoughts" not in theirs and 'value="71"' not in theirs
    client.force_login(world.viewer)
    assert "Draft thoughts" not in _page(client, ada)


def test_others_cards_stay_hidden_until_you_submit_yours(world, client, ada):
    s = world.interview_set
    _submit(world.reviewer, ada, [80, 60, 100], "strong_hire", notes="Reviewer B's notes")
    client.force_login(world.owner)
    page = _page(client, ada)
    assert "Reviewer B&#x27;s notes" not in page and "Submitted scorecards" not in page
    assert "stay hidden until you submit yours" in page
    results = client.get(reverse("hiring:results", args=[s.id])).content.decode()
    assert "after yours" in results and "80.0" not in results
    record = client.get(reverse("hiring:results_json", args=[s.id])).json()["candidates"][0]
    assert record["scorecards"] == [] and record["scorecards_hidden"] is True
    assert record["combined_score"] is None
    exported = client.get(reverse("hiring:results_csv", args=[s.id])).content.decode()
    assert "Reviewer B" not in exported and "strong_hire" not in exported

    assert (
        _post(client, ada, [40, 50, 60], recommendation="no_hire", action="submit").status_code
        == 302
    )
    page = _page(client, ada)
    assert "Reviewer B&#x27;s notes" in page and "Strong hire" in page and "No hire" in page
    # overall: reviewer 80.0, owner 50.0; combined is their mean
    assert "65.0" in page and "50.0–80.0" in page
    assert "40–80" in page  # spread of the first answer
    record = client.get(reverse("hiring:results_json", args=[s.id])).json()["candidates"][0]
    assert {c["reviewer"] for c in record["scorecards"]} == {"owner", "reviewer"}
    assert record["combined_score"] == 65.0


def test_a_viewer_cannot_score_but_reads_submitted_cards(world, client, ada):
    client.force_login(world.viewer)
    assert _post(client, ada, [50, 50, 50], recommendation="hire").status_code == 403
    assert not Scorecard.objects.exists()
    assert "Submit scorecard" not in _page(client, ada)
    _submit(world.reviewer, ada, [90, 90, 90], notes="Solid")
    page = _page(client, ada)
    assert "Solid" in page and "90.0" in page


def test_another_team_sees_and_scores_nothing(world, client, ada):
    _submit(world.reviewer, ada, [90, 90, 90], notes="Team A only")
    client.force_login(world.member_b)
    assert _post(client, ada, [10, 10, 10]).status_code == 404
    question_id = world.questions[0].id
    compare = reverse("hiring:compare", args=[world.interview_set.id, question_id])
    response = client.get(compare)
    assert response.status_code == 404 and b"Ada" not in response.content
    assert Scorecard.objects.count() == 1


def test_a_submitted_card_is_final(world, client, ada):
    _submit(world.reviewer, ada, [70, 70, 70], notes="Final words")
    client.force_login(world.reviewer)
    page = _page(client, ada)
    assert "A submitted scorecard is final" in page and "Save draft" not in page
    response = _post(client, ada, [10, 10, 10], recommendation="no_hire", action="submit")
    assert response.status_code == 409
    assert "a submitted scorecard is final and cannot be changed" in response.content.decode()
    card = Scorecard.objects.get()
    assert card.notes == "Final words" and {s.score for s in card.scores.all()} == {70}
    with pytest.raises(ScorecardFinal):
        _submit(world.reviewer, ada, [1, 1, 1])


@pytest.mark.parametrize("bad", ["101", "-1", "abc", "55.5"])
def test_an_invalid_score_is_refused_and_what_was_typed_is_kept(world, client, ada, bad):
    client.force_login(world.reviewer)
    response = _post(client, ada, [bad, 64], recommendation="hire", notes="Keep me")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Q1:" in body and 'role="alert"' in body
    assert f'value="{bad}"' in body and 'value="64"' in body and "Keep me" in body
    assert 'value="hire" checked' in body.replace('" id="id_recommendation_2"', '"')
    assert not Scorecard.objects.exists()


def test_submitting_needs_every_score_and_a_recommendation(world, client, ada):
    client.force_login(world.reviewer)
    response = _post(client, ada, [70], notes="Half done", action="submit")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Not submitted: score Q2, Q3 and choose a recommendation first." in body
    assert 'value="70"' in body and "Half done" in body
    assert not Scorecard.objects.exists()
    with pytest.raises(ScorecardIncomplete):
        _submit(world.reviewer, ada, [70, 70, 70], recommendation="")


def test_no_scoring_before_the_candidate_finishes(world, client):
    invitation, token = make_invitation(world.interview_set, name="Still Typing")
    session = start_in_browser(client, token)
    answer_all(session, GOOD)
    client.force_login(world.reviewer)
    assert "once they have finished the interview" in _page(client, invitation)
    response = _post(client, invitation, [50, 50, 50], recommendation="hire")
    assert response.status_code == 400
    assert "has not finished the interview yet" in response.content.decode()


def test_blind_review_holds_on_scorecards(world, client):
    s = world.interview_set
    invitation, _ = completed_candidate(s, name="Bob Hidden", email="bob@example.com")
    _submit(world.owner, invitation, [60, 60, 60], notes="Owner notes")
    client.force_login(world.reviewer)
    client.post(reverse("hiring:blind_toggle", args=[s.id]), {"blind": "on"})
    _post(client, invitation, [70, 70, 70], recommendation="hire", action="submit")
    page = _page(client, invitation)
    assert "Owner notes" in page  # submitted: the others' cards show
    assert "Bob Hidden" not in page and "bob@example.com" not in page
    for name in ("results_csv", "results_json"):
        body = client.get(reverse(f"hiring:{name}", args=[s.id])).content.decode()
        assert "Bob Hidden" not in body and "Owner notes" in body


def test_notes_and_reviewer_names_are_escaped(world, client, ada):
    _submit(world.reviewer, ada, [50, 50, 50], notes="<script>alert(1)</script>")
    client.force_login(world.viewer)
    page = _page(client, ada)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_panel_reads_only_submitted_cards_and_the_readers_own(world, ada):
    answers = candidate_answers(invitation=ada)
    scorecard_save(
        invitation=ada,
        reviewer=world.owner,
        answers=answers,
        scores={answers[0].id: 10},
        recommendation="",
        notes="owner draft",
        submit=False,
    )
    _submit(world.reviewer, ada, [90, 80, 70])
    panel = scorecard_panel(
        invitation=ada, reader=Reader(user=world.reviewer, role=Role.REVIEWER), answers=answers
    )
    assert [c.reviewer_name for c in panel.visible.cards] == ["reviewer"]
    assert panel.submitted and panel.visible.combined == 80
    assert [(r.low, r.high) for r in panel.rows] == [(90, 90), (80, 80), (70, 70)]


# --------------------------------------------------------------------------- sorting
def _order(client, s, sort: str) -> list[str]:
    ranking = client.get(reverse("hiring:results", args=[s.id]), {"sort": sort}).context["ranking"]
    return [row.name for row in ranking.rows]


def test_the_ranking_sorts_by_any_column(world, client):
    s = world.interview_set
    poor, _ = completed_candidate(s, name="Pat Poor", text=POOR)
    good, _ = completed_candidate(s, name="Gita Good", text=GOOD)
    _medium, session = completed_candidate(s, name="Mo Medium", text=MEDIUM)
    make_invitation(s, name="Zed Pending")
    Grade.objects.filter(answer=session.answers.order_by("position").first()).update(
        needs_review=True
    )
    _submit(world.owner, poor, [95, 95, 95], "strong_hire")
    _submit(world.owner, good, [20, 20, 20], "no_hire")
    client.force_login(world.owner)
    assert _order(client, s, "") == ["Gita Good", "Mo Medium", "Pat Poor", "Zed Pending"]
    assert _order(client, s, "score") == ["Pat Poor", "Mo Medium", "Gita Good", "Zed Pending"]
    assert _order(client, s, "-name") == ["Zed Pending", "Pat Poor", "Mo Medium", "Gita Good"]
    assert _order(client, s, "-combined")[:2] == ["Pat Poor", "Gita Good"]
    assert _order(client, s, "-recommendations")[:2] == ["Pat Poor", "Gita Good"]
    assert _order(client, s, "-needs_review")[0] == "Mo Medium"
    assert _order(client, s, "status")[-1] == "Zed Pending"  # completed, then pending
    assert _order(client, s, "-status")[0] == "Zed Pending"
    assert _order(client, s, "-submitted")[:3] == ["Mo Medium", "Gita Good", "Pat Poor"]
    question = f"q{world.questions[0].id}"
    assert _order(client, s, f"-{question}")[0] == "Gita Good"
    ranking = client.get(reverse("hiring:results", args=[s.id]), {"sort": "score"}).context[
        "ranking"
    ]
    assert [row.rank for row in ranking.rows] == [3, 2, 1, None]  # ranks stay by score


@pytest.mark.parametrize("sort", ["bogus", "-", "q999999", "--score", "x" * 5000, "name;drop"])
def test_an_unknown_sort_means_the_default_order(world, client, sort):
    s = world.interview_set
    completed_candidate(s, name="Pat Poor", text=POOR)
    completed_candidate(s, name="Gita Good", text=GOOD)
    client.force_login(world.reviewer)
    response = client.get(reverse("hiring:results", args=[s.id]), {"sort": sort})
    assert response.status_code == 200
    assert [r.name for r in response.context["ranking"].rows] == ["Gita Good", "Pat Poor"]


def test_headers_link_to_sorts_and_say_which_is_sorted(world, client):
    s = world.interview_set
    completed_candidate(s, name="Gita Good", text=GOOD)
    client.force_login(world.reviewer)
    url = reverse("hiring:results", args=[s.id])
    page = client.get(url).content.decode()
    assert 'aria-sort="ascending"><a href="' + url + '?">Rank' in page
    assert f'href="{url}?sort=-score"' in page and f'href="{url}?sort=name"' in page
    page = client.get(url, {"sort": "-score", "status": "completed"}).content.decode()
    assert f'aria-sort="descending"><a href="{url}?status=completed&amp;sort=score"' in page
    assert '<input type="hidden" name="sort" value="-score">' in page


def test_no_sorting_by_name_under_blind_review(world, client):
    s = world.interview_set
    completed_candidate(s, name="Zoe Last", text=GOOD)
    completed_candidate(s, name="Abe First", text=POOR)
    client.force_login(world.reviewer)
    client.post(reverse("hiring:blind_toggle", args=[s.id]), {"blind": "on"})
    response = client.get(reverse("hiring:results", args=[s.id]), {"sort": "name"})
    ranking = response.context["ranking"]
    assert ranking.sort is None and "name" not in ranking.sort_links
    assert [row.rank for row in ranking.rows] == [1, 2]
    assert "sort=name" not in response.content.decode()


# --------------------------------------------------------------------------- side by side
def test_side_by_side_shows_every_answer_to_one_question(world, client):
    s = world.interview_set
    completed_candidate(s, name="Gita Good", text=GOOD)
    _, session = completed_candidate(s, name="Eve Tags", text="<b>bold</b> PUT is idempotent")
    make_invitation(s, name="Not Started")
    first = session.answers.order_by("position").first()
    Grade.objects.filter(answer=first).update(needs_review=True)
    client.force_login(world.viewer)
    results = client.get(reverse("hiring:results", args=[s.id])).content.decode()
    url = reverse("hiring:compare", args=[s.id, first.asked.id])
    assert url in results
    page = client.get(url).content.decode()
    assert "Gita Good" in page and "Eve Tags" in page and "Not Started" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert page.count("needs review</span>") == 1
    assert "(machine)" in page

    services.answer_override(answer=first, reviewer=world.owner, score=3, comment="Too thin")
    page = client.get(url).content.decode()
    assert "(human)" in page
    multiple_choice = reverse("hiring:compare", args=[s.id, world.questions[2].id])
    chosen = session.answers.get(kind="multiple_choice")
    page = client.get(multiple_choice).content.decode()
    assert chosen.asked.choices[chosen.choice_index].text in page


def test_side_by_side_respects_blind_review_and_refuses_other_questions(world, client):
    s = world.interview_set
    completed_candidate(s, name="Bob Hidden", email="bob@example.com")
    client.force_login(world.reviewer)
    client.post(reverse("hiring:blind_toggle", args=[s.id]), {"blind": "on"})
    page = client.get(reverse("hiring:compare", args=[s.id, world.questions[0].id]))
    body = page.content.decode()
    assert "Bob Hidden" not in body and "bob@example.com" not in body and "Candidate " in body
    other = reverse("hiring:compare", args=[s.id, world.spare_question.id])
    assert client.get(other).status_code == 404


# --------------------------------------------------------------------------- exports
def test_exports_carry_submitted_cards_grade_source_and_internal_comments(world, client, ada):
    s = world.interview_set
    answers = candidate_answers(invitation=ada)
    services.answer_override(answer=answers[0], reviewer=world.owner, score=41, comment="x")
    _submit(world.reviewer, ada, [70, 80, 90], "hire", notes="Needs a systems round")
    client.force_login(world.owner)
    _post(client, ada, [60, 60], notes="owner's private draft")  # a draft: never exported
    reviewer = Membership.objects.get(user=world.reviewer)
    reviewer.role = Role.VIEWER  # a viewer exports every submitted card
    reviewer.save()
    client.force_login(world.viewer)
    (record,) = client.get(reverse("hiring:results_json", args=[s.id])).json()["candidates"]
    q1, q2 = str(answers[0].asked.id), str(answers[1].asked.id)
    assert record["grade_source"][q1] == "human" and record["grade_source"][q2] == "machine"
    (card,) = record["scorecards"]
    assert card["reviewer"] == "reviewer" and card["recommendation"] == "hire"
    assert card["internal_comment"] == "Needs a systems round"
    assert card["scores"] == {q1: 70, q2: 80, str(answers[2].asked.id): 90}
    assert card["overall"] == 80.0 and record["combined_score"] == 80.0

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(reverse("hiring:results_csv", args=[s.id])).content.decode())
        )
    )
    (row,) = rows
    assert row["grade_source Q1"] == "human" and row["grade_source Q2"] == "machine"
    assert row["scorecard reviewer internal_comment"] == "Needs a systems round"
    assert row["scorecard reviewer recommendation"] == "hire"
    assert row["scorecard reviewer Q1"] == "70"
    assert row["combined_score"] == "80.0"
    assert "owner's private draft" not in str(rows)


# --------------------------------------------------------------------------- query counts
def _count(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _scored_candidate(world, n: int) -> None:
    invitation, session = completed_candidate(world.interview_set, name=f"Candidate {n}")
    Grade.objects.filter(answer=session.answers.order_by("position").first()).update(
        needs_review=True
    )
    _submit(world.reviewer, invitation, [50 + n, 60, 70], notes=f"note {n}")
    _submit(world.owner, invitation, [40, 50 + n, 60], "no_hire")


@pytest.mark.parametrize("blind", [False, True])
def test_ranking_and_side_by_side_have_a_fixed_query_count(
    world, client, django_assert_num_queries, blind
):
    s = world.interview_set
    client.force_login(world.owner)
    if blind:
        client.post(reverse("hiring:blind_toggle", args=[s.id]), {"blind": "on"})
    _scored_candidate(world, 1)
    client.get(reverse("hiring:teams"))  # the team menu's answer is cached from here on
    pages = [
        (reverse("hiring:results", args=[s.id]), {"sort": "-combined"}),
        (reverse("hiring:results", args=[s.id]), {"sort": "-recommendations"}),
        (reverse("hiring:compare", args=[s.id, world.questions[0].id]), {}),
        (reverse("hiring:results_csv", args=[s.id]), {}),
    ]
    baseline = [_count(client, url, params) for url, params in pages]
    for n in range(2, 6):
        _scored_candidate(world, n)
    for (url, params), queries in zip(pages, baseline, strict=True):
        with django_assert_num_queries(queries, info=url):
            assert client.get(url, params).status_code == 200


def test_candidate_page_query_count_does_not_grow_with_scorecards(
    world, client, django_assert_num_queries, ada
):
    client.force_login(world.owner)
    _submit(world.owner, ada, [10, 20, 30])
    url = reverse("hiring:candidate", args=[ada.id])
    client.get(url)
    baseline = _count(client, url)
    for n in range(4):
        user = make_user(f"extra-reviewer-{n}")
        Membership.objects.create(team=world.team_a, user=user, role=Role.REVIEWER)
        _submit(user, ada, [n, n, n], notes=f"n{n}")
    with django_assert_num_queries(baseline):
        client.get(url)
