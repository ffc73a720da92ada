"""The question bank: topics, questions, rubric criteria and multiple-choice options."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from questionbank.fields import MarkdownTextField


class Level(models.TextChoices):
    JUNIOR = "junior", "Junior"
    MID = "mid", "Mid"
    SENIOR = "senior", "Senior"


class Kind(models.TextChoices):
    FREE_TEXT = "free_text", "Free text"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Topic(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A sub-topic label such as ``caching/stampede``."""

    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QuestionQuerySet(models.QuerySet):
    def published(self) -> QuestionQuerySet:
        return self.filter(status=Status.PUBLISHED)

    def in_bank(self) -> QuestionQuerySet:
        """Shared bank questions, as opposed to a hiring team's private ones."""
        return self.filter(team__isnull=True)


class Question(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    prompt = MarkdownTextField(help_text="Markdown shown to the candidate.")
    level = models.CharField(max_length=10, choices=Level.choices, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FREE_TEXT)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="questions")
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions")
    model_answer = MarkdownTextField(blank=True, help_text="Markdown: what a strong answer says.")
    suggested_minutes = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1)]
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # Private questions belong to one hiring team; bank questions have no team.
    team = models.ForeignKey(
        "hiring.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="private_questions",
    )
    # Bumped on every save so answers can say which version they were asked.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Fingerprint of the content as a bank file last set it; when the question no longer
    # matches it, a curator edited it here and an import keeps that edit.
    imported_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["topic__name", "level", "title"]
        indexes = [models.Index(fields=["status", "level", "topic"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            self.version += 1
        super().save(*args, **kwargs)

    @property
    def is_free_text(self) -> bool:
        return self.kind == Kind.FREE_TEXT


class RubricCriterion(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="criteria")
    label = models.CharField(max_length=200)
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    keywords = models.JSONField(
        default=list, blank=True, help_text="Alternative phrasings; any one counts."
    )
    required = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "rubric criteria"

    def __str__(self) -> str:
        return self.label


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    explanation = MarkdownTextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class Misconception(models.Model):
    """A wrong claim candidates make; an answer that states it loses points."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="misconceptions")
    claim = models.CharField(max_length=300, help_text="The wrong claim, as shown to candidates.")
    phrasings = models.JSONField(
        default=list, blank=True, help_text="Ways candidates state the claim; any one counts."
    )
    explanation = MarkdownTextField(help_text="Why the claim is wrong.")
    penalty = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Points taken off when the claim is made."
    )
    cap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Highest score an answer making the claim can get."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.claim


class SampleKind(models.TextChoices):
    STRONG = "strong", "Strong"
    TERSE = "terse", "Terse"
    PARTIAL = "partial", "Partial"
    WRONG = "wrong", "Wrong"
    RAMBLING = "rambling", "Rambling"
    OTHER = "other", "Other"


class SampleAnswer(models.Model):
    """An answer with the score a fair interviewer gave it: the question's calibration set."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="samples")
    kind = models.CharField(max_length=10, choices=SampleKind.choices, default=SampleKind.OTHER)
    text = MarkdownTextField()
    score = models.PositiveSmallIntegerField(help_text="The human score, 0 to 100.")
    reason = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.score})"
