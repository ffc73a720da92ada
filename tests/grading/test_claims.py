"""Claims, not just terms: turned-down ideas, ideas that are an absence, wrong claims,
compact sentences versus bare lists, and answers a human should look at. Sentences are
the ones candidates wrote in trials."""

from __future__ import annotations

from grading.rubric import Criterion, Misconception, grade

API_PROMPT = "How would you protect a public HTTP API from abuse and overload?"
API = (
    Criterion("Rate limiting per client", ("rate limiting", "throttle requests", "429"), 3, True),
    Criterion("A web application firewall", ("waf", "web application firewall"), 1),
    Criterion("Counters in a shared store", ("redis", "shared counter"), 2),
)

CONCURRENCY_PROMPT = "In Python, when would you pick threads, processes or asyncio?"
CONCURRENCY = (
    Criterion("Processes for CPU-bound work", ("true parallelism", "multiprocessing"), 3, True),
    Criterion("Threads share memory and need locks", ("share memory", "need locks"), 2),
    Criterion("Async runs many waits on one event loop", ("event loop", "await"), 2),
)
THREADS_MYTH = Misconception(
    claim="Threads run Python code in parallel on several cores",
    phrasings=("threads give true parallelism", "multithreading gives true parallelism"),
    explanation="The GIL lets one thread run Python bytecode at a time.",
    cap=30,
)

SELECT_PROMPT = "Why do many teams avoid SELECT * in application queries?"
SELECT = (
    Criterion("It prevents index-only scans", ("index-only scan", "covering index"), 2),
    Criterion("It sends columns nobody reads", ("unused columns", "more data over the network"), 2),
    Criterion("Name the columns you need", ("list the columns", "explicit columns"), 1),
)


def verdict(result, label_start: str) -> str:
    return next(v.verdict for v in result.verdicts if v.label.startswith(label_start))


def test_an_idea_turned_down_after_it_is_named_earns_nothing():
    good = grade(API_PROMPT, API, "Put rate limiting in front of it, a WAF, and counters in Redis.")
    assert good.score == 100
    bad = grade(
        API_PROMPT,
        API,
        "Rate limiting isn't a good idea for a public API. Redis is a bad idea here.",
    )
    assert verdict(bad, "Rate limiting") == "contradicted"
    assert verdict(bad, "Counters") == "contradicted"
    assert bad.score <= 10


def test_rejections_before_and_after_the_term():
    for text in (
        "Avoid rate limiting, it annoys users.",
        "Rate limiting is not needed for an API like this.",
        "Rate limiting is overkill for a public API.",
    ):
        assert verdict(grade(API_PROMPT, API, text), "Rate limiting") == "contradicted", text
    # praise is not a rejection, nor is "not a bad idea"
    for text in (
        "Rate limiting is really useful here.",
        "Rate limiting is not a bad idea at all.",
        "Rate limiting is a good idea.",
    ):
        assert verdict(grade(API_PROMPT, API, text), "Rate limiting") == "met", text


def test_an_idea_that_is_an_absence_is_met_by_saying_it_is_absent():
    result = grade(
        SELECT_PROMPT,
        SELECT,
        "With SELECT * you get no index-only scans and more data over the network.",
    )
    assert verdict(result, "It prevents index-only") == "met"
    assert verdict(result, "It sends columns") == "met"


def test_a_misconception_is_flagged_and_caps_the_score():
    wrong = grade(
        CONCURRENCY_PROMPT,
        CONCURRENCY,
        "Multithreading gives true parallelism for Python code, so use threads for CPU work.",
        misconceptions=[THREADS_MYTH],
    )
    assert "misconception" in wrong.flags
    assert [m.claim for m in wrong.misconceptions] == [THREADS_MYTH.claim]
    assert wrong.score <= 30
    start, end = wrong.misconceptions[0].spans[0]
    assert start == 0 and end > start


