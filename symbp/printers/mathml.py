"""MathML Core of a document, in the lecture's notation, for web pages (rendered natively by browsers).

A SymPy ``Printer`` with one ``_print_<Node>`` method per document node, as the
text and LaTeX printers; SymPy expressions inside the nodes go through SymPy's
presentation MathML printer with the graph's names. Names come from the graph's
Unicode names (``W⁽²⁾₁₂``), turned into ``msubsup`` and friends here, so the
notation is chosen in one place. Only MathML Core elements are written (no
``mfenced``, no named entities), and every ``<math>`` parses as XML.

>>> import symbp
>>> net = symbp.Network()
>>> MathMLDocumentPrinter(network=net).doprint(symbp.build_graph(net).W[2][0, 1])
'<msubsup><mi>W</mi><mn>12</mn><mrow><mo>(</mo><mn>2</mn><mo>)</mo></mrow></msubsup>'
"""

from __future__ import annotations

import copy
import html
import re
from typing import Any, Mapping, Sequence
from xml.dom.minidom import parseString

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.printer import Printer

from ..docmodel import (
    Algorithm,
    Backprop,
    CostOf,
    Document,
    Equation,
    Gradient,
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
    Unit,
    Vector,
)
from ..graph import build_graph
from ..spec import Network
from .base import DocumentPrinter, network_line

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ᵐ⁻⁺′"
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉ᵢⱼₖ₌"
_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ᵐ⁻⁺", "0123456789()m-+")
_FROM_SUBSCRIPT = str.maketrans(_SUBSCRIPTS, "0123456789ijk=")
_SCRIPTED = re.compile(rf"(\d+|[^\s{_SUPERSCRIPTS}{_SUBSCRIPTS}])((?:[{_SUPERSCRIPTS}{_SUBSCRIPTS}]|,(?=[{_SUBSCRIPTS}]))*)")
"""A number or one character, then the script characters (Unicode super- and subscripts) attached to it;
a comma between subscripts belongs to them (W⁽¹⁾₁,₁₂ in a network with ten or more units in a layer)."""
_OPERATORS = set("()[]{}=+-−,·′∂/⊙∇⊤…")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _token(char: str) -> str:
    """One character as an ``mn``, ``mo`` or ``mi``."""
    if char.isdigit():
        return f"<mn>{char}</mn>"
    if char in _OPERATORS:
        return f"<mo>{_escape(char)}</mo>"
    return f"<mi>{_escape(char)}</mi>"


def _run(text: str) -> str:
    """A script run (``12``, ``(2)``, ``m-1``): digits together as one ``mn``, in an ``mrow`` when several tokens."""
    tokens = [f"<mn>{part}</mn>" if part.isdigit() else _token(part) for part in re.findall(r"\d+|\D", text)]
    return tokens[0] if len(tokens) == 1 else f"<mrow>{''.join(tokens)}</mrow>"


def unicode_mathml(text: str) -> str:
    """MathML for a Unicode name such as ``W⁽²⁾₁₂``, ``σ⁽²⁾′(z⁽²⁾₁)``, ``∂C/∂a⁽³⁾`` or ``j = 1, 2``.

    Superscript and subscript runs attach to the token before them; ``∂x/∂y``
    becomes a fraction. The result is one element (an ``mrow`` when several).
    """
    if text.startswith("∂") and "/∂" in text:
        of, wrt = text[1:].split("/∂", 1)
        return f"<mfrac><mrow><mo>∂</mo>{unicode_mathml(of)}</mrow><mrow><mo>∂</mo>{unicode_mathml(wrt)}</mrow></mfrac>"
    out: list[str] = []
    for base, scripts in _SCRIPTED.findall(text):
        sup = "".join(c for c in scripts if c in _SUPERSCRIPTS).translate(_FROM_SUPERSCRIPT)  # a prime stays ′
        sub = "".join(c for c in scripts if c in _SUBSCRIPTS + ",").translate(_FROM_SUBSCRIPT)
        if sup and sub:
            out.append(f"<msubsup>{_run(base)}{_run(sub)}{_run(sup)}</msubsup>")
        elif sup:
            out.append(f"<msup>{_run(base)}{_run(sup)}</msup>")
        elif sub:
            out.append(f"<msub>{_run(base)}{_run(sub)}</msub>")
        else:
            out.append(_run(base))
    return out[0] if len(out) == 1 else f"<mrow>{''.join(out)}</mrow>"


