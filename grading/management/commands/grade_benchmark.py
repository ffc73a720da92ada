"""Grade a CSV of reference-scored answers with the keyword grader and report agreement.

    python manage.py grade_benchmark --csv FILE [--json] [--out FILE]

The CSV needs the columns ``question``, ``desired_answer`` and ``student_answer``, and
optionally ``score_avg`` (a human score 0-5); other columns pass through to ``--out``.
Each distinct (question, desired answer) gets a rubric from ``suggest_rubric``; every
answer is graded with ``grade``. Rows whose ``score_avg`` is empty are graded and
written but left out of the metrics.

``--cv`` also reports question-level cross-validation: the scoring curve and the weight
of the question-terms criterion are tuned on half of the questions and measured on the
other half (both ways, ten random splits), and, when an ``id`` column like
``3.4`` exists, tuned on all assignments but one and measured on that one.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import math
import random
import statistics
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grading import autorubric, rubric
from grading.autorubric import suggest_rubric
from grading.metrics import pearson, quadratic_weighted_kappa, rmse, round_half_up, spearman
from grading.rubric import grade

REQUIRED_COLUMNS = ("question", "desired_answer", "student_answer")
HUMAN_COLUMN = "score_avg"
METRIC_KEYS = ("pearson", "spearman", "qwk", "rmse", "n", "answers_per_second")


def to_five(score: float) -> float:
    """The grader's 0-100 score on the human 0-5 scale (linear)."""
    return score / 20.0


def benchmark_rows(rows: list[dict[str, str]]) -> tuple[list[float], dict[str, float | int]]:
    """Grade every row; return the 0-100 scores (in row order) and the metrics.

    Metrics compare ``score/20`` with ``score_avg`` over rows that have one: Pearson,
    Spearman, quadratic weighted kappa on both rounded to integers 0-5 (halves round
    up), RMSE; ``answers_per_second`` covers building the rubrics and grading.
    """
    rubrics: dict[tuple[str, str], list] = {}
    scores: list[float] = []
    profile = rubric.auto_rubric_profile()
    start = time.perf_counter()
    for row in rows:
        key = (row["question"], row["desired_answer"])
        criteria = rubrics.get(key)
        if criteria is None:
            criteria = rubrics[key] = suggest_rubric(*key)
        scores.append(grade(key[0], criteria, row["student_answer"], profile=profile).score)
    elapsed = time.perf_counter() - start

    predicted: list[float] = []
    human: list[float] = []
    for line, (row, score) in enumerate(zip(rows, scores), start=2):
        raw = (row.get(HUMAN_COLUMN) or "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError as exc:
            raise CommandError(f"line {line}: {HUMAN_COLUMN} {raw!r} is not a number") from exc
        predicted.append(to_five(score))
        human.append(value)

    n = len(human)
    if n >= 2:
        metrics: dict[str, float | int] = dict(agreement(predicted, human))
    else:
        metrics = dict.fromkeys(("pearson", "spearman", "qwk", "rmse"), math.nan)
    metrics["n"] = n
    metrics["answers_per_second"] = len(rows) / elapsed if elapsed > 0 else math.nan
    return scores, metrics


def agreement(predicted: list[float], human: list[float]) -> dict[str, float]:
    """Pearson, Spearman, QWK and RMSE of 0-5 predictions against human scores."""
    return {
        "pearson": pearson(predicted, human),
        "spearman": spearman(predicted, human),
        "qwk": quadratic_weighted_kappa(
            [round_half_up(x) for x in predicted], [round_half_up(x) for x in human], 0, 5
        ),
        "rmse": rmse(predicted, human),
    }


# What --cv tunes: module constants that shape the curve, never per-question settings.
CV_GRID = {
    (rubric, "SATURATION"): (0.6, 0.7, 0.8, 0.9, 1.0),
    (rubric, "CURVE"): (0.3, 0.4, 0.5, 0.7, 1.0),
    (autorubric, "PROMPT_TERMS_WEIGHT"): (0.0, 0.15, 0.3),
}


@contextlib.contextmanager
def _settings(values: dict):
    """Temporarily set grader constants (for --cv only), restoring them afterwards."""
    saved = {key: getattr(*key) for key in values}
    try:
        for (module, name), value in values.items():
            setattr(module, name, value)
        rubric._compile.cache_clear()
        yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)
        rubric._compile.cache_clear()


