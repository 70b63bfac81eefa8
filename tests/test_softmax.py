"""Softmax output layer and categorical cross-entropy (issue 10, items 1 and 2).

Oracles, each written here and independent of symbp: ``sympy.diff`` of the forward pass and
cost written out below; path lists enumerated by hand; published worked examples (CS231n,
Wikipedia) with their printed digits; NumPy with log-sum-exp written out.
"""

from __future__ import annotations

from math import prod

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symbp
from symbp.counts import backprop_count, naive_count, naive_paths
from symbp.errors import SymbpError
from symbp.numeric import gradient_at

SOFTMAX_NET = symbp.Network([4, 3, 3], ["sigmoid", "softmax"], "cross_entropy")
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def softmax_written_out(z):
    total = sum(sp.exp(v) for v in z)
    return [sp.exp(v) / total for v in z]


def sigmoid_written_out(v):
    return 1 / (1 + sp.exp(-v))


# Where softmax and cross-entropy are accepted ---------------------------------------------------------


def test_softmax_on_a_hidden_layer_is_refused_naming_the_accepted_ones():
    with pytest.raises(SymbpError, match=r"'softmax' is for the output layer only .*layer 1.*sigmoid"):
        symbp.Network([3, 3, 2], ["softmax", "softmax"], "cross_entropy")


@pytest.mark.parametrize("output", ["sigmoid", "identity", "tanh", "relu"])
def test_cross_entropy_after_an_element_wise_output_is_refused(output):
    with pytest.raises(SymbpError, match=rf"'cross_entropy' needs an output layer of softmax or abstract, not '{output}'"):
        symbp.Network([2, 3], output, "cross_entropy")


@pytest.mark.parametrize("output", ["softmax", "abstract"])
def test_cross_entropy_follows_softmax_or_abstract(output):
    assert symbp.Network([2, 3], output, "cross_entropy").cost == "cross_entropy"


# The collapse delta^{(L)} = a - t ------------------------------------------------------------------------


@pytest.mark.parametrize("classes", [2, 3, 4, 5, 6])
def test_the_collapse_to_a_minus_t_is_proved_symbolically(classes):
    net = symbp.Network([1, classes], "softmax", "cross_entropy")
    graph = symbp.build_graph(net)
    z = sp.symbols(f"z1:{classes + 1}", real=True)
    t = list(sp.symbols(f"t1:{classes + 1}", real=True))
    a = softmax_written_out(z)
    cost = -sum(t_k * sp.log(a_k) for t_k, a_k in zip(t, a))
    outputs = dict(zip(graph.a[1], a))
    on_simplex = {t[-1]: 1 - sum(t[:-1])}
    # exp(z_k) as a positive symbol e_k, so that each identity below is one of rational functions (cancel).
    e = dict(zip(z, sp.symbols(f"e1:{classes + 1}", positive=True)))

    def power_of_e(node: sp.exp) -> sp.Expr:  # exp(c z_k) = e_k^c
        coefficient, z_k = node.args[0].as_coeff_Mul()
        return e[z_k] ** coefficient

    def is_zero(expr: sp.Expr) -> bool:
        return sp.cancel(expr.replace(lambda n: isinstance(n, sp.exp), power_of_e)) == 0

    for j, step in enumerate(symbp.backprop(net).deltas):
        named = dict(zip(graph.z[1], z)) | dict(zip(graph.t, t))
        oracle = sp.diff(cost, z[j])  # dC/dz_j by sympy.diff of the written-out cost
        # The Jacobian sum backprop computes is dC/dz_j for any t ...
        assert is_zero(step.formula.xreplace(named).xreplace(outputs) - oracle)
        # ... the steps of the collapse are equal to it for any t, the last once sum_k t_k = 1.
        *exact, last = step.collapse
        for form in exact:
            assert sp.expand(form - step.formula) == 0
        assert last == graph.a[1][j] - graph.t[j]
        assert is_zero((oracle - (a[j] - t[j])).subs(on_simplex))
        # Without sum_k t_k = 1 the last step would be wrong: it is not proved by accident.
        assert not is_zero(oracle - (a[j] - t[j]))


# Paths through the Jacobian ------------------------------------------------------------------------------


def enumerate_softmax_paths(net: symbp.Network, layer: int, kind: str) -> list[tuple[int, ...]]:
    """Every path from an entry of ``layer`` to C: a unit in each layer above, and the a^{(L)}_k reached."""
    L, D = net.L, net.D(net.L)
    if kind == "a" and layer == L:
        return [()]
    above = [[]]
    for m in range(layer + 1, L + 1):
        above = [units + [u] for units in above for u in range(net.D(m))]
    return [(*units, k) for units in above for k in range(D)]


