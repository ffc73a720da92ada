"""The grade_benchmark management command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from grading.management.commands.grade_benchmark import METRIC_KEYS, benchmark_rows, read_rows

Q1 = "What does it mean for a REST API to be stateless?"
A1 = (
    "The server keeps no session state between requests; each request carries its own "
    "authentication token and context."
)
Q2 = "Why should PUT be idempotent?"
A2 = "Repeating the same request has the same effect, so clients can safely retry it."

ROWS = [
    # question, desired_answer, student_answer, score_avg, note (an extra column)
    (Q1, A1, "No session state is kept on the server; every request has its token.", "5", "a"),
    (Q1, A1, "The server remembers each client in a session.", "1.5", "b"),
    (Q1, A1, "I don't know.", "0", "c"),
    (Q2, A2, "Repeating it has the same effect, so a client can retry safely.", "5", "d"),
    (Q2, A2, "It is faster than POST.", "1", "e"),
    (Q2, A2, "Retrying gives the same effect.", "", "f"),  # no human score
]


def write_csv(path: Path, rows=ROWS, header=None) -> Path:
    header = header or ["question", "desired_answer", "student_answer", "score_avg", "note"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("grade_benchmark", *args, stdout=out)
    return out.getvalue()


def test_json_is_the_last_line_with_exactly_the_metric_keys(tmp_path):
    path = write_csv(tmp_path / "bench.csv")
    output = run("--csv", str(path), "--json")
    metrics = json.loads(output.strip().splitlines()[-1])
    assert set(metrics) == set(METRIC_KEYS)
    assert metrics["n"] == 5  # the row without score_avg is left out
    assert -1 <= metrics["pearson"] <= 1
    assert metrics["pearson"] > 0.5  # good answers above bad ones
    assert metrics["rmse"] >= 0
    assert metrics["answers_per_second"] > 0
    assert "Pearson" in output


def test_out_writes_every_row_with_a_score(tmp_path):
    path = write_csv(tmp_path / "bench.csv")
    out_path = tmp_path / "scored.csv"
    run("--csv", str(path), "--out", str(out_path))
    with out_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(ROWS)
    assert [r["note"] for r in rows] == [r[4] for r in ROWS]  # extra columns pass through
    scores = [float(r["score"]) for r in rows]
    assert all(0 <= s <= 100 for s in scores)
    assert scores[0] > scores[1] and scores[0] > scores[2] == 0
    assert scores[5] > 0  # graded although it has no human score


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        run("--csv", str(tmp_path / "nope.csv"))


def test_missing_columns_are_a_clear_error(tmp_path):
    path = write_csv(tmp_path / "bad.csv", rows=[("q", "a")], header=["question", "answer"])
    with pytest.raises(CommandError, match="desired_answer, student_answer"):
        run("--csv", str(path))


def test_core_function_without_the_command(tmp_path):
    rows, columns = read_rows(write_csv(tmp_path / "bench.csv"))
    assert columns[-1] == "note"
    scores, metrics = benchmark_rows(rows)
    assert len(scores) == len(ROWS)
    assert metrics["n"] == 5
    assert set(metrics) == set(METRIC_KEYS)


def test_a_non_numeric_human_score_is_an_error(tmp_path):
    path = write_csv(tmp_path / "bench.csv", rows=[(Q1, A1, "x", "five", "n")])
    with pytest.raises(CommandError, match="not a number"):
        run("--csv", str(path))


def test_cross_validation_report(tmp_path):
    rows = [
        (q, a, answer, score, f"{k}.{n}")
        for k, (q, a) in enumerate(((Q1, A1), (Q2, A2)), start=1)
        for n, (_, _, answer, score, _) in enumerate(ROWS)
        if score
    ]
    path = write_csv(
        tmp_path / "cv.csv",
        rows=rows,
        header=["question", "desired_answer", "student_answer", "score_avg", "id"],
    )
    output = run("--csv", str(path), "--cv", "--json")
    assert "cross-validated (two_fold_mean): pearson" in output
    assert "cross-validated (leave_one_group_out)" in output
    assert set(json.loads(output.strip().splitlines()[-1])) == set(METRIC_KEYS)
