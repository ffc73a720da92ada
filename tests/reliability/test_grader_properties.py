"""Properties of the pure keyword grader, over generated rubrics and answers (hypothesis).

- it never raises, whatever the text (any Unicode, markup, huge repeats) and rubric;
- the score is within [0, 100] (and confidence and credits within [0, 1]);
- the same input gives the same output, also through freshly built equal criteria;
- repeating, as a new sentence, the keyword phrase of a criterion the answer already
  meets never lowers the score (a restating sentence is left out of the stuffing checks;
  the pinned example is the case that once tripped the stuffing cap).

Example counts are kept modest so the whole suite stays fast; the structured strategies
make each example count.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from grading.rubric import Criterion, grade

FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

# Words a backend answer is made of, so generated text actually hits and misses rubrics.
TECH = [
    "cache", "invalidation", "replica", "primary", "lag", "idempotent", "retry", "key",
    "transaction", "isolation", "lock", "index", "query", "shard", "partition", "queue",
    "consumer", "offset", "timeout", "backoff", "jitter", "token", "session", "stateless",
    "request", "response", "latency", "throughput", "consistency", "eventual", "quorum",
    "leader", "election", "snapshot", "rollback", "deadlock", "read", "write", "TTL",
    "PUT", "DELETE", "POST", "HTTP", "REST", "same", "state", "safe", "server", "client",
]  # fmt: skip
GLUE = [
    "the", "a", "is", "are", "and", "or", "not", "never", "because", "so", "when", "it",
    "we", "each", "with", "without", "after", "before", "can", "should", "does", "no",
]  # fmt: skip

word = st.sampled_from(TECH)
phrase = st.lists(word, min_size=1, max_size=3).map(" ".join)
criterion = st.builds(
    Criterion,
    label=st.text(min_size=1, max_size=30),
    keywords=st.lists(phrase, min_size=1, max_size=3).map(tuple),
    weight=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
    required=st.booleans(),
)
rubric = st.lists(criterion, min_size=1, max_size=5).map(tuple)
sentence = st.lists(st.one_of(word, st.sampled_from(GLUE)), min_size=2, max_size=14).map(
    lambda words: " ".join(words).capitalize() + "."
)
answer_text = st.lists(sentence, min_size=0, max_size=8).map(" ".join)
prompt = st.lists(word, min_size=3, max_size=12).map(lambda w: " ".join(w) + "?")

# Anything at all: Unicode of every category, markup, control characters, odd weights.
wild_criterion = st.builds(
    Criterion,
    label=st.text(max_size=40),
    keywords=st.lists(st.text(max_size=30), max_size=4).map(tuple),
    weight=st.floats(min_value=-5, max_value=50, allow_nan=False),
    required=st.booleans(),
)
wild_text = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=12), st.integers(1, 300)),
    st.sampled_from(["", " ", "\n\n", "<script>alert(1)</script>", "\u202e\u200b\x00", "🚀" * 50]),
)


def check_bounds(result, criteria, text) -> None:
    assert 0.0 <= result.score <= 100.0
    assert 0.0 <= result.confidence <= 1.0
    assert len(result.verdicts) == len(criteria)
    for verdict in result.verdicts:
        assert verdict.verdict in {"met", "partial", "missed", "contradicted"}
        assert 0.0 <= verdict.credit <= 1.0
        for start, end in verdict.spans:
            assert 0 <= start < end <= len(text)


@FAST
@given(prompt=st.text(max_size=200), criteria=st.lists(wild_criterion, max_size=5), text=wild_text)
def test_never_raises_and_stays_in_bounds_on_anything(prompt, criteria, text):
    check_bounds(grade(prompt, criteria, text), criteria, text)


@FAST
@given(prompt=prompt, criteria=rubric, text=answer_text)
def test_bounds_and_same_input_same_output(prompt, criteria, text):
    first = grade(prompt, criteria, text)
    check_bounds(first, criteria, text)
    assert grade(prompt, criteria, text) == first
    rebuilt = tuple(Criterion(c.label, tuple(c.keywords), c.weight, c.required) for c in criteria)
    assert grade(prompt, list(rebuilt), text) == first


@settings(FAST)
@given(prompt=prompt, criteria=rubric, text=answer_text, data=st.data())
def test_restating_a_met_criterion_never_lowers_the_score(prompt, criteria, text, data):
    before = grade(prompt, criteria, text)
    met = [v for v in before.verdicts if v.verdict == "met" and v.matched]
    assume(met)
    verdict = data.draw(st.sampled_from(met), label="met criterion")
    restated = f"{text} {verdict.matched.capitalize()}."
    after = grade(prompt, criteria, restated)
    assert after.score >= before.score, (
        f"restating {verdict.matched!r} ({verdict.label!r}) lowered the score "
        f"{before.score} -> {after.score}; flags {before.flags} -> {after.flags}"
    )


# A real question from the bundled bank (architecture-scaling-autoscaling-policy), trimmed.
AUTOSCALING_PROMPT = (
    "Your stateless API runs on a cloud instance group. Its traffic doubles every weekday "
    "afternoon and occasionally spikes tenfold after a marketing email. How would you "
    "configure **auto-scaling** for it? Cover which signals to scale on and what can go wrong."
)
AUTOSCALING = (
    Criterion(
        "Target tracking on a metric that reflects load",
        ("target tracking", "average cpu", "requests per second", "queue depth", "p95 latency"),
        3.0,
        True,
    ),
    Criterion(
        "Sets minimum and maximum instance counts", ("minimum and maximum", "min and max"), 2
    ),
    Criterion("Removes capacity slowly with a cooldown", ("cooldown", "flapping"), 2),
    Criterion("Accounts for warm-up time and keeps headroom", ("warm-up", "headroom"), 2),
    Criterion(
        "Scheduled capacity ahead of known peaks", ("scheduled scaling", "pre-scale"), 3, True
    ),
    Criterion("Names risks", ("connection draining", "bottleneck", "runaway cost"), 2),
)


def test_restating_a_met_keyword_in_a_real_answer_keeps_the_score():
    text = "Queue workers scale on queue depth or message age."
    before = grade(AUTOSCALING_PROMPT, AUTOSCALING, text)
    assert before.verdicts[0].verdict == "met" and before.verdicts[0].matched == "queue depth"
    after = grade(AUTOSCALING_PROMPT, AUTOSCALING, f"{text} Queue depth.")
    assert after.score >= before.score, (before.score, after.score, after.flags)
