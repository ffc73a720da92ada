"""Playwright (python) driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(
                "Debian's Chromium is missing: .ci/run installs it (apt-get install chromium)"
            )
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, request):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for i, page in enumerate(ctx.pages):
            page.screenshot(path=str(ARTIFACTS / f"{name}-{i}.png"), full_page=True)
    ctx.close()


@pytest.fixture
def page(context, live_server, request):
    """A page whose requests end before the live server stops and the database is emptied."""
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda msg: (
            page.csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    yield page
    # A page left on the interview still autosaves on a timer, and leaving it sends a last
    # save (a beacon): the server would handle either while the test database is being
    # emptied. The test is over: hold the beacon back and leave the page, unless the test
    # failed (the context fixture then takes a screenshot of it as it stands).
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        return
    for open_page in page.context.pages:
        with contextlib.suppress(Exception):  # a closed or crashed page sends nothing
            open_page.evaluate(
                "window.addEventListener('pagehide', e => e.stopImmediatePropagation(), true)"
            )
            open_page.goto("about:blank")


@pytest.fixture
def eager_celery():
    """No worker in browser tests: run grading tasks inline when they are enqueued."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def log_in(page, live_server, username: str, password: str = "correct-horse-battery") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
