"""What every document printer shares: pieces for the line breaker, index-form names, ranges.

A printer class mixes this in before its SymPy printer (``StrPrinter``, ``LatexPrinter``)
and says how it writes a product (``times``) and an elided range (``ellipsis``); it
writes everything else in its own ``_print_<Node>`` methods.
"""

from __future__ import annotations

from typing import Any, Sequence

import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence

from ..docmodel import (
    EXP_SUM, INDICATOR, TARGET_SUM, ForEach, Hadamard, IndexForm, LongExpression, OutputPairForm, Product, Sum, Unit,
    Vector, VectorForm,
)
from ..graph import Notation, build_graph, subscript
from ..spec import Network


def count_up(n: int, ellipsis: str) -> str:
    """``1``, ``1, 2``, ``1, 2, 3``, ``1, <ellipsis>, n``: the lecture's ``1, ..., D`` with small ranges in full."""
    return ", ".join(map(str, range(1, n + 1))) if n <= 3 else f"1, {ellipsis}, {n}"


def then(operator: str, pieces: Sequence[str]) -> list[str]:
    """``pieces`` led by ``operator`` (``"= "``, ``"· "``)."""
    return [f"{operator}{pieces[0]}", *pieces[1:]] if pieces else []


class DocumentPrinter:
    """Mixin of the document printers; ``pieces(node)`` dispatches like SymPy's ``_print`` on ``_pieces_<Class>``.

    A node type without a ``_pieces_`` method is one piece, its ``_print_`` (or, as a
    factor of a product, bracketed by its precedence): so a new node type needs only
    its ``_print_`` method in each printer.
    """

    style = "text"
    times = "· "
    ellipsis = "…"
    hadamard = "⊙"
    _network: Network | None

    def method_for(self, prefix: str, node: object) -> Any:
        """The printer's ``<prefix><Class>`` method for ``node``, by its class's MRO as SymPy's ``_print``; or None."""
        for cls in type(node).__mro__:
            method = getattr(self, prefix + cls.__name__, None)
            if method is not None:
                return method
        return None

    def pieces(self, node: object, as_factor: bool = False) -> list[str]:
        method = self.method_for("_pieces_", node)
        if method is not None:
            return method(node)
        return [self.factor(node) if as_factor else self._print(node)]  # type: ignore[attr-defined]

    @property
    def notation(self) -> Notation:
        batch = self._network is not None and self._network.batch > 1
        return Notation(self._network, self.style, "n" if batch else None)  # a batch's units carry (n)

    def renamed(self, names: dict[object, str]) -> Any:  # pragma: no cover - each printer defines it
        raise NotImplementedError

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        """Heaviside(u, 0), the derivative of a user's max(0, x), as relu's indicator [u > 0] (the same function)."""
        if expr.args[1:] == (0,):
            return self._print(sp.Piecewise((1, expr.args[0] > 0), (0, True)))
        return super()._print_Heaviside(expr)  # type: ignore[misc]

    def _print_Unit(self, node: Unit) -> str:
        n = self.notation
        if not node.indices:  # the whole matrix W^{(m)}
            return node.letter + n.layer(node.layer)
        if node.letter == "W":
            return n.weight(node.layer, *node.indices)
        if node.letter == "delta":
            return n.delta(node.layer, *node.indices)
        if node.letter == "t":
            return n.target(*node.indices)
        return n.unit(node.letter, node.layer, *node.indices)

    def _print_IndexForm(self, node: IndexForm) -> str:
        names = build_graph(self._network).index_form_names(node.layer, node.index, self.style)
        return self.renamed(names)._print(node.expr)

    def _print_OutputPairForm(self, node: OutputPairForm) -> str:
        graph = build_graph(self._network)
        n, m, (first, second) = self.notation, node.layer, node.indices
        names = graph.index_form_names(m, first, self.style)
        if graph.network.D(m) > 1:
            names.update({graph.a[m][1]: n.unit("a", m, second), graph.z[m][1]: n.unit("z", m, second),
                          graph.t[1]: n.target(second)})
        if self.style == "latex":
            names.update({INDICATOR: rf"\mathbf{{1}}[{first} = {second}]", TARGET_SUM: rf"\sum_{{{first}}} {n.target(first)}",
                          EXP_SUM: rf"\sum_{{{second}}} e^{{{n.unit('z', m, second)}}}"})
        else:
            names.update({INDICATOR: f"1[{first}={second}]", TARGET_SUM: f"Σ{subscript(first)} {n.target(first)}",
                          EXP_SUM: f"Σ{subscript(second)} exp({n.unit('z', m, second)})"})
        return self.renamed(names)._print(node.expr)

    def _print_VectorForm(self, node: VectorForm) -> str:
        graph = build_graph(self._network)
        m = node.layer
        names = {graph.z[m][0]: self._print(Vector("z", m)), graph.a[m][0]: self._print(Vector("a", m))}
        if m == graph.network.L:
            names[graph.t[0]] = self._print(Vector("t"))
        return self.renamed(names)._print(node.expr)

    def _print_Hadamard(self, node: Hadamard) -> str:
        left, right = (self._print(side) for side in (node.left, node.right))
        if precedence(node.left) <= PRECEDENCE["Mul"]:
            left = self.sized_brackets(left)
        return f"{left} {self.hadamard} {right}"

    def sized_brackets(self, text: str) -> str:
        return f"({text})"

    def _print_ForEach(self, node: ForEach) -> str:
        return f"{node.index} = {count_up(node.upper, self.ellipsis)}"

    def _print_Product(self, node: Product) -> str:
        return " ".join(self.pieces(node))

    def _print_Sum(self, node: Sum) -> str:
        return " ".join(self.pieces(node))

    def _print_LongExpression(self, node: LongExpression) -> str:
        return self._print(node.expr)  # type: ignore[attr-defined]

    def _pieces_Product(self, node: Product) -> list[str]:
        out: list[str] = []
        for k, factor in enumerate(node.factors):
            pieces = self.pieces(factor, as_factor=True)
            out += then(self.times, pieces) if k else pieces
        return out


