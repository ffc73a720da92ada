"""The interview-set builder: bank search, add/remove/reorder, team questions, versions."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from hiring import services
from hiring.models import InterviewSetVersion
from hiring.selectors import BankFilter, bank_search
from hiring.services import HiringError
from questionbank.models import Question
from tests.factories import QuestionFactory, right_option
from tests.hiring.conftest import make_bank_question, make_invitation, start_in_browser

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _titles(questions) -> set[str]:
    return {q.title for q in questions}


def _criteria_post(rows: list[tuple[str, str, str]]) -> dict:
    data = {"c-TOTAL_FORMS": str(len(rows)), "c-INITIAL_FORMS": "0"}
    for i, (label, keywords, weight) in enumerate(rows):
        data |= {f"c-{i}-label": label, f"c-{i}-keywords": keywords, f"c-{i}-weight": weight}
    return data


def _private(world, team=None, title="Team secret"):
    return services.private_question_save(
        team=team or world.team_a,
        title=title,
        prompt="Explain our deploy pipeline.",
        level="mid",
        topic=world.questions[0].topic,
        model_answer="Blue green with a canary and a quick rollback.",
        suggested_minutes=5,
        criteria=[
            {"label": "Blue green", "keywords": ["blue green"], "weight": 1, "required": False},
            {"label": "Canary", "keywords": ["canary"], "weight": 1, "required": False},
            {"label": "Rollback", "keywords": ["rollback"], "weight": 1, "required": False},
        ],
    )


# --------------------------------------------------------------------------- search
def test_search_filters_the_published_bank(world):
    QuestionFactory(title="Draft about caching", status="draft")
    QuestionFactory(title="Retired about caching", status="retired")
    team = world.team_a
    everything = bank_search(team=team, search=BankFilter())
    assert everything.total == 4 and "Draft about caching" not in _titles(everything.questions)
    assert _titles(bank_search(team=team, search=BankFilter(level="senior")).questions) == {
        "Retries"
    }
    assert _titles(bank_search(team=team, search=BankFilter(topic="caching")).questions) == {
        "Caching headers"
    }
    assert _titles(bank_search(team=team, search=BankFilter(kind="multiple_choice")).questions) == {
        "Status codes"
    }
    assert _titles(bank_search(team=team, search=BankFilter(q="retr")).questions) == {"Retries"}


def test_bank_search_pages_through_every_match(world, client, monkeypatch):
    from hiring import selectors

    monkeypatch.setattr(selectors, "BANK_PAGE", 3)
    for i in range(4):
        make_bank_question(f"Paging {i}", level="junior")
    team = world.team_a
    seen, page = [], 1
    while True:
        results = bank_search(team=team, search=BankFilter(q="paging", page=page))
        assert results.total == 4 and results.search.page == page
        seen += [q.title for q in results.questions]
        if not results.next_query:
            break
        assert "page=" in results.next_query and "q=paging" in results.next_query
        page += 1
    assert seen == [f"Paging {i}" for i in range(4)]
    assert (results.first, results.last) == (4, 4)
    assert results.previous_query == "q=paging"  # page 1 is the default, left out
    # A page past the end (the results shrank since the link was made) shows the last one.
    assert bank_search(team=team, search=BankFilter(q="paging", page=9)).search.page == 2

    client.force_login(world.viewer)
    url = reverse("hiring:bank", args=[world.interview_set.id])
    body = client.get(url, {"q": "paging", "page": "2"}, headers=HX).content.decode()
    assert "showing 4–4" in body and "Paging 3" in body and "Paging 0" not in body
    assert "← Previous" in body and "Next →" not in body
    for junk in ("0", "-1", "abc", "99999999999"):  # junk means the first page
        body = client.get(url, {"q": "paging", "page": junk}, headers=HX).content.decode()
        assert "showing 1–3" in body and "Next →" in body


def test_private_questions_are_visible_only_to_their_team(world):
    _private(world, title="A's secret")
    _private(world, team=world.team_b, title="B's secret")
    a_titles = _titles(bank_search(team=world.team_a, search=BankFilter()).questions)
    assert "A's secret" in a_titles and "B's secret" not in a_titles
    only_team = bank_search(team=world.team_a, search=BankFilter(source="team")).questions
    assert _titles(only_team) == {"A's secret"}


def test_bank_search_htmx_partial(world, client):
    client.force_login(world.viewer)
    url = reverse("hiring:bank", args=[world.interview_set.id])
    response = client.get(url, {"q": "Retries"}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="bank-results">')
    assert "Retries" in body and "Idempotency" not in body
    # Without htmx, the same search is the builder page with the filter applied.
    response = client.get(url, {"q": "Retries"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/sets/{world.interview_set.id}/?q=Retries")


# --------------------------------------------------------------------------- items
def test_add_remove_reorder_with_htmx(world, client):
    client.force_login(world.reviewer)
    s = world.interview_set
    response = client.post(
        reverse("hiring:item_add", args=[s.id]), {"question": world.spare_question.id}, headers=HX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="set-items">') and "Retries" in body
    assert f'id="bank-action-{world.spare_question.id}" hx-swap-oob="true"' in body
    order = list(s.items.order_by("position").values_list("question__title", flat=True))
    assert order == ["Idempotency", "Caching headers", "Status codes", "Retries"]

    last = s.items.get(question=world.spare_question)
    client.post(reverse("hiring:item_move", args=[s.id, last.id]), {"direction": "up"}, headers=HX)
    first = s.items.get(position=0)
    client.post(reverse("hiring:item_move", args=[s.id, first.id]), {"direction": "up"})  # no-op
    order = list(s.items.order_by("position").values_list("question__title", flat=True))
    assert order == ["Idempotency", "Caching headers", "Retries", "Status codes"]

    response = client.post(reverse("hiring:item_remove", args=[s.id, first.id]))
    assert response.status_code == 302  # a plain form post goes back to the builder
    positions = list(s.items.order_by("position").values_list("position", "question__title"))
    assert positions == [(0, "Caching headers"), (1, "Retries"), (2, "Status codes")]


def test_adding_twice_is_a_no_op(world):
    s = world.interview_set
    services.set_item_add(interview_set=s, question=world.questions[0])
    assert s.items.count() == 3


@pytest.mark.parametrize("kind", ["other_team", "draft"])
def test_cannot_add_other_teams_or_unpublished_questions(world, client, kind):
    question = (
        _private(world, team=world.team_b, title="B's secret")
        if kind == "other_team"
        else QuestionFactory(status="draft")
    )
    with pytest.raises(HiringError):
        services.set_item_add(interview_set=world.interview_set, question=question)
    client.force_login(world.owner)
    response = client.post(
        reverse("hiring:item_add", args=[world.interview_set.id]),
        {"question": question.id},
        headers=HX,
    )
    assert response.status_code == 400
    assert not world.interview_set.items.filter(question=question).exists()


def test_settings_save_with_htmx_and_validate(world, client):
    client.force_login(world.reviewer)
    url = reverse("hiring:set_settings", args=[world.interview_set.id])
    data = {"title": "Senior backend", "time_limit_minutes": 60, "instructions": "Think aloud."}
    response = client.post(url, data, headers=HX)
    assert response.status_code == 200 and b"Saved." in response.content
    world.interview_set.refresh_from_db()
    assert world.interview_set.time_limit_minutes == 60
    response = client.post(url, {**data, "time_limit_minutes": 1}, headers=HX)
    assert response.status_code == 400
    world.interview_set.refresh_from_db()
    assert world.interview_set.time_limit_minutes == 60


# --------------------------------------------------------------------------- team questions
def _question_post(world, **extra) -> dict:
    return {
        "title": "Outbox pattern",
        "prompt": "How do you publish events reliably from a service?",
        "level": "senior",
        "topic": world.questions[0].topic.slug,
        "model_answer": "Write the event to an outbox table in the same transaction, "
        "then a relay publishes it and consumers stay idempotent.",
        "suggested_minutes": 6,
        "action": "save",
        **_criteria_post(
            [
                ("Same transaction", "same transaction, atomically", "2"),
                ("Relay", "relay, poller", "1"),
                ("Idempotent consumers", "idempotent", "1"),
            ]
        ),
        **extra,
    }


def test_team_question_is_created_and_added_to_the_set(world, client):
    client.force_login(world.reviewer)
    response = client.post(
        reverse("hiring:question_new", args=[world.interview_set.id]), _question_post(world)
    )
    assert response.status_code == 302
    question = Question.objects.get(title="Outbox pattern")
    assert question.team == world.team_a and question.status == "published"
    assert [c.keywords for c in question.criteria.all()] == [
        ["same transaction", "atomically"],
        ["relay", "poller"],
        ["idempotent"],
    ]
    assert world.interview_set.items.filter(question=question).exists()
    assert not question.set_items.exclude(interview_set__team=world.team_a).exists()


def test_team_question_needs_a_rubric(world, client):
    client.force_login(world.reviewer)
    data = _question_post(world) | _criteria_post([("Only one", "one", "1")])
    response = client.post(reverse("hiring:question_new", args=[world.interview_set.id]), data)
    assert response.status_code == 400
    assert b"at least 3 rubric" in response.content
    assert not Question.objects.filter(title="Outbox pattern").exists()


def test_suggest_rubric_prefills_the_criteria(world, client):
    client.force_login(world.reviewer)
    url = reverse("hiring:question_new", args=[world.interview_set.id])
    data = _question_post(world) | {"action": "suggest"}
    response = client.post(url, data, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="criteria">')
    assert "Suggested" in body and 'name="c-0-keywords"' in body
    assert 'name="c-0-label" value="' in body and "outbox" in body.lower()
    # Without JavaScript the whole form comes back, typed fields kept.
    response = client.post(url, data)
    assert response.status_code == 200 and b"Outbox pattern" in response.content
    assert not Question.objects.filter(title="Outbox pattern").exists()


def _choices_post(rows: list[tuple[str, bool, str]]) -> dict:
    data = {"o-TOTAL_FORMS": str(len(rows)), "o-INITIAL_FORMS": "0"}
    for i, (text, correct, why) in enumerate(rows):
        data |= {f"o-{i}-text": text, f"o-{i}-explanation": why}
        if correct:
            data[f"o-{i}-is_correct"] = "on"
    return data


OPTIONS = [
    ("A 301 redirect", False, "That moves the resource; nothing was created."),
    ("201 Created with a Location header", True, "It names the new resource."),
    ("200 OK with an empty body", False, "It hides where the resource lives."),
    ("", False, ""),  # an empty row is ignored
]


def _mcq_post(world, options=OPTIONS) -> dict:
    return {
        "kind": "multiple_choice",
        "title": "Status after create",
        "prompt": "Which response fits a successful **POST** that created a resource?",
        "level": "junior",
        "topic": world.questions[0].topic.slug,
        "model_answer": "",
        "suggested_minutes": 2,
        "action": "save",
        # A half-filled rubric row left from switching kinds must not block the save.
        **_criteria_post([("", "leftover", "")]),
        **_choices_post(options),
    }


def test_team_multiple_choice_question_is_created_with_its_options(world, client):
    client.force_login(world.reviewer)
    url = reverse("hiring:question_new", args=[world.interview_set.id])
    page = client.get(url).content.decode()
    assert 'name="kind"' in page and 'name="o-0-text"' in page and "<legend>Answered as" in page
    response = client.post(url, _mcq_post(world))
    assert response.status_code == 302, response.content.decode()[:2000]
    question = Question.objects.get(title="Status after create")
    assert question.kind == "multiple_choice" and question.team == world.team_a
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [
        (text, correct) for text, correct, _ in OPTIONS[:3]
    ]
    assert question.choices.all()[1].explanation == "It names the new resource."
    assert not question.criteria.exists()
    assert world.interview_set.items.filter(question=question).exists()
    edit = client.get(reverse("hiring:question_edit", args=[question.id])).content.decode()
    assert re.search(r'value="multiple_choice"[^>]*checked', edit)
    assert 'value="201 Created with a Location header"' in edit


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([("One", False, ""), ("Two", False, "")], "exactly one choice must be correct"),
        ([("One", True, ""), ("Two", True, "")], "exactly one choice must be correct"),
        ([("Only", True, "")], "at least 2 choices"),
        ([("One", True, ""), ("", False, "orphan reason")], "Give this option its text"),
    ],
)
def test_team_multiple_choice_question_refuses_bad_options(world, client, options, message):
    client.force_login(world.reviewer)
    url = reverse("hiring:question_new", args=[world.interview_set.id])
    response = client.post(url, _mcq_post(world, options))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'value="One"' in body or 'value="Only"' in body  # typed options come back
    assert not Question.objects.filter(title="Status after create").exists()


def test_changing_a_team_question_kind_keeps_only_what_the_kind_uses(world):
    question = _private(world)
    version = question.version
    options = [
        {"text": "Blue green", "is_correct": True, "explanation": "Two fleets."},
        {"text": "Big bang", "is_correct": False, "explanation": "All at once."},
    ]
    fields = dict(
        team=world.team_a,
        question=question,
        title=question.title,
        prompt=question.prompt,
        level=question.level,
        topic=question.topic,
        model_answer=question.model_answer,
        suggested_minutes=5,
    )
    services.private_question_save(
        **fields, kind="multiple_choice", choices=options, criteria=[{"ignored": True}]
    )
    question.refresh_from_db()
    assert question.kind == "multiple_choice" and question.version == version + 1
    assert question.choices.count() == 2 and not question.criteria.exists()
    criteria = [
        {"label": w, "keywords": [w], "weight": 1, "required": False} for w in ("a", "b", "c")
    ]
    services.private_question_save(**fields, criteria=criteria, choices=options)
    question.refresh_from_db()
    assert question.kind == "free_text" and question.criteria.count() == 3
    assert not question.choices.exists()


def test_an_invited_candidate_answers_a_team_multiple_choice_question(world, client):
    from grading.models import Grade
    from interviews.services import answer_save_draft, session_submit

    client.force_login(world.reviewer)
    client.post(reverse("hiring:question_new", args=[world.interview_set.id]), _mcq_post(world))
    _, token = make_invitation(world.interview_set)
    browser = Client()
    session = start_in_browser(browser, token)
    answer = session.answers.get(question__title="Status after create")
    assert answer.kind == "multiple_choice"
    page = browser.get(reverse("interviews:interview", args=[session.id]) + f"?q={answer.position}")
    html = page.content.decode()
    assert 'type="radio"' in html and "201 Created with a Location header" in html
    answer_save_draft(
        session_id=session.id, position=answer.position, choice_index=right_option(answer)
    )
    session_submit(session=session)
    grade = Grade.objects.get(answer=answer)
    assert grade.kind == "choice" and grade.score == 100.0
    world.interview_set.candidates_see_results = True
    world.interview_set.save()
    results = browser.get(reverse("interviews:results", args=[session.id])).content.decode()
    assert "It names the new resource." in results


def test_team_option_markup_is_sanitised_on_the_candidate_pages(world):
    from interviews.services import answer_save_draft, session_submit

    question = services.private_question_save(
        team=world.team_a,
        kind="multiple_choice",
        title="Hostile options",
        prompt="Pick one.",
        level="mid",
        topic=world.questions[0].topic,
        model_answer="",
        suggested_minutes=1,
        criteria=[],
        choices=[
            {"text": "`GET` <img src=x onerror=alert(1)>", "is_correct": True,
             "explanation": "<script>alert(2)</script>**safe**"},
            {"text": "<a href='javascript:alert(3)'>click</a>", "is_correct": False,
             "explanation": ""},
        ],
    )  # fmt: skip
    services.set_item_add(interview_set=world.interview_set, question=question)
    _, token = make_invitation(world.interview_set)
    browser = Client()
    session = start_in_browser(browser, token)
    answer = session.answers.get(question=question)
    page = browser.get(
        reverse("interviews:interview", args=[session.id]) + f"?q={answer.position}"
    ).content.decode()
    answer_save_draft(
        session_id=session.id, position=answer.position, choice_index=right_option(answer)
    )
    session_submit(session=session)
    world.interview_set.candidates_see_results = True
    world.interview_set.save()
    results = browser.get(reverse("interviews:results", args=[session.id])).content.decode()
    for html in (page, results):
        assert "<code>GET</code>" in html
        assert "onerror" not in html and "javascript:" not in html and "alert(" not in html
    assert "<strong>safe</strong>" in results


def test_retiring_a_team_question_takes_it_out_of_search_but_not_out_of_sets(world, client):
    question = _private(world, title="Old favourite")
    services.set_item_add(interview_set=world.interview_set, question=question)
    version = question.version
    client.force_login(world.reviewer)
    url = reverse("hiring:question_retire", args=[question.id])
    response = client.post(url, follow=True)
    assert "no longer appears in the bank search" in response.text
    assert "retired" in response.text and "Restore “Old favourite”" in response.text
    question.refresh_from_db()
    assert question.status == "retired" and question.version == version
    search = bank_search(team=world.team_a, search=BankFilter(q="favourite"))
    assert search.total == 0
    assert world.interview_set.items.filter(question=question).exists()
    builder = client.get(reverse("hiring:builder", args=[world.interview_set.id])).text
    assert 'title="Retired: no longer in the bank search">retired</span>' in builder
    # Editing keeps it retired; restoring brings it back.
    edit = reverse("hiring:question_edit", args=[question.id])
    data = _question_post(world, title="Old favourite") | {"set": ""}
    assert client.post(edit, data).status_code == 302
    question.refresh_from_db()
    assert question.status == "retired"
    client.post(url, {"retired": "0"})
    assert bank_search(team=world.team_a, search=BankFilter(q="favourite")).total == 1
    # Another team cannot touch it.
    client.force_login(world.member_b)
    assert client.post(url).status_code == 404


def test_only_the_owning_team_edits_a_private_question(world, client):
    question = _private(world)
    client.force_login(world.member_b)
    assert client.get(reverse("hiring:question_edit", args=[question.id])).status_code == 404
    client.force_login(world.viewer)
    assert client.get(reverse("hiring:question_edit", args=[question.id])).status_code == 403
    client.force_login(world.reviewer)
    page = client.get(reverse("hiring:question_edit", args=[question.id]))
    assert page.status_code == 200 and b"blue green" in page.content


# --------------------------------------------------------------------------- versions
def test_versions_freeze_when_candidates_start(world):
    s = world.interview_set
    _, t1 = make_invitation(s)
    _, t2 = make_invitation(s)
    _, t3 = make_invitation(s)
    _, t4 = make_invitation(s)
    first = start_in_browser(Client(), t1)
    second = start_in_browser(Client(), t2)
    assert first.set_version == second.set_version  # unchanged set: same version
    assert first.set_version.question_ids == [q.id for q in world.questions]

    services.set_update(interview_set=s, title=s.title, time_limit_minutes=50, instructions="New")
    third = start_in_browser(Client(), t3)
    assert third.set_version.number == 2 and third.set_version.time_limit_minutes == 50
    assert (third.deadline - third.started_at).total_seconds() == 50 * 60

    # Editing a question in the set (its version bumps) also makes a new version.
    question = world.questions[0]
    question.prompt = "Reworded."
    question.save()
    fourth = start_in_browser(Client(), t4)
    assert fourth.set_version.number == 3
    assert fourth.answers.get(position=0).snapshot["prompt"] == "Reworded."
    # Earlier candidates keep what they were asked.
    assert first.answers.get(position=0).snapshot["prompt"] != "Reworded."
    assert InterviewSetVersion.objects.filter(interview_set=s).count() == 3


def test_reordering_changes_the_fingerprint(world):
    s = world.interview_set
    _, t1 = make_invitation(s)
    _, t2 = make_invitation(s)
    before = start_in_browser(Client(), t1).set_version
    last = s.items.order_by("position").last()
    services.set_item_move(interview_set=s, item_id=last.id, offset=-1)
    after = start_in_browser(Client(), t2).set_version
    assert after.number == before.number + 1
    assert after.question_ids == [
        world.questions[0].id,
        world.questions[2].id,
        world.questions[1].id,
    ]


def test_empty_set_cannot_be_started(world):
    extra = make_bank_question("Extra")
    s = world.interview_set
    services.set_item_add(interview_set=s, question=extra)
    _, token = make_invitation(s)
    s.items.all().delete()
    response = Client().post(reverse("hiring:invite", args=[token]))
    assert response.status_code == 410 and b"not ready" in response.content


def test_try_your_rubric_grades_a_pasted_answer_before_saving(world, client):
    client.force_login(world.reviewer)
    url = reverse("hiring:question_new", args=[world.interview_set.id])
    rubric = _criteria_post(
        [("Write to an outbox table", "outbox table", "2"), ("Relay publishes", "relay", "1"),
         ("Idempotent consumers", "idempotent", "1")]
    )  # fmt: skip
    answer = "I would insert the event into an outbox table in the same transaction."
    data = _question_post(world) | rubric | {"action": "tryout", "tryout_answer": answer}
    response = client.post(url, data, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="tryout"')
    assert "/100" in body and '<mark class="evidence met"' in body
    assert "Write to an outbox table" in body
    assert not Question.objects.filter(title="Outbox pattern").exists()  # nothing saved
    # an empty answer or an empty rubric is refused with the reason
    empty = client.post(url, data | {"tryout_answer": " "}, headers=HX)
    assert empty.status_code == 400 and b"Paste an answer to grade." in empty.content
    no_rubric = _question_post(world) | _criteria_post([]) | {"action": "tryout"}
    refused = client.post(url, no_rubric | {"tryout_answer": answer}, headers=HX)
    assert b"Add at least one criterion" in refused.content
    # without JavaScript the whole form comes back with the grade
    page = client.post(url, data).content.decode()
    assert "Outbox pattern" in page and "/100" in page and answer in page


def _samples_post(rows: list[tuple[str, str, str]]) -> dict:
    data = {"s-TOTAL_FORMS": str(len(rows)), "s-INITIAL_FORMS": "0"}
    for i, (kind, score, text) in enumerate(rows):
        data |= {f"s-{i}-kind": kind, f"s-{i}-score": score, f"s-{i}-text": text}
    return data


TEAM_SAMPLES = [
    ("strong", "95", "Insert the event in the same transaction, a relay publishes, "
     "and the consumers are idempotent."),
    ("partial", "40", "Put it in the same transaction as the write."),
    ("wrong", "5", "Just call the broker after the commit and hope for the best."),
]  # fmt: skip


def test_team_question_samples_are_saved_and_calibrated_on_the_edit_page(world, client):
    client.force_login(world.reviewer)
    url = reverse("hiring:question_new", args=[world.interview_set.id])
    response = client.post(url, _question_post(world) | _samples_post(TEAM_SAMPLES))
    assert response.status_code == 302
    question = Question.objects.get(title="Outbox pattern")
    assert [s.kind for s in question.samples.all()] == ["strong", "partial", "wrong"]
    page = client.get(reverse("hiring:question_edit", args=[question.id])).content.decode()
    assert "Calibrated:" in page or "Not calibrated yet:" in page
    assert "Just call the broker after the commit" in page  # the rows come back to edit
    # a post without sample rows keeps them
    client.post(reverse("hiring:question_edit", args=[question.id]), _question_post(world))
    assert question.samples.count() == 3


def test_a_sample_without_a_score_is_refused_with_the_reason(world, client):
    client.force_login(world.reviewer)
    url = reverse("hiring:question_new", args=[world.interview_set.id])
    data = _question_post(world) | _samples_post([("strong", "", "An answer with no score.")])
    response = client.post(url, data)
    assert response.status_code == 400
    assert b"Give this sample the score a fair interviewer would." in response.content
    assert not Question.objects.filter(title="Outbox pattern").exists()


def test_suggested_ideas_are_checked_against_the_typed_samples(world, client):
    client.force_login(world.reviewer)
    url = reverse("hiring:question_new", args=[world.interview_set.id])
    data = _question_post(world) | _samples_post(TEAM_SAMPLES) | {"action": "suggest"}
    body = client.post(url, data, headers=HX).content.decode()
    assert "the weightiest marked required" in body
    assert "On your sample answers" in body
