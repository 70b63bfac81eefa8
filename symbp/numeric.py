"""The numeric boundary: every ``lambdify`` lives here.

Points are dicts of float64 arrays keyed like the CLI's point file: ``x``
(D(0),), ``t`` (D(L),), ``W1`` ... ``WL`` (D(m), D(m-1)), ``b1`` ... ``bL`` (D(m),).
With a batch of N examples ``x`` and ``t`` hold one row per example: (N, D(0)), (N, D(L)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import sympy as sp
from sympy import SympifyError

from .activations import FORMULA_VARIABLE, STABLE_FUNCTIONS, stable_form
from .costs import COSTS
from .derive.backprop import BackpropDerivation
from .derive.naive import NaiveDerivation
from .derive.reference import DEFAULT_REFERENCE_ENGINE, LAMBDIFY_MAX_LAYERS, ReferenceDerivation, require_engine
from .errors import SymbpError
from .graph import Graph, build_graph
from .layout import parameter_layout, point_layout
from .spec import Entry, Network, require_network

Values = dict[sp.Symbol, float]
Point = dict[str, np.ndarray]

FD_STEP = 1e-3
"""First step of the five-point central difference (error of order h^4, round-off eps/h),
scaled by the variable's size; ``finite_difference`` shrinks it while that pays."""

FD_REFINEMENTS = 4
"""At most this many quarterings of the step after the first Richardson pair."""

FD_CHUNK = 128
"""Symbols whose finite differences share one vectorised forward pass (memory grows with its square)."""

Functions = Mapping[str, Callable[..., np.ndarray]]
"""NumPy stand-ins for SymPy function names (abstract sigma^{(m)}, their sigma', C, dC/da)."""


def lambdify_stable(args: Sequence[sp.Symbol], exprs: object, functions: Functions | None = None, cse: bool = False):
    """``sympy.lambdify`` over NumPy, with sigmoid and softplus evaluated without overflow."""
    from sympy.printing.numpy import NumPyPrinter

    exprs = [stable_form(e) for e in exprs] if isinstance(exprs, (list, tuple)) else stable_form(exprs)
    namespace = {**STABLE_FUNCTIONS, **(functions or {})}
    # The printer imports each NumPy function it prints; modules="numpy" would first run
    # ``from numpy import *`` (0.1 s, numpy.ma with it) in every process.
    printer = NumPyPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                            "user_functions": {name: name for name in namespace}})
    return sp.lambdify(list(args), exprs, modules=[namespace], printer=printer, cse=cse)


def point_shapes(network: Network) -> dict[str, tuple[int, ...]]:
    """The shape of every array of a point, in the order a point file lists them."""
    return dict(point_layout(network).shapes)


def point_from_mapping(network: Network, data: Mapping[str, object]) -> Point:
    """Validate a point (e.g. a parsed JSON file); the error names the first mismatch."""
    return point_layout(network).validate(data)


def random_point(network: Network, rng: np.random.Generator, evaluator: Evaluator | None = None) -> Point:
    """A random point; away from every kink of relu-like layers, so finite differences are valid.

    An abstract network needs an ``evaluator`` with stand-ins for its abstract parts.
    """
    require_network(network, "random_point")
    if evaluator is None:
        if network.is_abstract:
            raise SymbpError(f"network {network.describe()} has abstract parts: there are no numbers to try")
        evaluator = evaluator_for(network)
    rows = () if network.batch == 1 else (network.batch,)
    for _ in range(1000):
        point: Point = {"x": rng.uniform(-1, 1, (*rows, network.D(0)))}
        for m in range(1, network.L + 1):
            point[f"W{m}"] = rng.uniform(-1, 1, (network.D(m), network.D(m - 1)))
            point[f"b{m}"] = rng.uniform(-0.5, 0.5, network.D(m))
        low, high = (0.05, 0.95) if COSTS[network.cost].needs_unit_interval else (-1, 1)
        point["t"] = rng.uniform(low, high, (*rows, network.D(network.L)))
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            values = evaluator.forward_at(point)
        # A defined formula such as log(x) has no value everywhere: try only where every value is a number.
        if all(math.isfinite(v) for v in values.values()) and evaluator.away_from_kinks(values, margin=10 * FD_STEP):
            return point_layout(network).validate(point)
    raise SymbpError(
        "could not find a random point where every non-linearity has a finite value and is away from its kinks"
    )


