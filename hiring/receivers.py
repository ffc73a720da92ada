"""Hiring's answers to what the interviews app announces, and to its own changes."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from hiring.models import Membership
from hiring.selectors import in_a_team_key
from hiring.services import invitation_mark_completed
from interviews.signals import session_finished


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="hiring.in_a_team")
def membership_changed(sender, *, instance: Membership, **kwargs) -> None:
    cache.delete(in_a_team_key(instance.user_id))


@receiver(session_finished, dispatch_uid="hiring.invitation_completed")
def invitation_completed(sender, *, session, **kwargs) -> None:
    if session.invitation_id:
        invitation_mark_completed(session=session)
