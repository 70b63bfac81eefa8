"""``symbp verify --batch N --l2 LAMBDA``: the reference includes the 1/N mean and lambda W, and the
diagnosis names the weight-decay mistakes.

The oracle is central finite differences of the cost written out here in NumPy:
C = (1/N) sum_n (1/2) |a^{(2),(n)} - t^{(n)}|^2 + (lambda/2) sum_m sum_ij (W^{(m)}_{ij})^2.
Students' functions are written to files and run through the CLI.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from test_cli import invoke

NET = ("--layers", "3,4,2", "--activation", "sigmoid", "--cost", "squared_error")
LAMBDA = 0.3

STUDENT = textwrap.dedent('''
    import numpy as np

    L2 = {l2!r}

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def cost(params, x, t, l2):
        a = sigmoid(sigmoid(x @ params["W1"].T + params["b1"]) @ params["W2"].T + params["b2"])
        return 0.5 * np.sum((a - t) ** 2) / x.shape[0] + l2 / 2 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))

    def finite_differences(params, x, t, l2, h=1e-6):
        grads = {{}}
        for key, value in params.items():
            grad = np.zeros_like(value)
            for index in np.ndindex(value.shape):
                up, down = dict(params), dict(params)
                up[key], down[key] = value.copy(), value.copy()
                up[key][index] += h
                down[key][index] -= h
                grad[index] = (cost(up, x, t, l2) - cost(down, x, t, l2)) / (2 * h)
            grads[key] = grad
        return grads

    def numeric(params, x, t):  # the oracle itself, as a student's function
        return cost(params, x, t, L2), finite_differences(params, x, t, L2)

    def numeric_without_decay(params, x, t):
        return cost(params, x, t, L2), finite_differences(params, x, t, 0.0)

    def backprop(params, x, t, decay=L2, on_biases=False):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        a1 = sigmoid(x @ W1.T + b1)
        a2 = sigmoid(a1 @ W2.T + b2)
        N = x.shape[0]
        delta2 = (a2 - t) * a2 * (1 - a2)
        delta1 = (delta2 @ W2) * a1 * (1 - a1)
        grads = {{"W2": delta2.T @ a1 / N + decay * W2, "b2": delta2.mean(axis=0),
                  "W1": delta1.T @ x / N + decay * W1, "b1": delta1.mean(axis=0)}}
        if on_biases:
            grads["b1"] = grads["b1"] + decay * b1
            grads["b2"] = grads["b2"] + decay * b2
        return cost(params, x, t, L2), grads

    def doubled(params, x, t):
        return backprop(params, x, t, decay=2 * L2)

    def on_biases(params, x, t):
        return backprop(params, x, t, on_biases=True)

    def averaged(params, x, t):
        return backprop(params, x, t, decay=L2 / x.shape[0])
''')


@pytest.fixture
def student(tmp_path):
    path = tmp_path / "student.py"
    path.write_text(STUDENT.format(l2=LAMBDA))
    return path


def verify(student, function: str, *options: str):
    return invoke("verify", f"{student}:{function}", *NET, *options, "--format", "json")


def test_finite_differences_of_the_decayed_mean_cost_pass(student):
    result = verify(student, "numeric", "--batch", "5", "--l2", str(LAMBDA), "--tol", "1e-6")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["passed"]


def test_the_same_finite_differences_fail_without_the_decay_and_hand_written_backprop_passes(student):
    result = verify(student, "numeric", "--batch", "5", "--tol", "1e-6")  # symbp without --l2: no decay
    assert result.exit_code == 1
    assert invoke("verify", f"{student}:backprop", *NET, "--batch", "5", "--l2", str(LAMBDA)).exit_code == 0


@pytest.mark.parametrize("function, mistake", [
    ("numeric_without_decay", "decay_forgotten"),
    ("doubled", "decay_doubled"),
    ("on_biases", "decay_on_biases"),
    ("averaged", "decay_averaged"),
])
def test_each_decay_mistake_is_named(student, function, mistake):
    result = verify(student, function, "--batch", "4", "--l2", str(LAMBDA), "--tol", "1e-6")
    assert result.exit_code == 1
    diagnosis = json.loads(result.stdout)["diagnosis"]
    assert [[m["kind"] for m in explanation] for explanation in diagnosis["explanations"]] == [[mistake]]


def test_the_text_report_names_lambda_and_the_mistake(student):
    result = invoke("verify", f"{student}:doubled", *NET, "--batch", "4", "--l2", str(LAMBDA))
    assert result.exit_code == 1
    assert "λ = 0.3" in result.stdout and "the weight decay is doubled: 2λW⁽ᵐ⁾" in result.stdout


def test_a_spec_s_batch_and_l2_are_the_samples_and_the_decay(student, tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text(f'layers = [3, 4, 2]\nactivations = "sigmoid"\ncost = "squared_error"\nbatch = 6\nl2 = {LAMBDA}\n')
    result = invoke("verify", f"{student}:backprop", "--spec", str(spec), "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["batch"] == 6
    result = invoke("verify", f"{student}:backprop", "--spec", str(spec), "--batch", "2", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["batch"] == 2


@pytest.mark.parametrize("option, value, words", [("--batch", "0", "0 is not allowed"),
                                                  ("--l2", "-2", "must be a finite number of 0 or more")])
def test_bad_batch_or_decay_is_one_line_and_exit_2(student, option, value, words):
    result = invoke("verify", f"{student}:backprop", *NET, option, value)
    assert result.exit_code == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_defined_non_linearity_with_batch_and_decay(tmp_path):
    """x sigmoid(x) and its derivative written out by hand in NumPy, against --define swish."""
    student = tmp_path / "swish.py"
    student.write_text(textwrap.dedent('''
        import numpy as np

        def backward(params, x, t, l2=0.25):
            s = lambda z: 1 / (1 + np.exp(-z))
            z1 = x @ params["W1"].T + params["b1"]
            a1 = z1 * s(z1)
            a2 = s(a1 @ params["W2"].T + params["b2"])
            N = x.shape[0]
            d2 = (a2 - t) * a2 * (1 - a2)
            d1 = (d2 @ params["W2"]) * (s(z1) + z1 * s(z1) * (1 - s(z1)))
            decay = l2 / 2 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
            return 0.5 * np.sum((a2 - t) ** 2) / N + decay, {
                "W2": d2.T @ a1 / N + l2 * params["W2"], "b2": d2.mean(0),
                "W1": d1.T @ x / N + l2 * params["W1"], "b1": d1.mean(0)}
    '''))
    options = ("--define", "swish=x/(1+exp(-x))", "--layers", "3,4,2", "--activations", "swish,sigmoid",
               "--cost", "squared_error", "--batch", "5")
    assert invoke("verify", f"{student}:backward", *options, "--l2", "0.25").exit_code == 0
    assert invoke("verify", f"{student}:backward", *options, "--l2", "0.5").exit_code == 1
