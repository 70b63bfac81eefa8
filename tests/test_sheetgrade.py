"""symbp grade --sheet: a class's answers to a generated sheet, each row graded against its own exercise.

Oracles: the sheet's own solutions must all grade correct (every kind); mutations planted here must grade
incorrect with feedback naming what was planted; numbers from a forward pass and central finite differences
written here (rounded to the sheet's decimals) must grade correct; counts written out from the lecture's formulas.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import symbp

grade = symbp.grade

from symbp.errors import SymbpError  # noqa: E402
from symbp.exercise import exercises, render_sheet, sheet_data  # noqa: E402
from symbp.sheetgrade import grade_sheet  # noqa: E402
from test_cli import invoke, ok  # noqa: E402
from test_exercise import _forward  # noqa: E402

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

KINDS = ("chain", "backprop", "count", "numeric", "spot-the-error")
KNOBS = {"layers": "2,2-3,2,1-2", "activations": ("sigmoid", "tanh", "abstract"), "costs": ("squared_error",)}


def _sheet(seed: int):
    return sheet_data(exercises(seed, 5, KINDS, **KNOBS))


def _write(path, rows):
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student", "exercise", "answer"])
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("seed", range(2))
def test_a_sheets_own_answers_of_every_kind_grade_correct_through_the_cli(tmp_path, seed):
    data = _sheet(seed)
    assert sorted(i["kind"] for i in data["exercises"]) == sorted(KINDS)
    (tmp_path / "week5.json").write_text(json.dumps(data))
    _write(tmp_path / "answers.csv", [{"student": "ann", "exercise": i["id"], "answer": i["answer_text"]}
                                      for i in data["exercises"]])
    result = ok("grade", "--answers", str(tmp_path / "answers.csv"), "--sheet", str(tmp_path / "week5.json"),
                "--report", str(tmp_path / "report.csv"))
    with (tmp_path / "report.csv").open() as handle:
        report = list(csv.DictReader(handle))
    assert [r["verdict"] for r in report] == ["correct"] * 5, report
    assert all(f"ex{n}: 1/1 correct" in result.stdout for n in range(1, 6))


def _verdict(item, answer):
    (result,) = grade_sheet({"exercises": [item]}, [{"student": "bob", "exercise": item["id"], "answer": answer}])
    return result


def _one(data, kind):
    return next(i for i in data["exercises"] if i["kind"] == kind)


def test_planted_wrong_answers_of_every_kind_grade_incorrect_naming_the_mistake():
    data = _sheet(3)
    chain = _one(data, "chain")
    doubled = _verdict(chain, f"2 * ({chain['answer']})")
    assert doubled.verdict == "incorrect" and "scale" in doubled.kinds, doubled

    backprop = _one(data, "backprop")
    parts = backprop["answer_text"].split("; ")
    first_name = parts[0].split(":")[0]
    wrong = _verdict(backprop, "; ".join([f"{first_name}: 2 * ({parts[0].split(': ', 1)[1]})", *parts[1:]]))
    assert wrong.verdict == "incorrect" and all(m.startswith(f"{first_name}: ") for m in wrong.feedback), wrong
    missing = _verdict(backprop, "; ".join(parts[1:]))
    assert missing.verdict == "incorrect" and missing.feedback == (f"{first_name}: no answer",), missing

    count = _one(data, "count")
    truth = count["answer"]
    off = _verdict(count, f"{truth['paths']}, {truth['factors_per_path']}, {truth['multiplications']}, "
                          f"{truth['backprop_multiplications'] + 1}")
    assert off.verdict == "incorrect" and len(off.feedback) == 1 and off.feedback[0].startswith("backprop multiplications:")

    numeric = _one(data, "numeric")
    parts = numeric["answer_text"].split("; ")
    name, value = parts[3].split(" = ")
    shifted = _verdict(numeric, "; ".join([*parts[:3], f"{name} = {float(value) + 0.05}", *parts[4:]]))
    assert shifted.verdict == "incorrect" and shifted.feedback[0].startswith(f"{name} = "), shifted
    short = _verdict(numeric, "; ".join(parts[:-1]))
    assert short.verdict == "incorrect" and parts[-1].split(" = ")[0] in short.feedback[0], short

    spot = _one(data, "spot-the-error")
    labels = {"missing_path": "missing path", "missing_sigma_prime": "missing factor", "wrong_index": "wrong factor"}
    other = next(label for kind, label in labels.items() if kind != spot["mistake"]["kind"])
    mislabelled = _verdict(spot, f"{other}: a1_1")
    assert mislabelled.verdict == "incorrect" and mislabelled.feedback[0].startswith(f"the mistake is not a {other}")
    elsewhere = _verdict(spot, f"{labels[spot['mistake']['kind']]}: 3 * {spot['answer_text'].split(': ', 1)[1].split(' should')[0]}")
    assert elsewhere.verdict == "incorrect" and elsewhere.kinds == ("wrong_place",), elsewhere
    assert _verdict(spot, spot["answer"]).verdict == "correct"  # the corrected derivation, without a label


def test_numbers_from_a_hand_written_forward_pass_and_finite_differences_grade_correct():
    for seed in range(3):
        item = _one(_sheet(seed), "numeric")
        network = symbp.Network(**item["network"])
        point, lr, digits = item["point"], item["lr"], item["digits"]
        params = {k: np.array(v, dtype=float) for k, v in point.items() if k not in ("x", "t")}
        parts = [f"C = {_forward(params, point, network):.{digits}f}"]
        updates = []
        for entry in network.entries(("W", "b")):
            key, index = f"{entry.kind}{entry.layer}", (entry.row - 1, entry.col - 1) if entry.kind == "W" else (entry.row - 1,)
            up, down = ({**params, key: params[key].copy()} for _ in range(2))
            up[key][index] += 1e-6
            down[key][index] -= 1e-6
            slope = (_forward(up, point, network) - _forward(down, point, network)) / 2e-6
            parts.append(f"dC/d{entry.name} = {slope:.{digits}f}")
            updates.append(f"{entry.name}+ = {params[key][index] - lr * slope:.{digits}f}")
        result = _verdict(item, "\n".join(parts + updates))
        assert result.verdict == "correct", (seed, result)


def test_numeric_solutions_print_every_number_visibly_and_bracket_negative_factors():
    for seed in range(4):
        for item in sheet_data(exercises(seed, 2, ("numeric",), layers="2,2,2,1", depth="2",
                                         activations="sigmoid", costs="squared_error"))["exercises"]:
            digits, lr = item["digits"], item["lr"]
            gradients = np.concatenate([np.ravel(g) for g in item["answer"]["gradients"].values()])
            shown = np.abs(np.concatenate([gradients, lr * gradients, [item["answer"]["C"]]]))
            # Two significant digits at the printed decimals (the most symbp prints is 6): no "0.7 -> 0.7".
            assert digits == 6 or np.all(shown[shown > 1e-12] >= 10.0 ** (1 - digits)), (seed, digits, shown.min())
            assert f"to {digits} decimals" in item["question"]
            assert r"\cdot -" not in item["solution"] and "= 0\\qquad" not in item["solution"]


def test_the_count_of_the_issue_counts_only_the_deltas_this_gradient_needs():
    (item,) = [i for i in sheet_data(exercises(1, 3, ("spot-the-error", "count"), layers="2,2,2,1", depth="2"))["exercises"]
               if i["kind"] == "count"]
    # W^{(1)}: delta^{(3)} (1), both delta^{(2)} (2 * (1 + 1)), one delta^{(1)} (2 + 1), then delta * a (1).
    assert item["answer"]["backprop_multiplications"] == 1 + 4 + 3 + 1
    assert "1 + 4 + 3 + 1 = 9" in item["solution"]


def test_an_unknown_exercise_id_is_one_error_line_naming_the_sheets_ids(tmp_path):
    data = _sheet(0)
    (tmp_path / "week5.json").write_text(json.dumps(data))
    _write(tmp_path / "answers.csv", [{"student": "ann", "exercise": "ex1", "answer": data["exercises"][0]["answer_text"]},
                                      {"student": "bob", "exercise": "W2_1_2", "answer": "a1_2"}])
    result = invoke("grade", "--answers", str(tmp_path / "answers.csv"), "--sheet", str(tmp_path / "week5.json"),
                    "--report", str(tmp_path / "report.csv"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "'W2_1_2'" in result.stderr and "ex1, ex2, ex3, ex4, ex5" in result.stderr
    assert not (tmp_path / "report.csv").exists()
    alone = invoke("grade", "--entry", "W2_1_2", "--answer", "a1_2", "--sheet", str(tmp_path / "week5.json"))
    assert alone.exit_code == 2 and "--sheet goes with --answers" in alone.stderr
    with pytest.raises(SymbpError, match="not on the sheet"):
        grade_sheet(data, [{"student": "bob", "exercise": "ex6", "answer": "1"}])


def test_sheets_carry_the_answer_lines_the_name_field_and_the_pdf_message_names_pdf(tmp_path):
    import subprocess

    from symbp.render.pdf import latex_to_pdf
    from test_templates import require_pdflatex

    require_pdflatex()
    sheet = exercises(2, 5, KINDS, **KNOBS)
    solutions, questions = render_sheet(sheet, "latex", solutions=True), render_sheet(sheet, "latex")
    (tmp_path / "s.pdf").write_bytes(latex_to_pdf(solutions)[0])
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for item in sheet_data(sheet)["exercises"]:  # copied out of the PDF, each answer reads back as written
        assert all(" ".join(part.split()) in text for part in item["answer_text"].split("; ")), item["answer_text"]
    assert "Name:" in questions and "Your answer" in questions and "Answer for" not in questions
    result = invoke("exercise", "--out", str(tmp_path / "w.tex"), "--pdf")
    assert result.exit_code == 2 and "--pdf asks for pdf" in result.stderr and "--format" not in result.stderr


@pytest.mark.parametrize("damage", [
    lambda item: item.pop("kind"),
    lambda item: item.update(network={"layers": "x"}),
    lambda item: item.update(answer={"paths": "2"}) if item["kind"] == "count" else item.pop("answer"),
    lambda item: item["answer"]["gradients"].pop("W1") if item["kind"] == "numeric" else item.pop("entry"),
])
def test_a_damaged_sheet_is_the_teachers_error_not_a_traceback(tmp_path, damage):
    data = _sheet(0)
    for item in data["exercises"]:
        damage(item)
    (tmp_path / "week5.json").write_text(json.dumps(data))
    _write(tmp_path / "answers.csv", [{"student": "ann", "exercise": "ex1", "answer": "a1_2"}])
    result = invoke("grade", "--answers", str(tmp_path / "answers.csv"), "--sheet", str(tmp_path / "week5.json"))
    assert result.exit_code == 2 and result.stderr.startswith("symbp: error: ") and result.stderr.count("\n") == 1, (
        result.stderr, result.exception)


@pytest.mark.parametrize("option", [("--l2", "0.1"), ("--define", "sw=x/(1+exp(-x))"), ("--layers", "2,2,1"),
                                    ("--activation", "tanh"), ("--batch", "2")])
def test_network_options_beside_a_sheet_are_refused_not_silently_ignored(tmp_path, option):
    """A sheet grades each exercise on its own network; an --l2 given beside it would be dropped without a word."""
    data = _sheet(0)
    (tmp_path / "week5.json").write_text(json.dumps(data))
    _write(tmp_path / "answers.csv", [{"student": "ann", "exercise": "ex1", "answer": data["exercises"][0]["answer_text"]}])
    result = invoke("grade", "--answers", str(tmp_path / "answers.csv"), "--sheet", str(tmp_path / "week5.json"),
                    "--report", str(tmp_path / "report.csv"), *option)
    assert result.exit_code == 2 and result.stdout == "", (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and f"{option[0]} does not go with --sheet" in result.stderr
    assert not (tmp_path / "report.csv").exists()
