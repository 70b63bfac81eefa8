r"""LaTeX of a document, in the lecture's notation, ready to paste into notes or show in Jupyter.

A ``LatexPrinter`` with one ``_print_<Node>`` method per document node. Symbols and
abstract functions print with the names ``build_graph`` chose (``W^{(2)}_{12}``,
``\sigma^{(2)\prime}(z^{(2)}_{1})``), so ``doprint`` of any formula of a derivation
is in lecture notation. Long rows break by an em estimate of their width (``width``),
in an ``aligned`` or ``align*`` environment (``env``; ``None`` for bare rows). The
output needs ``amsmath`` and ``xcolor`` (for the marks on repeated work).

>>> import symbp
>>> net = symbp.Network()
>>> LatexDocumentPrinter(network=net).doprint(symbp.build_graph(net).W[2][0, 1])
'W^{(2)}_{12}'
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import sympy as sp
from sympy.printing.latex import LatexPrinter, accepted_latex_functions
from sympy.printing.precedence import PRECEDENCE

from ..derive.backprop import BackpropDerivation
from ..derive.naive import NaiveDerivation
from ..derive.repeated import RepeatedWork
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
    Unit,
    Vector,
    algorithm_document,
    backprop_steps,
    naive_expansion,
    repeated_work_part,
    vectorized_document,
)
from ..docmodel import DescentStep, ExampleDocument, Number, Numbers, Table, Updated
from ..errors import SymbpError
from ..graph import build_graph
from ..spec import Network
from . import latex_arguments
from .base import network_line
from .base import DocumentPrinter, format_number, then
from .lines import BREAK, estimate_width, latex_rows

DEFAULT_WIDTH = 41.0
"""Usable width in em: A4 with 2 cm margins is about 44 em at 11 pt; the estimate keeps a margin."""

ENVIRONMENTS = ("aligned", "align*", None)

PAGE_ROWS = 20
"""Rows an ``align*`` may have before it may break across pages (a page holds about 25 rows of fractions)."""

BRACKET_SIZES = (r"\Big", r"\bigg", r"\Bigg")
r"""A bracket broken over rows, by how many broken brackets it holds (\left ... \right cannot span rows)."""

MARK_COLOURS = ("blue", "orange", "teal", "violet", "brown", "magenta")
"""xcolor base names that are CSS names too, so the same text works in KaTeX and MathJax."""


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def escape_latex(text: str) -> str:
    r"""Plain text for LaTeX's text mode: every special character printed literally.

    >>> escape_latex(r"50% of \input{x}")
    '50\\% of \\textbackslash{}input\\{x\\}'
    """
    return "".join(_LATEX_SPECIALS.get(c, c) for c in text)


def environment(groups: Sequence[Sequence[str]], env: str | None) -> str:
    """Rows of each group joined, groups set a little apart, wrapped in ``env``.

    An ``align*`` of more than ``PAGE_ROWS`` rows may break across pages after any row
    (``\\displaybreak[0]``), so that it needs no ``\\allowdisplaybreaks`` in the preamble.
    """
    if env not in ENVIRONMENTS:
        raise SymbpError(f"unknown environment {env!r}; accepted: aligned, align*, or None for bare rows")
    breakable = r"\displaybreak[0]" if env == "align*" and sum(map(len, groups)) > PAGE_ROWS else ""
    body = f"{breakable} \\\\[1ex]\n".join(f"{breakable} \\\\\n".join(rows) for rows in groups if rows)
    return body if env is None else f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}"


def _joined(terms: Sequence[Sequence[str]], bracket: bool = False, one_per_row: bool = False) -> list[str]:
    """Terms (each a list of pieces) joined by ``+``; breakable sized brackets when ``bracket``."""
    pieces: list[str] = []
    for n, term in enumerate(terms):
        if n and one_per_row:
            pieces.append(BREAK)
        first = term[0]
        pieces.append(first if not n or first.startswith("- ") else f"+ {first}")
        pieces.extend(term[1:])
    if bracket and len(terms) > 1:
        pieces[0] = rf"\Bigl({pieces[0]}"
        pieces[-1] = rf"{pieces[-1]}\Bigr)"
    return pieces


def _after_each(parts: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Terms or factors, each as (its operator, its pieces), joined; a part broken over rows ends its last row."""
    pieces: list[str] = []
    for lead, (head, *rest) in parts:
        pieces += [lead + head, *rest]
        if rest:
            pieces.append(BREAK)
    return pieces[:-1] if pieces[-1] == BREAK else pieces


