"""Hiring-team pages: teams, the set builder, invitations, review, export, invitation links.

Thin views: parse with a form, check access through a selector (404 for non-members,
403 for members without the role), call one service, render a page or one of its
partials for htmx.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core import accounts
from core.client import client_ip
from core.http import HtmxHttpRequest
from core.links import absolute_url
from core.throttle import Throttle, too_many_requests
from grading.answer_check import answer_check, question_samples_check, result_segments
from grading.calibration import Graded, question_calibration
from grading.ideas import suggest_ideas
from grading.services import criteria_records
from hiring import exports, forms, scorecards, selectors, services
from hiring.models import InvitationStatus, Role
from hiring.services import HiringError, InvitationUnavailable, QuestionInvalid
from hiring.tokens import token_hash
from interviews.selectors import INVITED_SESSIONS_KEY
from questionbank.models import Kind

# Bad links are counted per client IP (guessing is hopeless with 256-bit tokens, but a
# scanner should not get to try); good links per token, so candidates behind one proxy
# never block each other.
INVITE_BAD_THROTTLE = Throttle(scope="invite-bad", limit=20, window_seconds=600)
INVITE_TOKEN_THROTTLE = Throttle(scope="invite-token", limit=30, window_seconds=60)
INVITE_CREATE_THROTTLE = Throttle(scope="invite-create", limit=200, window_seconds=3600)
MEMBER_INVITE_THROTTLE = Throttle(scope="member-invite", limit=20, window_seconds=3600)


def _hx_or_redirect(
    request: HtmxHttpRequest, partial: str, context: dict, url: str
) -> HttpResponse:
    if request.htmx:
        return render(request, partial, context)
    return redirect(url)


# --------------------------------------------------------------------------- teams
@require_safe
@login_required
def teams(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "hiring/teams.html", _teams_context(request, form=forms.TeamForm()))


def _teams_context(request, **extra) -> dict:
    return {
        "memberships": selectors.memberships_for_user(user=request.user),
        "seat_offers": services.member_invites_for(user=request.user),
        "verified": accounts.is_verified(request.user),
        **extra,
    }


@require_POST
@login_required
def member_invite_answer(request: HtmxHttpRequest, invite_id: int) -> HttpResponse:
    accept = request.POST.get("answer") == "accept"
    membership = services.member_invite_answer(
        invite_id=invite_id, user=request.user, accept=accept
    )
    if membership is None:
        messages.info(request, "Invitation declined.")
        return redirect("hiring:teams")
    messages.success(request, f"You joined {membership.team.name}.")
    return redirect("hiring:team", slug=membership.team.slug)


@require_POST
@login_required
def team_create(request: HtmxHttpRequest) -> HttpResponse:
    form = forms.TeamForm(request.POST)
    if not form.is_valid():
        return render(request, "hiring/teams.html", _teams_context(request, form=form), status=400)
    team = services.team_create(name=form.cleaned_data["name"], owner=request.user)
    messages.success(request, f"Team “{team.name}” created. You are its owner.")
    return redirect("hiring:team", slug=team.slug)


def _team_context(request, access, **extra) -> dict:
    team = access.team
    return {
        "team": team,
        "access": access,
        "sets": selectors.team_sets(team=team),
        "members": selectors.team_members(team=team),
        "private_questions": selectors.team_private_questions(team=team),
        "queue_count": selectors.review_queue(team=team).count(),
        "set_form": forms.SetForm(),
        "member_form": forms.MemberAddForm(),
        "pending_invites": list(access.team.member_invites.all()) if access.can_manage else [],
        "role_choices": Role.choices,
        **extra,
    }


@require_safe
@login_required
def team(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = selectors.team_for_member(user=request.user, slug=slug)
    return render(request, "hiring/team.html", _team_context(request, access))


@require_POST
@login_required
def member_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = selectors.team_for_member(user=request.user, slug=slug)
    access.require_manage()
    form = forms.MemberAddForm(request.POST)
    if form.is_valid():
        if retry_after := MEMBER_INVITE_THROTTLE.hit(f"team:{access.team.id}"):
            return too_many_requests(request, retry_after)
        try:
            invite = services.member_invite(
                team=access.team,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except HiringError as exc:
            form.add_error("email", exc.message)
        else:
            # the same words whether or not an account has that address
            messages.success(
                request, f"Invitation sent to {invite.email}. They join once they accept."
            )
            return redirect("hiring:team", slug=slug)
    return render(
        request, "hiring/team.html", _team_context(request, access, member_form=form), status=400
    )


@require_POST
@login_required
def member_role(request: HtmxHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    access = selectors.team_for_member(user=request.user, slug=slug)
    access.require_manage()
    membership = selectors.membership_in_team(team=access.team, membership_id=membership_id)
    form = forms.MemberRoleForm(request.POST)
    if form.is_valid():
        services.membership_set_role(membership=membership, role=form.cleaned_data["role"])
        messages.success(request, f"{membership.user.get_username()} is now {membership.role}.")
    return redirect("hiring:team", slug=slug)


@require_POST
@login_required
def member_remove(request: HtmxHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    access = selectors.team_for_member(user=request.user, slug=slug)
    access.require_manage()
    membership = selectors.membership_in_team(team=access.team, membership_id=membership_id)
    services.membership_remove(membership=membership)
    messages.success(request, f"{membership.user.get_username()} was removed from the team.")
    if membership.user_id == request.user.id:
        return redirect("hiring:teams")
    return redirect("hiring:team", slug=slug)


@require_POST
@login_required
def set_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = selectors.team_for_member(user=request.user, slug=slug)
    access.require_write()
    form = forms.SetForm(request.POST)
    if not form.is_valid():
        return render(
            request, "hiring/team.html", _team_context(request, access, set_form=form), status=400
        )
    interview_set = services.set_create(
        team=access.team, created_by=request.user, **form.cleaned_data
    )
    messages.success(request, "Interview set created. Now add questions.")
    return redirect("hiring:builder", set_id=interview_set.id)


@require_safe
@never_cache  # candidates' answers and grades: never kept by a browser or proxy
@login_required
def review_queue(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = selectors.team_for_member(user=request.user, slug=slug)
    rows = selectors.review_queue_rows(team=access.team, reviewer=request.user)
    return render(
        request, "hiring/queue.html", {"team": access.team, "access": access, "rows": rows}
    )


# --------------------------------------------------------------------------- builder
def _builder_context(request, interview_set, access, search_form=None, **extra) -> dict:
    search_form = search_form or forms.BankSearchForm(request.GET or None)
    bank = selectors.bank_search(team=access.team, search=search_form.filter())
    items = selectors.set_items(interview_set=interview_set)
    return {
        "set": interview_set,
        "team": access.team,
        "access": access,
        "items": items,
        "in_set": {item.question_id for item in items},
        "settings_form": forms.SetForm(instance=interview_set),
        "search_form": search_form,
        "bank": bank,
        "latest_version": interview_set.versions.order_by("-number").first(),
        **extra,
    }


@require_safe
@login_required
def builder(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    return render(request, "hiring/builder.html", _builder_context(request, interview_set, access))


@require_POST
@login_required
def set_settings(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    access.require_write()
    form = forms.SetForm(request.POST, instance=interview_set)
    if form.is_valid():
        services.set_update(interview_set=interview_set, **form.cleaned_data)
        saved = True
    else:
        interview_set.refresh_from_db()
        saved = False
    context = {"set": interview_set, "access": access, "settings_form": form, "saved": saved}
    if request.htmx:
        return render(
            request, "hiring/builder.html#settings", context, status=200 if saved else 400
        )
    if saved:
        messages.success(request, "Settings saved.")
        return redirect("hiring:builder", set_id=set_id)
    context = _builder_context(request, interview_set, access)
    context["settings_form"] = form
    return render(request, "hiring/builder.html", context, status=400)


@require_safe
@login_required
def bank(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    if not request.htmx:
        return redirect(reverse("hiring:builder", args=[set_id], query=request.GET))
    search_form = forms.BankSearchForm(request.GET)
    results = selectors.bank_search(team=access.team, search=search_form.filter())
    items_ids = set(interview_set.items.values_list("question_id", flat=True))
    return render(
        request,
        "hiring/builder.html#bank_results",
        {"set": interview_set, "access": access, "bank": results, "in_set": items_ids},
    )


def _items_response(request, interview_set, access, added=None) -> HttpResponse:
    back = forms.BankSearchForm(_parse_query(request.POST.get("search", ""))).filter().as_params()
    url = reverse("hiring:builder", args=[interview_set.id], query=back)
    items = selectors.set_items(interview_set=interview_set)
    return _hx_or_redirect(
        request,
        "hiring/builder.html#items",
        {"set": interview_set, "access": access, "items": items, "added": added},
        url,
    )


def _parse_query(query: str) -> QueryDict:
    return QueryDict(query[:500])


@require_POST
@login_required
def item_add(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    access.require_write()
    question = selectors.question_by_id(request.POST.get("question", ""))
    try:
        if question is None:
            raise HiringError("That question cannot be used in this set.")
        services.set_item_add(interview_set=interview_set, question=question)
    except HiringError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=400)
        messages.error(request, exc.message)
        question = None
    return _items_response(request, interview_set, access, added=question)


@require_POST
@login_required
def item_remove(request: HtmxHttpRequest, set_id: int, item_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    access.require_write()
    services.set_item_remove(interview_set=interview_set, item_id=item_id)
    return _items_response(request, interview_set, access)


@require_POST
@login_required
def item_move(request: HtmxHttpRequest, set_id: int, item_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    access.require_write()
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.set_item_move(interview_set=interview_set, item_id=item_id, offset=offset)
    return _items_response(request, interview_set, access)


# --------------------------------------------------------------------------- private questions
def _question_page(
    request,
    *,
    access,
    interview_set,
    question,
    form,
    criteria,
    choices,
    samples=None,
    status=200,
    tryout=None,
):
    if samples is None:
        samples = forms.sample_formset(
            data=request.POST if "s-TOTAL_FORMS" in request.POST else None
        )
    context = {
        "tryout": tryout,
        "samples": samples,
        "calibration": _team_calibration(question),
        "team": access.team,
        "access": access,
        "set": interview_set,
        "question": question,
        "form": form,
        "criteria": criteria,
        "choices": choices,
    }
    return render(request, "hiring/question_form.html", context, status=status)


def _question_submit(request, *, access, interview_set, question) -> HttpResponse:
    """Shared by create and edit: save, or suggest a rubric, or show the problems."""
    form = forms.PrivateQuestionForm(request.POST)
    choices = forms.choice_formset(data=request.POST)
    if request.POST.get("action") == "tryout":
        return _rubric_tryout(
            request, access=access, interview_set=interview_set, question=question
        )
    if request.POST.get("action") == "suggest":
        prompt, model_answer = request.POST.get("prompt", ""), request.POST.get("model_answer", "")
        suggested = criteria_records(suggest_ideas(prompt[:5000], model_answer[:10000]))
        criteria = forms.criterion_formset(initial=suggested)
        gate = _posted_samples_gate(request, prompt=prompt, criteria=suggested)
        if request.htmx:
            return render(
                request,
                "hiring/question_form.html#criteria",
                {"criteria": criteria, "suggested": len(suggested), "gate": gate},
            )
        return _question_page_as_typed(
            request, access=access, interview_set=interview_set, question=question,
            criteria=criteria,
        )  # fmt: skip
    criteria = forms.criterion_formset(data=request.POST)
    samples = forms.sample_formset(data=request.POST)
    # Only the part the question's kind uses is read, so leftovers in the other can't block.
    multiple_choice = form.is_valid() and form.cleaned_data["kind"] == Kind.MULTIPLE_CHOICE
    parts_valid = (
        choices.is_valid() if multiple_choice else criteria.is_valid() and samples.is_valid()
    )
    if form.is_valid() and parts_valid:
        try:
            saved = services.private_question_save(
                team=access.team,
                question=question,
                created_by=request.user,
                criteria=_filled_rows(criteria) if not multiple_choice else [],
                choices=_filled_rows(choices) if multiple_choice else [],
                samples=(
                    _filled_rows(samples)
                    if "s-TOTAL_FORMS" in request.POST and not multiple_choice
                    else None
                ),
                **form.cleaned_data,
            )
        except QuestionInvalid as exc:
            for problem in exc.problems:
                target = problem.field if problem.field in form.fields else None
                form.add_error(target, problem.message if target else str(problem))
        except HiringError as exc:
            form.add_error(None, exc.message)
        else:
            if interview_set is not None and question is None:
                services.set_item_add(interview_set=interview_set, question=saved)
                messages.success(request, "Question saved and added to the set.")
                return redirect("hiring:builder", set_id=interview_set.id)
            messages.success(request, "Question saved.")
            if interview_set is not None:
                return redirect("hiring:builder", set_id=interview_set.id)
            return redirect("hiring:team", slug=access.team.slug)
    return _question_page(
        request,
        access=access,
        interview_set=interview_set,
        question=question,
        form=form,
        criteria=criteria,
        choices=choices,
        samples=samples,
        status=400,
    )


TRYOUT_MAX_CHARS = 5000


def _rubric_tryout(request, *, access, interview_set, question) -> HttpResponse:
    """Grade a pasted answer against the rubric as it stands in the form, unsaved."""
    criteria = forms.criterion_formset(data=request.POST)
    rows = [f.row() for f in criteria.forms if f.is_valid()] if criteria.is_valid() else None
    answer = request.POST.get("tryout_answer", "")[:TRYOUT_MAX_CHARS]
    tryout = {"answer": answer, "problem": ""}
    if rows is None:
        tryout["problem"] = "Fix the rubric's errors first."
    elif not [r for r in rows if r]:
        tryout["problem"] = "Add at least one criterion with keywords to try the rubric."
    elif not answer.strip():
        tryout["problem"] = "Paste an answer to grade."
    else:
        snapshot = {"prompt": request.POST.get("prompt", ""), "criteria": [r for r in rows if r]}
        tryout["check"] = answer_check(snapshot=snapshot, text=answer)
        tryout["segments"] = result_segments(answer, tryout["check"].result)
    if request.htmx:
        status = 400 if tryout["problem"] else 200
        return render(
            request, "hiring/question_form.html#tryout", {"tryout": tryout}, status=status
        )
    return _question_page_as_typed(
        request, access=access, interview_set=interview_set, question=question,
        criteria=criteria, tryout=tryout,
    )  # fmt: skip


def _question_page_as_typed(request, *, access, interview_set, question, criteria, tryout=None):
    """The whole form again, every field as posted (errors and all), for browsers without
    JavaScript after a suggestion or a tryout."""
    form = forms.PrivateQuestionForm(request.POST)
    form.is_valid()
    return _question_page(
        request,
        access=access,
        interview_set=interview_set,
        question=question,
        form=form,
        criteria=criteria,
        choices=forms.choice_formset(data=request.POST),
        tryout=tryout,
    )


def _posted_samples_gate(request, *, prompt: str, criteria: list[dict]):
    """The calibration gate for a suggested rubric on the samples typed into the form, or
    None when there are none."""
    samples = forms.sample_formset(data=request.POST)
    if not samples.is_valid():
        return None
    rows = _filled_rows(samples)
    if not rows:
        return None
    checks = [
        Graded(row["kind"], row["score"], answer_check(
            snapshot={"prompt": prompt, "criteria": criteria}, text=row["text"]
        ).score)
        for row in rows
    ]  # fmt: skip
    return question_calibration(checks)


def _team_calibration(question):
    """A saved free-text team question's calibration against its samples, or None."""
    if question is None or not question.is_free_text or not question.samples.exists():
        return None
    status, checks = question_samples_check(question)
    return {"status": status, "checks": checks}