@st.composite
def softmax_networks(draw):
    L = draw(st.integers(1, 3))
    layers = draw(st.lists(st.integers(1, 3), min_size=L, max_size=L)) + [draw(st.integers(2, 3))]  # softmax: 2+
    hidden = draw(st.lists(st.sampled_from(["abstract", "tanh", "sigmoid"]), min_size=L - 1, max_size=L - 1))
    return symbp.Network(layers, [*hidden, "softmax"], draw(st.sampled_from(["cross_entropy", "squared_error", "abstract"])))


@SETTINGS
@given(softmax_networks())
def test_path_counts_through_the_jacobian_equal_the_real_expansions(net):
    L, D = net.L, net.D(net.L)
    for entry in net.entries():
        derivation = symbp.naive(net, entry)
        by_hand = enumerate_softmax_paths(net, entry.layer, entry.kind)
        # The README's formula: D(m+1) ... D(L) times D(L) once more, a^{(L)}_k alone has one path.
        formula = 1 if (entry.kind == "a" and entry.layer == L) else prod(net.layers[entry.layer + 1:]) * D
        assert len(derivation.paths) == len(by_hand) == naive_paths(net, entry) == formula, entry.name
        count = naive_count(net, entry)
        assert count.multiplications == sum(len(p.factors) - 1 for p in derivation.paths), entry.name
        if not (entry.kind == "a" and entry.layer == L):
            # Every path passes through some a^{(L)}_k and some z^{(L)}_j, by the Jacobian entry.
            for path in derivation.paths:
                nodes = path.nodes
                assert nodes[1] in symbp.build_graph(net).a[L] and nodes[2] in symbp.build_graph(net).z[L]


@SETTINGS
@given(softmax_networks())
def test_backprop_operation_count_after_softmax_equals_the_real_recursion(net):
    entries = tuple(net.entries(kinds=("W", "b")))
    derivation = symbp.backprop(net, entries)
    multiplications = additions = 0
    for step in derivation.deltas:
        if step.jacobian:  # sum_k dC/da_k * da_k/dz_j: one product per k, k - 1 sums
            multiplications += len(step.jacobian)
            additions += len(step.jacobian) - 1
        else:
            multiplications += len(step.terms) + 1
            additions += max(len(step.terms) - 1, 0)
    multiplications += sum(1 for g in derivation.gradients for _, multiplier in g.terms if multiplier != 1)
    count = backprop_count(net, entries)
    assert (count.multiplications, count.additions) == (multiplications, additions)


def test_jacobian_factor_is_a_k_times_indicator_minus_a_j():
    graph = symbp.build_graph(SOFTMAX_NET)
    a = graph.a[2]
    path_factors = {(f.of, f.wrt): f.value for p in symbp.naive(SOFTMAX_NET, "b2_2").paths for f in p.factors}
    assert path_factors[(a[0], graph.z[2][1])] == -a[0] * a[1]
    assert path_factors[(a[1], graph.z[2][1])] == a[1] * (1 - a[1])
    assert path_factors[(a[2], graph.z[2][1])] == -a[2] * a[1]


# The derivations against sympy.diff of the forward pass written out here ----------------------------------


@pytest.mark.slow  # seconds: test_softmax_torch checks naive and backprop against PyTorch by default
def test_naive_and_backprop_equal_sympy_diff_of_the_written_out_network():
    net = symbp.Network([2, 2, 3], ["tanh", "softmax"], "cross_entropy")
    graph = symbp.build_graph(net)
    x, t = graph.a[0], graph.t
    W1, b1, W2, b2 = graph.W[1], graph.b[1], graph.W[2], graph.b[2]
    hidden = [sp.tanh(sum(W1[i, j] * x[j] for j in range(2)) + b1[i]) for i in range(2)]
    outputs = softmax_written_out([sum(W2[k, i] * hidden[i] for i in range(2)) + b2[k] for k in range(3)])
    cost = -sum(t_k * sp.log(a_k) for t_k, a_k in zip(t, outputs))
    rng = np.random.default_rng(3)
    values = {s.name: sp.Float(v) for s, v in zip([*x, *graph.parameters, *t], rng.uniform(-1, 1, 2 + 15 + 3))}

    def at(expression: sp.Expr) -> float:
        # By name: SymPy's cache may hand back a subexpression built earlier with a plain Symbol of the same
        # name, which subs keyed by the graph's LectureSymbol passes over (subs compares types too).
        return float(expression.xreplace({s: values[s.name] for s in expression.free_symbols}))

    for entry in ("W1_2_1", "b1_1", "W2_3_2", "b2_1"):
        symbol = graph.symbol(net.entry(entry))
        oracle = at(sp.diff(cost, symbol))
        for expression in (symbp.naive(net, entry).expression(), symbp.backprop(net).expression(entry)):
            assert at(graph.substitute(expression)) == pytest.approx(oracle, rel=1e-12)


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
def test_check_proves_every_comparison_of_the_readme_network():
    report = symbp.check(symbp.Network([3, 2, 3], ["sigmoid", "softmax"], "cross_entropy"), points=2)
    assert report.counts["disagree"] == 0 and report.counts["skipped"] == 0
    pairs = [row for row in report.rows if "=" in row.method]
    assert pairs and all(row.outcome == "proved" for row in pairs), [(r.entry, r.method, r.outcome) for r in pairs]


