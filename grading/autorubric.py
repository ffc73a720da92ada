"""Suggest a keyword rubric from a question's model answer.

Pure Python, no Django. The method (explained in docs/grading.md):

1. Tokenise the model answer; split it into *chunks*: runs of content words inside one
   clause (function words and punctuation end a chunk), at most three words each.
2. Trim words of the prompt from the edges of each chunk and drop chunks made only of
   prompt words: repeating the question is not evidence.
3. Weigh each chunk by how rare its words are in everyday English (an embedded
   frequency band list in ``grading.text``): a specific term outweighs a common one.
   Repeated chunks weigh a little more.
4. Keep the heaviest ``max_criteria`` chunks (in model-answer order), one criterion each,
   with keyword alternatives from a small embedded synonym table; a chunk preceded by a
   negation ("do not have a return type") becomes a negative keyword ("not return type").
"""

from __future__ import annotations

from grading.rubric import NEG_WINDOW, Criterion
from grading.text import Tokens, is_negation_at, rarity, tokenize, word_info

__all__ = ["SYNONYM_GROUPS", "suggest_rubric"]

MAX_PHRASE = 3  # words per criterion phrase
MAX_ALTERNATIVES = 6  # keyword alternatives per criterion
TRIM_WEAK_EDGES = True  # drop adverbs from the edges of phrases ("herd entirely")
MIN_CRITERIA = 3  # split phrases into words to reach this many, when possible
WEIGHT_POWER = 1.0  # below 1 evens out the weights of long and short phrases
REPEAT_BONUS = 0.3  # extra weight per repeat of a chunk in the model answer
PROMPT_TERMS_WEIGHT = 0.15  # weight of the "uses the question's terms" criterion (x mean)