def _bracketed(head: str, pieces: Sequence[str], depth: int, after: str = "") -> list[str]:
    """``head(pieces)after`` with a bracket that spans rows, sized by the ``depth`` of those inside it."""
    size = BRACKET_SIZES[min(depth, len(BRACKET_SIZES) - 1)]
    out = [f"{head}{size}l({pieces[0]}", *pieces[1:]]
    out[-1] += f"{size}r){after}"
    return out


def text_lines(words: str, width: float) -> list[str]:
    r"""``words`` as ``\text{...}`` lines of at most ``width`` em each (a longer word stands alone).

    >>> text_lines("(base case through softmax's Jacobian)", 10)
    ['\\text{(base case through}', "\\text{softmax's Jacobian)}"]
    """
    lines: list[str] = []
    for word in words.split():
        longer = f"{lines[-1]} {word}" if lines else word
        if lines and estimate_width(rf"\text{{{longer}}}") <= width:
            lines[-1] = longer
        else:
            lines.append(word)
    return [rf"\text{{{line}}}" for line in lines]


class LatexDocumentPrinter(DocumentPrinter, LatexPrinter):
    """SymPy's LaTeX printer with the graph's names for symbols and abstract functions, and the document nodes."""

    printmethod = "_symbp_latex"
    style = "latex"
    times = r"\cdot "
    ellipsis = r"\dots"
    hadamard = r"\odot"
    _default_settings = {**LatexPrinter._default_settings, "network": None, "env": "aligned", "width": DEFAULT_WIDTH}

    def __init__(self, settings: Mapping[str, Any] | None = None, **kwargs: Any):
        settings = {**(settings or {}), **kwargs}
        network = settings.get("network")
        names: dict[object, str] = {}
        if network is not None:
            graph = build_graph(network)
            names = dict(graph.latex_names)
            if graph.cost_function is not None:
                # Partials of an abstract C are written as the lecture writes dC/da^{(L)}, applied to its arguments.
                for partial, d_sym in zip(graph.partial_functions[graph.cost_function], graph.dC_da):
                    names[partial] = names[d_sym]
        symbol_names = {k: v for k, v in names.items() if isinstance(k, sp.Symbol)}
        settings["symbol_names"] = {**symbol_names, **settings.get("symbol_names", {})}
        super().__init__(settings)
        self._network: Network | None = network
        self._function_names = {k: v for k, v in names.items() if not isinstance(k, sp.Symbol)}
        self._printed: dict[sp.Basic, str] | None = None

    def renamed(self, names: Mapping[object, str]) -> LatexDocumentPrinter:
        """The same printer with some symbols shown under other names (index form)."""
        other = copy.copy(self)
        other._settings = {**self._settings, "symbol_names": {**self._settings["symbol_names"], **names}}
        return other

    def factor(self, expr: object) -> str:
        """``expr`` as one factor of a product: bracketed when it is a sum (a(1 - a) stays bare).

        Cases are bracketed too: their brace opens on the left only, so a factor after
        them would read as part of the last case.
        """
        text = self.parenthesize(expr, PRECEDENCE["Mul"], strict=True)
        # A negative factor too (softmax's -a_k a_j): "\cdot -" would read as a subtraction.
        negative_number = isinstance(expr, Number) and text.startswith("-")  # "0.2 \cdot -0.5" reads as a subtraction
        return rf"\left({text}\right)" if negative_number or text.startswith((r"\begin{cases}", "- ")) else text

    # SymPy expressions ---------------------------------------------------------------------

    def _print_Function(self, expr: sp.Function, exp: str | None = None) -> str:
        name = self._function_names.get(expr.func)
        if name is None:
            return super()._print_Function(expr, exp)
        text = rf"{name}\left({', '.join(self._print(arg) for arg in expr.args)}\right)"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"

    def _print_NumberSymbol(self, expr: sp.NumberSymbol) -> str:
        # pi (in a defined GELU's derivative) prints itself through SymPy's ``_latex``, which
        # ``printmethod`` above bypasses: without this it came out as ``\text{\Pi}`` and broke pdflatex.
        return expr._latex(self)

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        # ReLU's derivative as a teacher writes it: the indicator 1[z > 0].
        if len(expr.args) == 2:
            (value, condition), (other, otherwise) = (pair.args for pair in expr.args)
            if value == 1 and other == 0 and otherwise == sp.true:
                return rf"\mathbf{{1}}\left[{self._print(condition)}\right]"  # \mathbb{1} needs bbm
        return super()._print_Piecewise(expr)

    # Mathematics nodes ------------------------------------------------------------------------

    def _print_Sigma(self, node: Sigma) -> str:
        n = self.notation
        if node.index is None:
            function = n.sigma_prime_function(node.layer) if node.prime else n.sigma(node.layer)
            return f"{function}({self._print(Vector('z', node.layer))})"
        if node.prime:
            return n.sigma_prime(node.layer, node.index)
        return rf"{n.sigma(node.layer)}({n.unit('z', node.layer, node.index)})"

    def _print_Vector(self, node: Vector) -> str:
        if node.letter == "delta":
            return rf"\boldsymbol{{\delta}}^{{({node.layer})}}"
        return rf"\mathbf{{{node.letter}}}" + ("" if node.layer is None else f"^{{({node.layer})}}")

    def _print_Transpose(self, node: Transpose) -> str:
        inner = self._print(node.of)
        # A matrix name takes plain brackets, as the issue writes (W^{(m+1)})^T; a bold vector sized ones.
        return (f"({inner})" if isinstance(node.of, Unit) else self.sized_brackets(inner)) + r"^{\top}"

    def sized_brackets(self, text: str) -> str:
        return rf"\bigl({text}\bigr)"

    def _print_Gradient(self, node: Gradient) -> str:
        return rf"\nabla_{{{self._print(node.wrt)}}} C"

    def _print_CostOf(self, node: CostOf) -> str:
        if node.vectors:
            return rf"C\bigl(\mathbf{{a}}^{{({node.layer})}}, \mathbf{{t}}\bigr)"
        return rf"C\bigl(a^{{({node.layer})}}, t\bigr)"

    def _print_Partial(self, node: Partial) -> str:
        return rf"\frac{{\partial {self._print(node.of)}}}{{\partial {self._print(node.wrt)}}}"

    def _print_Term(self, node: Term) -> str:
        return (" " if node.implicit else r" \cdot ").join(self.factor(f) for f in node.factors)

    def _print_IndexSum(self, node: IndexSum) -> str:
        total = rf"\sum_{{{node.index}=1}}^{{{node.upper}}} {self._print(node.body)}"
        return rf"\Bigl({total}\Bigr)" if node.grouped else total

    def _print_Marked(self, node: Marked) -> str:
        colour = MARK_COLOURS[(self._network.L - node.layer) % len(MARK_COLOURS)]
        label = self._print(node.delta) + (rf"\text{{, term {node.term} of {node.terms}}}" if node.terms > 1 else "")
        return rf"{{\color{{{colour}}}\underbrace{{{self._print(node.body)}}}_{{{label}}}}}"

    # Pieces for the line breaker -------------------------------------------------------------

    def _pieces_Sum(self, node: Sum) -> list[str]:
        return _joined([self.pieces(t) for t in node.terms], bracket=node.grouped, one_per_row=node.one_per_row)

    def function_head(self, expr: sp.Function) -> str | None:
        name = self._function_names.get(expr.func)
        if name is not None:
            return name
        function = expr.func.__name__
        return f"\\{function}" if function == "exp" or function in accepted_latex_functions else None

    def _pieces_LongExpression(self, node: LongExpression) -> list[str]:
        """Pieces no wider than 0.8 of the width where possible (room for the left side, a quad, the estimate's error)."""
        self._printed = {}  # each subexpression printed once, though the breaker asks for it at every level
        try:
            return self.expression_pieces(node.expr, 0.8 * self._settings["width"])[0]
        finally:
            self._printed = None

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if self._printed is None or kwargs or not isinstance(expr, sp.Basic):
            return super()._print(expr, **kwargs)
        text = self._printed.get(expr)
        if text is None:
            text = self._printed[expr] = super()._print(expr)
        return text

    def expression_pieces(self, expr: sp.Expr, budget: float) -> tuple[list[str], int]:
        """``expr`` as pieces no wider than ``budget`` where possible, and how many broken brackets nest in them.

        An expression that fits is one piece. Else a sum breaks before each term, a
        product before each factor, and a function (sigma, exp, a cost partial) or a
        power whose argument is too wide opens its bracket on one row and closes it on a
        later one; each broken bracket is one size larger than those it holds. What has
        no such structure stays one piece.
        """
        text = self._print(expr)
        if estimate_width(text) <= budget:
            return [text], 0
        if isinstance(expr, sp.Add):
            terms = []
            for term in self._as_ordered_terms(expr):
                negative = term.could_extract_minus_sign()
                pieces, depth = self.expression_pieces(-term if negative else term, budget)
                terms.append((negative, pieces, depth))
            parts = [("- " if negative else "+ " if k else "", pieces) for k, (negative, pieces, _) in enumerate(terms)]
            return _after_each(parts), max(depth for *_, depth in terms)
        if isinstance(expr, sp.Mul):
            if expr.could_extract_minus_sign():
                (head, *rest), depth = self.expression_pieces(-expr, budget)
                return ["- " + head, *rest], depth
            factors = [self._factor_pieces(factor, budget) for factor in expr.as_ordered_factors()]
            parts = [(self.times if k else "", pieces) for k, (pieces, _) in enumerate(factors)]
            return _after_each(parts), max(depth for _, depth in factors)
        if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
            pieces, depth = self.expression_pieces(expr.base, budget)
            if len(pieces) == 1:  # a base that fits: bracketing it would make the whole no narrower
                return [text], 0
            power = f"^{{{self._print(expr.exp)}}}"
            if expr.exp > 0 and isinstance(expr.base, sp.Function) and depth:  # sigma(...)^2: its own brackets
                return [*pieces[:-1], pieces[-1] + power], depth
            return _bracketed("", pieces, depth, power), depth + 1
        if isinstance(expr, sp.Function) and expr.args:
            head = self.function_head(expr)
            if head is not None:
                pieces, depth = [], 0
                for k, arg in enumerate(expr.args):
                    inner, inner_depth = self.expression_pieces(arg, budget)
                    if k:
                        pieces[-1] += ","
                    pieces += inner
                    depth = max(depth, inner_depth)
                if len(pieces) > 1:
                    return _bracketed(head, pieces, depth), depth + 1
        return [text], 0

    def _factor_pieces(self, factor: sp.Expr, budget: float) -> tuple[list[str], int]:
        text = self.factor(factor)
        if estimate_width(text) <= budget:
            return [text], 0
        pieces, depth = self.expression_pieces(factor, budget)
        if isinstance(factor, sp.Add):  # a sum as a factor keeps its brackets, broken
            return _bracketed("", pieces, depth), depth + 1
        return pieces, depth

    # Structure ---------------------------------------------------------------------------------

    def equation_pieces(self, node: Equation) -> tuple[str, list[str]]:
        pieces: list[str] = []
        for k, side in enumerate(node.sides):
            if k and node.sides_on_new_rows:
                pieces.append(BREAK)
            pieces += then("= ", self.pieces(side))
        after = (rf", \quad {self._print(node.for_each)}" if node.for_each else "")
        note = rf"\qquad \text{{({node.note})}}" if node.note else ""
        own_row: list[str] = []
        if estimate_width(note) > self._settings["width"] / 2:
            # A long note would run off a slide: it gets rows of its own, wrapped to half the line
            # (\text rows, not a \parbox, which MathJax and so Jupyter and Markdown viewers lack).
            for line in text_lines(f"({node.note})", self._settings["width"] / 2):
                own_row += [BREAK, line]
            note = ""
        if pieces:
            pieces[-1] += after + note
        elif after or note:
            pieces = [after + note]
        pieces += own_row
        return self._print(node.lhs), pieces

    def rows(self, equations: Sequence[Equation]) -> list[str]:
        return latex_rows([self.equation_pieces(e) for e in equations], self._settings["width"])

    def _print_Equation(self, node: Equation) -> str:
        return environment([self.rows([node])], self._settings["env"])

    def section_groups(self, node: Section) -> list[list[str]]:
        return [self.rows(group) for group in node.groups]

    def _print_Section(self, node: Section) -> str:
        return environment(self.section_groups(node), self._settings["env"])

    def _print_NaiveExpansion(self, node: NaiveExpansion) -> str:
        return self._print(node.equation)

    def _print_RepeatedWorkPart(self, node: RepeatedWorkPart) -> str:
        return environment([self.rows(node.equations)], self._settings["env"])

    def _print_Backprop(self, node: Backprop) -> str:
        # Each step's title as a comment line: LaTeX, KaTeX and MathJax all skip it, a reader of the source sees it.
        groups = []
        for step in node.steps:
            first, *rest = [rows for rows in self.section_groups(step) if rows] or [[""]]
            groups += [[f"% {step.title}\n{first[0]}", *first[1:]], *rest]
        return environment(groups, self._settings["env"])

    def _print_ReferenceResult(self, node: ReferenceResult) -> str:
        return self._print(node.equation)

    def _print_Title(self, node: Title) -> str:
        """The heading's words as they are, its quantities as inline math: ``$\\partial C / \\partial W^{(2)}_{12}$``."""
        return "".join(piece if isinstance(piece, str) else f"${self.inline(piece)}$" for piece in node.pieces)

    def inline(self, node: object) -> str:
        """``node`` for the flow of a line: a partial as ``\\partial C / \\partial W`` (not a tall fraction)."""
        if isinstance(node, Partial):
            return rf"\partial {self._print(node.of)} / \partial {self._print(node.wrt)}"
        return self._print(node)

    def _print_Document(self, node: Document) -> str:
        if self._settings["env"] != "align*":  # display math: every part, the repeated work too, one block
            parts = " \\\\[3ex]\n".join(self._print(p) for p in node.parts)
            return f"\\begin{{gathered}}\n{parts}\n\\end{{gathered}}"
        # One environment per part, under a comment with its heading (the words of every format's heading).
        labelled = [(self._print(p.heading), p) for p in node.parts]
        # The naive expansions' marks on repeated work are \color{...}: xcolor, besides amsmath's align*.
        packages = "amsmath, xcolor" if any(isinstance(p, NaiveExpansion) for p in node.parts) else "amsmath"
        header = f"% {network_line(node.network)}\n% needs \\usepackage{{{packages}}}\n"
        return header + "\n\n".join(f"% {text}\n{self._print(p)}" for text, p in labelled) + "\n"

    def algorithm_groups(self, node: Algorithm) -> list[list[str]]:
        forward = node.forward
        # Headings start at the alignment point: text that every engine (LaTeX, KaTeX, MathJax) sets alike.
        heading = rf"&\text{{{forward.title}, for }} {self._print(forward.for_each)}\text{{:}}"
        return [
            [heading],
            *self.section_groups(forward),
            [rf"&\text{{{node.backward.title}:}}"],
            *self.section_groups(node.backward),
        ]

    def _print_Algorithm(self, node: Algorithm) -> str:
        body = environment(self.algorithm_groups(node), self._settings["env"])
        if self._settings["env"] != "align*":  # display math (Jupyter, templates): the mathematics alone
            return body
        # A file: its heading and network as comments, as a document's parts have theirs.
        return f"% {self._print(node.heading)}\n% {network_line(node.network)}\n% needs \\usepackage{{amsmath}}\n{body}\n"


    # Worked examples ----------------------------------------------------------------------------

    def _print_Number(self, node: Number) -> str:
        return format_number(node.value, node.digits, pad=not node.given)

    def _number_name(self, value: float, digits: int, given: bool = False) -> str:
        text = format_number(value, digits, pad=not given)
        return rf"\left({text}\right)" if text.startswith("-") else text

    def _print_Numbers(self, node: Numbers) -> str:
        printer = self.renamed({symbol: self._number_name(value, node.digits, symbol in node.given) for symbol, value in node.values})
        # Numbers side by side need a visible product sign: 0.15 \cdot 0.05, never 0.15 0.05.
        printer._settings = {**printer._settings, "mul_symbol_latex": r" \cdot ", "mul_symbol_latex_numbers": r" \cdot "}
        # A bracketed negative number as a function's argument: \tanh(-0.5), never \tanh((-0.5)).
        return re.sub(r"\\left\(\\left\((-[0-9.e+-]+)\\right\) ?\\right\)", r"\\left(\1\\right)",
                      printer.doprint(node.expr))

    def _print_Updated(self, node: Updated) -> str:
        return rf"{{{self._print(node.parameter)}}}^{{+}}"

    def _print_DescentStep(self, node: DescentStep) -> str:
        if node.numbers is None:
            name = self._print(node.parameter)
            return rf"{name} - \eta \frac{{\partial C}}{{\partial {name}}}"
        before, lr, gradient = (self._number_name(v, node.digits, given) for v, given in zip(node.numbers, node.given))
        return rf"{before} - {lr} \cdot {gradient}"

    def table_rows(self, node: Table) -> list[str]:
        header = [rf"\text{{{h}}}" if isinstance(h, str) else self._print(h) for h in node.header]
        body = [" & ".join(self._print(cell) for cell in row) for row in node.rows]
        columns = "r" * len(node.header)
        return [rf"\begin{{array}}{{{columns}}}", " & ".join(header) + r" \\ \hline", *(row + r" \\" for row in body),
                r"\end{array}"]

    def _print_Table(self, node: Table) -> str:
        return "\n".join(self.table_rows(node))

    def _example_groups_Section(self, node: Section) -> list[list[str]]:
        return self.section_groups(node)

    def _example_groups_Table(self, node: Table) -> list[list[str]]:
        return [["&" + self._print(node)]]

    def example_groups(self, node: ExampleDocument) -> list[list[str]]:
        """Every part in one environment, each after its heading row (for ``aligned`` inside one display)."""
        groups: list[list[str]] = []
        for part in node.parts:
            groups.append([rf"&\text{{{part.title}:}}"])
            groups += self.method_for("_example_groups_", part)(part)
        return groups

    def _print_ExampleDocument(self, node: ExampleDocument) -> str:
        # One environment per part, its title as a paragraph: a display cannot break across pages.
        blocks = [f"% worked example: {node.note}"]
        for part in node.parts:
            body = environment(self.method_for("_example_groups_", part)(part), self._settings["env"])
            blocks.append(f"\\par\\noindent\\textbf{{{part.title}:}}\n{body}")
        return "\n\n".join(blocks) + "\n"


