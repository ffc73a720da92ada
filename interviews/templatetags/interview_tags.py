from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

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

    Built in Python rather than by a template loop: it runs for every question on every
    load of the interview page, and the loop cost more than the rest of the page body.
    Nothing here needs escaping: every value is a number or one of the fixed words below.
    """
    items = []
    for index, answer in enumerate(answers):
        states = [
            name
            for name, on in (("answered", answer.is_answered), ("flagged", answer.flagged))
            if on
        ]
        number = index + 1
        current = ' aria-current="step"' if index == position else ""
        label = ", ".join([f"Question {number}", *states])
        items.append(
            f'<li><a href="?q={index}" class="{" ".join(states)}"{current}'
            f' aria-label="{label}">{number}</a></li>'
        )
    return mark_safe("\n".join(items))
