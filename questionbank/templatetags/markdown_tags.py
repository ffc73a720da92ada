from __future__ import annotations

from django import template

from questionbank.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return render_markdown(text or "")
