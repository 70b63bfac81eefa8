"""symbp grade: exit 0 correct, 1 incorrect, 2 unreadable; a class's file graded into a report and a summary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbp.cli import app
from test_cli import make_runner

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

RIGHT = "dC/da3 * sigma3'(z3) * w3_1 * sigma2'(z2_1) * a1_2"  # the lecture's dC/dW^{(2)}_{12}
NO_SIGMA2 = "dC/da3 * sigma3'(z3) * w3_1 * a1_2"
SWAPPED = ("dC/da3 * sigma3'(z3) * (w3_1 * sigma2'(z2_1) * W2_2_1 + w3_2 * sigma2'(z2_2) * W2_2_2)"
           " * sigma1'(z1_2) * a0_3")  # dC/dW^{(1)}_{23} with W2_1_2 written W2_2_1


def run(*args: str):
    return make_runner().invoke(app, ["grade", *args])


def test_correct_answer_exits_0() -> None:
    result = run("--entry", "W2_1_2", "--answer", RIGHT)
    assert result.exit_code == 0, result.output
    assert "correct (symbolic)" in result.output


def test_incorrect_answer_exits_1_with_feedback() -> None:
    result = run("--entry", "W2_1_2", "--answer", NO_SIGMA2)
    assert result.exit_code == 1
    assert "sigma2'(z2_1) is missing" in result.output
    assert "counterexample" in result.output


def test_concrete_network_options_are_used() -> None:
    answer = "(a3 - t) * a3 * (1 - a3) * w3_1 * a2_1 * (1 - a2_1) * a1_2"
    assert run("--entry", "W2_1_2", "--answer", answer, "--activation", "sigmoid", "--cost", "squared_error").exit_code == 0
    assert run("--entry", "W2_1_2", "--answer", answer, "--activation", "tanh", "--cost", "squared_error").exit_code == 1


def test_no_delta_refuses_delta_notation() -> None:
    assert run("--entry", "W2_1_2", "--answer", "delta2_1 * a1_2").exit_code == 0
    refused = run("--entry", "W2_1_2", "--answer", "delta2_1 * a1_2", "--no-delta")
    assert refused.exit_code == 1 and "written out" in refused.output


@pytest.mark.parametrize("answer", [
    "__import__('pathlib').Path('pwned').touch()",
    "a1_2.__class__.__mro__",
    "lambda: 0",
    "(" * 10_000 + "a1_2" + ")" * 10_000,
    "a1_2 + " * 15_000 + "a1_2",
    "(a1_2 + a1_1)^64^64",
    "\x00\x1b[31m",
])
def test_hostile_answers_exit_2_with_one_line_and_no_traceback(answer: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("--entry", "W2_1_2", "--answer", answer)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and not (tmp_path / "pwned").exists()
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symbp: error:") and "position" in lines[0]


@pytest.mark.parametrize("args, message", [
    ([], "--answer"),
    (["--answer", RIGHT], "--entry"),
    (["--entry", "W9_1_1", "--answer", RIGHT], "W9_1_1"),
    (["--entry", "W2_1_2", "--answer", RIGHT, "--report", "r.csv"], "--report"),
])
def test_bad_input_exits_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and message in result.output


SOFTMAX = ("--layers", "2,2,2", "--activations", "sigmoid,softmax", "--cost", "cross_entropy")


def test_a_softmax_network_exits_2_with_one_line_and_no_report(tmp_path: Path) -> None:
    answers = tmp_path / "class.csv"
    answers.write_text("student,entry,answer\ns1,W1_1_2,a0_2\n")
    report = tmp_path / "report.csv"
    for args in (["--entry", "W1_1_2", "--answer", "a0_2"], ["--answers", str(answers), "--report", str(report)]):
        result = run(*SOFTMAX, *args)
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert lines[0].startswith("symbp: error: non-linearity 'softmax'") and "sigmoid" in lines[0]
    assert not report.exists()


def class_rows(count: int) -> list[dict[str, str]]:
    """``count`` answers, cycling through right, missing sigma', swapped W, unreadable and delta notation."""
    kinds = [("W2_1_2", RIGHT), ("W2_1_2", NO_SIGMA2), ("W1_2_3", SWAPPED), ("W2_1_2", "a1_2 ;"),
             ("W1_2_3", "delta1_2 * a0_3")]
    return [{"student": f"s{n:03d}", "entry": kinds[n % 5][0], "answer": kinds[n % 5][1]} for n in range(count)]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_class_is_graded_into_a_report_and_a_summary(tmp_path: Path, suffix: str) -> None:
    rows = class_rows(20)
    answers = tmp_path / f"class{suffix}"
    if suffix == ".json":
        answers.write_text(json.dumps(rows))
    else:
        with answers.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["student", "entry", "answer"])
            writer.writeheader()
            writer.writerows(rows)
    report = tmp_path / f"report{suffix}"
    result = run("--answers", str(answers), "--report", str(report))
    assert result.exit_code == 0, result.output
    records = json.loads(report.read_text()) if suffix == ".json" else list(csv.DictReader(report.open()))
    assert [r["student"] for r in records] == [r["student"] for r in rows]
    verdicts = [r["verdict"] for r in records]
    assert verdicts == ["correct", "incorrect", "incorrect", "unreadable", "correct"] * 4
    assert "indices are swapped" in records[2]["feedback"]
    assert "W2_1_2: 4/12 correct, 4 unreadable" in result.output
    assert "W1_2_3: 4/8 correct" in result.output
    assert "4 x W2_1_2: sigma2'(z2_1) is missing" in result.output
    assert "mistakes by kind: missing factor 4, swapped indices 4, unreadable 4" in result.output


