"""Plain-terminal text of a document, in the lecture's notation: W⁽²⁾₁₂, σ⁽²⁾′(z⁽²⁾₁), δ⁽²⁾₁.

A ``StrPrinter`` with one ``_print_<Node>`` method per document node; products use
`` · ``, and each equation's rows wrap at ``width`` columns.

>>> import symbp
>>> net = symbp.Network()
>>> TextDocumentPrinter(network=net).doprint(symbp.build_graph(net).W[2][0, 1])
'W⁽²⁾₁₂'
"""

from __future__ import annotations

import copy
import math
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from ..docmodel import (
    Algorithm,
    Backprop,
    CostOf,
    Document,
    Equation,
    IndexSum,
    LongExpression,
    Marked,
    NaiveExpansion,
    Partial,
    ReferenceResult,
    RepeatedWorkPart,
    Section,
    Sigma,
    Sum,
    Term,
    Title,
    Transpose,
    Gradient,
    Vector,
    algorithm_document,
    derivations_document,
)
from ..docmodel import CheckTable, CostTable, GradientTable, Lines
from ..docmodel import DescentStep, ExampleDocument, Number, Numbers, Table, Updated
from ..graph import build_graph, subscript, superscript
from ..spec import Network, count_text
from .base import DocumentPrinter, format_number, network_fields, then
from .base import network_line  # noqa: F401 - render.dot reads it from here
from .lines import BREAK, text_rows, tied, wrap_text, wrap_words

if TYPE_CHECKING:  # pragma: no cover
    from ..checking import CheckReport, CheckRow
    from ..counts import CostRow

DEFAULT_WIDTH = 100
"""Columns when the caller does not say (wide enough for the lecture's chains on one row each)."""


def _joined(terms: Sequence[Sequence[str]], one_per_row: bool = False) -> list[str]:
    """Terms (each a list of pieces) joined by ``+``, or ``-`` when a term already starts with one."""
    pieces: list[str] = []
    for k, term in enumerate(terms):
        head, *rest = term
        if k:
            if one_per_row:
                pieces.append(BREAK)
            head = f"- {head[1:].lstrip()}" if head.startswith("-") else f"+ {head}"
        pieces += [head, *rest]
    return pieces


