from __future__ import annotations

from celery import shared_task

from interviews.services import sessions_finalise_expired


@shared_task(name="interviews.tasks.finalise_expired_sessions")
def finalise_expired_sessions() -> int:
    return sessions_finalise_expired()
