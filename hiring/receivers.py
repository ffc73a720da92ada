"""Hiring's answers to what the interviews app announces, and to its own changes."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from grading.signals import answers_graded
from hiring import webhooks
from hiring.models import Membership
from hiring.selectors import in_a_team_key
from hiring.services import invitation_mark_completed
from interviews.signals import session_finished

logger = logging.getLogger(__name__)


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="hiring.in_a_team")
def membership_changed(sender, *, instance: Membership, **kwargs) -> None:
    cache.delete(in_a_team_key(instance.user_id))


@receiver(session_finished, dispatch_uid="hiring.invitation_completed")
def invitation_completed(sender, *, session, **kwargs) -> None:
    if session.invitation_id:
        invitation_mark_completed(session=session)
        webhooks.session_finished_record(session=session)


@receiver(answers_graded, dispatch_uid="hiring.candidate_graded")
def candidate_graded(sender, *, answer_ids, **kwargs) -> None:
    try:
        webhooks.candidate_graded_check(answer_ids=answer_ids)
    except Exception:  # the grades are stored; a lost event must not undo them
        logger.exception("could not record candidate.graded for answers %s", answer_ids)