def test_denying_a_misconception_is_the_right_claim():
    for text in (
        "Threads do not give true parallelism in CPython because of the GIL; use "
        "multiprocessing for CPU work and an event loop for waiting.",
        "It's a myth that threads give no benefit; but threads never give true parallelism.",
    ):
        result = grade(CONCURRENCY_PROMPT, CONCURRENCY, text, misconceptions=[THREADS_MYTH])
        assert not result.misconceptions, text


def test_a_claim_split_across_clauses_is_not_made():
    myth = Misconception("The JWT payload is encrypted", ("payload is encrypted",), "", penalty=20)
    result = grade(
        "What is inside a JWT?",
        (Criterion("Header, payload, signature", ("signature",), 1),),
        "The payload is only encoded, not encrypted, and the signature protects it.",
        misconceptions=[myth],
    )
    assert not result.misconceptions


def test_compact_sentences_with_verbs_are_not_stuffing():
    result = grade(
        CONCURRENCY_PROMPT,
        CONCURRENCY,
        "Processes give true parallelism; threads share memory and need locks; "
        "async uses an event loop.",
    )
    assert "keyword_stuffing" not in result.flags
    assert result.score >= 90


def test_a_bare_verbless_list_is_still_stuffing():
    result = grade(
        CONCURRENCY_PROMPT,
        CONCURRENCY,
        "true parallelism multiprocessing share memory need locks event loop await",
    )
    assert "keyword_stuffing" in result.flags


def test_a_strong_answer_missing_a_required_idea_is_capped_and_flagged_for_review():
    result = grade(
        API_PROMPT,
        API,
        "I'd put a web application firewall at the edge and keep per-client counters in "
        "Redis so every instance sees the same numbers.",
    )
    assert result.score == 50
    assert "required_idea_missed" in result.flags


def test_a_substantial_on_topic_answer_graded_low_is_flagged():
    paraphrase = (
        "For a public API I would cap how many calls each client may make per minute and "
        "answer with too many requests when they go over. The counts for each client have "
        "to live somewhere every instance of the service can see, so that the cap holds "
        "however the load balancer spreads the calls. I would also put a filter in front "
        "of the API that drops malicious payloads before they reach the application."
    )
    result = grade(API_PROMPT, API, paraphrase)
    assert result.score < 40
    assert "substantial_low_score" in result.flags
    short = grade(API_PROMPT, API, "Just make it fast.")
    assert "substantial_low_score" not in short.flags


XSS_PROMPT = "What is cross-site scripting and how do you prevent it?"
XSS = (
    Criterion(
        "Escape output for its context", ("escape output", "context-aware escaping"), 3, True
    ),
    Criterion("A content security policy", ("content security policy", "csp"), 2),
)
STRIP_MYTH = Misconception(
    claim="Removing <script> tags from input is enough to stop XSS",
    phrasings=("strip script tags from input", "removing script tags"),
    explanation="Script also runs from attributes and URLs.",
    cap=20,
)
SHARED_DB = Misconception(
    claim="Keeping one shared database keeps services independent",
    phrasings=("keep the shared database",),
    explanation="A shared schema couples every service's releases.",
    penalty=20,
)


def test_calling_a_wrong_claim_insufficient_denies_it():
    said = "Removing script tags isn't enough: escape output for its context and add a CSP."
    believed = "I would strip script tags from input, then store it, and add a CSP."
    assert not grade(XSS_PROMPT, XSS, said, misconceptions=[STRIP_MYTH]).misconceptions
    assert grade(XSS_PROMPT, XSS, believed, misconceptions=[STRIP_MYTH]).misconceptions


def test_preferring_something_else_to_a_wrong_claim_denies_it():
    prompt = "Should the new services keep the monolith's database?"
    said = "Give each service its own schema rather than keep the shared database."
    believed = "Honestly I'd keep the shared database and let Orders join customers."
    assert not grade(prompt, API, said, misconceptions=[SHARED_DB]).misconceptions
    assert grade(prompt, API, believed, misconceptions=[SHARED_DB]).misconceptions


def test_an_idea_called_insufficient_on_its_own_still_counts():
    answer = "Rate limiting alone isn't enough, so I'd also put a WAF in front."
    assert verdict(grade(API_PROMPT, API, answer), "Rate limiting") == "met"
