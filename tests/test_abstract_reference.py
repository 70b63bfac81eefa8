"""The reference of abstract networks (sigma^{(m)}, C unnamed functions) in both engines.

Oracle: each abstract function replaced by a concrete random function *before* differentiating,
then plain ``sympy.diff`` of the fully substituted cost; symbp's abstract derivative gets the same
functions, and their derivatives for sigma^{(m)'} and dC/da^{(L)}_k, afterwards. The two are compared
numerically at random points.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import sympy as sp

import symbp
from symbp.checking import check
from symbp.derive.reference import _engine
from symbp.graph import build_graph

reference_module = importlib.import_module("symbp.derive.reference")

NETWORKS = [
    # 1 to 3 s an engine: in .ci/run's slow run
    pytest.param(symbp.Network([2, 3, 2]), marks=pytest.mark.slow),
    pytest.param(symbp.Network([3, 2, 2, 1]), marks=pytest.mark.slow),
    pytest.param(symbp.Network([2, 2, 2], ["abstract", "sigmoid"], "squared_error"), marks=pytest.mark.slow),
    symbp.Network([2, 2, 1], ["tanh", "abstract"], "abstract"),
    symbp.Network([2, 2, 1], ["relu", "abstract"], "abstract"),
]


def _concrete(graph, seed):
    """{undefined function: a SymPy function of its arguments}, sigma' and dC/da as the true derivatives.

    Each is c tanh(u + s) + d u, u = sum_i w_i x_i, with random rational c, s, d, w_i (exact, so
    SymPy's arithmetic on them loses nothing).
    """
    rng = np.random.default_rng(seed)

    def rational() -> sp.Rational:
        return sp.Rational(int(rng.integers(-60, 61)) or 1, 37)

    functions, partial_values = {}, {}
    for f, partials in graph.partial_functions.items():
        arity = 2 * graph.network.D(graph.network.L) if f is graph.cost_function else 1
        c, s, d, w = rational(), rational(), rational(), [rational() for _ in range(arity)]

        def value(*args, c=c, s=s, d=d, w=w):
            u = sp.Add(*[wi * x for wi, x in zip(w, args)])
            return c * sp.tanh(u + s) + d * u

        functions[f] = value
        for k, partial in enumerate(partials):
            def derivative(*args, value=value, k=k):
                dummies = sp.symbols(f"u0:{len(args)}")
                return sp.diff(value(*dummies), dummies[k]).xreplace(dict(zip(dummies, args)))
            partial_values[partial] = derivative
    return functions, partial_values


def _with(expr, table):
    return expr.replace(lambda n: n.func in table, lambda n: table[n.func](*n.args))


@pytest.mark.parametrize("engine", ["symengine", "sympy"])
@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: n.describe())
def test_abstract_reference_equals_diff_of_the_cost_with_concrete_functions(net, engine):
    graph = build_graph(net)
    functions, partials = _concrete(graph, seed=net.L)
    cost = _with(graph.batch_full[graph.total], functions)
    inputs = sorted(cost.free_symbols, key=lambda s: s.name)
    point = np.random.default_rng(1).uniform(-1, 1, len(inputs))
    for entry in (e for e in net.entries() if e.is_parameter):  # z and a are not in the substituted cost
        variable = graph.symbol(entry)
        oracle = sp.diff(cost, variable)
        result = symbp.reference(net, entry.name, engine=engine)
        assert result.engine == ("sympy" if "relu" in net.activations else engine)
        ours = _with(_with(result.expression(), partials), functions)
        assert not ours.free_symbols - set(inputs), entry.name
        got, expected = (float(sp.lambdify(inputs, e)(*point)) for e in (ours, oracle))
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-12), (net.describe(), entry.name)


def test_a_wrong_abstract_derivative_from_symengine_is_caught_with_a_counterexample(monkeypatch):
    # Plant a mistake in SymEngine's abstract path only: sigma1' and sigma2' exchanged on the way back.
    net = symbp.Network([2, 2, 1])
    graph = build_graph(net)
    (s1, (p1,)), (s2, (p2,)) = [(f, ps) for f, ps in graph.partial_functions.items() if f is not graph.cost_function]
    original = reference_module._SymEngineGraph.abstract_to_sympy
    swap = {p1: p2, p2: p1}
    monkeypatch.setattr(reference_module._SymEngineGraph, "abstract_to_sympy",
                        lambda self, expr: _with(original(self, expr), {p: (lambda *a, q=q: q(*a)) for p, q in swap.items()}))
    _engine.cache_clear()
    try:
        report = check(net, points=2)
    finally:
        _engine.cache_clear()
    failures = {(r.entry, r.method) for r in report.failures}
    assert ("W1_1_1", "reference = backprop") in failures
    assert all(method == "reference = backprop" for _, method in failures)
    row = next(r for r in report.failures if r.entry == "W1_1_1")
    reference_value, backprop_value = (dict(row.counterexample.values)[k] for k in ("reference", "backprop"))
    assert reference_value != pytest.approx(backprop_value, rel=1e-6)
    assert row.counterexample.stand_ins  # the random functions that were used are named
    # Unplanted, every comparison is proved.
    monkeypatch.undo()
    _engine.cache_clear()
    assert check(net, points=2).counts == {"proved": 2 * len(tuple(net.entries())), "verified": 0,
                                           "disagree": 0, "skipped": 0}
