"""symbp.check proves agreement, and reports disagreement when a derivation is wrong."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symbp
from symbp.checking import check
from symbp import activations as activations_module
from symbp.graph import build_graph
from symbp.numeric import evaluator_for


def test_concrete_network_passes_numerically_and_symbolically():
    report = check(symbp.Network([2, 2, 2], ["tanh", "sigmoid"], "binary_cross_entropy"), points=3, seed=4)
    assert report.passed and not report.failures
    against_fd = [r for r in report.rows if "=" not in r.method]
    assert len(against_fd) == 3 * len(list(report.network.entries()))
    assert all(r.outcome == "verified" and r.max_error < 1e-9 for r in against_fd)
    # naive = backprop is proved over named intermediates; reference = backprop needs cancel for
    # sigmoid's exponentials, which concrete mode leaves to the numbers (verified).
    assert {r.outcome for r in report.rows if r.method == "naive = backprop"} == {"proved"}
    assert {r.outcome for r in report.rows if r.method == "reference = backprop"} <= {"proved", "verified"}


def test_abstract_network_is_proved_entry_by_entry():
    report = check(symbp.Network())
    assert report.symbolic_only and report.passed
    assert {r.method for r in report.rows} == {"naive = backprop", "reference = backprop"}
    assert {r.entry for r in report.rows} == {e.name for e in symbp.Network().entries()}
    assert report.counts == {"proved": len(report.rows), "verified": 0, "disagree": 0, "skipped": 0}


@pytest.fixture
def wrong_tanh_derivative(monkeypatch):
    """tanh' written as 1 - a instead of 1 - a^2: naive and backprop use it, reference does not."""
    broken = activations_module.Activation("tanh", sp.tanh, lambda z, a: 1 - a)
    monkeypatch.setitem(activations_module.ACTIVATIONS, "tanh", broken)
    build_graph.cache_clear()
    evaluator_for.cache_clear()
    yield
    build_graph.cache_clear()
    evaluator_for.cache_clear()


def test_a_wrong_local_derivative_is_caught(wrong_tanh_derivative):
    net = symbp.Network([2, 2, 1], ["tanh", "identity"], "squared_error")
    report = check(net, points=2)
    assert not report.passed
    failed = {(r.entry, r.method): r for r in report.failures}
    assert ("W1_1_1", "naive") in failed and ("W1_1_1", "backprop") in failed
    assert ("W1_1_1", "reference = backprop") in failed
    assert ("W1_1_1", "reference") not in failed  # sympy.diff never sees the registry's derivative
    assert ("W2_1_1", "naive") not in failed  # the output layer is the identity
    # The counterexample is real: recompute dC/dW1_1_1 at its point by hand (tanh' = 1 - tanh^2).
    example = failed[("W1_1_1", "backprop")].counterexample
    p = {k: np.array(v) for k, v in example.point.items()}
    z1 = p["W1"] @ p["x"] + p["b1"]
    a2 = p["W2"] @ np.tanh(z1) + p["b2"]
    true = ((a2 - p["t"]) @ p["W2"])[0] * (1 - np.tanh(z1[0]) ** 2) * p["x"][0]
    values = dict(example.values)
    assert values["finite difference"] == pytest.approx(true, rel=1e-7)
    assert abs(values["backprop"] - true) > 1e-3 * abs(true)


def test_points_must_be_positive():
    with pytest.raises(symbp.SymbpError, match="points 0"):
        check(symbp.Network([2, 1], "tanh", "squared_error"), points=0)


def test_naive_budget_is_refused_before_expanding():
    net = symbp.Network([4, 60, 60, 60, 60, 1], "sigmoid", "squared_error")
    with pytest.raises(symbp.SymbpError) as caught:
        symbp.naive(net, "W1_1_1", max_paths=1000)
    assert "216,000 paths" in str(caught.value) and "1,000" in str(caught.value)


def test_check_and_gradient_at_refuse_naive_work_over_the_budget():
    net = symbp.Network([2, 2, 1], "sigmoid", "squared_error")
    # W1 and b1 entries have 1 path each, W2/b2 too: 9 parameters, 9 paths; z and a add 6 more.
    with pytest.raises(symbp.SymbpError, match="15 paths, over the budget of 3"):
        check(net, max_paths=3)
    point = symbp.random_point(net, np.random.default_rng(0))
    with pytest.raises(symbp.SymbpError, match="9 paths, over the budget of 3"):
        symbp.gradient_at(net, point, "naive", max_paths=3)
    assert symbp.gradient_at(net, point, "backprop", max_paths=3).cost > 0  # backprop expands nothing


def test_cli_max_paths_reaches_grad_and_check(tmp_path):
    from typer.testing import CliRunner

    from symbp.cli import app

    point = tmp_path / "point.json"
    point.write_text('{"x": [1, 2], "t": 0.5, "W1": [[0.1, 0.2], [0.3, 0.4]], "b1": [0, 0], "W2": [[0.5, 0.6]], "b2": [0.1]}')
    network = ["--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error"]
    result = CliRunner().invoke(app, ["grad", "-p", str(point), "-m", "naive", "--max-paths", "3", *network])
    assert result.exit_code == 2 and "budget of 3" in result.output
    assert CliRunner().invoke(app, ["grad", "-p", str(point), "-m", "naive", "--max-paths", "9", *network]).exit_code == 0
    assert CliRunner().invoke(app, ["check", "--max-paths", "3", *network]).exit_code == 2


def test_check_reports_progress_from_the_first_derivation_to_the_end():
    calls = []
    net = symbp.Network([2, 2, 1], "sigmoid", "squared_error")
    symbp.check(net, points=1, progress=lambda done, total: calls.append((done, total)))
    entries = len(tuple(net.entries()))
    assert calls[0] == (1, 4 * entries)  # after the first entry's derivations, before any numbers
    assert calls[-1] == (4 * entries, 4 * entries)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and {t for _, t in calls} == {4 * entries}
    abstract = []
    symbp.check(symbp.Network([2, 2, 1]), progress=lambda done, total: abstract.append((done, total)))
    entries = len(tuple(symbp.Network([2, 2, 1]).entries()))
    assert abstract[0] == (1, 2 * entries) and abstract[-1] == (2 * entries, 2 * entries)


def test_gradient_at_reports_progress_for_the_reference_and_naive():
    net = symbp.Network([2, 2, 1], "tanh", "squared_error")
    point = symbp.numeric.random_point(net, np.random.default_rng(0))
    parameters = len(tuple(net.entries(kinds=("W", "b"))))
    for method in ("reference", "naive"):
        calls = []
        symbp.gradient_at(net, point, method, progress=lambda done, total: calls.append((done, total)))
        assert calls == [(k, parameters + 1) for k in range(1, parameters + 2)], method
    with pytest.raises(symbp.SymbpError, match="progress 3 must be a function"):
        symbp.gradient_at(net, point, "reference", progress=3)