# Alternative phrasings, general English and general computing. Any member may stand for
# any other member of its group. Matching is on stems, so list base forms.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    # verbs
    ("begin", "start", "commence"),
    ("end", "finish", "terminate", "halt"),
    ("create", "make", "build", "generate", "construct"),
    ("remove", "delete", "erase", "eliminate", "drop"),
    ("add", "insert", "append"),
    ("get", "retrieve", "fetch", "obtain"),
    ("store", "save", "hold", "keep", "contain", "persist"),
    ("change", "modify", "alter", "update", "edit"),
    ("copy", "duplicate", "clone", "replicate"),
    ("use", "utilize", "utilise", "employ", "apply"),
    ("show", "display", "print"),
    ("call", "invoke"),
    ("run", "execute", "perform"),
    ("check", "verify", "validate", "examine", "test"),
    ("find", "locate", "search", "look up"),
    ("allow", "permit", "enable", "let"),
    ("avoid", "prevent"),
    ("reduce", "decrease", "lower", "minimize", "minimise"),
    ("increase", "grow", "raise"),
    ("simulate", "mimic", "imitate", "emulate", "model"),
    ("define", "declare", "specify"),
    ("initialize", "initialise", "init", "set up"),
    ("include", "contain", "comprise", "consist"),
    ("pass", "send", "hand"),
    ("return", "give back"),
    ("hide", "encapsulate", "conceal"),
    ("inherit", "derive", "extend"),
    ("sort", "order", "arrange"),
    ("swap", "exchange", "interchange", "switch"),
    ("divide", "split", "partition", "break"),
    ("merge", "combine", "join"),
    ("repeat", "iterate", "loop", "cycle"),
    ("refine", "improve", "enhance"),
    ("reuse", "reusable", "reusability"),
    ("point", "refer", "reference"),
    ("access", "reach"),
    ("compile", "translate"),
    ("expire", "time out", "ttl", "time to live"),
    ("retry", "try again", "repeat"),
    ("lock", "mutex"),
    # nouns
    ("error", "bug", "fault", "defect", "mistake"),
    ("size", "length"),
    ("location", "place", "position", "spot", "address"),
    ("memory", "ram", "storage"),
    ("function", "method", "procedure", "routine", "subroutine", "subprogram"),
    ("parameter", "argument", "param", "arg"),
    ("element", "item", "entry"),
    ("list", "sequence", "collection"),
    ("object", "instance"),
    ("attribute", "field", "property", "data member", "member variable", "instance variable"),
    ("member function", "method"),
    ("behavior", "behaviour", "functionality"),
    ("portion", "part", "piece", "section", "segment", "subset"),
    ("product", "application", "system"),
    ("program", "code", "software"),
    ("coding", "programming", "implementation"),
    ("body", "implementation", "definition"),
    ("stage", "phase", "step"),
    ("goal", "purpose", "aim", "objective", "role"),
    ("advantage", "benefit", "pro"),
    ("disadvantage", "drawback", "downside"),
    ("cost", "overhead", "expense"),
    ("problem", "issue"),
    ("alias", "synonym", "another name", "nickname"),
    ("node", "vertex"),
    ("edge", "link", "arc"),
    ("character", "char"),
    ("integer", "int", "whole number"),
    ("boolean", "bool", "true or false"),
    ("string", "text"),
    ("database", "db", "datastore", "data store"),
    ("latency", "delay", "response time"),
    ("throughput", "requests per second", "rps", "qps"),
    ("replica", "copy"),
    ("shard", "partition"),
    ("timeout", "time out", "deadline"),
    ("run time", "runtime", "execution time"),
    ("last in first out", "lifo"),
    ("first in first out", "fifo"),
    ("smallest", "minimum", "min", "lowest", "least"),
    ("largest", "maximum", "max", "biggest", "greatest", "highest"),
    # data structures and algorithms
    ("push", "add to the top"),
    ("pop", "remove from the top"),
    ("enqueue", "add to the rear", "add to the back"),
    ("dequeue", "remove from the front"),
    ("front", "head", "beginning"),
    ("rear", "back", "tail"),
    ("traverse", "visit", "walk through", "go through"),
    ("leaf", "terminal node", "external node"),
    ("root", "top node"),
    ("height", "depth"),
    ("child", "descendant", "successor"),
    ("parent", "ancestor", "predecessor"),
    ("allocate", "reserve"),
    ("deallocate", "free", "release"),
    ("contiguous", "consecutive", "adjacent", "sequential"),
    ("index", "subscript", "position"),
    ("collision", "clash"),
    ("bucket", "slot"),
    ("complexity", "running time", "big o"),
    ("n log n", "nlogn", "linearithmic"),
    ("recursive", "calls itself"),
    ("iterative", "loop"),
    ("empty", "no elements"),
    ("overflow", "exceed capacity"),
    ("encapsulation", "information hiding", "data hiding"),
    ("polymorphism", "many forms"),
    ("template", "generic"),
    ("compare", "comparison"),
    ("average", "mean"),
    ("worst case", "upper bound"),
    ("best case", "lower bound"),
    ("pivot", "partition element"),
    ("link", "pointer", "reference"),
    # adjectives, adverbs, quantities
    ("fast", "quick", "rapid", "efficient", "speedy"),
    ("slow", "inefficient"),
    ("big", "large", "huge"),
    ("small", "little", "tiny"),
    ("whole", "entire", "complete", "full"),
    ("desired", "intended", "wanted", "target"),
    ("main", "primary", "principal"),
    ("important", "crucial", "essential"),
    ("different", "distinct"),
    ("same", "identical", "equal", "equivalent"),
    ("correct", "right", "valid", "accurate"),
    ("wrong", "incorrect", "invalid"),
    ("easy", "simple", "straightforward"),
    ("hard", "difficult", "complex", "complicated"),
    ("concurrent", "parallel", "simultaneous"),
    ("first", "initial"),
    ("last", "final"),
    ("previous", "prior", "preceding"),
    ("next", "following", "subsequent"),
    ("before", "prior to", "earlier"),
    ("after", "later", "afterwards"),
    ("every", "each", "all"),
    ("many", "multiple", "several", "numerous"),
    ("unlimited", "infinite", "unbounded", "any number", "no limit", "as many"),
    ("once", "one time"),
    ("always", "every time"),
    ("directly", "immediately"),
    ("automatically", "implicitly", "by default"),
    ("explicitly", "manually"),
    ("zero", "0"),
    ("one", "1", "single"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("linear", "o n", "order n"),
    ("constant time", "o 1"),
    ("logarithmic", "log n"),
    ("quadratic", "n squared", "n 2"),
)


