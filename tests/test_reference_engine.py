"""The SymEngine reference against the SymPy reference, a planted SymEngine mistake caught, and lazy import.

Oracle: ``sympy.diff`` of the substituted cost (the SymPy engine, an independent code path), compared
numerically at random points to 1e-12 (abstract sigma, C and their partials replaced on both sides by the
same random functions).
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symbp
from symbp.activations import ACTIVATIONS
from symbp.checking import check
from symbp.costs import COSTS, pairing_refusal
from symbp.derive.reference import _engine
from symbp.graph import build_graph
from symbp.numeric import Evaluator, compile_expressions, evaluator_for, random_point, stand_ins

reference_module = importlib.import_module("symbp.derive.reference")  # symbp.derive.reference is also the function
HIDDEN = [name for name, a in ACTIVATIONS.items() if not a.output_only]


def _networks():
    """Every non-linearity (hidden and output) with every cost it may follow."""
    out = []
    for output in ACTIVATIONS:
        for cost in COSTS:
            if pairing_refusal(cost, output) or (COSTS[cost].needs_unit_interval and output in ("identity", "tanh", "relu", "softplus", "leaky_relu")):
                continue
            hidden = "tanh" if output == "abstract" else next(h for h in HIDDEN if h != output and h != "abstract")
            out.append((hidden, output, cost))
    for hidden in HIDDEN:
        out.append((hidden, "identity", "squared_error"))
    return sorted(set(out))


def _numbers_agree(net: symbp.Network, entries, seed: int) -> None:
    """Both engines' derivatives at a random point; abstract parts replaced by the same random functions."""
    rng = np.random.default_rng(seed)
    graph = build_graph(net)
    functions = stand_ins(graph, rng) if net.is_abstract else {}
    evaluator = Evaluator(graph, functions) if net.is_abstract else evaluator_for(net)
    values = evaluator.forward_at(random_point(net, rng, evaluator))
    for entry in entries:
        by_symengine = symbp.reference(net, entry).expression()
        by_sympy = symbp.reference(net, entry, engine="sympy").expression()
        got, expected = compile_expressions(evaluator.graph_inputs, [by_symengine, by_sympy], functions)(values)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), (net.describe(), entry)


@pytest.mark.slow  # seconds: run by .ci/run (pytest -m slow); the mutation and kink tests stay quick
@pytest.mark.parametrize("hidden,output,cost", _networks())
def test_symengine_reference_equals_sympy_reference(hidden, output, cost):
    layers = [2, 3, 2] if output == "softmax" else [2, 2, 1]
    net = symbp.Network(layers, [hidden, output], cost)
    entries = ["W1_2_1", "b1_1", "W2_1_2", "z1_2", "a1_1", f"z2_{layers[-1]}"]
    _numbers_agree(net, entries, seed=len(entries))
    in_sympy = {hidden, output} & {"relu", "leaky_relu", "softmax"}  # beside an abstract part
    assert symbp.reference(net, entries[0]).engine == ("sympy" if net.is_abstract and in_sympy else "symengine")


@pytest.mark.parametrize("define,formula", [("swish", "x/(1+exp(-x))"), ("gelu", "x*(1+erf(x/sqrt(2)))/2"),
                                            ("kinked", "max(x, x/4)")])
@pytest.mark.slow  # seconds: run by .ci/run (pytest -m slow); the mutation and kink tests stay quick
def test_defined_formulas_agree_and_max_falls_back_to_sympy(define, formula):
    net = symbp.Network([2, 2, 1], [define, "identity"], "squared_error", define=((define, formula),))
    _numbers_agree(net, ["W1_1_2", "b1_2", "z1_1"], seed=3)
    engine = symbp.reference(net, "W1_1_2").engine
    assert engine == ("sympy" if define == "kinked" else "symengine")


@pytest.mark.slow  # seconds: run by .ci/run (pytest -m slow); the mutation and kink tests stay quick
def test_batch_and_decay_agree():
    net = symbp.Network([2, 2, 2], ["sigmoid", "softmax"], "cross_entropy", batch=3, l2=0.05)
    _numbers_agree(net, ["W1_1_1", "b1_2", "W2_2_1", "b2_1"], seed=5)


