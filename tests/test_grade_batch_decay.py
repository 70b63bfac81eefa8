"""Grading with weight decay (``--l2``): dC/dW^{(m)}_{ij} = (the paths' sum) + lambda W^{(m)}_{ij}, lambda
written as ``lambda``, ``λ``, ``\\lambda`` or its number; biases are not decayed. In a batch an answer
naming one example's quantity without its example is refused in one line (batch answers: test_grade_batch.py).
Also: unreadable weight names and wrong argument types are one-line errors.

The right answers are written from the lecture (dC/dW = delta a, one path product per path) plus the
derivative of (lambda/2) W^2, which sympy.diff gives here; the wrong ones plant one mistake each.
"""

from __future__ import annotations

import json

import pytest
import sympy as sp

import symbp
from symbp.errors import SymbpError
from symbp.grading import expected_answer
from test_cli import invoke

NET = ("--layers", "3,2,2,1", "--activation", "sigmoid", "--cost", "squared_error")
DECAY = ("--l2", "0.1")
PATH = "dC/da3 * sigma3'(z3) * w3_1 * sigma2'(z2_1) * a1_2"  # the one path of dC/dW2_1_2 (lecture, slide 2)


def test_the_decay_term_is_the_derivative_of_half_lambda_w_squared():
    lam, w = sp.symbols("lambda w")
    assert sp.diff(lam / 2 * w**2, w) == lam * w  # why the answers below end in + lambda * W


@pytest.mark.parametrize("answer", [
    f"{PATH} + lambda * W2_1_2",
    f"{PATH} + 0.1 * W2_1_2",
    f"{PATH} + W2_1_2/10",
    "delta2_1 * a1_2 + λW2_1_2",
    "delta2_1 * a1_2 + λ · W⁽²⁾₁₂",
    r"\delta^{(2)}_{1} a^{(1)}_{2} + \lambda W^{(2)}_{12}",
    "lambda * W2_1_2 + delta2_1 * a1_2",
])
def test_answers_with_the_decay_term_are_correct(answer):
    result = invoke("grade", "--entry", "W2_1_2", "--answer", answer, *NET, *DECAY)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "correct" in result.stdout


@pytest.mark.parametrize("answer, kind_words", [
    (PATH, "the weight decay's term lambda * W2_1_2 is missing"),
    (f"{PATH} + 2 * lambda * W2_1_2", "the weight decay's term is W2_1_2/5, but dC/dW2_1_2 gains lambda * W2_1_2"),
    ("delta2_1 * a1_2 - lambda * W2_1_2", "the weight decay's term is -W2_1_2/10"),
])
def test_a_missing_or_wrong_decay_term_is_named(answer, kind_words):
    result = invoke("grade", "--entry", "W2_1_2", "--answer", answer, *NET, *DECAY)
    assert result.exit_code == 1 and kind_words in result.stdout


def test_the_counterexample_adds_lambda_w_to_both_values():
    result = symbp.grade(symbp.Network([3, 2, 2, 1], "sigmoid", "squared_error", l2=0.1), "W2_1_2", PATH)
    example = result.counterexample
    values = dict(example.values)
    assert example.answer - example.truth == pytest.approx(-0.1 * values["W2_1_2"], rel=1e-9)


def test_biases_are_not_decayed():
    ok = invoke("grade", "--entry", "b2_1", "--answer", "delta2_1", *NET, *DECAY)
    assert ok.exit_code == 0
    wrong = invoke("grade", "--entry", "b2_1", "--answer", "delta2_1 + lambda * b2_1", *NET, *DECAY)
    assert wrong.exit_code == 1 and "biases are not decayed" in wrong.stdout


def test_lambda_without_decay_is_refused_naming_the_token():
    result = invoke("grade", "--entry", "W2_1_2", "--answer", f"{PATH} + lambda * W2_1_2", *NET)
    assert result.exit_code == 2
    assert "'lambda' at position 54" in result.stderr and "add --l2 LAMBDA" in result.stderr


def test_the_solution_of_a_decayed_network_ends_in_lambda_w_and_is_graded_correct():
    network = symbp.Network([3, 2, 2, 1], "sigmoid", "squared_error", l2=0.05)
    solution = expected_answer(network, "W1_2_3")
    assert solution.endswith(" + lambda * W1_2_3") and solution.count(" + ") == 2  # two paths, then the decay
    assert symbp.grade(network, "W1_2_3", solution).correct
    assert "lambda" not in expected_answer(network, "b1_2")


def test_a_class_file_is_graded_with_the_decay(tmp_path):
    answers = tmp_path / "class.json"
    answers.write_text(json.dumps([
        {"student": "ann", "entry": "W2_1_2", "answer": f"{PATH} + lambda * W2_1_2"},
        {"student": "bob", "entry": "W2_1_2", "answer": PATH},
    ]))
    report = tmp_path / "report.json"
    result = invoke("grade", "--answers", str(answers), "--report", str(report), *NET, *DECAY)
    assert result.exit_code == 0
    rows = {row["student"]: row for row in json.loads(report.read_text())}
    assert rows["ann"]["verdict"] == "correct" and rows["bob"]["verdict"] == "incorrect"
    assert "lambda * W2_1_2 is missing" in rows["bob"]["feedback"]


def test_a_one_example_answer_in_a_batch_is_refused_in_one_line_naming_the_example_spelling():
    result = invoke("grade", "--entry", "W2_1_2", "--answer", "delta2_1 * a1_2", *NET, "--batch", "2")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "'delta2_1' at position 1: in a batch of 2 examples every delta is one example's" in result.stderr
    assert "e.g. delta2_1_n1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("answer", ["W3", "w3", "W⁽³⁾", "W^{(3)}", "W3_2_1"])
def test_a_weight_without_its_indices_is_one_line_and_exit_2(answer):
    result = invoke("grade", "--entry", "W2_1_1", "--answer", answer, *NET)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "W of layer 3 is W3_<i>_<j>" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, words", [
    ((symbp.Network(), "W2", "x"), "'W2' names a group"),
    ((symbp.Network(), 5, "x"), "entry 5 must be a name such as 'W2_1_2'"),
    (("W2_1_1", symbp.Network(), "x"), "network 'W2_1_1' must be a symbp.Network"),
    ((None, "W2_1_1", "x"), "network None must be a symbp.Network"),
])
def test_wrong_arguments_of_the_library_are_symbp_errors(args, words):
    network, entry, answer = args
    with pytest.raises(SymbpError, match=words):
        symbp.grade(network, entry, answer)


def test_a_defined_non_linearity_is_graded_with_the_decay():
    """swish' is written sigma1'(z1_1) as for any non-linearity; the answer is the lecture's path plus lambda W."""
    options = ("--define", "swish=x/(1+exp(-x))", "--layers", "2,2,1", "--activations", "swish,sigmoid",
               "--cost", "squared_error", "--l2", "0.2")
    right = "dC/da2 * sigma2'(z2) * w2_1 * sigma1'(z1_1) * a0_2 + lambda * W1_1_2"
    assert invoke("grade", "--entry", "W1_1_2", "--answer", right, *options).exit_code == 0
    wrong = invoke("grade", "--entry", "W1_1_2", "--answer", right.replace("sigma1'(z1_1)", "sigma1(z1_1)"), *options)
    assert wrong.exit_code == 1
