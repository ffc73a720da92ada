"""Forms for a team's integrations page."""

from __future__ import annotations

from django import forms

from hiring.models import SUBSCRIBABLE_EVENTS


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Enter a full URL starting with https:// (or http://)."},
        widget=forms.URLInput(attrs={"placeholder": "https://ats.example.com/hooks/viva"}),
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(e.value, f"{e.value} ({e.label.lower()})") for e in SUBSCRIBABLE_EVENTS],
        initial=[e.value for e in SUBSCRIBABLE_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=80,
        help_text="Who will use it, e.g. “Greenhouse sync”.",
    )
