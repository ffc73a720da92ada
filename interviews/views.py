"""Candidate pages: start, the timed interview (HTMX autosave), results, progress."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.http import HtmxHttpRequest
from core.throttle import Throttle, too_many_requests
from interviews import selectors, services
from interviews.charts import topic_bars, trend_chart
from interviews.errors import InterviewError
from interviews.forms import SaveForm, StartForm
from interviews.models import SessionKind, SessionStatus
from interviews.templatetags.interview_tags import saved_status
from questionbank.models import Level

SAVE_THROTTLE = Throttle(scope="autosave", limit=120, window_seconds=60)
SUBMIT_THROTTLE = Throttle(scope="submit", limit=20, window_seconds=60)


def _epoch_ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def _clock_headers(response: HttpResponse, deadline) -> HttpResponse:
    """Let the page resync its countdown from the server on every save."""
    response["X-Viva-Deadline"] = str(_epoch_ms(deadline))
    response["X-Viva-Server-Now"] = str(_epoch_ms(timezone.now()))
    return response


@require_http_methods(["GET", "POST"])
@login_required
def start(request: HtmxHttpRequest) -> HttpResponse:
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_start(
                candidate=request.user,
                level=data["level"],
                topic_slugs=[t.slug for t in data["topics"]],
                count=data["count"],
                include_multiple_choice=data["include_multiple_choice"],
                time_limit_minutes=data["time_limit_minutes"],
                start_key=data["start_key"],
            )
        except InterviewError as exc:
            form.add_error(None, exc.message)
        else:
            if session.note:
                messages.warning(request, session.note)
            return redirect("interviews:interview", session_id=session.id)
    counts = selectors.multiple_choice_counts()
    context = {
        "form": form,
        "resume": selectors.open_interview_for(user=request.user),
        "mcq_counts": [(level, label, counts.get(level, 0)) for level, label in Level.choices],
    }
    return render(request, "interviews/start.html", context)


@require_safe
@never_cache  # Back after submitting must not show a cached page with a live clock
def interview(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    if login_needed := _login_first(request, session_id):
        return login_needed
    try:
        requested = max(int(request.GET.get("q", 0)), 0)
    except ValueError:
        requested = 0
    session, answers = selectors.session_answers_for_request(
        request=request, session_id=session_id, question_shown=requested
    )
    if session.is_open and not services.session_close_if_over(session=session).is_open:
        messages.info(request, "Time is up. Your last saved answers were submitted for grading.")
        return redirect("interviews:results", session_id=session.id)
    if not session.is_open:
        return redirect("interviews:results", session_id=session.id)
    position = min(requested, len(answers) - 1)
    if position != requested:  # past the end: the last question, fetched on its own
        answers[position].refresh_from_db(fields=["snapshot"])
    context = {
        "session": session,
        "answers": answers,
        "answer": answers[position],
        "flagged": answers[position].flagged,
        "position": position,
        "save_url": reverse("interviews:save", args=[session.id, position]),
        "flag_url": reverse("interviews:flag", args=[session.id, position]),
        "submit_url": reverse("interviews:submit", args=[session.id]),
        "results_url": reverse("interviews:results", args=[session.id]),
        "is_last": position == len(answers) - 1,
        "deadline_ms": _epoch_ms(session.deadline),
        "server_now_ms": _epoch_ms(timezone.now()),
        "max_chars": settings.ANSWER_MAX_CHARS,
        "max_chars_display": f"{settings.ANSWER_MAX_CHARS:,}",
        "answered_count": sum(1 for a in answers if a.is_answered),
    }
    return render(request, "interviews/interview.html", context)


@require_POST
def save_answer(request: HtmxHttpRequest, session_id: int, position: int) -> HttpResponse:
    # The access check is part of the write itself (see interviews/drafts.py); the
    # session is read only to explain a refusal.
    candidate_id = selectors.session_writer_id(request=request, session_id=session_id)
    requester = candidate_id or request.session.session_key
    retry_after = SAVE_THROTTLE.hit(f"{session_id}:{requester}")
    if retry_after:
        return too_many_requests(request, retry_after)
    form = SaveForm(request.POST)
    if not form.is_valid():
        return _save_problem(
            request, session_id, "The answer could not be read; please try again.", 400
        )
    data = form.cleaned_data
    is_choice = "choice" in request.POST
    try:
        result = services.answer_save_draft(
            session_id=session_id,
            position=position,
            candidate_id=candidate_id,
            text=None if is_choice else data["text"],
            choice_index=data["choice"] if is_choice else None,
            seconds_spent=data["seconds"] or 0,
            pastes=data["pastes"] or 0,
            pasted_chars=data["pasted_chars"] or 0,
            hidden=data["hidden"] or 0,
        )
    except InterviewError as exc:
        return _save_problem(request, session_id, exc.message, exc.status_code, exc.deadline)
    if request.htmx:
        response = _clock_headers(HttpResponse(saved_status(result.saved_at)), result.deadline)
        response["X-Viva-Revision"] = str(result.revision)
        return response
    return redirect(_after_save_url(session_id, position, data["go"]))


def _login_first(request: HtmxHttpRequest, session_id: int) -> HttpResponse | None:
    """A signed-out visitor without the invitation is asked to log in (then comes back),
    rather than told the page does not exist."""
    if request.user.is_authenticated or selectors.holds_invitation(request, session_id):
        return None
    return redirect_to_login(request.get_full_path())


def _after_save_url(session_id: int, position: int, go: str) -> str:
    if go == "submit":
        return reverse(
            "interviews:interview", args=[session_id], query={"q": position}, fragment="submit"
        )
    step = {"next": 1, "prev": -1}.get(go, 0)
    return reverse("interviews:interview", args=[session_id], query={"q": max(0, position + step)})


def _save_problem(
    request, session_id: int, message: str, status: int, deadline=None
) -> HttpResponse:
    """A refused save: say why, keeping the page's clock in step.

    Without a ``deadline`` nothing has yet shown the session to be the requester's, so
    it is read through the access check (404 otherwise).
    """
    if deadline is None:
        session = selectors.session_get_for_request(request=request, session_id=session_id)
        deadline = session.deadline
    if request.htmx:
        response = render(
            request,
            "interviews/interview.html#save_problem",
            {"problem": message, "closed": status == 409, "session_id": session_id},
            status=status,
        )
        return _clock_headers(response, deadline)
    messages.error(request, message)
    return redirect("interviews:interview", session_id=session_id)


@require_POST
def toggle_flag(request: HtmxHttpRequest, session_id: int, position: int) -> HttpResponse:
    session = selectors.session_get_for_request(request=request, session_id=session_id)
    try:
        flagged = services.answer_toggle_flag(session=session, position=position)
    except InterviewError as exc:
        return _save_problem(request, session.id, exc.message, exc.status_code, session.deadline)
    if request.htmx:
        return render(
            request,
            "interviews/interview.html#flag_button",
            {
                "flag_url": reverse("interviews:flag", args=[session.id, position]),
                "flagged": flagged,
            },
        )
    return redirect(reverse("interviews:interview", args=[session.id], query={"q": position}))


@require_POST
@never_cache
def submit(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session, answers = selectors.session_answers_for_request(request=request, session_id=session_id)
    if session.is_open and not request.POST.get("confirmed"):
        unanswered = [a.position + 1 for a in answers if not a.is_answered]
        flagged = [a.position + 1 for a in answers if a.flagged]
        if unanswered or flagged:
            return render(
                request,
                "interviews/confirm_submit.html",
                {
                    "session": session,
                    "unanswered": unanswered,
                    "flagged": flagged,
                    "submit_url": reverse("interviews:submit", args=[session.id]),
                },
            )
    retry_after = SUBMIT_THROTTLE.hit(f"{session.id}")
    if retry_after:
        return too_many_requests(request, retry_after)
    session = services.session_submit(session=session)
    if session.status == SessionStatus.TIMED_OUT:
        messages.info(request, "Time was up, so your last saved answers were submitted.")
    url = reverse("interviews:results", args=[session.id])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_safe
@never_cache
def results(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    if login_needed := _login_first(request, session_id):
        return login_needed
    session = selectors.session_get_for_request(request=request, session_id=session_id)
    session = services.session_close_if_over(session=session)
    if session.is_open:
        return redirect("interviews:interview", session_id=session.id)
    interview_set = selectors.invited_from(session)
    if interview_set is not None and not interview_set.candidates_see_results:
        return render(
            request,
            "interviews/submitted.html",
            {"session": session, "interview_set": interview_set},
        )
    answer_results = selectors.results_for(selectors.answers_with_grades(session))
    pending = sum(1 for r in answer_results if r.pending)
    context = {
        "session": session,
        "results": answer_results,
        "pending": pending,
        "graded": len(answer_results) - pending,
        "overall": selectors.overall_score(answer_results),
        "summary": selectors.results_summary(answer_results),
        "show_model_answers": session.kind == SessionKind.PRACTICE,
        "interview_set": interview_set,
    }
    template = "interviews/results.html"
    if request.htmx:
        template += "#results_body"
    return render(request, template, context)


@require_safe
@login_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    progress = selectors.candidate_progress(user=request.user)
    return render(
        request,
        "interviews/dashboard.html",
        {
            "progress": progress,
            "chart": trend_chart(progress.trend),
            "bars": topic_bars(progress.by_topic),
            "resume": selectors.open_interview_for(user=request.user),
        },
    )


@require_POST
@login_required
def retry_question(request: HtmxHttpRequest, question_id: int) -> HttpResponse:
    try:
        session = services.session_retry_question(candidate=request.user, question_id=question_id)
    except InterviewError as exc:
        messages.error(request, exc.message)
        return redirect("interviews:start")
    return redirect("interviews:interview", session_id=session.id)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def practise_weakest(request: HtmxHttpRequest) -> HttpResponse:
    """GET shows what "practise my weakest topics" will start; POST starts it."""
    plan = selectors.weakest_plan(progress=selectors.candidate_progress(user=request.user))
    if plan is None:
        messages.info(request, "Finish an interview first, then we can find your weakest topics.")
        return redirect("interviews:start")
    if request.method != "POST":
        form = StartForm(initial={"level": plan.level})
        return render(request, "interviews/weakest.html", {"plan": plan, "form": form})
    try:
        session = services.session_start(
            candidate=request.user,
            level=plan.level,
            topic_slugs=plan.topic_slugs,
            count=plan.count,
            include_multiple_choice=True,
            start_key=request.POST.get("start_key") or None,
        )
    except InterviewError as exc:
        messages.error(request, exc.message)
        return redirect("interviews:dashboard")
    if session.note:
        messages.warning(request, session.note)
    return redirect("interviews:interview", session_id=session.id)
