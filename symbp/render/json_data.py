"""JSON-ready data (dicts, lists, str, numbers) of derivations, checks, counts and gradients.

What a script reads from ``symbp ... --format json``. Every derivation entry holds
``entry``, ``method``, ``latex`` (the derivation as the LaTeX renderer prints it),
``expression`` (``str()`` of the SymPy expression) and ``expression_latex``; naive
entries add ``paths``, each a list of factors; backprop entries add the ``deltas``
they use. Nothing here derives: it lays out what the results kept.

>>> import symbp
>>> data = derivations_data(symbp.Network(), [symbp.naive(symbp.Network(), "W2_1_2")])
>>> [len(path) for path in data["entries"][0]["paths"]]
[5]
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Sequence

import sympy as sp

from ..check import CheckReport, Counterexample
from ..counts import (
    ZERO,
    OperationCount,
    backprop_entry_count,
    backprop_layer_count,
    delta_count,
    naive_count,
    naive_layer_count,
)
from ..derive.backprop import BackpropDerivation
from ..derive.naive import Factor, NaiveDerivation
from ..derive.reference import ReferenceDerivation
from ..errors import SymbpError
from ..graph import build_graph
from ..numeric import GradientAtPoint
from ..printers.json import softmax_delta_data
from ..spec import Entry, Network
from .latex import latex
from .text import expression_text

Derivation = NaiveDerivation | BackpropDerivation | ReferenceDerivation


def network_data(network: Network) -> dict[str, Any]:
    return {
        "layers": list(network.layers),
        "L": network.L,
        "activations": list(network.activations),
        "cost": network.cost,
        "parameters": network.parameter_count,
        **({"define": dict(network.define)} if network.define else {}),
    }


def _tex(expr: sp.Expr, network: Network) -> str:
    return latex(expr, network)


def _factor_data(factor: Factor, network: Network) -> dict[str, str]:
    of, wrt = _tex(factor.of, network), _tex(factor.wrt, network)
    return {
        "leibniz": rf"\frac{{\partial {of}}}{{\partial {wrt}}}",
        "latex": _tex(factor.value, network),
        "text": expression_text(factor.value, network),
        "expression": str(factor.value),
        "of": str(factor.of),
        "wrt": str(factor.wrt),
    }


def _naive_data(derivation: NaiveDerivation) -> dict[str, Any]:
    net = derivation.network
    return {
        "entry": derivation.entry.name,
        "method": "naive",
        "latex": latex(derivation),
        "expression": str(derivation.expression),
        "expression_latex": _tex(derivation.expression, net),
        "paths": [[_factor_data(f, net) for f in path.factors] for path in derivation.paths],
    }


def _backprop_data(derivation: BackpropDerivation) -> list[dict[str, Any]]:
    net = derivation.network
    graph = build_graph(net)
    out = []
    for gradient in derivation.gradients:
        entry = gradient.entry
        # The deltas this gradient reads, and all those they are computed from.
        lowest = entry.layer + 1 if entry.kind == "a" else entry.layer
        deltas = [step for step in derivation.deltas if step.layer >= lowest]
        expression = derivation.expression(entry)
        out.append({
            "entry": entry.name,
            "method": "backprop",
            "latex": latex(replace(derivation, gradients=(gradient,))),
            "expression": str(expression),
            "expression_latex": _tex(expression, net),
            "formula": str(gradient.formula),
            "formula_latex": _tex(gradient.formula, net),
            "deltas": [
                {
                    "delta": str(step.symbol),
                    "name_latex": graph.latex_names[step.symbol],
                    "layer": step.layer,
                    "unit": step.unit,
                    "formula": str(step.formula),
                    "formula_latex": _tex(step.formula, net),
                    "base_case": step.is_base_case,
                    **softmax_delta_data(step),
                }
                for step in deltas
            ],
        })
    return out


def _reference_data(derivation: ReferenceDerivation) -> dict[str, Any]:
    return {
        "entry": derivation.entry.name,
        "method": "reference",
        "latex": latex(derivation),
        "expression": str(derivation.expression),
        "expression_latex": _tex(derivation.expression, derivation.network),
    }


def derivations_data(network: Network, derivations: Sequence[Derivation]) -> dict[str, Any]:
    """``{"network": ..., "entries": [...]}``: one object per entry and method, in the order given."""
    entries: list[dict[str, Any]] = []
    for item in derivations:
        if isinstance(item, NaiveDerivation):
            entries.append(_naive_data(item))
        elif isinstance(item, BackpropDerivation):
            entries += _backprop_data(item)
        elif isinstance(item, ReferenceDerivation):
            entries.append(_reference_data(item))
        else:
            raise SymbpError(f"cannot write {type(item).__name__} as JSON; accepted: naive, backprop or reference derivations")
    return {"network": network_data(network), "entries": entries}


# Counts ------------------------------------------------------------------------------------------------


def _ops(count: OperationCount) -> dict[str, int]:
    return {"multiplications": count.multiplications, "additions": count.additions}


def cost_table(network: Network, entries: Sequence[Entry] | None = None) -> dict[str, Any]:
    """Paths and chain-rule operations per layer and in total, and per entry when ``entries`` are given.

    Without ``entries``: every weight and bias, counted layer by layer by formula (no row
    per entry, so any size answers at once). A backprop entry row counts only the entry's
    own step; each delta^{(m)} is computed once and counted in layer m's row, so layer rows
    add up to the total.
    """
    if entries is None:
        lowest = 1
        per_entry = None
        by_layer = {m: (naive_layer_count(network, m), backprop_layer_count(network, m)) for m in range(1, network.L + 1)}
    else:
        entries = tuple(entries)
        lowest = min((e.layer for e in entries), default=network.L + 1)
        per_entry = {e.name: (e.layer, naive_count(network, e), backprop_entry_count(network, e)) for e in entries}
        by_layer = {m: (ZERO, ZERO) for m in range(1, network.L + 1)}
        for m, naive, own in per_entry.values():
            by_layer[m] = (by_layer[m][0] + naive, by_layer[m][1] + own)
    layers: dict[str, dict[str, Any]] = {}
    total_naive = total_backprop = ZERO
    for m, (naive_sum, backprop_sum) in by_layer.items():
        # Deltas are needed from the output layer down to the lowest layer asked about
        # (an a^{(m)} entry reads delta^{(m+1)}, which that range already holds).
        if m >= lowest:
            backprop_sum = backprop_sum + delta_count(network, m)
        layers[str(m)] = {"paths": naive_sum.paths, "naive": _ops(naive_sum), "backprop": _ops(backprop_sum)}
        total_naive, total_backprop = total_naive + naive_sum, total_backprop + backprop_sum
    table: dict[str, Any] = {
        "network": network_data(network),
        "description": ",".join(map(str, network.layers)),
    }
    if per_entry is not None:
        table["entries"] = {
            name: {"paths": naive.paths, "naive": _ops(naive), "backprop": _ops(own)}
            for name, (_, naive, own) in per_entry.items()
        }
    table["layers"] = layers
    table["totals"] = {"paths": total_naive.paths, "naive": _ops(total_naive), "backprop": _ops(total_backprop)}
    return table


# Check and gradients -------------------------------------------------------------------------------------


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None  # JSON has no infinity


def check_data(report: CheckReport) -> dict[str, Any]:
    """Every comparison with its outcome (proved, verified, disagree, skipped), the counts, and counterexamples."""
    rows = [
        {
            "entry": r.entry,
            "method": r.method,
            "outcome": r.outcome,
            "max_error": _finite_or_none(r.max_error),
            "passed": r.passed,
            "symbolic": r.symbolic,
            **({"reason": r.reason} if r.reason else {}),
            **({"counterexample": _counterexample_data(r.counterexample)} if r.counterexample else {}),
        }
        for r in report.rows
    ]
    return {
        "network": network_data(report.network),
        "passed": report.passed,
        "symbolic_only": report.symbolic_only,
        "points": report.points,
        "seed": report.seed,
        "tol": report.tol,
        "counts": report.counts,
        "rows": rows,
        "failures": [row for row in rows if not row["passed"]],
    }


def _counterexample_data(example: Counterexample) -> dict[str, Any]:
    def plain(value: object) -> object:
        return [plain(v) for v in value] if isinstance(value, tuple) else _finite_or_none(float(value))

    return {
        "point": {key: plain(value) for key, value in example.point.items()},
        "values": {side: _finite_or_none(value) for side, value in example.values},
        "stand_ins": {name: str(expr) for name, expr in example.stand_ins},
    }


def gradient_data(result: GradientAtPoint, network: Network) -> dict[str, Any]:
    """``{"C": ..., "grad": {"W1": [[...]], "b1": [...], ...}}`` in the point file's shapes, plus z, a, delta."""
    return {
        "network": network_data(network),
        "method": result.method,
        "C": float(result.cost),
        "grad": {key: value.tolist() for key, value in result.gradients.items()},
        "z": {key: value.tolist() for key, value in result.z.items()},
        "a": {key: value.tolist() for key, value in result.a.items()},
        "delta": {key: value.tolist() for key, value in result.delta.items()},
    }
