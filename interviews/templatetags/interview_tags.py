from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def saved_status(moment: datetime) -> SafeString:
    """The save status, 'Saved hh:mm:ss' with a machine-readable time, as the interview
    page shows it and every autosave returns it. Built in Python rather than by a
    template: autosave is the busiest endpoint and this is its whole reply."""
    local = timezone.localtime(moment)
    return format_html(
        'Saved <time datetime="{}">{}</time>', local.isoformat(), local.strftime("%H:%M:%S")
    )
