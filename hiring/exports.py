"""A set's ranked results as CSV (spreadsheets) and JSON (the team's own tools)."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from hiring.selectors import Ranking

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
        session = row.session
        records.append(
            {
                "rank": row.rank,
                "invitation_id": row.invitation.id,
                "name": row.name,  # a pseudonym under blind review
                "email": row.email,
                "status": row.status,
                "version": row.version_number,
                "started_at": _iso(session.started_at if session else None),
                "finished_at": _iso(session.finished_at if session else None),
                "final_score": as_shown(row.score, 1),
                "scores": {
                    str(column.question_id): (
                        as_shown(cell, 0) if isinstance(cell, float | int) else None
                    )
                    for column, cell in zip(ranking.columns, row.cells, strict=True)
                },
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


def ranking_csv(ranking: Ranking) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    fixed = ["rank", "name", "email", "status", "version", "started_at", "finished_at"]
    extra = ["graded", "needs_review", "hidden_count", "paste_count", "paste_chars", "seconds"]
    writer.writerow(
        [*fixed, "final_score", *(f"{c.label} {c.title}" for c in ranking.columns), *extra]
    )
    for record in ranking_rows(ranking):
        scores = [record["scores"][str(c.question_id)] for c in ranking.columns]
        writer.writerow(
            [
                *(_safe(record[key]) for key in fixed),
                _safe(record["final_score"]),
                *(_safe(s) for s in scores),
                *(_safe(record[key]) for key in extra),
            ]
        )
    return out.getvalue()
