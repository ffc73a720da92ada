"""The interview page's fragments: the question navigator and "Saved hh:mm:ss"."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import override_settings
from django.utils import timezone

from interviews.models import Answer
from interviews.templatetags.interview_tags import question_navigator, saved_status


def _answer(text="", choice=None, flagged=False) -> Answer:
    return Answer(saved_text=text, choice_index=choice, flagged=flagged, snapshot={})


def test_navigator_marks_answered_flagged_and_current():
    answers = [_answer("PUT is idempotent"), _answer(flagged=True), _answer(choice=2)]
    html = str(question_navigator(answers, 1))
    items = html.split("\n")
    assert items[0] == (
        '<li><a href="?q=0" class="answered" aria-current="false" '
        'aria-label="Question 1, answered">1</a></li>'
    )
    assert items[1] == (
        '<li><a href="?q=1" class="flagged" aria-current="step" '
        'aria-label="Question 2, flagged">2</a></li>'
    )
    assert 'class="answered"' in items[2] and 'aria-current="false"' in items[2]


def test_navigator_counts_whitespace_only_as_unanswered():
    html = str(question_navigator([_answer("   \n"), _answer("x", flagged=True)], 0))
    assert '<a href="?q=0" class="" aria-current="step" aria-label="Question 1">' in html
    assert 'class="answered flagged"' in html and "Question 2, answered, flagged" in html


@override_settings(TIME_ZONE="Europe/Paris")
def test_saved_status_shows_local_time_with_a_machine_readable_stamp():
    moment = datetime(2026, 12, 2, 9, 5, 7, tzinfo=UTC)
    with timezone.override("Europe/Paris"):
        html = str(saved_status(moment))
    assert html == 'Saved <time datetime="2026-12-02T10:05:07+01:00">10:05:07</time>'
