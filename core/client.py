"""Who is asking: the client's address, read through the proxies we were told about.

With ``TRUSTED_PROXY_HOPS = n``, each of the n proxies in front of the app appends the
address it saw to ``X-Forwarded-For``; the n-th entry from the right is the one our
nearest proxy chain vouches for. Entries further left were written by the client and
are never trusted. Without proxies, the connecting address is the client.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    hops = settings.TRUSTED_PROXY_HOPS
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if hops <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < hops:  # the header is missing or short: not from our proxies
        return remote
    return forwarded[-hops]
