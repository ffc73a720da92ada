"""Split an answer into plain and highlighted segments from a grade's evidence spans.

Templates render the segments with autoescaping on, so candidate text is never HTML.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    text: str
    verdict: str = ""  # "" for plain text, else met / partial / contradicted / misconception
    label: str = ""
    ref: str = ""  # which rubric row (or wrong claim) the highlight belongs to


def evidence_segments(text: str, verdicts: list[dict]) -> list[Segment]:
    spans: list[tuple[int, int, str, str, str]] = []
    for index, verdict in enumerate(verdicts or []):
        ref = verdict.get("ref", f"c{index}")
        for start, end in verdict.get("spans", []):
            if 0 <= start < end <= len(text):
                kind, label = verdict.get("verdict", "met"), verdict.get("label", "")
                spans.append((start, end, kind, label, ref))
    spans.sort()
    segments: list[Segment] = []
    cursor = 0
    for start, end, kind, label, ref in spans:
        if start < cursor:  # overlapping evidence: keep the first highlight
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], kind, label, ref))
        cursor = end
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments


# What the grader's flags mean, in words a candidate understands.
FLAG_TEXT = {
    "empty": "No answer was given.",
    "prompt_copy": "The answer mostly repeats the question; repeated question words earn nothing.",
    "keyword_stuffing": "Terms listed without explanation count for at most half.",
    "addressed_to_grader": "Sentences addressed to the grader were ignored.",
    "repetition": "Repeated sentences were counted once.",
    "off_topic": "None of the rubric's ideas were found.",
    "misconception": "The answer makes a claim that is wrong (explained above).",
    "required_idea_missed": "A required idea was not found, so the score is capped at 50; "
    "a reviewer will check whether you said it in other words.",
    "no_rubric": "This question has no rubric, so it could not be graded automatically.",
}


def flag_sentences(flags: list[str]) -> list[str]:
    return [FLAG_TEXT[f] for f in flags if f in FLAG_TEXT]