def format_number(value: float, digits: int, pad: bool = False) -> str:
    """``value`` rounded half up (as a textbook does) to ``digits`` decimals, without trailing zeros.

    With ``pad`` it keeps all ``digits`` decimals, as a worked example shows every number it
    computed (0.3590 beside 0.3571); the numbers a user gave are shown without.

    >>> format_number(0.3775, 9), format_number(0.5932699921, 6), format_number(-1e-9, 3)
    ('0.3775', '0.59327', '0')
    >>> format_number(0.5932699921, 6, pad=True), format_number(0.1 + 0.2, 4, pad=True)
    ('0.593270', '0.3000')
    """
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return {True: "inf", False: "-inf"}[value > 0] if value == value else "nan"
    try:
        rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds: a huge number, shown as is
        return f"{value:.{digits}g}"
    text = f"{rounded:.{digits}f}"
    if "." in text and not pad:
        text = text.rstrip("0").rstrip(".")
    return text.lstrip("-") if float(text) == 0 else text  # never -0 (nor -0.00)


def network_fields(network: Network) -> list[str]:
    """The parts of ``network_line``: sizes, σ, each defined formula, C, then batch and weight decay as one."""
    names = set(network.activations)
    sigma = f"{network.activations[0]} (every layer)" if len(names) == 1 else ", ".join(network.activations)
    sizes = ",".join(map(str, network.layers))
    extras = ([f"batch: N = {network.batch}"] if network.batch > 1 else []) + (
        [f"weight decay: λ = {network.l2:g} (biases not decayed)"] if network.l2 else [])
    fields = [f"network {sizes} (L = {network.L})", f"σ: {sigma}", *network.formulas, f"C: {network.cost}"]
    return fields + ([" · ".join(extras)] if extras else [])


def network_line(network: Network) -> str:
    """``network 3,2,2,1 (L = 3) · σ: abstract (every layer) · C: abstract``."""
    return " · ".join(network_fields(network))
