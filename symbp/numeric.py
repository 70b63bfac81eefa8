"""The numeric boundary: every ``lambdify`` lives here.

Points are dicts of float64 arrays keyed like the CLI's point file: ``x``
(D(0),), ``t`` (D(L),), ``W1`` ... ``WL`` (D(m), D(m-1)), ``b1`` ... ``bL`` (D(m),).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from .activations import ACTIVATIONS
from .costs import COSTS
from .derive.backprop import BackpropDerivation
from .errors import SymbpError
from .graph import Graph, build_graph
from .layout import point_layout
from .spec import Network

Values = dict[sp.Symbol, float]
Point = dict[str, np.ndarray]

FD_STEP = 1e-3
"""Step of the five-point central difference (error of order h^4, round-off eps/h)."""


def point_shapes(network: Network) -> dict[str, tuple[int, ...]]:
    """The shape of every array of a point, in the order a point file lists them."""
    return dict(point_layout(network).shapes)


def point_from_mapping(network: Network, data: Mapping[str, object]) -> Point:
    """Validate a point (e.g. a parsed JSON file); the error names the first mismatch."""
    return point_layout(network).validate(data)


def random_point(network: Network, rng: np.random.Generator) -> Point:
    """A random point; away from every kink of relu-like layers, so finite differences are valid."""
    if network.is_abstract:
        raise SymbpError(f"network {network.describe()} has abstract parts: there are no numbers to try")
    evaluator = evaluator_for(network)
    for _ in range(1000):
        point: Point = {"x": rng.uniform(-1, 1, network.D(0))}
        for m in range(1, network.L + 1):
            point[f"W{m}"] = rng.uniform(-1, 1, (network.D(m), network.D(m - 1)))
            point[f"b{m}"] = rng.uniform(-0.5, 0.5, network.D(m))
        low, high = (0.05, 0.95) if COSTS[network.cost].needs_unit_interval else (-1, 1)
        point["t"] = rng.uniform(low, high, network.D(network.L))
        if evaluator.away_from_kinks(evaluator.forward_at(point), margin=10 * FD_STEP):
            return point_layout(network).validate(point)
    raise SymbpError("could not find a point away from the relu kinks")  # pragma: no cover


class Evaluator:
    """The forward pass of one concrete network, lambdified layer by layer over named symbols."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        net = graph.network
        self._layers = []
        for m in range(1, net.L + 1):
            inputs = [*graph.a[m - 1], *graph.W[m], *graph.b[m]]
            z_fn = sp.lambdify(inputs, list(graph.z_definition[m]), modules="numpy")
            a_fn = sp.lambdify(list(graph.z[m]), list(graph.a_definition[m]), modules="numpy")
            self._layers.append((m, inputs, z_fn, a_fn))
        self._cost = sp.lambdify([*graph.a[net.L], *graph.t], graph.C_definition, modules="numpy")
        self.graph_inputs = (*graph.a[0], *graph.parameters, *graph.t)
        self._kinked_layers = [
            m for m in range(1, net.L + 1) if ACTIVATIONS[net.activations[m - 1]].kink is not None
        ]

    def parameter_values(self, point: Point) -> Values:
        """x, W, b, t of a point as a symbol -> float dict."""
        g = self.graph
        values: Values = dict(zip(g.a[0], map(float, point["x"])))
        values.update(zip(g.t, map(float, point["t"])))
        for m in range(1, g.network.L + 1):
            values.update(zip(g.W[m], map(float, point[f"W{m}"].ravel())))
            values.update(zip(g.b[m], map(float, point[f"b{m}"])))
        return values

    def forward_at(self, point: Point) -> Values:
        """Every x, W, b, t, z, a and C at a point."""
        return self.forward(self.parameter_values(point))

    def forward(self, inputs: Values, nudge: tuple[sp.Symbol, float] | None = None) -> Values:
        """From x, W, b, t (as ``parameter_values`` gives them): every z and a, and C.

        ``nudge`` adds a step to one quantity (a parameter, or a z or a as it is computed).
        """
        values = dict(inputs)
        nudged, step = nudge if nudge else (None, 0.0)
        if nudged in values:
            values[nudged] += step
        g = self.graph
        for m, z_inputs, z_fn, a_fn in self._layers:
            values.update(zip(g.z[m], map(float, z_fn(*[np.asarray(values[s]) for s in z_inputs]))))
            if nudged in g.z[m]:
                values[nudged] += step
            values.update(zip(g.a[m], map(float, a_fn(*[np.asarray(values[s]) for s in g.z[m]]))))
            if nudged in g.a[m]:
                values[nudged] += step
        values[g.C] = float(self._cost(*[np.asarray(values[s]) for s in (*g.a[-1], *g.t)]))
        return values

    def finite_difference(self, values: Values, symbol: sp.Symbol, h: float = FD_STEP) -> float:
        """dC/d(symbol) by the five-point central difference of the forward cost."""
        base = {s: values[s] for s in self.graph_inputs}

        def cost_at(offset: float) -> float:
            return self.forward(base, (symbol, offset))[self.graph.C]

        return (-cost_at(2 * h) + 8 * cost_at(h) - 8 * cost_at(-h) + cost_at(-2 * h)) / (12 * h)

    def away_from_kinks(self, values: Values, margin: float) -> bool:
        return all(abs(values[z]) > margin for m in self._kinked_layers for z in self.graph.z[m])


@lru_cache(maxsize=16)
def evaluator_for(network: Network) -> Evaluator:
    return Evaluator(build_graph(network))


