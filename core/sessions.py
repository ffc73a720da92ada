"""Login sessions read from the shared cache (Redis), kept in the database.

Django's ``cached_db`` store with one change: a cached copy lives at most
SESSION_CACHE_SECONDS instead of the whole login. A logout whose cache delete was lost
while Redis was unreachable (django-redis ignores the error) therefore stops working for
that browser within that time. Reads that fail come back empty and fall through to the
database, so Redis down is never an error page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.core.cache import caches


class SessionStore(cached_db.SessionStore):
    def load(self):
        data = caches[settings.SESSION_CACHE_ALIAS].get(self.cache_key)
        if data is not None:
            return data
        data = DatabaseStore.load(self)
        if data:
            self._cache_put(data)
        return data

    def save(self, must_create=False):
        DatabaseStore.save(self, must_create)
        self._cache_put(dict(self.items()))

    def _cache_put(self, data) -> None:
        age = self.get_expiry_age(expiry=data.get("_session_expiry"))
        timeout = min(age, settings.SESSION_CACHE_SECONDS)
        caches[settings.SESSION_CACHE_ALIAS].set(self.cache_key, data, timeout)
