"""Measures of how well a rubric is written, shared by the bank tests and curators' tools."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def phrase_in_text(phrase: str, text: str) -> bool:
    """True when the phrase's words stand in ``text`` in a row, word for word."""
    needle = _words(phrase)
    if not needle:
        return False
    return f" {' '.join(needle)} " in f" {' '.join(_words(text))} "


def verbatim_share(*, model_answer: str, phrasings: list[str]) -> float:
    """The share of a question's keyword phrasings that its model answer contains word for
    word. A rubric whose phrasings all come from the model answer rewards copying it, not
    saying the idea in one's own words."""
    if not phrasings:
        return 0.0
    return sum(phrase_in_text(p, model_answer) for p in phrasings) / len(phrasings)


def shared_run(a: str, b: str, *, length: int = 6) -> str | None:
    """The first run of ``length`` words that both texts contain, or None."""
    words_a = _words(a)
    runs_b = {tuple(w) for w in _windows(_words(b), length)}
    for run in _windows(words_a, length):
        if tuple(run) in runs_b:
            return " ".join(run)
    return None


def _windows(words: list[str], length: int):
    return (words[i : i + length] for i in range(len(words) - length + 1))