def compile_expressions(args: Sequence[sp.Symbol], exprs: Sequence[sp.Expr]) -> Callable[[Values], np.ndarray]:
    """One NumPy function evaluating all ``exprs`` from a symbol -> float dict."""
    fn = sp.lambdify(list(args), list(exprs), modules="numpy", cse=True)

    def evaluate(values: Values) -> np.ndarray:
        # 0-d arrays, not floats: NumPy's select (Piecewise) needs array conditions.
        return np.array([float(v) for v in fn(*[np.asarray(values[s]) for s in args])])

    return evaluate


def forward_symbols(graph: Graph) -> tuple[sp.Symbol, ...]:
    """The symbols ``Evaluator.forward`` gives values to (what concrete derivations contain)."""
    out = [*graph.a[0], *graph.parameters, *graph.t]
    for m in range(1, graph.network.L + 1):
        out.extend(graph.z[m])
        out.extend(graph.a[m])
    return tuple(out)


def compile_backprop(derivation: BackpropDerivation) -> Callable[[Values], tuple[Values, np.ndarray]]:
    """Evaluate backprop as it runs: deltas layer by layer (each once), then the gradients.

    The function returns the values with every delta added, and the gradients in
    the order of ``derivation.gradients``.
    """
    graph = build_graph(derivation.network)
    L = derivation.network.L
    args = list(forward_symbols(graph))
    layers: list[tuple[list[sp.Symbol], Callable[[Values], np.ndarray]]] = []
    for m in range(L, 0, -1):
        steps = [s for s in derivation.deltas if s.layer == m]
        known = [*args, *(graph.delta[m + 1] if m < L else ())]
        layers.append(([s.symbol for s in steps], compile_expressions(known, [s.formula for s in steps])))
    all_deltas = [d for m in range(1, L + 1) for d in graph.delta[m]]
    gradients = compile_expressions([*args, *all_deltas], [g.formula for g in derivation.gradients])

    def evaluate(values: Values) -> tuple[Values, np.ndarray]:
        values = dict(values)
        for symbols, fn in layers:
            values.update(zip(symbols, fn(values)))
        return values, gradients(values)

    return evaluate


@dataclass(frozen=True)
class GradientAtPoint:
    """Numbers at one point: the cost, dC/dW and dC/db in the point's layout, and the forward values."""

    method: str
    cost: float
    gradients: dict[str, np.ndarray]
    """``W1`` ... ``WL`` of shape (D(m), D(m-1)) and ``b1`` ... ``bL`` of shape (D(m),)."""
    z: dict[str, np.ndarray]
    """``z1`` ... ``zL``."""
    a: dict[str, np.ndarray]
    """``a0`` (= x) ... ``aL``."""
    delta: dict[str, np.ndarray]
    """``delta1`` ... ``deltaL`` = dC/dz^{(m)} (from backprop, whatever the method)."""


GRADIENT_METHODS = ("naive", "backprop", "reference")


def gradient_at(
    network: Network, point: Mapping[str, object], method: str = "backprop", max_paths: int | None = None
) -> GradientAtPoint:
    """Every dC/dW and dC/db of a concrete network at ``point`` by one method.

    ``point`` maps x, t, W1, b1, ... to NumPy arrays or nested lists of the network's
    shapes (``layout.point_layout``); anything else raises ``SymbpError`` naming the key.

    ``naive`` expands every entry (within ``max_paths`` paths in all, by default
    ``DEFAULT_MAX_PATHS``); ``reference`` runs
    ``sympy.diff`` once per parameter, so keep it to small networks.
    """
    from .derive import backprop, naive, reference
    from .derive.naive import DEFAULT_MAX_PATHS, check_budget

    if method not in GRADIENT_METHODS:
        raise SymbpError(f"unknown method {method!r}; accepted: {', '.join(GRADIENT_METHODS)}")
    if network.is_abstract:
        raise SymbpError(f"network {network.describe()} has abstract parts: there are no numbers to compute")
    point = point_layout(network).validate(point)
    graph = build_graph(network)
    evaluator = evaluator_for(network)
    values = evaluator.forward_at(point)
    parameters = tuple(network.entries(kinds=("W", "b")))
    with_deltas, by_backprop = compile_backprop(backprop(network, parameters))(values)
    if method == "naive":
        check_budget(network, parameters, DEFAULT_MAX_PATHS if max_paths is None else max_paths)
        flat = compile_expressions(forward_symbols(graph), [naive(network, e).expression for e in parameters])(values)
    elif method == "reference":
        exprs = [reference(network, e).expression for e in parameters]
        flat = compile_expressions(evaluator.graph_inputs, exprs)(values)
    else:
        flat = by_backprop
    by_entry = dict(zip(parameters, map(float, flat)))

    gradients: dict[str, np.ndarray] = {}
    for m in range(1, network.L + 1):
        gradients[f"W{m}"] = np.zeros((network.D(m), network.D(m - 1)))
        gradients[f"b{m}"] = np.zeros(network.D(m))
    for entry, value in by_entry.items():
        if entry.kind == "W":
            gradients[f"W{entry.layer}"][entry.row - 1, entry.col - 1] = value
        else:
            gradients[f"b{entry.layer}"][entry.row - 1] = value
    return GradientAtPoint(
        method=method,
        cost=values[graph.C],
        gradients=gradients,
        z={f"z{m}": np.array([values[s] for s in graph.z[m]]) for m in range(1, network.L + 1)},
        a={f"a{m}": np.array([values[s] for s in graph.a[m]]) for m in range(0, network.L + 1)},
        delta={f"delta{m}": np.array([with_deltas[s] for s in graph.delta[m]]) for m in range(1, network.L + 1)},
    )