@dataclass(frozen=True)
class StandIn:
    """A random smooth function standing in for an abstract sigma^{(m)}, sigma^{(m)'}, C or dC/da^{(L)}_k.

    f(x_1, ..., x_n) = scale tanh(u + shift) + slope u with u = sum_i weights_i x_i.
    sigma and sigma' get independent stand-ins: the derivations treat sigma' as a
    function of its own, so they must agree whatever it is.
    """

    name: str
    weights: tuple[float, ...]
    scale: float
    shift: float
    slope: float

    def __call__(self, *args: np.ndarray) -> np.ndarray:
        u = sum(w * np.asarray(x, dtype=float) for w, x in zip(self.weights, args))
        return self.scale * np.tanh(u + self.shift) + self.slope * u

    def expression(self, *args: sp.Expr) -> sp.Expr:
        """The same function as SymPy, for showing it."""
        rounded = [sp.Float(w, 4) for w in self.weights]
        u = sp.Add(*[w * x for w, x in zip(rounded, args)])
        return sp.Float(self.scale, 4) * sp.tanh(u + sp.Float(self.shift, 4)) + sp.Float(self.slope, 4) * u


def stand_ins(graph: Graph, rng: np.random.Generator) -> dict[str, StandIn]:
    """Independent random stand-ins for every undefined function of ``graph``, by name."""
    out = {}
    for f, partials in graph.partial_functions.items():
        # C and its partials take (a^{(L)}, t); sigma^{(m)} and sigma^{(m)'} take z.
        arity = 2 * graph.network.D(graph.network.L) if f is graph.cost_function else 1
        for g in (f, *partials):
            out[g.__name__] = _random_stand_in(g.__name__, arity, rng)
    return out


def _random_stand_in(name: str, arity: int, rng: np.random.Generator) -> StandIn:
    return StandIn(
        name,
        tuple(float(w) for w in rng.uniform(0.5, 1.5, arity) * rng.choice([-1, 1], arity)),
        float(rng.uniform(0.5, 1.5)),
        float(rng.uniform(-0.5, 0.5)),
        float(rng.uniform(0.1, 1.0)),
    )


