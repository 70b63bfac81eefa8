"""Grade a student's dC/d(entry) against the naive chain expansion, and say what differs.

The truth is ``naive(network, entry)``: one product of local derivatives per path.
An answer is **correct** when it equals that sum, proved by expanding the
difference over named symbols (z, a, sigma', dC/da are independent symbols there,
which is exactly the chain rule's form), else checked at random points where the
abstract parts get random values. For an incorrect answer each path is matched
with a term of the expanded answer (a multiset of factors) and the difference is
named: a missing or extra path, a missing, extra or wrong factor, a sign or scale.

>>> from symbp import Network
>>> grade(Network(), "W2_1_2", "dC/da3 * sigma3'(z3) * w3_1 * sigma2'(z2_1) * a1_2").verdict
'correct'
>>> print(grade(Network(), "W2_1_2", "dC/da3 * sigma3'(z3) * w3_1 * a1_2").feedback[0].message)
sigma2'(z2_1) is missing in the path W2_1_2 -> a2_1 -> a3 -> C
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from html import escape
import pathlib
from typing import Iterable, Mapping, Sequence

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.str import StrPrinter

from .activations import ACTIVATIONS, FORMULA_VARIABLE, Activation
from .answer import parse_answer, sigma_prime_function
from .derive.backprop import backprop
from .counts import naive_paths
from .derive.naive import DEFAULT_MAX_PATHS, Path, naive
from .display import Displayable
from .errors import SymbpError
from .specfile import load_json
from .graph import Graph, build_graph
from .proof import Prover
from .spec import Entry, Network

CORRECT, INCORRECT = "correct", "incorrect"

DEFAULT_POINTS = 3
"""Random points of the numeric check when the symbolic one cannot decide."""

MAX_EXPANDED_TERMS = 2_000
MAX_EXPANDED_POWER = 8
"""An answer is expanded only when it has at most this many terms and no sum raised above this power
(((a+b)^64)^64 would take minutes); otherwise numbers decide."""

MAX_FEEDBACK_PATHS = 256
"""Paths matched one by one with the answer's terms; past this the feedback is the counterexample."""

MAX_FEEDBACK_ITEMS = 10
"""Differences listed for one answer; the rest are counted in one last item."""

RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Feedback:
    """One difference from the truth. ``kind`` is one of:
    missing_path, extra_term, missing_factor, extra_factor, wrong_factor, swapped_indices,
    wrong_layer, sign, scale, delta_not_allowed, unmatched, more; with weight decay decay_missing, decay_wrong,
    decay_on_bias; with a batch batch_mean_missing, batch_one_example, batch_mixed_examples."""

    kind: str
    message: str
    path: tuple[str, ...] = ()
    """The path concerned, as its chain of units from the entry up to C."""
    expected: str = ""
    found: str = ""


MAX_COUNTEREXAMPLE = 300
"""Characters of a counterexample's line: a batch of 200 examples named 10,709 characters of values."""


@dataclass(frozen=True)
class Counterexample:
    """A point where the answer's value differs from the truth's."""

    values: tuple[tuple[str, float], ...]
    """Every quantity the two expressions use, by its answer-notation name."""
    answer: float
    truth: float

    def describe(self, width: int = MAX_COUNTEREXAMPLE) -> str:
        """One line of at most about ``width`` characters: past it the values are cut with '… (N more)'."""
        verdict = f": the answer is {self.answer:.6g}, the correct value {self.truth:.6g}"
        values = [f"{name} = {value:.4g}" for name, value in self.values]
        shown: list[str] = []
        for k, value in enumerate(values):
            rest = f"… ({len(values) - k} more)"
            if len("at " + ", ".join([*shown, value, rest]) + verdict) > width and k < len(values) - 1:
                shown.append(rest)
                break
            shown.append(value)
        return f"at {', '.join(shown)}{verdict}"


@dataclass(frozen=True)
class GradeResult(Displayable):
    """The verdict on one answer, how it was reached, and what differs."""

    network: Network
    entry: Entry
    answer: str
    verdict: str
    method: str
    """How equality was decided: ``symbolic`` or ``numeric at N points``."""
    feedback: tuple[Feedback, ...] = ()
    counterexample: Counterexample | None = None

    @property
    def correct(self) -> bool:
        return self.verdict == CORRECT

    def lines(self) -> list[str]:
        """The verdict and each feedback item, one per line, as the CLI prints them."""
        head = f"{self.entry.name}: {self.verdict} ({self.method})"
        items = [f"  - {item.message}" for item in self.feedback]
        if self.counterexample is not None:
            items.append(f"  - counterexample: {self.counterexample.describe()}")
        return [head, *items]

    def _repr_markdown_(self) -> str:
        head, *items = self.lines()
        return f"**{_markdown(head)}**" + "".join(f"\n- {_markdown(item[len('  - '):])}" for item in items)


def _markdown(text: str) -> str:
    """Plain text shown as itself in Markdown: HTML and emphasis characters escaped."""
    return escape(text, quote=False).replace("*", "\\*").replace("_", "\\_")


# Names in the answer notation ----------------------------------------------------------------------


def ascii_name(network: Network, expr: sp.Expr) -> str:
    """``W2_1_2``, ``w3_1``, ``a3``, ``sigma2'(z2_1)``, ``dC/da3``: how a student writes the quantity."""
    name = getattr(expr, "name", None)
    if isinstance(expr, AppliedUndef):
        function = type(expr).__name__.replace("_prime", "'")
        return f"{function}({', '.join(ascii_name(network, arg) for arg in expr.args)})"
    if name is None:  # a formula: its symbols by their answer names (z3, not z3_1)
        return str(expr.xreplace({s: sp.Symbol(ascii_name(network, s)) for s in expr.free_symbols}))
    L, single = network.L, network.D(network.L) == 1
    name, example = _EXAMPLE_SUFFIX.fullmatch(name).groups(default="")  # a batch's a1_2_n1: example 1's a1_2
    if name.startswith("dsigma"):
        m, i = name[len("dsigma"):].split("_")
        return f"sigma{m}'({ascii_name(network, sp.Symbol(f'z{m}_{i}{example}'))})"
    if name.startswith("dC_d"):
        return "dC/d" + ascii_name(network, sp.Symbol(name[len("dC_d"):] + example))
    if name.startswith("t_"):
        return ("t" if single else name) + example
    if single and name.startswith(f"W{L}_1_"):
        return f"w{L}_{name.rsplit('_', 1)[1]}"
    for letter in ("delta", "a", "z", "b"):
        if name.startswith(letter) and single and name == f"{letter}{L}_1":
            return f"{letter}{L}{example}"
    return name + example


_EXAMPLE_SUFFIX = re.compile(r"(.*?)(_n\d+)?")


