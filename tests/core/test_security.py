from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import OperationalError
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_strict_content_security_policy(client):
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_pages_carry_no_inline_script_or_style(client):
    UserFactory(username="csp")
    client.login(username="csp", password="correct-horse-battery")
    for url in [reverse("home"), reverse("interviews:start"), reverse("interviews:dashboard")]:
        html = client.get(url).content.decode()
        assert "<script>" not in html and " style=" not in html and "<style" not in html


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-" + "x9Q2" * 12,
        ALLOWED_HOSTS="viva.example.com",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "SECRET_KEY is not set" in done.stderr


def test_login_is_throttled_after_repeated_failures(client):
    UserFactory(username="target")
    url = reverse("login")
    for _ in range(5):
        response = client.post(url, {"username": "target", "password": "wrong"})
        assert response.status_code == 200
    blocked = client.post(url, {"username": "target", "password": "correct-horse-battery"})
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0


def test_autosave_is_rate_limited_with_retry_after(client, monkeypatch):
    from core.throttle import Throttle
    from interviews import services, views
    from tests.factories import QuestionFactory, add_rubric

    user = UserFactory(username="fast")
    for _ in range(3):
        add_rubric(QuestionFactory())
    session = services.session_start(
        candidate=user, level="junior", topic_slugs=[], count=3, include_multiple_choice=False
    )
    monkeypatch.setattr(
        views, "SAVE_THROTTLE", Throttle(scope="autosave", limit=3, window_seconds=60)
    )
    client.force_login(user)
    url = reverse("interviews:save", args=[session.id, 0])
    codes = [
        client.post(url, {"text": "x"}, headers={"HX-Request": "true"}).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429


def test_database_outage_gives_a_clear_503(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("core.views.render", broken)
    response = client.get(reverse("home"))
    assert response.status_code == 503
    assert b"Back in a moment" in response.content and response["Retry-After"] == "5"


def test_password_validators_are_on(client):
    response = client.post(
        reverse("signup"), {"username": "weak", "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200 and b"too common" in response.content


def test_status_page_runs_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(reverse("status"))
    assert b"published questions" in response.content


def test_htmx_is_configured_once_for_errors_and_a_strict_csp(client):
    """4xx partials swap everywhere, and htmx never writes style attributes while settling
    (the strict CSP would refuse them)."""
    import json
    import re

    html = client.get("/").content.decode()
    config = json.loads(re.search(r'name="htmx-config" content=\'([^\']+)\'', html).group(1))
    assert "style" not in config["attributesToSettle"]
    assert config["includeIndicatorStyles"] is False
    codes = {rule["code"]: rule for rule in config["responseHandling"]}
    assert codes["4(00|03|09|10|13|22|29)"] == {
        "code": "4(00|03|09|10|13|22|29)", "swap": True, "error": True,
    }  # fmt: skip


def test_admin_login_is_throttled_like_the_site_login(client):
    """Ten wrong passwords then the right one used to get into the admin."""
    UserFactory(username="staffer", is_staff=True)
    url = "/admin/login/"
    page = client.get(url)
    assert page.status_code == 200 and b"Viva question bank" in page.content
    for _ in range(5):
        response = client.post(url, {"username": "staffer", "password": "wrong"})
        assert response.status_code == 200
    blocked = client.post(url, {"username": "staffer", "password": "correct-horse-battery"})
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_admin_login_still_admits_staff_and_refuses_others(client):
    UserFactory(username="staffer", is_staff=True)
    UserFactory(username="plain")
    refused = client.post(
        "/admin/login/", {"username": "plain", "password": "correct-horse-battery"}
    )
    assert refused.status_code == 200 and b"staff account" in refused.content
    admitted = client.post(
        "/admin/login/?next=/admin/",
        {"username": "staffer", "password": "correct-horse-battery", "next": "/admin/"},
    )
    assert admitted.status_code == 302 and admitted["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("hops", "expected"), [("0", "None"), ("1", "('HTTP_X_FORWARDED_PROTO', 'https')")]
)
def test_forwarded_proto_is_trusted_only_behind_a_configured_proxy(hops, expected):
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env |= {
        "SECRET_KEY": "x",
        "TRUSTED_PROXY_HOPS": hops,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from django.conf import settings; "
         "print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"],
        cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == expected, done.stderr


def test_env_example_is_secure_by_default():
    from django.conf import settings as django_settings

    lines = (django_settings.BASE_DIR / ".env.example").read_text().splitlines()
    active = [line for line in lines if line and not line.startswith("#")]
    assert not any(line.startswith(("SECURE_SSL_REDIRECT", "SECURE_COOKIES")) for line in active)


def _login_from(client, *, proxy_saw: str, claimed: str = "", user: str = "someone"):
    """A login post as the balancer forwards it: REMOTE_ADDR is the balancer, and the
    balancer appended the address it saw to whatever the client sent (S8)."""
    forwarded = f"{claimed}, {proxy_saw}" if claimed else proxy_saw
    return client.post(
        "/accounts/login/",
        {"username": user, "password": "wrong"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_a_proxy_lockouts_count_the_client_not_the_balancer(client, settings):
    """Five failed logins from one client used to lock out everyone behind the balancer."""
    settings.TRUSTED_PROXY_HOPS = 1
    for i in range(6):
        _login_from(client, proxy_saw="203.0.113.7", user=f"guess{i}")
    assert _login_from(client, proxy_saw="203.0.113.7", user="other").status_code == 429
    assert _login_from(client, proxy_saw="198.51.100.4", user="other").status_code == 200


def test_a_client_cannot_choose_its_own_address_through_the_header(client, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    for i in range(6):
        _login_from(client, proxy_saw="203.0.113.7", claimed=f"192.0.2.{i}", user=f"guess{i}")
    assert _login_from(client, proxy_saw="203.0.113.7", user="other").status_code == 429


def test_without_a_trusted_proxy_the_header_is_ignored(client, settings):
    settings.TRUSTED_PROXY_HOPS = 0
    for i in range(6):
        _login_from(client, proxy_saw=f"192.0.2.{i}", user=f"guess{i}")
    # every attempt came from the same connecting address, whatever the header said
    assert _login_from(client, proxy_saw="198.51.100.4", user="other").status_code == 429
