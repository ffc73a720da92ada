from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from grading.answer_check import samples_check
from grading.calibration import Graded, agreement
from questionbank.models import Kind, Question
from questionbank.selectors import CONTENT_RELATIONS, question_snapshot


class Command(BaseCommand):
    help = (
        "Grade every free-text question's sample answers and say which questions are "
        "calibrated (samples ranked in order, each within 15 of its human score)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--slug", help="only this question")
        parser.add_argument("--team", help="only this team's questions (team id or name)")
        parser.add_argument("--json", action="store_true", help="end with a JSON summary line")
        parser.add_argument("--quiet", action="store_true", help="print only the summary")

    def handle(self, *args, slug, team, quiet: bool, **options):
        questions = (
            Question.objects.filter(kind=Kind.FREE_TEXT)
            .select_related("topic")
            .prefetch_related(*CONTENT_RELATIONS, "samples")
            .order_by("topic__slug", "slug")
        )
        if slug:
            questions = questions.filter(slug=slug)
        if team:
            lookup = {"team_id": int(team)} if team.isdigit() else {"team__name": team}
            questions = questions.filter(**lookup)
        else:
            questions = questions.filter(team__isnull=True)
        if not questions:
            raise CommandError("No free-text questions match.")
        everything: list[Graded] = []
        by_kind: dict[str, list[Graded]] = {}
        calibrated = 0
        for question in questions:
            status, checks = samples_check(
                snapshot=question_snapshot(question), samples=question.samples.all()
            )
            graded = [Graded(c.kind, c.human, c.checked.score) for c in checks]
            calibrated += status.calibrated
            everything += graded
            for g in graded:
                by_kind.setdefault(g.label, []).append(g)
            if not quiet:
                mark = "calibrated" if status.calibrated else "NOT calibrated"
                self.stdout.write(f"{question.slug}: {mark}")
                for problem in status.problems[:4]:
                    self.stdout.write(f"    {problem}")
        summary = agreement(everything)
        self.stdout.write(
            f"\n{calibrated} of {len(questions)} question(s) calibrated; {summary.n} samples: "
            f"Pearson {summary.pearson:.3f}, Spearman {summary.spearman:.3f}, "
            f"MAE {summary.mae:.1f}, strong graded < 60: {summary.strong_low_share:.1%}, "
            f"wrong graded > 50: {summary.wrong_high_share:.1%}"
        )
        for kind, graded in sorted(by_kind.items()):
            mean_h = sum(g.human for g in graded) / len(graded)
            mean_s = sum(g.score for g in graded) / len(graded)
            self.stdout.write(
                f"  {kind:9} n={len(graded):3}  human mean {mean_h:5.1f}  graded mean {mean_s:5.1f}"
            )
        if options["json"]:
            self.stdout.write(
                _dumps({**summary.as_dict(), "calibrated": calibrated, "questions": len(questions)})
            )


def _dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True)
