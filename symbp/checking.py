"""Sound verdicts on whether the three derivations agree, and with finite differences.

Every comparison ends in one of four outcomes:

- ``proved``: the two sides are the same rational function of their symbols and
  named parts (exponentials, Piecewise, Heaviside; see ``symbp.proof``);
- ``verified``: no proof was found (or none was tried), but the two sides agree
  within the tolerance at every random point; abstract parts (sigma^{(m)}, its
  sigma', C, dC/da^{(L)}_k) are replaced by independent random functions
  (``numeric.stand_ins``), the same in both sides;
- ``disagree``: only with a concrete counterexample, the point and both values;
- ``skipped``: the comparison was not made, with the reason (e.g. the network is
  too deep for the reference).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
import sympy as sp

from .counts import naive_paths
from .derive import backprop, naive, reference
from .derive.naive import DEFAULT_MAX_PATHS, check_budget
from .derive.reference import DEFAULT_REFERENCE_ENGINE, REFERENCE_MAX_LAYERS, reference_refusal, require_engine
from .display import Displayable
from .errors import SymbpError
from .graph import Graph, build_graph
from .numeric import (
    Evaluator,
    StandIn,
    compile_backprop,
    compile_naive,
    compile_reference,
    evaluator_for,
    forward_symbols,
    random_point,
    stand_ins,
)
from .proof import Prover
from .spec import ENTRY_KINDS, Entry, Network, budget, require_network, selected_entries

Progress = Callable[[int, int], None]

PROVED, VERIFIED, DISAGREE, SKIPPED = "proved", "verified", "disagree", "skipped"
OUTCOMES = (PROVED, VERIFIED, DISAGREE, SKIPPED)

SYMBOLIC_PROOF_MAX_PATHS = 500
"""In concrete mode the symbolic proofs are tried while the naive expansion is this small
(an abstract network has no numbers, so there they are always tried)."""


FD_ERROR_FACTOR = 4.0
"""A method agrees with finite differences within tol, or within this many of their error estimates."""

ROUNDING = 1e-12
"""Relative differences this small come from the order of float64 operations alone (a few thousand
ulps), not from a wrong derivative; --tol 0 must not turn them into disagreements."""

FINITE_DIFFERENCE = "finite difference"
NONFINITE_COST = "the cost is not finite at any random point (it overflows float64), so finite differences are undefined"


@dataclass(frozen=True)
class Counterexample:
    """Where two sides of a comparison differ: the point, the stand-ins used, and both values."""

    point: Mapping[str, tuple]
    """x, t, W1, b1, ... as (nested) tuples of floats."""
    values: tuple[tuple[str, float], ...]
    """(side, value), e.g. (("backprop", 0.25), ("finite difference", 0.5))."""
    stand_ins: tuple[tuple[str, sp.Expr], ...] = ()
    """(abstract function as the lecture writes it, the random function used for it)."""


@dataclass(frozen=True)
class CheckRow:
    """One comparison for one entry.

    ``method`` is ``naive``, ``backprop`` or ``reference`` (against finite
    differences), or a pair such as ``naive = backprop``. ``max_error`` is the
    largest relative difference over the points (0 when proved, NaN when skipped).
    """

    entry: str
    method: str
    outcome: str
    max_error: float
    counterexample: Counterexample | None = None
    reason: str = ""
    """Why a comparison was skipped."""

    @property
    def passed(self) -> bool:
        return self.outcome != DISAGREE

    @property
    def symbolic(self) -> bool:
        return self.outcome == PROVED


@dataclass(frozen=True)
class CheckReport(Displayable):
    network: Network
    rows: tuple[CheckRow, ...]
    tol: float
    points: int
    seed: int

    @property
    def passed(self) -> bool:
        """Nothing disagrees (a skipped comparison is not a disagreement, nor a pass: see ``counts``)."""
        return all(row.passed for row in self.rows)

    @property
    def failures(self) -> tuple[CheckRow, ...]:
        return tuple(row for row in self.rows if not row.passed)

    @property
    def counts(self) -> dict[str, int]:
        """How many comparisons ended in each outcome."""
        return {outcome: sum(row.outcome == outcome for row in self.rows) for outcome in OUTCOMES}

    @property
    def symbolic_only(self) -> bool:
        """No finite differences: an abstract network has no cost to nudge."""
        return self.network.is_abstract


DEFAULT_MAX_WORK = 10_000_000
"""Entries x points x parameters a check may take on: every entry's finite differences run the
forward pass at each point several times. 3,300,1 at 5 points (16 million) ran for minutes."""

MAX_CHECK_LAYERS = 64
"""Deeper networks make every symbolic step slow (200 one-unit layers took 5 minutes)."""


def _check_work(network: Network, entries: int, points: int, max_work: int) -> None:
    if network.L > MAX_CHECK_LAYERS:
        raise SymbpError(
            f"check is limited to {MAX_CHECK_LAYERS} layers, network has {network.L}; "
            "use grad or derive --method backprop, which stay fast at any depth"
        )
    work = entries * points * network.parameter_count * network.batch  # every example runs the forward pass
    if work > max_work:
        raise SymbpError(
            f"check of {entries:,} entries at {points} points on {network.parameter_count:,} parameters"
            f"{f' and {network.batch} examples' if network.batch > 1 else ''} is "
            f"{work:,} units of work, over the limit of {max_work:,}; name fewer entries (-e W1_1_1,b2), "
            f"fewer --points, or raise the limit (CLI: --max-work {work})"
        )


def check(
    network: Network,
    points: int = 5,
    seed: int = 0,
    tol: float = 1e-8,
    entries: Sequence[Entry | str] | None = None,
    progress: Progress | None = None,
    max_paths: int = DEFAULT_MAX_PATHS,
    max_work: int = DEFAULT_MAX_WORK,
    reference_engine: str = DEFAULT_REFERENCE_ENGINE,
) -> CheckReport:
    """Compare naive, backprop, reference and finite differences for every entry.

    Relative error at a point is |value - other| divided by the larger of |other|
    and the largest |other| of all entries there. The naive expansions of all
    ``entries`` together must stay within ``max_paths``, and the finite differences
    (entries x points x parameters) within ``max_work``; deeper networks than
    ``MAX_CHECK_LAYERS`` are refused. The reference differentiates in ``reference_engine``
    (``symengine`` or ``sympy``, see ``symbp.reference``); a network too deep or wide for it
    has its reference comparisons skipped, with the reason.

    >>> report = check(Network([2, 2, 1], "tanh", "squared_error"), points=2)
    >>> report.passed, report.counts["disagree"]
    (True, 0)
    """
    require_network(network, "check")
    if progress is not None and not callable(progress):
        raise SymbpError(f"progress {progress!r} must be a function progress(done, total), or None")
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise SymbpError(f"points {points!r} must be a whole number of at least 1")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SymbpError(f"seed {seed!r} must be a whole number of 0 or more")
    if not isinstance(tol, (int, float)) or not 0 <= tol < float("inf"):
        raise SymbpError(f"tol {tol!r} must be a finite number of 0 or more")
    engine = require_engine(reference_engine)
    chosen, max_work = selected_entries(network, entries, ENTRY_KINDS), budget(max_work, "max_work", DEFAULT_MAX_WORK)
    check_budget(network, chosen, max_paths)
    _check_work(network, len(chosen), points, max_work)
    return _Check(network, chosen, points, seed, tol, progress, engine).report()


class _Check:
    """The numbers and proofs of one check; ``report`` runs it."""

    def __init__(
        self, network: Network, entries: tuple[Entry, ...], points: int, seed: int, tol: float,
        progress: Progress | None, engine: str = DEFAULT_REFERENCE_ENGINE,
    ) -> None:
        self.network, self.entries, self.points, self.seed, self.tol = network, entries, points, seed, tol
        self.progress = progress
        self.graph = build_graph(network)
        rng = np.random.default_rng(seed)
        self.stand_ins: dict[str, StandIn] = stand_ins(self.graph, rng) if network.is_abstract else {}
        self._rng = rng  # the points are drawn after the stand-ins, from the same generator
        self.skip_reference = reference_refusal(network, entries, engine)
        self.backprop = backprop(network, entries)
        self.steps = len(entries) * (2 if network.is_abstract else 4)  # derive; numbers; against fd; pairs
        self.naive, reference_derivations = [], []
        for k, entry in enumerate(entries):
            self.naive.append(naive(network, entry))
            if not self.skip_reference:
                reference_derivations.append(reference(network, entry, engine=engine))
            self._advance(k + 1)
        self.reference = None if self.skip_reference else reference_derivations

    def _advance(self, done: int) -> None:
        if self.progress:
            self.progress(done, self.steps)

    @cached_property
    def evaluator(self) -> Evaluator:
        return Evaluator(self.graph, self.stand_ins) if self.network.is_abstract else evaluator_for(self.network)

    @cached_property
    def sample(self) -> list[dict]:
        """The points and their forward values. Made only when needed: an abstract network's proofs
        usually leave nothing to evaluate, and its evaluator alone took 0.2 s of a 2.4 s check."""
        return [self.evaluator.forward_at(random_point(self.network, self._rng, self.evaluator))
                for _ in range(self.points)]

    @cached_property
    def folder(self) -> _Folder:
        return _Folder(self.graph)

    @cached_property
    def numbers(self) -> dict[str, np.ndarray]:
        """Each method's value of every entry at every point of ``sample``: arrays of shape (points, entries).
        Made only when needed: an abstract network's proofs usually leave nothing to evaluate."""
        return self._evaluate(self.sample)

    def report(self) -> CheckReport:
        concrete = not self.network.is_abstract
        fd = self._finite_differences(self.sample) if concrete else None
        rows: list[CheckRow] = []
        n = len(self.entries)
        done = 2 * n if concrete else n
        if fd is not None:
            expected, error = fd
            # Where the cost overflows, a finite difference is inf - inf: no evidence either way.
            usable = np.all(np.isfinite(expected) & np.isfinite(error), axis=1)
            kept = _Kept(expected[usable], error[usable], _scale(expected[usable]), usable,
                         [values for values, ok in zip(self.sample, usable) if ok])
            numbers = {name: values[usable] for name, values in self.numbers.items()}
            self._advance(done)
            for name in ("naive", "backprop", "reference"):
                for k, entry in enumerate(self.entries):
                    rows.append(self._against_fd(entry, k, name, numbers.get(name), kept))
            done += n
            self._advance(done)
        # Deep networks nest past SymPy's recursion limit in expand/cancel: numbers only.
        small = (
            sum(naive_paths(self.network, e) for e in self.entries) <= SYMBOLIC_PROOF_MAX_PATHS
            and self.network.L <= REFERENCE_MAX_LAYERS
        )
        prove = (self.network.is_abstract or small) and self.network.L <= REFERENCE_MAX_LAYERS
        equal = Prover().equal  # one for all entries: backprop's shared deltas are rewritten once
        for k, entry in enumerate(self.entries):
            by_backprop = self.backprop.expression(entry) if prove else None
            proved = prove and equal(self.naive[k].expression(), by_backprop)
            rows.append(self._pair(entry, k, "naive", proved))
            if self.reference is None:
                rows.append(CheckRow(entry.name, "reference = backprop", SKIPPED, float("nan"),
                                     reason=self.skip_reference or ""))
            else:
                proved = prove and any(
                    equal(by_backprop, self.folder.fold(form()))
                    for form in self._reference_forms(k)
                )
                rows.append(self._pair(entry, k, "reference", proved))
            done += 1
            self._advance(done)
        return CheckReport(self.network, tuple(rows), self.tol, self.points, self.seed)

    def _reference_forms(self, k: int) -> Iterator[Callable[[], sp.Expr]]:
        """The reference to prove equal to backprop: as computed, where its SymPy form is what was
        computed (SymPy's diff, or an abstract network's SymEngine derivative converted back, over
        the named z of its layer, each the definition it stands for); else SymEngine's derivative
        converted back whole, and last SymPy's own diff (the lecture's reference, which folds into
        the named quantities where SymEngine's form may not), both only where SymEngine's numbers
        equal backprop's at every point: the proof is then of the derivative SymEngine's numbers
        were checked against, not of SymEngine's arithmetic off those points."""
        derivation = self.reference[k]
        named = derivation.named_derivative
        as_computed = derivation.engine == "sympy" or named is not None
        if named is not None:  # over the named z of its layer: folding needs no round trip through x, W, b, t
            yield lambda: named
        elif as_computed:
            yield derivation.expression
        if derivation.engine == "sympy":
            return
        got, expected = self.numbers["reference"][:, k], self.numbers["backprop"][:, k]
        if not np.all(np.abs(got - expected) <= ROUNDING * np.maximum(np.abs(expected), 1.0)):
            return
        if not as_computed:
            yield derivation.expression
        yield lambda: reference(self.network, self.entries[k], engine="sympy").expression()

    # Numbers ---------------------------------------------------------------

    def _evaluate(self, sample: list[dict]) -> dict[str, np.ndarray]:
        """Each method's value of every entry at every point: arrays of shape (points, entries)."""
        named = forward_symbols(self.graph)
        by_backprop = compile_backprop(self.backprop, self.stand_ins)
        numbers = {
            "naive": compile_naive(self.naive, named, self.stand_ins)(sample),
            "backprop": np.array([by_backprop(values)[1] for values in sample]),
        }
        if self.reference is not None:
            # An abstract reference is SymPy's, over x, W, b, t and the stand-ins, some named like sigma' symbols
            over = self.evaluator.graph_inputs if self.network.is_abstract else named
            numbers["reference"] = compile_reference(self.reference, over, self.stand_ins)(sample)
        return numbers

    def _finite_differences(self, sample: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        symbols = [self.graph.symbol(e) for e in self.entries]
        estimates = [self.evaluator.finite_differences(values, symbols) for values in sample]
        return np.array([e for e, _ in estimates]), np.array([error for _, error in estimates])

    def _against_fd(self, entry: Entry, k: int, name: str, got: np.ndarray | None, kept: _Kept) -> CheckRow:
        """``got`` (the points ``kept`` keeps) against the finite differences."""
        if got is None:
            return CheckRow(entry.name, name, SKIPPED, float("nan"), reason=self.skip_reference or "")
        if not kept.usable.any():
            return CheckRow(entry.name, name, SKIPPED, float("nan"), reason=NONFINITE_COST)
        expected, scale = kept.expected[:, k], kept.scale[:, k]
        relative = np.abs(got[:, k] - expected) / scale
        allowed = np.maximum(self.tol, FD_ERROR_FACTOR * kept.error[:, k] / scale)
        return self._row(entry, name, relative, allowed, kept.sample, (name, got[:, k]), (FINITE_DIFFERENCE, expected))

    @cached_property
    def _backprop_scale(self) -> np.ndarray:
        return _scale(self.numbers["backprop"])

    def _pair(self, entry: Entry, k: int, name: str, proved: bool) -> CheckRow:
        method = f"{name} = backprop"
        if proved:
            return CheckRow(entry.name, method, PROVED, 0.0)
        got, expected = self.numbers[name], self.numbers["backprop"]
        relative = np.abs(got[:, k] - expected[:, k]) / self._backprop_scale[:, k]
        return self._row(entry, method, relative, np.full(self.points, self.tol), self.sample,
                         (name, got[:, k]), ("backprop", expected[:, k]))

    def _row(
        self, entry: Entry, method: str, relative: np.ndarray, allowed: np.ndarray, sample: list[dict],
        left: tuple[str, np.ndarray], right: tuple[str, np.ndarray],
    ) -> CheckRow:
        relative = np.where(np.isnan(relative), np.inf, relative)  # a NaN on one side is a difference
        allowed = np.maximum(allowed, ROUNDING)
        worst = int(np.argmax(relative - allowed))
        if np.all(relative <= allowed):
            return CheckRow(entry.name, method, VERIFIED, float(np.max(relative)))
        counterexample = Counterexample(
            self._point_of(sample[worst]),
            ((left[0], float(left[1][worst])), (right[0], float(right[1][worst]))),
            self._shown_stand_ins(),
        )
        return CheckRow(entry.name, method, DISAGREE, float(relative[worst]), counterexample)

    def _point_of(self, values: dict) -> dict[str, tuple]:
        g = self.graph
        x, t = (tuple(tuple(values[s] for s in symbols(e)) for e in g.examples) for symbols in (lambda e: e.a[0], lambda e: e.t))
        point: dict[str, tuple] = {"x": x, "t": t} if self.network.batch > 1 else {"x": x[0], "t": t[0]}
        for m in range(1, self.network.L + 1):
            point[f"W{m}"] = tuple(tuple(values[s] for s in g.W[m].row(i)) for i in range(self.network.D(m)))
            point[f"b{m}"] = tuple(values[s] for s in g.b[m])
        return point

    def _shown_stand_ins(self) -> tuple[tuple[str, sp.Expr], ...]:
        shown = []
        for f in self._undefined_functions():
            stand_in = self.stand_ins[f.__name__]
            arguments = sp.symbols(f"u1:{len(stand_in.weights) + 1}", real=True)
            shown.append((self.graph.text_names.get(f, f.__name__), stand_in.expression(*arguments)))
        return tuple(shown)

    def _undefined_functions(self) -> list[sp.FunctionClass]:
        out = []
        for f, partials in self.graph.partial_functions.items():
            out += [f, *partials]
        return out


@dataclass(frozen=True)
class _Kept:
    """The finite differences at the points where they are finite (``usable``), with their scale."""

    expected: np.ndarray
    error: np.ndarray
    scale: np.ndarray
    usable: np.ndarray
    """One flag per point of the whole sample."""
    sample: list[dict]


def _scale(expected: np.ndarray) -> np.ndarray:
    """Per point and entry: the larger of |expected| and the largest |expected| at that point (never 0)."""
    scale = np.maximum(np.abs(expected), np.max(np.abs(expected), axis=1, keepdims=True, initial=0.0))
    return np.where(scale == 0, 1.0, scale)


class _Folder:
    """Writes the reference's result over the named intermediates backprop uses, so the two compare small.

    Bottom-up, every full z^{(m)}_j (over x, W, b) becomes the symbol z^{(m)}_j, every
    sigma^{(m)}(z^{(m)}_j) the symbol a^{(m)}_j, an abstract sigma^{(m)'}(z) or
    dC/da^{(L)}_k(a, t) its named symbol; for a sigmoid unit exp(-z) becomes (1 - a)/a
    and 1 + exp(-z) becomes 1/a. A z merged into a larger sum (an identity output's
    z - t) is found there by its bias term. Each is the definition of the symbol it is
    replaced by, so an identity over the named symbols is an identity over x, W, b, t.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        known: dict[sp.Basic, sp.Expr] = {}
        identities: dict[sp.Basic, sp.Expr] = {}
        for example in graph.examples:
            self._learn(example, known, identities)
        self._known, self._identities = known, identities
        self._memo: dict[sp.Basic, sp.Basic] = {}  # over every fold: entries share the layers above them
        # Every definition that is a sum, by one of its terms (a z by its bias, which no other z has):
        # found among the terms of a larger sum, at any scale (leaky_relu's z/100).
        self._sums: dict[sp.Basic, list[tuple[tuple[sp.Expr, ...], sp.Expr]]] = {}
        z_names = set()
        for example in graph.examples:
            for m in range(1, graph.network.L + 1):
                for i, definition in enumerate(example.z_definition[m]):
                    self._learn_sum(definition, example.b[m][i], example.z[m][i])
                z_names.update(example.z[m])
        for definition, named in known.items():
            if definition.is_Add and named.is_Symbol and named not in z_names:
                self._learn_sum(definition, definition.args[0], named)

    @staticmethod
    def _learn(graph: Graph, known: dict[sp.Basic, sp.Expr], identities: dict[sp.Basic, sp.Expr]) -> None:
        """The definitions of one example's named symbols."""
        net = graph.network
        for m in range(1, net.L + 1):
            sigma = graph.sigma_function[m]
            for i, (z, a) in enumerate(zip(graph.z[m], graph.a[m])):
                known[graph.z_definition[m][i]] = z
                known[-graph.z_definition[m][i]] = -z
                if m == net.L and graph.softmax_output:  # softmax's derivative has exp(2 z_k) too
                    known.update({n * graph.z_definition[m][i]: n * z for n in (2, -2)})
                known[graph.a_definition[m][i]] = a
                # SymPy distributes a number over a sum (leaky_relu's z/100), so the full form
                # need not contain z as a whole: register it as the fold sees it.
                known[_rebuild(graph.a_definition[m][i].xreplace({z: graph.z_definition[m][i]}), known)] = a
                if sigma is not None:
                    known[graph.partial_functions[sigma][0](z)] = graph.sigma_prime[m][i]
                elif net.activations[m - 1] == "sigmoid":
                    identities[1 + sp.exp(-z)] = 1 / a
                    identities[sp.exp(-z)] = (1 - a) / a
        if graph.cost_function is not None:
            arguments = (*graph.a[net.L], *graph.t)
            for k, partial in enumerate(graph.partial_functions[graph.cost_function]):
                known[partial(*arguments)] = graph.dC_da[k]
        if graph.softmax_output:
            identities.update(_softmax_identities(graph))

    def fold(self, expr: sp.Expr) -> sp.Expr:
        return _rebuild(expr, self._known, self._memo, self._within_sums).xreplace(self._identities)

    def _learn_sum(self, definition: sp.Expr, anchor: sp.Expr, named: sp.Expr) -> None:
        """``definition`` = ``named``, found by ``anchor`` (one of its terms), each term over the anchor's number."""
        scale, key = anchor.as_coeff_Mul()
        terms = tuple(term / scale for term in sp.Add.make_args(definition))
        self._sums.setdefault(key, []).append((terms, self._known.get(named, named) / scale))

    def _within_sums(self, total: sp.Add) -> sp.Expr:
        """``total`` with every definition among its terms, at any scale, replaced by its name
        (repeated: a z found may complete an a's definition, as in leaky_relu's z/100 + 99 max(0, z)/100)."""
        terms = Counter(total.args)
        while (match := self._sum_among(terms)) is not None:
            scaled, named = match
            terms -= scaled
            terms[named] += 1
        return sp.Add(*terms.elements()) if terms != Counter(total.args) else total

    def _sum_among(self, terms: Counter) -> tuple[Counter, sp.Expr] | None:
        """The first learnt definition, at some scale, whose terms are all among ``terms``, and its name at that scale."""
        for term in terms:
            scale, key = term.as_coeff_Mul()
            for definition, named in self._sums.get(key, ()):
                scaled = Counter(scale * t for t in definition)
                if all(terms[t] >= n for t, n in scaled.items()):
                    return scaled, scale * named
        return None


def _softmax_identities(graph: Graph) -> dict[sp.Basic, sp.Expr]:
    """With S = sum_j exp(z^{(L)}_j): S as a symbol, exp(n z^{(L)}_k) as (a^{(L)}_k S)^n.

    Each is softmax's definition a_k = exp(z_k)/S read backwards, so S cancels from an
    identity over the outputs; xreplace meets the whole sum before its terms.
    """
    z, a = graph.z[-1], graph.a[-1]
    total = sp.Dummy("S", positive=True)
    identities: dict[sp.Basic, sp.Expr] = {sp.Add(*[sp.exp(z_j) for z_j in z]): total}
    for z_k, a_k in zip(z, a):
        identities.update({sp.exp(n * z_k): (a_k * total) ** n for n in (1, -1, 2, -2)})
    return identities


def _rebuild(
    expr: sp.Basic, known: Mapping[sp.Basic, sp.Expr], memo: dict[sp.Basic, sp.Basic] | None = None,
    within_sums: Callable[[sp.Add], sp.Expr] | None = None,
) -> sp.Basic:
    """``expr`` rebuilt bottom-up, each rebuilt part found in ``known`` replaced by its name
    (``memo``, if given, keeps what was rebuilt for the next call with the same ``known``;
    ``within_sums``, if given, rewrites each rebuilt sum first)."""
    memo = {} if memo is None else memo

    def rebuild(node: sp.Basic) -> sp.Basic:
        if node not in memo:
            out = node if node.is_Atom else node.func(*map(rebuild, node.args))
            if within_sums is not None and out.is_Add:
                out = within_sums(out)
            memo[node] = known.get(out, out)
        return memo[node]

    return rebuild(expr)
