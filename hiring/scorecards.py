"""Scorecards: each reviewer's independent score per answer and hire recommendation.

The visibility rule, in one place (``may_see_others``): a draft is seen by its author
only; a reviewer (owner or reviewer role) sees the other reviewers' submitted cards for
a candidate only once their own card for that candidate is submitted; a viewer, who
cannot score and so has no judgement to keep independent, sees every submitted card.
A submitted card is final.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hiring.models import Invitation, Recommendation, Scorecard, ScorecardScore
from hiring.permissions import WRITE_ROLES
from hiring.services import HiringError
from interviews.models import Answer

HIRE = frozenset({Recommendation.STRONG_HIRE, Recommendation.HIRE})


class ScorecardFinal(HiringError):
    code = "scorecard_final"
    status_code = 409


class ScorecardIncomplete(HiringError):
    code = "scorecard_incomplete"


@dataclass(frozen=True)
class Reader:
    """Who is looking, and with which role in the candidate's team."""

    user: Any
    role: str

    @property
    def can_score(self) -> bool:
        return self.role in WRITE_ROLES


def may_see_others(*, reader: Reader, submitted: list[Scorecard]) -> bool:
    if not reader.can_score:
        return True
    return any(card.reviewer_id == reader.user.id for card in submitted)


# --------------------------------------------------------------------------- reads
@dataclass
class CardSummary:
    """One submitted scorecard as the team reads it."""

    scorecard: Scorecard
    by_answer: dict[int, int]  # answer id -> score

    @property
    def reviewer_name(self) -> str:
        return self.scorecard.reviewer.get_username()

    @property
    def overall(self) -> float | None:
        return mean(self.by_answer.values()) if self.by_answer else None


@dataclass
class CandidateCards:
    """A candidate's submitted scorecards that one reader may see."""

    cards: list[CardSummary] = field(default_factory=list)
    hidden: bool = False  # others' cards exist or may exist, but yours is not submitted

    @property
    def combined(self) -> float | None:
        """The mean of the visible reviewers' overall scores (unrounded; shown to 1 place)."""
        overalls = [c.overall for c in self.cards if c.overall is not None]
        return mean(overalls) if overalls else None

    @property
    def hire_votes(self) -> int:
        return sum(1 for c in self.cards if c.scorecard.recommendation in HIRE)

    @property
    def no_hire_votes(self) -> int:
        return len(self.cards) - self.hire_votes


def _summary(card: Scorecard) -> CardSummary:
    return CardSummary(scorecard=card, by_answer=card.scores_by_answer())


def _visible(submitted: list[Scorecard], *, reader: Reader) -> CandidateCards:
    if may_see_others(reader=reader, submitted=submitted):
        return CandidateCards(cards=[_summary(card) for card in submitted])
    return CandidateCards(hidden=True)


def _cards_queryset():
    return Scorecard.objects.select_related("reviewer").prefetch_related("scores")


def cards_for_set(*, invitation_ids: list[int], reader: Reader) -> dict[int, CandidateCards]:
    """Each candidate's visible submitted cards, in two queries whatever the count."""
    by_invitation: dict[int, list[Scorecard]] = {i: [] for i in invitation_ids}
    submitted = _cards_queryset().filter(
        invitation_id__in=invitation_ids, submitted_at__isnull=False
    )
    for card in submitted.order_by("submitted_at", "id"):
        by_invitation[card.invitation_id].append(card)
    return {i: _visible(cards, reader=reader) for i, cards in by_invitation.items()}


@dataclass
class SpreadRow:
    label: str
    title: str
    anchor: str
    scores: list[float | None]  # one per visible card, in card order

    @property
    def low(self) -> float | None:
        given = [s for s in self.scores if s is not None]
        return min(given) if given else None

    @property
    def high(self) -> float | None:
        given = [s for s in self.scores if s is not None]
        return max(given) if given else None


@dataclass
class ScorecardPanel:
    """The candidate page's scorecard section for one reader."""

    reader: Reader
    mine: Scorecard | None
    visible: CandidateCards
    rows: list[SpreadRow]
    overall: SpreadRow

    @property
    def submitted(self) -> bool:
        return self.mine is not None and self.mine.submitted_at is not None


def scorecard_panel(
    *, invitation: Invitation, reader: Reader, answers: list[Answer]
) -> ScorecardPanel:
    # the other reviewers' drafts are never read: only submitted cards and the reader's own
    cards = list(
        _cards_queryset()
        .filter(invitation=invitation)
        .filter(Q(submitted_at__isnull=False) | Q(reviewer_id=reader.user.id))
        .order_by("submitted_at", "id")
    )
    mine = next((c for c in cards if c.reviewer_id == reader.user.id), None)
    visible = _visible([c for c in cards if c.submitted_at is not None], reader=reader)
    rows = [
        SpreadRow(
            label=answer.label,
            title=answer.asked.title,
            anchor=f"answer-{answer.position}",
            scores=[c.by_answer.get(answer.id) for c in visible.cards],
        )
        for answer in answers
    ]
    overall = SpreadRow(
        label="Overall", title="", anchor="", scores=[c.overall for c in visible.cards]
    )
    return ScorecardPanel(reader=reader, mine=mine, visible=visible, rows=rows, overall=overall)


# --------------------------------------------------------------------------- writes
def scorecard_save(
    *,
    invitation: Invitation,
    reviewer,
    answers: list[Answer],
    scores: dict[int, int | None],
    recommendation: str,
    notes: str,
    submit: bool,
) -> Scorecard:
    """Save the reviewer's draft, and with ``submit`` make it final.

    ``scores`` maps answer ids of this candidate to a score (None: not scored yet).
    Submitting needs every answer scored and a recommendation. A submitted card is
    never changed again (``ScorecardFinal``).
    """
    session = getattr(invitation, "session", None)
    if session is None or session.finished_at is None:
        raise HiringError("This candidate has not finished the interview yet.")
    known = {answer.id for answer in answers}
    if not known.issuperset(scores):
        raise HiringError("A score was given for an answer this candidate did not write.")
    if recommendation and recommendation not in Recommendation.values:
        raise HiringError("Choose one of the four recommendations.")
    if submit:
        missing = [a.label for a in answers if scores.get(a.id) is None]
        if missing or not recommendation:
            needs = [f"score {', '.join(missing)}"] if missing else []
            needs += [] if recommendation else ["choose a recommendation"]
            raise ScorecardIncomplete(
                f"Not submitted: {' and '.join(needs)} first. Your entries are kept below."
            )
    with transaction.atomic():
        card, _created = Scorecard.objects.select_for_update().get_or_create(
            invitation=invitation, reviewer=reviewer
        )
        if card.submitted_at is not None:
            raise ScorecardFinal(
                "You have already submitted your scorecard for this candidate; "
                "a submitted scorecard is final and cannot be changed."
            )
        card.recommendation = recommendation
        card.notes = notes
        card.submitted_at = timezone.now() if submit else None
        card.save()
        ScorecardScore.objects.filter(scorecard=card).exclude(
            answer_id__in=[a for a, s in scores.items() if s is not None]
        ).delete()
        ScorecardScore.objects.bulk_create(
            [
                ScorecardScore(scorecard=card, answer_id=answer_id, score=score)
                for answer_id, score in scores.items()
                if score is not None
            ],
            update_conflicts=True,
            unique_fields=["scorecard", "answer"],
            update_fields=["score"],
        )
    return card