# The truth over abstract factors ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Truth:
    graph: Graph
    paths: tuple[Path, ...]
    path_factors: tuple[Counter, ...]
    """Each path as a multiset of abstract factors (dC/da, sigma', W, a; constants dropped)."""
    expression: sp.Expr
    """The naive sum with concrete sigma' and C as formulas (over the path budget: ``compact``)."""
    compact: sp.Expr
    """The same by backprop's recursion, over delta symbols (``local_deltas`` give their values): numbers use it."""
    concrete: Mapping[sp.Basic, sp.Expr]
    """Abstract symbol -> its formula, for concrete layers and costs."""
    local_deltas: Mapping[sp.Symbol, sp.Expr]
    """Each delta by one step of backprop's recursion, over the deltas above it (output layer first)."""
    named_values: Mapping[sp.Expr, sp.Symbol]
    """sigma^{(m)}(z) written as a formula (the sigmoid's 1/(1 + exp(-z3_1))) -> its a, for layers that have one."""
    abstract_deltas: Mapping[sp.Symbol, sp.Expr]
    """Each delta unrolled (subtrees shared: a tree walk over one is exponential in the layers)."""


def check_gradable(network: Network) -> None:
    """Refuse a network whose answers the notation cannot write: softmax's Jacobian entries
    da^{(L)}_k/dz^{(L)}_j (k != j) have no name in it, and its paths are not one sigma' each.
    Weight decay is graded (dC/dW then has lambda W as its last term), and so is a batch: example n's
    quantities carry _n and its number (a1_2_n1, delta2_1_n2), dC/dW is (1/N) times the sum over the examples."""
    if not isinstance(network, Network):
        raise SymbpError(f"network {network!r} must be a symbp.Network, e.g. Network([3, 2, 2, 1])")
    vector = [m for m in range(1, network.L + 1) if network.activation(m).output_only]
    if vector:
        elementwise = ", ".join(name for name, activation in ACTIVATIONS.items() if not activation.output_only)
        raise SymbpError(f"non-linearity {network.activations[vector[0] - 1]!r} (layer {vector[0]}) cannot be "
                         f"graded yet: its Jacobian has no answer notation; grading accepts element-wise "
                         f"non-linearities: {elementwise}, or a --define'd formula")


@lru_cache(maxsize=256)
def _truth(network: Network, entry: Entry, max_paths: int) -> _Truth:
    """The naive paths when they are within ``max_paths``, else none (numbers and backprop's form then decide)."""
    graph = build_graph(network)
    concrete: dict[sp.Basic, sp.Expr] = {}
    for example in graph.examples:  # a batch's examples each have their own sigma' and dC/da
        for m in range(1, network.L + 1):
            for symbol, value in zip(example.sigma_prime[m], example.sigma_prime_value[m]):
                if value != symbol:
                    concrete[symbol] = value
        for symbol, value in zip(example.dC_da, example.dC_da_value):
            if value != symbol:
                concrete[symbol] = value
    named_values = {network.activation(m).value(z): a for example in graph.examples for m in range(1, network.L + 1)
                    if not network.activation(m).is_abstract for z, a in zip(example.z[m], example.a[m])}
    local = _local_deltas(network, graph)
    deltas: dict[sp.Symbol, sp.Expr] = {}
    for symbol, value in local.items():
        deltas[symbol] = value.xreplace(deltas)
    compact = backprop(network, [entry]).gradient(entry).formula.xreplace(concrete)
    if naive_paths(network, entry) > max_paths:
        return _Truth(graph, (), (), compact, compact, concrete, local, named_values, deltas)
    derivation = naive(network, entry, max_paths)
    constants = {s: v for s, v in concrete.items() if v.is_Number}
    path_factors = tuple(
        Counter(f for f in (abstract_factor(graph, factor).xreplace(constants) for factor in path.factors) if not f.is_Number)
        for path in derivation.paths
    )
    return _Truth(graph, derivation.paths, path_factors, derivation.expression(), compact, concrete, local, named_values, deltas)


def abstract_factor(graph: Graph, factor) -> sp.Expr:
    """A path's factor as a named symbol: dC/da^{(L)}_k and sigma'^{(m)}(z_i) even when they have formulas
    (in a batch, those of the path's example)."""
    for example in graph.examples:
        if factor.of == example.C:
            return example.dC_da[example.a[-1].index(factor.wrt)]
        for m in range(1, graph.network.L + 1):
            if factor.of in example.a[m]:
                return example.sigma_prime[m][example.a[m].index(factor.of)]
    return factor.value


def _local_deltas(network: Network, graph: Graph) -> dict[sp.Symbol, sp.Expr]:
    """Each delta by one step of backprop's recursion, with sigma' and dC/da left as named symbols."""
    values: dict[sp.Symbol, sp.Expr] = {}
    for step in backprop(network).deltas:  # output layer first; every W and b needs every delta
        example = graph.examples[step.example - 1] if step.example is not None else graph
        local = example.sigma_prime[step.layer][step.unit - 1]
        if step.is_base_case:
            upstream = example.dC_da[step.unit - 1]
        else:
            upstream = sp.Add(*[delta * weight for delta, weight in step.terms])
        values[step.symbol] = upstream * local
    return values


def expected_answer(network: Network, entry: Entry | str, max_paths: int = DEFAULT_MAX_PATHS) -> str:
    """The naive expansion in the ASCII answer notation, one product per path (for an exercise's solution).

    >>> from symbp import Network
    >>> expected_answer(Network(), "W2_1_2")
    "dC/da3 * sigma3'(z3) * w3_1 * sigma2'(z2_1) * a1_2"
    """
    check_gradable(network)
    entry = _entry(network, entry)
    plain = replace(network, l2=0.0)
    truth = _truth(plain, entry, max_paths)
    if not truth.paths:
        naive(plain, entry, max_paths)  # over the budget: its error names the paths
    paths = " + ".join(
        " * ".join(ascii_name(network, abstract_factor(truth.graph, factor)) for factor in path.factors)
        for path in truth.paths
    )
    if network.batch > 1:  # the paths run example by example: their mean
        paths = f"({paths}) / {network.batch}"
    decay = build_graph(network).decay_term(entry)
    return f"{paths} + lambda * {ascii_name(network, truth.graph.symbol(entry))}" if decay != 0 else paths


def _entry(network: Network, entry: object) -> Entry:
    """The Entry of a name such as ``W2_1_2`` (or an Entry as it is)."""
    if isinstance(entry, str):
        return network.entry(entry)
    if not isinstance(entry, Entry):
        raise SymbpError(f"entry {entry!r} must be a name such as 'W2_1_2' or 'b1_2'")
    return entry


# Grading -------------------------------------------------------------------------------------------------