def latex(
    obj: object,
    network: Network | None = None,
    *,
    env: str | None = "aligned",
    width: float = DEFAULT_WIDTH,
    repeated: RepeatedWork | None = None,
    values: bool = True,
    **settings: Any,
) -> str:
    r"""LaTeX for a derivation (naive, backprop, reference), a document node, or a SymPy expression of ``network``.

    ``env`` wraps the rows, ``repeated``
    says which prefixes of a naive expansion to mark (default: its own repeats),
    ``values=False`` stops after the Leibniz form; other keywords are SymPy LaTeX settings.

    >>> import symbp
    >>> net = symbp.Network()
    >>> latex(symbp.build_graph(net).W[2][0, 1], net)
    'W^{(2)}_{12}'
    """
    network, width = latex_arguments(obj, network, width, repeated, DEFAULT_WIDTH)
    printer = LatexDocumentPrinter(network=network, env=env, width=width, **settings)
    if isinstance(obj, NaiveDerivation):
        node = naive_expansion(obj, repeated)
        if not values:
            equation = node.equation
            leibniz = 2 if obj.network.batch > 1 or obj.network.l2 else 1  # after the batch's definition
            node = type(node)(node.entry, node.paths, node.factors, type(equation)(equation.lhs, equation.sides[:leibniz]))
        return printer.doprint(node)
    if isinstance(obj, sp.Basic):
        return printer.doprint(obj)
    if hasattr(obj, "_repr_latex_"):
        from ..docmodel import document_of

        return printer.doprint(document_of(obj))
    raise SymbpError(
        f"cannot print {type(obj).__name__} as LaTeX; accepted: a naive, backprop or reference derivation, "
        "a document node, or a SymPy expression with its network"
    )


