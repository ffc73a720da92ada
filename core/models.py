"""Site-wide records: which email address each account has proved it reads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class VerifiedEmail(models.Model):
    """An address its account proved it reads, by following a link mailed to it. Teams
    invite members by verified address only, and only accounts with one may invite, so
    signing up with someone else's address gains nothing. Unique: one account per
    verified address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verified_email"
    )
    email = models.EmailField(unique=True)  # stored lower-cased
    verified_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.email} (verified)"
