from __future__ import annotations

import json
import math

from django.core.management.base import BaseCommand, CommandError

from grading.agreement import GRADERS, LlmAgreementReport, llm_agreement, samples_to_grade
from grading.answer_check import samples_check
from grading.calibration import Graded, agreement
from questionbank.models import Kind, Question
from questionbank.selectors import CONTENT_RELATIONS, question_snapshot


class Command(BaseCommand):
    help = (
        "Grade every free-text question's sample answers and say which questions are "
        "calibrated (samples ranked in order, each within 15 of its human score). With "
        "--llm, measure the keyword grader, the LLM and the combined grade on them instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--slug", help="only this question")
        parser.add_argument("--team", help="only this team's questions (team id or name)")
        parser.add_argument("--json", action="store_true", help="end with a JSON summary line")
        parser.add_argument("--quiet", action="store_true", help="print only the summary")
        parser.add_argument(
            "--llm",
            action="store_true",
            help="also ask the configured LLM about each sample and compare the keyword, LLM "
            "and combined grades with the human scores (calls the model once per sample)",
        )
        parser.add_argument("--limit", type=int, help="with --llm: grade at most this many samples")
        parser.add_argument(
            "--concurrency",
            type=int,
            default=1,
            help="with --llm: how many calls to the model at a time (default 1)",
        )

    def handle(self, *args, slug, team, quiet: bool, **options):
        if options["llm"]:
            _check_llm_options(limit=options["limit"], concurrency=options["concurrency"])
        elif options["limit"] is not None or options["concurrency"] != 1:
            raise CommandError("--limit and --concurrency go with --llm.")
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
        if options["llm"]:
            self._handle_llm(
                questions,
                limit=options["limit"],
                concurrency=options["concurrency"],
                quiet=quiet,
                as_json=options["json"],
            )
            return
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

    def _handle_llm(self, questions, *, limit, concurrency, quiet: bool, as_json: bool) -> None:
        from grading.llm_service import llm_config

        samples = samples_to_grade(questions, limit=limit)
        if not samples:
            raise CommandError("The matching questions have no sample answers.")
        config = llm_config()
        step = max(len(samples) // 10, 1)

        def progress(done: int) -> None:
            if not quiet and (done % step == 0 or done == len(samples)):
                self.stderr.write(f"  {done} of {len(samples)} sample(s) graded")

        self.stdout.write(
            f"Asking {config.model} about {len(samples)} sample(s), "
            f"{concurrency} call(s) at a time..."
        )
        report = llm_agreement(
            samples, config=config, concurrency=concurrency, on_progress=progress
        )
        self._write_llm_report(report, quiet=quiet)
        if as_json:
            self.stdout.write(_dumps(report.as_dict()))

    def _write_llm_report(self, report: LlmAgreementReport, *, quiet: bool) -> None:
        write = self.stdout.write
        write(
            f"\n{report.graders['keyword'].n} samples from {report.questions} question(s), "
            f"model {report.model}:"
        )
        write(
            f"  {'grader':9} {'n':>4} {'Pearson':>8} {'MAE':>6} {'strong<60':>10} {'wrong>50':>9}"
        )
        for name in GRADERS:
            figures = report.graders[name]
            write(
                f"  {name:9} {figures.n:>4} {_fixed(figures.pearson, 3):>8} "
                f"{_fixed(figures.mae, 1):>6} {_share(figures.strong_low_share):>10} "
                f"{_share(figures.wrong_high_share):>9}"
            )
        calls = report.calls
        failures = ", ".join(f"{code} {count}" for code, count in sorted(calls.failures.items()))
        write(
            f"LLM calls: {calls.made} made, {calls.failed} failed"
            + (f" ({failures})" if failures else "")
            + f", {calls.sent_to_review} answered but sent to review"
        )
        write(
            f"Tokens: {calls.prompt_tokens} prompt, {calls.completion_tokens} completion "
            f"({_fixed(calls.per_call(calls.prompt_tokens), 1)} and "
            f"{_fixed(calls.per_call(calls.completion_tokens), 1)} per call)"
        )
        write(
            f"Time per call: mean {_fixed(calls.mean_ms, 0)} ms, p95 {_fixed(calls.p95_ms, 0)} ms; "
            f"{calls.wall_seconds:.1f} s in all"
        )
        if quiet:
            return
        write("Mean score by sample kind (human, keyword, LLM, combined):")
        for kind in report.by_kind:
            means = "  ".join(f"{_fixed(kind.graders[name], 1):>5}" for name in GRADERS)
            write(f"  {kind.kind:9} n={kind.n:3}  {kind.human:5.1f}  {means}")


def _check_llm_options(*, limit: int | None, concurrency: int) -> None:
    # Imported here: the plain calibration must not depend on the LLM wiring.
    from grading.llm_queue import llm_configured

    if not llm_configured():
        raise CommandError(
            "No LLM is configured: set GRADING_LLM_MODEL and OPENAI_API_KEY (any string "
            "for a local server), and OPENAI_BASE_URL for any server but OpenAI's. "
            "See docs/operations.md, 'Running against a local model'."
        )
    if limit is not None and limit < 1:
        raise CommandError("--limit must be at least 1.")
    if concurrency < 1:
        raise CommandError("--concurrency must be at least 1.")


def _fixed(x: float, digits: int) -> str:
    return "-" if math.isnan(x) else f"{x:.{digits}f}"


def _share(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.1%}"


def _dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True)