def cross_validate(rows: list[dict[str, str]], splits: int = 10) -> dict[str, dict[str, float]]:
    """Question-level cross-validation of the tuned constants (see the module docstring)."""
    scored = [(i, float(r[HUMAN_COLUMN])) for i, r in enumerate(rows) if r.get(HUMAN_COLUMN)]
    idx = [i for i, _ in scored]
    human = {i: h for i, h in scored}
    combos = [dict(zip(CV_GRID, values)) for values in itertools.product(*CV_GRID.values())]
    predictions = []
    for combo in combos:
        with _settings(combo):
            scores, _ = benchmark_rows(rows)
        predictions.append([to_five(s) for s in scores])

    def r_on(pred: list[float], items: list[int]) -> float:
        return pearson([pred[i] for i in items], [human[i] for i in items])

    def held_out(folds: list[list[int]]) -> dict[str, float]:
        out: dict[int, float] = {}
        for test in folds:
            test_set = set(test)
            train = [i for i in idx if i not in test_set]
            best = max(range(len(combos)), key=lambda c: r_on(predictions[c], train))
            out.update({i: predictions[best][i] for i in test})
        return agreement([out[i] for i in idx], [human[i] for i in idx])

    questions = sorted({rows[i]["question"] for i in idx})
    results = []
    for seed in range(splits):
        order = questions[:]
        random.Random(seed).shuffle(order)
        half = set(order[: len(order) // 2])
        a = [i for i in idx if rows[i]["question"] in half]
        b = [i for i in idx if rows[i]["question"] not in half]
        results.append(held_out([a, b]))
    report = {
        "two_fold_mean": {k: statistics.mean(r[k] for r in results) for k in results[0]},
        "two_fold_min_pearson": {"pearson": min(r["pearson"] for r in results)},
    }
    if all(rows[i].get("id") for i in idx):
        groups: dict[str, list[int]] = {}
        for i in idx:
            groups.setdefault(rows[i]["id"].split(".")[0], []).append(i)
        if len(groups) > 1:
            report["leave_one_group_out"] = held_out(list(groups.values()))
    return report


def _read_rows(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    if not path.is_file():
        raise CommandError(f"CSV file not found: {path}")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise CommandError(
                f"{path}: missing column(s) {', '.join(missing)}; "
                f"need {', '.join(REQUIRED_COLUMNS)} (and optionally {HUMAN_COLUMN})"
            )
        rows = [{k: (v if v is not None else "") for k, v in row.items()} for row in reader]
    return rows, columns


def read_rows(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    try:
        return _read_rows(path)
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"
        ) from None
    except csv.Error as exc:
        raise CommandError(f"{path}: not a readable CSV file: {exc}") from None


def _json_number(value: float | int) -> float | int | None:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value


class Command(BaseCommand):
    help = "Grade a CSV of scored answers with auto-rubrics and report agreement with humans."

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, help="input CSV file")
        parser.add_argument(
            "--json", action="store_true", help="print the metrics as one JSON object, last"
        )
        parser.add_argument("--out", help="write every input row plus a 'score' column (0-100)")
        parser.add_argument(
            "--cv", action="store_true", help="also report question-level cross-validation"
        )

    def handle(self, *args, **options):
        rows, columns = read_rows(Path(options["csv"]))
        scores, metrics = benchmark_rows(rows)

        if options.get("out"):
            out_columns = [*columns, "score"] if "score" not in columns else columns
            try:
                with Path(options["out"]).open("w", newline="", encoding="utf-8") as fh:
                    writer = csv.DictWriter(fh, fieldnames=out_columns, extrasaction="ignore")
                    writer.writeheader()
                    for row, score in zip(rows, scores):
                        writer.writerow({**row, "score": f"{score:.1f}"})
            except OSError as exc:
                raise CommandError(f"cannot write {options['out']}: {exc}") from exc

        def fmt(key: str) -> str:
            value = metrics[key]
            return "n/a" if isinstance(value, float) and math.isnan(value) else f"{value:.3f}"

        self.stdout.write(f"answers graded: {len(rows)} (with a human score: {metrics['n']})")
        self.stdout.write(f"Pearson r:    {fmt('pearson')}")
        self.stdout.write(f"Spearman rho: {fmt('spearman')}")
        self.stdout.write(f"QWK (0-5):    {fmt('qwk')}")
        self.stdout.write(f"RMSE (0-5):   {fmt('rmse')}")
        self.stdout.write(f"answers/s:    {metrics['answers_per_second']:.0f}")
        if options.get("cv"):
            if metrics["n"] < 4:
                raise CommandError("--cv needs human scores (score_avg) on several questions")
            for name, values in cross_validate(rows).items():
                shown = ", ".join(f"{k} {v:.3f}" for k, v in values.items())
                self.stdout.write(f"cross-validated ({name}): {shown}")
        if options.get("json"):
            self.stdout.write(json.dumps({k: _json_number(metrics[k]) for k in METRIC_KEYS}))
