"""Errors the interview services raise; views turn each into a clear message."""

from __future__ import annotations

from datetime import datetime

from core.errors import DomainError


class InterviewError(DomainError):
    code = "interview_refused"

    def __init__(self, message: str | None = None, *, deadline: datetime | None = None):
        super().__init__(message)
        # The session's deadline when the service has already read the session and
        # checked it is the requester's, so the view need not read it again.
        self.deadline = deadline


class DeadlinePassed(InterviewError):
    status_code = 409
    code = "deadline_passed"
    message = "Time is up: this interview has closed. Your last saved answers were kept."


class SessionClosed(InterviewError):
    status_code = 409
    code = "session_closed"
    message = "This interview has already been submitted. Your saved answers were kept."


class AnswerTooLong(InterviewError):
    status_code = 413
    code = "answer_too_long"

    def __init__(self, limit: int, length: int):
        super().__init__(
            f"This answer is {length:,} characters; the limit is {limit:,}. "
            "It was not saved; your previous draft is kept. Shorten it and it will save again."
        )


class NoQuestions(InterviewError):
    code = "no_questions"
    message = "No published questions match that choice yet. Try another level or more topics."