class Evaluator:
    """The forward pass of one network, lambdified layer by layer over named symbols.

    Abstract parts are evaluated by ``functions`` (``stand_ins``); then the named
    sigma^{(m)'} and dC/da^{(L)} of those parts get values too. Binary cross-entropy
    after a sigmoid output is evaluated from the logit (``Cost.logit_value``).
    A batch runs every example through the same functions; C is then the mean of
    the examples' costs, plus the weight decay.
    """

    def __init__(self, graph: Graph, functions: Functions | None = None) -> None:
        self.graph = graph
        self.batch = graph
        self.functions = dict(functions or {})
        graph = graph.examples[0]  # every example has the same equations, over its own symbols
        net = graph.network
        self._layers = []
        for m in range(1, net.L + 1):
            inputs = [*graph.a[m - 1], *graph.W[m], *graph.b[m]]
            z_fn = self._lambdify(inputs, list(graph.z_definition[m]))
            a_fn = self._lambdify(list(graph.z[m]), list(graph.a_definition[m]))
            sigma = graph.sigma_function[m]  # abstract: sigma' is a named value of its own
            s_fn = None
            if sigma is not None:
                s_fn = self._lambdify(list(graph.z[m]), [graph.partial_functions[sigma][0](z) for z in graph.z[m]])
            self._layers.append((m, z_fn, a_fn, s_fn))
        cost = COSTS[net.cost]
        self._logit_cost = graph.softmax_output or (cost.logit_value is not None and net.activations[-1] == "sigmoid")
        self._cost = self._lambdify([*graph.a[net.L], *graph.t], graph.C_definition)
        if graph.softmax_output:  # C of the logits, in log-softmax form: finite at logits of 1,000
            outputs = dict(zip(graph.a[net.L], graph.a_definition[net.L]))
            self._logit = self._lambdify([*graph.z[net.L], *graph.t], graph.C_definition.xreplace(outputs))
        elif self._logit_cost:
            per_output = [cost.logit_value(z, t) for z, t in zip(graph.z[net.L], graph.t)]
            self._logit = self._lambdify([*graph.z[net.L], *graph.t], sp.Add(*per_output))
        self._dC_da = (
            self._lambdify(
                [*graph.a[net.L], *graph.t],
                [d(*graph.a[net.L], *graph.t) for d in graph.partial_functions[graph.cost_function]],
            )
            if graph.cost_function is not None
            else None
        )
        examples = self.batch.examples
        decay = () if self.batch.decay is None else (self.batch.decay,)
        self.graph_inputs = (*(x for g in examples for x in g.a[0]), *graph.parameters,
                             *(t for g in examples for t in g.t), *decay)
        # Per layer, g and g' for each g(z) that is 0 at a kink: |g|/|g'| estimates the distance to it.
        x = FORMULA_VARIABLE
        self._kinks = [
            (m, self._lambdify([x], [g, sp.diff(g, x)])) for m in range(1, net.L + 1) for g in net.activation(m).kink_expressions
        ]

    def parameter_values(self, point: Point) -> Values:
        """x, W, b, t of a point (and the decay lambda) as a symbol -> float dict."""
        g = self.batch
        values: Values = {}
        N = len(g.examples)
        for example, x, t in zip(g.examples, np.reshape(point["x"], (N, -1)), np.reshape(point["t"], (N, -1))):
            values.update(zip(example.a[0], map(float, x)))
            values.update(zip(example.t, map(float, t)))
        for m in range(1, g.network.L + 1):
            values.update(zip(g.W[m], map(float, point[f"W{m}"].ravel())))
            values.update(zip(g.b[m], map(float, point[f"b{m}"])))
        if g.decay is not None:
            values[g.decay] = g.network.l2
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
        for g in self.batch.examples:
            self._forward_example(g, values, nudged, step)
        batch = self.batch
        if batch.example_graphs or batch.decay is not None:
            mean = sum(values[g.C] for g in batch.examples) / batch.network.batch
            weights = [values[w] for m in range(1, batch.network.L + 1) for w in batch.W[m]]
            decay = 0.0 if batch.decay is None else values[batch.decay] / 2 * sum(w * w for w in weights)
            values[batch.total] = mean + decay
        return values

    def _forward_example(self, g: Graph, values: Values, nudged: sp.Symbol | None, step: float) -> None:
        """One example's z, a, sigma', C and dC/da into ``values``."""
        for m, z_fn, a_fn, s_fn in self._layers:
            z_inputs = [*g.a[m - 1], *g.W[m], *g.b[m]]
            values.update(zip(g.z[m], map(float, z_fn(*[np.asarray(values[s]) for s in z_inputs]))))
            if nudged in g.z[m]:
                values[nudged] += step
            z_values = [np.asarray(values[s]) for s in g.z[m]]
            values.update(zip(g.a[m], map(float, a_fn(*z_values))))
            if nudged in g.a[m]:
                values[nudged] += step
            if s_fn is not None:
                values.update(zip(g.sigma_prime[m], map(float, s_fn(*z_values))))
        if self._logit_cost and nudged not in g.a[-1]:  # a nudged a^{(L)} is no longer sigmoid(z^{(L)})
            values[g.C] = float(self._logit(*[np.asarray(values[s]) for s in (*g.z[-1], *g.t)]))
        else:
            # A stand-in sigma may leave (0, 1), where log is NaN: C is then unused (no finite differences).
            with np.errstate(invalid="ignore" if self.functions else "warn"):
                values[g.C] = float(self._cost(*[np.asarray(values[s]) for s in (*g.a[-1], *g.t)]))
        if self._dC_da is not None:
            values.update(zip(g.dC_da, map(float, self._dC_da(*[np.asarray(values[s]) for s in (*g.a[-1], *g.t)]))))

    def finite_difference(self, values: Values, symbol: sp.Symbol) -> tuple[float, float]:
        """dC/d(symbol) and an estimate of its error, from five-point central differences of the forward cost.

        Two steps h and h/2 are combined by Richardson extrapolation; their
        difference estimates the error. While the estimate is large against the
        value, the step is quartered (a function that curves fast, as
        binary cross-entropy near a = 0 or 1, needs a small one), and the best
        estimate is kept once round-off starts to win.
        """
        base = {s: values[s] for s in self.graph_inputs}

        def cost_at(offset: float) -> float:
            return self.forward(base, (symbol, offset))[self.batch.total]

        def five_point(h: float) -> float:
            return (-cost_at(2 * h) + 8 * cost_at(h) - 8 * cost_at(-h) + cost_at(-2 * h)) / (12 * h)

        h = FD_STEP * max(1.0, abs(values[symbol]))
        coarse = five_point(h)
        best = (math.inf, math.nan)
        for _ in range(FD_REFINEMENTS + 1):
            fine = five_point(h / 2)
            estimate = fine + (fine - coarse) / 15
            round_off = 8 * np.finfo(float).eps * max(abs(values[self.batch.total]), 1e-300) / h
            error = abs(fine - coarse) / 15 + round_off
            if error < best[0]:
                best = (error, estimate)
            if error > 4 * best[0] or error <= 1e-13 * max(abs(estimate), 1e-300):
                break
            h, coarse = h / 4, five_point(h / 4)
        return best[1], best[0]

    def finite_differences(self, values: Values, symbols: Sequence[sp.Symbol]) -> tuple[np.ndarray, np.ndarray]:
        """``finite_difference`` of every symbol at once: (estimates, errors), each of shape (len(symbols),).

        The same steps and the same choice of the best one, but every nudged forward pass
        of every symbol and step runs in one vectorised forward pass (``costs``).
        """
        levels = 2 * (FD_REFINEMENTS + 1)  # coarse h/4^i and fine h/(2 4^i) for each refinement i
        first = np.array([FD_STEP * max(1.0, abs(values[s])) for s in symbols])
        steps = first[:, None] / 2.0 ** np.arange(levels)  # (symbols, levels)
        multiples = np.array([2.0, 1.0, -1.0, -2.0])
        offsets = (steps[:, :, None] * multiples).reshape(len(symbols), -1)
        base = {s: values[s] for s in self.graph_inputs}
        costs = np.concatenate([  # in chunks: each nudged symbol holds an array of every row
            self.costs(base, symbols[k:k + FD_CHUNK], offsets[k:k + FD_CHUNK])
            for k in range(0, len(symbols), FD_CHUNK)
        ]).reshape(len(symbols), levels, 4)
        with np.errstate(invalid="ignore", over="ignore"):  # where the cost overflows: inf - inf, no evidence
            five_point = (-costs[..., 0] + 8 * costs[..., 1] - 8 * costs[..., 2] + costs[..., 3]) / (12 * steps)
        total = max(abs(values[self.batch.total]), 1e-300)
        estimates, errors = np.empty(len(symbols)), np.empty(len(symbols))
        for k in range(len(symbols)):
            best = (math.inf, math.nan)
            for i in range(FD_REFINEMENTS + 1):
                coarse, fine = five_point[k, 2 * i], five_point[k, 2 * i + 1]
                estimate = fine + (fine - coarse) / 15
                error = abs(fine - coarse) / 15 + 8 * np.finfo(float).eps * total / steps[k, 2 * i]
                if error < best[0]:
                    best = (error, estimate)
                if error > 4 * best[0] or error <= 1e-13 * max(abs(estimate), 1e-300):
                    break
            errors[k], estimates[k] = best
        return estimates, errors

    def costs(self, base: Values, symbols: Sequence[sp.Symbol], offsets: np.ndarray) -> np.ndarray:
        """C with ``symbols[k]`` nudged by each of ``offsets[k]``: shape (len(symbols), offsets per symbol).

        One forward pass over arrays: row r of the flattened offsets nudges one quantity
        (a parameter, or a z or a as it is computed), as ``forward`` with a ``nudge`` does.
        """
        per = offsets.shape[1]
        rows = offsets.size
        shift: dict[sp.Symbol, np.ndarray] = {}
        for k, symbol in enumerate(symbols):
            shift.setdefault(symbol, np.zeros(rows))[k * per:(k + 1) * per] += offsets[k]
        values: dict[sp.Symbol, np.ndarray] = {s: v + shift[s] if s in shift else np.asarray(v) for s, v in base.items()}
        batch = self.batch
        for g in batch.examples:
            for m, z_fn, a_fn, _ in self._layers:
                z_inputs = [values[s] for s in (*g.a[m - 1], *g.W[m], *g.b[m])]
                for symbol, z in zip(g.z[m], z_fn(*z_inputs)):
                    values[symbol] = z + shift[symbol] if symbol in shift else np.asarray(z)
                for symbol, a in zip(g.a[m], a_fn(*[values[s] for s in g.z[m]])):
                    values[symbol] = a + shift[symbol] if symbol in shift else np.asarray(a)
            with np.errstate(all="ignore"):
                cost = np.broadcast_to(self._cost(*[values[s] for s in (*g.a[-1], *g.t)]), (rows,))
                if self._logit_cost:  # but where a^{(L)} is nudged, it is no longer sigmoid(z^{(L)})
                    nudged = np.zeros(rows, dtype=bool)
                    for symbol in g.a[-1]:
                        if symbol in shift:
                            nudged |= shift[symbol] != 0
                    logit = self._logit(*[values[s] for s in (*g.z[-1], *g.t)])
                    cost = np.where(nudged, cost, logit)
            values[g.C] = cost
        if batch.example_graphs or batch.decay is not None:
            mean = sum(values[g.C] for g in batch.examples) / batch.network.batch
            weights = [values[w] for m in range(1, batch.network.L + 1) for w in batch.W[m]]
            decay = 0.0 if batch.decay is None else values[batch.decay] / 2 * sum(w * w for w in weights)
            values[batch.total] = mean + decay
        return np.broadcast_to(values[batch.total], (rows,)).reshape(offsets.shape)

    def away_from_kinks(self, values: Values, margin: float) -> bool:
        for m, kink in self._kinks:
            for z in (z for g in self.batch.examples for z in g.z[m]):
                g, slope = (float(v) for v in kink(np.asarray(values[z])))
                if not abs(g) > margin * max(1.0, abs(slope)):
                    return False
        return True

    def _lambdify(self, args: Sequence[sp.Symbol], exprs: object) -> Callable[..., object]:
        return lambdify_stable(args, exprs, self.functions)