def test_exercise_column_and_default_entry(tmp_path: Path) -> None:
    answers = tmp_path / "class.csv"
    answers.write_text(f"student,exercise,answer\nann,W2_1_2,\"{RIGHT}\"\n")
    assert "1/1 correct" in run("--answers", str(answers)).output
    answers.write_text(f"student,answer\nann,\"{RIGHT}\"\n")
    assert "1/1 correct" in run("--answers", str(answers), "--entry", "W2_1_2").output


@pytest.mark.parametrize("content, suffix, message", [
    ("{not json", ".json", "not valid JSON"),
    ('{"a": 1}', ".json", "expected"),
    ("student,entry\nann,W2_1_2\n", ".csv", "answer"),
    ("x", ".txt", ".txt"),
    # A key given twice, a misspelt column, a row with more cells than the header: each would lose an answer.
    ('[{"student": "ann", "student": "bob", "entry": "W2_1_2", "answer": "1"}]', ".json", "'student' twice"),
    ("studnet,entry,answer\nann,W2_1_2,1\n", ".csv", "column 'studnet'; accepted columns: student, entry"),
    ("student,entry,answer\nann,W2_1_2,a1_2, 2\n", ".csv", "row 1 has 1 cell(s) more than the header"),
    # Each message names the bad value and what is accepted (it said "NoneType", "list", "answer is None").
    ('{"student": "a"}', ".json", "one object ('student') and no 'answers' list; expected a CSV file"),
    ('[{"student": "a", "entry": "W2_1_2", "answer": "a1_2"}, NaN]', ".json",
     "answers row 2 is a number NaN; each row is an object with keys student, entry, answer"),
    ("[" * 100_000 + "]" * 100_000, ".json", "nested too deeply to read; an answers file is a list of objects"),
    ("student,entry,answer\nann,W2_1_2\n", ".csv", "row 1 has 1 cell(s) fewer than the header (student, entry, "
                                                  "answer): no answer"),
])
def test_unreadable_answer_files_exit_2_and_write_nothing(tmp_path: Path, content: str, suffix: str, message: str) -> None:
    answers = tmp_path / f"class{suffix}"
    answers.write_text(content)
    report = tmp_path / "report.csv"
    result = run("--answers", str(answers), "--report", str(report))
    assert result.exit_code == 2 and message in result.output
    assert not report.exists()


def test_an_empty_entry_cell_takes_the_default_entry_and_an_empty_answer_is_graded(tmp_path: Path) -> None:
    answers = tmp_path / "class.csv"
    answers.write_text(f"student,entry,answer\nann,,\"{RIGHT}\"\nbob,W2_1_2,\"\"\n")
    report = tmp_path / "report.json"
    result = run("--answers", str(answers), "--entry", "W2_1_2", "--report", str(report))
    assert result.exit_code == 0, result.output
    verdicts = {row["student"]: row["verdict"] for row in __import__("json").loads(report.read_text())}
    assert verdicts == {"ann": "correct", "bob": "unreadable"}


def test_a_report_cell_that_a_spreadsheet_would_run_as_a_formula_is_quoted(tmp_path: Path) -> None:
    answers = tmp_path / "class.csv"
    answers.write_text(f"student,entry,answer\n\"=cmd|' /C calc'!A0\",W2_1_2,\"{RIGHT}\"\n")
    report = tmp_path / "report.csv"
    assert run("--answers", str(answers), "--report", str(report)).exit_code == 0
    assert report.read_text().splitlines()[1].startswith("'=cmd|")


@pytest.mark.parametrize("args, message", [
    (["--answers", "nonexist.csv"], "--answers 'nonexist.csv' cannot be read: No such file or directory\n"),
    (["--answers", "-"], "--answers '-': standard input is not read; give a file ending .csv or .json"),
    (["--define", "f=x", "--activation", "f,sigmoid,tanh", "-e", "W2_1_2", "-a", "a1_2"],
     "unknown non-linearity 'f,sigmoid,tanh': --activation takes one name for every layer; give one per layer "
     "with --activations f,sigmoid,tanh\n"),
    (["-e", "W2_1_2", "-a", "a1_2^99999"], "exponent 99999 is too large; at most 64 in absolute value\n"),
])
def test_bad_options_get_one_line_naming_the_value_and_what_is_accepted(tmp_path: Path, monkeypatch, args: list[str],
                                                                          message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    lines = result.output.splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("symbp: error: ")
    assert message in result.output and "Errno" not in result.output
