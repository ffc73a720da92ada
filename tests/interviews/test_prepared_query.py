"""config.prepared: the interview page's query, compiled once, gives what the ORM gives."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.db.models.sql.compiler import SQLCompiler

from config.prepared import PreparedJoin
from interviews.models import Answer

pytestmark = pytest.mark.django_db


def _answers_by_session():
    return PreparedJoin(
        lambda session_id: Answer.objects.filter(session_id=session_id).order_by("position"),
        parent="session",
    )


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_fetch_matches_the_orm_field_for_field(session):
    Answer.objects.filter(session=session, position=1).update(
        saved_text="PUT is idempotent", choice_index=None
    )
    expected = list(
        Answer.objects.filter(session_id=session.id).select_related("session").order_by("position")
    )

    answers = _answers_by_session().fetch(session.id)

    assert [_fields(a) for a in answers] == [_fields(a) for a in expected]
    assert isinstance(answers[0].snapshot, dict)  # JSON decoded, as the ORM does
    assert answers[0].session.deadline == session.deadline  # an aware datetime
    assert _fields(answers[0].session) == _fields(expected[0].session)


def test_the_parent_is_shared_and_reading_it_runs_no_query(session, django_assert_num_queries):
    query = _answers_by_session()
    with django_assert_num_queries(1):
        answers = query.fetch(session.id)
        parents = {id(a.session) for a in answers}
    assert len(parents) == 1
    assert not answers[0]._state.adding and answers[0]._state.db == "default"


def test_compiled_once_then_only_run(session, monkeypatch):
    query = _answers_by_session()
    query.fetch(session.id)
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )

    assert len(query.fetch(session.id)) == len(query.fetch(session.id))
    assert compiled == []


def test_unknown_value_gives_nothing(db):
    assert _answers_by_session().fetch(987_654_321) == []


def test_a_query_that_uses_its_value_twice_is_refused(db):
    both = PreparedJoin(
        lambda sid: Answer.objects.filter(Q(session_id=sid) | Q(question_id=sid)), parent="session"
    )
    with pytest.raises(ValueError, match="exactly once"):
        both.fetch(1)