class TextDocumentPrinter(DocumentPrinter, StrPrinter):
    """SymPy's one-line printer with the graph's Unicode names, ``·`` for products, and the document nodes."""

    printmethod = "_symbp_text"
    _default_settings = {**StrPrinter._default_settings, "network": None, "width": DEFAULT_WIDTH}

    def __init__(self, settings: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__({**(settings or {}), **kwargs})
        network = self._settings["network"]
        self._network: Network | None = network
        self._names: dict[object, str] = dict(build_graph(network).text_names) if network is not None else {}

    def renamed(self, names: Mapping[object, str]) -> TextDocumentPrinter:
        """The same printer with some symbols shown under other names (index form)."""
        other = copy.copy(self)
        other._names = {**self._names, **names}
        return other

    def factor(self, expr: object) -> str:
        """``expr`` as one factor of a product: bracketed when it is a sum."""
        return self.parenthesize(expr, PRECEDENCE["Mul"], strict=True)

    # SymPy expressions ---------------------------------------------------------------------

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._names.get(expr, expr.name)

    def _print_Function(self, expr: sp.Function) -> str:
        name = self._names.get(expr.func)
        if name is None:
            return super()._print_Function(expr)
        return f"{name}({', '.join(self._print(arg) for arg in expr.args)})"

    _print_AppliedUndef = _print_Function

    def _print_Mul(self, expr: sp.Mul) -> str:
        # Names never contain "*" and _print_Pow never writes "**", so every "*" is a product.
        return super()._print_Mul(expr).replace("*", " · ")

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        exponent = expr.exp
        if exponent.is_Integer and 2 <= int(exponent) <= 9:
            base = self._print(expr.base)
            if not (base.isascii() and base.isalnum()):
                base = f"({base})"  # (a⁽²⁾₁)², never a⁽²⁾₁² which reads as a subscript 1²
            return base + superscript(int(exponent))
        return super()._print_Pow(expr, rational).replace("**", "^")

    def _print_Exp1(self, expr: sp.Expr) -> str:
        return "e"  # Euler's number as a formula writes it (SymPy's str says E)

    def _print_Max(self, expr: sp.Max) -> str:
        return f"max({', '.join(self._print(arg) for arg in expr.args)})"

    def _print_Min(self, expr: sp.Min) -> str:
        return f"min({', '.join(self._print(arg) for arg in expr.args)})"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        (value, condition), *rest = expr.args
        if value == 1 and len(rest) == 1 and rest[0][0] == 0 and rest[0][1] == sp.true:
            return f"[{self._print(condition)}]"  # Iverson bracket: 1 where the condition holds, else 0
        cases = [f"{self._print(v)} if {self._print(c)}" for v, c in expr.args if c != sp.true]
        cases += [f"{self._print(v)} otherwise" for v, c in expr.args if c == sp.true]
        return "{" + "; ".join(cases) + "}"

    # Mathematics nodes ------------------------------------------------------------------------

    def _print_Sigma(self, node: Sigma) -> str:
        n = self.notation
        if node.index is None:
            function = n.sigma_prime_function(node.layer) if node.prime else n.sigma(node.layer)
            return f"{function}({self._print(Vector('z', node.layer))})"
        if node.prime:
            return n.sigma_prime(node.layer, node.index)
        return f"{n.sigma(node.layer)}({n.unit('z', node.layer, node.index)})"

    def _print_Vector(self, node: Vector) -> str:
        letter = "δ" if node.letter == "delta" else node.letter
        return letter + ("" if node.layer is None else superscript(f"({node.layer})"))

    def _print_Transpose(self, node: Transpose) -> str:
        return f"({self._print(node.of)})ᵀ"

    def _print_Gradient(self, node: Gradient) -> str:
        return f"∂C/∂{self._print(node.wrt)}"  # the gradient as the partial with respect to a vector

    def _print_CostOf(self, node: CostOf) -> str:
        return f"C(a{superscript(f'({node.layer})')}, t)"  # the whole output vector and target

    def _print_Partial(self, node: Partial) -> str:
        return f"∂{self._print(node.of)}/∂{self._print(node.wrt)}"

    def _print_Term(self, node: Term) -> str:
        return " · ".join(self.factor(f) for f in node.factors)

    def _print_IndexSum(self, node: IndexSum) -> str:
        total = f"Σ{subscript(node.index)}{subscript('=1')}{superscript(node.upper)} {self._print(node.body)}"
        return f"({total})" if node.grouped else total

    def _print_Marked(self, node: Marked) -> str:
        return self._print(node.body)  # text shows the repeats in their own part, not in the chain

    # Pieces for the line breaker -------------------------------------------------------------

    def _pieces_Marked(self, node: Marked) -> list[str]:
        return self.pieces(node.body)

    def _pieces_Sum(self, node: Sum) -> list[str]:
        pieces = _joined([self.pieces(term) for term in node.terms], node.one_per_row)
        return [f"({' '.join(pieces)})"] if node.grouped else pieces

    def _pieces_LongExpression(self, node: LongExpression) -> list[str]:
        """Its terms, and a term wider than half the width split into its factors (a row too wide then wraps at its spaces)."""
        expr = node.expr
        terms = []
        for term in self._as_ordered_terms(expr) if isinstance(expr, sp.Add) else [expr]:
            sign = ""
            if term.could_extract_minus_sign():
                sign, term = "-", -term
            text = self._print(term)
            if isinstance(term, sp.Mul) and len(text) > self._settings["width"] // 2:
                head, *rest = [self.factor(f) for f in term.as_ordered_factors()]
                terms.append([sign + head, *(f"· {f}" for f in rest)])
            else:
                terms.append([sign + text])
        return _joined(terms)

    # Structure ---------------------------------------------------------------------------------

    def equation_rows(self, node: Equation) -> list[str]:
        pieces: list[str] = []
        for k, side in enumerate(node.sides):
            if k and node.sides_on_new_rows:
                pieces.append(BREAK)
            pieces += then("= ", self.pieces(side))
        if node.for_each is not None:
            pieces[-1] += tied(f",  {self._print(node.for_each)}")  # a range is never cut across rows
        note = f"({node.note.replace('delta', 'δ')})" if node.note else ""
        return text_rows(self._print(node.lhs), pieces, self._settings["width"], note=note)

    def _print_Equation(self, node: Equation) -> str:
        return "\n".join(self.equation_rows(node))

    def section_rows(self, node: Section) -> list[str]:
        return [row for group in node.groups for equation in group for row in self.equation_rows(equation)]

    def _print_Section(self, node: Section) -> str:
        title = node.title + (f", for {self._print(node.for_each)}" if node.for_each else "")
        return "\n".join([f"{title}:", *self.section_rows(node)])

    def _print_Title(self, node: Title) -> str:
        return "".join(piece if isinstance(piece, str) else self._print(piece) for piece in node.pieces)

    def _print_NaiveExpansion(self, node: NaiveExpansion) -> str:
        return "\n".join([self._print(node.heading), "", *self.equation_rows(node.equation)])

    def _print_RepeatedWorkPart(self, node: RepeatedWorkPart) -> str:
        lines = [f"{self._print(node.heading)}:", ""]
        return "\n".join(lines + [row for eq in node.equations for row in self.equation_rows(eq)])

    def _print_Backprop(self, node: Backprop) -> str:
        lines = [self._print(node.heading)]
        for step in node.steps:
            lines += ["", step.title, *self.section_rows(step)]
        return "\n".join(lines)

    def _print_ReferenceResult(self, node: ReferenceResult) -> str:
        return "\n".join([self._print(node.heading), "", *self.equation_rows(node.equation)])

    def network_lines(self, network: Network, before: str = "") -> list[str]:
        """``before`` and ``network_line``, wrapped at the width between its fields."""
        first, *rest = network_fields(network)
        return wrap_words([before + first, *rest], self._settings["width"], " · ")

    def wrapped(self, *paragraphs: str) -> list[str]:
        """Prose paragraphs wrapped at the width."""
        return [line for text in paragraphs for line in wrap_text(text, self._settings["width"])]

    def _print_Document(self, node: Document) -> str:
        blocks = ["\n".join(self.network_lines(node.network)), *(self._print(part) for part in node.parts)]
        return "\n\n".join(blocks) + "\n"

    def _print_Algorithm(self, node: Algorithm) -> str:
        lines = [self._print(node.heading), *self.network_lines(node.network), ""]
        lines += [self._print(node.forward), "", self._print(node.backward)]
        return "\n".join(lines) + "\n"


    # Worked examples ----------------------------------------------------------------------------

    def _print_Number(self, node: Number) -> str:
        return format_number(node.value, node.digits, pad=not node.given)

    def _number_name(self, value: float, digits: int, given: bool = False) -> str:
        text = format_number(value, digits, pad=not given)
        return f"({text})" if text.startswith("-") else text  # 0.5 · (-0.2), never 0.5 · -0.2

    def _print_Numbers(self, node: Numbers) -> str:
        names = {symbol: self._number_name(value, node.digits, symbol in node.given) for symbol, value in node.values}
        # A bracketed negative number as a function's argument or a power's base: tanh(-0.5), (-0.2)², never ((-0.2)).
        return re.sub(r"\(\((-[0-9.e+-]+)\)\)", r"(\1)", self.renamed(names).doprint(node.expr))

    def _print_Updated(self, node: Updated) -> str:
        return self._print(node.parameter) + "⁺"

    def _print_DescentStep(self, node: DescentStep) -> str:
        if node.numbers is None:
            return f"{self._print(node.parameter)} - η · ∂C/∂{self._print(node.parameter)}"
        before, lr, gradient = (self._number_name(v, node.digits, given) for v, given in zip(node.numbers, node.given))
        return f"{before} - {lr} · {gradient}"

    def _print_Table(self, node: Table) -> str:
        cells = [[h if isinstance(h, str) else self._print(h) for h in node.header]]
        cells += [[self._print(cell) for cell in row] for row in node.rows]
        widths = [max(len(row[k]) for row in cells) for k in range(len(cells[0]))]
        lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in cells]
        return "\n".join([f"{node.title}:", lines[0], "  ".join("-" * w for w in widths), *lines[1:]])

    def _print_ExampleDocument(self, node: ExampleDocument) -> str:
        blocks = ["\n".join([*self.network_lines(node.network), *self.wrapped(f"Worked example ({node.note})")])]
        blocks += [self._print(part) for part in node.parts]
        return "\n\n".join(blocks) + "\n"

    # Tables: the check, the counts, the gradients at a point ------------------------------------

    def _print_CheckTable(self, node: CheckTable) -> str:
        from ..checking import SKIPPED

        report = node.report
        methods = list(dict.fromkeys(row.method for row in report.rows))
        cells: dict[str, dict[str, str]] = {}
        for row in report.rows:
            cells.setdefault(row.entry, {})[row.method] = _outcome_cell(row)
        lines = self.network_lines(report.network, "Check of ")
        plural = "s" * (report.points != 1)
        if report.symbolic_only:
            lines += self.wrapped(
                "Abstract σ or C: each entry's naive = backprop and reference = backprop is proved symbolically where "
                f"possible, else compared at {report.points} random point{plural} (seed {report.seed}) with the abstract "
                "parts replaced by random functions, the same on both sides.")
        else:
            lines += self.wrapped(
                f"naive, backprop, reference: against finite differences (Richardson) at {report.points} random "
                f"point{plural} (seed {report.seed});",
                "naive = backprop, reference = backprop: proved symbolically where possible, else compared at the same "
                "points.")
        lines += self.wrapped(
            "proved: the two sides are the same function; a number: verified numerically, the largest difference "
            "relative to the largest value of all entries at the point (within "
            f"{report.tol:g}, or against finite differences within their own error estimate);",
            "✗: disagree, with a counterexample below; skipped: not compared (the reason is below).",
        )
        lines.append("")
        lines += _table(["entry", *methods], ([e, *(c.get(m, "") for m in methods)] for e, c in cells.items()),
                        [False, *(True for _ in methods)])
        lines += ["", _counts_line(report)]
        for reason in dict.fromkeys(row.reason for row in report.rows if row.outcome == SKIPPED):
            lines += self.wrapped(f"skipped: {reason}")
        # A counterexample stays one line, whatever its length: a script reads its point from it.
        for row in report.failures:
            lines.append(f"counterexample to {row.entry} {row.method}: {_counterexample_text(row)}")
        if report.failures:
            lines.append(check_failure_line(report))
        return "\n".join(lines) + "\n"

    def _print_CostTable(self, node: CostTable) -> str:
        summary = node.summary

        def row(r: CostRow) -> list[str]:
            return [r.label, count_text(r.naive.paths), *(count_text(n) for c in (r.naive, r.backprop)
                                                          for n in (c.multiplications, c.additions))]

        header = ["", "paths", "naive ×", "naive +", "backprop ×", "backprop +"]
        right = [False, True, True, True, True, True]
        network = summary.network
        lines = [
            *self.wrapped(f"Chain-rule arithmetic for {','.join(map(str, network.layers))}, counted by formula "
                          "(nothing expanded)"),
            # What the counts depend on besides the sizes: a batch's 1/N, the decay's lambda W (and the formulas).
            *(self.network_lines(network) if network.batch > 1 or network.l2 or network.formulas else []),
            *self.wrapped("naive: every entry on its own, one product per path; "
                          "backprop: each δ once (counted in its layer's row), then one step per entry"),
        ]
        if summary.entries is not None:
            lines += ["", *_table(header, [row(r) for r in summary.entries], right)]
        else:
            lines += self.wrapped("every weight and bias, by layer (name entries, e.g. W1 or W2_1_2, for a row each)")
        lines += ["", *_table(header, [row(r) for r in (*summary.layers, summary.total)], right)]
        naive, backprop = summary.total.naive, summary.total.backprop
        naive_ops, backprop_ops = naive.multiplications + naive.additions, backprop.multiplications + backprop.additions
        if backprop_ops:
            ratio = (f"{naive_ops / backprop_ops:.2f}" if naive_ops.bit_length() < 1000
                     else f"about {count_text(naive_ops // backprop_ops)}")
            lines += ["", f"naive / backprop operations: {count_text(naive_ops)} / {count_text(backprop_ops)} = {ratio}"]
        return "\n".join(lines) + "\n"

    def _print_Lines(self, node: Lines) -> str:
        return "\n".join(node.lines) + "\n"

    def _print_GradientTable(self, node: GradientTable) -> str:
        result, network = node.result, node.network
        width = self._settings["width"]
        lines = [*self.network_lines(network, f"Gradients by {result.method} for "), "", f"C = {result.cost:.10g}", ""]

        def row(lhs: str, values: Any) -> str:
            return lhs + _array_text(values, len(lhs), width)

        lines += [row(f"∂C/∂{key[0]}{superscript(f'({key[1:]})')} = ", values) for key, values in result.gradients.items()]
        lines += ["", "Forward pass:", row(f"a{superscript('(0)')} = ", result.a["a0"])]
        for m in range(1, network.L + 1):
            lines += [row(f"z{superscript(f'({m})')} = ", result.z[f"z{m}"]),
                      row(f"a{superscript(f'({m})')} = ", result.a[f"a{m}"])]
        lines += ["", "Backward pass:"]
        lines += [row(f"δ{superscript(f'({m})')} = ", result.delta[f"delta{m}"]) for m in range(network.L, 0, -1)]
        return "\n".join(lines) + "\n"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[bool]) -> list[str]:
    rows = [list(r) for r in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

    return [line(header), "  ".join("─" * w for w in widths), *(line(r) for r in rows)]


def _outcome_cell(row: CheckRow) -> str:
    from ..checking import PROVED, SKIPPED, VERIFIED

    if row.outcome == PROVED:
        return "proved"
    if row.outcome == SKIPPED:
        return "skipped"
    number = f"{row.max_error:.1e}" if math.isfinite(row.max_error) else "inf"
    return number if row.outcome == VERIFIED else f"{number} ✗"


def _counts_line(report: CheckReport) -> str:
    from ..checking import DISAGREE, PROVED, SKIPPED, VERIFIED

    counts = report.counts
    return (
        f"{len(report.rows)} comparisons: {counts[PROVED]} proved, {counts[VERIFIED]} verified numerically, "
        f"{counts[DISAGREE]} disagree, {counts[SKIPPED]} skipped"
    )


def _counterexample_text(row: CheckRow) -> str:
    example = row.counterexample
    assert example is not None  # every disagreement carries one
    values = ", ".join(f"{side} = {value:.10g}" for side, value in example.values)
    point = "; ".join(f"{key} = {_nested_text(value)}" for key, value in example.point.items())
    functions = "; ".join(f"{name} = {expr}" for name, expr in example.stand_ins)
    return f"{values} at {point}" + (f"; with {functions}" if functions else "")


def _nested_text(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_nested_text(v) for v in value) + "]"
    return f"{value:.6g}"


def check_failure_line(report: CheckReport) -> str:
    """One line naming what disagrees, with the values at a counterexample (for stderr)."""
    failures = report.failures
    named = ", ".join(
        f"{r.entry} {r.method} ({' vs '.join(f'{side} {value:.6g}' for side, value in r.counterexample.values)})"
        for r in failures[:5]
        if r.counterexample is not None
    )
    more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
    return f"{len(failures)} of {len(report.rows)} comparisons disagree: {named}{more}"


def _array_text(values: Any, indent: int, width: int) -> str:
    import numpy as np

    body = np.array2string(np.asarray(values), separator=", ", max_line_width=width - indent,
                           formatter={"float_kind": lambda v: f"{v:.6g}"})
    return body.replace("\n", "\n" + " " * indent)


def text(obj: object, *, width: int = DEFAULT_WIDTH) -> str:
    """Text for a derivation or several, without the network line.

    >>> import symbp
    >>> net = symbp.Network()
    >>> print(text(symbp.backprop(net, ["W2_1_2"])).splitlines()[-1])
      ∂C/∂W⁽²⁾₁₂ = ∂C/∂z⁽²⁾₁ · ∂z⁽²⁾₁/∂W⁽²⁾₁₂ = δ⁽²⁾₁ · a⁽¹⁾₂
    """
    items = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    document = derivations_document(items[0].network, items)
    printer = TextDocumentPrinter(network=document.network, width=width)
    return "\n\n".join(printer.doprint(part) for part in document.parts) + "\n"


def algorithm_text(network: Network, *, width: int = DEFAULT_WIDTH) -> str:
    """The lecture's "Truly Complete Version" for this network: forward pass, then backward pass."""
    return TextDocumentPrinter(network=network, width=width).doprint(algorithm_document(network))
