"""Worked examples: every intermediate number of backprop at one point, and gradient-descent steps.

With a batch of N examples every example's forward and backward pass is written
out (z^{(m),(n)}, a^{(m),(n)}, C^{(n)}, delta^{(m),(n)}), then C = (1/N) sum_n C^{(n)}
and dC/dW^{(m)}_{ij} = (1/N) sum_n delta^{(m),(n)}_i a^{(m-1),(n)}_j; weight decay adds
(lambda/2) sum W^2 to C and lambda W^{(m)}_{ij} to each dC/dW, with lambda's number put in.

Each number comes from the formula symbp derives and shows: z^{(m)}_i and a^{(m)}_i
from the graph's forward equations, C from the cost, each delta from the backprop
derivation's step (output layer first), each dC/dW^{(m)}_{ij} = delta^{(m)}_i a^{(m-1)}_j
from its gradient step. Every formula is kept with the numbers put into it, so a
document can show "formula = numbers = value" line by line.

With ``round_intermediates`` every value is rounded (half up, to ``digits`` decimals)
before the next formula uses it, as a student working by hand does; otherwise full
precision is carried and ``digits`` only says what a printer shows.

>>> import numpy as np, symbp
>>> net = symbp.Network([1, 1], "identity", "squared_error")
>>> point = {"x": np.array([2.0]), "t": np.array([1.0]), "W1": np.array([[0.5]]), "b1": np.array([0.0])}
>>> example = worked_example(net, point, lr=0.1)
>>> example.first.cost, example.first.grad["W1"].tolist(), example.updated["W1"].tolist()
(0.0, [[0.0]], [[0.5]])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from .derive.backprop import DeltaStep, GradientStep
from .errors import SymbpError
from .graph import ALL_SQUARED_WEIGHTS, Graph, build_graph
from .layout import learning_rate, parameter_layout
from .numeric import Point, compile_expressions, not_finite, point_shapes
from .spec import Entry, Network

DEFAULT_DIGITS = 6
MAX_STEPS = 10_000


def round_half_up(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` decimals the way a textbook does (0.125 -> 0.13 at 2 digits)."""
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Computed:
    """One intermediate: ``symbol`` = ``formula``, with ``inputs`` the numbers put in, and its ``value``."""

    symbol: sp.Symbol
    formula: sp.Expr
    inputs: tuple[tuple[sp.Symbol, float], ...]
    value: float
    factors: tuple[sp.Expr, ...] = ()
    """The factors the lecture writes the formula as (a delta: upstream, then sigma'); else empty."""
    step: DeltaStep | GradientStep | None = None
    """The backprop step a delta or gradient comes from, so a document shows its terms in the derivation's order."""
    targets_sum: float | None = None
    """After softmax and cross-entropy: sum_k t_k of the example. Where it is 1, delta^{(L)}_j = a_j - t_j is
    used; otherwise the collapse's general step a_j sum_k t_k - t_j, exact for any targets."""


@dataclass(frozen=True)
class Pass:
    """One forward and backward pass at a point, every intermediate in order."""

    point: Mapping[str, np.ndarray]
    forward: tuple[Computed, ...]
    """z^{(1)}, a^{(1)}, ..., z^{(L)}, a^{(L)} unit by unit, then C."""
    backward: tuple[Computed, ...]
    """delta^{(L)} first, down to delta^{(1)}."""
    gradients: tuple[Computed, ...]
    """dC/dW and dC/db, layer 1 first, W before b, row-major."""
    cost: float
    z: Mapping[str, np.ndarray]
    a: Mapping[str, np.ndarray]
    delta: Mapping[str, np.ndarray]
    grad: Mapping[str, np.ndarray]
    """``W1`` (D(1), D(0)), ``b1`` ..., the point file's layout."""


@dataclass(frozen=True)
class Update:
    """One gradient-descent step of one parameter: after = before - lr * gradient."""

    entry: Entry
    before: float
    gradient: float
    after: float


