"""A batch of N examples and weight decay: C = (1/N) sum_n C(a^{(L),(n)}, t^{(n)}) + (lambda/2) sum (W^{(m)}_{ij})^2.

Oracles, none of which uses symbp's derivations:
- PyTorch float64 autograd of the batch mean plus the decay, on random networks (relative 1e-9);
- ``sympy.diff`` of a forward pass written out here, example by example;
- counts of the real expansions' paths, factors and terms against ``symbp.counts``.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import sympy as sp

import symbp
import symbp.specfile
from oracle import need_torch
from symbp.counts import backprop_count, naive_count
from symbp.errors import SymbpError
from symbp.graph import build_graph
from symbp.numeric import gradient_at, random_point

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command


def torch_gradients(network: symbp.Network, point: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    """C and dC/dW, dC/db by autograd: the per-example cost averaged over the rows, plus (lambda/2) sum W^2."""
    torch = need_torch()
    functions = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "identity": lambda z: z,
        "relu": torch.relu,
        "softplus": torch.nn.functional.softplus,
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
        "softmax": lambda z: torch.softmax(z, dim=1),
        "swish": torch.nn.functional.silu,  # defined below as x/(1+exp(-x))
    }
    L = network.L
    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in point.items() if k not in "xt"}
    x = torch.tensor(point["x"], dtype=torch.float64).reshape(network.batch, network.D(0))
    t = torch.tensor(point["t"], dtype=torch.float64).reshape(network.batch, network.D(L))
    a = x
    for m in range(1, L + 1):
        a = functions[network.activations[m - 1]](a @ params[f"W{m}"].T + params[f"b{m}"])
    if network.cost == "squared_error":
        per_example = 0.5 * ((a - t) ** 2).sum(dim=1)
    elif network.cost == "cross_entropy":
        per_example = -(t * torch.log(a)).sum(dim=1)
    else:
        per_example = -(t * torch.log(a) + (1 - t) * torch.log(1 - a)).sum(dim=1)
    cost = per_example.mean() + network.l2 / 2 * sum((params[f"W{m}"] ** 2).sum() for m in range(1, L + 1))
    cost.backward()
    return cost.item(), {k: p.grad.numpy() for k, p in params.items()}


RANDOM_NETWORKS = [
    symbp.Network([2, 3, 1], "sigmoid", "squared_error", batch=3, l2=0.1),
    pytest.param(symbp.Network([3, 2, 2], ["tanh", "sigmoid"], "binary_cross_entropy", batch=4, l2=0.7), marks=pytest.mark.slow),
    pytest.param(symbp.Network([2, 2, 2, 1], ["relu", "softplus", "identity"], "squared_error", batch=2, l2=0.0), marks=pytest.mark.slow),
    symbp.Network([1, 3, 2], ["leaky_relu", "tanh"], "squared_error", batch=1, l2=2.5),
    pytest.param(symbp.Network([2, 2, 3], ["tanh", "softmax"], "cross_entropy", batch=3, l2=0.2), marks=pytest.mark.slow),
    symbp.Network([2, 2, 1], ["swish", "sigmoid"], "squared_error", batch=2, l2=0.3,
                  define={"swish": "x/(1+exp(-x))"}),
]


# The larger three run in .ci/run's `pytest -m slow`; the README's command keeps one of each kind fast.
@pytest.mark.parametrize("network", RANDOM_NETWORKS, ids=lambda n: n.describe())
def test_every_method_matches_pytorch_on_a_batch_with_decay(network):
    rng = np.random.default_rng(7)
    for _ in range(2):
        point = random_point(network, rng)
        cost, expected = torch_gradients(network, point)
        for method in ("backprop", "naive", "reference"):
            got = gradient_at(network, point, method)
            assert got.cost == pytest.approx(cost, rel=1e-9, abs=1e-12)
            for key, value in expected.items():
                np.testing.assert_allclose(got.gradients[key], value, rtol=1e-9, atol=1e-12, err_msg=f"{method} {key}")


def test_decay_alone_is_lambda_w_added_to_the_undecayed_gradient():
    """The same point with and without decay: the difference is lambda W for weights and 0 for biases."""
    plain = symbp.Network([2, 2, 1], "tanh", "squared_error", batch=2)
    decayed = symbp.Network([2, 2, 1], "tanh", "squared_error", batch=2, l2=0.3)
    point = random_point(plain, np.random.default_rng(1))
    before, after = gradient_at(plain, point), gradient_at(decayed, point)
    for m in (1, 2):
        np.testing.assert_allclose(after.gradients[f"W{m}"] - before.gradients[f"W{m}"], 0.3 * point[f"W{m}"], rtol=1e-12)
        np.testing.assert_array_equal(after.gradients[f"b{m}"], before.gradients[f"b{m}"])
    weights = sum(float((point[f"W{m}"] ** 2).sum()) for m in (1, 2))
    assert after.cost == pytest.approx(before.cost + 0.15 * weights, rel=1e-13)


def test_the_batch_cost_is_the_mean_of_the_examples_costs():
    """C of a batch against the single-example network run once per row."""
    batch = symbp.Network([2, 2, 1], "sigmoid", "squared_error", batch=3)
    single = symbp.Network([2, 2, 1], "sigmoid", "squared_error")
    point = random_point(batch, np.random.default_rng(3))
    costs = []
    for n in range(3):
        row = {**point, "x": point["x"][n], "t": point["t"][n]}
        costs.append(gradient_at(single, row).cost)
    assert gradient_at(batch, point).cost == pytest.approx(sum(costs) / 3, rel=1e-14)


def test_derivations_equal_sympy_diff_of_a_forward_pass_written_out_here():
    """2,2,1 sigmoid / squared error, N = 2, lambda a symbol: every dC/dW and dC/db by sympy.diff."""
    net = symbp.Network([2, 2, 1], "sigmoid", "squared_error", batch=2, l2=0.5)
    W1 = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"W1_{i + 1}_{j + 1}", real=True))
    W2 = sp.Matrix(1, 2, lambda i, j: sp.Symbol(f"W2_1_{j + 1}", real=True))
    b1 = sp.Matrix([sp.Symbol(f"b1_{i}", real=True) for i in (1, 2)])
    b2 = sp.Symbol("b2_1", real=True)
    lam = sp.Symbol("λ", real=True, nonnegative=True)
    sig = lambda u: 1 / (1 + sp.exp(-u))  # noqa: E731
    costs = []
    for n in (1, 2):
        x = sp.Matrix([sp.Symbol(f"a0_{j}_n{n}", real=True) for j in (1, 2)])
        t = sp.Symbol(f"t_1_n{n}", real=True)
        hidden = (W1 * x + b1).applyfunc(sig)
        out = sig((W2 * hidden)[0] + b2)
        costs.append(sp.Rational(1, 2) * (out - t) ** 2)
    cost = (costs[0] + costs[1]) / 2 + lam / 2 * (sum(w**2 for w in W1) + sum(w**2 for w in W2))

    graph = build_graph(net)
    derivation = symbp.backprop(net)
    rng = np.random.default_rng(5)
    free = sorted(cost.free_symbols, key=str)
    for entry in net.entries():
        oracle = sp.diff(cost, sp.Symbol(entry.name, real=True))
        ours = graph.substitute(derivation.expression(entry))
        naive = graph.substitute(symbp.naive(net, entry).expression())
        for _ in range(3):
            values = {s: float(rng.uniform(-1, 1)) for s in free} | {lam: 0.5}
            expected = float(oracle.xreplace(values))
            assert float(ours.xreplace(values)) == pytest.approx(expected, rel=1e-12, abs=1e-15), entry.name
            assert float(naive.xreplace(values)) == pytest.approx(expected, rel=1e-12, abs=1e-15), entry.name


def test_the_decay_term_is_lambda_times_the_weight_in_every_derivation():
    net = symbp.Network([2, 1], "abstract", "abstract", batch=2, l2=0.1)
    lam = sp.Symbol("λ", real=True, nonnegative=True)
    weight = sp.Symbol("W1_1_1", real=True)
    assert symbp.naive(net, "W1_1_1").decay == lam * weight
    assert symbp.backprop(net, ["W1_1_1"]).gradient("W1_1_1").decay == lam * weight
    assert symbp.backprop(net, ["b1_1"]).gradient("b1_1").decay == 0  # biases are not decayed
    reference = symbp.reference(net, "W1_1_1").expression()
    assert sp.expand(sp.diff(reference, lam)) == weight


def test_check_proves_batch_and_decay_on_an_abstract_network():
    report = symbp.check(symbp.Network([2, 2, 1], "abstract", "abstract", batch=2, l2=0.5), points=2)
    assert report.counts["disagree"] == 0
    assert report.counts["proved"] == len(report.rows)


def test_check_verifies_a_concrete_batch_against_finite_differences():
    report = symbp.check(symbp.Network([2, 2, 1], "sigmoid", "squared_error", batch=3, l2=0.1), points=2)
    assert report.passed and report.counts["skipped"] == 0
    fd = [row for row in report.rows if row.method in ("naive", "backprop", "reference")]
    assert fd and all(row.outcome == "verified" for row in fd)


def test_a_decay_whose_cost_overflows_is_skipped_not_a_disagreement():
    """At lambda = 1e308 the nudged costs overflow float64 and the finite difference is inf - inf = nan;
    the breaker saw 15 false disagreements here."""
    net = symbp.Network([2, 1], "sigmoid", "squared_error", l2=1e308)
    report = symbp.check(net, points=3)
    assert report.counts["disagree"] == 0
    fd = [row for row in report.rows if row.method in ("naive", "backprop", "reference")]
    assert fd and all(row.outcome == "skipped" and "not finite" in row.reason for row in fd)


def test_a_wrong_decay_is_caught_by_check(monkeypatch):
    """A backprop that forgets lambda W must disagree with finite differences (the check can fail)."""
    backprop_module = importlib.import_module("symbp.derive.backprop")  # the module, not the function

    net = symbp.Network([2, 1], "sigmoid", "squared_error", batch=2, l2=0.5)
    real = backprop_module.GradientStep

    def forgetful(*args, **kwargs):
        kwargs["decay"] = sp.Integer(0)
        return real(*args, **kwargs)

    monkeypatch.setattr(backprop_module, "GradientStep", forgetful)
    report = symbp.check(net, points=2, entries=["W1_1_1"])
    assert not report.passed


@pytest.mark.parametrize("network", [
    symbp.Network([2, 2, 1], "sigmoid", "abstract", batch=3, l2=0.1),
    symbp.Network([1, 2, 2], "abstract", "abstract", batch=2),
    symbp.Network([2, 1, 2], "relu", "abstract", batch=1, l2=1.0),
], ids=lambda n: n.describe())
def test_counts_equal_the_real_expansions_with_batch_and_decay(network):
    for entry in network.entries():
        derivation = symbp.naive(network, entry)
        count = naive_count(network, entry)
        mean = 1 if network.batch > 1 else 0  # the 1/N
        decay = 1 if derivation.decay != 0 else 0  # + lambda W
        assert count.paths == len(derivation.paths) == network.batch * math.prod(network.layers[entry.layer + 1:])
        assert count.multiplications == sum(len(p.factors) - 1 for p in derivation.paths) + mean + decay
        assert count.additions == len(derivation.paths) - 1 + decay
    entries = tuple(network.entries(kinds=("W", "b")))
    derivation = symbp.backprop(network, entries)
    # Each delta: its terms' products (one in the base case) times sigma'; the terms' sum.
    delta_work = [(len(s.terms) + 1, max(len(s.terms) - 1, 0)) for s in derivation.deltas]
    # Each gradient: delta a per example (a bias's delta * 1 is none), summed; then the 1/N and lambda W.
    gradient_work = [
        (sum(multiplier != 1 for _, multiplier in g.terms) + (g.mean != 1) + (g.decay != 0),
         len(g.terms) - 1 + (g.decay != 0))
        for g in derivation.gradients
    ]
    multiplications, additions = (sum(column) for column in zip(*delta_work, *gradient_work))
    count = backprop_count(network, entries)
    assert (count.multiplications, count.additions) == (multiplications, additions)


@pytest.mark.parametrize("arguments, bad", [
    ({"batch": 0}, "batch 0"), ({"batch": -2}, "batch -2"), ({"batch": True}, "batch True"),
    ({"batch": 2.5}, "batch 2.5"), ({"l2": -0.1}, "l2 -0.1"), ({"l2": float("nan")}, "l2 nan"),
    ({"l2": float("inf")}, "l2 inf"), ({"l2": "0.1"}, "l2 '0.1'"),
])
def test_bad_batch_or_decay_is_refused_naming_the_value(arguments, bad):
    with pytest.raises(SymbpError, match=bad):
        symbp.Network([2, 1], **arguments)


def test_a_decay_beyond_float64_is_refused_and_minus_zero_is_zero():
    with pytest.raises(SymbpError, match=r"l2 1000.*too large for float64"):
        symbp.Network([2, 1], l2=10**400)  # float(10**400) raises OverflowError
    with pytest.raises(SymbpError, match=r"l2 -1000.*0 or more"):
        symbp.Network([2, 1], l2=-10**400)
    decay = symbp.Network([2, 1], l2=-0.0).l2
    assert decay == 0 and math.copysign(1.0, decay) == 1.0 and "-0.0" not in repr(symbp.Network([2, 1], l2=-0.0))


def test_a_whole_batch_written_as_a_float_is_that_many_examples(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text("layers = [2, 1]\nbatch = 2.0\n")  # TOML reads 2.0 as a float
    net = symbp.Network(**symbp.specfile.network_arguments(spec))
    assert net.batch == 2 and type(net.batch) is int and net == symbp.Network([2, 1], batch=2)
    with pytest.raises(SymbpError, match="batch 100000000000000000000 is out of range; give a whole number of examples from 1 to 1,000"):
        symbp.Network([2, 1], batch=1e20)


def test_a_batch_has_no_per_example_entries_to_differentiate():
    net = symbp.Network([2, 2, 1], batch=2)
    assert {e.kind for e in net.entries()} == {"W", "b"}
    with pytest.raises(SymbpError, match="each example has its own z"):
        net.entry("z1_1")
