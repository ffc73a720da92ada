"""Interview sessions (practice or invited) and their answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from questionbank.models import Kind, Level
from questionbank.snapshot import QuestionSnapshot


class SessionKind(models.TextChoices):
    PRACTICE = "practice", "Practice"
    INVITED = "invited", "Invited"


class SessionStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    TIMED_OUT = "timed_out", "Timed out"


class Session(models.Model):
    """One sitting of an interview, practice or invited. The deadline is the server's."""

    kind = models.CharField(
        max_length=10, choices=SessionKind.choices, default=SessionKind.PRACTICE
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interview_sessions",
    )
    invitation = models.OneToOneField(
        "hiring.Invitation", null=True, blank=True, on_delete=models.CASCADE, related_name="session"
    )
    set_version = models.ForeignKey(
        "hiring.InterviewSetVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(max_length=200)
    level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    topic_slugs = models.JSONField(default=list, blank=True)
    start_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    status = models.CharField(
        max_length=12,
        choices=SessionStatus.choices,
        default=SessionStatus.IN_PROGRESS,
        db_index=True,
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.started_at:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.status == SessionStatus.IN_PROGRESS


class Answer(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(
        "questionbank.Question", null=True, on_delete=models.SET_NULL, related_name="answers"
    )
    # The question as asked (prompt, rubric, choices, version): editing the bank
    # never rewrites what a candidate saw or was graded against.
    snapshot = models.JSONField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    saved_text = models.TextField(blank=True)
    choice_index = models.SmallIntegerField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    saved_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    paste_count = models.PositiveIntegerField(default=0)
    paste_chars = models.PositiveIntegerField(default=0)
    hidden_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="answer_position")
        ]

    def __str__(self) -> str:
        return f"Answer {self.position + 1} of session {self.session_id}"

    @property
    def label(self) -> str:
        """How reviewers refer to it: Q1, Q2... in the order the candidate answered."""
        return f"Q{self.position + 1}"

    @property
    def is_free_text(self) -> bool:
        return self.kind == Kind.FREE_TEXT

    @property
    def is_multiple_choice(self) -> bool:
        return self.kind == Kind.MULTIPLE_CHOICE

    @cached_property
    def asked(self) -> QuestionSnapshot:
        """``snapshot``, typed."""
        return QuestionSnapshot.of(self.snapshot)

    @property
    def is_answered(self) -> bool:
        return bool(self.saved_text.strip()) or self.choice_index is not None

    @property
    def word_count(self) -> int:
        return len(self.saved_text.split())