@dataclass(frozen=True)
class Step:
    """A gradient-descent step: the parameters it ends with, and the cost C there (after the step)."""

    cost: float
    updated: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class NaivePathNumbers:
    """One naive path's factors (their formulas and values) and their product."""

    factors: tuple[tuple[sp.Symbol, sp.Symbol, float], ...]
    """(of, wrt, value) from C down to the entry."""
    product: float


@dataclass(frozen=True)
class NaiveNumbers:
    """dC/d(entry) along every naive path: the paths' products add up to backprop's number."""

    entry: Entry
    paths: tuple[NaivePathNumbers, ...]
    total: float
    backprop: float


@dataclass(frozen=True)
class WorkedExample:
    """The first pass written out in full; with ``lr``, the update and each of ``steps`` steps."""

    network: Network
    first: Pass
    digits: int
    round_intermediates: bool
    lr: float | None = None
    updates: tuple[Update, ...] = ()
    steps: tuple[Step, ...] = ()
    naive: NaiveNumbers | None = None

    @property
    def updated(self) -> Mapping[str, np.ndarray] | None:
        """The parameters after the first step (x and t kept), the point file's layout."""
        return self.steps[0].updated if self.steps else None


@dataclass(frozen=True)
class _Formula:
    symbol: sp.Symbol
    formula: sp.Expr
    inputs: tuple[sp.Symbol, ...]
    evaluate: Callable[[dict[sp.Symbol, float]], np.ndarray]
    factors: tuple[sp.Expr, ...] = ()
    step: DeltaStep | GradientStep | None = None
    targets: tuple[sp.Symbol, ...] = ()
    """With ``general``: the targets whose sum must be 1 for ``formula`` to hold."""
    general: _Formula | None = None
    """What is computed instead where the ``targets`` do not sum to 1."""


def _formula(symbol: sp.Symbol, formula: sp.Expr, factors: tuple[sp.Expr, ...] = (), **more: object) -> _Formula:
    inputs = tuple(sorted(formula.free_symbols, key=lambda s: s.name))
    return _Formula(symbol, formula, inputs, compile_expressions(inputs, [formula]), factors, **more)  # type: ignore[arg-type]


TARGETS_SUM_TOLERANCE = 1e-9
"""How far sum_k t_k may be from 1 for softmax with cross-entropy to be shown as a - t."""


def _delta_formula(step: DeltaStep, targets: tuple[sp.Symbol, ...]) -> _Formula:
    """A delta as backprop computes it; after softmax and cross-entropy the collapse a_j - t_j (or, for
    targets that do not sum to 1, its general step a_j sum_k t_k - t_j), as students are asked to derive it."""
    if step.collapse:
        general = _formula(step.symbol, step.collapse[1], step=step)
        return _formula(step.symbol, step.collapse[-1], step=step, targets=targets, general=general)
    factors = () if step.jacobian else (step.upstream, step.local)  # softmax: one sum over the Jacobian
    return _formula(step.symbol, step.formula, factors, step=step)


@dataclass(frozen=True)
class _Plan:
    """The formulas of one network in the order a hand computation takes them, each compiled once."""

    graph: Graph
    forward: tuple[_Formula, ...]
    backward: tuple[_Formula, ...]
    gradients: tuple[tuple[Entry, _Formula], ...]


@lru_cache(maxsize=8)
def _plan(network: Network) -> _Plan:
    from .derive import backprop

    graph = build_graph(network)
    forward = []
    for g in graph.examples:  # a batch: example 1's forward pass in full, then example 2's, ...
        for m in range(1, network.L + 1):
            forward += [_formula(z, d) for z, d in zip(g.z[m], g.z_definition[m])]
            forward += [_formula(a, d) for a, d in zip(g.a[m], g.a_definition[m])]
        forward.append(_formula(g.C, g.C_definition))
    decay = sp.Integer(0)
    if graph.decay is not None:  # sum_m sum_ij (W^{(m)}_{ij})^2 once, then (lambda/2) times it in C
        squares = [w**2 for m in range(1, network.L + 1) for w in graph.W[m]]
        forward.append(_formula(ALL_SQUARED_WEIGHTS, sp.Add(*squares)))
        decay = graph.decay / 2 * ALL_SQUARED_WEIGHTS
    if graph.total not in {g.C for g in graph.examples}:  # C = (1/N) sum_n C^{(n)} + (lambda/2) sum W^2
        forward.append(_formula(graph.total, graph.mean * sp.Add(*[g.C for g in graph.examples]) + decay))
    derivation = backprop(network, tuple(network.entries(kinds=("W", "b"))))
    targets = {g.example: g.t for g in graph.examples}
    backward = tuple(_delta_formula(step, targets[step.example]) for step in derivation.deltas)
    gradients = tuple((g.entry, _formula(graph.symbol(g.entry), _as_written(g), step=g)) for g in derivation.gradients)
    return _Plan(graph, tuple(forward), backward, gradients)


