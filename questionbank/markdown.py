"""Render authored Markdown to HTML that is safe to show: sanitised with nh3."""

from __future__ import annotations

from functools import lru_cache

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
    "td": {"align"},
    "th": {"align"},
}
EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
# Short authored text shown inside a sentence or a label: an option and its explanation.
INLINE_TAGS = {"b", "code", "del", "em", "i", "kbd", "strong", "sub", "sup"}


@lru_cache(maxsize=2048)
def render_markdown(text: str) -> SafeString:
    """Markdown -> sanitised HTML. No script, no event handlers, no javascript: links."""
    html = md.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # sanitised by nh3 just above


@lru_cache(maxsize=2048)
def render_inline_markdown(text: str) -> SafeString:
    """Markdown -> sanitised inline HTML: code spans and emphasis, no blocks or links."""
    html = md.markdown(text or "", output_format="html")
    clean = nh3.clean(html, tags=INLINE_TAGS, attributes={})
    return mark_safe(clean.strip())  # sanitised by nh3 just above
