from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grading.services import grade_answer
from interviews import services
from interviews.models import Answer, Session, SessionStatus
from tests.interviews.conftest import HX

pytestmark = pytest.mark.django_db


def save_url(session, position=0):
    return reverse("interviews:save", args=[session.id, position])


def test_start_page_and_double_submit_create_one_session(bank, cand_client):
    page = cand_client.get(reverse("interviews:start"))
    assert page.status_code == 200 and b'name="start_key"' in page.content
    data = {"level": "junior", "count": 3, "include_multiple_choice": "on", "start_key": "abc"}
    first = cand_client.post(reverse("interviews:start"), data)
    second = cand_client.post(reverse("interviews:start"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Session.objects.count() == 1


def test_start_requires_login(client):
    response = client.get(reverse("interviews:start"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_interview_page_shows_saved_text_and_server_deadline(session, cand_client):
    services.answer_save_draft(session_id=session.id, position=1, text="my <b>draft</b>")
    page = cand_client.get(reverse("interviews:interview", args=[session.id]) + "?q=1")
    html = page.content.decode()
    assert "my &lt;b&gt;draft&lt;/b&gt;" in html
    assert f'data-deadline="{int(session.deadline.timestamp() * 1000)}"' in html
    assert 'aria-live="polite"' in html and 'role="timer"' in html


@pytest.mark.parametrize(("asked", "shown"), [("?q=1", 1), ("?q=99", -1), ("?q=x", 0), ("", 0)])
def test_interview_page_shows_the_question_asked_for_or_the_nearest(
    session, cand_client, asked, shown
):
    answers = list(session.answers.order_by("position"))
    shown %= len(answers)
    page = cand_client.get(reverse("interviews:interview", args=[session.id]) + asked)
    html = page.content.decode()
    assert f"Question {shown + 1} of {len(answers)}" in html
    assert answers[shown].asked.title in html
    assert page.context["answer"].asked.title == answers[shown].asked.title


def test_the_interview_read_carries_only_the_shown_questions_snapshot(session, rf, candidate):
    from interviews.selectors import session_answers_for_request

    request = rf.get("/")
    request.user, request.session = candidate, {}
    _, answers = session_answers_for_request(
        request=request, session_id=session.id, question_shown=1
    )
    assert [a.snapshot is not None for a in answers] == [False, True, False, False]


def test_autosave_over_htmx_returns_the_saved_partial_and_clock(session, cand_client):
    response = cand_client.post(save_url(session), {"text": "PUT is safe to retry"}, headers=HX)
    assert response.status_code == 200
    assert response.content.decode().startswith("Saved <time")
    assert int(response["X-Viva-Deadline"]) == int(session.deadline.timestamp() * 1000)
    assert Answer.objects.get(session=session, position=0).saved_text == "PUT is safe to retry"


def test_autosave_without_javascript_redirects_to_the_next_question(session, cand_client):
    response = cand_client.post(save_url(session), {"text": "plain post", "go": "next"})
    assert response.status_code == 302 and response["Location"].endswith("?q=1")


def test_oversized_answer_is_refused_with_a_message_and_previous_kept(
    session, cand_client, settings
):
    cand_client.post(save_url(session), {"text": "good draft"}, headers=HX)
    big = "y" * (settings.ANSWER_MAX_CHARS + 10)
    response = cand_client.post(save_url(session), {"text": big}, headers=HX)
    assert response.status_code == 413
    assert "limit is 20,000" in response.content.decode()
    assert Answer.objects.get(session=session, position=0).saved_text == "good draft"


def test_save_after_deadline_is_refused_clearly(session, cand_client):
    Session.objects.filter(id=session.id).update(deadline=timezone.now() - timedelta(minutes=1))
    response = cand_client.post(save_url(session), {"text": "late"}, headers=HX)
    assert response.status_code == 409
    assert "Time is up" in response.content.decode()


def test_save_to_a_submitted_session_links_the_results_and_reads_the_session_once(
    session, cand_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.session_submit(session=session)
    with CaptureQueriesContext(connection) as queries:
        response = cand_client.post(save_url(session), {"text": "too late"}, headers=HX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "already been submitted" in html
    assert reverse("interviews:results", args=[session.id]) in html
    assert int(response["X-Viva-Deadline"]) == int(session.deadline.timestamp() * 1000)
    table = Session._meta.db_table
    reads = [q for q in queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]]
    assert len(reads) == 1, [q["sql"] for q in reads]


def test_someone_elses_session_is_404(session, client, other_candidate):
    client.force_login(other_candidate)
    for url in [
        reverse("interviews:interview", args=[session.id]),
        reverse("interviews:results", args=[session.id]),
    ]:
        assert client.get(url).status_code == 404
    assert client.post(save_url(session), {"text": "x"}).status_code == 404
    assert client.post(reverse("interviews:submit", args=[session.id])).status_code == 404


def test_a_forged_save_writes_nothing_and_does_not_throttle_the_owner(
    session, client, candidate, other_candidate, monkeypatch
):
    from core.throttle import Throttle
    from interviews import views

    monkeypatch.setattr(views, "SAVE_THROTTLE", Throttle("autosave", limit=2, window_seconds=60))
    services.answer_save_draft(session_id=session.id, position=0, text="mine")
    client.force_login(other_candidate)
    for _ in range(4):
        response = client.post(save_url(session), {"text": "forged"}, headers=HX)
        assert response.status_code in {404, 429}
    assert Answer.objects.get(session=session, position=0).saved_text == "mine"
    client.force_login(candidate)
    assert client.post(save_url(session), {"text": "still mine"}, headers=HX).status_code == 200
    assert Answer.objects.get(session=session, position=0).saved_text == "still mine"


def test_saving_to_a_missing_question_is_404(session, cand_client):
    response = cand_client.post(save_url(session, 99), {"text": "x"}, headers=HX)
    assert response.status_code == 404


def test_anonymous_visitor_is_asked_to_log_in_and_comes_back(session, client):
    for name in ("interviews:interview", "interviews:results"):
        url = reverse(name, args=[session.id])
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_htmx_post_without_csrf_is_refused(session, candidate):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(candidate)
    assert strict.post(save_url(session), {"text": "x"}, headers=HX).status_code == 403


def test_submit_then_results_page_highlights_escaped_evidence(session, cand_client):
    text = "<script>alert(1)</script> Repeating it leaves the same state, so you can safely retry."
    cand_client.post(save_url(session), {"text": text}, headers=HX)
    response = cand_client.post(
        reverse("interviews:submit", args=[session.id]), {"confirmed": "1"}, headers=HX
    )
    assert response.status_code == 204 and response["HX-Redirect"].endswith("/results/")
    pending = cand_client.get(reverse("interviews:results", args=[session.id])).content.decode()
    assert 'hx-trigger="every 2s"' in pending
    for answer in session.answers.all():
        grade_answer(answer_id=answer.id)
    done = cand_client.get(reverse("interviews:results", args=[session.id]), headers=HX)
    html = done.content.decode()
    assert "every 2s" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert '<mark class="evidence met"' in html
    assert "Model answer" in html


def test_opening_an_expired_session_finalises_it(session, cand_client):
    Session.objects.filter(id=session.id).update(deadline=timezone.now() - timedelta(minutes=1))
    response = cand_client.get(reverse("interviews:interview", args=[session.id]))
    assert response.status_code == 302 and response["Location"].endswith("/results/")
    session.refresh_from_db()
    assert session.status == SessionStatus.TIMED_OUT


def _finished_sessions(candidate, n):
    sessions = []
    for _ in range(n):
        s = services.session_start(
            candidate=candidate, level="junior", topic_slugs=[], count=3,
            include_multiple_choice=True, start_key=uuid.uuid4().hex,
        )  # fmt: skip
        for a in s.answers.all():
            services.answer_save_draft(
                session_id=s.id, position=a.position, text="same state retry"
            )
        services.session_submit(session=s)
        for a in s.answers.all():
            grade_answer(answer_id=a.id)
        sessions.append(s)
    return sessions


def count_queries(django_assert_num_queries, fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_dashboard_query_count_does_not_grow_with_sessions(bank, candidate, cand_client):
    url = reverse("interviews:dashboard")
    _finished_sessions(candidate, 1)
    cand_client.get(url)  # the team menu's answer is cached from here on
    small = count_queries(None, lambda: cand_client.get(url))
    _finished_sessions(candidate, 4)
    large = count_queries(None, lambda: cand_client.get(url))
    assert small == large
    page = cand_client.get(url).content.decode()
    assert "<svg" in page and "Practise my weakest topics" in page
    assert "5 interviews shown, oldest first; the latest scored" in page
    assert '<th scope="col">Level</th>' in page


@pytest.mark.parametrize("count", [3, 8])
def test_interview_autosave_and_results_run_fixed_queries(
    bank, candidate, cand_client, django_assert_num_queries, count
):
    s = services.session_start(
        candidate=candidate, level="junior", topic_slugs=[], count=count,
        include_multiple_choice=True, start_key=f"q{count}",
    )  # fmt: skip
    cand_client.get("/")  # whether the user is in a team (the menu) is cached from here on
    # django session, user, the session, its answers (two plain reads: bench/README.md)
    with django_assert_num_queries(4):
        cand_client.get(reverse("interviews:interview", args=[s.id]) + "?q=1")
    # django session, user, one UPDATE that checks and writes
    with django_assert_num_queries(3):
        cand_client.post(save_url(s, 1), {"text": "draft"}, headers=HX)
    services.session_submit(session=s)
    with django_assert_num_queries(5):
        cand_client.get(reverse("interviews:results", args=[s.id]))


def test_practise_weakest_starts_a_session_on_low_topics(bank, candidate, cand_client):
    _finished_sessions(candidate, 1)
    response = cand_client.post(reverse("interviews:weakest"))
    assert response.status_code == 302 and "/practice/s/" in response["Location"]


def test_home_start_and_progress_offer_the_interview_in_progress(session, cand_client):
    cand_client.post(save_url(session), {"text": "draft"}, headers=HX)
    for name in ("home", "interviews:start", "interviews:dashboard"):
        html = cand_client.get(reverse(name)).content.decode()
        assert "Continue your interview" in html, name
        assert "1 of 4 answered" in html and " left." in html
        assert reverse("interviews:interview", args=[session.id]) in html
    services.session_submit(session=session)
    assert "Continue your interview" not in cand_client.get(reverse("home")).content.decode()


def test_hiring_menu_only_for_team_members(session, cand_client, candidate):
    from hiring.models import Membership, Team

    html = cand_client.get(reverse("home")).content.decode()
    assert ">Hiring</a>" not in html and "Create a team" in html
    Membership.objects.create(team=Team.objects.create(name="T", slug="t"), user=candidate)
    html = cand_client.get(reverse("home")).content.decode()
    assert ">Hiring</a>" in html and "Create a team" not in html


def test_home_answers_head_and_names_demo_accounts_only_in_debug(client, settings):
    assert client.head(reverse("home")).status_code == 200
    settings.DEBUG = False
    assert "viva-candidate" not in client.get(reverse("home")).content.decode()
    settings.DEBUG = True
    assert "viva-candidate" in client.get(reverse("home")).content.decode()


def test_results_summary_jump_links_and_retry(session, cand_client):
    cand_client.post(save_url(session), {"text": "Repeating it leaves the same state."}, headers=HX)
    services.session_submit(session=session)
    for answer in session.answers.all():
        grade_answer(answer_id=answer.id)
    html = cand_client.get(reverse("interviews:results", args=[session.id])).content.decode()
    assert "Your strongest ideas" in html and "Same state after repeats" in html
    assert "Ideas you missed" in html and "Study next:" in html
    assert 'href="#answer-3"' in html  # jump links to every question
    assert 'class="link-button show-evidence" data-ref="c0"' in html
    assert 'data-ref="c0" title="Same state after repeats"' in html
    question = session.answers.get(position=0).question
    response = cand_client.post(reverse("interviews:retry", args=[question.id]))
    again = Session.objects.latest("id")
    assert response["Location"] == reverse("interviews:interview", args=[again.id])
    assert again.title.startswith("Again · ") and again.answers.get().question == question


def test_retrying_a_question_no_longer_in_the_bank_says_so(cand_client):
    response = cand_client.post(reverse("interviews:retry", args=[999999]), follow=True)
    assert "That question is no longer in the bank." in response.content.decode()


def test_full_marks_with_a_missed_idea_says_why():
    from grading.models import Grade
    from interviews.selectors import AnswerResult

    keyword = Grade(
        kind="keyword",
        score=100,
        verdicts=[{"label": "A", "verdict": "met"}, {"label": "B", "verdict": "missed"}],
    )
    result = AnswerResult(answer=Answer(saved_text=""), grade=keyword, keyword=keyword, llm=None)
    assert "at least 90% of the rubric's weight" in result.full_marks_note


def test_progress_chart_has_dated_points_and_topic_bars(bank, candidate, cand_client):
    _finished_sessions(candidate, 3)
    html = cand_client.get(reverse("interviews:dashboard")).content.decode()
    today = timezone.now()
    assert 'class="x-label"' in html and f"{today:%-d %b}</text>" in html
    assert html.count('<rect class="bar"') >= 1 and "weakest first" in html
    assert 'class="value"' in html and 'class="hide-narrow"' in html
    assert 'style="' not in html  # strict CSP: no inline styles


def test_weakest_topics_are_shown_before_the_clock_starts(bank, candidate, cand_client):
    _finished_sessions(candidate, 1)
    before = Session.objects.count()
    page = cand_client.get(reverse("interviews:weakest")).content.decode()
    assert "The clock starts when you press Start." in page and "junior" in page
    assert Session.objects.count() == before  # nothing started yet
    response = cand_client.post(reverse("interviews:weakest"), {"start_key": "w1"})
    assert "/practice/s/" in response["Location"] and Session.objects.count() == before + 1


def test_start_page_states_limits_and_thin_multiple_choice(bank, cand_client):
    html = cand_client.get(reverse("interviews:start")).content.decode()
    assert "From 3 to 15." in html and "From 5 to 240 minutes." in html
    assert "Multiple-choice questions in the bank: junior 2, mid 0, senior 0." in html
    assert "Mid has none, so a mid interview will be mostly or all free text." in html