def _as_written(step: GradientStep) -> sp.Expr:
    """dC/dW as the lecture writes it: (1/N) (sum over the examples) + lambda W, not SymPy's distributed sum."""
    total = sp.Add(*[delta * multiplier for delta, multiplier in step.terms])
    if step.mean != 1:
        total = sp.Mul(step.mean, total, evaluate=False)
    return sp.Add(total, step.decay, evaluate=False) if step.decay != 0 else total


def _require_numbers(network: Network) -> None:
    if network.is_abstract:
        raise SymbpError(f"network {network.describe()} has abstract parts: there are no numbers to compute")


def forward_backward(network: Network, point: Point, digits: int = DEFAULT_DIGITS,
                     round_intermediates: bool = False) -> Pass:
    """Every z, a, C, delta and gradient at ``point``, each from its formula with the numbers put in."""
    _require_numbers(network)
    plan = _plan(network)
    graph = plan.graph
    keep = (lambda v: round_half_up(v, digits)) if round_intermediates else float
    x, t = (np.reshape(point[key], (network.batch, -1)) for key in ("x", "t"))  # one row per example
    values: dict[sp.Symbol, float] = {}
    for g, x_n, t_n in zip(graph.examples, x, t):
        values.update(zip(g.a[0], map(float, x_n)))
        values.update(zip(g.t, map(float, t_n)))
    for m in range(1, network.L + 1):
        values.update(zip(graph.W[m], map(float, np.asarray(point[f"W{m}"]).ravel())))
        values.update(zip(graph.b[m], map(float, point[f"b{m}"])))
    if graph.decay is not None:
        values[graph.decay] = network.l2

    def run(formulas: Sequence[_Formula]) -> tuple[Computed, ...]:
        done = []
        for f in formulas:
            targets_sum = None
            if f.general is not None:
                targets_sum = float(sum(values[t] for t in f.targets))
                f = f if abs(targets_sum - 1) <= TARGETS_SUM_TOLERANCE else f.general
            with np.errstate(all="ignore"):  # a NaN or infinity is refused below, naming the quantity
                value = keep(float(f.evaluate(values)[0]))
            if not math.isfinite(value):
                inputs = ", ".join(f"{s} = {values[s]:g}" for s in f.inputs)
                raise not_finite(str(f.symbol), value, f": {f.symbol} = {f.formula}" + (f" with {inputs}" if inputs else ""))
            done.append(Computed(f.symbol, f.formula, tuple((s, values[s]) for s in f.inputs), value, f.factors,
                                 f.step, targets_sum))
            values[f.symbol] = value
        return tuple(done)

    forward, backward = run(plan.forward), run(plan.backward)
    gradients = run([f for _, f in plan.gradients])
    by_entry = {entry: c.value for (entry, _), c in zip(plan.gradients, gradients)}
    grad = {key: np.zeros(shape) for key, shape in parameter_layout(network).shapes}
    for entry, value in by_entry.items():
        grad[f"{entry.kind}{entry.layer}"][_where(entry)] = value

    def layer(family: str, m: int) -> np.ndarray:
        """One layer's values: (D,) for one example, (N, D) for a batch (one row per example)."""
        rows = np.array([[values[s] for s in getattr(g, family)[m]] for g in graph.examples])
        return rows if network.batch > 1 else rows[0]

    return Pass(
        point={k: np.array(v, dtype=float) for k, v in point.items()},
        forward=forward,
        backward=backward,
        gradients=gradients,
        cost=values[graph.total],
        z={f"z{m}": layer("z", m) for m in range(1, network.L + 1)},
        a={f"a{m}": layer("a", m) for m in range(0, network.L + 1)},
        delta={f"delta{m}": layer("delta", m) for m in range(1, network.L + 1)},
        grad=grad,
    )