def _filled_rows(formset) -> list[dict]:
    """The formset's non-empty rows, as the services take them."""
    return [row for row in (f.row() for f in formset.forms) if row is not None]


@require_http_methods(["GET", "POST"])
@login_required
def question_new(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    access.require_write()
    if request.method == "POST":
        return _question_submit(request, access=access, interview_set=interview_set, question=None)
    return _question_page(
        request,
        access=access,
        interview_set=interview_set,
        question=None,
        form=forms.PrivateQuestionForm(),
        criteria=forms.criterion_formset(),
        choices=forms.choice_formset(),
    )


@require_http_methods(["GET", "POST"])
@login_required
def question_edit(request: HtmxHttpRequest, question_id: int) -> HttpResponse:
    question, access = selectors.private_question_for_member(
        user=request.user, question_id=question_id
    )
    access.require_write()
    interview_set = None
    set_id = request.GET.get("set") or request.POST.get("set")
    if set_id and str(set_id).isdigit():
        interview_set = access.team.interview_sets.filter(id=int(set_id)).first()
    if request.method == "POST":
        return _question_submit(
            request, access=access, interview_set=interview_set, question=question
        )
    form = forms.PrivateQuestionForm(
        initial={
            "kind": question.kind,
            "title": question.title,
            "prompt": question.prompt,
            "level": question.level,
            "topic": question.topic.slug,
            "model_answer": question.model_answer,
            "suggested_minutes": question.suggested_minutes,
        }
    )
    criteria = forms.criterion_formset(
        initial=[
            {"label": c.label, "keywords": c.keywords, "weight": c.weight, "required": c.required}
            for c in question.criteria.all()
        ]
    )
    choices = forms.choice_formset(
        initial=[
            {"text": c.text, "is_correct": c.is_correct, "explanation": c.explanation}
            for c in question.choices.all()
        ]
    )
    samples = forms.sample_formset(
        initial=[{"kind": s.kind, "score": s.score, "text": s.text} for s in question.samples.all()]
    )
    return _question_page(
        request,
        access=access,
        interview_set=interview_set,
        question=question,
        form=form,
        criteria=criteria,
        choices=choices,
        samples=samples,
    )


@require_POST
@login_required
def question_retire(request: HtmxHttpRequest, question_id: int) -> HttpResponse:
    question, access = selectors.private_question_for_member(
        user=request.user, question_id=question_id
    )
    access.require_write()
    retired = request.POST.get("retired") != "0"
    services.private_question_retire(team=access.team, question=question, retired=retired)
    messages.success(
        request,
        f"“{question.title}” is retired: it no longer appears in the bank search; sets that "
        "use it keep it."
        if retired
        else f"“{question.title}” is back in the bank search.",
    )
    return redirect("hiring:team", slug=access.team.slug)


# --------------------------------------------------------------------------- invitations
def _invitations_context(request, interview_set, access, **extra) -> dict:
    filter_form = forms.StatusFilterForm(request.GET or None)
    return {
        "set": interview_set,
        "team": access.team,
        "access": access,
        "invitations": selectors.set_invitations(
            interview_set=interview_set,
            status=filter_form.status_value(),
            blind_for=request.user,
        ),
        "form": forms.InvitationForm(),
        "bulk_form": forms.BulkInviteForm(),
        "filter_form": filter_form,
        "extend_form": forms.ExtendForm(),
        "has_questions": interview_set.items.exists(),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@login_required
def invitations(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    if request.method == "GET":
        return render(
            request, "hiring/invitations.html", _invitations_context(request, interview_set, access)
        )
    access.require_write()
    retry_after = INVITE_CREATE_THROTTLE.hit(f"user:{request.user.id}")
    if retry_after:
        return too_many_requests(request, retry_after)
    form = forms.InvitationForm(request.POST)
    extra: dict = {"form": form}
    status = 400
    if form.is_valid():
        try:
            invitation, token = services.invitation_create(
                interview_set=interview_set,
                created_by=request.user,
                link_for=lambda path: absolute_url(path, request=request),
                **form.cleaned_data,
            )
        except HiringError as exc:
            form.add_error(None, exc.message)
        else:
            extra = {
                "form": forms.InvitationForm(),
                "new_invitation": invitation,
                "new_link": _invite_link(request, token),
            }
            status = 201 if request.htmx else 200
    return _invitations_panel(request, interview_set, access, status=status, **extra)


def _invite_link(request, token: str) -> str:
    """The candidate's link; it exists only now (we store its hash), so it is shown once."""
    return absolute_url(reverse("hiring:invite", args=[token]), request=request)


def _invitations_panel(request, interview_set, access, *, status: int, **extra) -> HttpResponse:
    context = _invitations_context(request, interview_set, access, **extra)
    if request.htmx:
        return render(request, "hiring/invitations.html#panel", context, status=status)
    return render(request, "hiring/invitations.html", context, status=status)


def _invitation_row(request, invitation, access, *, error: str = "") -> HttpResponse:
    invitation.refresh_from_db()
    selectors.invitations_as_seen([invitation], reviewer=request.user)
    if request.htmx:
        return render(
            request,
            "hiring/invitations.html#invitation_row",
            {
                "inv": invitation,
                "access": access,
                "extend_form": forms.ExtendForm(),
                "row_error": error,
            },
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    return redirect("hiring:invitations", set_id=invitation.interview_set_id)


@require_POST
@login_required
def invitations_bulk(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    access.require_write()
    form = forms.BulkInviteForm(request.POST)
    extra: dict = {"bulk_form": form}
    status = 400
    if form.is_valid():
        rows = form.cleaned_data["candidates"]
        # each invitation counts against the sender's hourly limit
        if retry_after := INVITE_CREATE_THROTTLE.hit(f"user:{request.user.id}", len(rows)):
            return too_many_requests(request, retry_after)
        try:
            created = services.invitations_create_bulk(
                interview_set=interview_set,
                created_by=request.user,
                candidates=rows,
                days=form.cleaned_data["days"],
                link_for=lambda path: absolute_url(path, request=request),
            )
        except HiringError as exc:
            form.add_error(None, exc.message)
        else:
            extra = {
                "bulk_form": forms.BulkInviteForm(),
                "bulk_links": [
                    (invitation, _invite_link(request, token)) for invitation, token in created
                ],
            }
            status = 201 if request.htmx else 200
    return _invitations_panel(request, interview_set, access, status=status, **extra)


@require_POST
@login_required
def invitation_reissue(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    """A new link, shown once on the invitations page (the old one stops working)."""
    invitation, access = selectors.invitation_for_member(
        user=request.user, invitation_id=invitation_id
    )
    access.require_write()
    invitation, token = services.invitation_reissue(
        invitation=invitation, link_for=lambda path: absolute_url(path, request=request)
    )
    context = _invitations_context(
        request,
        invitation.interview_set,
        access,
        new_invitation=invitation,
        new_link=_invite_link(request, token),
        reissued=True,
    )
    return render(request, "hiring/invitations.html", context)


@require_POST
@login_required
def invitation_revoke(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    invitation, access = selectors.invitation_for_member(
        user=request.user, invitation_id=invitation_id
    )
    access.require_write()
    try:
        services.invitation_revoke(invitation=invitation)
    except HiringError as exc:
        return _invitation_row(request, invitation, access, error=exc.message)
    return _invitation_row(request, invitation, access)


@require_POST
@login_required
def invitation_extend(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    invitation, access = selectors.invitation_for_member(
        user=request.user, invitation_id=invitation_id
    )
    access.require_write()
    form = forms.ExtendForm(request.POST)
    if not form.is_valid():
        return _invitation_row(request, invitation, access, error="Extend by 1 to 60 days.")
    try:
        services.invitation_extend(invitation=invitation, days=form.cleaned_data["days"])
    except HiringError as exc:
        return _invitation_row(request, invitation, access, error=exc.message)
    return _invitation_row(request, invitation, access)


# --------------------------------------------------------------------------- results
def _reader(request, access) -> scorecards.Reader:
    """Who reads scorecards, for the visibility rule (see hiring/scorecards.py)."""
    return scorecards.Reader(user=request.user, role=access.role)


def _is_blind(request, set_id: int) -> bool:
    return bool(selectors.blind_set_ids(reviewer=request.user, set_ids=[set_id]))


@require_safe
@never_cache  # candidates' answers and grades: never kept by a browser or proxy
@login_required
def results(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    filter_form = forms.StatusFilterForm(request.GET or None)
    blind = _is_blind(request, set_id)
    ranking = selectors.set_ranking(
        interview_set=interview_set,
        status=filter_form.status_value(),
        blind_for=request.user if blind else None,
        reader=_reader(request, access),
        sort=request.GET.get("sort", ""),
    )
    context = {
        "set": interview_set,
        "team": access.team,
        "access": access,
        "ranking": ranking,
        "filter_form": filter_form,
        "blind": blind,
    }
    template = "hiring/results.html"
    if request.htmx and not request.htmx.boosted:
        template += "#ranking"
    return render(request, template, context)


@require_POST
@login_required
def blind_toggle(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    """Blind review is a reviewer's own choice, kept until they turn it off."""
    interview_set, _access = selectors.set_for_member(user=request.user, set_id=set_id)
    services.blind_review_set(
        reviewer=request.user, interview_set=interview_set, on=request.POST.get("blind") == "on"
    )
    return redirect("hiring:results", set_id=interview_set.id)


def _export_name(interview_set, ext: str) -> str:
    return f"{slugify(interview_set.title) or 'interview'}-results.{ext}"


@require_safe
@never_cache
@login_required
def compare(request: HtmxHttpRequest, set_id: int, question_id: int) -> HttpResponse:
    """One question, every candidate's answer side by side."""
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    blind = _is_blind(request, set_id)
    side_by_side = selectors.question_side_by_side(
        interview_set=interview_set,
        question_id=question_id,
        blind_for=request.user if blind else None,
    )
    context = {
        "set": interview_set,
        "team": access.team,
        "access": access,
        "compare": side_by_side,
        "blind": blind,
    }
    return render(request, "hiring/compare.html", context)


@require_safe
@login_required
def results_csv(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    ranking = _export_ranking(request, interview_set, access)
    response = HttpResponse(exports.ranking_csv(ranking), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(interview_set, "csv")}"'
    response["Cache-Control"] = "no-store"
    return response


def _export_ranking(request, interview_set, access) -> selectors.Ranking:
    """What the results page shows this reviewer: blind review, and only the scorecards
    they may see (the same rule as the page)."""
    blind = _is_blind(request, interview_set.id)
    return selectors.set_ranking(
        interview_set=interview_set,
        blind_for=request.user if blind else None,
        reader=_reader(request, access),
    )


@require_safe
@login_required
def results_json(request: HtmxHttpRequest, set_id: int) -> HttpResponse:
    interview_set, access = selectors.set_for_member(user=request.user, set_id=set_id)
    ranking = _export_ranking(request, interview_set, access)
    response = JsonResponse(exports.ranking_json(ranking), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = (
        f'attachment; filename="{_export_name(interview_set, "json")}"'
    )
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- one candidate
def _candidate_context(
    request, invitation, access, scorecard_form=None, *, with_scorecards: bool = True
) -> dict:
    """What the candidate page shows; an answer card alone (htmx) needs no scorecards."""
    review = selectors.candidate_review(invitation=invitation)
    panel = None
    if with_scorecards:
        answers = [item.result.answer for item in review.items]
        panel = scorecards.scorecard_panel(
            invitation=invitation, reader=_reader(request, access), answers=answers
        )
        if scorecard_form is None:
            scorecard_form = forms.ScorecardForm.for_draft(answers=answers, draft=panel.mine)
    blinded = _is_blind(request, invitation.interview_set_id) and invitation.id not in (
        selectors.invitations_scored_by(
            reviewer=request.user, set_ids=[invitation.interview_set_id]
        )
    )
    return {
        "invitation": invitation,
        "set": invitation.interview_set,
        "team": access.team,
        "access": access,
        "review": review,
        "blinded": blinded,
        "name": selectors.candidate_name(invitation, blinded=blinded),
        "override_form": forms.OverrideForm(),
        "show_model_answers": True,
        "panel": panel,
        "scorecard_form": scorecard_form,
        "finished": review.session is not None and review.session.finished_at is not None,
    }


@require_safe
@never_cache  # candidates' answers and grades: never kept by a browser or proxy
@login_required
def candidate(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    invitation, access = selectors.invitation_for_member(
        user=request.user, invitation_id=invitation_id
    )
    return render(request, "hiring/candidate.html", _candidate_context(request, invitation, access))


@require_POST
@login_required
def answer_override(request: HtmxHttpRequest, invitation_id: int, answer_id: int) -> HttpResponse:
    invitation, access = selectors.invitation_for_member(
        user=request.user, invitation_id=invitation_id
    )
    access.require_write()
    answer = selectors.answer_of_invitation(invitation=invitation, answer_id=answer_id)
    form = forms.OverrideForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.answer_override(
                answer=answer,
                reviewer=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                feedback=form.cleaned_data["feedback"],
            )
        except HiringError as exc:
            error = exc.message
    else:
        error = "Give a score from 0 to 100 and a comment saying why."
    if request.htmx:
        context = _candidate_context(request, invitation, access, with_scorecards=False)
        item = next(i for i in context["review"].items if i.result.answer.id == answer.id)
        context.update(item=item, override_error=error, oob_score=True)
        if error:
            context["override_form"] = form
        return render(
            request, "hiring/candidate.html#answer_card", context, status=400 if error else 200
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Grade overridden.")
    return redirect(reverse("hiring:candidate", args=[invitation.id]) + f"#answer-{answer.id}")


@require_POST
@login_required
def scorecard(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    """Save this reviewer's scorecard as a draft, or submit it (final)."""
    invitation, access = selectors.invitation_for_member(
        user=request.user, invitation_id=invitation_id
    )
    access.require_write()
    answers = selectors.candidate_answers(invitation=invitation)
    form = forms.ScorecardForm(request.POST, answers=answers)
    status = 400
    if form.is_valid():
        try:
            card = scorecards.scorecard_save(
                invitation=invitation,
                reviewer=request.user,
                answers=answers,
                scores=form.scores(),
                recommendation=form.cleaned_data["recommendation"],
                notes=form.cleaned_data["notes"],
                submit=form.submitting,
            )
        except HiringError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            messages.success(
                request,
                "Scorecard submitted. It is final; you now see the other submitted scorecards."
                if card.submitted_at
                else "Draft saved. Only you can see it until you submit.",
            )
            return redirect(reverse("hiring:candidate", args=[invitation.id]) + "#scorecards")
    context = _candidate_context(request, invitation, access, scorecard_form=form)
    return render(request, "hiring/candidate.html", context, status=status)


@require_POST
@login_required
def candidate_confirm(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    invitation, access = selectors.invitation_for_member(
        user=request.user, invitation_id=invitation_id
    )
    access.require_write()
    session = getattr(invitation, "session", None)
    if session is None:
        messages.error(request, "This candidate has not started yet.")
    elif request.POST.get("reviewed") != "yes":
        messages.error(request, "Tick “I have read every answer” to confirm the machine grades.")
    else:
        count = services.answers_confirm(session=session, reviewer=request.user)
        messages.success(request, f"Confirmed {count} machine grade{'s' if count != 1 else ''}.")
    return redirect("hiring:candidate", invitation_id=invitation.id)


# --------------------------------------------------------------------------- invitation links
def _unavailable(request, exc: InvitationUnavailable) -> HttpResponse:
    if exc.reason in {"malformed", "unknown"}:
        INVITE_BAD_THROTTLE.hit(client_ip(request))
    return render(
        request, "hiring/invite_unavailable.html", {"problem": exc}, status=exc.status_code
    )


def _remember_session(request, session_id: int) -> None:
    known = list(request.session.get(INVITED_SESSIONS_KEY, []))
    if session_id not in known:
        known.append(session_id)
        request.session[INVITED_SESSIONS_KEY] = known


@never_cache
@require_http_methods(["GET", "POST"])
def invite(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The candidate's landing page: what to expect, and a Start button (POST)."""
    ip = client_ip(request)
    retry_after = INVITE_BAD_THROTTLE.blocked_for(ip) or INVITE_TOKEN_THROTTLE.hit(
        token_hash(token)[:32]
    )
    if retry_after:
        return too_many_requests(request, retry_after)
    known = list(request.session.get(INVITED_SESSIONS_KEY, []))
    try:
        if request.method == "POST":
            session = services.invitation_start(
                token=token, candidate=request.user, known_session_ids=known
            )
            _remember_session(request, session.id)
            return redirect("interviews:interview", session_id=session.id)
        invitation = services.invitation_for_token(
            token=token, known_session_ids=known, candidate=request.user
        )
    except InvitationUnavailable as exc:
        return _unavailable(request, exc)
    if invitation.status != InvitationStatus.PENDING:  # this browser started it: resume
        _remember_session(request, invitation.session.id)
        return redirect("interviews:interview", session_id=invitation.session.id)
    services.invitation_mark_opened(invitation=invitation)
    interview_set = invitation.interview_set
    return render(
        request,
        "hiring/invite.html",
        {
            "invitation": invitation,
            "set": interview_set,
            "team_name": interview_set.team.name,
            "question_count": interview_set.items.count(),
            "token": token,
        },
    )
