"""Curators' admin: filters, search, inline rubric and choices, preview, bulk actions."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html

from questionbank import grader
from questionbank.markdown import render_markdown
from questionbank.models import (
    Choice,
    Kind,
    Misconception,
    Question,
    RubricCriterion,
    SampleAnswer,
    Status,
    Tag,
    Topic,
)
from questionbank.selectors import CONTENT_RELATIONS
from questionbank.services import (
    bank_import,
    criteria_replace,
    question_publish_problem,
    questions_set_status,
)
from questionbank.validation import question_problems
from questionbank.yaml_format import BankFormatError

CRITERIA_COUNT = "criteria_count_annotated"  # the change list's annotation


class KeywordsField(forms.CharField):
    """Keywords edited one per line, stored as a JSON list."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.replace(";", "\n").splitlines() if line.strip()]


class CriterionForm(forms.ModelForm):
    keywords = KeywordsField(required=False, help_text="One phrasing per line; any one counts.")

    class Meta:
        model = RubricCriterion
        fields = ["label", "weight", "required", "keywords", "order"]


class _BankRulesFormSet(BaseInlineFormSet):
    """Applies the bank's publishing rules to the question and this inline's rows.

    By the time inline formsets are cleaned, the question form has copied the posted
    values onto ``self.instance``, so kind, status and model answer are current.
    """

    rows_argument: str = ""
    field_prefixes: tuple[str, ...] = ()

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        question = self.instance
        problems = question_problems(
            kind=question.kind,
            status=question.status,
            model_answer=question.model_answer,
            criteria=rows if self.rows_argument == "criteria" else [],
            choices=rows if self.rows_argument == "choices" else [],
        )
        errors = [str(p) for p in problems if p.field.startswith(self.field_prefixes)]
        if errors:
            raise ValidationError(errors)


class CriterionFormSet(_BankRulesFormSet):
    rows_argument = "criteria"
    field_prefixes = ("criteria", "model_answer")


class ChoiceFormSet(_BankRulesFormSet):
    rows_argument = "choices"
    field_prefixes = ("choices",)


class CriterionInline(admin.TabularInline):
    model = RubricCriterion
    form = CriterionForm
    formset = CriterionFormSet
    extra = 0


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    extra = 0
    fields = ["text", "is_correct", "explanation", "order"]


class PhrasingsForm(forms.ModelForm):
    phrasings = KeywordsField(required=False, help_text="One phrasing per line; any one counts.")

    class Meta:
        model = Misconception
        fields = ["claim", "phrasings", "explanation", "penalty", "cap", "order"]


class MisconceptionInline(admin.StackedInline):
    model = Misconception
    form = PhrasingsForm
    extra = 0