def _xml_safe(text: str) -> str:
    """Named HTML entities (``&ExponentialE;``) as characters: XML knows only five."""
    return re.sub(r"&([A-Za-z]+);", lambda m: m.group(0) if m.group(1) in _XML_ENTITIES else _escape(html.unescape(m.group(0))), text)


class _ExpressionPrinter(MathMLPresentationPrinter):
    """SymPy's presentation MathML with the graph's names for symbols and functions."""

    def __init__(self, names: Mapping[object, str]):
        super().__init__({"mul_symbol": "dot"})
        self._names = names

    def _element(self, markup: str) -> Any:
        return parseString(markup).documentElement

    def _print_Symbol(self, sym: sp.Symbol, style: str = "plain") -> Any:
        return self._element(unicode_mathml(self._names.get(sym, sym.name)))

    def _print_Function(self, expr: sp.Function) -> Any:
        name = self._names.get(expr.func)
        if name is None:
            return super()._print_Function(expr)
        row = self.dom.createElement("mrow")
        row.appendChild(self._element(unicode_mathml(name)))
        row.appendChild(self._element("<mo>(</mo>"))
        for k, arg in enumerate(expr.args):
            if k:
                row.appendChild(self._element("<mo>,</mo>"))
            row.appendChild(self._print(arg))
        row.appendChild(self._element("<mo>)</mo>"))
        return row

    _print_AppliedUndef = _print_Function

    def _print_Piecewise(self, expr: sp.Piecewise) -> Any:
        row = self.dom.createElement("mrow")
        (value, condition), *rest = expr.args
        if value == 1 and len(rest) == 1 and rest[0][0] == 0 and rest[0][1] == sp.true:
            # Iverson bracket: 1 where the condition holds, else 0 (as the text printer).
            for part in (self._element("<mo>[</mo>"), self._print(condition), self._element("<mo>]</mo>")):
                row.appendChild(part)
            return row
        table = self.dom.createElement("mtable")
        for value, condition in expr.args:
            tr, td = self.dom.createElement("mtr"), self.dom.createElement("mtd")
            td.appendChild(self._print(value))
            words = "otherwise" if condition == sp.true else "if "
            td.appendChild(self._element(f"<mtext>\u2003{words}</mtext>"))
            if condition != sp.true:
                td.appendChild(self._print(condition))
            tr.appendChild(td)
            table.appendChild(tr)
        row.appendChild(self._element("<mo>{</mo>"))
        row.appendChild(table)
        return row

    def markup(self, expr: sp.Basic) -> str:
        return _xml_safe(self.doprint(expr))


def _row(*parts: str) -> str:
    return f"<mrow>{''.join(parts)}</mrow>"


def _mo(operator: str) -> str:
    return f"<mo>{_escape(operator)}</mo>"


