"""Absolute links, built one way: from SITE_URL when it is set, else from the request."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str, *, request=None) -> str:
    """``path`` as a full URL for emails and copied links. SITE_URL wins over the request:
    behind a proxy the request may not know the public host. Without either, the path."""
    if settings.SITE_URL:
        return f"{settings.SITE_URL}{path}"
    if request is not None:
        return request.build_absolute_uri(path)
    return path