class SampleAnswerInline(admin.StackedInline):
    model = SampleAnswer
    extra = 0
    fields = ["kind", "score", "reason", "text", "order"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ImportForm(forms.Form):
    bank_files = MultipleFileField(
        label="Files", help_text="One or more bank YAML files (see docs/question-format.md)."
    )
    overwrite = forms.BooleanField(
        required=False,
        label="Replace questions edited here",
        help_text="Without this, questions edited in the admin since their last import "
        "keep your edits and are listed after the import.",
    )


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """The shared bank. Teams' private questions are not here: the team's form promises
    that only the team sees them, so staff cannot open, list or change them either."""

    list_display = [
        "title", "topic", "level", "kind", "status", "criteria_count", "calibration", "version",
    ]  # fmt: skip
    list_filter = ["level", "topic", "kind", "status"]
    search_fields = ["title", "prompt", "slug"]
    list_select_related = ["topic"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags"]
    readonly_fields = ["preview", "calibration_panel", "version", "created_at", "updated_at"]
    inlines = [CriterionInline, ChoiceInline, MisconceptionInline, SampleAnswerInline]
    actions = ["publish", "retire", "suggest_rubric"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "topic", "level", "kind", "status", "tags"]}),
        ("Content", {"fields": ["prompt", "model_answer", "suggested_minutes"]}),
        ("Preview", {"fields": ["preview"]}),
        ("Calibration against the sample answers", {"fields": ["calibration_panel"]}),
        (
            "Version",
            {"classes": ["collapse"], "fields": ["version", "created_at", "updated_at"]},
        ),
    ]
    change_list_template = "admin/questionbank/question/change_list.html"

    def get_inlines(self, request, obj):
        """Only the parts the question's kind uses: a rubric for free text, options for
        multiple choice (a new question shows both until its kind is saved)."""
        if obj is None:
            return self.inlines
        if obj.is_free_text:
            return [CriterionInline, MisconceptionInline, SampleAnswerInline]
        return [ChoiceInline]

    def save_model(self, request, obj, form, change):
        obj._published_before = change and form.initial.get("status") == Status.PUBLISHED
        # A save that changes nothing must not bump the version (answers cite it).
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        question = form.instance
        if change and not form.has_changed() and any(f.has_changed() for f in formsets):
            question.save()  # the rubric or options changed: a new version
        if question.status == Status.PUBLISHED and not question._published_before:
            # read again: the inlines just saved may differ from what was prefetched
            problem = question_publish_problem(
                Question.objects.select_related("topic")
                .prefetch_related(*CONTENT_RELATIONS, "samples")
                .get(pk=question.pk)
            )
            if problem:
                Question.objects.filter(pk=question.pk).update(status=Status.DRAFT)
                self.message_user(
                    request, f"Saved as a draft, not published: {problem}", messages.ERROR
                )

    def get_queryset(self, request):
        from django.db.models import Count

        return (
            super()
            .get_queryset(request)
            .filter(team__isnull=True)
            .annotate(**{CRITERIA_COUNT: Count("criteria")})
            .prefetch_related(*CONTENT_RELATIONS, "samples")
        )

    @admin.display(description="calibrated")
    def calibration(self, obj: Question) -> str:
        if not obj.is_free_text:
            return "—"
        status, _ = _calibration(obj)
        return "yes" if status.calibrated else "no"

    @admin.display(description="Each sample answer as the grader sees it")
    def calibration_panel(self, obj: Question):
        if not obj.pk or not obj.is_free_text:
            return "Free-text questions are checked against their sample answers once saved."
        status, checks = _calibration(obj)
        return render_to_string(
            "admin/questionbank/question/calibration.html",
            {"status": status, "checks": checks},
        )

    @admin.display(description="criteria", ordering=CRITERIA_COUNT)
    def criteria_count(self, obj: Question) -> int:
        return getattr(obj, CRITERIA_COUNT)

    @admin.display(description="Rendered prompt and model answer")
    def preview(self, obj: Question):
        if not obj.pk:
            return "Save to see the preview."
        return format_html(
            '<div class="viva-preview"><h3>Prompt</h3>{}<h3>Model answer</h3>{}</div>',
            render_markdown(obj.prompt),
            render_markdown(obj.model_answer),
        )

    @admin.action(description="Publish selected questions")
    def publish(self, request: HttpRequest, queryset):
        self._set_status(request, queryset, Status.PUBLISHED)

    @admin.action(description="Retire selected questions")
    def retire(self, request: HttpRequest, queryset):
        self._set_status(request, queryset, Status.RETIRED)

    def _set_status(self, request, queryset, status):
        if status == Status.PUBLISHED:
            blocked = []
            for question in queryset.prefetch_related(*CONTENT_RELATIONS, "samples"):
                if question.status != Status.PUBLISHED and (
                    problem := question_publish_problem(question)
                ):
                    blocked.append(f"{question.title}: {problem}")
            if blocked:
                self.message_user(
                    request,
                    "Nothing was published. " + " | ".join(blocked),
                    level=messages.ERROR,
                )
                return
        changed = questions_set_status(
            question_ids=list(queryset.values_list("id", flat=True)), status=status
        )
        self.message_user(request, f"{changed} question(s) now {status}.")

    @admin.action(description="Suggest rubric (replaces criteria of questions that have none)")
    def suggest_rubric(self, request: HttpRequest, queryset):
        filled = 0
        for question in queryset.filter(kind=Kind.FREE_TEXT).prefetch_related("criteria"):
            if question.criteria.all():
                continue
            if not question.model_answer.strip():
                continue
            _apply_suggested_rubric(question)
            filled += 1
        self.message_user(
            request,
            f"Suggested criteria for {filled} question(s); review and edit them before publishing.",
        )

    def get_urls(self):
        urls = super().get_urls()
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="questionbank_question_import",
            ),
            path(
                "<int:object_id>/suggest-rubric/",
                self.admin_site.admin_view(self.suggest_rubric_view),
                name="questionbank_question_suggest_rubric",
            ),
        ]
        return extra + urls

    def import_view(self, request: HttpRequest):
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            import tempfile
            from pathlib import Path

            with tempfile.TemporaryDirectory() as tmp:
                paths = []
                for upload in form.cleaned_data["bank_files"]:
                    target = Path(tmp) / Path(upload.name).name
                    target.write_bytes(upload.read())
                    paths.append(target)
                try:
                    report = bank_import(paths=paths, overwrite=form.cleaned_data["overwrite"])
                except BankFormatError as exc:
                    for problem in exc.problems[:50]:
                        self.message_user(request, problem, level=messages.ERROR)
                    self.message_user(request, "Nothing was imported.", level=messages.ERROR)
                else:
                    self.message_user(request, report.summary())
                    for line in report.conflicts():
                        self.message_user(request, line, level=messages.WARNING)
                    return redirect("admin:questionbank_question_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Import questions",
            "opts": self.model._meta,
        }
        return render(request, "admin/questionbank/question/import.html", context)

    def suggest_rubric_view(self, request: HttpRequest, object_id: int):
        question = self.get_object(request, str(object_id))
        if question is None or request.method != "POST":
            return redirect("admin:questionbank_question_changelist")
        if not question.model_answer.strip():
            self.message_user(
                request,
                "Write a model answer first: the rubric is suggested from it.",
                level=messages.ERROR,
            )
        else:
            count = _apply_suggested_rubric(question)
            self.message_user(
                request, f"Suggested {count} criteria from the model answer; edit them below."
            )
        return redirect(reverse("admin:questionbank_question_change", args=[question.pk]))


def _calibration(question: Question):
    """The question's sample answers graded as production would (calibration status and
    one check per sample). Expects content relations and samples prefetched or cheap."""
    return grader.samples_check(question)


def _apply_suggested_rubric(question: Question) -> int:
    suggested = grader.suggest_criteria(question.prompt, question.model_answer)
    criteria_replace(question=question, criteria=suggested)
    return len(suggested)
