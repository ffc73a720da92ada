"""Suggest a rubric of ideas from a model answer, for curators and hiring teams.

``suggest_rubric`` (autorubric.py) serves the benchmark: many weighted terms, each with
general-English synonyms, scored on a saturating curve. A person editing a rubric needs
something else: a handful of ideas, each one a sentence of the model answer, with the
phrasings a candidate would use for it and one idea marked required. Phrasings here are
the answer's own key phrases plus technical equivalents from a curated table
(``DOMAIN_EQUIVALENTS``), never general synonyms ("release" is not "deallocate").
"""

from __future__ import annotations

import re

from grading.autorubric import suggest_rubric
from grading.rubric import Criterion
from grading.text import rarity

MAX_IDEAS = 6
MIN_IDEAS = 3  # a published question needs three criteria
MAX_LABEL = 90
MIN_PHRASES = 1

# Terms that mean the same thing in backend engineering, as engineers write them.
DOMAIN_EQUIVALENTS: tuple[tuple[str, ...], ...] = (
    ("database", "db"),
    ("continuous integration", "ci"),
    ("continuous delivery", "cd"),
    ("continuous deployment", "cd"),
    ("main", "main branch", "trunk", "master"),
    ("pipeline", "ci pipeline", "build pipeline"),
    ("deploy", "release", "ship"),
    ("deployed", "released", "shipped"),
    ("production", "prod"),
    ("automated", "automatic"),
    ("tests", "test suite"),
    ("cache", "cached copy"),
    ("time to live", "ttl", "expiry"),
    ("idempotent", "safe to retry"),
    ("primary key", "pk"),
    ("foreign key", "fk"),
    ("load balancer", "lb"),
    ("message queue", "broker", "queue"),
    ("rate limit", "throttle"),
    ("latency", "response time"),
    ("throughput", "requests per second"),
    ("authentication", "authn", "login"),
    ("authorisation", "authorization", "authz", "permissions"),
    ("transaction", "tx"),
    ("index", "db index"),
    ("kubernetes", "k8s"),
    ("environment variable", "env var"),
    ("service level objective", "slo"),
    ("dead-letter queue", "dlq"),
    ("human approval", "manual approval", "sign-off"),
    ("one click", "single click", "button press"),
)
_EQUIVALENTS = {term: group for group in DOMAIN_EQUIVALENTS for term in group}
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE = re.compile(r"(?<=[.!?;:,])\s+|\n+")
_MARKUP = re.compile(r"^[\s>*#\-+\d.]*|[*_`]")


def _specific(phrase: str) -> bool:
    words = phrase.split()
    return len(words) > 1 or (bool(words) and rarity(words[0]) >= 1.0)


def _parts(text: str, splitter: re.Pattern) -> list[str]:
    return [s for s in (_MARKUP.sub("", part).strip() for part in splitter.split(text)) if s]


def _label(sentence: str) -> str:
    sentence = sentence.rstrip(".")
    return sentence if len(sentence) <= MAX_LABEL else sentence[: MAX_LABEL - 1].rstrip() + "…"


def _with_equivalents(phrase: str) -> list[str]:
    """The phrase, and each curated equivalent of the whole phrase or one of its terms."""
    out = [phrase]
    for term, group in _EQUIVALENTS.items():
        if re.search(rf"\b{re.escape(term)}\b", phrase):
            out += [re.sub(rf"\b{re.escape(term)}\b", other, phrase) for other in group]
    return list(dict.fromkeys(out))


def suggest_ideas(prompt: str, model_answer: str, *, max_ideas: int = MAX_IDEAS) -> list[Criterion]:
    """One idea per sentence of the model answer that says something beyond the prompt
    (per clause when that gives too few), the heaviest (rarest terms) ``max_ideas`` in
    the answer's order, the heaviest of all marked required. [] for an empty answer."""
    ideas = _ideas(prompt, _parts(model_answer or "", _SENTENCE))
    if len(ideas) < MIN_IDEAS:
        ideas = max(ideas, _ideas(prompt, _parts(model_answer or "", _CLAUSE)), key=len)
    kept = sorted(sorted(ideas, key=lambda idea: -idea[1])[:max_ideas])
    if not kept:
        return []
    heaviest = max(kept, key=lambda idea: idea[1])
    return [
        Criterion(
            label=_label(sentence),
            keywords=tuple(keywords),
            weight=round(max(1.0, weight), 1),
            required=idea is heaviest,
        )
        for idea in kept
        for _order, weight, sentence, keywords in [idea]
    ]


def _ideas(prompt: str, parts: list[str]) -> list[tuple[int, float, str, list[str]]]:
    """(order, weight, text, phrasings) for each part that says something of its own."""
    ideas: list[tuple[int, float, str, list[str]]] = []
    for order, sentence in enumerate(parts):
        terms = [
            c
            for c in suggest_rubric(prompt, sentence)
            if not c.label.startswith("Uses the question")
        ]
        # the answer's own phrase for each term, not the benchmark's general synonyms;
        # a lone everyday word ("means", "keeps") is no evidence of an idea
        phrases = [c.keywords[0] for c in terms if _specific(c.keywords[0])]
        if len(phrases) < MIN_PHRASES:
            continue
        keywords = [k for phrase in phrases for k in _with_equivalents(phrase)]
        ideas.append((order, sum(c.weight for c in terms), sentence, list(dict.fromkeys(keywords))))
    return ideas