@lru_cache(maxsize=16)
def evaluator_for(network: Network) -> Evaluator:
    return Evaluator(build_graph(network))


def compile_expressions(
    args: Sequence[sp.Symbol], exprs: Sequence[sp.Expr], functions: Functions | None = None
) -> Callable[[Values], np.ndarray]:
    """One NumPy function evaluating all ``exprs`` from a symbol -> float dict."""
    fn = lambdify_stable(args, list(exprs), functions, cse=True)

    def evaluate(values: Values) -> np.ndarray:
        # 0-d arrays, not floats: NumPy's select (Piecewise) needs array conditions.
        return np.array([float(v) for v in fn(*[np.asarray(values[s]) for s in args])])

    return evaluate


def compile_reference(
    derivations: Sequence[ReferenceDerivation], args: Sequence[sp.Symbol], functions: Functions | None = None
) -> Callable[[Sequence[Values]], np.ndarray]:
    """Every reference derivative at many points at once: an array of shape (points, entries).

    What SymEngine differentiated is evaluated on its shared form (``compile_many``), over the named
    quantities it was left in, so ``args`` are ``forward_symbols`` and the values a forward pass's;
    the rest on the SymPy form.
    """
    deep = bool(derivations) and derivations[0].network.L > LAMBDIFY_MAX_LAYERS
    remainders = {r: parts for d in derivations for r, parts in d.remainders().items()}
    # a unit's W, b, z and a derivatives share its graph: compiled together
    order = sorted(range(len(derivations)), key=lambda k: (derivations[k].entry.layer, derivations[k].entry.row))
    chosen = [derivations[k] for k in order]
    compiled = compile_many([*args, *remainders], [d.expression for d in chosen], [d.engine_derivative for d in chosen],
                            functions, deep, groups=[(d.entry.layer, d.entry.row) for d in chosen])

    def with_remainders(values: Values) -> Values:
        rests = {r: sum(values[w] * values[a] for w, a in terms) + values[b] for r, (terms, b) in remainders.items()}
        return {**values, **rests}

    def evaluate(points: Sequence[Values]) -> np.ndarray:
        out = np.empty((len(points), len(derivations)))
        out[:, order] = compiled([with_remainders(values) for values in points] if remainders else points)
        return out

    return evaluate


