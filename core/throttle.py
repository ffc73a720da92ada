"""Fixed-window rate limits kept in Django's cache (Redis in production).

Kept instead of django-ratelimit for two measured reasons (bench/ratelimit.py, figures in
bench/README.md): one Redis round trip per counted event instead of two, and while Redis
is unreachable the limits keep counting in the process, where the library either refuses
every request or lets every request through.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# When the shared cache (Redis) is down, count in this process instead: a rate limit
# must never turn a candidate's autosave, submit or login into an error page.
_LOCAL = LocMemCache("viva-throttle-fallback", {})


def count_in_window(store, cache_key: str, window_seconds: int, events: int = 1) -> int | None:
    """Count one in a window's counter; None when the cache could not count (django-redis
    answers None instead of raising while Redis is unreachable). One round trip once the
    window has started."""
    try:
        return store.incr(cache_key, events)
    except ValueError:  # the window's first event
        store.add(cache_key, 0, window_seconds + 1)
        return store.incr(cache_key, events)


@dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window_seconds: int

    def _key(self, key: str) -> tuple[str, int]:
        window = int(time.time() // self.window_seconds)
        return f"throttle:{self.scope}:{key}:{window}", window

    def _retry_after(self, window: int) -> int:
        return max(1, int((window + 1) * self.window_seconds - time.time()))

    def hit(self, key: str, events: int = 1) -> int:
        """Count ``events`` events; return seconds to wait if that goes over the limit, else 0."""
        cache_key, window = self._key(key)
        count = count_in_window(caches["default"], cache_key, self.window_seconds, events)
        if count is None:  # the shared cache is unreachable
            logger.warning("rate-limit cache unavailable, counting locally")
            count = count_in_window(_LOCAL, cache_key, self.window_seconds, events) or 0
        return self._retry_after(window) if count > self.limit else 0

    def blocked_for(self, key: str) -> int:
        cache_key, window = self._key(key)
        count = caches["default"].get(cache_key)
        if count is None:  # no count yet, or the shared cache is unreachable
            count = _LOCAL.get(cache_key, 0)
        return self._retry_after(window) if count >= self.limit else 0


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    body = render_to_string("429.html", {"retry_after": retry_after}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response
