"""The SymEngine reference left over named remainders (issue 14), against PyTorch autograd.

For a weight of layer m, SymEngine differentiates C with the units above written as
W^{(m+1)}_{ki} a^{(m)}_i + r_k, r_k = sum_{j != i} W^{(m+1)}_{kj} a^{(m)}_j + b^{(m+1)}_k named;
its numbers come from the forward pass's values and r_k's sum. Oracle: PyTorch float64 autograd of
the same network (``torch_gradients``, written from the layer sizes and names alone).
"""

from __future__ import annotations

import numpy as np
import pytest

import symbp
from symbp.numeric import random_point

from test_batch_decay import torch_gradients

SIGMOID_TANH = symbp.Network([3, 4, 3, 2], ["sigmoid", "tanh", "identity"], "squared_error")
NETWORKS = [
    pytest.param(SIGMOID_TANH, marks=pytest.mark.slow),  # 2 s: in .ci/run's slow run
    pytest.param(symbp.Network([2, 3, 3, 3], ["tanh", "sigmoid", "softmax"], "cross_entropy", batch=2, l2=0.1),
                 marks=pytest.mark.slow),  # 2.3 s
    pytest.param(symbp.Network([2, 3, 2, 1], ["relu", "softplus", "sigmoid"], "binary_cross_entropy"),
                 marks=pytest.mark.slow),  # 1.5 s
]


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: n.describe())
def test_reference_numbers_over_remainders_equal_autograd(net):
    point = random_point(net, np.random.default_rng(4))
    _, expected = torch_gradients(net, point)
    got = symbp.gradient_at(net, point, "reference").gradients
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-10, atol=1e-13, err_msg=f"{net.describe()} {key}")


def test_a_first_layer_weight_is_differentiated_over_remainders_and_printed_without_them():
    net = SIGMOID_TANH
    derivation = symbp.reference(net, "W1_2_3")
    rests = derivation.remainders()
    # one per unit of layer 2, each the sum over the other units of layer 1
    assert len(rests) == net.D(2)
    assert all(len(terms) == net.D(1) - 1 for terms, _ in rests.values())
    printed = derivation.expression()
    assert {s.name[0] for s in printed.free_symbols} <= {"a", "W", "b", "t"}  # x is a0; nothing named z or _r
    assert not any(s.name.startswith(("a1", "a2", "z")) for s in printed.free_symbols)


@pytest.mark.slow  # 2 s: in .ci/run's slow run
def test_where_float64_overflows_the_reference_is_evaluated_in_mpfr_not_refused_or_slow():
    # logits near 800: SymEngine's plain exp overflows float64; 53-bit MPFR does not
    net = symbp.Network([2, 3, 3], ["relu", "softmax"], "cross_entropy", batch=2)
    point = random_point(net, np.random.default_rng(1))
    point["W2"] = np.array([[300.0, 200.0, 100.0], [250.0, 260.0, 90.0], [-100.0, 310.0, 270.0]])
    point["x"] = np.abs(point["x"]) + 0.5
    _, expected = torch_gradients(net, point)
    got = symbp.gradient_at(net, point, "reference").gradients
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-9, atol=1e-12, err_msg=key)


def test_a_deep_network_whose_formula_repeats_z_is_refused_at_once_by_the_reference():
    from typer.testing import CliRunner

    from symbp.cli import app

    layers = ",".join(["2"] * 12)
    result = CliRunner().invoke(app, ["check", "--layers", layers, "--define", "gelu=x*(1+erf(x/sqrt(2)))/2",
                                      "--activation", "gelu", "--cost", "squared_error", "-e", "W1_1_1", "-n", "1"])
    assert result.exit_code == 0, result.output
    assert "uses z more than once (gelu)" in " ".join(result.output.split())  # the reference skipped, with the reason
    with pytest.raises(symbp.SymbpError, match="uses z more than once"):
        symbp.reference(symbp.Network([2] * 12, "leaky_relu", "squared_error"), "W1_1_1")


def test_a_wrong_symengine_number_is_never_shown_as_proved_on_a_relu_network(monkeypatch):
    # relu's printed reference is SymPy's own diff: a proof of it says nothing of SymEngine's numbers
    reference_module = __import__("importlib").import_module("symbp.derive.reference")
    original = reference_module._SymEngineGraph.derivative
    monkeypatch.setattr(reference_module._SymEngineGraph, "derivative",
                        lambda self, entry: original(self, entry) + (0.001 if entry.name == "W1_1_1" else 0))
    reference_module._engine.cache_clear()
    try:
        report = symbp.check(symbp.Network([2, 2, 1], "relu", "squared_error"), points=2)
    finally:
        reference_module._engine.cache_clear()
    rows = {(r.entry, r.method): r.outcome for r in report.rows}
    assert rows[("W1_1_1", "reference = backprop")] == "disagree"
    assert rows[("W1_1_1", "reference")] == "disagree"
    assert rows[("W1_1_2", "reference = backprop")] == "proved"
