"""The logged-in user, read from the shared cache (Redis) instead of the database.

Every logged-in request loads its user; from Redis that is one GET instead of a SQL
query. Django still checks the session against the user's password hash, so the cached
copy must never outlive a change: saving or deleting a user drops it (see
core/apps.py), and entries expire after USER_CACHE_SECONDS in any case. Without a
shared cache (no CACHE_URL) one process could not drop another's copy, so the user is
then always read from the database. A cache outage falls back to the database.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.db import transaction

logger = logging.getLogger(__name__)


def _key(user_id) -> str:
    return f"auth-user:{user_id}"


class CachedUserBackend(ModelBackend):
    def get_user(self, user_id):
        if not settings.CACHE_URL:
            return super().get_user(user_id)
        cache = caches["default"]
        try:
            user = cache.get(_key(user_id))
        except Exception as exc:
            logger.warning("user cache unavailable, reading the database: %s", exc)
            return super().get_user(user_id)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                _put(cache, user)
        return user if self.user_can_authenticate(user) else None


def _put(cache, user) -> None:
    try:
        cache.set(_key(user.pk), user, settings.USER_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("user cache unavailable, not cached: %s", exc)


def forget_user(sender, instance, **kwargs) -> None:
    """Drop the cached copy of a user who was saved or deleted.

    Again after the commit: until then, another request can still read the old row and
    cache it.
    """
    if not settings.CACHE_URL:
        return
    key = _key(instance.pk)
    _delete(key)
    transaction.on_commit(lambda: _delete(key))


def _delete(key: str) -> None:
    try:
        caches["default"].delete(key)
    except Exception as exc:
        logger.warning("user cache unavailable, copy expires within its TTL: %s", exc)
