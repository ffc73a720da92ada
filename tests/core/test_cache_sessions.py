"""The Redis cache (django-redis), and the rate limits, login sessions and users read
from it (core/throttle.py, sessions.py, auth.py)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.core.cache import caches
from django.urls import reverse

from core.throttle import Throttle
from interviews import services
from tests.factories import QuestionFactory, UserFactory, add_rubric

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
SESSION_PREFIX = "django.contrib.sessions.cached_db"


def _redis_cache_settings(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": location,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }


@pytest.fixture
def redis_cache(redis_url, settings):
    """Django's cache on a Redis database of its own, and sessions read through it."""
    base = redis_url.rsplit("/", 1)[0]
    settings.CACHE_URL = f"{base}/12"
    settings.CACHES = _redis_cache_settings(settings.CACHE_URL)
    settings.SESSION_ENGINE = "core.sessions"
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def unreachable_cache(settings):
    """A Redis cache nobody listens on: every call fails at once."""
    settings.CACHE_URL = "redis://127.0.0.1:9/0"
    settings.CACHES = _redis_cache_settings(settings.CACHE_URL)
    settings.SESSION_ENGINE = "core.sessions"
    return caches["default"]


@pytest.fixture
def interview():
    user = UserFactory(username="cached")
    for _ in range(3):
        add_rubric(QuestionFactory())
    session = services.session_start(
        candidate=user, level="junior", topic_slugs=[], count=3, include_multiple_choice=False
    )
    return user, session


def test_a_rate_limit_counts_in_redis_within_its_window(redis_cache):
    throttle = Throttle(scope="test", limit=2, window_seconds=60)
    assert [throttle.hit("ann") > 0 for _ in range(3)] == [False, False, True]
    assert throttle.blocked_for("ann") > 0 and throttle.blocked_for("bob") == 0
    key = next(iter(redis_cache.keys("throttle:test:ann:*")))
    assert 0 < redis_cache.ttl(key) <= 61  # the window's counter expires with it


def test_a_rate_limit_counts_locally_while_redis_is_unreachable(unreachable_cache):
    throttle = Throttle(scope="outage", limit=1, window_seconds=60)
    assert throttle.hit("ann") == 0
    assert throttle.hit("ann") > 0 and throttle.blocked_for("ann") > 0


def test_a_logged_in_request_reads_its_session_and_user_from_the_cache(
    redis_cache, interview, client, django_assert_num_queries
):
    user, session = interview
    client.force_login(user)
    url = reverse("interviews:save", args=[session.id, 0])
    assert client.post(url, {"text": "first"}, headers=HX).status_code == 200
    # only the UPDATE: the login session and the user came from Redis
    with django_assert_num_queries(1):
        assert client.post(url, {"text": "second"}, headers=HX).status_code == 200
    ttl = redis_cache.ttl(SESSION_PREFIX + client.session.session_key)
    assert 0 < ttl <= 300  # SESSION_CACHE_SECONDS, not the two-week login


def test_the_database_stays_the_record(redis_cache, interview, client):
    user, session = interview
    client.force_login(user)
    redis_cache.clear()  # Redis restarted empty: nobody is logged out
    page = client.get(reverse("interviews:interview", args=[session.id]))
    assert page.status_code == 200
    assert DatabaseStore().exists(client.session.session_key)


def test_logout_ends_the_session_everywhere(redis_cache, interview, client):
    user, session = interview
    client.force_login(user)
    url = reverse("interviews:interview", args=[session.id])
    assert client.get(url).status_code == 200
    cookie = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    client.cookies["sessionid"] = cookie  # replay the old cookie
    signed_out = client.get(url)  # asked to log in again
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/accounts/login/")


def test_an_unreachable_cache_falls_back_to_the_database(unreachable_cache, interview, client):
    user, session = interview
    login = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery"}
    )
    assert login.status_code == 302
    page = client.get(reverse("interviews:interview", args=[session.id]))
    assert page.status_code == 200
    url = reverse("interviews:save", args=[session.id, 0])
    assert client.post(url, {"text": "kept"}, headers=HX).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    signed_out = client.get(reverse("interviews:interview", args=[session.id]))
    assert signed_out.status_code == 302 and signed_out["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_a_changed_user_is_read_afresh(redis_cache, interview, client, change):
    user, session = interview
    client.force_login(user)
    url = reverse("interviews:interview", args=[session.id])
    assert client.get(url).status_code == 200  # the user is now cached
    if change == "password":
        user.set_password("another-long-passphrase")  # logs out every other session
    else:
        user.is_active = False
    user.save()
    signed_out = client.get(url)  # no longer logged in: asked to log in again
    assert signed_out.status_code == 302 and signed_out["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("store", ["locmem", "redis"])
def test_several_events_count_in_one_call(store, request):
    if store == "redis":
        request.getfixturevalue("redis_cache")
    throttle = Throttle(scope=f"batch-{store}", limit=5, window_seconds=60)
    assert throttle.hit("ann", 4) == 0
    assert throttle.hit("ann", 2) > 0  # 6 events: over the limit
