"""Login sessions read from the shared cache (Redis), kept in the database.

Every logged-in request reads its session. From Redis that is one GET instead of a SQL
query, which matters for autosave. The database stays the record, so emptying Redis
logs nobody out. Used only when CACHE_URL names a cache shared by every web process.

Django's ``cached_db`` store fails the request when Redis is unreachable; this one
falls back to the database and logs instead. Cache entries live at most
SESSION_CACHE_SECONDS, so a logout whose cache delete failed during an outage stops
working for that browser within that time, even if Redis kept the entry.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception as exc:
            logger.warning("session cache unavailable, reading the database: %s", exc)
            return DatabaseStore.load(self)
        if data is not None:
            return data
        data = DatabaseStore.load(self)
        if data:
            self._cache_put(data)
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception as exc:
            logger.warning("session cache unavailable, checking the database: %s", exc)
        return DatabaseStore.exists(self, session_key)

    def save(self, must_create=False):
        DatabaseStore.save(self, must_create)
        self._cache_put(self._session)

    def delete(self, session_key=None):
        DatabaseStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception as exc:
            logger.warning("session cache unavailable, entry left to expire: %s", exc)

    def _cache_put(self, data) -> None:
        age = self.get_expiry_age(expiry=data.get("_session_expiry"))
        timeout = min(age, settings.SESSION_CACHE_SECONDS)
        try:
            self._cache.set(self.cache_key, data, timeout)
        except Exception as exc:
            logger.warning("session cache unavailable, not cached: %s", exc)