@settings(max_examples=15, deadline=None)
@given(
    widths=st.lists(st.integers(1, 3), min_size=2, max_size=4),
    hidden=st.sampled_from([h for h in HIDDEN if h != "abstract"]),
    seed=st.integers(0, 1000),
)
@pytest.mark.slow  # seconds: run by .ci/run (pytest -m slow); the mutation and kink tests stay quick
def test_random_networks_agree(widths, hidden, seed):
    net = symbp.Network(widths, [hidden] * (len(widths) - 2) + ["identity"], "squared_error")
    entries = [e.name for e in net.entries()]
    chosen = [entries[i] for i in np.random.default_rng(seed).choice(len(entries), min(3, len(entries)), replace=False)]
    _numbers_agree(net, chosen, seed)


def test_relu_derivative_at_the_kink_is_zero_in_symengine():
    # z1 = 0.5 * 1 - 0.5 = 0 exactly: relu'(0) = 0, leaky_relu'(0) = 1/100 (PyTorch's convention).
    for name, slope in (("relu", 0.0), ("leaky_relu", 0.01)):
        net = symbp.Network([1, 1, 1], [name, "identity"], "squared_error")
        point = {"x": [1.0], "t": [0.0], "W1": [[0.5]], "b1": [-0.5], "W2": [[2.0]], "b2": [1.0]}
        got = symbp.gradient_at(net, point, "reference").gradients["W1"][0, 0]
        assert got == pytest.approx(1.0 * 2.0 * slope * 1.0, abs=1e-15)


def test_a_wrong_symengine_derivative_is_caught_by_check_with_a_counterexample(monkeypatch):
    # Plant a mistake in SymEngine's path only: twice the true derivative of every entry.
    original = reference_module._SymEngineGraph.derivative
    monkeypatch.setattr(reference_module._SymEngineGraph, "derivative", lambda self, entry: 2 * original(self, entry))
    _engine.cache_clear()
    try:
        report = check(symbp.Network([2, 2, 1], "sigmoid", "squared_error"), points=2)
    finally:
        _engine.cache_clear()
    failures = {(r.entry, r.method) for r in report.failures}
    assert ("W1_1_1", "reference") in failures and ("W1_1_1", "reference = backprop") in failures
    assert all(method.startswith("reference") for _, method in failures)
    row = next(r for r in report.failures if (r.entry, r.method) == ("W1_1_1", "reference"))
    values = dict(row.counterexample.values)
    assert values["reference"] == pytest.approx(2 * values["finite difference"], rel=1e-6)
    assert set(row.counterexample.point) >= {"x", "t", "W1", "b1", "W2", "b2"}
    # The SymPy engine has no such mistake: the same check passes on it.
    assert check(symbp.Network([2, 2, 1], "sigmoid", "squared_error"), points=2, reference_engine="sympy").passed


@pytest.mark.slow  # seconds: run by .ci/run (pytest -m slow); the mutation and kink tests stay quick
def test_deep_narrow_network_reference_matches_backprop():
    net = symbp.Network([2] * 31, "sigmoid", "squared_error")
    rng = np.random.default_rng(0)
    point = random_point(net, rng)
    by_reference = symbp.gradient_at(net, point, "reference").gradients
    by_backprop = symbp.gradient_at(net, point, "backprop").gradients
    for key, value in by_backprop.items():
        np.testing.assert_allclose(by_reference[key], value, rtol=1e-10, atol=1e-14)


def test_unknown_engine_is_refused_naming_the_choices():
    with pytest.raises(symbp.SymbpError, match="accepted: symengine, sympy"):
        symbp.reference(symbp.Network([2, 1], "sigmoid", "squared_error"), "W1_1_1", engine="maple")
    with pytest.raises(symbp.SymbpError, match="accepted: symengine, sympy"):
        check(symbp.Network([2, 1], "sigmoid", "squared_error"), points=1, reference_engine="maple")


