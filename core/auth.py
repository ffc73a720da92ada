"""The logged-in user, read from the shared cache (Redis) instead of the database.

Every logged-in request loads its user; from Redis that is one GET instead of a SQL
query. Django still checks the session against the user's password hash, so the cached
copy must never outlive a change: saving or deleting a user drops it (see
core/apps.py), and entries expire after USER_CACHE_SECONDS in any case. Without a
shared cache (no CACHE_URL) one process could not drop another's copy, so the user is
then always read from the database. A cache outage reads as a miss (django-redis
ignores the error), so the user comes from the database.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.db import transaction


def _key(user_id) -> str:
    return f"auth-user:{user_id}"


class CachedUserBackend(ModelBackend):
    def get_user(self, user_id):
        if not settings.CACHE_URL:
            return super().get_user(user_id)
        cache = caches["default"]
        user = cache.get(_key(user_id))
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(_key(user.pk), user, settings.USER_CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None


def forget_user(sender, instance, **kwargs) -> None:
    """Drop the cached copy of a user who was saved or deleted.

    Again after the commit: until then, another request can still read the old row and
    cache it.
    """
    if not settings.CACHE_URL:
        return
    key = _key(instance.pk)
    cache = caches["default"]
    cache.delete(key)  # lost in an outage: the copy still expires within its TTL
    transaction.on_commit(lambda: cache.delete(key))
