"""A set's ranked results as CSV (spreadsheets) and JSON (the team's own tools).

Scorecards appear as the results page shows them to the person exporting: submitted
ones only, and for a candidate only once the exporter's own card for them is submitted
(a viewer, who cannot score, gets every submitted card). Scorecard notes are exported
as ``internal_comment``: for the team, never for the candidate.
"""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from hiring.selectors import CandidateRow, Ranking, grade_source

# A cell starting with one of these is a formula to a spreadsheet: neutralise it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def as_shown(value: float | None, places: int) -> float | int | None:
    """A score rounded as the results page shows it (half up, like ``floatformat``)."""
    if value is None:
        return None
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(rounded) if places == 0 else float(rounded)


def _iso(moment) -> str:
    return moment.isoformat() if moment else ""


def ranking_rows(ranking: Ranking) -> list[dict]:
    """One plain record per candidate, best first; shared by both formats."""
    records = []
    for row in ranking.rows:
        records.append(
            {
                "rank": row.rank,
                "invitation_id": row.invitation.id,
                "name": row.name,  # a pseudonym under blind review
                "email": row.email,
                "status": row.status,
                "version": row.version_number,
                "started_at": _iso(row.session.started_at if row.session else None),
                "finished_at": _iso(row.finished_at),
                "final_score": as_shown(row.score, 1),
                "scores": {
                    str(column.question_id): (
                        as_shown(cell, 0) if isinstance(cell, float | int) else None
                    )
                    for column, cell in zip(ranking.columns, row.cells, strict=True)
                },
                "grade_source": {
                    str(r.answer.asked.id): grade_source(r) or None for r in row.results
                },
                "combined_score": as_shown(row.reviews.combined, 1),
                # True: the exporter has not submitted their own card, so others stay hidden
                "scorecards_hidden": row.reviews.hidden,
                "scorecards": _scorecards(row),
                "graded": row.graded,
                "questions_asked": len(row.results),
                "needs_review": row.needs_review,
                "hidden_count": row.hidden_count,
                "paste_count": row.paste_count,
                "paste_chars": row.paste_chars,
                "seconds": row.seconds,
            }
        )
    return records


def _scorecards(row: CandidateRow) -> list[dict]:
    question_of = {r.answer.id: str(r.answer.asked.id) for r in row.results}
    return [
        {
            "reviewer": card.reviewer_name,
            "recommendation": card.scorecard.recommendation,
            "overall": as_shown(card.overall, 1),
            "scores": {
                question_of[answer_id]: score
                for answer_id, score in card.by_answer.items()
                if answer_id in question_of
            },
            "internal_comment": card.scorecard.notes,
            "submitted_at": _iso(card.scorecard.submitted_at),
        }
        for card in row.reviews.cards
    ]


def ranking_json(ranking: Ranking) -> dict:
    interview_set = ranking.interview_set
    return {
        "set": {
            "id": interview_set.id,
            "title": interview_set.title,
            "team": interview_set.team.slug,
        },
        "questions": [
            {"id": c.question_id, "label": c.label, "title": c.title} for c in ranking.columns
        ],
        "candidates": ranking_rows(ranking),
    }


def _card_cells(card: dict | None, questions: list[str]) -> list:
    """One reviewer's CSV cells: recommendation, overall, a score per question, comment."""
    if card is None:
        return ["", "", *("" for _ in questions), ""]
    scores = (card["scores"].get(q) for q in questions)
    return [card["recommendation"], card["overall"], *scores, card["internal_comment"]]


def ranking_csv(ranking: Ranking) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    fixed = ["rank", "name", "email", "status", "version", "started_at", "finished_at"]
    extra = ["graded", "needs_review", "hidden_count", "paste_count", "paste_chars", "seconds"]
    records = ranking_rows(ranking)
    # one group of columns per reviewer with a visible submitted card, in name order
    reviewers = sorted({card["reviewer"] for r in records for card in r["scorecards"]})
    questions = [str(c.question_id) for c in ranking.columns]
    labels = [c.label for c in ranking.columns]
    writer.writerow(
        [
            *fixed,
            "final_score",
            *(f"{c.label} {c.title}" for c in ranking.columns),
            *(f"grade_source {c.label}" for c in ranking.columns),
            "combined_score",
            *(
                f"scorecard {name} {part}"
                for name in reviewers
                for part in ("recommendation", "overall", *labels, "internal_comment")
            ),
            *extra,
        ]
    )
    for record in records:
        cards = {card["reviewer"]: card for card in record["scorecards"]}
        reviewer_cells = [
            cell for name in reviewers for cell in _card_cells(cards.get(name), questions)
        ]
        writer.writerow(
            [
                *(_safe(record[key]) for key in fixed),
                _safe(record["final_score"]),
                *(_safe(record["scores"][q]) for q in questions),
                *(_safe(record["grade_source"].get(q)) for q in questions),
                _safe("hidden" if record["scorecards_hidden"] else record["combined_score"]),
                *(_safe(cell) for cell in reviewer_cells),
                *(_safe(record[key]) for key in extra),
            ]
        )
    return out.getvalue()
