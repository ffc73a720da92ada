from __future__ import annotations

from django import template

from questionbank.markdown import render_inline_markdown, render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return render_markdown(text or "")


@register.filter(name="markdown_inline")
def markdown_inline_filter(text: str):
    return render_inline_markdown(text or "")