def _where(entry: Entry) -> tuple[int, ...]:
    """The index of a weight or bias in its array: (row, col) of W, (row,) of b."""
    return (entry.row - 1, entry.col - 1) if entry.kind == "W" else (entry.row - 1,)


def descent_step(network: Network, point: Mapping[str, np.ndarray], grad: Mapping[str, np.ndarray], lr: float,
                 keep: Callable[[float], float] = float) -> tuple[dict[str, np.ndarray], tuple[Update, ...]]:
    """w - lr * dC/dw for every weight and bias (the original weights feed every gradient)."""
    updated = {key: np.array(value, dtype=float) for key, value in point.items()}
    updates = []
    for entry in network.entries(kinds=("W", "b")):
        key, where = f"{entry.kind}{entry.layer}", _where(entry)
        before, gradient = float(point[key][where]), float(grad[key][where])
        after = keep(before - lr * gradient)
        updated[key][where] = after
        updates.append(Update(entry, before, gradient, after))
    return updated, tuple(updates)


def naive_numbers(network: Network, done: Pass, name: str) -> NaiveNumbers:
    """One entry's gradient along every naive path, each factor evaluated with the pass's values."""
    from .derive import naive

    entry = network.entry(name)
    if not entry.is_parameter:
        raise SymbpError(f"--entry {name!r} must be a weight or a bias, e.g. W1_1_1 or b1_1")
    values = {c.symbol: c.value for c in (*done.forward, *done.backward)}
    for c in done.forward:
        values.update(c.inputs)
    paths = []
    for path in naive(network, entry).paths:
        factor_values = compile_expressions(tuple(values), [f.value for f in path.factors])(values)
        factors = tuple((f.of, f.wrt, float(v)) for f, v in zip(path.factors, factor_values))
        paths.append(NaivePathNumbers(factors, float(np.prod(factor_values))))
    return NaiveNumbers(entry, tuple(paths), float(sum(p.product for p in paths)),
                        float(done.grad[f"{entry.kind}{entry.layer}"][_where(entry)]))


def worked_example(network: Network, point: Point, *, lr: float | None = None, steps: int = 1,
                   digits: int = DEFAULT_DIGITS, round_intermediates: bool = False,
                   entry: str | None = None) -> WorkedExample:
    """The forward and backward pass at ``point``; with ``lr``, ``steps`` steps of gradient descent."""
    _require_numbers(network)
    if entry is not None and (network.batch > 1 or network.l2):  # the paths' sum is then not all of dC/dW
        raise SymbpError(
            f"--entry {entry} shows the naive paths of one example without weight decay, but this network has "
            f"batch {network.batch} and l2 {network.l2:g}; there dC/dW is (1/N) times the examples' path sums plus "
            "lambda W, shown in the gradients: leave out --entry, or use batch 1 and l2 0"
        )
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 15:
        raise SymbpError(f"digits {digits!r} is out of range; give a whole number of 0 to 15 decimals")
    if not 1 <= steps <= MAX_STEPS:
        raise SymbpError(f"steps {steps} is out of range; give 1 to {MAX_STEPS}")
    if lr is not None:
        lr = learning_rate(lr)
    first = forward_backward(network, point, digits, round_intermediates)
    naive_part = naive_numbers(network, first, entry) if entry is not None else None
    if lr is None:
        return WorkedExample(network, first, digits, round_intermediates, naive=naive_part)
    keep = (lambda v: round_half_up(v, digits)) if round_intermediates else float
    done, history, updates = first, [], ()
    for _ in range(steps):
        updated, step_updates = descent_step(network, done.point, done.grad, lr, keep)
        updates = updates or step_updates
        done = forward_backward(network, updated, digits, round_intermediates)
        history.append(Step(done.cost, updated))
    return WorkedExample(network, first, digits, round_intermediates, lr, updates, tuple(history), naive_part)