@pytest.mark.parametrize("code", [
    "import symbp",
    "import symbp.cli, sys; sys.argv = ['symbp', '--help']\ntry:\n    symbp.cli.main()\nexcept SystemExit:\n    pass",
    "import symbp.cli, sys; sys.argv = ['symbp', 'check', '--help']\ntry:\n    symbp.cli.main()\nexcept SystemExit:\n    pass",
])
def test_symengine_is_not_imported_by_import_or_help(code):
    probe = code + "\nimport sys; print('SYMENGINE' if 'symengine' in sys.modules else 'CLEAN')"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "CLEAN", result.stdout + result.stderr


@pytest.mark.slow  # seconds: run by .ci/run (pytest -m slow); the mutation and kink tests stay quick
def test_symengine_is_imported_once_a_reference_is_computed():
    probe = ("import sys, symbp; symbp.reference(symbp.Network([2, 1], 'sigmoid', 'squared_error'), 'W1_1_1')\n"
             "print('SYMENGINE' if 'symengine' in sys.modules else 'CLEAN')")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "SYMENGINE", result.stdout + result.stderr


def test_build_graph_cache_is_shared():
    # The SymEngine graph is built from the same cached graph the other derivations use.
    net = symbp.Network([2, 2, 1], "tanh", "squared_error")
    assert _engine(net).graph is build_graph(net)


@pytest.mark.slow  # seconds: run by .ci/run (pytest -m slow); the mutation and kink tests stay quick
def test_a_reference_too_large_to_write_out_is_refused_by_derive_but_its_numbers_are_given():
    from typer.testing import CliRunner

    from symbp.cli import app

    args = ["--layers", "2,30,30,30,1", "--activation", "sigmoid", "--cost", "squared_error"]
    result = CliRunner().invoke(app, ["derive", "W1_1_1", "--method", "reference", *args])
    assert result.exit_code == 2 and "written out" in result.output and "symbp check or grad" in result.output
    report = check(symbp.Network([2, 30, 30, 30, 1], "sigmoid", "squared_error"), points=1, entries=["W1_1_1"])
    assert report.passed and {r.outcome for r in report.rows if r.method.startswith("reference")} == {"verified"}


def test_the_printed_reference_names_the_engine_that_differentiated_it():
    net = symbp.Network([2, 2, 1], "tanh", "squared_error")
    for engine, name in (("symengine", "SymEngine"), ("sympy", "SymPy")):
        text = symbp.show(symbp.reference(net, "W1_1_1", engine=engine), format="text")
        assert f"by {name}'s diff of the cost" in text
    # where SymEngine cannot (max in a formula), SymPy did it, and the heading says so
    kinked = symbp.Network([2, 2, 1], ["kinked", "identity"], "squared_error", define=(("kinked", "max(x, x/4)"),))
    assert "by SymPy's diff" in symbp.show(symbp.reference(kinked, "W1_1_1"), format="text")


@pytest.mark.parametrize("entries,layers,extra", [
    (["W1"], "8,16,16,1", ["--activation", "sigmoid", "--cost", "squared_error"]),  # each under, together over
    (["W1_1_1"], "16,64,64,1", []),  # abstract: SymEngine's derivative would come back as a SymPy tree
])
def test_derive_refuses_references_too_large_to_print_together_before_deriving(entries, layers, extra):
    from typer.testing import CliRunner

    from symbp.cli import app
    from symbp.derive.reference import REFERENCE_MAX_NODES, cost_tree_nodes

    net = symbp.Network([int(v) for v in layers.split(",")], *(["sigmoid", "squared_error"] if extra else []))
    chosen = [e for e in net.entries() if e.name == entries[0] or e.name.startswith(entries[0] + "_")]
    assert sum(cost_tree_nodes(net, e) for e in chosen) > REFERENCE_MAX_NODES  # the premise, by formula
    result = CliRunner().invoke(app, ["derive", *entries, "--method", "reference", "--layers", layers, *extra])
    assert result.exit_code == 2, result.output
    assert "written out would have about" in result.output and "symbp check or grad" in result.output
    assert "Traceback" not in result.output