def _build_synonym_index() -> tuple[dict[str, list[str]], dict[tuple[str, ...], list[str]]]:
    """Synonyms by normalised word (and by stem where that stem is unambiguous) and by phrase.

    Stems alone would merge unrelated groups ("locate"/"location", "object"/"objective"),
    so a stem is used only when a single word of the table has that stem.
    """
    by_word: dict[str, list[str]] = {}
    by_phrase: dict[tuple[str, ...], list[str]] = {}
    stem_words: dict[str, set[str]] = {}
    for group in SYNONYM_GROUPS:
        for member in group:
            others = [o for o in group if o != member]
            words = member.split()
            if len(words) == 1:
                norm, st = word_info(member)
                target = by_word.setdefault(norm, [])
                stem_words.setdefault(st, set()).add(norm)
            else:
                key = tuple(word_info(w)[1] for w in words)
                target = by_phrase.setdefault(key, [])
            for o in others:
                if o not in target:
                    target.append(o)
    for st, norms in stem_words.items():
        if len(norms) == 1:
            by_word["~" + st] = by_word[next(iter(norms))]
    return by_word, by_phrase


_SYN_WORD, _SYN_PHRASE = _build_synonym_index()


def _synonyms(norm: str, stem: str) -> list[str]:
    found = _SYN_WORD.get(norm)
    if found is None:
        found = _SYN_WORD.get("~" + stem, [])
    return found


def _weak(word: str) -> bool:
    return word.endswith("ly") and len(word) > 4


