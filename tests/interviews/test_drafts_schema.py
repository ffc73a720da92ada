"""The hand-written SQL (the autosave's UPDATE, the interview page's reads) names only
columns the models really have.

``interviews/drafts.py`` is the one statement written in SQL rather than through the
ORM (it checks session, status and deadline in the same statement that stores the
draft). If a model field is renamed, this test fails before any request does.
"""

from __future__ import annotations

import re

from interviews import drafts
from interviews.models import Answer, Session

SQL_WORDS = {"update", "set", "coalesce", "where", "and", "in", "select", "from", "returning"}


def _columns(model) -> set[str]:
    return {field.column for field in model._meta.concrete_fields}


def _named_in_statement() -> set[str]:
    sql = drafts._UPDATE.format(answer="answer_table", session="session_table", owner="")
    sql += " AND candidate_id = %s"  # the owner check added for signed-in candidates
    names = set(re.findall(r"\b([a-z_]+)\b", sql.lower()))
    return names - SQL_WORDS - {"answer_table", "session_table", "s"}


def test_every_column_the_autosave_names_exists():
    known = _columns(Answer) | _columns(Session)
    assert _named_in_statement() <= known, _named_in_statement() - known


def test_a_renamed_column_would_be_caught(monkeypatch):
    statement = drafts._UPDATE.replace("paste_count", "pastes_count")
    monkeypatch.setattr(drafts, "_UPDATE", statement)
    assert "pastes_count" in _named_in_statement() - (_columns(Answer) | _columns(Session))


def test_the_interview_page_reads_name_real_columns():
    from interviews import selectors

    columns = selectors._answer_columns_but_snapshot()
    for sql in (selectors.SESSION_BY_ID, selectors.ANSWERS_OF_SESSION):
        text = sql.format(session="session_table", answer="answer_table", columns=columns)
        names = set(re.findall(r"\b([a-z_]+)\b", text.lower())) - SQL_WORDS
        names -= {"answer_table", "session_table", "s", "by", "order", "case", "when", "then"}
        names -= {"end", "as"}
        known = _columns(Answer) | _columns(Session)
        assert names <= known, names - known
