"""Forms for hiring pages: input parsing only; rules live in the services."""

from __future__ import annotations

import csv

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from hiring.models import InterviewSet, Recommendation, Role, Scorecard
from hiring.selectors import STATUS_FILTERS, BankFilter
from hiring.services import MAX_INVITATION_DAYS
from questionbank.models import Kind, Level, SampleKind, Topic
from questionbank.validation import MAX_CHOICES, MAX_CRITERIA


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120, label="Team name")


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        help_text="They join once they accept, signed in with this address confirmed.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REVIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SetForm(forms.ModelForm):
    time_limit_minutes = forms.IntegerField(
        min_value=5, max_value=480, initial=45, label="Time limit (minutes)"
    )

    class Meta:
        model = InterviewSet
        fields = ["title", "time_limit_minutes", "instructions", "candidates_see_results"]
        labels = {"candidates_see_results": "Candidates see their results"}
        help_texts = {
            "instructions": "Shown to candidates before they start.",
            "candidates_see_results": "Off: candidates only see that their answers were "
            "submitted. On: their final scores and rubric verdicts, including your "
            "overrides (never the model answers). You can turn it on after reviewing.",
        }
        widgets = {"instructions": forms.Textarea(attrs={"rows": 4})}


class BankSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    level = forms.ChoiceField(required=False, choices=[("", "Any level"), *Level.choices])
    topic = forms.ChoiceField(required=False, choices=[])
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Kind.choices])
    source = forms.ChoiceField(
        required=False,
        choices=[("", "Bank and team"), ("bank", "Shared bank"), ("team", "Team's own")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        topic = self.fields["topic"]
        assert isinstance(topic, forms.ChoiceField)
        topic.choices = [("", "Any topic")] + [
            (t.slug, t.name) for t in Topic.objects.order_by("name")
        ]
        self.fields["q"].widget.input_type = "search"
        # The page re-searches when one of these changes; the text box has its own
        # trigger (a "change" from it, on blur, would race an Add clicked just after).
        for name in ("level", "topic", "kind", "source"):
            self.fields[name].widget.attrs["class"] = "bank-filter"

    def filter(self) -> BankFilter:
        page = _page_number(self.data.get("page"))
        if not self.is_valid():
            return BankFilter(page=page)
        data = self.cleaned_data
        return BankFilter(
            q=data["q"].strip(),
            level=data["level"],
            topic=data["topic"],
            kind=data["kind"],
            source=data["source"],
            page=page,
        )


def _page_number(value) -> int:
    """A page link's number; anything else (missing, junk, absurd) is the first page."""
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < int(text) <= 10_000 else 1


class PrivateQuestionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Answered as",
        choices=Kind.choices,
        initial=Kind.FREE_TEXT,
        required=False,  # a post without it (older page, script) means free text
        widget=forms.RadioSelect(attrs={"class": "kind-choice"}),
        help_text="Free text is graded against the rubric; multiple choice is scored "
        "from the correct option.",
    )
    title = forms.CharField(max_length=200)
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), help_text="Markdown.")
    level = forms.ChoiceField(choices=Level.choices, initial=Level.MID)
    topic = forms.ModelChoiceField(queryset=Topic.objects.order_by("name"), to_field_name="slug")
    # Required for free text only: the services say so with the bank's own message.
    model_answer = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What a strong answer says: shown with the results, and the source for "
        "“Suggest rubric”. Needed for free text; optional for multiple choice.",
    )
    suggested_minutes = forms.IntegerField(min_value=1, max_value=120, initial=5)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or Kind.FREE_TEXT


class CriterionForm(forms.Form):
    label = forms.CharField(
        max_length=200, required=False, widget=forms.TextInput(attrs={"aria-label": "Label"})
    )
    keywords = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"aria-label": "Keywords, comma separated"}),
    )
    weight = forms.FloatField(
        min_value=0,
        max_value=100,
        initial=1.0,
        required=False,
        widget=forms.NumberInput(attrs={"aria-label": "Weight", "step": "any"}),
    )
    required = forms.BooleanField(
        required=False, widget=forms.CheckboxInput(attrs={"aria-label": "Required"})
    )

    def row(self) -> dict | None:
        """The criterion as the services take it, or None for an empty row."""
        data = self.cleaned_data
        keywords = [k.strip() for k in (data.get("keywords") or "").split(",") if k.strip()]
        label = (data.get("label") or "").strip()
        if not label and not keywords:
            return None
        return {
            "label": label or keywords[0],
            "keywords": keywords,
            "weight": data.get("weight") if data.get("weight") is not None else 1.0,
            "required": bool(data.get("required")),
        }