def nice_point(network: Network, seed: int, decimals: int = 1) -> Point:
    """A random point with numbers a student can compute with: weights, biases and x in [-1, 1] to
    ``decimals`` decimals (no zeros), targets in (0, 1)."""
    _require_numbers(network)
    rng = np.random.default_rng(seed)
    scale = 10**decimals

    def draw(shape: tuple[int, ...], low: int, high: int) -> np.ndarray:
        values = rng.integers(low, high + 1, size=shape)
        values[values == 0] = 1  # a zero hides a term of the sum
        return values / scale

    point: Point = {}
    for key, shape in point_shapes(network).items():
        point[key] = draw(shape, 1, scale - 1) if key == "t" else draw(shape, -scale, scale)
    return point



@dataclass(frozen=True)
class GraphNumbers:
    """What ``symbp picture --point`` writes on the computation graph: each node's value, each edge's
    local derivative d(target)/d(source), each delta, and dC/dW of each weight."""

    values: Mapping[sp.Symbol, float]
    """x (as a^{(0)}), every z and a, and C."""
    local: Mapping[tuple[sp.Symbol, sp.Symbol], float]
    """(source, target) -> d target / d source: W on a -> z, sigma' on z -> a, dC/da on a -> C."""
    deltas: Mapping[sp.Symbol, float]
    """z^{(m)}_i -> delta^{(m)}_i."""
    weight_gradients: Mapping[tuple[sp.Symbol, sp.Symbol], tuple[sp.Symbol, float]]
    """(a^{(m-1)}_j, z^{(m)}_i) -> (the symbol W^{(m)}_{ij}, dC/dW^{(m)}_{ij}); W's value is the edge's local derivative."""


def graph_numbers(network: Network, point: Point) -> GraphNumbers:
    """The numbers of one forward and backward pass, placed on the computation graph's nodes and edges."""
    done = forward_backward(network, point)
    graph = _plan(network).graph
    values = {c.symbol: c.value for c in done.forward if c.symbol != ALL_SQUARED_WEIGHTS}  # the graph's nodes only
    inputs = dict(pair for c in done.forward for pair in c.inputs)
    values.update({a: inputs[a] for a in graph.a[0]})
    known = {**inputs, **values}
    local: dict[tuple[sp.Symbol, sp.Symbol], float] = {}
    weight_gradients: dict[tuple[sp.Symbol, sp.Symbol], tuple[sp.Symbol, float]] = {}
    for m in range(1, network.L + 1):
        for i, z in enumerate(graph.z[m]):
            for j, a in enumerate(graph.a[m - 1]):
                local[(a, z)] = float(point[f"W{m}"][i][j])
                weight_gradients[(a, z)] = (graph.W[m][i, j], float(done.grad[f"W{m}"][i, j]))
        edges = [(z, a, slope) for z, a, slope in zip(graph.z[m], graph.a[m], graph.sigma_prime_value[m])]
        if m == network.L and graph.softmax_output:  # every z^{(L)}_j -> a^{(L)}_k edge: the Jacobian's entries
            edges = [(z, a, graph.jacobian[k][j]) for k, a in enumerate(graph.a[m]) for j, z in enumerate(graph.z[m])]
        slopes = compile_expressions(tuple(known), [slope for *_, slope in edges])(known)
        local.update({(z, a): float(s) for (z, a, _), s in zip(edges, slopes)})
    upstream = compile_expressions(tuple(known), graph.dC_da_value)(known)
    local.update({(a, graph.C): float(u) for a, u in zip(graph.a[network.L], upstream)})
    deltas = {z: float(d) for m in range(1, network.L + 1) for z, d in zip(graph.z[m], done.delta[f"delta{m}"])}
    return GraphNumbers(values, local, deltas, weight_gradients)