def test_check_finds_a_wrong_jacobian(monkeypatch):
    """The check can fail: a softmax whose Jacobian forgets the off-diagonal terms disagrees."""
    from symbp import activations
    from symbp.graph import build_graph

    softmax = activations.ACTIVATIONS["softmax"]
    diagonal_only = lambda a: tuple(tuple(a_k * (1 - a_k) if k == j else 0 * a_k for j in range(len(a))) for k, a_k in enumerate(a))  # noqa: E731
    monkeypatch.setitem(activations.ACTIVATIONS, "softmax", activations.Activation(
        "softmax", None, None, stays_in_unit_interval=True, vector_value=softmax.vector_value, jacobian=diagonal_only))
    build_graph.cache_clear()
    try:
        report = symbp.check(symbp.Network([2, 3], "softmax", "cross_entropy"), points=2, entries=["b1_1"])
    finally:
        build_graph.cache_clear()
    assert report.counts["disagree"] >= 1


# Published worked examples -------------------------------------------------------------------------------


def scores_network(scores, target):
    """z^{(1)} = the scores: one input, zero weights, the scores as biases."""
    net = symbp.Network([1, len(scores)], "softmax", "cross_entropy")
    point = {"x": [1.0], "W1": [[0.0]] * len(scores), "b1": list(scores), "t": target}
    return net, point


def test_cs231n_linear_classification_softmax_example():
    # Stanford CS231n, "Linear classification" notes (cs231n.github.io/linear-classify/), the softmax
    # figure: scores cat 3.2, car 5.1, frog -1.7 -> normalized probabilities 0.13, 0.87, 0.00, and
    # L_i = -log(0.13) = 2.04 (natural log) for the correct class cat.
    net, point = scores_network([3.2, 5.1, -1.7], [1.0, 0.0, 0.0])
    result = gradient_at(net, point)
    assert [round(float(p), 2) for p in result.a["a1"]] == [0.13, 0.87, 0.00]
    assert round(result.cost, 2) == 2.04
    # delta^{(1)} = a - t with the same probabilities (the collapse, in numbers)
    assert np.allclose(result.delta["delta1"], result.a["a1"] - np.array([1.0, 0.0, 0.0]), rtol=1e-12, atol=0)


def test_wikipedia_softmax_example():
    # Wikipedia, "Softmax function", Example: softmax of [1, 2, 3, 4, 1, 2, 3] is
    # [0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175] (to three decimals).
    net, point = scores_network([1, 2, 3, 4, 1, 2, 3], [0, 0, 0, 1, 0, 0, 0])
    probabilities = gradient_at(net, point).a["a1"]
    assert [round(float(p), 3) for p in probabilities] == [0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175]


# Numbers at logits of 1,000 ------------------------------------------------------------------------------


def test_grad_is_finite_at_logits_of_a_thousand():
    net, point = scores_network([1000.0, 0.0, -1000.0], [0.0, 1.0, 0.0])
    result = gradient_at(net, point)
    # Written out with log-sum-exp: C = logsumexp(z) - z_2 = 1000 (to rounding); dC/dz = softmax(z) - t.
    assert result.cost == pytest.approx(1000.0, rel=1e-15)
    assert np.array_equal(result.gradients["b1"], np.array([1.0, -1.0, 0.0]))
    for value in (*result.gradients.values(), *result.delta.values()):
        assert np.all(np.isfinite(value))


@pytest.mark.parametrize("cost", ["cross_entropy", "squared_error", "abstract"])
def test_softmax_over_one_unit_is_refused_with_a_hint(cost):
    """softmax(z) = exp(z)/exp(z) = 1 for one unit: a constant, every gradient 0."""
    z = sp.Symbol("z", real=True)
    assert sp.simplify(sp.exp(z) / sp.exp(z)) == 1
    with pytest.raises(SymbpError, match="softmax over 1 output unit.*sigmoid"):
        symbp.Network([3, 2, 1], ["sigmoid", "softmax"], cost)
