from __future__ import annotations

import uuid

from django import forms

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


class SaveForm(forms.Form):
    """An autosave or a navigation post from the interview page. Nothing renders it; a
    post that does not clean is refused as a whole. The answer's length is checked by
    the service, so the refusal can say how long it was."""

    text = forms.CharField(required=False, strip=False)
    choice = forms.IntegerField(required=False, min_value=0, max_value=50)
    seconds = forms.IntegerField(required=False, min_value=0)
    pastes = forms.IntegerField(required=False, min_value=0)
    pasted_chars = forms.IntegerField(required=False, min_value=0)
    hidden = forms.IntegerField(required=False, min_value=0)
    go = forms.CharField(required=False, max_length=10)
