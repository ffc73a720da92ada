"""Hiring's answers to what the interviews app announces."""

from __future__ import annotations

from django.dispatch import receiver

from hiring.services import invitation_mark_completed
from interviews.signals import session_finished


@receiver(session_finished, dispatch_uid="hiring.invitation_completed")
def invitation_completed(sender, *, session, **kwargs) -> None:
    if session.invitation_id:
        invitation_mark_completed(session=session)
