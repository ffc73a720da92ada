"""Moving the hiring models from interviews to hiring keeps every row.

The database is taken back to the schema before the move, filled through the
historical models, and migrated forward; the current models must then find every team,
set, invitation, session and grade, with their links intact.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from grading.models import Grade
from hiring.models import InterviewSet, Invitation, Membership, Team
from interviews.models import Session
from questionbank.models import Question

BEFORE_MOVE = [
    ("interviews", "0004_blind_review"),
    ("questionbank", "0003_baseline_fingerprints"),
    ("grading", "0003_misconceptions_review_reasons"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _populate(apps) -> dict:
    User = apps.get_model("auth", "User")
    Topic = apps.get_model("questionbank", "Topic")
    Question_ = apps.get_model("questionbank", "Question")
    Team_ = apps.get_model("interviews", "Team")
    Membership_ = apps.get_model("interviews", "Membership")
    Set = apps.get_model("interviews", "InterviewSet")
    Item = apps.get_model("interviews", "InterviewSetItem")
    Version = apps.get_model("interviews", "InterviewSetVersion")
    Invitation_ = apps.get_model("interviews", "Invitation")
    BlindReview = apps.get_model("interviews", "BlindReview")
    Session_ = apps.get_model("interviews", "Session")
    Answer = apps.get_model("interviews", "Answer")
    Grade_ = apps.get_model("grading", "Grade")

    owner = User.objects.create(username="owner")
    team = Team_.objects.create(name="Platform", slug="platform")
    Membership_.objects.create(team=team, user=owner, role="owner")
    topic = Topic.objects.create(slug="caching", name="Caching")
    private = Question_.objects.create(
        slug="platform-cache-question", title="Our cache", level="mid", topic=topic, team=team
    )
    interview_set = Set.objects.create(team=team, title="Backend screen", created_by=owner)
    Item.objects.create(interview_set=interview_set, question=private, position=0)
    BlindReview.objects.create(user=owner, interview_set=interview_set)
    version = Version.objects.create(
        interview_set=interview_set,
        number=1,
        title="Backend screen",
        time_limit_minutes=30,
        question_ids=[private.id],
        fingerprint="f" * 64,
    )
    now = timezone.now()
    invitation = Invitation_.objects.create(
        interview_set=interview_set,
        token_hash="a" * 64,
        name="Ada",
        status="completed",
        expires_at=now + timedelta(days=3),
    )
    session = Session_.objects.create(
        kind="invited",
        invitation=invitation,
        set_version=version,
        title="Backend screen",
        deadline=now + timedelta(minutes=30),
        status="submitted",
    )
    answer = Answer.objects.create(
        session=session, position=0, question=private, snapshot={}, kind="free_text"
    )
    grade = Grade_.objects.create(answer=answer, kind="keyword", grader_version="k", score=70)
    return {
        "team": team.id,
        "set": interview_set.id,
        "question": private.id,
        "version": version.id,
        "invitation": invitation.id,
        "session": session.id,
        "grade": grade.id,
    }


@pytest.mark.django_db(transaction=True)
def test_moving_hiring_models_keeps_every_row_and_link():
    executor = _migrate([("hiring", None), *BEFORE_MOVE])
    ids = _populate(executor.loader.project_state(BEFORE_MOVE).apps)

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(latest)
    assert not MigrationExecutor(connection).migration_plan(latest)

    team = Team.objects.get(id=ids["team"])
    assert team.slug == "platform"
    assert Membership.objects.get(team=team).role == "owner"
    interview_set = InterviewSet.objects.get(id=ids["set"])
    assert interview_set.team == team
    assert [i.question_id for i in interview_set.items.all()] == [ids["question"]]
    assert interview_set.blind_reviews.count() == 1
    assert Question.objects.get(id=ids["question"]).team == team
    invitation = Invitation.objects.get(id=ids["invitation"])
    assert invitation.interview_set == interview_set
    session = Session.objects.get(id=ids["session"])
    assert session.invitation == invitation and invitation.session == session
    assert session.set_version_id == ids["version"]
    assert Grade.objects.get(id=ids["grade"]).answer.session == session
    # the admin's content types (permissions, history) now name the hiring app
    assert ContentType.objects.get_for_model(Team).app_label == "hiring"
    assert not ContentType.objects.filter(app_label="interviews", model="team").exists()
    # new rows keep numbering after the moved ones
    assert Team.objects.create(name="Data", slug="data").id > ids["team"]
