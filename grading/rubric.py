"""The keyword rubric grader: pure, deterministic, fast.

``grade(prompt, criteria, answer)`` takes the question text, the rubric criteria and the
candidate's answer and returns a ``Result``: a 0-100 score, one verdict per criterion
with evidence spans into the original answer, flags and a confidence.

No Django, no settings, no I/O, no randomness: the benchmark, the Celery tasks and the
admin all share it. How a score is computed is explained for candidates in
docs/grading.md; the numbered steps in ``grade`` follow that page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import accumulate, compress, pairwise
from operator import and_, ne
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from grading.text import (
    NEGATIONS,
    STOPWORDS,
    Tokens,
    is_negation_at,
    rarity,
    root,
    stem_word,
    tokenize,
    word_info,
    word_set,
)

__all__ = [
    "CURATED",
    "GRADER_VERSION",
    "Criterion",
    "CriterionVerdict",
    "Misconception",
    "MisconceptionHit",
    "Result",
    "ScoringProfile",
    "auto_rubric_profile",
    "grade",
]

GRADER_VERSION = "keyword-3"  # 2: before insufficient or dispreferred claims; 1: before claims

# --------------------------------------------------------------------------- tunables
# Phrase matching
MAX_GAP = 2  # extra content words allowed between the words of a phrase, per gap
NEG_WINDOW = 3  # a negation cue this many tokens before a match (same clause) negates it
PARTIAL_MIN = 0.1  # a phrase's (rarity-weighted) share must exceed this for "partial"
MIN_TOKEN_WEIGHT = 0.35  # weight of a function word kept inside a keyword
PARTIAL_SCALE = 0.8  # a partial match earns this times the share of the phrase it matched
MAX_OCCURRENCES = 12  # occurrences of each word considered when placing a phrase
ORDER_FACTOR = 0.75  # a phrase whose words appear out of order counts as this share
FUZZY_MIN_LEN = 7  # keyword words at least this long tolerate a misspelling
PROMPT_TOKEN_WEIGHT = 0.6  # weight of a prompt word inside a phrase that has other words
PROMPT_ONLY_FACTOR = 0.5  # credit for a criterion that can only be said in prompt words
# Scoring
CONTRADICTION_PENALTY = 0.25  # share of a contradicted criterion's weight taken away
# Negating a generic word ("cannot be used") says little; only a negated phrase carrying at
# least this much rarity weight (one uncommon word, or a few common ones) contradicts.
CONTRADICTION_MIN_SPECIFICITY = 1.0
SATURATION = 0.8  # share of the rubric's weight that already earns 100
CURVE = 0.4  # exponent of the saturating curve (below 1 lifts partial answers)
REQUIRED_CAP = 50.0  # ceiling when a required criterion is missed or contradicted...
REQUIRED_MIN_CREDIT = 0.5  # ...or earns less than this (a stray word of the phrase)
STUFFING_DENSITY = 0.3  # share of content words that are rubric keywords, for list checks
BARE_LIST_STOP_RATIO = 0.2  # fewer function words than this (in 10+ words): a bare list
# Word salad: (impossible function-word sequences / function words) plus
# SALAD_PAIR_WEIGHT x (uncommon function-word pairs / pairs) reaching SALAD_RATE.
SALAD_RATE = 0.3
SALAD_PAIR_WEIGHT = 0.4
# A long written answer (lists and Markdown included) collects a few odd pairs by
# chance, so from SALAD_LONG words on it must also break word order at this rate.
SALAD_LONG = 100
SALAD_MIN_BAD_RATE = 0.16
STUFFING_FACTOR = 0.5  # a keyword-stuffed answer keeps at most this share of its score
GRADER_ADDRESS_CAP = 5.0  # ceiling for an answer that talks to the grader
# Review routing: an answer of this many words, using this many distinct words of the
# question and its rubric, that scores under this, goes to a human.
SUBSTANTIAL_WORDS = 40
CLAIM_GAP = 1  # other content words allowed between the words of a misconception phrasing
SUBSTANTIAL_TOPIC_WORDS = 4
SUBSTANTIAL_LOW_SCORE = 40.0

VERDICTS = ("met", "partial", "missed", "contradicted")


@dataclass(frozen=True)
class ScoringProfile:
    """How weighted credit becomes a 0-100 score; a property of how the rubric was made.

    A curated rubric names exactly the ideas a good answer needs, so credit counts
    almost linearly and a stray word of a phrase earns nothing. A rubric suggested
    from a reference answer lists many of its terms, of which a good answer uses
    only some, so credit saturates early and partial phrases count.
    """

    saturation: float  # share of the rubric's weight that already earns 100
    curve: float  # exponent of the saturating curve (below 1 lifts partial answers)
    partial_min: float  # a phrase's matched share must exceed this to earn "partial"
    partial_scale: float = PARTIAL_SCALE  # a partial phrase earns this times its share


CURATED = ScoringProfile(saturation=0.9, curve=1.0, partial_min=0.5, partial_scale=0.2)


def auto_rubric_profile() -> ScoringProfile:
    """The profile for rubrics made by ``suggest_rubric`` (read at call time: --cv tunes it)."""
    return ScoringProfile(saturation=SATURATION, curve=CURVE, partial_min=PARTIAL_MIN)


# --------------------------------------------------------------------------- interface
@dataclass(frozen=True)
class Criterion:
    label: str
    keywords: tuple[str, ...]
    weight: float = 1.0
    required: bool = False


@dataclass(frozen=True)
class CriterionVerdict:
    label: str
    verdict: str  # "met" | "partial" | "missed" | "contradicted"
    credit: float  # 0..1 share of this criterion's weight earned
    spans: tuple[tuple[int, int], ...]  # offsets into the ORIGINAL answer string
    matched: str  # the keyword alternative that matched, "" if none


@dataclass(frozen=True)
class Misconception:
    """A wrong claim: an answer that makes it (not negated) loses ``penalty`` points,
    or scores at most ``cap``."""

    claim: str
    phrasings: tuple[str, ...]
    explanation: str = ""
    penalty: float = 0.0
    cap: float | None = None


@dataclass(frozen=True)
class MisconceptionHit:
    claim: str
    explanation: str
    spans: tuple[tuple[int, int], ...]  # offsets into the ORIGINAL answer string
    matched: str


@dataclass(frozen=True)
class Result:
    score: float  # 0..100, one decimal
    verdicts: tuple[CriterionVerdict, ...]
    flags: tuple[str, ...]
    confidence: float  # 0..1
    misconceptions: tuple[MisconceptionHit, ...] = ()

    def to_dict(self) -> dict:
        return {
            "grader_version": GRADER_VERSION,
            "score": self.score,
            "verdicts": [{**asdict(v), "spans": [list(s) for s in v.spans]} for v in self.verdicts],
            "flags": list(self.flags),
            "confidence": self.confidence,
            "misconceptions": [
                {**asdict(m), "spans": [list(s) for s in m.spans]} for m in self.misconceptions
            ],
        }


# --------------------------------------------------------------------------- compiled rubric
@dataclass(slots=True)
class _Alt:
    text: str
    stems: tuple[str, ...]
    weights: tuple[float, ...]
    total: float
    in_prompt: tuple[bool, ...]
    negated: bool
    all_prompt: bool
    specificity: float  # summed rarity of the alternative's words
    rarities: tuple[float, ...]  # rarity of each word


@dataclass(slots=True)
class _Crit:
    criterion: Criterion
    alts: list[_Alt]
    prompt_only: bool  # every alternative is made of prompt words only
    missed: CriterionVerdict  # the verdict when nothing matches


@dataclass(slots=True)
class _Claim:
    misconception: Misconception
    alts: list[_Alt]


@dataclass(slots=True)
class _Rubric:
    crits: list[_Crit]
    claims: list[_Claim]
    prompt_stems: frozenset[str]
    prompt_content: int  # distinct content stems in the prompt
    vocab: frozenset[str]
    evidence_vocab: frozenset[str]  # keyword stems that are not prompt words
    roots: dict[str, str]  # derivational root -> keyword stem
    long_words: list[str]
    long_word_stems: list[str]
    total_weight: float
    word_hits: _WordHits = field(init=False)  # answer word -> what it is to this rubric


@dataclass(slots=True, frozen=True)
class _WordHit:
    """What an answer word is to one rubric: the keyword stems it stands for (its own
    stem, or those of a near miss), whether it is a near miss, and whether it is a
    negation cue."""

    stems: tuple[str, ...]
    fuzzy: bool
    negation: bool


def _compile_alt(text: str, prompt_stems: frozenset[str]) -> _Alt | None:
    toks = tokenize(text)
    cue = [is_negation_at(toks, i) for i in range(len(toks))]
    negated = any(cue)
    idx = [i for i in range(len(toks)) if not toks.stop[i]]
    if len(idx) <= 1:
        # "any number", "as many", "do while": the function words carry the meaning
        idx = [i for i in range(len(toks)) if not cue[i]]
    if not idx:
        return None
    stems: list[str] = []
    weights: list[float] = []
    rarities: list[float] = []
    in_prompt: list[bool] = []
    for i in idx:
        st = toks.stems[i]
        if st in stems:
            continue
        stems.append(st)
        in_prompt.append(st in prompt_stems)
        rarities.append(rarity(toks.words[i]))
        weights.append(max(rarities[-1], MIN_TOKEN_WEIGHT))
    all_prompt = all(in_prompt)
    if not all_prompt:
        weights = [w * PROMPT_TOKEN_WEIGHT if p else w for w, p in zip(weights, in_prompt)]
    return _Alt(
        text=text.strip(),
        stems=tuple(stems),
        weights=tuple(weights),
        total=sum(weights),
        in_prompt=tuple(in_prompt),
        negated=negated,
        all_prompt=all_prompt,
        specificity=sum(rarity(toks.words[i]) for i in idx),
        rarities=tuple(rarities),
    )


# A phrase that names a loss ("prevents index-only scans", "loses ordering") is also
# said as the absence of the thing ("no index-only scans", "without ordering").
_PRIVATIVE = word_set(
    "prevent prevents prevented preventing stop stops stopped block blocks blocked lose loses "
    "lost losing break breaks broke breaking disable disables disabled kill kills killed lack "
    "lacks lacking eliminate eliminates eliminated forbid forbids rule rules"
)


def _names_a_loss(label: str) -> bool:
    """A criterion such as "It prevents index-only scans": its keywords name the thing
    lost, and saying it is absent ("no index-only scans") is saying the idea."""
    return any(w in _PRIVATIVE for w in tokenize(label).words)


def _keyword_forms(keyword: str, *, loss: bool = False) -> list[str]:
    """The keyword, and its absence form when it (or its criterion) names a loss."""
    words = keyword.split()
    first = words[0].lower() if words else ""
    if len(words) >= 2 and first in _PRIVATIVE:
        rest = words[2:] if first in {"rule", "rules"} and words[1] == "out" else words[1:]
        if rest:
            return [keyword, "no " + " ".join(rest)]
    if loss and words and first not in _PRIVATIVE and not any(w in NEGATIONS for w in words):
        return [keyword, "no " + keyword]
    return [keyword]


@lru_cache(maxsize=1024)
def _compile(
    prompt: str, criteria: tuple[Criterion, ...], misconceptions: tuple[Misconception, ...] = ()
) -> _Rubric:
    ptoks = tokenize(prompt)
    prompt_stems = frozenset(s for s, stop in zip(ptoks.stems, ptoks.stop) if not stop)
    crits: list[_Crit] = []
    vocab: set[str] = set()
    long_words: dict[str, str] = {}
    for c in criteria:
        loss = _names_a_loss(c.label)
        alts = [
            a
            for kw in c.keywords
            for form in _keyword_forms(kw, loss=loss)
            if (a := _compile_alt(form, prompt_stems)) is not None
        ]
        for a in alts:
            vocab.update(a.stems)
        for kw in c.keywords:
            for raw in re.findall(r"\w+", kw):
                norm, st = word_info(raw)
                if len(norm) >= FUZZY_MIN_LEN and norm not in STOPWORDS:
                    long_words.setdefault(norm, st)
        crits.append(
            _Crit(
                c,
                alts,
                prompt_only=bool(alts) and all(a.all_prompt for a in alts),
                missed=_missed(c),
            )
        )
    # A wrong claim is a claim whatever words it shares with the question.
    claims = [
        _Claim(m, [a for p in m.phrasings if (a := _compile_alt(p, frozenset())) is not None])
        for m in misconceptions
    ]
    claim_vocab = {st for claim in claims for a in claim.alts for st in a.stems}
    rub = _Rubric(
        crits=crits,
        claims=claims,
        prompt_stems=prompt_stems,
        prompt_content=len(prompt_stems),
        vocab=frozenset(vocab | claim_vocab),
        evidence_vocab=frozenset(vocab - prompt_stems),
        roots=_root_map(vocab),
        long_words=list(long_words),
        long_word_stems=list(long_words.values()),
        total_weight=sum(max(c.weight, 0.0) for c in criteria),
    )
    rub.word_hits = _WordHits(rub)
    return rub


def _root_map(vocab: set[str]) -> dict[str, str]:
    by_root: dict[str, list[str]] = {}
    for st in vocab:
        if len(st) >= 4 and st.isalpha():
            by_root.setdefault(root(st), []).append(st)
    return {r: sts[0] for r, sts in by_root.items() if len(sts) == 1}


def _near_miss(rub: _Rubric, norm: str) -> tuple[str, ...]:
    """Keyword stems that an answer word not in the rubric's vocabulary stands for.

    - a small misspelling of a long keyword word ("idempotnet", "stimulates" for
      "simulates"): optimal-string-alignment distance 1, or 2 from ten letters on, same
      first letter;
    - an abbreviation that starts a long keyword word ("nonconst", "init", "param");
    - two words run together ("atleast", "ofdata").
    """
    found: tuple[str, ...] = ()
    st = word_info(norm)[1]
    if len(st) >= 4 and (hit_root := rub.roots.get(root(st))) is not None:
        found = (hit_root,)
    elif rub.long_words and norm.isalpha():
        n = len(norm)
        if n >= FUZZY_MIN_LEN - 1:
            cutoff = 2 if n >= 10 else 1
            hit = process.extractOne(norm, rub.long_words, scorer=OSA.distance, score_cutoff=cutoff)
            if hit is not None:
                word, dist, i = hit
                if (
                    dist <= (2 if len(word) >= 10 else 1)
                    and word[0] == norm[0]
                    and not (word.startswith(norm) or norm.startswith(word))
                ):
                    found = (rub.long_word_stems[i],)
        if not found and n >= 4 and norm not in STOPWORDS and rarity(norm) >= 1.0:
            hits = {
                rub.long_word_stems[i]
                for i, w in enumerate(rub.long_words)
                if w.startswith(norm) and 2 * n >= len(w)
            }
            if len(hits) == 1:
                found = tuple(hits)
        if not found and n >= 6:
            vocab = rub.vocab
            for k in range(2, n - 1):
                left = word_info(norm[:k])[1]
                right = word_info(norm[k:])[1]
                lv, rv = left in vocab, right in vocab
                if (lv and (rv or norm[k:] in STOPWORDS)) or (rv and norm[:k] in STOPWORDS):
                    found = tuple(x for x, v in ((left, lv), (right, rv)) if v)
                    break
    return found


_WORD_HITS_MAX = 4_000  # words remembered per rubric (the answers to one question)


def _word_hit(rub: _Rubric, word: str) -> _WordHit | tuple[()]:
    """What one normalised answer word is to the rubric; () if nothing.

    Words the rubric does not know (misspellings, abbreviations, derived forms) are
    looked up as near misses; function words, short words and prompt words are not.
    """
    stem = stem_word(word)  # as tokenize stems it
    negation = word in NEGATIONS
    if stem in rub.vocab:
        return _WordHit((stem,), fuzzy=False, negation=negation)
    found: tuple[str, ...] = ()
    if not (word in STOPWORDS or len(word) < 4 or stem in rub.prompt_stems):
        found = _near_miss(rub, word)
    if not (found or negation):
        return ()
    return _WordHit(found, fuzzy=bool(found), negation=negation)


class _WordHits(dict):
    """``_word_hit`` of each word seen so far, for one rubric: answers to one question
    share most of their words. A word's stem and function-word flag depend on the word
    alone, so the word is the key."""

    __slots__ = ("rubric",)

    def __init__(self, rubric: _Rubric) -> None:
        super().__init__()
        self.rubric = rubric

    def __missing__(self, word: str) -> _WordHit | tuple[()]:
        if len(self) >= _WORD_HITS_MAX:
            self.clear()
        hit = self[word] = _word_hit(self.rubric, word)
        return hit


def _index_answer(
    rub: _Rubric, kept: Sequence[int], kept_words: list[str]
) -> tuple[dict[str, list[int]], set[int], list[int]]:
    """Positions of each keyword stem in the answer (ascending), the positions matched
    as near misses, and those of negation words (ascending)."""
    hits = list(map(rub.word_hits.__getitem__, kept_words))
    index: dict[str, list[int]] = {}
    fuzzy_pos: set[int] = set()
    negations: list[int] = []
    for i, hit in zip(compress(kept, hits), filter(None, hits)):
        for st in hit.stems:
            index.setdefault(st, []).append(i)
        if hit.fuzzy:
            fuzzy_pos.add(i)
        if hit.negation:
            negations.append(i)
    return index, fuzzy_pos, negations


# --------------------------------------------------------------------------- answer checks
_GRADER_RE = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(rubric|rubrics|instruction|"
    r"instructions|criteria|criterion|grading|marking|scoring|prompt|rules|previous|above|"
    r"guidelines)\b"
    r"|\b(give|award|assign|grant)\b.{0,30}\b(full|maximum|max|perfect|top|highest|100|hundred)"
    r"\b.{0,12}\b(marks?|score|credit|grade|points|percent|rating)\b"
    r"|\b(full|maximum|perfect|top) (marks|credit|score)\b"
    r"|\b(as|you are) (the|an|a) (grader|examiner|evaluator|assessor|marker|reviewer|ai|assistant"
    r"|language model|llm)\b"
    r"|\b(dear|hey|hi|hello|attention|note to( the)?) (grader|examiner|evaluator|assessor|marker"
    r"|reviewer|ai|assistant)\b"
    r"|\b(grader|examiner|evaluator|assessor|marker)\b.{0,30}\b(must|should|will|shall|need to|"
    r"has to|have to)\b"
    r"|\byou (must|should|will|shall|need to|have to|are required to) (award|give|grant|assign)"
    r"( me| us| this( answer)?| it| the answer)? (a )?(full|maximum|max|perfect|top|100|high)\b"
    r"|\bsystem prompt\b|\bprompt injection\b"
    r"|\b(this|my) (answer|response|submission) (deserves|is worth|should (get|receive|be given))"
    r"|\b(score|grade|mark|rate) (this|my) (answer|response|submission) (as|with|at)\b"
)
_DONT_KNOW_RE = re.compile(
    r"^(i )?(really )?(dont|do not|didnt|did not) (know|remember|recall)( (this|that|it|"
    r"the answer))?$|^(no|not) (idea|clue|sure)$|^(idk|dunno|pass|skip|na|n a|none|nothing|"
    r"unknown|no answer|not answered|\?+)$|^(i )?(have )?no (idea|clue)$|^(i )?(am )?not sure$"
    r"|^(sorry )?(i )?(dont|do not) know( sorry)?$"
)

# Function-word classes for spotting word salad: sequences like "the of", "with is",
# "they the" or a clause ending in "the"/"of"/"and" do not occur in sentences.
_DET = word_set("a an the every these those my your our their his")
_PREP = word_set(
    "of in on at by for with from into onto to about through between within during under "
    "over upon throughout without against toward towards"
)
_STRICT_PREP = word_set("of from with into onto between at by for")
_AUX = word_set(
    "is are was were am be been being has have had do does did will would can could shall "
    "should may might must cannot isnt arent wasnt werent dont doesnt didnt wont wouldnt cant "
    "couldnt shouldnt"
)
_CONJ = word_set("and or but nor so because although though whereas if while until since than")
_FINAL_CONJ = word_set("and or but nor because although whereas if")
_SUBJ = word_set("i we they he she")
_AUX_CHAIN = word_set("be been being have has had do")
_MODAL = word_set("can could should must will would shall may might")
_NEG_SHORT = word_set("not no never")
_CODE_WORDS = word_set("do while if for")  # "a while loop", "the do block"
_CODE_CHARS = frozenset("[(=*+-<>/.;")


# Every pattern above needs one of these words; most answers have none, so the regular
# expression only runs on the few that do.
_GRADER_CUES = word_set(
    "ignore disregard forget override bypass marks mark score scores credit grade grading "
    "points percent grader examiner evaluator assessor marker reviewer ai assistant llm "
    "language prompt deserves worth award grant assign maximum max perfect 100 hundred rubric "
    "instructions answer response submission"
)


def _grader_sentences(tokens: Tokens) -> set[int]:
    """Sentences that talk to the grader instead of answering."""
    words = tokens.words
    if _GRADER_CUES.isdisjoint(words):
        return set()
    sentences = pairwise([*tokens.sentence_starts, len(words)])
    return {k for k, (a, b) in enumerate(sentences) if _GRADER_RE.search(" ".join(words[a:b]))}


def _word_classes() -> tuple[dict[str, str], dict[str, str], frozenset[tuple[str, str]]]:
    """Classes of function words as the current word and as the next word, and the
    (current, next) pairs that sentences never contain ("E" = end of clause)."""
    cur: dict[str, str] = {}
    for cls, words in (
        ("A", _AUX),
        ("Ac", _AUX_CHAIN),
        ("M", _MODAL),
        ("C", _CONJ),
        ("Cf", _FINAL_CONJ),
        ("S", _SUBJ),
        ("P", _PREP),
        ("Ps", _STRICT_PREP),
        ("D", _DET),
    ):
        for w in words:
            cur[w] = cls  # later, more specific classes win
    cur["to"] = "T"  # "to be", "to do": unlike other prepositions
    cur.pop("being", None)  # "of being", "is being"
    nxt = dict(cur)
    nxt["being"] = "G"
    for w in _NEG_SHORT:
        nxt[w] = "N"
    nxt["it"] = "I"
    for w in _CODE_WORDS:
        nxt[w] = "K"  # "a while loop", "the do block"
    aux = {"A", "Ac", "M"}
    conj = {"C", "Cf"}
    bad = {("D", x) for x in {"D", "Ps", "P", "S", "N", "I", "E"} | aux | conj}
    bad |= {("Ps", x) for x in {"S", "Ps", "P", "E"} | aux | conj}
    bad |= {("P", x) for x in {"S"} | aux | conj}
    bad |= {("T", x) for x in ("S", "A", "M", "C", "Cf", "E")}
    bad |= {("S", x) for x in ("D", "Ps", "S")}
    bad |= {("Cf", "E")}
    bad |= {("M", x) for x in ("E", "D", "Ps", "C", "Cf", "A", "M")}
    bad |= {(x, y) for x in ("A", "Ac") for y in ("A", "M")}
    return cur, nxt, frozenset(bad)


_CUR_CLASS, _NEXT_CLASS, _BAD_PAIRS = _word_classes()


def _bad_word_orders() -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    """The bad class pairs spelled out as words: (word, next word) pairs in one clause,
    and the words that never end a clause. No bad pair has an ordinary word ("X")
    second and every classed word is a function word, so bad pairs are adjacent
    function words."""
    if any(second == "X" for _, second in _BAD_PAIRS):
        raise ValueError("a bad pair ends in an ordinary word: list words, not classes")
    if not STOPWORDS.issuperset(_CUR_CLASS) or not STOPWORDS.issuperset(_NEXT_CLASS):
        raise ValueError("every classed word must be a function word (STOPWORDS)")
    pairs = frozenset(
        (word, after)
        for word, cls in _CUR_CLASS.items()
        for after, after_cls in _NEXT_CLASS.items()
        if (cls, after_cls) in _BAD_PAIRS
    )
    enders = frozenset(word for word, cls in _CUR_CLASS.items() if (cls, "E") in _BAD_PAIRS)
    return pairs, enders


_BAD_WORD_PAIRS, _BAD_CLAUSE_ENDS = _bad_word_orders()


# Pairs of function words that follow each other all the time in English. In real
# answers most adjacent function-word pairs are among these; in shuffled words most are
# not ("the with", "and of", "so at").
def _pair_set(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(pair.split()) for pair in text.split(","))


_COMMON_PAIRS = _pair_set(
    """
    of the, in the, to the, on the, for the, at the, by the, with the, from the, into the,
    and the, that the, is the, as the, if the, when the, but the, or the, of a, in a, to
    a, for a, with a, as a, is a, by a, from a, on a, into a, of an, in an, is an, as an,
    to be, can be, will be, must be, should be, would be, could be, may be, might be, to
    do, it is, it was, it can, it will, it does, it has, it should, it would, it must, it
    may, this is, that is, there is, there are, which is, which are, they are, they can,
    they have, they will, we can, we have, we are, you can, you have, you are, you do, you
    will, i will, i would, i have, i am, is not, are not, does not, do not, did not, will
    not, would not, should not, can not, cannot be, has been, have been, had been, has to,
    have to, had to, is to, are to, is that, is in, is on, as well, as it, as they, so
    that, and then, but also, not only, and it, and they, and a, and an, and is, and can,
    and will, and to, and in, and on, and with, or a, or an, or the, or in, or to, of it,
    of its, of their, of this, of that, of these, of those, of them, to it, to its, to
    their, to them, to this, to that, in its, in their, in this, in that, on its, on this,
    for it, for its, for this, for each, with its, with their, with this, from its, from
    this, by its, by their, if it, if you, if they, if we, if there, if not, when it, when
    you, when they, when we, when there, when a, when an, while the, while a, because it,
    because the, because they, because of, out of, up to, so it, so the, so we, so you,
    than the, than a, than it, that it, that they, that you, that we, that can, that will,
    that are, that has, that was, which can, which will, which has, what is, what the, how
    the, how to, how it, where the, where it, who is, each of, any of, there was, here is,
    is also, are also, can also, will also, it also, is then, then the, then it, do the,
    does the, did the, have a, has a, had a, have the, has the, had the, be a, be the, be
    an, been a, being a, been the, do it, does it, do this, is it, are the, are a, was a,
    was the, were the, it in, it to, it with, it into, them in, them to, to each, in each,
    on each, is no, are no, has no, have no, with no, by the, into its, over the, through
    the, between the, within the, during the, under the, about the, about a, after the,
    before the, until the, up the, out the, down the, off the, is being, are being, was
    being, will have, would have, could have, should have, must have, may have, can have,
    do not, not be, not a, not the, not to, to have, to make, so on, and so, or not, and
    not, but not, is when, is where, is what, is how, are when, what it, what they, how
    they, how we, that a, that an, that this, which the, which a, where a, it and, them
    and, this and, these are, those are, this can, this will, these can, this means, all
    the
    """
)


def _pick(values: list, positions: Sequence[int]) -> list:
    """The values at ``positions`` (the list itself when that is all of it)."""
    if positions == range(len(values)):
        return values
    return list(map(values.__getitem__, positions))


def _runs(tokens: Tokens, kept: Sequence[int], sentences: bool) -> list[int]:
    """Where each sentence (or clause) starts among the kept positions, as indices into
    ``kept``, then ``len(kept)``."""
    if kept == range(len(tokens)):
        return [*(tokens.sentence_starts if sentences else tokens.clause_starts), len(kept)]
    # kept is ascending and the ids never decrease: each run is one stretch of kept
    picked = _pick(tokens.sentence if sentences else tokens.clause, kept)
    return [0, *compress(range(1, len(kept)), map(ne, picked[1:], picked)), len(kept)]


class _View:
    """Some token positions of an answer, ascending (all of them, or those a check looks
    at), with the per-position lists the checks need. Every view made is checked, and
    for the whole answer most lists are the token lists themselves, so all are worked
    out up front."""

    __slots__ = (
        "clauses",
        "content_before",
        "content_stems",
        "is_content",
        "positions",
        "sentences",
        "stop",
        "tokens",
        "words",
    )

    def __init__(self, tokens: Tokens, positions: Sequence[int], is_content: list[bool]):
        self.tokens = tokens
        self.positions = positions
        self.is_content = is_content  # of every token
        self.words = _pick(tokens.words, positions)
        self.stop = _pick(tokens.stop, positions)
        content_flags = _pick(is_content, positions)
        self.content_stems = list(compress(_pick(tokens.stems, positions), content_flags))
        # content words before each position of the view, and in all
        self.content_before = list(accumulate(content_flags, initial=0))
        # where each sentence, each clause starts in the view, then its length (see _runs)
        self.sentences = _runs(tokens, positions, sentences=True)
        self.clauses = _runs(tokens, positions, sentences=False)

    def __len__(self) -> int:
        return len(self.positions)

    def narrowed(self, positions: Sequence[int]) -> _View:
        """The view of ``positions``, some of these: this one when they are all of it."""
        if positions is self.positions:
            return self
        return _View(self.tokens, positions, self.is_content)


def _is_word_salad(view: _View) -> bool:
    """Words shuffled into no sentence: function-word sequences that never occur in a
    sentence, plus adjacent function words that rarely follow each other."""
    tokens, kept = view.tokens, view.positions
    words, stop, clauses = view.words, view.stop, view.clauses
    # adjacent function words in one clause
    clause_start = set(clauses)
    pairs = [
        i
        for i in compress(range(len(words) - 1), map(and_, stop, stop[1:]))
        if i + 1 not in clause_start
    ]
    bad = _order_breaks(tokens, kept, words, clauses, pairs)
    if bad < 2:
        return False
    checked = sum(map(_CUR_CLASS.__contains__, words))  # function words checked
    if not (checked >= 3 and (len(kept) < SALAD_LONG or bad / checked >= SALAD_MIN_BAD_RATE)):
        return False
    # adjacent function words that are not common in English
    unusual = sum((words[i], words[i + 1]) not in _COMMON_PAIRS for i in pairs)
    return (
        bad / checked + SALAD_PAIR_WEIGHT * (unusual / len(pairs) if pairs else 0.0) >= SALAD_RATE
    )


def _order_breaks(
    tokens: Tokens, kept: Sequence[int], words: list[str], clauses: list[int], pairs: list[int]
) -> int:
    """Function-word sequences that never occur in a sentence among the kept words
    (``clauses``: where each clause starts among them, see ``_runs``; ``pairs``: where
    two function words follow each other in a clause).

    "the of", "with is", "they the", a clause ending in "the"/"of"/"and", "is is", or a
    capitalised function word inside a clause ("... the server The ...").
    """
    text = tokens.text

    def before_code(i: int) -> bool:  # "a[i]", "do-while": code, not prose
        end = tokens.span(kept[i])[1]
        return end < len(text) and text[end] in _CODE_CHARS

    bad_pos = [b - 1 for b in clauses[1:] if words[b - 1] in _BAD_CLAUSE_ENDS]
    bad_pos += [i for i in pairs if (words[i], words[i + 1]) in _BAD_WORD_PAIRS]
    bad = sum(1 for i in bad_pos if not before_code(i))
    # capitalised function words after a lower-case word in the same clause
    clause_start = set(clauses)
    for i in _kept_indices(tokens.capitalised_stops, kept):
        if i in clause_start:
            continue
        w = words[i]
        if (len(w) >= 2 or (w == "a" and not before_code(i))) and not text[
            tokens.span(kept[i - 1])[0]
        ].isupper():
            bad += 1
    return bad


def _kept_indices(positions: list[int], kept: Sequence[int]) -> Sequence[int]:
    """Where the kept ones among ascending token ``positions`` are in ``kept``."""
    if isinstance(kept, range):
        return [kept.index(i) for i in positions if i in kept]
    where = {i: k for k, i in enumerate(kept)}
    return [where[i] for i in positions if i in where]


# --------------------------------------------------------------------------- matching
class _Match(NamedTuple):
    """How one keyword alternative occurs in an answer."""

    share: float  # matched share of its weight
    positions: tuple[int, ...]  # token positions
    negated: bool  # by a cue
    prompt_only: bool  # only prompt words matched
    scattered: bool  # every word of the phrase is in the answer, but not together


class _GoverningCues(dict):
    """For the position where a window of words starts: the first negation cue that
    governs the window (at most NEG_WINDOW tokens before it, or inside it, in its clause),
    ``len(tokens)`` if none. The window up to position ``last`` is negated when that cue
    comes before ``last``."""

    __slots__ = ("cues", "tokens")

    def __init__(self, cues: list[int], tokens: Tokens) -> None:
        super().__init__()
        self.cues = cues  # ascending
        self.tokens = tokens

    def __missing__(self, first: int) -> int:
        clause = self.tokens.clause
        governing = len(clause)
        for c in self.cues:
            if c >= first - NEG_WINDOW and c != first and clause[c] == clause[first]:
                governing = c
                break
        self[first] = governing
        return governing


@dataclass(slots=True)
class _Evidence:
    """What matching needs to know about one answer."""

    tokens: Tokens
    index: dict[str, list[int]]  # keyword stem -> its positions in the answer, ascending
    fuzzy_pos: set[int]  # positions matched as near misses
    cues: list[int]  # positions of negation cues, ascending
    is_content: list[bool]  # per token: not a function word
    content_before: list[int]  # content tokens before each position, and in all
    governing_cue: _GoverningCues  # window start -> the cue that negates it (see there)


def _match_alt(alt: _Alt, ev: _Evidence) -> _Match | None:
    """Best occurrence of one keyword alternative, some word of which is in the answer,
    or None.

    Single words: the first occurrence with the right polarity. Phrases: see
    ``_best_window``.
    """
    occurrences: list[list[int] | None] = list(map(ev.index.get, alt.stems))
    if len(occurrences) == 1:
        if not occurrences[0]:
            return None
        p, neg = _polar_occurrence(occurrences[0], ev, alt.negated)
        return _Match(1.0, (p,), neg, alt.all_prompt, False)
    found = [j for j, occ in enumerate(occurrences) if occ]  # phrase words in the answer
    present = 0.0
    for j in found:
        present += alt.weights[j]
    if present / alt.total <= PARTIAL_MIN and not alt.all_prompt:
        return None  # no window can earn credit
    if len(found) == 1:
        # one word of the phrase, maybe several times: each occurrence is a window alone,
        # the first with the right polarity wins (a prompt word never has one)
        j = found[0]
        occ = (occurrences[j] or [])[:MAX_OCCURRENCES]
        p, neg = _polar_occurrence(occ[:1] if alt.in_prompt[j] else occ, ev, alt.negated)
        share, prompt_only = alt.weights[j] / alt.total, alt.in_prompt[j]
        positions: tuple[int, ...] = (p,)
    else:
        events = sorted([(p, j) for j in found for p in (occurrences[j] or [])[:MAX_OCCURRENCES]])
        share, positions, neg, prompt_only = _best_window(alt, ev, events)
    # uncommon words of the phrase, each on its own
    scattered = present >= alt.total and len(positions) < 2 and min(alt.rarities) >= 1.0
    return _Match(share, positions, neg, prompt_only, scattered)


def _polar_occurrence(positions: list[int], ev: _Evidence, want_negated: bool) -> tuple[int, bool]:
    """The first of ``positions`` whose polarity is the wanted one, else the first, and
    whether a negation governs it."""
    if not ev.cues:
        return positions[0], False
    governing_cue = ev.governing_cue
    first_negated = None
    for p in positions:
        neg = governing_cue[p] < p
        if neg == want_negated:
            return p, neg
        if first_negated is None:
            first_negated = neg
    return positions[0], bool(first_negated)


def _best_window(
    alt: _Alt, ev: _Evidence, events: list[tuple[int, int]]
) -> tuple[float, tuple[int, ...], bool, bool]:
    """The window of a phrase's words (same sentence, at most MAX_GAP extra content words
    per gap) holding the largest rarity-weighted share of the phrase, preferring the
    right polarity, then evidence beyond the prompt's words, then the tightest window:
    (share, positions, negated, prompt words only). ``events``: (position, phrase word)
    in text order."""
    weights = alt.weights
    in_prompt = alt.in_prompt
    total = alt.total
    sentence = ev.tokens.sentence
    content = ev.is_content
    content_before = ev.content_before
    governing_cue = ev.governing_cue if ev.cues else None
    max_raw = 3 * len(weights) + 4
    want_negated = alt.negated
    best_key = (False, -1.0, 0)  # any window beats it
    best: tuple[float, dict[int, int], bool, bool] | None = None
    ne = len(events)
    for a in range(ne):
        first, j0 = events[a]
        s_first = sentence[first]
        seen = {j0: first}  # phrase word -> its position in this window
        w = weights[j0]
        matched_content: int = content[first]
        nonprompt: int = not in_prompt[j0]
        in_order = True
        last_j = j0
        p, k = first, 1
        for b in range(a, ne):
            if b != a:  # widen the window to the next event
                p, j = events[b]
                if sentence[p] != s_first or p - first >= max_raw:
                    break
                if j in seen:
                    continue
                seen[j] = p
                w += weights[j]
                matched_content += content[p]
                nonprompt += not in_prompt[j]
                in_order = in_order and j > last_j
                last_j = j
                k = len(seen)
                contents = content_before[p + 1] - content_before[first]
                if contents - matched_content > MAX_GAP * (k - 1):
                    continue
            share = w / total if in_order else w / total * ORDER_FACTOR
            if best_key[0] and share < best_key[1]:
                continue
            neg = governing_cue is not None and governing_cue[first] < p
            key = (neg == want_negated and nonprompt > 0, share, first - p)
            if key > best_key:
                best_key = key
                best = (share, seen.copy(), neg, nonprompt == 0)
                if key[0] and share >= 1.0 and p - first == k - 1:
                    # in order and adjacent: cannot do better
                    return share, tuple(sorted(seen.values())), neg, False
    assert best is not None  # ``events`` is never empty, and its first window always counts
    share, best_seen, neg, prompt_only = best
    return share, tuple(sorted(best_seen.values())), neg, prompt_only


def _spans(tokens: Tokens, positions: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """Character spans of the token ``positions`` (ascending), adjacent tokens merged."""
    runs: list[list[int]] = []  # [first, last] position of each run of adjacent tokens
    for p in positions:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return tuple(tokens.span(first, last) for first, last in runs)


# --------------------------------------------------------------------------- grading
def _curve(raw: float, profile: ScoringProfile) -> float:
    if raw <= 0:
        return 0.0
    x = min(1.0, raw / profile.saturation)
    return x**profile.curve


def grade(
    prompt: str,
    criteria: Sequence[Criterion],
    answer: str,
    *,
    profile: ScoringProfile = CURATED,
    misconceptions: Sequence[Misconception] = (),
) -> Result:
    """Grade ``answer`` to ``prompt`` against keyword ``criteria``.

    Steps: (1) tokenise and normalise; (2) drop sentences addressed to the grader;
    (3) find each criterion's best keyword alternative (stems, phrases with small gaps,
    misspellings of long words, partial phrases), ignoring prompt-only evidence and
    detecting negation just before the match; (4) weighted credit through a saturating
    curve, minus a small penalty per contradiction; (5) caps for missed required
    criteria, keyword stuffing and grader-directed text.
    """
    criteria = tuple(criteria)
    answer = answer if isinstance(answer, str) else str(answer or "")
    rub = _compile(prompt or "", criteria, tuple(misconceptions))
    tokens = tokenize(answer)
    flags: list[str] = []
    n = len(tokens.words)
    if not criteria or rub.total_weight <= 0:
        flags.append("no_rubric")
        if n == 0:
            flags.append("empty")
        return _all_missed(criteria, flags, confidence=0.0)
    if n == 0 or (n <= 8 and _DONT_KNOW_RE.match(" ".join(tokens.words))):
        flags.append("empty")
        return _all_missed(criteria, flags, confidence=1.0)

    # (2) sentences addressed to the grader are not evidence
    whole = _View(tokens, range(n), [not stop for stop in tokens.stop])
    bad_sentences = _grader_sentences(tokens)
    if bad_sentences:
        flags.append("addressed_to_grader")
        sentence = tokens.sentence
        said = whole.narrowed([i for i in range(n) if sentence[i] not in bad_sentences])
    else:
        said = whole
    kept = said.positions

    # (3) index the answer's words that the rubric cares about
    prompt_stems = rub.prompt_stems
    content_stems = said.content_stems
    n_content = len(content_stems)
    distinct_stems = set(content_stems)
    index, fuzzy_pos, negations = _index_answer(rub, kept, said.words)
    cues = [i for i in negations if is_negation_at(tokens, i)]
    evidence = _Evidence(
        tokens,
        index,
        fuzzy_pos,
        cues,
        whole.is_content,
        whole.content_before,
        _GoverningCues(cues, tokens),
    )
    in_answer = index.keys()

    # prompt copy: the answer is (almost) only the prompt's words
    prompt_copy = (
        n_content >= 2
        and rub.prompt_content > 0
        and len(distinct_stems & prompt_stems) >= 0.5 * rub.prompt_content
        and sum(map(prompt_stems.__contains__, content_stems)) >= 0.75 * n_content
    )

    verdicts: list[CriterionVerdict] = []
    earned = 0.0
    penalty = 0.0
    required_missing = False
    partials = 0
    contradictions = 0
    fuzzy_used = False
    non_prompt_credit = False
    scattered = intact = 0  # phrases whose words are all there but apart / together
    total_w = rub.total_weight
    for crit in rub.crits:
        c = crit.criterion
        best_credit = 0.0
        best_verdict = "missed"
        best_match: _Match | None = None
        best_alt: _Alt | None = None
        contradicted: tuple[_Match, _Alt] | None = None
        crit_scattered = False
        for alt in crit.alts:
            if in_answer.isdisjoint(alt.stems):
                continue
            m = _match_alt(alt, evidence)
            if m is None:
                continue
            share, _, negated, prompt_only, alt_scattered = m
            if alt_scattered and not prompt_only:
                crit_scattered = True
            if negated != alt.negated:  # the wrong polarity
                if (
                    not alt.negated
                    and share >= 1.0
                    and not prompt_only
                    and alt.specificity >= CONTRADICTION_MIN_SPECIFICITY
                ):
                    contradicted = contradicted or (m, alt)
                continue
            if prompt_only:
                if not (crit.prompt_only and share >= 1.0 and not prompt_copy):
                    continue
                credit = PROMPT_ONLY_FACTOR
                verdict = "partial"
            elif share >= 0.999:
                credit, verdict = 1.0, "met"
            elif share > profile.partial_min:
                credit, verdict = profile.partial_scale * share, "partial"
            else:
                continue
            if credit > best_credit:
                best_credit, best_verdict, best_match, best_alt = credit, verdict, m, alt
                if credit >= 1.0:
                    break
        w = max(c.weight, 0.0)
        if (
            best_match is not None
            and best_alt is not None
            and _rejected(tokens, best_match.positions)
        ):
            # "Redis is a bad idea here", "avoid sharding": named, then turned down
            contradicted = (best_match, best_alt)
            best_match = best_alt = None
            best_verdict = "missed"
        if best_verdict == "met":
            intact += 1
        elif crit_scattered:
            scattered += 1
        if best_verdict != "met" and contradicted is not None:
            m, alt = contradicted
            verdicts.append(
                CriterionVerdict(
                    c.label, "contradicted", 0.0, _spans(tokens, m.positions), alt.text
                )
            )
            penalty += CONTRADICTION_PENALTY * w
            contradictions += 1
            if c.required:
                required_missing = True
            continue
        if best_match is None or best_alt is None:
            verdicts.append(crit.missed)
            if c.required:
                required_missing = True
            continue
        positions, prompt_only = best_match.positions, best_match.prompt_only
        if best_verdict == "partial":
            partials += 1
        # a required idea counts as present from half of a phrase, however little
        # that half earns
        presence = best_credit
        if best_verdict == "partial" and not best_match.prompt_only:
            presence = PARTIAL_SCALE * best_credit / profile.partial_scale
        if c.required and presence < REQUIRED_MIN_CREDIT:
            required_missing = True
        if not prompt_only:
            non_prompt_credit = True
        fuzzy_used = fuzzy_used or not fuzzy_pos.isdisjoint(positions)
        earned += w * best_credit
        verdicts.append(
            CriterionVerdict(
                c.label,
                best_verdict,
                round(best_credit, 3),
                _spans(tokens, positions),
                best_alt.text,
            )
        )

    # (4) weighted share through a saturating curve
    raw = max(0.0, (earned - penalty) / total_w)
    score = 100.0 * _curve(raw, profile)

    # (5) caps
    if required_missing and score > REQUIRED_CAP:
        # A strong answer missing one required idea is capped, and a human takes a look.
        flags.append("required_idea_missed")
        score = REQUIRED_CAP
    claims = _claims_made(rub, evidence, tokens)
    if claims:
        flags.append("misconception")
        for claim, _ in claims:
            score -= claim.penalty
            if claim.cap is not None:
                score = min(score, claim.cap)
    # Code blocks are not prose: their word order says nothing about stuffing. A
    # sentence that only restates words said elsewhere adds nothing either, so
    # repeating a point you already made can never tip an answer into "stuffing".
    prose = _without_restatements(said.narrowed(_outside_code(answer, tokens, kept)))
    # a near miss is a content word whose own stem is no keyword stem: never counted twice
    prose_evidence = sum(map(rub.evidence_vocab.__contains__, prose.content_stems))
    prose_evidence += sum(1 for i in fuzzy_pos if i in prose.positions)
    stuffing = (scattered >= 2 and scattered > intact) or _is_stuffing(prose, prose_evidence)
    if stuffing:
        flags.append("keyword_stuffing")
        score *= STUFFING_FACTOR
    if bad_sentences:
        score = min(score, GRADER_ADDRESS_CAP)
    if prompt_copy and not non_prompt_credit:
        flags.append("prompt_copy")
        score = min(score, GRADER_ADDRESS_CAP)
    if _is_repetitive(tokens, kept, n_content, len(distinct_stems)):
        flags.append("repetition")
    if n_content >= 3 and earned <= 0 and not contradictions and not bad_sentences:
        flags.append("off_topic")
    # A substantial answer in the question's own vocabulary that still scores low is
    # more likely a paraphrase the rubric missed than a wrong answer: a human decides.
    if (
        score < SUBSTANTIAL_LOW_SCORE
        and n >= SUBSTANTIAL_WORDS
        and len(distinct_stems & (rub.vocab | prompt_stems)) >= SUBSTANTIAL_TOPIC_WORDS
        and not (stuffing or bad_sentences or prompt_copy)
    ):
        flags.append("substantial_low_score")

    confidence = _confidence(
        raw=raw,
        n_content=n_content,
        n_crit=len(criteria),
        partials=partials,
        contradictions=contradictions,
        fuzzy_used=fuzzy_used,
        flags=flags,
        required_missing=required_missing,
    )
    return Result(
        score=round(min(100.0, max(0.0, score)), 1),
        verdicts=tuple(verdicts),
        flags=tuple(flags),
        confidence=confidence,
        misconceptions=tuple(
            MisconceptionHit(m.claim, m.explanation, _spans(tokens, positions), text)
            for m, (positions, text) in claims
        ),
    )


def _claims_made(
    rub: _Rubric, ev: _Evidence, tokens: Tokens
) -> list[tuple[Misconception, tuple[tuple[int, ...], str]]]:
    """The wrong claims the answer makes: a phrasing said in full and not negated, nor
    turned down ("threads do not give true parallelism" is the right claim)."""
    made = []
    index = ev.index
    for claim in rub.claims:
        for alt in claim.alts:
            if not all(st in index for st in alt.stems):
                continue
            positions = _claim_window(alt, ev, tokens)
            if positions is not None:
                made.append((claim.misconception, (positions, alt.text)))
                break
    return made


def _claim_window(alt: _Alt, ev: _Evidence, tokens: Tokens) -> tuple[int, ...] | None:
    """Where the answer states the claim: all its words in order, close together, in one
    clause, with no negation in that clause before them (a claim is stricter than a
    keyword: "the payload is only encoded, not encrypted" does not claim it is encrypted)."""
    clause, words = tokens.clause, tokens.words
    content_before = ev.content_before
    for first in ev.index[alt.stems[0]][:MAX_OCCURRENCES]:
        positions = [first]
        for st in alt.stems[1:]:
            prev = positions[-1]
            after = [p for p in ev.index[st] if p > prev]
            # only function words (and at most CLAIM_GAP other words) in between
            if (
                not after
                or clause[after[0]] != clause[first]
                or content_before[after[0]] - content_before[prev + 1] > CLAIM_GAP
            ):
                break
            positions.append(after[0])
        else:
            last = positions[-1]
            start = first
            while start > 0 and clause[start - 1] == clause[first]:
                start -= 1
            cues = sum(
                1
                for i in range(start, last + 1)
                if words[i] in NEGATIONS and is_negation_at(tokens, i)
            )
            # "X means no races" is the claim; "X doesn't mean no races" denies it
            if cues == alt.negated and not _rejected(tokens, tuple(positions), claim=True):
                return tuple(positions)
    return None


# Turning an idea down after naming it: "X isn't a good idea", "X is not needed",
# "X is a bad idea", "X is overkill"; or before it: "avoid X".
_COPULA = word_set("is are was were be been being s seems")
_APPROVAL = word_set(
    "good great idea needed necessary required useful worth helpful recommended important "
    "wise appropriate suitable"
)
_DISAPPROVAL = word_set(
    "bad pointless unnecessary overkill useless harmful mistake antipattern waste terrible"
)
_FILLER = word_set("really actually usually always generally here there just a an the very such")
_AVOID = word_set("avoid avoids avoiding avoided")
_CLAIM_APPROVAL = _APPROVAL | word_set(
    "enough sufficient safe secure reliable correct true work works"
)
_PREFERRED_TO = {("rather", "than"), ("instead", "of")}


def _rejected(tokens: Tokens, positions: tuple[int, ...], *, claim: bool = False) -> bool:
    """Is the idea at ``positions`` named only to be turned down, in the same clause?

    A wrong ``claim`` is also turned down by calling it insufficient ("stripping script
    tags isn't enough") or by preferring something else to it ("rather than a shared
    database"); an idea of the rubric keeps its credit then: naming it as not enough on
    its own still names it."""
    words, clause = tokens.words, tokens.clause
    first, last = positions[0], positions[-1]
    for i in range(max(0, first - 2), first):
        if words[i] in _AVOID and clause[i] == clause[first]:
            return True
    if claim and first >= 2 and (words[first - 2], words[first - 1]) in _PREFERRED_TO:
        return True
    approval = _CLAIM_APPROVAL if claim else _APPROVAL
    end = min(len(words), last + 8)
    i = last + 1
    while i < end and clause[i] == clause[last] and words[i] in _FILLER:
        i += 1
    if i >= end or clause[i] != clause[last]:
        return False
    negated = words[i] in NEGATIONS  # "isn't", "aren't" carry both
    if not (negated or words[i] in _COPULA):
        return False
    for j in range(i + 1, min(end, i + 6)):
        if clause[j] != clause[last]:
            break
        w = words[j]
        if w in NEGATIONS:
            negated = True
        elif w in approval:
            return negated
        elif w in _DISAPPROVAL:
            return not negated
        elif w not in _FILLER and not tokens.stop[j]:
            return False
    return False


def _missed(c: Criterion) -> CriterionVerdict:
    return CriterionVerdict(c.label, "missed", 0.0, (), "")


def _all_missed(criteria: Sequence[Criterion], flags: list[str], confidence: float) -> Result:
    return Result(
        score=0.0,
        verdicts=tuple(map(_missed, criteria)),
        flags=tuple(flags),
        confidence=confidence,
    )


_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.DOTALL)


def _outside_code(answer: str, tokens: Tokens, kept: Sequence[int]) -> Sequence[int]:
    """The kept token positions that are not inside Markdown code (fenced or inline)."""
    ranges = [m.span() for m in _CODE.finditer(answer)]
    if not ranges:
        return kept
    starts = tokens.starts
    return [i for i in kept if not any(a <= starts[i] < b for a, b in ranges)]


def _without_restatements(view: _View) -> _View:
    """Drop sentences whose content words all occur in earlier sentences (``view``
    itself when none is dropped)."""
    stems, before = view.content_stems, view.content_before
    seen: set[str] = set()
    said: list[tuple[int, int]] = []  # the sentences that say something new
    for a, b in pairwise(view.sentences):
        content = set(stems[before[a] : before[b]])
        if a and content and content <= seen:
            continue
        seen |= content
        said.append((a, b))
    if len(said) == len(view.sentences) - 1:
        return view
    positions = view.positions
    return view.narrowed([i for a, b in said for i in positions[a:b]])


def _is_stuffing(view: _View, evidence: int) -> bool:
    """A bare list of terms, or the right words shuffled into no sentence (``evidence``:
    content words of the view that are keyword words beyond the prompt's)."""
    n_content = len(view.content_stems)
    if n_content < 4 or evidence < 3:
        return False
    n = len(view)
    n_stop = n - n_content
    stop_ratio = n_stop / n if n else 0.0
    # (c) shuffled words: function words in orders that sentences never have
    if n >= 8 and _is_word_salad(view):
        return True
    if evidence < STUFFING_DENSITY * n_content:
        return False
    # (a) bare run of terms: real sentences are ~40% function words; terse expert
    # clauses have few, but each has a verb after its subject ("threads share memory")
    bare = stop_ratio < (BARE_LIST_STOP_RATIO if n >= 10 else 0.12)
    if bare and not _mostly_clauses(view):
        return True
    # (b) comma/newline separated list of short items with no sentence around them
    n_clauses = len(view.clauses) - 1
    if n_clauses >= 4:
        stop = view.stop
        short = sum(1 for a, b in pairwise(view.clauses) if b - a <= 3 and not any(stop[a:b]))
        if short >= 0.75 * n_clauses:
            return True
    return False


# Verbs that carry technical statements ("threads share memory", "async uses a loop"),
# as stems; a clause with one after its first word is a statement, not a term. Words
# that are as often nouns in answers ("index", "scan", "cache", "lock") are left out.
_VERB_STEMS = frozenset(
    map(
        stem_word,
        word_set(
            """
    give share need use run read write keep make allow avoid prevent handle
    wait serve hold retry fail crash lose grow shrink spread reduce increase
    add remove drop check verify validate encrypt sign expire evict refresh rebuild
    replicate copy move push pull execute compute save spend take mean require depend rely
    break fix solve cause lead become commit skip measure track deploy ship isolate protect
    leak expose trust inject escape parse render fetch respond reject accept wrap decouple
    coordinate guarantee ensure tolerate survive detect recover restart resume
    """
        ),
    )
)


def _mostly_clauses(view: _View) -> bool:
    """Do most of the view's clauses (of three or more words) have a verb after their
    first word?"""
    words = view.words
    stems = _pick(view.tokens.stems, view.positions)
    long_clauses = verbful = 0
    for a, b in pairwise(view.clauses):
        if b - a < 3:
            continue
        long_clauses += 1
        verbful += any(stems[i] in _VERB_STEMS or words[i] in _AUX for i in range(a + 1, b))
    # one long verbless run ("session state token scale out") is a list, not a sentence
    return verbful >= 2 and verbful * 2 > long_clauses


def _is_repetitive(tokens: Tokens, kept: Sequence[int], n_content: int, n_distinct: int) -> bool:
    """The same sentence twice, or a long answer made of a few words over and over
    (``n_content`` content words, ``n_distinct`` distinct stems among them)."""
    if n_content >= 20 and n_distinct < 0.35 * n_content:
        return True
    if tokens.n_sentences < 2:
        return False
    stems = tokens.stems
    kept_set = None if isinstance(kept, range) else set(kept)
    seen: set[tuple[str, ...]] = set()
    for a, b in pairwise([*tokens.sentence_starts, len(tokens)]):
        if b - a < 3 or (kept_set is not None and a not in kept_set):
            continue
        key = tuple(stems[a:b])
        if key in seen:
            return True
        seen.add(key)
    return False


def _confidence(
    *,
    raw: float,
    n_content: int,
    n_crit: int,
    partials: int,
    contradictions: int,
    fuzzy_used: bool,
    flags: list[str],
    required_missing: bool,
) -> float:
    """How sure the keyword grader is; low values route the answer to a human."""
    conf = 0.9
    if n_content < 5:
        conf -= 0.2
    conf -= 0.08 * partials
    conf -= 0.12 * contradictions
    if fuzzy_used:
        conf -= 0.05
    if required_missing:
        conf -= 0.1
    # mid-range scores are where keyword evidence is least decisive
    if 0.25 < raw < 0.75:
        conf -= 0.1
    if n_crit < 3:
        conf -= 0.1
    for f in ("keyword_stuffing", "addressed_to_grader", "prompt_copy"):
        if f in flags:
            conf = min(conf, 0.3)
    if "repetition" in flags:
        conf -= 0.1
    return round(min(1.0, max(0.0, conf)), 2)
