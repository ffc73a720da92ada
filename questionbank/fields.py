"""A text field that stores line endings as ``\\n`` whatever the browser sends."""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.text import normalize_newlines


class NormalizedTextFormField(forms.CharField):
    """Browsers post textareas with ``\\r\\n``; an unchanged text must compare unchanged.
    Not stripped either: the bank keeps a final newline, and a no-op save must keep it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "strip": False})

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_newlines(value) if value else value


class MarkdownTextField(models.TextField):
    """Authored Markdown. Saving the admin form unchanged leaves it unchanged, so its
    history, the question version and exported files stay as they were."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": NormalizedTextFormField, **kwargs})

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return normalize_newlines(value) if isinstance(value, str) else value