CriterionFormSet = forms.formset_factory(
    CriterionForm, extra=0, max_num=MAX_CRITERIA, absolute_max=MAX_CRITERIA
)


def criterion_formset(*, data=None, initial: list[dict] | None = None):
    """Always MAX_CRITERIA rows, so a form works without JavaScript to add rows."""
    if data is not None:
        return CriterionFormSet(data, prefix="c")
    initial = [
        {
            "label": c["label"],
            "keywords": ", ".join(c["keywords"]),
            "weight": c["weight"],
            "required": c["required"],
        }
        for c in (initial or [])
    ][:MAX_CRITERIA]
    initial += [{"weight": 1.0}] * (MAX_CRITERIA - len(initial))
    return CriterionFormSet(initial=initial, prefix="c")


class ChoiceForm(forms.Form):
    text = forms.CharField(
        max_length=500, required=False, widget=forms.TextInput(attrs={"aria-label": "Option"})
    )
    is_correct = forms.BooleanField(
        required=False, widget=forms.CheckboxInput(attrs={"aria-label": "Correct"})
    )
    explanation = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"aria-label": "Why it is right or wrong"}),
    )

    def clean(self):
        data = super().clean() or {}
        if not (data.get("text") or "").strip() and (
            data.get("is_correct") or (data.get("explanation") or "").strip()
        ):
            self.add_error("text", "Give this option its text, or clear the row.")
        return data

    def row(self) -> dict | None:
        """The option as the services take it, or None for an empty row."""
        text = (self.cleaned_data.get("text") or "").strip()
        if not text:
            return None
        return {
            "text": text,
            "is_correct": bool(self.cleaned_data.get("is_correct")),
            "explanation": (self.cleaned_data.get("explanation") or "").strip(),
        }


ChoiceFormSet = forms.formset_factory(
    ChoiceForm, extra=0, max_num=MAX_CHOICES, absolute_max=MAX_CHOICES
)


def choice_formset(*, data=None, initial: list[dict] | None = None):
    """Always MAX_CHOICES rows, like the criteria."""
    if data is not None and "o-TOTAL_FORMS" in data:
        return ChoiceFormSet(data, prefix="o")
    initial = list(initial or [])[:MAX_CHOICES]
    initial += [{}] * (MAX_CHOICES - len(initial))
    return ChoiceFormSet(initial=initial, prefix="o")


MAX_SAMPLES = 6


class SampleForm(forms.Form):
    """A sample answer with the score a fair interviewer gives it (optional)."""

    kind = forms.ChoiceField(
        choices=SampleKind.choices,
        initial=SampleKind.STRONG,
        widget=forms.Select(attrs={"aria-label": "Kind of sample"}),
    )
    score = forms.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput(attrs={"aria-label": "Human score", "class": "days"}),
    )
    text = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "aria-label": "Sample answer"}),
    )

    def clean(self):
        data = super().clean() or {}
        if (data.get("text") or "").strip() and data.get("score") is None:
            self.add_error("score", "Give this sample the score a fair interviewer would.")
        return data

    def row(self) -> dict | None:
        text = (self.cleaned_data.get("text") or "").strip()
        if not text:
            return None
        return {
            "kind": self.cleaned_data["kind"],
            "score": self.cleaned_data["score"],
            "text": text,
            "reason": "",
        }


SampleFormSet = forms.formset_factory(
    SampleForm, extra=0, max_num=MAX_SAMPLES, absolute_max=MAX_SAMPLES
)


def sample_formset(*, data=None, initial: list[dict] | None = None):
    """Always MAX_SAMPLES rows, like the criteria; empty rows are ignored. A post without
    sample rows reads as none (the question keeps the samples it has)."""
    if data is not None:
        if "s-TOTAL_FORMS" not in data:
            data = {"s-TOTAL_FORMS": "0", "s-INITIAL_FORMS": "0"}
        return SampleFormSet(data, prefix="s")
    initial = list(initial or [])[:MAX_SAMPLES]
    kinds = [k for k in SampleKind.values if k != SampleKind.OTHER]
    initial += [{"kind": kinds[i % len(kinds)]} for i in range(len(initial), MAX_SAMPLES)]
    return SampleFormSet(initial=initial, prefix="s")


class InvitationForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, label="Candidate name (optional)")
    email = forms.EmailField(
        required=False,
        label="Email (optional)",
        help_text="If given, the link is emailed to the candidate.",
    )
    days = forms.IntegerField(
        min_value=1,
        max_value=MAX_INVITATION_DAYS,
        label="Valid for (days)",
        initial=settings.INVITATION_DAYS,
    )
    extra_minutes = forms.IntegerField(
        min_value=0,
        max_value=240,
        initial=0,
        required=False,
        label="Extra time (minutes)",
        help_text="An accommodation for this candidate only; it is recorded with the invitation.",
    )

    def clean_extra_minutes(self) -> int:
        return self.cleaned_data.get("extra_minutes") or 0


class BulkInviteForm(forms.Form):
    """Many candidates at once: one per line, "name, email" (a CSV export of names and
    addresses pastes as is; a header line is skipped)."""

    MAX_ROWS = 100

    candidates = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
        label="Candidates, one per line: name, email",
    )
    days = forms.IntegerField(
        min_value=1,
        max_value=MAX_INVITATION_DAYS,
        label="Valid for (days)",
        initial=settings.INVITATION_DAYS,
    )

    def clean_candidates(self) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        problems: list[str] = []
        lines = self.cleaned_data["candidates"].splitlines()
        for number, row in enumerate(csv.reader(lines), start=1):
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if number == 1 and [c.lower() for c in cells[:2]] == ["name", "email"]:
                continue  # a header
            if len(cells) != 2:
                problems.append(f"line {number}: give a name and an email, separated by a comma")
                continue
            name, email = cells
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"line {number}: {email!r} is not an email address")
                continue
            rows.append((name[:120], email.lower()))
        if problems:
            raise ValidationError(problems[:10])
        if not rows:
            raise ValidationError("No candidates found.")
        if len(rows) > self.MAX_ROWS:
            raise ValidationError(
                f"At most {self.MAX_ROWS} candidates at once (found {len(rows)})."
            )
        if len({email for _, email in rows}) != len(rows):
            raise ValidationError("An email address appears twice.")
        return rows


class ExtendForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=MAX_INVITATION_DAYS, initial=7)


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "All candidates")] + [(s, s.title()) for s in STATUS_FILTERS],
    )

    def status_value(self) -> str:
        return self.cleaned_data["status"] if self.is_valid() else ""


class OverrideForm(forms.Form):
    score = forms.FloatField(min_value=0, max_value=100, label="New score (0-100)")
    comment = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Why (internal)"
    )
    feedback = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Feedback for the candidate (optional)",
    )


class ScorecardForm(forms.Form):
    """A reviewer's scorecard: a whole-number score per answer (blank while drafting),
    a recommendation and internal notes. ``action`` says save the draft or submit."""

    recommendation = forms.ChoiceField(
        choices=[("", "Not decided yet"), *Recommendation.choices],
        required=False,
        widget=forms.RadioSelect,
        label="Recommendation",
    )
    notes = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Internal notes",
        help_text="Internal: your team reads these with your submitted card; never the candidate.",
    )
    action = forms.ChoiceField(choices=[("save", "Save draft"), ("submit", "Submit")])

    def __init__(self, *args, answers, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = answers
        for answer in answers:
            label = answer.label
            self.fields[self.score_field(answer)] = forms.IntegerField(
                min_value=0,
                max_value=100,
                required=False,
                label=f"{label} score (0-100)",
                error_messages={
                    "invalid": f"{label}: enter a whole number from 0 to 100.",
                    "min_value": f"{label}: a score cannot be below 0.",
                    "max_value": f"{label}: a score cannot be above 100.",
                },
            )

    @classmethod
    def for_draft(cls, *, answers, draft: Scorecard | None) -> ScorecardForm:
        """The form as the reviewer last saved it (empty without a draft)."""
        if draft is None:
            return cls(answers=answers)
        saved = draft.scores_by_answer()
        initial: dict[str, object] = {cls.score_field(a): saved.get(a.id) for a in answers}
        initial |= {"recommendation": draft.recommendation, "notes": draft.notes}
        return cls(answers=answers, initial=initial)

    @staticmethod
    def score_field(answer) -> str:
        return f"score-{answer.id}"

    def score_fields(self) -> list:
        """(answer, bound field) pairs, in the order the candidate answered."""
        return [(answer, self[self.score_field(answer)]) for answer in self.answers]

    def scores(self) -> dict[int, int | None]:
        return {a.id: self.cleaned_data.get(self.score_field(a)) for a in self.answers}

    @property
    def submitting(self) -> bool:
        return self.cleaned_data.get("action") == "submit"
