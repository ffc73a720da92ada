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
from dataclasses import dataclass
from itertools import accumulate
from operator import add, itemgetter, not_

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
_DERIVATIONAL = ("ation", "ition", "ment", "ness", "abl", "ibl", "ion", "iti", "ive", "ism", "ist")
_DERIVATIONAL += ("al", "iv", "ic")
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
    """A tokenised text. Parallel lists, one entry per word token."""

    text: str
    starts: list[int]
    ends: list[int]
    words: list[str]  # normalised surface forms
    stems: list[str]
    stop: list[bool]  # function word?
    clause: list[int]  # clause index (breaks at , ; : brackets and sentence ends)
    sentence: list[int]  # sentence index (breaks at . ! ? and newlines)
    cidx: list[int]  # number of content (non-stop) tokens before this one
    n_sentences: int

    def __len__(self) -> int:
        return len(self.words)


_CHUNK_CACHE: dict[str, tuple] = {}
_CHUNK_CACHE_MAX = 100_000
_NO_BREAK, _CLAUSE, _SENTENCE = 0, 1, 2


def _sep_kind(sep: str) -> int:
    """Break kind of the text between two words."""
    if not sep or sep == " ":
        return _NO_BREAK
    if _SENTENCE_BREAK.search(sep):
        return _SENTENCE
    if _CLAUSE_BREAK.search(sep):
        return _CLAUSE
    return _NO_BREAK


def _parse_chunk(chunk: str) -> tuple:
    """One whitespace-free chunk ("requests.", "do...while", "a[i]", "—"), cached:
    (relative starts, relative ends, normalised words, stems, stop flags,
    break kind before the first word, break kinds before the other words,
    break kind after the last word, given that whitespace follows)."""
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
    first = (rel_starts[0], rel_ends[0], norms[0], stems[0], stops[0]) if raw else (0,) * 5
    parsed = (rel_starts, rel_ends, norms, stems, stops, lead, inner, trail, len(raw), *first)
    if len(_CHUNK_CACHE) >= _CHUNK_CACHE_MAX:
        _CHUNK_CACHE.clear()
    _CHUNK_CACHE[chunk] = parsed
    return parsed


_GLUE = ("-", "/")  # split "trade-off", "and/or" like spaces (offsets are unchanged)


def tokenize(text: str) -> Tokens:
    """Split text into word tokens with offsets into ``text`` and clause/sentence ids.

    This runs for every answer graded, so the work is done in C: the text is split on
    single spaces (so offsets are cumulative lengths), each distinct chunk is parsed
    once (cached), and the per-token lists are built with ``map``/``itemgetter``.
    """
    spaced = text
    for glue in _GLUE:
        if glue in spaced:
            spaced = spaced.replace(glue, " ")
    chunks = spaced.split(" ")
    get = _CHUNK_CACHE.get
    parsed = [get(c) or _parse_chunk(c) for c in chunks]
    # chunk k starts after the k spaces and the chunks before it
    begins = list(map(add, accumulate(map(len, chunks), initial=0), range(len(chunks))))

    if list(map(_NWORDS, parsed)).count(1) == len(parsed):
        # one word per chunk: the common case, all in C
        words = list(map(_FIRST_NORM, parsed))
        stems = list(map(_FIRST_STEM, parsed))
        stop = list(map(_FIRST_STOP, parsed))
        starts = list(map(add, begins, map(_FIRST_START, parsed)))
        ends = list(map(add, begins, map(_FIRST_END, parsed)))
        trails = list(map(_TRAIL, parsed))
        trails.insert(0, _NO_BREAK)
        breaks = list(map(max, map(_LEAD, parsed), trails))
    else:
        words, stems, stop, starts, ends, breaks = _tokenize_general(parsed, begins)
        if not words:
            return Tokens(text, [], [], [], [], [], [], [], [], 0)
    tail = breaks[1:]
    sentence = list(accumulate(map(_SENTENCE.__eq__, tail), initial=0))
    clause = list(accumulate(map(bool, tail), initial=0))
    cidx = list(accumulate(map(not_, stop[:-1]), initial=0))
    return Tokens(
        text=text,
        starts=starts,
        ends=ends,
        words=words,
        stems=stems,
        stop=stop,
        clause=clause,
        sentence=sentence,
        cidx=cidx,
        n_sentences=sentence[-1] + 1,
    )


_NWORDS = itemgetter(8)
_FIRST_START, _FIRST_END = itemgetter(9), itemgetter(10)
_FIRST_NORM, _FIRST_STEM, _FIRST_STOP = itemgetter(11), itemgetter(12), itemgetter(13)
_LEAD, _TRAIL = itemgetter(5), itemgetter(7)


def _tokenize_general(parsed: list, begins: list[int]):
    """Chunks with several words ("do...while", "a[i]", "end.\nNext") or none ("", "—")."""
    kinds: list[int] = []
    carry = _NO_BREAK
    empties = 0
    word_parsed = []
    word_begins = []
    for p, b in zip(parsed, begins):
        if p[8] == 0:
            if p[7] == _NO_BREAK and not p[2]:
                empties += 1  # "" between two spaces: three spaces in a row end a clause
                if empties >= 2:
                    carry = max(carry, _CLAUSE)
            carry = max(carry, p[7])
            continue
        empties = 0
        kinds.append(max(carry, p[5]))
        carry = p[7]
        word_parsed.append(p)
        word_begins.append(b)
    words = [w for p in word_parsed for w in p[2]]
    stems = [w for p in word_parsed for w in p[3]]
    stop = [w for p in word_parsed for w in p[4]]
    starts = [b + r for b, p in zip(word_begins, word_parsed) for r in p[0]]
    ends = [b + r for b, p in zip(word_begins, word_parsed) for r in p[1]]
    breaks = [x for k, p in zip(kinds, word_parsed) for x in (k, *p[6])]
    return words, stems, stop, starts, ends, breaks


def is_negation_at(tokens: Tokens, i: int) -> bool:
    """Is token ``i`` a negation cue that really negates what follows?"""
    w = tokens.words[i]
    if w not in NEGATIONS:
        return False
    n = len(tokens.words)
    if i + 1 < n and tokens.words[i + 1] in _NEG_NEUTRALISED_BY_NEXT:
        return False
    return not (i > 0 and w == "not" and tokens.words[i - 1] in _NEG_NEUTRALISED_BY_PREV)