# The pieces the notes templates use ---------------------------------------------------------------


@dataclass(frozen=True)
class LatexStep:
    """One step of the backprop derivation: a plain-text title and its LaTeX."""

    title: str
    latex: str


def latex_backprop_steps(
    derivation: BackpropDerivation, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any
) -> tuple[LatexStep, ...]:
    """The lecture's steps for this network: output layer, each hidden layer, then the gradients."""
    printer = LatexDocumentPrinter(network=derivation.network, env=env, width=width, **settings)
    return tuple(LatexStep(step.title, printer.doprint(step)) for step in backprop_steps(derivation).steps)


def _printed(node: object, network: Network, env: str | None, width: float, settings: Mapping[str, Any]) -> str:
    return LatexDocumentPrinter(network=network, env=env, width=width, **settings).doprint(node)


def latex_forward(network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any) -> str:
    """The forward pass in index form, with concrete non-linearities and cost filled in."""
    return _printed(algorithm_document(network).forward, network, env, width, settings)


def latex_backward(network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any) -> str:
    """The backward pass in index form: base case, recursive case per layer, gradients."""
    return _printed(algorithm_document(network).backward, network, env, width, settings)


def latex_algorithm(network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any) -> str:
    """The lecture's "Truly Complete Version" for this network: forward pass, then backward pass."""
    return _printed(algorithm_document(network), network, env, width, settings)


def latex_vectorized(network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any) -> str:
    r"""The matrix form of backprop (``\odot`` elementwise), then concrete sigma' and dC/da elementwise."""
    return _printed(vectorized_document(network), network, env, width, settings)


def latex_repeated(
    work: RepeatedWork, network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any
) -> str:
    """Each delta that stands for repeated work: its terms in Leibniz form, and how often the naive expansions compute them."""
    return _printed(repeated_work_part(work), network, env, width, settings)


def latex_example_parts(example: object, *, width: float = DEFAULT_WIDTH) -> list[tuple[str, str]]:
    """(title, bare rows) of each part of a worked example (a ``symbp.example.WorkedExample``), for templates."""
    from ..docmodel import worked_example_document

    document = worked_example_document(example)  # type: ignore[arg-type]
    printer = LatexDocumentPrinter(network=document.network, env=None, width=width)
    return [(part.title, environment(printer.method_for("_example_groups_", part)(part), None))
            for part in document.parts]