class MathMLDocumentPrinter(DocumentPrinter, Printer):
    """Document nodes as MathML Core; ``doprint`` of a part gives one or more ``<math display="block">``.

    Marked work carries ``class="symbp-mark"`` and ``data-delta`` (the delta's symbol
    name), so a page's script and CSS can point at the repeated work of one delta.
    """

    printmethod = "_symbp_mathml"
    style = "text"
    times = "<mo>·</mo>"
    ellipsis = "…"
    hadamard = "⊙"
    _default_settings = {"network": None}

    def __init__(self, settings: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__({**(settings or {}), **kwargs})
        network = self._settings["network"]
        self._network: Network | None = network
        names: dict[object, str] = dict(build_graph(network).text_names) if network is not None else {}
        self._expressions = _ExpressionPrinter(names)

    def renamed(self, names: Mapping[object, str]) -> MathMLDocumentPrinter:
        """The same printer with some symbols shown under other names (index form)."""
        other = copy.copy(self)
        other._expressions = _ExpressionPrinter({**self._expressions._names, **names})
        return other

    def _print_Basic(self, expr: sp.Basic) -> str:
        return self._expressions.markup(expr)

    def factor(self, expr: object) -> str:
        """``expr`` as one factor of a product: bracketed when it is a sum."""
        text = self._print(expr)
        return _row(_mo("("), text, _mo(")")) if precedence(expr) < PRECEDENCE["Mul"] else text

    def sized_brackets(self, text: str) -> str:
        return _row(_mo("("), text, _mo(")"))

    # Mathematics nodes ------------------------------------------------------------------------

    def _print_Unit(self, node: Unit) -> str:
        return unicode_mathml(super()._print_Unit(node))

    def _print_ForEach(self, node: Any) -> str:
        return unicode_mathml(super()._print_ForEach(node))

    def _print_Sigma(self, node: Sigma) -> str:
        n = self.notation
        function = n.sigma_prime_function(node.layer) if node.prime else n.sigma(node.layer)
        argument = self._print(Vector("z", node.layer)) if node.index is None else unicode_mathml(n.unit("z", node.layer, node.index))
        return _row(unicode_mathml(function), _mo("("), argument, _mo(")"))

    def _print_Vector(self, node: Vector) -> str:
        letter = "δ" if node.letter == "delta" else node.letter
        base = f'<mi mathvariant="normal" style="font-weight:bold">{letter}</mi>'
        if node.layer is None:
            return base
        return f"<msup>{base}{_row(_mo('('), unicode_mathml(str(node.layer)), _mo(')'))}</msup>"

    def _print_Transpose(self, node: Transpose) -> str:
        inner = self._print(node.of)
        return f"<msup>{_row(_mo('('), inner, _mo(')'))}<mi>⊤</mi></msup>"

    def _print_Gradient(self, node: Gradient) -> str:
        return _row(f"<msub><mo>∇</mo>{self._print(node.wrt)}</msub>", "<mi>C</mi>")

    def _print_CostOf(self, node: CostOf) -> str:
        a, t = (Vector("a", node.layer), Vector("t")) if node.vectors else (Unit("a", node.layer, (1,)), Unit("t", node.layer, (1,)))
        return _row("<mi>C</mi>", _mo("("), self._print(a), _mo(","), self._print(t), _mo(")"))

    def _print_Partial(self, node: Partial) -> str:
        return f"<mfrac>{_row(_mo('∂'), self._print(node.of))}{_row(_mo('∂'), self._print(node.wrt))}</mfrac>"

    def _print_Term(self, node: Term) -> str:
        joiner = "" if node.implicit else self.times
        return _row(joiner.join(self.factor(f) for f in node.factors))

    def _print_Product(self, node: Any) -> str:
        return _row(*self.pieces(node))

    def _print_Sum(self, node: Sum) -> str:
        terms = [self._print(t) for t in node.terms]
        if node.one_per_row and len(terms) > 1:
            rows = "".join(f"<mtr><mtd>{_row(_mo('+') if k else '', t)}</mtd></mtr>" for k, t in enumerate(terms))
            body = f'<mtable class="symbp-rows">{rows}</mtable>'
        else:
            body = _row(*(t if not k else _row(_mo("+"), t) for k, t in enumerate(terms)))
        return _row(_mo("("), body, _mo(")")) if node.grouped and len(terms) > 1 else body

    def _print_IndexSum(self, node: IndexSum) -> str:
        operator = f"<munderover><mo>∑</mo>{_row(unicode_mathml(node.index), _mo('='), '<mn>1</mn>')}<mn>{node.upper}</mn></munderover>"
        total = _row(operator, self._print(node.body))
        return _row(_mo("("), total, _mo(")")) if node.grouped else total

    def _print_Marked(self, node: Marked) -> str:
        delta = self._print(node.delta)
        if node.terms > 1:  # one of the delta's several terms
            delta = _row(delta, f"<mtext>, term {node.term} of {node.terms}</mtext>")
        brace = f"<munder>{_row(self._print(node.body))}<mo>⏟</mo></munder>"
        return f'<munder class="symbp-mark" data-delta="{node.delta.name}" data-layer="{node.layer}">{brace}{delta}</munder>'

    def _print_LongExpression(self, node: LongExpression) -> str:
        return self._print(node.expr)

    # Structure ---------------------------------------------------------------------------------

    def _equation_cells(self, node: Equation) -> list[tuple[str, str]]:
        """(left cell, right cell) per row: the lhs with its first side, then ``= side`` on its own row if asked."""
        after = ""
        if node.for_each:
            after += f'<mspace width="1em"></mspace>{self._print(node.for_each)}'
        if node.note:
            after += f'<mspace width="1em"></mspace><mtext>({_escape(node.note)})</mtext>'
        sides = [_row(_mo("="), self._print(side)) for side in node.sides] or [""]
        sides[-1] = _row(sides[-1], after) if after else sides[-1]
        lhs = self._print(node.lhs)
        if not node.sides_on_new_rows:
            return [(lhs, _row(*sides))]
        return [(lhs if k == 0 else "", side) for k, side in enumerate(sides)]

    def _table(self, equations: Sequence[Equation]) -> str:
        rows = "".join(
            f'<mtr><mtd style="text-align:right">{left}</mtd><mtd style="text-align:left">{right}</mtd></mtr>'
            for equation in equations
            for left, right in self._equation_cells(equation)
        )
        return f'<math display="block"><mtable class="symbp-equations">{rows}</mtable></math>'

    def _print_Equation(self, node: Equation) -> str:
        return self._table([node])

    def _print_Section(self, node: Section) -> str:
        return "\n".join(self._table(group) for group in node.groups)

    def _print_NaiveExpansion(self, node: NaiveExpansion) -> str:
        return self._print(node.equation)

    def _print_RepeatedWorkPart(self, node: RepeatedWorkPart) -> str:
        return self._table(node.equations)

    def _print_Title(self, node: Title) -> str:
        """An HTML paragraph with the heading's words, its quantities as inline ``<math>``."""
        words = "".join(_escape(p) if isinstance(p, str) else f"<math>{self._print(p)}</math>" for p in node.pieces)
        return f'<p class="symbp-title">{words}</p>'

    def _print_Backprop(self, node: Backprop) -> str:
        steps = (f'<p class="symbp-title">{_escape(step.title)}</p>\n{self._print(step)}' for step in node.steps)
        return "\n".join([self._print(node.heading), *steps])

    def _print_ReferenceResult(self, node: ReferenceResult) -> str:
        return self._print(node.equation)

    def _print_Document(self, node: Document) -> str:
        """Each part under its heading; a backprop part's heading and step titles are its own."""
        blocks = [
            self._print(part) if isinstance(part, Backprop) else f"{self._print(part.heading)}\n{self._print(part)}"
            for part in node.parts
        ]
        return "\n".join(blocks) + "\n"

    def _print_Algorithm(self, node: Algorithm) -> str:
        """The heading with the network's line, then each pass under its title."""
        heading = self._print(Title((*node.heading.pieces, " ", network_line(node.network))))
        sections = [
            f"{self._print(Title((s.title + ', for ', s.for_each) if s.for_each else (s.title,)))}\n{self._print(s)}"
            for s in (node.forward, node.backward)
        ]
        return "\n".join([heading, *sections])

    def doprint(self, expr: object) -> str:
        return self._print(expr)


def mathml(obj: object, network: Network | None = None) -> str:
    """MathML Core for a document node or a SymPy expression of ``network`` (symbols in lecture notation).

    >>> import symbp
    >>> net = symbp.Network()
    >>> mathml(symbp.build_graph(net).z[3][0], net)
    '<msup><mi>z</mi><mrow><mo>(</mo><mn>3</mn><mo>)</mo></mrow></msup>'
    """
    return MathMLDocumentPrinter(network=getattr(obj, "network", network)).doprint(obj)