def _chunks(tokens: Tokens) -> list[list[int]]:
    """Runs of content words inside one clause, at most MAX_PHRASE words each."""
    runs: list[list[int]] = []
    cur: list[int] = []
    for i in range(len(tokens.words)):
        if tokens.stop[i] or (cur and tokens.clause[i] != tokens.clause[cur[-1]]):
            if cur:
                runs.append(cur)
            cur = [] if tokens.stop[i] else [i]
        else:
            cur.append(i)
    if cur:
        runs.append(cur)
    out: list[list[int]] = []
    for run in runs:
        if len(run) <= MAX_PHRASE:
            out.append(run)
            continue
        pieces = -(-len(run) // MAX_PHRASE)
        size = -(-len(run) // pieces)
        out.extend(run[k : k + size] for k in range(0, len(run), size))
    return out


def _alternatives(words: list[str], stems: list[str], polarity: str) -> tuple[str, ...]:
    base = " ".join(words)
    alts = [base]
    variants: list[str] = list(_SYN_PHRASE.get(tuple(stems), []))
    for k, st in enumerate(stems):
        for syn in _synonyms(words[k], st):
            variants.append(" ".join([*words[:k], syn, *words[k + 1 :]]))
    limit = MAX_ALTERNATIVES if polarity != "both" else max(1, MAX_ALTERNATIVES // 2)
    for v in variants:
        if len(alts) >= limit:
            break
        if v not in alts:
            alts.append(v)
    if polarity == "neg":
        return tuple(f"not {a}" for a in alts)
    if polarity == "both":
        return tuple(alts) + tuple(f"not {a}" for a in alts)
    return tuple(alts)


def _polarity(tokens: Tokens, chunk: list[int]) -> tuple[str, int | None]:
    """ "neg" when a negation cue sits just before the chunk (the model answer says the
    thing is absent), "both" when the sentence is negated elsewhere ("the base case is not
    included": a candidate may say "no base case"), else "pos". Also the cue's index."""
    first = chunk[0]
    clause = tokens.clause[first]
    for c in range(max(0, first - NEG_WINDOW), first):
        if tokens.clause[c] == clause and is_negation_at(tokens, c):
            return "neg", c
    sentence = tokens.sentence[first]
    for c in range(len(tokens.words)):
        if tokens.sentence[c] == sentence and c not in chunk and is_negation_at(tokens, c):
            return "both", None
    return "pos", None


def suggest_rubric(prompt: str, model_answer: str, *, max_criteria: int = 8) -> list[Criterion]:
    """Propose up to ``max_criteria`` weighted criteria from the model answer's key terms.

    Usually 3-8 criteria; a model answer with fewer than three content words outside the
    prompt ("By reference.") yields fewer. Returns [] for an empty model answer.
    """
    tokens = tokenize(model_answer or "")
    ptoks = tokenize(prompt or "")
    prompt_stems = {s for s, stop in zip(ptoks.stems, ptoks.stop) if not stop}

    # candidate chunks, prompt words trimmed from their edges
    cands: list[dict] = []
    by_key: dict[tuple[str, ...], dict] = {}
    prompt_used: dict[str, int] = {}  # prompt words the model answer needs -> first index
    for chunk in _chunks(tokens):
        for i in chunk:
            if tokens.stems[i] in prompt_stems:
                prompt_used.setdefault(tokens.stems[i], i)
        while chunk and tokens.stems[chunk[0]] in prompt_stems:
            chunk = chunk[1:]
        while chunk and tokens.stems[chunk[-1]] in prompt_stems:
            chunk = chunk[:-1]
        if TRIM_WEAK_EDGES:
            # "thundering herd entirely" -> "thundering herd": an adverb at the edge of a
            # phrase only makes it harder to match
            while len(chunk) > 1 and _weak(tokens.words[chunk[0]]):
                chunk = chunk[1:]
            while len(chunk) > 1 and _weak(tokens.words[chunk[-1]]):
                chunk = chunk[:-1]
        if not chunk:
            continue
        stems = [tokens.stems[i] for i in chunk]
        key = tuple(stems)
        if key in by_key:
            by_key[key]["tf"] += 1
            continue
        polarity, cue = _polarity(tokens, chunk)
        cand = {
            "chunk": chunk,
            "polarity": polarity,
            "label_start": tokens.starts[cue if cue is not None else chunk[0]],
            "tf": 1,
        }
        by_key[key] = cand
        cands.append(cand)

    # a single word already inside a longer phrase adds to that phrase instead
    for c in cands:
        if len(c["chunk"]) == 1:
            st = tokens.stems[c["chunk"][0]]
            for other in cands:
                if len(other["chunk"]) > 1 and st in (tokens.stems[i] for i in other["chunk"]):
                    other["tf"] += c["tf"]
                    c["drop"] = True
                    break
    cands = [c for c in cands if not c.get("drop")]

    # split phrases into words when there are too few criteria
    while len(cands) < MIN_CRITERIA:
        longest = max(cands, key=lambda c: len(c["chunk"]), default=None)
        if longest is None or len(longest["chunk"]) < 2:
            break
        pos = cands.index(longest)
        parts = [
            {**longest, "chunk": [i], "label_start": tokens.starts[i]} for i in longest["chunk"]
        ]
        parts[0]["label_start"] = longest["label_start"]
        cands[pos : pos + 1] = parts

    for c in cands:
        base = sum(rarity(tokens.words[i]) for i in c["chunk"])
        c["weight"] = base**WEIGHT_POWER * (1.0 + REPEAT_BONUS * (c["tf"] - 1))
    if len(cands) > max_criteria:
        keep = sorted(range(len(cands)), key=lambda k: (-cands[k]["weight"], k))[:max_criteria]
        cands = [cands[k] for k in sorted(keep)]

    criteria: list[Criterion] = []
    for c in cands:
        chunk = c["chunk"]
        words = [tokens.words[i] for i in chunk]
        stems = [tokens.stems[i] for i in chunk]
        label_text = " ".join(tokens.text[c["label_start"] : tokens.ends[chunk[-1]]].split())
        criteria.append(
            Criterion(
                label=f"Mentions: {label_text}",
                keywords=_alternatives(words, stems, c["polarity"]),
                weight=round(max(c["weight"], 0.1), 2),
            )
        )

    # The model answer itself needs some of the prompt's words: a low-weight criterion
    # for them keeps on-topic answers above off-topic ones. The grader gives prompt-only
    # criteria reduced credit, and none to an answer that merely copies the prompt.
    if prompt_used and PROMPT_TERMS_WEIGHT > 0 and len(criteria) < max_criteria:
        order = sorted(prompt_used, key=prompt_used.__getitem__)
        terms = [tokens.words[prompt_used[st]] for st in order]
        mean_w = sum(c.weight for c in criteria) / len(criteria) if criteria else 1.0
        criteria.append(
            Criterion(
                label="Uses the question's terms: " + ", ".join(terms),
                keywords=tuple(terms[:MAX_ALTERNATIVES]),
                weight=round(max(PROMPT_TERMS_WEIGHT * mean_w, 0.1), 2),
            )
        )
    return criteria
