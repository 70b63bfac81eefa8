"""Issue 10's "--batch, --l2 and --define work in every command": each command run with all three.

Each either works and shows that the options arrived (the defined formula, the decay, the batch in its
output, or a verdict that depends on them), or refuses in one line with exit 2. Then the bad values of
each option, in every command that takes it: one line naming the value, exit 2, no traceback.
"""

from __future__ import annotations

import json

import pytest

from test_cli import invoke

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

DEFINE = "sw=x/(1+exp(-x))"
NET = ["--layers", "2,2,1", "--define", DEFINE, "--activations", "sw,sigmoid", "--cost", "squared_error"]
ALL = [*NET, "--batch", "2", "--l2", "0.1"]
SHOWN = ["sw(x) = x/(1+exp(-x))", "N = 2", "λ = 0.1"]  # the network line every report prints

STUDENT = """
import numpy as np

def backward(params, x, t):
    sw = lambda z: z / (1 + np.exp(-z))
    sig = lambda z: 1 / (1 + np.exp(-z))
    z1 = x @ params["W1"].T + params["b1"]; a1 = sw(z1)
    z2 = a1 @ params["W2"].T + params["b2"]; a2 = sig(z2)
    N = x.shape[0]
    d2 = (a2 - t) * a2 * (1 - a2)
    d1 = (d2 @ params["W2"]) * (sig(z1) + z1 * sig(z1) * (1 - sig(z1)))
    lam = 0.1
    C = 0.5 * np.sum((a2 - t) ** 2) / N + lam / 2 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    return C, {"W1": d1.T @ x / N + lam * params["W1"], "b1": d1.mean(0),
               "W2": d2.T @ a1 / N + lam * params["W2"], "b2": d2.mean(0)}
"""


@pytest.fixture
def files(tmp_path):
    point = tmp_path / "point.json"
    point.write_text(json.dumps({"x": [[1, 2], [0.5, -1]], "t": [[0.5], [0.2]], "W1": [[0.1, 0.2], [0.3, 0.4]],
                                 "b1": [0, 0], "W2": [[0.5, 0.6]], "b2": [0.1]}))
    student = tmp_path / "student.py"
    student.write_text(STUDENT)
    return {"point": str(point), "student": f"{student}:backward"}


def run(*arguments: str):
    result = invoke(*arguments)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.mark.parametrize("command", ["derive W2_1_2", "check -n 1", "algorithm", "cost", "picture"])
def test_a_report_names_the_definition_the_batch_and_the_decay(command):
    result = run(*command.split(), *ALL)
    assert result.exit_code == 0, result.stderr
    for shown in SHOWN:
        assert shown in result.stdout, (command, shown)


def test_derive_shows_the_mean_and_the_decay_term():
    text = run("derive", "W2_1_2", "--method", "backprop", *ALL).stdout
    assert "1/2" in text or "½" in text or "(1/N)" in text
    assert "λ·w⁽²⁾₂" in text.replace(" ", "") or "λw⁽²⁾₂" in text.replace(" ", "").replace("·", "")


def test_grad_at_a_batch_point(files):
    result = run("grad", "--point", files["point"], *ALL)
    assert result.exit_code == 0, result.stderr
    for shown in SHOWN:
        assert shown in result.stdout


def test_codegen_writes_the_formula_the_batch_and_the_decay():
    text = run("codegen", *ALL).stdout
    assert "sw(x) = x/(1+exp(-x))" in text and "L2 = 0.1" in text and "symbp codegen --batch 2" in text


def test_example_shows_both_examples_and_the_decay():
    text = run("example", *ALL).stdout
    for shown in SHOWN:
        assert shown in text
    assert "λ" in text


def test_verify_a_right_student_passes_and_the_decay_matters(files):
    result = run("verify", files["student"], *ALL)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "λ = 0.1" in result.stdout and "batch 2" in result.stdout
    wrong = run("verify", files["student"], *NET, "--batch", "2", "--l2", "0.2")
    assert wrong.exit_code == 1  # the student's 0.1 is not 0.2: the option reached the comparison


def test_train_takes_the_minibatch_the_decay_and_the_formula():
    result = run("train", "--data", "xor", "--epochs", "3", *ALL)
    assert result.exit_code == 0, result.stderr
    assert "sw(x) = x/(1+exp(-x))" in result.stdout and "batch size 2" in result.stdout
    assert "weight decay 0.1" in result.stdout


def test_grade_reads_a_batch_answer_with_the_decay():
    right = "(delta2_n1 * a1_2_n1 + delta2_n2 * a1_2_n2) / 2 + lambda * w2_2"
    assert run("grade", "--entry", "W2_1_2", "--answer", right, *ALL).exit_code == 0
    without_decay = "(delta2_n1 * a1_2_n1 + delta2_n2 * a1_2_n2) / 2"
    result = run("grade", "--entry", "W2_1_2", "--answer", without_decay, *ALL)
    assert result.exit_code == 1 and "lambda" in result.stdout


