"""Network spec, activations, costs and the graph's equations, each against formulas written here."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import symbp
from symbp.activations import ACTIVATIONS
from symbp.costs import COSTS
from symbp.graph import build_graph

z, a, t = sp.symbols("z a t", real=True)

# Written out independently of symbp's registry.
FORMULAS = {
    "identity": z,
    "sigmoid": 1 / (1 + sp.exp(-z)),
    "tanh": sp.tanh(z),
    "relu": sp.Piecewise((0, z <= 0), (z, True)),
    "softplus": sp.log(1 + sp.exp(z)),
    "leaky_relu": sp.Piecewise((z / 100, z <= 0), (z, True)),
}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_activation_value_and_derivative_match_sympy_diff(name):
    activation = ACTIVATIONS[name]
    formula = FORMULAS[name]
    derivative = sp.diff(formula, z)
    for value in (-1.7, -0.3, 0.4, 2.2):
        at = {z: value}
        assert float(activation.value(z).subs(at)) == pytest.approx(float(formula.subs(at)), rel=1e-12)
        stored = activation.value(z).subs(at)  # sigma'(z) may be written in the stored activation a
        got = activation.derivative(z, a).subs({z: value, a: stored})
        assert float(got) == pytest.approx(float(derivative.subs(at)), rel=1e-12)


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_relu_derivative_at_zero_is_taken_as_zero_slope_side(name):
    # PyTorch's convention: the left derivative at the kink.
    expected = {"relu": 0, "leaky_relu": sp.Rational(1, 100)}[name]
    assert ACTIVATIONS[name].derivative(z, a).subs(z, 0) == expected


def test_cost_partials_match_sympy_diff():
    a1, a2, t1, t2 = sp.symbols("a1 a2 t1 t2", real=True)
    squared = (a1 - t1) ** 2 / 2 + (a2 - t2) ** 2 / 2
    bce = -(t1 * sp.log(a1) + (1 - t1) * sp.log(1 - a1)) - (t2 * sp.log(a2) + (1 - t2) * sp.log(1 - a2))
    for name, formula in [("squared_error", squared), ("binary_cross_entropy", bce)]:
        cost = COSTS[name]
        assert sp.simplify(cost.value([a1, a2], [t1, t2]) - formula) == 0
        assert sp.simplify(cost.partial(a1, t1) - sp.diff(formula, a1)) == 0


def test_equations_in_named_quantities_follow_the_lecture():
    net = symbp.Network([2, 3, 1], ["tanh", "sigmoid"], "squared_error")
    g = build_graph(net)
    # z^{(2)} = sum_j w^{(2)}_j a^{(1)}_j + b^{(2)}
    # Row i = unit of layer 1 (3 of them), column j = unit of layer 0 (2 inputs).
    W = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"W1_{i + 1}_{j + 1}", real=True))
    assert g.W[1] == W
    assert g.z_definition[2][0] == sum(g.W[2][0, j] * g.a[1][j] for j in range(3)) + g.b[2][0]
    assert g.a_definition[1][2] == sp.tanh(g.z[1][2])
    assert g.C_definition == (g.a[2][0] - g.t[0]) ** 2 / 2


def test_fully_substituted_cost_evaluates_like_numpy():
    net = symbp.Network([3, 2, 2], ["sigmoid", "identity"], "squared_error")
    g = build_graph(net)
    rng = np.random.default_rng(1)
    x, t_, W1, b1, W2, b2 = (rng.normal(size=s) for s in [(3,), (2,), (2, 3), (2,), (2, 2), (2,)])
    a1 = 1 / (1 + np.exp(-(W1 @ x + b1)))
    a2 = W2 @ a1 + b2
    expected = 0.5 * np.sum((a2 - t_) ** 2)
    values = {**dict(zip(g.a[0], x)), **dict(zip(g.t, t_)), **dict(zip(g.W[1], W1.ravel())), **dict(zip(g.b[1], b1))}
    values.update({**dict(zip(g.W[2], W2.ravel())), **dict(zip(g.b[2], b2))})
    assert float(g.full[g.C].subs(values)) == pytest.approx(expected, rel=1e-12)
    assert float(g.full[g.z[2][1]].subs(values)) == pytest.approx((W2 @ a1 + b2)[1], rel=1e-12)


def test_canonical_entry_names_are_one_based():
    net = symbp.Network([3, 2, 2, 1])
    assert [e.name for e in net.select(["W2"])] == ["W2_1_1", "W2_1_2", "W2_2_1", "W2_2_2"]
    assert [e.name for e in net.select(["b1", "z3", "a1_2"])] == ["b1_1", "b1_2", "z3_1", "a1_2"]
    everything = net.select(["all"])
    assert len(everything) == (6 + 2 + 2 + 2) + (4 + 2 + 2 + 2) + (2 + 1 + 1 + 1)
    assert net.entry("W1_2_3").name == "W1_2_3" and math.prod(net.layers) == 12


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(layers=[]), ["[]", "at least two"]),
        (dict(layers=[3]), ["[3]", "at least two"]),
        (dict(layers=[3, 0, 1]), ["0", "positive integer"]),
        (dict(layers=[3, -2, 1]), ["-2", "positive integer"]),
        (dict(layers=[3, 2.5, 1]), ["2.5", "positive integer"]),
        (dict(layers="3,2"), ["'3,2'", "list"]),
        (dict(activations="swish"), ["'swish'", "sigmoid", "leaky_relu"]),
        (dict(activations=["sigmoid", "tanh"]), ["2 non-linearities", "3 layers"]),
        (dict(cost="hinge"), ["'hinge'", "squared_error", "binary_cross_entropy"]),
        (dict(activations="tanh", cost="binary_cross_entropy"), ["'tanh'", "(0, 1)", "sigmoid"]),
        (dict(activations="relu", cost="binary_cross_entropy"), ["'relu'", "sigmoid"]),
    ],
)
def test_bad_network_raises_our_error_naming_the_value_and_what_is_accepted(kwargs, words):
    with pytest.raises(symbp.SymbpError) as caught:
        symbp.Network(**kwargs)
    assert isinstance(caught.value, ValueError)
    for word in words:
        assert word in str(caught.value)


def test_binary_cross_entropy_after_sigmoid_or_abstract_is_accepted():
    symbp.Network([2, 2, 1], ["relu", "sigmoid"], "binary_cross_entropy")
    symbp.Network([2, 2, 1], "abstract", "binary_cross_entropy")


@pytest.mark.parametrize(
    "name, words",
    [
        ("W4_1_1", ["W4_1_1", "1..3"]),
        ("W2_3_1", ["W2_3_1", "units 1..2", "not 3"]),
        ("W1_1_4", ["W1_1_4", "units 1..3", "not 4"]),
        ("b2", None),  # a group is fine for select
        ("x1_1", ["x1_1", "accepted"]),
        ("W2_1", ["W2_1", "W<m>_<i>_<j>"]),
        ("b2_1_1", ["b2_1_1", "b<m>_<i>"]),
        ("z0_1", ["z0_1", "1..3"]),
    ],
)
def test_entries_that_do_not_exist_are_refused(name, words):
    net = symbp.Network()
    if words is None:
        assert len(net.select([name])) == 2
        return
    with pytest.raises(symbp.SymbpError) as caught:
        net.select([name])
    for word in words:
        assert word in str(caught.value)
    with pytest.raises(symbp.SymbpError):
        symbp.naive(net, name)


def test_one_non_linearity_in_a_list_is_every_layers():
    """--activations sigmoid (one name) and a spec's ["sigmoid"] mean sigmoid for every layer, as the error promised."""
    from symbp import Network, SymbpError

    assert Network([3, 2, 2, 1], ["sigmoid"], "squared_error").activations == ("sigmoid",) * 3
    with pytest.raises(SymbpError, match=r"2 non-linearities \['sigmoid', 'tanh'\] given for 3 layers"):
        Network([3, 2, 2, 1], ["sigmoid", "tanh"], "squared_error")