def compile_in_symengine(
    args: Sequence[sp.Symbol], exprs: Sequence[sp.Expr], functions: Functions | None = None
) -> Callable[[Sequence[Values]], np.ndarray]:
    """``exprs`` at many points at once, converted to SymEngine and compiled there where they convert.

    Abstract parts (``functions``) have no SymEngine form: then SymPy's lambdify does it all.
    """
    import symengine

    converted = [None] * len(exprs) if functions else _each_in_symengine(exprs, symengine.sympify)
    return compile_many(args, [(lambda e=e: e) for e in exprs], converted, functions)


def _each_in_symengine(items: Sequence[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """``convert(item)`` of each item, or None where SymEngine does not know a function in it
    (``compile_many`` then evaluates that one in SymPy)."""
    out: list[Any] = []
    for item in items:
        try:
            out.append(convert(item))
        except (SympifyError, TypeError, ValueError, RuntimeError, NotImplementedError):
            out.append(None)
    return out


def compile_naive(
    derivations: Sequence[NaiveDerivation], args: Sequence[sp.Symbol], functions: Functions | None = None
) -> Callable[[Sequence[Values]], np.ndarray]:
    """Every naive derivative at many points at once: an array of shape (points, derivations).

    Each path's product and each sum over paths is built in SymEngine from the factors, every
    distinct factor converted once (16,64,64,1's 65,600 paths: building them as SymPy sums first took
    longer than all the rest). Abstract parts (``functions``) have no SymEngine form: then SymPy's
    lambdify evaluates the derivations' expressions; so does any derivation that does not convert.
    """
    if functions:
        return compile_many(args, [d.expression for d in derivations], [None] * len(derivations), functions)
    import symengine

    factors: dict[sp.Basic, Any] = {}

    def engine_form(expr: sp.Basic) -> Any:
        if expr not in factors:
            factors[expr] = symengine.sympify(expr)
        return factors[expr]

    def summed(d: NaiveDerivation) -> Any:
        paths = [symengine.Mul(*[engine_form(f.value) for f in path.factors]) for path in d.paths]
        return engine_form(sp.Rational(1, d.network.batch)) * symengine.Add(*paths) + engine_form(d.decay)

    converted = _each_in_symengine(derivations, summed)
    return compile_many(args, [d.expression for d in derivations], converted, functions)


LAMBDIFY_CHUNK = 32
"""Expressions compiled by one ``symengine.Lambdify``: its common-subexpression search grows faster
than the expressions' size (16,64,64,1's 1,088 first-layer derivatives: 0.3 s for 17, 2.9 s for 136)."""


def _lambdify_in_chunks(
    args: Sequence[sp.Symbol], exprs: Sequence[Any], groups: Sequence[object] | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    """``exprs`` (SymEngine) compiled about ``LAMBDIFY_CHUNK`` at a time, each over only the ``args`` it uses:
    a function of a table (one row per point, one column per arg) giving (points, len(exprs)).

    Consecutive expressions of one of ``groups`` (which share most of their graph) stay in one chunk.
    """
    import symengine

    column = {s.name: k for k, s in enumerate(args)}
    groups = groups if groups is not None else range(len(exprs))
    bounds = [0] + [k for k in range(1, len(exprs))
                    if groups[k] != groups[k - 1] or k % (4 * LAMBDIFY_CHUNK) == 0]  # where a group starts
    starts = [0]
    for k in bounds[1:]:
        if k - starts[-1] >= LAMBDIFY_CHUNK:
            starts.append(k)
    chunks = []
    for start, end in zip(starts, [*starts[1:], len(exprs)]):
        part = exprs[start:end]
        names = sorted(s.name for s in symengine.DenseMatrix(part).free_symbols) or [args[0].name]
        columns = [column[name] for name in names]  # a name outside args: KeyError, not a wrong number
        chunks.append((columns, symengine.Lambdify([symengine.Symbol(n) for n in names], part, cse=True, backend="lambda")))

    def evaluate(table: np.ndarray) -> np.ndarray:
        return np.concatenate([np.reshape(f(table[:, columns]), (len(table), -1)) for columns, f in chunks], axis=1)

    return evaluate


def compile_many(
    args: Sequence[sp.Symbol], sympy_forms: Sequence[Callable[[], sp.Expr]], engine_forms: Sequence[Any],
    functions: Functions | None = None, deep: bool = False, groups: Sequence[object] | None = None,
) -> Callable[[Sequence[Values]], np.ndarray]:
    """Many expressions at many points: an array of shape (points, expressions).

    Those with a SymEngine form are compiled by ``symengine.Lambdify`` with common parts
    computed once (or, ``deep``, by substituting numbers into the shared graph, ``_at_numbers``);
    a value that comes out inf or NaN there (float64's exp overflows past 709) is evaluated
    again on the graph in 53-bit MPFR numbers, whose exponent range does not overflow; the
    others, and those Lambdify cannot take, by ``compile_expressions`` on the SymPy form (made
    only then) with the stable sigmoid and softplus.
    """
    fast = [k for k, e in enumerate(engine_forms) if e is not None]
    slow = [k for k, e in enumerate(engine_forms) if e is None]
    by_symengine = None
    if fast:
        import symengine

        inputs = [symengine.Symbol(s.name) for s in args]
        exprs = [engine_forms[k] for k in fast]
        if deep:  # numbers substituted into the shared graph
            def by_symengine(table: np.ndarray) -> np.ndarray:
                return np.array([_at_numbers(exprs, inputs, row, symengine.RealDouble) for row in table])
        else:
            try:
                by_symengine = _lambdify_in_chunks(args, exprs, None if groups is None else [groups[k] for k in fast])
            except (TypeError, ValueError, RuntimeError, NotImplementedError):
                fast, slow = [], list(range(len(engine_forms)))
    by_sympy: dict[tuple[int, ...], Callable[[Values], np.ndarray]] = {}

    def on_sympy(entries: Sequence[int], points: Sequence[Values]) -> np.ndarray:
        key = tuple(entries)
        if key not in by_sympy:
            by_sympy[key] = compile_expressions(args, [sympy_forms[k]() for k in entries], functions)
        return np.array([by_sympy[key](values) for values in points])

    def evaluate(points: Sequence[Values]) -> np.ndarray:
        out = np.empty((len(points), len(engine_forms)))
        if slow:
            out[:, slow] = on_sympy(slow, points)
        if fast:
            table = np.array([[values[s] for s in args] for values in points], dtype=float)
            with np.errstate(all="ignore"):
                out[:, fast] = np.reshape(by_symengine(table), (len(points), len(fast)))
            bad = sorted({fast[j] for j in np.flatnonzero(~np.all(np.isfinite(out[:, fast]), axis=0))})
            if bad:
                wide = [engine_forms[k] for k in bad]
                out[:, bad] = [_at_numbers(wide, inputs, row, _mpfr) for row in table]
        return out

    return evaluate


def _mpfr(value: float) -> Any:
    import symengine

    return symengine.RealMPFR(repr(float(value)), 53)  # repr: the shortest string that gives the same float


def _at_numbers(exprs: Sequence[Any], inputs: Sequence[Any], row: Sequence[float], number: Callable[[float], Any]) -> list[float]:
    """SymEngine ``exprs`` at one point (``inputs`` = ``row``), the numbers made by ``number``.

    ``xreplace`` walks a shared graph as a tree: fine where each layer uses its z once (50 sigmoid
    layers of width 2: a second); formulas that use it twice are refused that deep up front
    (``reference_refusal``).
    """
    numbers = {symbol: number(value) for symbol, value in zip(inputs, row)}
    with np.errstate(all="ignore"):
        return [float(e.xreplace(numbers)) for e in exprs]


def forward_symbols(graph: Graph) -> tuple[sp.Symbol, ...]:
    """The symbols ``Evaluator.forward`` gives values to (what concrete derivations contain)."""
    examples = graph.examples
    out = [*(x for g in examples for x in g.a[0]), *graph.parameters, *(t for g in examples for t in g.t)]
    if graph.decay is not None:
        out.append(graph.decay)
    for g in examples:
        for m in range(1, graph.network.L + 1):
            out.extend(g.z[m])
            out.extend(g.a[m])
            if g.sigma_function[m] is not None:
                out.extend(g.sigma_prime[m])
        if g.cost_function is not None:
            out.extend(g.dC_da)
    return tuple(out)


def compile_backprop(
    derivation: BackpropDerivation, functions: Functions | None = None
) -> Callable[[Values], tuple[Values, np.ndarray]]:
    """Evaluate backprop as it runs: deltas layer by layer (each once), then the gradients.

    The function returns the values with every delta added, and the gradients in
    the order of ``derivation.gradients``.
    """
    graph = build_graph(derivation.network)
    L = derivation.network.L
    args = list(forward_symbols(graph))
    cost = COSTS[derivation.network.cost]
    logit_delta = cost.logit_delta is not None and derivation.network.activations[-1] == "sigmoid"
    layers: list[tuple[list[sp.Symbol], Callable[[Values], np.ndarray]]] = []
    example = {g.example: g for g in graph.examples}
    for m in dict.fromkeys(s.layer for s in derivation.deltas):  # the layers computed, output first
        steps = [s for s in derivation.deltas if s.layer == m]
        known = [*args, *(d for g in graph.examples for d in (g.delta[m + 1] if m < L else ()))]
        if m == L and logit_delta:  # dC/da * a(1 - a) cancelled: finite when a rounds to 1
            formulas = [
                cost.logit_delta(example[s.example].a[L][s.unit - 1], example[s.example].t[s.unit - 1]) for s in steps
            ]
        else:
            formulas = [s.formula for s in steps]
        layers.append(([s.symbol for s in steps], compile_in_symengine(known, formulas, functions)))
    all_deltas = [s.symbol for s in derivation.deltas]
    gradients = compile_in_symengine([*args, *all_deltas], [g.formula for g in derivation.gradients], functions)

    def evaluate(values: Values) -> tuple[Values, np.ndarray]:
        values = dict(values)
        for symbols, fn in layers:
            values.update(zip(symbols, fn([values])[0]))
        return values, gradients([values])[0]

    return evaluate


@dataclass(frozen=True)
class GradientAtPoint:
    """Numbers at one point: the cost, dC/dW and dC/db in the point's layout, and the forward values.

    With a batch of N examples, z, a and delta hold one row per example.
    """

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


NOT_FINITE_ACCEPTED = ("accepted: a point where every z, a, C and delta is a finite number (smaller numbers, inputs "
                       "inside the non-linearity's domain, or a smaller --l2)")


def not_finite(name: str, value: float, source: str = "") -> SymbpError:
    """The one-line refusal of a value that is NaN or infinite at a point, ``name`` and where it came from."""
    what = "undefined (NaN)" if math.isnan(value) else "infinite (overflows float64)"
    return SymbpError(f"{name} is {what} at this point{source}; {NOT_FINITE_ACCEPTED}")


def require_finite(network: Network, result: GradientAtPoint) -> GradientAtPoint:
    """``result`` when every number in it is finite; else a ``SymbpError`` naming the first quantity, in the order
    the passes compute them (z, a layer by layer, C, the deltas from the output, the gradients), that is NaN or
    infinite, and for an a or delta the non-linearity and the z it was taken at."""
    L = network.L
    order: list[tuple[str, Any, int | None]] = []
    for m in range(1, L + 1):
        order += [(f"z{m}", result.z[f"z{m}"], m), (f"a{m}", result.a[f"a{m}"], m)]
    order += [("C", result.cost, None)]
    order += [(f"delta{m}", result.delta[f"delta{m}"], m) for m in range(L, 0, -1)]
    order += [(f"dC/d{key}", value, None) for key, value in result.gradients.items()]
    for name, values, m in order:
        values = np.asarray(values, dtype=float)
        if np.all(np.isfinite(values)):
            continue
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0]) if values.ndim else ()
        source = ""
        if m is not None and not name.startswith("z"):
            activation = network.activation(m)
            formula = f", {activation.name}(x) = {activation.formula}" if activation.formula else ""
            prime = "'" if name.startswith("delta") else ""  # delta^{(m)} multiplies sigma^{(m)}'(z^{(m)})
            z = float(np.asarray(result.z[f"z{m}"])[index])
            source = f": sigma{m}{prime} of {activation.name}{formula} at {_entry_name(network, f'z{m}', index)} = {z:g}"
        raise not_finite(_entry_name(network, name, index), float(values[index]), source)
    return result


def _entry_name(network: Network, name: str, index: tuple[int, ...]) -> str:
    """``a1_2`` (with a batch, example n's: ``a1_2_n1``), ``C``, or ``dC/dW1 (entry 2_1)``."""
    if name == "C":
        return name
    if name.startswith("dC/d"):
        return f"{name} (entry {'_'.join(str(i + 1) for i in index)})"
    if network.batch > 1:
        example, unit = index
        return f"{name}_{unit + 1}_n{example + 1}"
    return f"{name}_{index[0] + 1}"


def gradient_at(
    network: Network, point: Mapping[str, object], method: str = "backprop", max_paths: int | None = None,
    reference_engine: str = DEFAULT_REFERENCE_ENGINE, progress: Callable[[int, int], None] | None = None,
) -> GradientAtPoint:
    """Every dC/dW and dC/db of a concrete network at ``point`` by one method.

    ``point`` maps x, t, W1, b1, ... to NumPy arrays or nested lists of the network's
    shapes (``layout.point_layout``); anything else raises ``SymbpError`` naming the key.

    ``naive`` expands every entry (within ``max_paths`` paths in all, by default
    ``DEFAULT_MAX_PATHS``); ``reference`` differentiates the cost once per parameter in
    ``reference_engine`` (``symengine`` or ``sympy``; see ``symbp.reference``), within its budget.
    ``progress(done, total)``, if given, follows those two entry by entry.
    """
    from .derive import backprop, naive, reference
    from .derive.naive import DEFAULT_MAX_PATHS, check_budget

    require_network(network, "gradient_at")
    if method not in GRADIENT_METHODS:
        raise SymbpError(f"unknown method {method!r}; accepted: {', '.join(GRADIENT_METHODS)}")
    require_engine(reference_engine)
    if network.is_abstract:
        raise SymbpError(f"network {network.describe()} has abstract parts: there are no numbers to compute")
    point = point_layout(network).validate(point)
    graph = build_graph(network)
    evaluator = evaluator_for(network)
    values = evaluator.forward_at(point)
    parameters = tuple(network.entries(kinds=("W", "b")))
    if progress is not None and not callable(progress):
        raise SymbpError(f"progress {progress!r} must be a function progress(done, total), or None")
    with_deltas, _ = compile_backprop(backprop(network, parameters))(values)  # the deltas, whatever the method

    def each(derive: Callable[[Entry], object]) -> list:
        out = []
        for entry in parameters:
            out.append(derive(entry))
            if progress:
                progress(len(out), len(parameters) + 1)  # the last step: evaluating them all
        return out

    if method == "naive":
        check_budget(network, parameters, DEFAULT_MAX_PATHS if max_paths is None else max_paths)
        flat = compile_naive(each(lambda e: naive(network, e)), forward_symbols(graph))([values])[0]
    elif method == "reference":
        derivations = each(lambda e: reference(network, e, engine=reference_engine))
        flat = compile_reference(derivations, forward_symbols(graph))([values])[0]
    else:  # the compiled gradient function, on one row per example (a batch of one without a batch)
        cost, gradients = _compiled(network)(
            {key: point[key] for key in parameter_layout(network).keys}, np.atleast_2d(point["x"]), np.atleast_2d(point["t"])
        )
        return _at_point(method, float(cost), gradients, graph, values, with_deltas)
    if progress:
        progress(len(parameters) + 1, len(parameters) + 1)
    by_entry = dict(zip(parameters, map(float, flat)))

    gradients = {key: np.zeros(shape) for key, shape in parameter_layout(network).shapes}
    for entry, value in by_entry.items():
        if entry.kind == "W":
            gradients[f"W{entry.layer}"][entry.row - 1, entry.col - 1] = value
        else:
            gradients[f"b{entry.layer}"][entry.row - 1] = value
    return _at_point(method, values[graph.total], gradients, graph, values, with_deltas)


@lru_cache(maxsize=8)
def _compiled(network: Network) -> Callable:
    from .codegen import gradient_function

    return gradient_function(network)


def _at_point(
    method: str, cost: float, gradients: dict[str, np.ndarray], graph: Graph, values: Values, with_deltas: Values
) -> GradientAtPoint:
    network = graph.network

    def rows(symbols: Callable[[Graph], Sequence[sp.Symbol]], known: Values) -> np.ndarray:
        """One array per example: (D,) alone, (N, D) for a batch."""
        table = np.array([[known[s] for s in symbols(g)] for g in graph.examples])
        return table if network.batch > 1 else table[0]

    return GradientAtPoint(
        method=method,
        cost=cost,
        gradients=gradients,
        z={f"z{m}": rows(lambda g, m=m: g.z[m], values) for m in range(1, network.L + 1)},
        a={f"a{m}": rows(lambda g, m=m: g.a[m], values) for m in range(0, network.L + 1)},
        delta={f"delta{m}": rows(lambda g, m=m: g.delta[m], with_deltas) for m in range(1, network.L + 1)},
    )
