"""Fixed-window rate limits kept in Django's cache (Redis in production)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


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

    def hit(self, key: str) -> int:
        """Count one event; return seconds to wait if this event is over the limit, else 0."""
        cache_key, window = self._key(key)
        try:
            count = cache.incr(cache_key)
        except ValueError:
            cache.add(cache_key, 0, self.window_seconds + 1)
            count = cache.incr(cache_key)
        return self._retry_after(window) if count > self.limit else 0

    def blocked_for(self, key: str) -> int:
        cache_key, window = self._key(key)
        count = cache.get(cache_key, 0)
        return self._retry_after(window) if count >= self.limit else 0


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    body = render_to_string("429.html", {"retry_after": retry_after}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response
