"""JSON of a document: what a script reads from ``symbp derive --format json``.

The printer walks the same document as the others and writes each part once, so the
output grows linearly with the number of entries. Every entry holds ``entry``,
``method``, ``latex`` (its own equation, as the LaTeX printer prints it);
naive and reference entries their ``title`` (the text printer's heading, the words every format heads them with),
``expression`` (``str()`` of the SymPy expression) and ``expression_latex``; naive
entries add their ``paths`` (each a list of factors), backprop entries the
``deltas`` their ``formula`` reads, by name, and no unrolled expression unless
``unrolled=True`` (it grows like the naive expansion). Each backprop derivation's deltas and whole LaTeX
stand once, under ``"backprop"``, with its ``title`` and its ``steps``' titles.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

import numpy as np

import sympy as sp
from sympy.printing.printer import Printer

from ..derive.backprop import BackpropDerivation, DeltaStep
from ..derive.naive import NaiveDerivation
from ..derive.reference import ReferenceDerivation
from ..docmodel import CheckTable, CostTable, ExampleDocument, GradientTable
from ..docmodel import delta_unit_equation
from ..docmodel import Algorithm, Backprop, Document, Equation, NaiveExpansion, Partial, ReferenceResult, RepeatedWorkPart
from ..graph import build_graph
from ..spec import Network
from .latex import LatexDocumentPrinter
from .text import TextDocumentPrinter


def network_data(network: Network) -> dict[str, Any]:
    return {
        "layers": list(network.layers),
        "L": network.L,
        "activations": list(network.activations),
        "cost": network.cost,
        "parameters": network.parameter_count,
        **({"define": dict(network.define)} if network.define else {}),
        **({"batch": network.batch} if network.batch > 1 else {}),
        **({"l2": network.l2} if network.l2 else {}),
    }


def dumps(data: object) -> str:
    """Indented JSON with each innermost list of numbers on one line (matrices stay readable)."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    flat = re.sub(r"\[\s+([-+0-9.eE,\s]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    return flat + "\n"


def softmax_delta_data(step: DeltaStep) -> dict[str, Any]:
    """After a softmax: the base case's (dC/da_k, da_k/dz_j) terms, and cross-entropy's collapse (the last step
    where the targets sum to 1)."""
    data: dict[str, Any] = {}
    if step.jacobian:
        data["jacobian_terms"] = [[str(partial), str(entry)] for partial, entry in step.jacobian]
    if step.collapse:
        data["collapse"] = [str(form) for form in step.collapse]
    return data


class JsonDocumentPrinter(Printer):
    """Data of each document part, with its LaTeX and text from the other printers."""

    printmethod = "_symbp_json"
    _default_settings = {"network": None, "unrolled": False}
    """``unrolled``: backprop entries also carry their expression with every delta substituted (size grows like naive)."""

    def __init__(self, settings: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__({**(settings or {}), **kwargs})
        network = self._settings["network"]
        self._latex = LatexDocumentPrinter(network=network)
        self._text = TextDocumentPrinter(network=network)

    def _tex(self, expr: object) -> str:
        return self._latex.doprint(expr)

    def _factor_data(self, factor: Any) -> dict[str, str]:
        return {
            "leibniz": self._tex(Partial(factor.of, factor.wrt)),
            "latex": self._tex(factor.value),
            "text": self._text.doprint(factor.value),
            "expression": str(factor.value),
            "of": str(factor.of),
            "wrt": str(factor.wrt),
        }

    # Each part's data, by the top-level list it goes in.

    def _data_NaiveExpansion(self, node: NaiveExpansion, derivation: NaiveDerivation) -> dict[str, list[Any]]:
        return {"entries": [{
            "entry": derivation.entry.name,
            "method": "naive",
            "title": self._text.doprint(node.heading),
            "latex": self._tex(node),
            "expression": str(derivation.expression()),
            "expression_latex": self._tex(derivation.expression()),
            "paths": [[self._factor_data(f) for f in path.factors] for path in derivation.paths],
        }]}

    def _data_Backprop(self, node: Backprop, derivation: BackpropDerivation) -> dict[str, list[Any]]:
        gradients = node.steps[-1].groups[0] if derivation.gradients else ()
        out = []
        for gradient, equation in zip(derivation.gradients, gradients):
            entry = gradient.entry
            data = {
                "entry": entry.name,
                "method": "backprop",
                "latex": self._tex(equation),
                "formula": str(gradient.formula),
                "formula_latex": self._tex(gradient.formula),
                "deltas": [str(delta) for delta, _ in gradient.terms],  # read directly; the rest under "backprop"
            }
            if self._settings["unrolled"]:
                # The deltas substituted back: as long as the naive expansion, so only when asked for.
                expression = derivation.expression(entry)
                data |= {"expression": str(expression), "expression_latex": self._tex(expression)}
            out.append(data)
        return {"entries": out, "backprop": [self._backprop_data(node, derivation)]}

    def _data_ReferenceResult(self, node: ReferenceResult, derivation: ReferenceDerivation) -> dict[str, list[Any]]:
        return {"entries": [{
            "entry": derivation.entry.name,
            "method": "reference",
            "title": self._text.doprint(node.heading),
            "latex": self._tex(node),
            "expression": str(derivation.expression()),
            "expression_latex": self._tex(derivation.expression()),
        }]}

    def _data_RepeatedWorkPart(self, node: RepeatedWorkPart, work: object) -> dict[str, list[Any]]:
        return {"repeated_work": [
            {"delta": str(eq.lhs), "latex": self._tex(eq), "text": self._text.doprint(eq), "note": eq.note}
            for eq in node.equations
        ]}

    def _backprop_data(self, node: Backprop, derivation: BackpropDerivation) -> dict[str, Any]:
        graph = build_graph(derivation.network)
        return {
            "entries": list(node.entries),
            "title": self._text.doprint(node.heading),
            "steps": [step.title for step in node.steps],
            "latex": self._tex(node),
            "deltas": [
                {
                    "delta": str(step.symbol),
                    "name_latex": graph.latex_names[step.symbol],
                    "layer": step.layer,
                    "unit": step.unit,
                    "formula": str(step.formula),
                    # The same (sum of delta W) sigma' order as the "latex" field above.
                    "formula_latex": self._tex(delta_unit_equation(step).sides[-1]),
                    "base_case": step.is_base_case,
                    **softmax_delta_data(step),
                }
                for step in derivation.deltas
            ],
        }

    def _print_Document(self, node: Document) -> str:
        data: dict[str, Any] = {"network": network_data(node.network), "entries": []}
        for part, source in zip(node.parts, node.source):
            for key, items in getattr(self, f"_data_{type(part).__name__}")(part, source).items():
                data.setdefault(key, []).extend(items)
        return dumps(data)

    def _print_Algorithm(self, node: Algorithm) -> str:
        return dumps({"network": network_data(node.network), "title": self._text.doprint(node.heading),
                      "latex": self._tex(node), "text": self._text.doprint(node)})


    def _print_ExampleDocument(self, node: ExampleDocument) -> str:
        return dumps(example_data(node.example))

    def _print_CheckTable(self, node: CheckTable) -> str:
        report = node.report
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
        return dumps({
            "network": network_data(report.network),
            "passed": report.passed,
            "symbolic_only": report.symbolic_only,
            "points": report.points,
            "seed": report.seed,
            "tol": report.tol,
            "counts": report.counts,
            "rows": rows,
            "failures": [row for row in rows if not row["passed"]],
        })

    def _print_CostTable(self, node: CostTable) -> str:
        summary = node.summary

        def ops(count: Any) -> dict[str, int]:
            return {"multiplications": count.multiplications, "additions": count.additions}

        def row(r: Any) -> dict[str, Any]:
            return {"paths": r.naive.paths, "naive": ops(r.naive), "backprop": ops(r.backprop)}

        data: dict[str, Any] = {"network": network_data(summary.network),
                                "description": ",".join(map(str, summary.network.layers))}
        if summary.entries is not None:
            data["entries"] = {r.label: row(r) for r in summary.entries}
        data["layers"] = {str(m): row(r) for m, r in enumerate(summary.layers, start=1)}
        data["totals"] = row(summary.total)
        return dumps(data)

    def _print_GradientTable(self, node: GradientTable) -> str:
        result = node.result
        return dumps({
            "network": network_data(node.network),
            "method": result.method,
            "C": float(result.cost),
            "grad": _lists(result.gradients),
            "z": _lists(result.z),
            "a": _lists(result.a),
            "delta": _lists(result.delta),
        })

    def _print_Equation(self, node: Equation) -> str:
        """A step alone (``bp.delta(1, 2)``, ``bp.gradient("W1_2_3")``): its equation in LaTeX and in text."""
        return dumps({"latex": self._tex(node), "text": self._text.doprint(node).strip()})

    def _print_Basic(self, expr: sp.Basic) -> str:
        return json.dumps(str(expr))


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None  # JSON has no infinity


def _counterexample_data(example: Any) -> dict[str, Any]:
    def plain(value: object) -> object:
        return [plain(v) for v in value] if isinstance(value, tuple) else _finite_or_none(float(value))  # type: ignore[arg-type]

    return {
        "point": {key: plain(value) for key, value in example.point.items()},
        "values": {side: _finite_or_none(value) for side, value in example.values},
        "stand_ins": {name: str(expr) for name, expr in example.stand_ins},
    }


def _lists(arrays: Mapping[str, Any]) -> dict[str, Any]:
    return {key: np.asarray(value).tolist() for key, value in arrays.items()}


def example_data(example: Any) -> dict[str, Any]:
    """The numbers of a ``symbp.example.WorkedExample``: forward, C, deltas, grad; with a learning rate
    ``updated`` and ``steps`` (each {C, updated}), parameters in the point file's layout."""
    first = example.first
    data: dict[str, Any] = {
        "network": network_data(example.network),
        "digits": example.digits,
        "round_intermediates": example.round_intermediates,
        "forward": {**_lists(first.z), **{k: v for k, v in _lists(first.a).items() if k != "a0"}},
        "C": first.cost,
        "deltas": _lists(first.delta),
        "grad": _lists(first.grad),
    }
    data["forward"] = {key: data["forward"][key] for m in range(1, example.network.L + 1) for key in (f"z{m}", f"a{m}")}
    if example.naive is not None:
        data["naive"] = {
            "entry": example.naive.entry.name,
            "paths": [{"factors": [{"of": str(of), "wrt": str(wrt), "value": v} for of, wrt, v in p.factors],
                       "product": p.product} for p in example.naive.paths],
            "total": example.naive.total,
        }
    if example.lr is not None:
        data["lr"] = example.lr
        data["updated"] = _lists(example.updated)
        data["steps"] = [{"C": step.cost, "updated": _lists(step.updated)} for step in example.steps]
    return data