def test_exercise_refuses_the_batch_in_one_line_and_takes_the_rest():
    result = run("exercise", *ALL[:2], "--define", DEFINE, "--activations", "sw", "--batch", "2", "--l2", "0.1")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "batch 2 is not offered in exercises" in result.stderr
    data = json.loads(run("exercise", "--define", DEFINE, "--activations", "sw", "--costs", "squared_error",
                          "--l2", "0.1", "-n", "2", "-f", "json").stdout)
    assert all(item["network"]["l2"] == 0.1 and item["network"]["define"] == {"sw": "x/(1+exp(-x))"}
               for item in data["exercises"])


EVERY = {
    "derive": [], "check": ["-n", "1"], "grad": ["--point", "POINT"], "cost": [], "picture": [],
    "verify": ["STUDENT"], "example": [], "train": ["--data", "xor", "--epochs", "1"],
    "grade": ["--entry", "W2_1_2", "--answer", "delta2 * a1_2"], "exercise": [], "codegen": [], "algorithm": [],
}
BAD = [
    (["--l2", "-1"], "l2 -1"),
    (["--l2", "nan"], "l2 nan"),
    (["--l2", "inf"], "l2 inf"),
    (["--define", "sw=x+$"], "'$' at position 3"),
    (["--define", "sw=x.__class__"], "position 2"),
    (["--define", "sw=foo(x)"], "'foo' at position 1"),
    (["--define", "sw=(x"], "position 3"),
]


@pytest.mark.parametrize("command", sorted(EVERY))
@pytest.mark.parametrize(("option", "named"), BAD, ids=[" ".join(o) for o, _ in BAD])
def test_a_bad_l2_or_define_is_one_line_naming_it_in_every_command(command, option, named, files):
    extra = [files["point"] if a == "POINT" else files["student"] if a == "STUDENT" else a for a in EVERY[command]]
    activations = ["--activations", "sw"] if command == "exercise" else ["--activations", "sw,sigmoid"]
    network = [] if command == "exercise" else ["--layers", "2,2,1", "--cost", "squared_error"]
    result = run(command, *extra, *network, *activations, *option)
    assert result.exit_code == 2, (command, option, result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and named in result.stderr, (command, result.stderr)


UNDEFINED = {"x": [1, 2], "t": [0.5], "W1": [[-1, 0], [0, 1]], "b1": [0, 0], "W2": [[1, 1]], "b2": [0]}
"""z1_1 = -1: log(z1_1) is NaN; sqrt(z) at z1_1 = 0 (W1 row 1 zero) has an infinite derivative."""


@pytest.mark.parametrize("command", [["grad"], ["example"], ["picture"], ["render", "-t", "notes.md"],
                                     ["render", "-t", "explorer.html"]])
def test_a_value_undefined_at_the_point_is_one_line_naming_it(command, tmp_path):
    point = tmp_path / "p.json"
    point.write_text(json.dumps(UNDEFINED))
    result = run(*command, "--point", str(point), "--layers", "2,2,1", "--define", "lg=log(x)",
                 "--activations", "lg,sigmoid", "--cost", "squared_error")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "a1_1 is undefined (NaN)" in result.stderr and "z1_1 = -1" in result.stderr
    assert "Warning" not in result.stderr


def test_grad_names_an_infinite_delta_and_the_example_of_a_batch(tmp_path):
    point = tmp_path / "p.json"
    point.write_text(json.dumps({**UNDEFINED, "W1": [[0, 0], [0, 1]]}))  # z1_1 = 0: sqrt'(0) = 1/(2 sqrt(0))
    result = run("grad", "--point", str(point), "--layers", "2,2,1", "--define", "sq=sqrt(x)",
                 "--activations", "sq,sigmoid", "--cost", "squared_error")
    assert result.exit_code == 2 and "delta1_1 is infinite" in result.stderr and "sigma1'" in result.stderr
    point.write_text(json.dumps({**UNDEFINED, "x": [[1, 2], [-1, 2]], "t": [[0.5], [0.5]], "W1": [[1, 0], [0, 1]]}))
    result = run("grad", "--point", str(point), "--layers", "2,2,1", "--define", "lg=log(x)",
                 "--activations", "lg,sigmoid", "--cost", "squared_error", "--batch", "2")
    assert result.exit_code == 2 and "a1_1_n2 is undefined (NaN)" in result.stderr, result.stderr


def test_train_names_a_formula_outside_its_domain():
    result = run("train", "--data", "xor", "--epochs", "2", "--layers", "2,2,1", "--define", "lg=log(x)",
                 "--activations", "lg,sigmoid", "--cost", "squared_error")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "lg(x) = log(x)" in result.stderr
    assert "Warning" not in result.stderr
