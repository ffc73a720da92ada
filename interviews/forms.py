from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError

from questionbank.models import Level, Topic


class StartForm(forms.Form):
    level = forms.ChoiceField(choices=Level.choices, initial=Level.MID, widget=forms.RadioSelect)
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for a mixed interview.",
    )
    count = forms.IntegerField(
        label="Number of questions",
        min_value=3,
        max_value=15,
        initial=5,
        help_text="From 3 to 15.",
    )
    time_limit_minutes = forms.IntegerField(
        label="Time limit (minutes)",
        min_value=5,
        max_value=240,
        required=False,
        help_text="From 5 to 240 minutes. Leave empty to use the questions' suggested times.",
    )
    include_multiple_choice = forms.BooleanField(
        label="Include multiple-choice questions", required=False, initial=True
    )
    start_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_key"].initial = uuid.uuid4().hex


class SaveForm:
    """An autosave or a navigation post from the interview page.

    Cleaned by Django form fields but without a ``Form``: a Form deep-copies its fields
    for every request, which is a tenth of the CPU of autosave, the busiest endpoint.
    The fields hold no per-request state, so one set serves every request. Nothing
    renders this form; a post that does not clean is refused as a whole.

    The answer's length is checked by the service, so the refusal can say how long it was.
    """

    fields = {
        "text": forms.CharField(required=False, strip=False),
        "choice": forms.IntegerField(required=False, min_value=0, max_value=50),
        "seconds": forms.IntegerField(required=False, min_value=0),
        "pastes": forms.IntegerField(required=False, min_value=0),
        "pasted_chars": forms.IntegerField(required=False, min_value=0),
        "hidden": forms.IntegerField(required=False, min_value=0),
        "go": forms.CharField(required=False, max_length=10),
    }

    def __init__(self, data) -> None:
        self.data = data
        self.cleaned_data: dict = {}
        self.errors: dict[str, list[str]] = {}

    def is_valid(self) -> bool:
        for name, field in self.fields.items():
            raw = field.widget.value_from_datadict(self.data, {}, name)
            try:
                self.cleaned_data[name] = field.clean(raw)
            except ValidationError as exc:
                self.errors[name] = exc.messages
        return not self.errors
