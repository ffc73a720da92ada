"""Whether an answer's queued LLM second opinion is still on its way, for the pages that
poll until it arrives. Reads only the grades the page has already loaded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from grading.llm_queue import MODE_OFF, llm_mode

register = template.Library()


@register.filter
def second_opinion_pending(result: Any) -> bool:
    """``result`` has ``keyword`` and ``llm`` (the current grades): pending while the
    keyword grade asked for an opinion and no LLM grade newer than it exists yet."""
    keyword = getattr(result, "keyword", None)
    if keyword is None or not (keyword.meta or {}).get("second_opinion"):
        return False
    if llm_mode() == MODE_OFF:  # switched off since: nothing will arrive, stop waiting
        return False
    llm = getattr(result, "llm", None)
    return llm is None or llm.created_at < keyword.created_at


@register.filter
def any_second_opinion_pending(results: Iterable[Any]) -> bool:
    return any(second_opinion_pending(r) for r in results)
