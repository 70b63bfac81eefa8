"""Proof that the three derivations agree: symbolically, and numerically against finite differences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from .counts import naive_paths
from .derive import backprop, naive, reference
from .derive.naive import DEFAULT_MAX_PATHS, check_budget
from .errors import SymbpError
from .graph import build_graph
from .numeric import compile_backprop, compile_expressions, evaluator_for, forward_symbols, random_point
from .spec import Entry, Network

Progress = Callable[[int, int], None]

SYMBOLIC_PROOF_MAX_PATHS = 500
"""In concrete mode naive = backprop is also proved symbolically while the expansion is this small."""


@dataclass(frozen=True)
class CheckRow:
    """One comparison for one entry.

    ``method`` is ``naive``, ``backprop`` or ``reference`` (largest relative error
    against finite differences over the points), ``agreement`` (largest relative
    difference between any two of those three), or a symbolic proof such as
    ``naive = backprop`` (``max_error`` 0 when proved, infinity when not).
    """

    entry: str
    method: str
    max_error: float
    passed: bool
    symbolic: bool = False


@dataclass(frozen=True)
class CheckReport:
    network: Network
    rows: tuple[CheckRow, ...]
    tol: float
    points: int
    seed: int

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def failures(self) -> tuple[CheckRow, ...]:
        return tuple(row for row in self.rows if not row.passed)

    @property
    def symbolic_only(self) -> bool:
        return self.network.is_abstract


def check(
    network: Network,
    points: int = 5,
    seed: int = 0,
    tol: float = 1e-8,
    entries: Sequence[Entry | str] | None = None,
    progress: Progress | None = None,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> CheckReport:
    """Compare naive, backprop, reference and finite differences for every entry.

    Relative error at a point is |value - finite difference| divided by the larger
    of |finite difference| and the largest |finite difference| of all entries there.
    With abstract sigma or C there are no numbers: each entry is proved symbolically.
    The naive expansions of all ``entries`` together must stay within ``max_paths``.

    >>> report = check(Network([2, 2, 1], "tanh", "squared_error"), points=2)
    >>> report.passed
    True
    """
    if points < 1:
        raise SymbpError(f"points {points!r} must be at least 1")
    chosen = network.select(["all"]) if entries is None else tuple(
        network.entry(e) if isinstance(e, str) else e for e in entries
    )
    check_budget(network, chosen, max_paths)
    total_paths = sum(naive_paths(network, e) for e in chosen)
    if network.is_abstract:
        rows = _symbolic_rows(network, chosen, progress, with_reference=True)
    else:
        rows = _numeric_rows(network, chosen, points, seed, tol, progress)
        if total_paths <= SYMBOLIC_PROOF_MAX_PATHS:
            rows += _symbolic_rows(network, chosen, None, with_reference=False)
    return CheckReport(network, tuple(rows), tol, points, seed)


def _symbolic_rows(
    network: Network, entries: tuple[Entry, ...], progress: Progress | None, with_reference: bool
) -> list[CheckRow]:
    graph = build_graph(network)
    bp = backprop(network, entries)
    rows = []
    for done, entry in enumerate(entries, 1):
        by_backprop = bp.expression(entry)
        same = sp.expand(naive(network, entry).expression - by_backprop) == 0
        rows.append(CheckRow(entry.name, "naive = backprop", 0.0 if same else float("inf"), same, True))
        if with_reference:
            difference = graph.substitute(by_backprop) - reference(network, entry).expression
            same = sp.expand(difference) == 0
            rows.append(CheckRow(entry.name, "reference = backprop", 0.0 if same else float("inf"), same, True))
        if progress:
            progress(done, len(entries))
    return rows


def _numeric_rows(
    network: Network,
    entries: tuple[Entry, ...],
    points: int,
    seed: int,
    tol: float,
    progress: Progress | None,
) -> list[CheckRow]:
    graph = build_graph(network)
    evaluator = evaluator_for(network)
    named = forward_symbols(graph)
    by_backprop = compile_backprop(backprop(network, entries))
    methods = {
        "naive": compile_expressions(named, [naive(network, e).expression for e in entries]),
        "backprop": lambda values: by_backprop(values)[1],
        "reference": compile_expressions(
            evaluator.graph_inputs, [reference(network, e).expression for e in entries]
        ),
    }
    rng = np.random.default_rng(seed)
    worst = {name: np.zeros(len(entries)) for name in (*methods, "agreement")}
    for done in range(1, points + 1):
        values = evaluator.forward_at(random_point(network, rng))
        expected = np.array([evaluator.finite_difference(values, graph.symbol(e)) for e in entries])
        scale = np.maximum(np.abs(expected), np.max(np.abs(expected), initial=0.0))
        scale[scale == 0] = 1.0
        got = {name: fn(values) for name, fn in methods.items()}
        for name, value in got.items():
            worst[name] = np.maximum(worst[name], np.abs(value - expected) / scale)
        spread = np.max([np.abs(got[p] - got[q]) for p in got for q in got], axis=0) / scale
        worst["agreement"] = np.maximum(worst["agreement"], spread)
        if progress:
            progress(done, points)
    return [
        CheckRow(entry.name, name, float(errors[k]), bool(errors[k] <= tol))
        for k, entry in enumerate(entries)
        for name, errors in worst.items()
    ]


import sys  # noqa: E402  (kept beside their one use, so this block merges as one piece)
import types  # noqa: E402


class _CallableModule(types.ModuleType):
    """``symbp.check`` names this module and its function; importing the module binds it on the
    package first (as for ``symbp.render``), so calling the module runs the function."""

    def __call__(self, *args: object, **kwargs: object) -> CheckReport:
        return check(*args, **kwargs)  # type: ignore[arg-type]


sys.modules[__name__].__class__ = _CallableModule
