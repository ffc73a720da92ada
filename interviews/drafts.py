"""The autosave write: one SQL statement that checks the session and stores the draft.

Autosave is the busiest request in the product (every few seconds per candidate). Through
the ORM it needed a SELECT of the session before the UPDATE, and Django spent more CPU
compiling that UPDATE (a join turned into a subquery, six F() expressions) than
PostgreSQL spent running it. Here the access, status and deadline checks live in the
UPDATE's WHERE clause, so a save cannot land in a session that closed a moment earlier,
and RETURNING hands back the deadline for the page's clock. The statement is plain SQL
that PostgreSQL and SQLite (3.35 or later) both run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.utils.dateparse import parse_datetime

from interviews.models import Answer, Session, SessionStatus


@dataclass(frozen=True)
class Counters:
    """Integrity counters a save adds to (they never go down)."""

    seconds: int = 0
    pastes: int = 0
    pasted_chars: int = 0
    hidden: int = 0


_UPDATE = """
UPDATE {answer} SET
    saved_at = %s,
    revision = revision + 1,
    saved_text = COALESCE(%s, saved_text),
    choice_index = COALESCE(%s, choice_index),
    time_spent_seconds = time_spent_seconds + %s,
    paste_count = paste_count + %s,
    paste_chars = paste_chars + %s,
    hidden_count = hidden_count + %s
WHERE session_id = %s AND position = %s AND session_id IN (
    SELECT id FROM {session}
    WHERE id = %s AND status = %s AND deadline >= %s {owner}
)
RETURNING (SELECT deadline FROM {session} WHERE id = %s), revision
"""


@dataclass(frozen=True)
class Written:
    deadline: datetime
    # The answer's revision after this save: the page uses it to tell whether a page it
    # loads is older than a save it already saw succeed.
    revision: int


def write(
    *,
    session_id: int,
    position: int,
    candidate_id: int | None,
    now: datetime,
    open_after: datetime,
    text: str | None,
    choice_index: int | None,
    counters: Counters,
) -> Written | None:
    """Store the draft; return the session's deadline and the answer's new revision, or
    None if nothing was written.

    Nothing is written when the answer does not exist, the session is closed, its
    deadline is before ``open_after``, or (with ``candidate_id``) it is someone else's.
    """
    sql = _UPDATE.format(
        answer=Answer._meta.db_table,
        session=Session._meta.db_table,
        owner="AND candidate_id = %s" if candidate_id is not None else "",
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        adapt(now),
        text,
        choice_index,
        counters.seconds,
        counters.pastes,
        counters.pasted_chars,
        counters.hidden,
        session_id,
        position,
        session_id,
        SessionStatus.IN_PROGRESS.value,
        adapt(open_after),
        *([candidate_id] if candidate_id is not None else []),
        session_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else Written(deadline=_aware(row[0]), revision=row[1])


def _aware(value: datetime | str) -> datetime:
    # A value computed by a subquery carries no column type, so SQLite returns it as the
    # text it stores (UTC); PostgreSQL returns a timezone-aware datetime.
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        raise ValueError(f"not a date and time: {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
