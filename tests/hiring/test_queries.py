"""Listing pages cost the same number of queries for 1 candidate as for 5."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grading.models import Grade
from hiring import services
from tests.hiring.conftest import completed_candidate, make_invitation

pytestmark = pytest.mark.django_db


def _pages(world) -> list[tuple[str, dict]]:
    s = world.interview_set
    return [
        (reverse("hiring:results", args=[s.id]), {}),
        (reverse("hiring:results", args=[s.id]), {"HX-Request": "true"}),
        (reverse("hiring:results_csv", args=[s.id]), {}),
        (reverse("hiring:results_json", args=[s.id]), {}),
        (reverse("hiring:invitations", args=[s.id]), {}),
        (reverse("hiring:team", args=[world.team_a.slug]), {}),
        (reverse("hiring:teams"), {}),
        (reverse("hiring:queue", args=[world.team_a.slug]), {}),
        (reverse("hiring:builder", args=[s.id]), {}),
    ]


def _add_candidate(world, n: int) -> None:
    _invitation, session = completed_candidate(world.interview_set, name=f"Candidate {n}")
    make_invitation(world.interview_set, name=f"Pending {n}")
    # Flag one answer each and give another a human grade, so every branch is exercised.
    first, second = list(session.answers.order_by("position"))[:2]
    Grade.objects.filter(answer=first).update(needs_review=True)
    services.answer_override(answer=second, reviewer=world.owner, score=50, comment="ok")


def _count(client, url: str, headers: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("blind", [False, True])
def test_listing_pages_have_a_fixed_query_count(world, client, django_assert_num_queries, blind):
    client.force_login(world.owner)
    if blind:
        client.post(reverse("hiring:blind_toggle", args=[world.interview_set.id]), {"blind": "on"})
    _add_candidate(world, 1)
    client.get(reverse("hiring:teams"))  # the team menu's answer is cached from here on
    baseline = {(url, str(h)): _count(client, url, h) for url, h in _pages(world)}
    for n in range(2, 6):
        _add_candidate(world, n)
    for url, headers in _pages(world):
        with django_assert_num_queries(baseline[(url, str(headers))], info=url):
            response = client.get(url, headers=headers)
        assert response.status_code == 200


def test_candidate_page_query_count_does_not_grow_with_overrides(
    world, client, django_assert_num_queries
):
    invitation, session = completed_candidate(world.interview_set, name="Quinn")
    client.force_login(world.owner)
    url = reverse("hiring:candidate", args=[invitation.id])
    client.get(url)  # the team menu's answer is cached from here on
    baseline = _count(client, url, {})
    for answer in session.answers.all():
        for score in (10, 20, 30):
            services.answer_override(answer=answer, reviewer=world.owner, score=score, comment="x")
    with django_assert_num_queries(baseline):
        client.get(url)
