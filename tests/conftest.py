"""Shared fixtures. In CI (CI=true) PostgreSQL and Redis are required: missing means fail."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from tests.factories import (  # noqa: F401  (fixtures re-exported for every test module)
    candidate,
    free_text_question,
    mcq_question,
    other_candidate,
)
from tests.grading.fake_openai import fake_openai  # noqa: F401

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Production security settings stay on in tests, except that the test servers speak
# plain HTTP and static files are served without a collectstatic manifest. Set here,
# before any request handler (and its cached middleware) exists.
settings.SECURE_SSL_REDIRECT = False
# Hashing strength is not under test; a fast hasher keeps the suite quick.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = os.environ.get("REDIS_URL") or "not set"
    return [f"viva: database={engine} redis={redis} ci={IN_CI}"]


def pytest_sessionstart(session):
    if not IN_CI:
        return
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("CI must run against PostgreSQL: set DATABASE_URL=postgres://...")
    if not os.environ.get("REDIS_URL"):
        problems.append("CI must run against Redis: set REDIS_URL=redis://...")
    else:
        import redis

        try:
            redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis at REDIS_URL is not reachable: {exc}")
    if problems:
        raise pytest.UsageError("\n".join(problems))


@pytest.fixture
def redis_url() -> str:
    """The Redis URL; outside CI, tests needing Redis skip with the reason."""
    url = os.environ.get("REDIS_URL")
    if not url:
        if IN_CI:
            pytest.fail("REDIS_URL is not set in CI")
        pytest.skip("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 to run")
    return url


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
