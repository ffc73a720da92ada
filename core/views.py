"""Site-wide pages: home, sign-up, login (throttled) and a health check."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.views import LoginView
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core import accounts
from core.client import client_ip
from core.throttle import Throttle, too_many_requests


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    from interviews.selectors import open_interview_for

    return render(
        request,
        "home.html",
        {"resume": open_interview_for(user=request.user), "demo_accounts": _demo_accounts()},
    )


def _demo_accounts() -> list[tuple[str, str, str]]:
    """With DEBUG on (`make run`), the home page names the demo accounts to try."""
    if not settings.DEBUG:
        return []
    from core.management.commands.seed_demo import DEMO_ACCOUNTS

    what = {"candidate": "practise", "hiring": "hiring team", "curator": "question bank"}
    return [(what.get(name, name), name, password) for name, password, *_ in DEMO_ACCOUNTS]


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's error pages)."""
    return redirect(static("img/favicon.svg"), permanent=True)


@require_safe
def status(request: HttpRequest) -> HttpResponse:
    """A tiny public page: one query, one small template (also the benchmarks' baseline)."""
    from questionbank.models import Question

    count = Question.objects.published().count()
    return render(request, "status.html", {"published": count})


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        help_text="We send a link to confirm it. Teams invite you by this address."
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


SIGNUP_THROTTLE = Throttle(scope="signup", limit=5, window_seconds=3600)
VERIFY_RESEND_THROTTLE = Throttle(scope="verify-resend", limit=3, window_seconds=3600)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if retry_after := SIGNUP_THROTTLE.blocked_for(client_ip(request)):
            return too_many_requests(request, retry_after)
        if form.is_valid():
            SIGNUP_THROTTLE.hit(client_ip(request))
            user = form.save()
            accounts.email_verification_send(user=user, request=request)
            login(request, user)  # through the configured backend, so the login sticks
            messages.success(
                request,
                "Welcome to Viva. Pick a level and topics to start practising. We have sent "
                f"a link to {user.email}: open it to confirm your address.",
            )
            return redirect("interviews:start")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners open links), POST confirms."""
    if request.method == "POST":
        try:
            accounts.email_verify(token=token)
        except accounts.VerificationFailed as exc:
            return render(
                request, "registration/verify_email.html", {"error": exc.message}, status=400
            )
        messages.success(request, "Your email address is confirmed.")
        return redirect("home")
    return render(request, "registration/verify_email.html", {})


@require_POST
@login_required
def verify_email_resend(request: HttpRequest) -> HttpResponse:
    if accounts.is_verified(request.user):
        messages.info(request, "Your email address is already confirmed.")
    elif retry_after := VERIFY_RESEND_THROTTLE.hit(f"user:{request.user.pk}"):
        return too_many_requests(request, retry_after)
    elif accounts.email_verification_send(user=request.user, request=request):
        messages.success(request, "We have sent a new link to your email address.")
    else:
        messages.error(request, "Your account has no email address to confirm.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("home")


LOGIN_THROTTLE = Throttle(scope="login", limit=5, window_seconds=300)


class ThrottledLoginView(LoginView):
    """Refuse further attempts for a while after repeated failures (per username and IP)."""

    def post(self, request, *args, **kwargs):
        keys = self._throttle_keys(request)
        for key in keys:
            retry_after = LOGIN_THROTTLE.blocked_for(key)
            if retry_after:
                return too_many_requests(request, retry_after)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form was re-shown: a failed attempt
            for key in keys:
                LOGIN_THROTTLE.hit(key)
        return response

    @staticmethod
    def _throttle_keys(request) -> list[str]:
        username = (request.POST.get("username") or "").strip().lower()[:150]
        return [f"user:{username}", f"ip:{client_ip(request)}"]


class ThrottledAdminLoginView(ThrottledLoginView):
    """The admin's login, throttled the same way: staff accounts are the ones worth
    guessing."""

    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"

    def get_context_data(self, **kwargs):
        from django.contrib import admin

        return {
            **super().get_context_data(**kwargs),
            **admin.site.each_context(self.request),
            "title": "Log in",
            "site_header": admin.site.site_header,
        }
