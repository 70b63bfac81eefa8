"""Issue 8: check's verdicts are sound. Each case from the issue, as a test named after it.

A verdict of disagree must come with a counterexample; proved, verified and
skipped are told apart. The oracles: the CLI's exit status and counts, and for
planted wrong derivatives a value recomputed by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp
from typer.testing import CliRunner

import symbp
from symbp.checking import check
from symbp import activations as activations_module
from symbp.cli import app
from symbp.graph import build_graph
from symbp.numeric import evaluator_for


def _check_json(*args: str):
    result = CliRunner().invoke(app, ["check", *args, "--format", "json"])
    return result, (json.loads(result.stdout) if result.stdout.startswith("{") else None)


@pytest.mark.parametrize(
    "args",
    [
        ["--activation", "sigmoid"],
        ["--activation", "relu"],
        ["--activation", "softplus"],
        ["--activation", "leaky_relu"],
        ["--layers", "2,2,1", "--activation", "relu"],
    ],
    ids=["sigmoid", "relu", "softplus", "leaky_relu", "layers_2_2_1_relu"],
)
@pytest.mark.slow
def test_check_concrete_activation_with_abstract_cost_exits_0(args):
    result, data = _check_json(*args)
    assert result.exit_code == 0, result.output
    assert data["counts"]["disagree"] == 0 and data["counts"]["skipped"] == 0
    assert data["counts"]["proved"] > 0
    assert {row["outcome"] for row in data["rows"]} <= {"proved", "verified"}


@pytest.mark.slow
def test_check_3_5_5_2_softplus_tanh_sigmoid_binary_cross_entropy_20_points_seed_3_exits_0():
    result, data = _check_json("--layers", "3,5,5,2", "--activations", "softplus,tanh,sigmoid",
                               "--cost", "binary_cross_entropy", "--points", "20", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert data["counts"]["disagree"] == 0
    a3 = [row for row in data["rows"] if row["entry"] == "a3_1" and row["method"] == "backprop"]
    assert a3[0]["outcome"] == "verified" and a3[0]["max_error"] < 1e-8  # the case that failed at 2.0e-08


def test_relu_derivative_at_zero_is_zero_in_all_three_derivations():
    # PyTorch's convention: relu'(0) = 0, leaky_relu'(0) = 0.01. A point with z^{(1)} = 0 exactly.
    for name, slope in (("relu", 0.0), ("leaky_relu", 0.01)):
        net = symbp.Network([1, 1, 1], [name, "identity"], "squared_error")
        point = {"x": np.array([1.0]), "t": np.array([0.0]), "W1": np.array([[0.5]]), "b1": np.array([-0.5]),
                 "W2": np.array([[2.0]]), "b2": np.array([1.0])}
        # By hand: a2 = 2 a1 + 1 = 1 (a1 = 0 at z1 = 0), dC/dW1 = (a2 - t) * W2 * sigma'(0) * x.
        expected = 1.0 * 2.0 * slope * 1.0
        for method in ("naive", "backprop", "reference"):
            got = symbp.gradient_at(net, point, method).gradients["W1"][0, 0]
            assert got == pytest.approx(expected, abs=1e-15), (name, method)


@pytest.fixture
def planted(monkeypatch):
    """Plant a wrong local derivative in the registry (naive and backprop read it, the reference does not)."""

    def plant(name: str, value, derivative) -> None:
        broken = activations_module.Activation(name, value, derivative)
        monkeypatch.setitem(activations_module.ACTIVATIONS, name, broken)
        build_graph.cache_clear()
        evaluator_for.cache_clear()

    yield plant
    build_graph.cache_clear()
    evaluator_for.cache_clear()


def test_wrong_tanh_derivative_is_caught_with_its_counterexample(planted):
    planted("tanh", sp.tanh, lambda z, a: 1 - a)
    result = CliRunner().invoke(app, ["check", "--layers", "2,2,1", "--activations", "tanh,identity",
                                      "--cost", "squared_error", "--points", "2"])
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("counterexample to W1_1_1 backprop:"))
    assert "backprop = " in line and "finite difference = " in line and "x = [" in line and "W1 = [[" in line
    assert "✗" in result.stdout


def test_wrong_sigmoid_derivative_with_abstract_cost_disagrees_through_stand_ins(planted):
    # No finite differences without a cost: the counterexample uses random stand-ins for dC/da.
    planted("sigmoid", lambda z: 1 / (1 + sp.exp(-z)), lambda z, a: a * (1 + a))
    report = check(symbp.Network([2, 2, 1], "sigmoid"), points=2)
    failures = {(r.entry, r.method): r for r in report.failures}
    assert set(failures) and all(method == "reference = backprop" for _, method in failures)
    example = failures[("W1_1_1", "reference = backprop")].counterexample
    values = dict(example.values)
    assert abs(values["reference"] - values["backprop"]) > 1e-6 * abs(values["backprop"])
    assert any(name.startswith("∂C/∂a") for name, _ in example.stand_ins)
    assert report.counts["proved"] > 0  # naive = backprop still proved: both use the planted derivative


def test_an_unprovable_true_identity_is_verified_not_disagree():
    # leaky_relu's reference distributes z/100 over sums, which the fold cannot name: verified numerically.
    report = check(symbp.Network([2, 2, 1], "leaky_relu"), points=3)
    assert report.passed and report.counts["disagree"] == 0
    assert report.counts["proved"] + report.counts["verified"] == len(report.rows)


def test_sympy_reference_on_30_one_unit_sigmoid_layers_is_refused_and_check_skips_it():
    net = symbp.Network([1] * 31, "sigmoid", "squared_error")
    with pytest.raises(symbp.SymbpError, match="--method backprop"):
        symbp.reference(net, "W1_1_1", engine="sympy")
    report = check(net, points=1, entries=["W1_1_1", "b30_1"], reference_engine="sympy")
    assert report.passed
    skipped = [r for r in report.rows if r.outcome == "skipped"]
    assert {r.method for r in skipped} == {"reference", "reference = backprop"}
    assert all("limited to 16 layers" in r.reason for r in skipped)
    assert {r.outcome for r in report.rows if r.method in ("naive", "backprop")} == {"verified"}
    text = CliRunner().invoke(app, ["check", "--layers", ",".join(["1"] * 31), "--activation", "sigmoid",
                                    "--cost", "squared_error", "-e", "W1_1_1", "-n", "1", "--reference-engine", "sympy"])
    assert text.exit_code == 0 and "skipped: the reference (sympy.diff) is limited to 16 layers" in text.stdout


@pytest.mark.slow  # seconds: the refusal is also tested on a wide network, deep backprop at 100 layers, by default
def test_grad_method_sympy_reference_on_50_two_unit_layers_is_refused_at_once(tmp_path):
    layers = [2] * 51
    net = symbp.Network(layers, "sigmoid", "squared_error")
    point = {"x": [0.1, 0.2], "t": [0.3, 0.4]}
    for m in range(1, 51):
        point[f"W{m}"] = [[0.1, 0.2], [0.3, 0.4]]
        point[f"b{m}"] = [0.0, 0.1]
    path = tmp_path / "point.json"
    path.write_text(json.dumps(point))
    result = CliRunner().invoke(app, ["grad", "-p", str(path), "-m", "reference", "--layers", ",".join(map(str, layers)),
                                      "--activation", "sigmoid", "--cost", "squared_error", "--reference-engine", "sympy"])
    assert result.exit_code == 2 and "--method backprop" in result.output
    assert symbp.gradient_at(net, {k: np.array(v) for k, v in point.items()}).cost > 0  # backprop still works


def test_reference_too_wide_is_refused_with_the_estimate():
    net = symbp.Network([2, 30, 30, 30, 1], "sigmoid", "squared_error")
    with pytest.raises(symbp.SymbpError, match="expression nodes"):
        symbp.reference(net, "W1_1_1", engine="sympy")
    with pytest.raises(symbp.SymbpError, match=r"reference \(symengine\) of 21203 entries would walk"):
        symbp.reference(symbp.Network([2, 100, 100, 100, 1], "sigmoid", "squared_error"), "all")


def test_reference_refusal_at_1000_layers_has_no_recursion_error():
    net = symbp.Network([1] * 1001, "tanh", "squared_error")
    with pytest.raises(symbp.SymbpError, match="limited to 16 layers"):
        symbp.reference(net, "W1_1_1", engine="sympy")
    with pytest.raises(symbp.SymbpError, match="limited to 100 layers"):
        symbp.reference(net, "W1_1_1")


@pytest.mark.slow  # seconds: 30-layer refusals and deep backprop stay quick
def test_gradient_at_100_layers_has_no_recursion_error():
    # (1000 layers passes too, in minutes: building the graph, not recursion, is the cost.)
    L = 100
    net = symbp.Network([1] * (L + 1), "tanh", "squared_error")
    point = {"x": np.array([0.5]), "t": np.array([0.1])}
    for m in range(1, L + 1):
        point[f"W{m}"], point[f"b{m}"] = np.array([[1.0]]), np.array([0.0])
    result = symbp.gradient_at(net, point)
    # By hand: a^{(m)} = tanh(a^{(m-1)}), so dC/db^{(L)} = (a - t)(1 - a^2) at the last layer.
    a = 0.5
    for _ in range(L):
        a = np.tanh(a)
    assert result.gradients[f"b{L}"][0] == pytest.approx((a - 0.1) * (1 - a**2), rel=1e-12)
