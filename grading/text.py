"""Shared text handling for the keyword grader: normalising, tokenising, stemming.

Pure Python, no Django. Tokens keep their character offsets into the ORIGINAL string,
so evidence spans can be highlighted in exactly the text the candidate typed, whatever
comes before it (emoji, accents, right-to-left scripts).

Normalisation of one word: Unicode NFKC, casefold, accents stripped, apostrophes
dropped ("isn't" -> "isnt", "server's" -> "servers"), then the Snowball English stemmer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from itertools import accumulate, compress, pairwise
from operator import add, itemgetter, or_
from typing import NamedTuple

import snowballstemmer

__all__ = [
    "BAND1",
    "BAND2",
    "NEGATIONS",
    "STOPWORDS",
    "Tokens",
    "is_negation_at",
    "normalize_word",
    "rarity",
    "root",
    "stem_word",
    "tokenize",
    "word_info",
    "word_set",
]

# Words are runs of letters/digits/underscore with inner apostrophes. Between two words,
# a sentence ends at . ! ? followed by a space, or a newline; a clause ends at , ; :
# brackets, quotes, bullets, a dash between spaces, or a wide gap of spaces.
_WORD_SPLIT = re.compile(r"(\w+(?:['’]\w+)*)")
_SENTENCE_BREAK = re.compile(r"[.!?]\s|\n")
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]{}\"“”•]|\s[-–—]+\s|[ \t]{3,}")

_STEMMER = snowballstemmer.stemmer("english")
_INFO_CACHE: dict[str, tuple[str, str]] = {}
_INFO_CACHE_MAX = 200_000


def normalize_word(raw: str) -> str:
    """NFKC + casefold + accent stripping + apostrophe removal for one word."""
    s = unicodedata.normalize("NFKC", raw).casefold()
    if not s.isascii():
        s = unicodedata.normalize("NFD", s)
        s = "".join(c for c in s if not unicodedata.combining(c))
        s = unicodedata.normalize("NFC", s)
    return s.replace("'", "").replace("’", "")


def stem_word(norm: str) -> str:
    """Stem an already normalised word (Snowball English)."""
    if len(norm) <= 2 or not norm.isalpha():
        return norm
    return _STEMMER.stemWord(norm)


def word_info(raw: str) -> tuple[str, str]:
    """(normalised word, stem) for a raw word, cached."""
    info = _INFO_CACHE.get(raw)
    if info is None:
        norm = normalize_word(raw)
        info = (norm, stem_word(norm))
        if len(_INFO_CACHE) >= _INFO_CACHE_MAX:
            _INFO_CACHE.clear()
        _INFO_CACHE[raw] = info
    return info


# longest first; never "less"/"ful" ("stateless" is not "state")
_DERIVATIONAL: tuple[str, ...] = (
    *("ation", "ition", "ment", "ness", "abl", "ibl", "ion", "iti", "ive", "ism", "ist"),
    *("al", "iv", "ic"),
)
_ROOT_CACHE: dict[str, str] = {}


def root(stem: str) -> str:
    """A stem with one derivational suffix and a final "e" removed, so that "scalable"
    meets "scale" and "reusability" meets "reuse". Never strips "less" or "ful"
    ("stateless" is not "state"). Used only as a fallback after the stems differ."""
    r = _ROOT_CACHE.get(stem)
    if r is None:
        r = stem
        for suf in _DERIVATIONAL:
            if r.endswith(suf) and len(r) - len(suf) >= 4:
                r = r[: -len(suf)]
                break
        if r.endswith("e") and len(r) >= 5:
            r = r[:-1]
        if len(_ROOT_CACHE) > 100_000:
            _ROOT_CACHE.clear()
        _ROOT_CACHE[stem] = r
    return r


# --------------------------------------------------------------------------- word lists
def word_set(text: str) -> frozenset[str]:
    """A frozenset of the whitespace-separated words of ``text``."""
    return frozenset(text.split())


# Function words: never evidence on their own, ignored inside keyword phrases.
STOPWORDS = word_set(
    """
    a an the this that these those some any each every either neither both i me my mine
    myself we us our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom whose where when why how whatever whether be am is are was were been
    being have has had having do does did doing will would shall should can could may
    might must ought im youre theyre ive youve weve theyve youd theyd youll theyll lets
    thats whats theres heres whos wheres hows of in on at by for with about against
    between into onto through during to from up down out off over under upon within
    throughout toward towards whenever wherever and or but if because as until while
    although though whereas since so than too very just also then there here thus
    therefore hence however etc eg ie via per not no nor never none without cannot isnt
    arent wasnt werent dont doesnt didnt wont wouldnt cant couldnt shouldnt hasnt havent
    hadnt mustnt neednt non s t d ll re ve m e g
    """
)

# Negation cues. "non" catches "non-idempotent"; "no" catches "no longer".
NEGATIONS = word_set(
    """
    not no nor never none neither without cannot isnt arent wasnt werent dont doesnt
    didnt wont wouldnt cant couldnt shouldnt hasnt havent hadnt mustnt neednt non
    nothing nobody nowhere
    """
)
# "not only X", "no matter", "whether or not": the cue does not negate what follows.
_NEG_NEUTRALISED_BY_NEXT = word_set(
    """
    only just merely simply matter doubt
    """
)
_NEG_NEUTRALISED_BY_PREV = word_set(
    """
    or whether
    """
)

# Very common English content words (roughly the top few hundred): weak evidence.
BAND1 = word_set(
    """
    time people way year day thing man woman child world life hand part place case week
    point number group problem fact work make know take see come think look want give
    use find tell ask seem feel try leave call keep let begin show hear play run move
    live believe bring happen write provide sit stand lose pay meet include continue set
    learn change lead understand watch follow stop create speak read allow add spend
    grow open walk win offer remember love consider appear buy wait serve die send
    expect build stay fall cut reach kill remain suggest raise pass sell require report
    decide pull get go say good new first last long great little own other old right big
    high different small large next early young important few public bad same able best
    better sure free true whole real full special easy clear recent certain personal
    open red hard possible major late general main low simple less more most much many
    lot kind way well back even still only now really almost often always sometimes
    never usually again away all one two three four five six seven eight nine ten
    hundred thousand million second third another such something anything everything
    nothing someone anyone everyone like just also yes ok okay thing things stuff get
    got make made used using uses area home school state family student country money
    story job word business issue side head house service friend power hour game line
    end member law car city community name president team minute idea kid body
    information back parent face others level office door health person art war history
    party result morning reason research girl guy moment air teacher force education
    foot boy age policy process music market sense nation plan college interest death
    experience effect class control care field development role effort rate heart drug
    show leader light voice wife police mind price position need means example order
    question value type form
    """
)

# Common words (next band) and generic computing vocabulary that almost every answer in a
# technical interview uses: moderate evidence.
BAND2 = word_set(
    """
    program programs code data function functions computer software system systems file
    files user users input output time memory store stored storing value values variable
    variables method methods object objects class classes list item items element
    elements call called calls return returns returned run running execute executed step
    steps part parts way ways make makes making done easy easier fast faster slow slower
    quick quickly simple simply change changes changed check checks checked test tests
    testing start starts started end ends ended begin beginning finish result results
    size define defined definition declare declared number numbers line lines text
    string word words name names place places location point points pointer pointers
    access accessed operation operations operator process processing run task tasks work
    works working problem problems solution solve solved solving case cases main basic
    common general specific certain actual actually particular different difference same
    similar whole entire single multiple many several various example examples instance
    kind kinds type types set sets group groups order ordered first last next previous
    before after once twice always never sometimes usually every each both either least
    most more less allow allows allowed able unable need needs needed require required
    requires use used uses using useful usage help helps helped provide provides
    provided give gives given take takes taken get gets got keep keeps kept hold holds
    held contain contains contained include includes included create creates created
    build builds built add adds added remove removes removed replace replaces move moves
    moved copy copies copied send sends sent receive receives received read reads write
    writes written show shows shown look looks find finds found know knows known mean
    means meaning idea reason because therefore inside outside within across around
    along between among through rather instead also another other others thing things
    something anything everything whatever however whenever wherever order level levels
    layer layers block blocks unit units piece pieces amount total count counts key keys
    table tables record records field fields row rows column columns server servers
    client clients request requests response responses network internet web page pages
    site application applications app apps service services resource resources state
    states information info error errors issue issues bug bugs fix fixes fixed version
    versions feature features option options setting settings default format model
    models structure structures design designed implement implemented implementation
    logic condition conditions rule rules loop loops statement statements expression
    expressions parameter parameters argument arguments local global public private true
    false zero null empty full new old
    """
)


def rarity(norm: str) -> float:
    """Evidence weight of one normalised word: rare, specific words weigh more."""
    if norm in STOPWORDS:
        return 0.0
    if norm in BAND1:
        return RARITY_BAND1
    if norm in BAND2:
        return RARITY_BAND2
    if len(norm) <= 2:
        return RARITY_BAND2
    return 1.0


RARITY_BAND1 = 0.35
RARITY_BAND2 = 0.4


# --------------------------------------------------------------------------- tokenising
@dataclass(slots=True)
class Tokens:
    """A tokenised text. Parallel lists, one entry per word token.

    Character offsets (``starts``, ``ends``, ``span``) are worked out on first use from
    the parsed chunks when each chunk is one word: most answers need only the few that
    evidence spans point at, and every offset is a new int. The clause and sentence index
    of every token (``clause``, ``sentence``) are also worked out on first use: grading
    finds the few it needs in ``clause_starts`` and ``sentence_starts``.
    """

    text: str
    words: list[str]  # normalised surface forms
    stems: list[str]
    stop: list[bool]  # function word?
    clause_starts: list[int]  # the first token of each clause
    sentence_starts: list[int]  # the first token of each sentence
    capitalised_stops: list[int]  # function words written with a capital ("The", "And")
    _clause: list[int] | None = field(default=None, repr=False)
    _sentence: list[int] | None = field(default=None, repr=False)
    _starts: list[int] | None = field(default=None, repr=False)
    _ends: list[int] | None = field(default=None, repr=False)
    _chunks: list[_Chunk] | None = field(default=None, repr=False)  # one word each
    _begins: list[int] | None = field(default=None, repr=False)  # where each chunk starts

    @property
    def clause(self) -> list[int]:
        """Clause index of each token (breaks at , ; : brackets and sentence ends)."""
        if self._clause is None:
            self._clause = _run_ids(self.clause_starts, len(self.words))
        return self._clause

    @property
    def sentence(self) -> list[int]:
        """Sentence index of each token (breaks at . ! ? and newlines)."""
        if self._sentence is None:
            self._sentence = _run_ids(self.sentence_starts, len(self.words))
        return self._sentence

    def __len__(self) -> int:
        return len(self.words)

    @property
    def n_sentences(self) -> int:
        return len(self.sentence_starts)

    @property
    def starts(self) -> list[int]:
        """Where each token starts in ``text``."""
        if self._starts is None:
            self._starts = list(map(add, self._chunk_begins(), map(_FIRST_START, self._one_word)))
        return self._starts

    @property
    def ends(self) -> list[int]:
        """Where each token ends in ``text``."""
        if self._ends is None:
            self._ends = list(map(add, self._chunk_begins(), map(_FIRST_END, self._one_word)))
        return self._ends

    def span(self, i: int, last: int | None = None) -> tuple[int, int]:
        """(start, end) in ``text`` of token ``i``, or of tokens ``i`` to ``last``."""
        if last is None:
            last = i
        if self._chunks is None:
            return self.starts[i], self.ends[last]
        begins = self._begins or self._chunk_begins()
        chunks = self._chunks
        return begins[i] + _FIRST_START(chunks[i]), begins[last] + _FIRST_END(chunks[last])

    def _chunk_begins(self) -> list[int]:
        if self._begins is None:
            self._begins = list(accumulate(map(_SPAN, self._one_word), initial=0))
        return self._begins

    @property
    def _one_word(self) -> list[_Chunk]:
        """The parsed chunks, one word each (kept only when offsets are worked out lazily)."""
        if self._chunks is None:
            raise ValueError("offsets were computed eagerly; there are no chunks")
        return self._chunks


# Break kinds between two words, as bit sets: the stronger of two breaks is their union.
_NO_BREAK, _CLAUSE, _SENTENCE = 0, 0b01, 0b11


def _sep_kind(sep: str) -> int:
    """Break kind of the text between two words."""
    if not sep or sep == " ":
        return _NO_BREAK
    if _SENTENCE_BREAK.search(sep):
        return _SENTENCE
    if _CLAUSE_BREAK.search(sep):
        return _CLAUSE
    return _NO_BREAK


class _Chunk(NamedTuple):
    """One whitespace-free chunk, parsed: its words (offsets relative to the chunk),
    the breaks around and between them, and its first word again for the common case
    of one word per chunk."""

    rel_starts: tuple[int, ...]
    rel_ends: tuple[int, ...]
    norms: tuple[str, ...]  # normalised words
    stems: tuple[str, ...]
    stops: tuple[bool, ...]  # function words?
    capitalised: tuple[bool, ...]  # function words written with a capital?
    lead: int  # break kind before the first word
    inner: tuple[int, ...]  # break kinds before the other words
    trail: int  # break kind after the last word (whitespace follows)
    shape_and_trail: int  # the chunk's shape (below) x 4 + ``trail``, as one number
    n_words: int
    span: int  # the chunk's length plus its space
    first_start: int
    first_end: int
    first_norm: str
    first_stem: str
    first_stop: bool
    first_capitalised: bool


def _parse_chunk(chunk: str) -> _Chunk:
    """One whitespace-free chunk ("requests.", "do...while", "a[i]", "—"), parsed as
    described above the getters below."""
    parts = _WORD_SPLIT.split(chunk)
    raw = parts[1::2]
    seps = parts[0::2]
    offsets = list(accumulate(map(len, parts)))
    infos = [word_info(w) for w in raw]
    if raw:
        lead = _sep_kind(" " + seps[0])
        inner = tuple(_sep_kind(x) for x in seps[1:-1])
        trail = _sep_kind(seps[-1] + " ")
    else:  # punctuation only: "-", "—", "...", "(" between spaces
        lead, inner = _NO_BREAK, ()
        trail = _sep_kind(" " + chunk + " ")
    rel_starts = tuple(offsets[0::2][: len(raw)])
    rel_ends = tuple(offsets[1::2])
    norms = tuple(x[0] for x in infos)
    stems = tuple(x[1] for x in infos)
    stops = tuple(x in STOPWORDS for x in norms)
    capitalised = tuple(stop and w[0].isupper() for w, stop in zip(raw, stops))
    first = (
        (rel_starts[0], rel_ends[0], norms[0], stems[0], stops[0], capitalised[0])
        if raw
        else (0,) * 6
    )
    shape = (_AFTER_BREAK if lead else _ONE_WORD) if len(raw) == 1 else _OTHER_SHAPE
    return _Chunk(
        rel_starts,
        rel_ends,
        norms,
        stems,
        stops,
        capitalised,
        lead,
        inner,
        trail,
        shape << 2 | trail,
        len(raw),
        len(chunk) + 1,
        *first,
    )


def _field(name: str) -> itemgetter:
    # read by position (in C): as fast as a plain tuple, named for people
    return itemgetter(_Chunk._fields.index(name))


_LEAD, _TRAIL, _SHAPE_AND_TRAIL = map(_field, ("lead", "trail", "shape_and_trail"))
_NWORDS, _SPAN = map(_field, ("n_words", "span"))
_FIRST_START, _FIRST_END = map(_field, ("first_start", "first_end"))
_FIRST_NORM, _FIRST_STEM, _FIRST_STOP = map(_field, ("first_norm", "first_stem", "first_stop"))
_FIRST_CAPITALISED = _field("first_capitalised")
# Shapes: one word; one word after a break ("(word", "**word"); no word or several.
_ONE_WORD, _AFTER_BREAK, _OTHER_SHAPE = 0, 1, 2


class _ChunkCache(dict):
    """Parsed chunks by chunk text: answers share most of their words."""

    def __missing__(self, chunk: str) -> _Chunk:
        if len(self) >= _CHUNK_CACHE_MAX:
            self.clear()
        parsed = self[chunk] = _parse_chunk(chunk)
        return parsed


_CHUNK_CACHE = _ChunkCache()
_CHUNK_CACHE_MAX = 100_000
_GLUE = ("-", "/")  # split "trade-off", "and/or" like spaces (offsets are unchanged)


def tokenize(text: str) -> Tokens:
    """Split text into word tokens with offsets into ``text`` and clause/sentence starts.

    This runs for every answer graded, so it makes few passes over the chunks: the text
    is split on single spaces (so offsets are cumulative lengths), each distinct chunk is
    parsed once (cached), and the per-token lists are built with ``map``/``itemgetter``.
    """
    spaced = text
    for glue in _GLUE:
        if glue in spaced:
            spaced = spaced.replace(glue, " ")
    parsed = list(map(_CHUNK_CACHE.__getitem__, spaced.split(" ")))
    shape_and_trail = list(map(_SHAPE_AND_TRAIL, parsed))
    shape = max(shape_and_trail) >> 2  # the least plain chunk's shape
    if shape != _OTHER_SHAPE:
        # one word per chunk: the common case, all in C
        words = list(map(_FIRST_NORM, parsed))
        stems = list(map(_FIRST_STEM, parsed))
        stop = list(map(_FIRST_STOP, parsed))
        capitalised_stops = list(compress(range(len(words)), map(_FIRST_CAPITALISED, parsed)))
        if shape == _ONE_WORD:  # the break after a word is the break after its chunk
            between = shape_and_trail[:-1]
        else:  # a word right after a bracket, quote, bullet...
            between = list(map(or_, map(_TRAIL, parsed), map(_LEAD, parsed[1:])))
        offsets = {"_chunks": parsed}
    else:
        begins = list(accumulate(map(_SPAN, parsed), initial=0))  # where each chunk starts
        words, stems, stop, starts, ends, capitalised, between = _tokenize_general(parsed, begins)
        if not words:
            return Tokens(text, [], [], [], [], [], [], _starts=[], _ends=[])
        capitalised_stops = list(compress(range(len(words)), capitalised))
        offsets = {"_starts": starts, "_ends": ends}
    clause_starts = [0, *compress(range(1, len(words)), between)]
    return Tokens(
        text=text,
        words=words,
        stems=stems,
        stop=stop,
        clause_starts=clause_starts,
        # every sentence break is also a clause break
        sentence_starts=[i for i in clause_starts if not i or between[i - 1] == _SENTENCE],
        capitalised_stops=capitalised_stops,
        **offsets,
    )


def _run_ids(starts: list[int], n: int) -> list[int]:
    """The index of the run (clause, sentence) each of ``n`` tokens is in, given the
    first token of each run."""
    ids: list[int] = []
    for k, (a, b) in enumerate(pairwise([*starts, n])):
        ids += [k] * (b - a)
    return ids


def _tokenize_general(parsed: list, begins: list[int]):
    """Chunks with several words ("do...while", "a[i]", "end.\nNext") or none ("", "—").
    Returns the per-token lists and the break kinds between consecutive words."""
    kinds: list[int] = []
    carry = _NO_BREAK
    empties = 0
    word_parsed = []
    word_begins = []
    for p, b in zip(parsed, begins):
        if _NWORDS(p) == 0:
            if _TRAIL(p) == _NO_BREAK and not p.norms:
                empties += 1  # "" between two spaces: three spaces in a row end a clause
                if empties >= 2:
                    carry |= _CLAUSE
            carry |= _TRAIL(p)
            continue
        empties = 0
        kinds.append(carry | _LEAD(p))
        carry = _TRAIL(p)
        word_parsed.append(p)
        word_begins.append(b)
    words = [w for p in word_parsed for w in p.norms]
    stems = [w for p in word_parsed for w in p.stems]
    stop = [w for p in word_parsed for w in p.stops]
    capitalised = [w for p in word_parsed for w in p.capitalised]
    starts = [b + r for b, p in zip(word_begins, word_parsed) for r in p.rel_starts]
    ends = [b + r for b, p in zip(word_begins, word_parsed) for r in p.rel_ends]
    breaks = [x for k, p in zip(kinds, word_parsed) for x in (k, *p.inner)]
    return words, stems, stop, starts, ends, capitalised, breaks[1:]


def is_negation_at(tokens: Tokens, i: int) -> bool:
    """Is token ``i`` a negation cue that really negates what follows?"""
    w = tokens.words[i]
    if w not in NEGATIONS:
        return False
    n = len(tokens.words)
    if i + 1 < n and tokens.words[i + 1] in _NEG_NEUTRALISED_BY_NEXT:
        return False
    return not (i > 0 and w == "not" and tokens.words[i - 1] in _NEG_NEUTRALISED_BY_PREV)
