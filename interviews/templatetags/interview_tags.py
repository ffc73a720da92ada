from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
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


@register.simple_tag
def question_navigator(answers, position: int) -> SafeString:
    """The navigator's links, one per question: answered, flagged, current.

    ``format_html_join`` rather than a template loop: it runs on every load of the
    interview page, where the loop's per-item lookups cost more than the rest of the
    page body (measured in bench/README.md)."""
    return format_html_join(
        "\n",
        '<li><a href="?q={}" class="{}" aria-current="{}" aria-label="{}">{}</a></li>',
        (_navigator_item(i, answer, i == position) for i, answer in enumerate(answers)),
    )


def _navigator_item(index: int, answer, current: bool) -> tuple:
    states = [
        name for name, on in (("answered", answer.is_answered), ("flagged", answer.flagged)) if on
    ]
    label = ", ".join([f"Question {index + 1}", *states])
    return (index, " ".join(states), "step" if current else "false", label, index + 1)
