"""Hiring teams, their interview sets (and the frozen versions candidates take) and the
invitations that bring candidates in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


class Team(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class InterviewSet(models.Model):
    """A team's interview: an ordered list of questions, a time limit and instructions."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="interview_sets")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    time_limit_minutes = models.PositiveSmallIntegerField(default=45)
    # Off: invited candidates only learn that their answers were submitted (the rubric
    # stays the team's, and nobody sees a machine grade before review). A live setting,
    # not part of a version, so a team can release results after reviewing.
    candidates_see_results = models.BooleanField(default=False)
    # With GRADING_LLM_MODE=uncertain, every answer to this set also gets the LLM's
    # second opinion (when the mode is "all" or "off", this changes nothing).
    llm_second_opinion = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class BlindReview(models.Model):
    """A reviewer reviews this set blind; kept until they turn it off, across logins."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    interview_set = models.ForeignKey(
        InterviewSet, on_delete=models.CASCADE, related_name="blind_reviews"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "interview_set"], name="one_blind_review_per_reviewer_and_set"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} reviews {self.interview_set} blind"


class InterviewSetItem(models.Model):
    interview_set = models.ForeignKey(InterviewSet, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(
        "questionbank.Question", on_delete=models.PROTECT, related_name="set_items"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interview_set", "question"], name="question_once_per_set"
            )
        ]

    def __str__(self) -> str:
        return f"{self.interview_set_id}#{self.position}: {self.question_id}"


class InterviewSetVersion(models.Model):
    """The set as a candidate took it: frozen when the first candidate starts it."""

    interview_set = models.ForeignKey(
        InterviewSet, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    time_limit_minutes = models.PositiveSmallIntegerField()
    question_ids = models.JSONField(default=list)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["interview_set", "number"], name="set_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    OPENED = "opened", "Opened"  # shown only: a pending link someone has loaded
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class Invitation(models.Model):
    interview_set = models.ForeignKey(
        InterviewSet, on_delete=models.CASCADE, related_name="invitations"
    )
    # Only a hash of the token is stored: a database leak does not leak live links.
    token_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    expires_at = models.DateTimeField()
    # An accommodation: minutes added to the set's time limit for this candidate only.
    extra_minutes = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # When the link was first loaded: by the candidate, or by a mail scanner before them.
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return (
            f"Invitation to {self.interview_set_id} for {self.name or self.email or 'a candidate'}"
        )

    @property
    def effective_status(self) -> str:
        if self.status == InvitationStatus.PENDING:
            if self.expires_at <= timezone.now():
                return InvitationStatus.EXPIRED
            if self.opened_at is not None:
                return InvitationStatus.OPENED
        return self.status


class TeamInvite(models.Model):
    """A seat offered to an email address; it becomes a membership only when the account
    that verified that address accepts it, so nobody joins a team, or shows up on its
    member list, without consenting."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="member_invites")
    email = models.EmailField()  # lower-cased
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REVIEWER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "email"], name="one_invite_per_team_and_email")
        ]

    def __str__(self) -> str:
        return f"{self.email} invited to {self.team} as {self.role}"


class Recommendation(models.TextChoices):
    STRONG_HIRE = "strong_hire", "Strong hire"
    HIRE = "hire", "Hire"
    NO_HIRE = "no_hire", "No hire"
    STRONG_NO_HIRE = "strong_no_hire", "Strong no hire"


class Scorecard(models.Model):
    """One reviewer's independent judgement of one candidate: a score per answer and a
    recommendation. Hidden from the other reviewers until its author submits it."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="scorecards")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scorecards"
    )
    recommendation = models.CharField(max_length=16, choices=Recommendation.choices, blank=True)
    # For the team only; never shown to the candidate.
    notes = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "reviewer"], name="one_scorecard_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.invitation_id}"

    def scores_by_answer(self) -> dict[int, int]:
        """{answer id: score}; reads prefetched ``scores`` when they are."""
        return {s.answer_id: s.score for s in self.scores.all()}


class ScorecardScore(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="scores")
    answer = models.ForeignKey("interviews.Answer", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()  # 0-100

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "answer"], name="one_score_per_answer"),
            models.CheckConstraint(
                condition=models.Q(score__lte=100), name="scorecard_score_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score} for answer {self.answer_id}"


# --------------------------------------------------------------------------- integrations
class WebhookEvent(models.TextChoices):
    INVITATION_COMPLETED = "invitation.completed", "Invitation completed"
    CANDIDATE_GRADED = "candidate.graded", "Candidate graded"
    PING = "ping", "Test event"


SUBSCRIBABLE_EVENTS = (WebhookEvent.INVITATION_COMPLETED, WebhookEvent.CANDIDATE_GRADED)


class WebhookEndpoint(models.Model):
    """Where a team's applicant-tracking system wants to hear about its candidates."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # a subset of SUBSCRIBABLE_EVENTS
    # Signs every delivery (HMAC-SHA256). Kept in clear because signing needs it; only
    # the team's owners see it.
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the payload as it was when the event happened, and how
    sending it went. Receivers deduplicate on ``id`` (the X-Viva-Delivery header)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=32, choices=WebhookEvent.choices)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A candidate's event reaches each endpoint once, however many workers race.
            models.UniqueConstraint(
                fields=["endpoint", "event_type", "invitation"],
                condition=models.Q(invitation__isnull=False),
                name="one_delivery_per_endpoint_event_invitation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"


class ApiToken(models.Model):
    """A team's key to the read API. Only a hash is stored; the token is shown once."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)  # the first characters, to tell tokens apart
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.team_id})"
