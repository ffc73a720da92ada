"""Plain JSON records of a team's sets, invitations and candidates: what the read API
returns and what webhook payloads carry. Scores are rounded as the results page shows
them (overall to one decimal, each answer to a whole number)."""

from __future__ import annotations

from hiring.exports import as_shown
from hiring.models import InterviewSet, Invitation
from hiring.selectors import candidate_results


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def set_record(interview_set: InterviewSet) -> dict:
    record = {
        "id": interview_set.id,
        "title": interview_set.title,
        "time_limit_minutes": interview_set.time_limit_minutes,
        "created_at": _iso(interview_set.created_at),
        "updated_at": _iso(interview_set.updated_at),
    }
    for counted in ("question_count", "invitation_count", "completed_count"):
        if hasattr(interview_set, counted):  # annotated by the list selector
            record[counted] = getattr(interview_set, counted)
    return record


def invitation_record(invitation: Invitation) -> dict:
    """Who was invited and how far they got; names are not blinded (the team's own tools)."""
    session = getattr(invitation, "session", None)
    return {
        "id": invitation.id,
        "set_id": invitation.interview_set_id,
        "name": invitation.name,
        "email": invitation.email,
        "status": invitation.effective_status,
        "created_at": _iso(invitation.created_at),
        "expires_at": _iso(invitation.expires_at),
        "opened_at": _iso(invitation.opened_at),
        "started_at": _iso(session.started_at if session else None),
        "finished_at": _iso(session.finished_at if session else None),
    }


def candidate_record(invitation: Invitation) -> dict:
    """The invitation with its answers' final scores and the overall score (None until
    every answer is graded). Expects the session's answers prefetched with their current
    grades."""
    results, score = candidate_results(invitation)
    return {
        **invitation_record(invitation),
        "score": as_shown(score, 1),
        "answers": [
            {
                "position": result.answer.position,
                "question_id": result.answer.asked.id,
                "title": result.answer.asked.title,
                "score": as_shown(result.grade.score, 0) if result.grade else None,
            }
            for result in results
        ],
    }
