"""Grades: every grade is a row; the final grade is derived, never overwritten."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class GraderKind(models.TextChoices):
    KEYWORD = "keyword", "Keyword rubric"
    LLM = "llm", "LLM second opinion"
    HUMAN = "human", "Human reviewer"
    CHOICE = "choice", "Multiple choice"


class Grade(models.Model):
    answer = models.ForeignKey("interviews.Answer", on_delete=models.CASCADE, related_name="grades")
    kind = models.CharField(max_length=10, choices=GraderKind.choices)
    grader_version = models.CharField(max_length=40)
    rubric = models.JSONField(default=list, help_text="The criteria graded against (snapshot).")
    score = models.FloatField(null=True, help_text="0-100; empty when the grader failed.")
    verdicts = models.JSONField(default=list)
    flags = models.JSONField(default=list)
    misconceptions = models.JSONField(
        default=list, blank=True, help_text="Wrong claims the answer made, with evidence."
    )
    review_reasons = models.JSONField(
        default=list, blank=True, help_text="Why this grade was sent to a human, if it was."
    )
    confidence = models.FloatField(null=True)
    feedback = models.TextField(blank=True)
    error = models.CharField(max_length=200, blank=True)
    needs_review = models.BooleanField(default=False)
    meta = models.JSONField(default=dict, help_text="Model, prompt version, token counts...")
    duration_ms = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A human grade's internal reason, for the team only; what the candidate may read is
    # ``feedback`` (the LLM's, or the reviewer's), shown when results are released.
    comment = models.TextField(blank=True)
    previous_score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "kind"],
                condition=Q(is_current=True),
                name="one_current_grade_per_kind",
            )
        ]
        indexes = [models.Index(fields=["kind", "is_current", "needs_review"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} for answer {self.answer_id}"


class OpinionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Being asked"
    DEFERRED = "deferred", "Deferred"  # breaker open, budget spent, endpoint busy: later
    DONE = "done", "Done"  # an LLM Grade row holds the opinion (or its final error)


class LlmOpinion(models.Model):
    """The queue state of one answer's LLM second opinion: claimed with a conditional
    update, so an opinion is asked for, charged and stored once however often its task runs."""

    answer = models.OneToOneField(
        "interviews.Answer", on_delete=models.CASCADE, related_name="llm_opinion"
    )
    status = models.CharField(
        max_length=10, choices=OpinionStatus.choices, default=OpinionStatus.PENDING
    )
    reason = models.CharField(max_length=60, blank=True, help_text="Why it is deferred.")
    # The hiring team whose budget pays for it; empty for practice sessions.
    team_id = models.PositiveIntegerField(null=True, blank=True)
    # Incremented by each claim: a worker stores its result only if it still holds the claim.
    claim = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    charged_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"LLM opinion on answer {self.answer_id}: {self.status}"


class LlmReplyCache(models.Model):
    """A model's reply, keyed by model, prompt version, rubric and answer text: a regrade
    or a duplicate answer is judged from it again without a call."""

    key = models.CharField(max_length=64, unique=True)
    model = models.CharField(max_length=100)
    prompt_version = models.CharField(max_length=40)
    reply = models.TextField()
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.model} reply {self.key[:12]}"


class LlmDailyUsage(models.Model):
    """Calls charged per day and scope ("global" or "team:<id>"), counted atomically."""

    day = models.DateField()
    scope = models.CharField(max_length=40)
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "scope"], name="one_llm_usage_row_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.scope} on {self.day}: {self.calls} call(s)"