def grade(
    network: Network,
    entry: Entry | str,
    answer: str,
    allow_delta: bool = True,
    points: int = DEFAULT_POINTS,
    seed: int = 0,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> GradeResult:
    """Grade ``answer`` as dC/d(entry); raise ``SymbpError`` when it cannot be read (with the position)."""
    try:
        return _grade(network, entry, answer, allow_delta, points, seed, max_paths)
    except (OverflowError, RecursionError) as error:  # numbers past float64, or an answer nested past Python's stack
        raise SymbpError(f"the answer cannot be compared: its value is out of range ({error})") from None


def _grade(
    network: Network,
    entry: Entry | str,
    answer: str,
    allow_delta: bool,
    points: int,
    seed: int,
    max_paths: int,
) -> GradeResult:
    check_gradable(network)
    entry = _entry(network, entry)
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise SymbpError(f"points {points!r} must be a positive integer (random points of the numeric check)")
    written = parse_answer(answer, network)
    if network.l2:
        return _grade_decayed(network, entry, answer, written, allow_delta, points, seed, max_paths)
    return _grade_written(network, entry, answer, written, allow_delta, points, seed, max_paths)


def _grade_decayed(network: Network, entry: Entry, answer: str, written: sp.Expr, allow_delta: bool, points: int,
                   seed: int, max_paths: int) -> GradeResult:
    """With weight decay dC/dW is the paths' sum plus lambda W: the answer less lambda W (lambda written as
    a symbol or its number) is graded against the paths; a missing decay term, or one on a bias, is named."""
    graph = build_graph(network)
    plain = replace(network, l2=0.0)  # the same symbols, without lambda: the naive paths alone
    lam = sp.Rational(repr(network.l2))
    value = written.xreplace({graph.decay: lam})
    term = graph.decay_term(entry).xreplace({graph.decay: lam})
    result = _grade_written(plain, entry, answer, value - term, allow_delta, points, seed, max_paths)
    name = ascii_name(network, graph.symbol(entry))
    if not result.correct:
        written_term = _coefficient(value, graph.symbol(entry)) * graph.symbol(entry)
        if entry.kind == "W" and _grade_written(plain, entry, answer, value - written_term, allow_delta, points, seed,
                                                max_paths).correct:
            if written_term == 0:
                item = Feedback("decay_missing", f"the weight decay's term lambda * {name} is missing: with l2 = "
                                                 f"{network.l2:g}, dC/d{name} = (sum over the paths) + lambda * {name}")
            else:
                item = Feedback("decay_wrong", f"the weight decay's term is {ascii_name(network, written_term)}, but "
                                               f"dC/d{name} gains lambda * {name} = {network.l2:g} * {name}")
            result = replace(result, feedback=(item,))
        elif entry.kind == "b" and _grade_written(plain, entry, answer, value - lam * graph.symbol(entry), allow_delta,
                                                   points, seed, max_paths).correct:
            item = Feedback("decay_on_bias", f"biases are not decayed: dC/d{name} has no lambda * {name}")
            result = replace(result, feedback=(item,))
    if result.counterexample is not None and term != 0:
        result = replace(result, counterexample=_with_decay(result.counterexample, name, float(lam), seed))
    return replace(result, network=network)


def _coefficient(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """The number multiplying ``symbol`` alone in ``expr`` (0 when none, or when ``expr`` is too large to expand)."""
    if _expanded_terms(expr) > MAX_EXPANDED_TERMS:
        return sp.Integer(0)
    coefficient = sp.expand(expr).coeff(symbol)
    return coefficient if coefficient.is_Number else sp.Integer(0)


def _with_decay(counterexample: Counterexample, name: str, lam: float, seed: int) -> Counterexample:
    """The counterexample of the paths' part, with lambda W added back to both values. W is no factor of
    its own paths (dz/dW is an a), so when the answer has no W it takes any value: one drawn from the seed."""
    values = dict(counterexample.values)
    if name not in values:
        values[name] = round(float(np.random.default_rng(seed).uniform(-1, 1)), 4)
    shift = lam * values[name]
    return Counterexample(tuple(sorted(values.items())), counterexample.answer + shift, counterexample.truth + shift)


def _grade_written(network: Network, entry: Entry, answer: str, written: sp.Expr, allow_delta: bool, points: int,
                   seed: int, max_paths: int) -> GradeResult:
    truth = _truth(network, entry, min(max_paths, MAX_EXPANDED_TERMS))  # more paths than that: numbers decide
    deltas = written.free_symbols & set(truth.abstract_deltas)
    if deltas and not allow_delta:
        names = ", ".join(sorted(ascii_name(network, d) for d in deltas))
        item = Feedback("delta_not_allowed", f"this exercise asks for the factors written out, not {names}")
        return GradeResult(network, entry, answer, INCORRECT, "delta notation refused", (item,))
    try:
        return _judge(network, entry, answer, written, truth, points, seed)
    except (TypeError, RecursionError) as error:  # sympy on cases nested in cases, comparisons with NaN
        raise SymbpError(f"answer {answer[:60]!r} cannot be compared with dC/d{entry.name} ({error}); "
                         "write it without conditions nested in conditions") from None


def _judge(network: Network, entry: Entry, answer: str, written: sp.Expr, truth: _Truth, points: int,
           seed: int) -> GradeResult:
    graph = truth.graph
    abstract = written.xreplace(truth.abstract_deltas)
    small = _expanded_terms(abstract) + _expanded_terms(truth.expression) <= MAX_EXPANDED_TERMS
    if small and _symbolically_equal(_concrete(network, graph, abstract, truth.concrete), truth.expression):
        return GradeResult(network, entry, answer, CORRECT, "symbolic")
    numeric = _concrete(network, graph, written, truth.concrete)  # deltas stay symbols: numbers give them values
    counterexample, compared = _numeric_difference(network, truth, numeric, points, seed)
    method = f"numeric at {compared} point{'s' if compared != 1 else ''}"
    if counterexample is None:
        return GradeResult(network, entry, answer, CORRECT, method)
    paths = naive_paths(network, entry)
    batch, decisive = _batch_feedback(network, entry, truth, written, numeric, points, seed)
    if decisive:
        feedback = batch
    elif paths > MAX_FEEDBACK_PATHS:
        feedback = (*batch, Feedback("unmatched", f"dC/d{entry.name} is a sum over {paths:,} paths, too many to "
                                                  "match with the answer's terms one by one; see the counterexample"))
    else:
        feedback = (*batch, *(_feedback(network, entry, truth, abstract)
                              if _expanded_terms(abstract) <= MAX_EXPANDED_TERMS else ()))
    if not feedback:
        feedback = (Feedback("unmatched", "the answer differs from every form of the chain rule symbp knows; "
                                          "see the counterexample"),)
    if len(feedback) > MAX_FEEDBACK_ITEMS:
        more = len(feedback) - MAX_FEEDBACK_ITEMS + 1
        feedback = (*feedback[:MAX_FEEDBACK_ITEMS - 1], Feedback("more", f"and {more} more differences"))
    return GradeResult(network, entry, answer, INCORRECT, method, feedback, counterexample)


def _batch_feedback(network: Network, entry: Entry, truth: _Truth, written: sp.Expr, numeric: sp.Expr, points: int,
                    seed: int) -> tuple[tuple[Feedback, ...], bool]:
    """A batch's typical mistakes, and whether they say all that differs: the 1/N left out (the answer is N
    times the truth), one example's term alone (with or without 1/N), a term mixing two examples' quantities."""
    N = network.batch
    if N == 1:
        return (), False
    name = f"dC/d{entry.name}"
    mean = f"(1/{N}) (example 1's term + {'' if N == 2 else '... + '}example {N}'s term)"

    by_example: dict[int, list[sp.Expr]] = {}
    for term in sp.Add.make_args(truth.compact):
        by_example.setdefault(min(_examples(term), default=0), []).append(term)
    parts = [sp.Add(*terms) for k, terms in sorted(by_example.items()) if k]  # example n's term, with its 1/N
    rng = np.random.default_rng(seed)
    at = [_values_at(network, truth, numeric, rng, signs)
          for signs in _sign_patterns(network, truth.graph, points, rng)]
    answers = np.array([_evaluate(numeric, values) for values in at])
    terms = np.array([[_evaluate(part, values) for values in at] for part in parts])  # [example, point]

    def equals(candidate: np.ndarray) -> bool:
        return bool(np.all(np.abs(answers - candidate) <= RELATIVE_TOLERANCE * np.maximum(1.0, np.abs(candidate))))

    if len(parts) == N and equals(N * terms.sum(axis=0)):
        missing = Feedback("batch_mean_missing", f"the 1/N is missing: the answer is the sum over the {N} examples, "
                                                 f"{N} times {name} = {mean}: C is the mean of the examples' costs")
        return (missing,), True
    for k, part in enumerate(terms if len(parts) == N else (), 1):
        for candidate, scaled in ((part, ""), (N * part, " (and without the 1/N)")):
            if equals(candidate):
                return (Feedback("batch_one_example", f"the answer has example {k}'s term only{scaled}: {name} = "
                                                      f"{mean}, every example's term, divided by N = {N}"),), True
    items = []
    if _expanded_terms(written) <= MAX_EXPANDED_TERMS:
        for _, factors in _terms(written):
            examples = sorted(_examples(sp.Mul(*factors)))
            if len(examples) > 1:
                shown = _shown(network, factors)
                owners = "; ".join(f"{', '.join(sorted(ascii_name(network, f) for f in factors if k in _examples(f)))} "
                                   f"of example {k}" for k in examples)
                items.append(Feedback("batch_mixed_examples", f"the term {shown} mixes examples {examples[0]} and "
                                                              f"{examples[1]} ({owners}): each term of the sum over n "
                                                              "is one example's quantities", found=shown))
    return tuple(items), False


_EXAMPLE_OF_NAME = re.compile(r"_n(\d+)$")


def _examples(expr: sp.Expr) -> set[int]:
    """The examples of a batch whose quantities ``expr`` has (a1_2_n1: example 1)."""
    return {int(match.group(1)) for symbol in expr.free_symbols if (match := _EXAMPLE_OF_NAME.search(symbol.name))}


def _concrete(network: Network, graph: Graph, expr: sp.Expr, concrete: Mapping[sp.Basic, sp.Expr]) -> sp.Expr:
    """``expr`` with sigma' and dC/da as their formulas where the network has them."""
    replaced = expr.xreplace(dict(concrete))
    wrong_layer = {}
    for application in replaced.atoms(AppliedUndef):
        for m in range(1, network.L + 1):
            activation = network.activation(m)
            if type(application) == sigma_prime_function(m) and not activation.is_abstract:
                z = application.args[0]
                wrong_layer[application] = activation.derivative(z, activation.value(z))
    return replaced.xreplace(wrong_layer) if wrong_layer else replaced


def _expanded_terms(expr: sp.Expr) -> float:
    """An upper bound on the terms ``expand(expr)`` has, computed without expanding (each shared subtree once:
    backprop's nested deltas share theirs)."""
    memo: dict[sp.Basic, float] = {}

    def terms(node: sp.Basic) -> float:
        if node not in memo:
            if isinstance(node, sp.Add):
                memo[node] = sum(map(terms, node.args))
            elif isinstance(node, sp.Mul):
                memo[node] = math.prod(map(terms, node.args))
            elif isinstance(node, sp.Pow) and node.exp.is_Integer and node.exp > 0:
                base = terms(node.base)
                if base > 1 and node.exp > MAX_EXPANDED_POWER:
                    memo[node] = math.inf
                else:
                    memo[node] = float(math.comb(int(node.exp) + int(min(base, 1e6)) - 1, int(node.exp))) if base > 1 else 1
            else:
                memo[node] = 1
        return memo[node]

    return terms(expr)


def _symbolically_equal(answer: sp.Expr, truth: sp.Expr) -> bool:
    """Proved equal as rational functions of their parts (``symbp.proof``, bounded where ``cancel``
    was not), or by ``expand``, which also equates a float in the answer with the exact number."""
    return Prover().equal(answer, truth) or sp.expand(answer - truth) == 0


def _numeric_difference(network: Network, known: _Truth, answer: sp.Expr, points: int,
                        seed: int) -> tuple[Counterexample | None, int]:
    """The first point where answer and truth differ (or None), and how many points were compared.

    The points are those of ``_sign_patterns``; when the truth is 0 at all of them (nothing told apart),
    up to ``EXTRA_POINTS`` more random ones are drawn until it is not."""
    graph, truth = known.graph, known.compact
    rng = np.random.default_rng(seed)
    patterns = _sign_patterns(network, graph, points, rng)
    compared = nonzero = 0
    while compared < len(patterns) or (not nonzero and compared < len(patterns) + EXTRA_POINTS):
        signs = patterns[compared] if compared < len(patterns) else _random_signs(graph, rng)
        compared += 1
        values = _values_at(network, known, answer, rng, signs)
        answer_value, truth_value = _evaluate(answer, values), _evaluate(truth, values)
        nonzero += truth_value != 0
        scale = max(1.0, abs(truth_value)) if math.isfinite(truth_value) else 1.0
        if not (abs(answer_value - truth_value) <= RELATIVE_TOLERANCE * scale):
            used = answer.free_symbols | _truth_symbols(known) | answer.atoms(AppliedUndef) | truth.atoms(AppliedUndef)
            shown = sorted(((ascii_name(network, s), float(values[s])) for s in used if s in values))
            return Counterexample(tuple(shown), answer_value, truth_value), compared
    return None, compared


def _values_at(network: Network, known: _Truth, answer: sp.Expr, rng: np.random.Generator,
               signs: Signs) -> dict[sp.Basic, sp.Expr]:
    """A random point (``_random_values``), with the answer's wrong-layer sigma' and every delta given values."""
    values = _random_values(network, known.graph, rng, signs)
    for application in sorted((answer.atoms(AppliedUndef) | known.compact.atoms(AppliedUndef)), key=str):
        values[application] = sp.Float(rng.uniform(0.2, 0.8))
    for delta, local in known.local_deltas.items():
        values[delta] = local.xreplace(values).evalf()
    return values


def _truth_symbols(truth: _Truth) -> set[sp.Basic]:
    """The quantities the truth reads, through the deltas it uses (which are no quantity a student sees)."""
    used, pending = set(), list(truth.compact.free_symbols)
    while pending:
        symbol = pending.pop()
        if symbol in used:
            continue
        used.add(symbol)
        if symbol in truth.local_deltas:
            pending += truth.local_deltas[symbol].xreplace(dict(truth.concrete)).free_symbols
    return used - set(truth.local_deltas)


def _evaluate(expr: sp.Expr, values: Mapping[sp.Basic, sp.Expr]) -> float:
    try:
        value = complex(expr.xreplace(dict(values)).evalf())
    except (TypeError, ValueError, ArithmeticError, RecursionError):  # exp(exp(...)) overflows, log(0), ...
        return math.nan
    return value.real if abs(value.imag) < 1e-12 else math.nan


KINKS = (sp.Piecewise, sp.Heaviside, sp.sign, sp.Abs, sp.Max, sp.Min, sp.DiracDelta)
"""Functions whose value jumps or bends at 0: a sigma' holding one is checked with each unit on and off."""

EXTRA_POINTS = 8
"""Further random points drawn when the truth is 0 at every planned one."""

Signs = Mapping[tuple[int, int], int]


def _kinked(graph: Graph) -> bool:
    """Whether some sigma' or dC/da is a formula with a kink (relu, leaky relu, a defined max, min or abs)."""
    formulas = [v for layer in graph.sigma_prime_value[1:] for v in layer] + list(graph.dC_da_value)
    return any(formula.has(*KINKS) for formula in formulas)


@lru_cache(maxsize=64)
def _kink_centres(activation: Activation) -> tuple[float, ...]:
    """Where sigma bends: 0 for relu, 1 for a defined max(x, 1); each z is put on either side of one of them."""
    if activation.kink is not None:
        return (float(activation.kink),)
    roots = []
    for expression in activation.kinks:
        try:
            solutions = sp.solve(expression, FORMULA_VARIABLE)
        except (NotImplementedError, ValueError, TypeError):  # a kink sympy cannot place: 0 stays the centre
            continue
        roots += [float(root) for root in solutions if root.is_real and root.is_number]
    return tuple(sorted(set(roots))) or (0.0,)


def _sign_patterns(network: Network, graph: Graph, points: int, rng: np.random.Generator) -> list[Signs]:
    """On which side of its kink (0, or where a defined max, min or abs bends) each z^{(m)}_i is put at each
    point: every unit on (relu's answer is then non-zero), then on a kinked network each unit alone off (a sigma'
    left out shows there: the truth's path through it is 0 or scaled, the answer's is not), then ``points - 1``
    points with an independent random side per unit, so that the units' sign patterns are mixed."""
    units = [(m, i) for m in range(1, network.L + 1) for i in range(network.D(m))]
    patterns: list[Signs] = [dict.fromkeys(units, 1)]
    if _kinked(graph):
        patterns += [{unit: -1 if unit == off else 1 for unit in units} for off in units]
    patterns += [_random_signs(graph, rng) for _ in range(points - 1)]
    return patterns


def _random_signs(graph: Graph, rng: np.random.Generator) -> Signs:
    return {(m, i): int(rng.choice((-1, 1))) for m in range(1, len(graph.z)) for i in range(len(graph.z[m]))}


def _random_values(network: Network, graph: Graph, rng: np.random.Generator, signs: Signs) -> dict[sp.Basic, sp.Expr]:
    """A forward pass at random x, W, t, each z on a chosen side of its kink (b set to match); abstract sigma,
    sigma' and dC/da get random values."""

    def draw(low: float = -1.0, high: float = 1.0) -> sp.Float:
        return sp.Float(rng.uniform(low, high))

    values: dict[sp.Basic, sp.Expr] = {}
    for first, example in zip((True, *[False] * (len(graph.examples) - 1)), graph.examples):
        values.update({a: draw() for a in example.a[0]})
        values.update({t: draw(0.1, 0.9) for t in example.t})
        for m in range(1, network.L + 1):
            activation = network.activation(m)
            if first:
                values.update({w: draw() for w in example.W[m]})
            for i, z in enumerate(example.z[m]):
                if first:  # b is every example's: the signs place the first example's z, the rest follow
                    centres = _kink_centres(activation)
                    centre = centres[0] if len(centres) == 1 else float(rng.choice(centres))
                    values[z] = centre + signs[(m, i)] * draw(0.2, 1.2)
                    b = example.b[m][i]
                    values[b] = values[z] - (example.z_definition[m][i] - b).xreplace(values)
                else:
                    values[z] = example.z_definition[m][i].xreplace(values)
                a = example.a[m][i]
                values[a] = draw(0.1, 0.9) if activation.is_abstract else activation.value(values[z]).evalf()
                prime = example.sigma_prime_value[m][i]
                values[example.sigma_prime[m][i]] = (draw(0.2, 0.8) if prime == example.sigma_prime[m][i]
                                                     else prime.xreplace(values).evalf())
        for k, d in enumerate(example.dC_da):
            value = example.dC_da_value[k]
            values[d] = draw() if value == d else value.xreplace(values).evalf()
    return values


# Feedback: match terms of the expanded answer with paths ---------------------------------------------------


def _terms(expr: sp.Expr) -> list[tuple[sp.Expr, Counter]]:
    """The expanded answer as (coefficient, multiset of factors) per term."""
    out = []
    for term in sp.Add.make_args(sp.expand(expr)):
        if term == 0:
            continue
        coefficient, rest = term.as_coeff_Mul()
        factors: Counter = Counter()
        for base, exponent in rest.as_powers_dict().items():
            if base != 1:
                if exponent.is_Integer and exponent > 0:
                    factors[base] += int(exponent)
                else:
                    factors[base**exponent] += 1
        out.append((coefficient, factors))
    return out


def _abstractify(expr: sp.Expr, truth: _Truth) -> sp.Expr:
    """Concrete formulas written out by the student (sigmoid(z3) as a3, a3*(1 - a3), a3 - t) back to their
    named symbols."""
    concrete = truth.concrete
    constants = {s: v for s, v in concrete.items() if v.is_Number}
    expr = sp.factor_terms(expr.xreplace(dict(truth.named_values)).xreplace(constants))  # 2*a3 - 2*t back to 2*(a3 - t), so the forms match
    for symbol, value in concrete.items():
        if not value.is_Number:
            expr = expr.subs(value, symbol)
    return expr


def _feedback(network: Network, entry: Entry, truth: _Truth, abstract: sp.Expr) -> tuple[Feedback, ...]:
    terms = _terms(_abstractify(abstract * network.batch, truth))  # a batch's paths are each 1/N of the mean
    paths = list(range(len(truth.paths)))
    pairs: list[tuple[int, int]] = []
    for p in list(paths):  # identical multisets first
        for t, (_, factors) in enumerate(terms):
            if factors == truth.path_factors[p] and t not in {q for _, q in pairs}:
                pairs.append((p, t))
                paths.remove(p)
                break
    free_terms = [t for t in range(len(terms)) if t not in {q for _, q in pairs}]
    candidates = sorted(
        (_distance(truth.path_factors[p], terms[t][1]), p, t) for p in paths for t in free_terms
    )
    for _, p, t in candidates:  # then the nearest, if they share at least half the path's factors
        shared = sum((truth.path_factors[p] & terms[t][1]).values())
        if p in paths and t in free_terms and 2 * shared >= sum(truth.path_factors[p].values()):
            pairs.append((p, t))
            paths.remove(p)
            free_terms.remove(t)

    coefficients = {terms[t][0] for _, t in pairs}
    exact = all(terms[t][1] == truth.path_factors[p] for p, t in pairs)
    if exact and not paths and not free_terms and len(coefficients) == 1:
        (scale,) = coefficients
        return (Feedback("sign" if scale == -1 else "scale", f"the answer is {_times(scale)} the correct one"),)

    if len(free_terms) > 1 or (free_terms and not exact):  # term by term the lines would be noise
        return (Feedback("unmatched", f"the answer's {len(terms)} terms (multiplied out) do not match the "
                                      f"{len(truth.paths)} path{'s' if len(truth.paths) != 1 else ''} of "
                                      f"dC/d{entry.name} term by term; see the counterexample"),)
    items = _in_every_path([_path_differences(network, truth, p, terms[t]) for p, t in sorted(pairs)],
                           everywhere=not paths and len(pairs) > 1)
    for p in sorted(paths):
        chain = _chain(network, truth.paths[p])
        items.append(Feedback("missing_path", f"the path {' -> '.join(chain)} is missing", chain))
    for t in free_terms:
        coefficient, factors = terms[t]
        coefficient /= network.batch  # as the answer writes it
        shown = _shown(network, factors)
        prefix = "" if coefficient == 1 else f"{coefficient} * "
        items.append(Feedback("extra_term", f"the term {prefix}{shown or '1'} is no path of dC/d{entry.name}",
                              found=prefix + shown))
    return tuple(items)


def _shown(network: Network, factors: Counter) -> str:
    """A term's factors in the answer notation: a1_2_n1 * delta2_n2."""
    return " * ".join(ascii_name(network, f) + (f"^{n}" if n > 1 else "") for f, n in sorted(factors.items(), key=str))


def _in_every_path(per_path: list[list[Feedback]], everywhere: bool) -> list[Feedback]:
    """The items of each path, with a difference every path shares said once (a factor left out of the
    lecture's grouped form is missing from every path)."""
    if not everywhere:
        return [item for items in per_path for item in items]

    def signature(item: Feedback) -> tuple[str, str, str]:
        return item.kind, item.expected, item.found

    shared = set.intersection(*({signature(i) for i in items if i.kind not in ("sign", "scale")} for items in per_path))
    once = []
    for item in per_path[0]:
        if signature(item) in shared:
            everyone = item.message.replace(f"the path {' -> '.join(item.path)}", f"all {len(per_path)} paths")
            once.append(Feedback(item.kind, everyone, (), item.expected, item.found))
    rest = [item for items in per_path for item in items if signature(item) not in shared]
    return once + rest


def _with_formula(network: Network, factor: sp.Expr, concrete: Mapping[sp.Basic, sp.Expr]) -> str:
    """``sigma2'(z2_1) = a2_1*(1 - a2_1)`` where the network gives the factor a formula, else its name."""
    name = ascii_name(network, factor)
    if factor not in concrete:
        return name
    formula = concrete[factor]
    renamed = formula.xreplace({s: sp.Symbol(ascii_name(network, s)) for s in formula.free_symbols})
    return f"{name} = {_AnswerPrinter().doprint(renamed)}"


class _AnswerPrinter(StrPrinter):
    """SymPy's str, with cases as the answer notation writes them: [z1_1 > 0], {1 if z1_1 > 0; 1/100 otherwise}."""

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        (value, condition), *rest = expr.args
        if value == 1 and len(rest) == 1 and rest[0] == (0, True):
            return f"[{self._print(condition)}]"
        cases = [f"{self._print(v)} if {self._print(c)}" for v, c in expr.args if c != sp.true]
        cases += [f"{self._print(v)} otherwise" for v, c in expr.args if c == sp.true]
        return "{" + "; ".join(cases) + "}"


def _distance(a: Counter, b: Counter) -> int:
    return sum(((a - b) + (b - a)).values())


def _times(scale: sp.Expr) -> str:
    return {2: "twice", -1: "-1 times"}.get(scale, f"{scale} times")


def _chain(network: Network, path: Path) -> tuple[str, ...]:
    """The entry, each activation the path passes, and C: W1_2_3 -> a1_2 -> a2_2 -> a3 -> C."""
    graph = build_graph(network)
    nodes = list(reversed(path.nodes))
    activations = {a for example in graph.examples for m in range(network.L + 1) for a in example.a[m]}
    return (ascii_name(network, nodes[0]), *(ascii_name(network, n) for n in nodes[1:-1] if n in activations), "C")


def _path_differences(network: Network, truth: _Truth, p: int, term: tuple[sp.Expr, Counter]) -> list[Feedback]:
    coefficient, found = term
    expected = truth.path_factors[p]
    chain = _chain(network, truth.paths[p])
    where = f"the path {' -> '.join(chain)}"
    missing = list((expected - found).elements())
    extra = list((found - expected).elements())
    items: list[Feedback] = []
    for want in list(missing):
        swap = next((got for got in extra if _same_family(want, got)), None)
        if swap is None:
            continue
        missing.remove(want)
        extra.remove(swap)
        items.append(_wrong(network, want, swap, chain, where))
    for want in missing:
        name = ascii_name(network, want)
        shown = _with_formula(network, want, truth.concrete)
        items.append(Feedback("missing_factor", f"{shown} is missing in {where}", chain, expected=name))
    for got in extra:
        name = ascii_name(network, got)
        items.append(Feedback("extra_factor", f"{name} is extra in {where}", chain, found=name))
    if coefficient != 1 and not items and not missing and not extra:  # a partial match's coefficient means little
        kind = "sign" if coefficient == -1 else "scale"
        items.append(Feedback(kind, f"the term of {where} is {_times(coefficient)} what it should be", chain))
    return items


def _family(expr: sp.Expr) -> str:
    if isinstance(expr, AppliedUndef):
        return "sigma'" if type(expr).__name__.endswith("_prime") else "function"
    name = getattr(expr, "name", "")
    for prefix, family in (("dsigma", "sigma'"), ("dC_d", "dC/da"), ("W", "W"), ("a", "a"), ("z", "z"), ("b", "b"), ("t", "t")):
        if name.startswith(prefix):
            return family
    return "other"


def _same_family(a: sp.Expr, b: sp.Expr) -> bool:
    return _family(a) == _family(b) and _family(a) != "other"


def _wrong(network: Network, want: sp.Expr, got: sp.Expr, chain: tuple[str, ...], where: str) -> Feedback:
    wanted, written = ascii_name(network, want), ascii_name(network, got)
    if _family(want) == "W" and _swapped(want, got):
        return Feedback("swapped_indices", f"{written} should be {wanted}: the indices are swapped (in {where})",
                        chain, wanted, written)
    if _family(want) == "sigma'" and _sigma_layer(want) != _sigma_layer(got) and _sigma_argument(want) == _sigma_argument(got):
        message = f"sigma{_sigma_layer(got)}' should be sigma{_sigma_layer(want)}': {written} should be {wanted} (in {where})"
        return Feedback("wrong_layer", message, chain, wanted, written)
    return Feedback("wrong_factor", f"{written} should be {wanted} in {where}", chain, wanted, written)


def _swapped(want: sp.Symbol, got: sp.Symbol) -> bool:
    m, i, j = want.name[1:].split("_")
    return got.name == f"W{m}_{j}_{i}"


def _sigma_layer(expr: sp.Expr) -> str:
    if isinstance(expr, AppliedUndef):
        return type(expr).__name__[len("sigma"):-len("_prime")]
    return expr.name[len("dsigma"):].split("_")[0]


def _sigma_argument(expr: sp.Expr) -> str:
    if isinstance(expr, AppliedUndef):
        return str(expr.args[0])
    m, i = expr.name[len("dsigma"):].split("_")
    return f"z{m}_{i}"


# A class's answers -----------------------------------------------------------------------------------------

UNREADABLE = "unreadable"

ANSWER_FILE_FORMS = "a CSV file with a header row student,entry,answer (or exercise for entry), or a JSON list of objects with those keys"


@dataclass(frozen=True)
class AnswerRow:
    """One student's answer to one item (an entry name such as ``W2_1_2``)."""

    student: str
    item: str
    answer: str


@dataclass(frozen=True)
class BatchResult:
    """The verdict on one row: correct, incorrect or unreadable, and the feedback as text."""

    row: AnswerRow
    verdict: str
    feedback: tuple[str, ...]
    kinds: tuple[str, ...] = ()
    """The ``Feedback.kind`` of each item (``unreadable`` for an answer that could not be read)."""


def read_answer_rows(text: str, suffix: str, default_item: str | None = None) -> tuple[AnswerRow, ...]:
    """Rows of a CSV (header student, entry or exercise, answer) or JSON (a list of such objects) file."""
    import csv
    import io

    if suffix == ".json":
        data = load_json(text, "answers file", shape="an answers file is a list of objects")
        records = data.get("answers") if isinstance(data, dict) else data
        if isinstance(data, dict) and records is None:
            keys = ", ".join(repr(key) for key in data) or "no keys"
            raise SymbpError(f"answers file holds one object ({keys}) and no 'answers' list; expected {ANSWER_FILE_FORMS}")
        if not isinstance(records, list):
            raise SymbpError(f"answers file holds {_json_kind(records)}; expected {ANSWER_FILE_FORMS}")
        for number, record in enumerate(records, 1):
            if not isinstance(record, dict):
                raise SymbpError(f"answers row {number} is {_json_kind(record)} {json.dumps(record)[:40]}; "
                                 "each row is an object with keys student, entry, answer")
    elif suffix == ".csv":
        csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # one long answer is the grammar's to refuse
        try:
            reader = csv.DictReader(io.StringIO(text))
            records = list(reader)
        except csv.Error as error:
            raise SymbpError(f"answers file is not valid CSV: {error}") from None
        _check_csv_columns(reader.fieldnames or [], records)
    else:
        raise SymbpError(f"answers file ending {suffix!r} is not read; expected {ANSWER_FILE_FORMS}")
    return tuple(_answer_row(record, number, default_item) for number, record in enumerate(records, 1))


def _json_kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def read_answer_file(path: pathlib.Path, default_item: str | None = None) -> tuple[AnswerRow, ...]:
    """The rows of the answers file ``path`` (.csv or .json); standard input is not read: its format has no name."""
    if str(path) == "-":
        raise SymbpError(f"--answers '-': standard input is not read; give a file ending .csv or .json "
                         f"({ANSWER_FILE_FORMS})")
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often save CSV with a byte-order mark
    except OSError as error:
        raise SymbpError(f"--answers {str(path)!r} cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise SymbpError(f"--answers {str(path)!r} is not UTF-8 text (byte {error.start}); "
                         f"expected {ANSWER_FILE_FORMS}") from None
    return read_answer_rows(text, path.suffix.lower(), default_item)


ANSWER_COLUMNS = ("student", "entry", "exercise", "answer")


def _check_csv_columns(header: list[str], records: list[dict]) -> None:
    """Refuse a header column symbp does not read (a typo would drop the column silently) and ragged rows."""
    unknown = [name for name in header if name not in ANSWER_COLUMNS]
    if unknown:
        raise SymbpError(f"answers file has column {unknown[0]!r}; accepted columns: {', '.join(ANSWER_COLUMNS)}")
    for number, record in enumerate(records, 1):
        if None in record:  # csv.DictReader keeps the cells past the header under the key None
            raise SymbpError(f"answers row {number} has {len(record[None])} cell(s) more than the header "
                             f"({', '.join(header)}); quote an answer that holds a comma")
        short = [name for name in header if record.get(name) is None]  # csv.DictReader's value for a cell left out
        if short:
            raise SymbpError(f"answers row {number} has {len(short)} cell(s) fewer than the header "
                             f"({', '.join(header)}): no {short[0]}; give every column, empty cells as ,,")


def _answer_row(record: Mapping[str, object], number: int, default_item: str | None) -> AnswerRow:
    def text(key: str) -> str:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise SymbpError(f"answers row {number}: {key} is {value!r}; give it as text")
        return (value or "").strip()

    # An empty cell is a missing one: --entry fills it; an empty answer is graded (as unreadable).
    item = text("entry") or text("exercise") or (default_item or "").strip()
    if not item:
        raise SymbpError(f"answers row {number} names no entry; give an entry (or exercise) column, "
                         "or --entry for the rows without one")
    answer = record.get("answer")
    if not isinstance(answer, str):
        raise SymbpError(f"answers row {number}: answer is {answer!r}; every row needs an answer column, as text")
    return AnswerRow(text("student") or f"row {number}", item, answer)


def grade_rows(network: Network, rows: Iterable[AnswerRow | Mapping[str, str]], **options) -> tuple[BatchResult, ...]:
    """Grade every row (an ``AnswerRow`` or a mapping with student, entry, answer); an unreadable
    answer or unknown entry is that row's verdict, not an error."""
    check_gradable(network)  # the network is every row's: refused once, not as each row's verdict
    results = []
    for number, row in enumerate(rows, 1):
        if isinstance(row, Mapping):
            row = _answer_row(row, number, None)
        try:
            result = grade(network, row.item, row.answer, **options)
        except SymbpError as error:
            results.append(BatchResult(row, UNREADABLE, (str(error),), (UNREADABLE,)))
            continue
        messages = [item.message for item in result.feedback]
        if result.counterexample is not None:
            messages.append(f"counterexample: {result.counterexample.describe()}")
        results.append(BatchResult(row, result.verdict, tuple(messages), tuple(i.kind for i in result.feedback)))
    return tuple(results)


def batch_summary(results: Iterable[BatchResult], common: int = 5) -> list[str]:
    """How many answers are correct per item, the kinds of mistakes, and the most common ones."""
    results = list(results)
    items: dict[str, Counter] = {}
    mistakes: Counter = Counter()
    kinds: Counter = Counter()
    for result in results:
        items.setdefault(result.row.item, Counter())[result.verdict] += 1
        kinds.update(result.kinds)
        if result.verdict == INCORRECT:
            mistakes.update(f"{result.row.item}: {m}" for m in result.feedback if not m.startswith("counterexample"))
    lines = [f"{len(results)} answer{'' if len(results) == 1 else 's'} graded"]
    for item, verdicts in items.items():
        total = sum(verdicts.values())
        unreadable = f", {verdicts[UNREADABLE]} unreadable" if verdicts[UNREADABLE] else ""
        lines.append(f"  {item}: {verdicts[CORRECT]}/{total} correct{unreadable}")
    if kinds:
        lines.append("mistakes by kind: " + ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in kinds.most_common()))
    if mistakes:
        lines.append("most common mistakes:")
        lines.extend(f"  {count} x {mistake}" for mistake, count in mistakes.most_common(common))
    return lines


def report_rows(results: Iterable[BatchResult]) -> list[dict[str, str]]:
    """One record per answer: student, item, verdict, feedback (items joined by ' | ')."""
    return [
        {"student": r.row.student, "item": r.row.item, "verdict": r.verdict, "feedback": " | ".join(r.feedback)}
        for r in results
    ]


# What ``symbp grade`` does ------------------------------------------------------------------------


def check_grade_options(network: Network, *, entry: str | None, answer: str | None, answers: object,
                        report: object, sheet: object, network_options: Sequence[str] = ()) -> None:
    """Refuse, before any work, a network that cannot be graded and options that do not go together.

    One answer (``answer`` with ``entry``) or a class's ``answers`` file (with an optional ``report``,
    ``.csv`` or ``.json``, and ``sheet``). ``network_options``: the network options given (``--l2``, ...),
    which a sheet's own networks would silently override.
    """
    check_gradable(network)  # a softmax output is refused here, with the reason
    if (answer is None) == (answers is None):
        raise SymbpError("give one of --answer TEXT (with --entry) or --answers FILE")
    if answers is None:
        if entry is None:
            raise SymbpError("--answer needs --entry, e.g. --entry W2_1_2")
        if report is not None or sheet is not None:
            raise SymbpError(f"{'--report' if report is not None else '--sheet'} goes with --answers FILE")
    elif report is not None and report.suffix.lower() not in (".csv", ".json"):  # type: ignore[attr-defined]
        raise SymbpError(f"--report {str(report)!r} must end in .csv or .json")
    if sheet is not None and network_options:
        raise SymbpError(f"{network_options[0]} does not go with --sheet: each exercise is graded on the sheet's own "
                         "network (its layers, non-linearity, cost, decay and definitions); give one or the other")


@dataclass(frozen=True)
class Graded:
    """What ``symbp grade`` prints (``lines``), writes to ``--report`` (``report``: None when not asked) and exits with."""

    lines: tuple[str, ...]
    report: str | None
    status: int
    """0 correct (a class: every row graded), 1 incorrect."""


def grade_answers(network: Network, *, entry: str | None = None, answer: str | None = None, answers: object = None,
                  report: object = None, sheet: object = None, **options) -> Graded:
    """One answer to dC/d(entry), or a class's ``answers`` file (each row by ``sheet``'s exercise, if given).

    Call ``check_grade_options`` first. ``options``: ``allow_delta``, ``points``, ``seed`` of ``grade``.
    """
    if answers is None:
        result = grade(network, entry, answer or "", **options)
        return Graded(tuple(result.lines()), None, 0 if result.correct else 1)
    rows = read_answer_file(answers, entry)  # type: ignore[arg-type]
    if sheet is not None:
        from .sheetgrade import grade_sheet

        try:
            sheet_text = sheet.read_text(encoding="utf-8")  # type: ignore[attr-defined]
        except (OSError, UnicodeDecodeError) as error:
            raise SymbpError(f"--sheet {str(sheet)!r} cannot be read: {error}") from None
        results = grade_sheet(load_json(sheet_text, "--sheet"), rows, **options)
    else:
        results = grade_rows(network, rows, **options)
    written = None
    if report is not None:
        records = report_rows(results)
        written = report_json(records) if report.suffix.lower() == ".json" else report_csv(records)  # type: ignore[attr-defined]
    return Graded(tuple(batch_summary(results)), written, 0)


def report_json(records: list[dict[str, str]]) -> str:
    from .printers.json import dumps

    return dumps(records)


def report_csv(records: list[dict[str, str]]) -> str:
    """The report as CSV (student, item, verdict, feedback); a cell a spreadsheet would run as a formula is quoted."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]) if records else ["student", "item", "verdict", "feedback"],
                            lineterminator="\n")
    writer.writeheader()
    # A cell starting with = + - @ is a formula to a spreadsheet: a student's name must not run as one.
    writer.writerows({k: "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for k, v in r.items()}
                     for r in records)
    return buffer.getvalue()
