r"""LaTeX for derivations, in the lecture's notation, ready to paste into notes or show in Jupyter.

Symbols and abstract functions print with the names ``build_graph`` chose
(``W^{(2)}_{12}``, ``\sigma^{(2)\prime}(z^{(2)}_{1})``); index forms such as
``z^{(m)}_{j}`` follow the same conventions. Everything here only prints what a
derivation kept (paths, factors, deltas); no chain rule is applied here.

Long sums and products are broken over rows of an ``aligned`` (or ``align*``)
environment by an estimate of their printed width, so that equations fit an A4
page (``width`` is in em of the body font). The output needs ``amsmath`` and
``xcolor`` (for the highlight of repeated work).

>>> import symbp
>>> print(latex(symbp.naive(symbp.Network(), "W2_1_2")))  # doctest: +ELLIPSIS
\begin{aligned}
\frac{\partial C}{\partial W^{(2)}_{12}} &= \frac{\partial C}{\partial a^{(3)}} \cdot ...
\end{aligned}
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from ..derive.backprop import BackpropDerivation, DeltaStep, GradientStep
from ..derive.naive import Factor, NaiveDerivation, Path
from ..derive.reference import ReferenceDerivation
from ..derive.repeated import RepeatedWork, SharedPrefix, repeated_work
from ..errors import SymbpError
from ..graph import Graph, Notation, build_graph
from ..spec import Network

DEFAULT_WIDTH = 41.0
"""Usable width in em: A4 with 2 cm margins is about 44 em at 11 pt; the estimate keeps a margin."""

ENVIRONMENTS = ("aligned", "align*", None)

MARK_COLOURS = ("blue", "orange", "teal", "violet", "brown", "magenta")
"""xcolor base names that are CSS names too, so the same text works in KaTeX and MathJax."""

BREAK = "\n"
"""A piece that puts the next piece on a new row."""

Pieces = list[str]
Equation = tuple[str, Pieces]
"""A left-hand side and the pieces after it; a piece starts with its operator ("= ", "+ ", "\\cdot ")."""


class SymbpLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the graph's names for symbols and for abstract functions."""

    printmethod = "_latex"

    def __init__(self, names: Mapping[object, str] | None = None, settings: Mapping[str, Any] | None = None):
        names = dict(names or {})
        symbol_names = {k: v for k, v in names.items() if isinstance(k, sp.Symbol)}
        settings = dict(settings or {})
        settings["symbol_names"] = {**symbol_names, **settings.get("symbol_names", {})}
        super().__init__(settings)
        self._names = names
        self._given_settings = {k: v for k, v in settings.items() if k != "symbol_names"}
        self._function_names = {k: v for k, v in names.items() if not isinstance(k, sp.Symbol)}

    def renamed(self, names: Mapping[object, str]) -> SymbpLatexPrinter:
        """The same printer with some symbols shown under other names (index form, vectors)."""
        return SymbpLatexPrinter({**self._names, **names}, self._given_settings)

    def _print_Function(self, expr: sp.Function, exp: str | None = None) -> str:
        name = self._function_names.get(expr.func)
        if name is None:
            return super()._print_Function(expr, exp)
        text = rf"{name}\left({', '.join(self._print(arg) for arg in expr.args)}\right)"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        # ReLU's derivative as a teacher writes it: the indicator 1[z > 0].
        if len(expr.args) == 2:
            (value, condition), (other, otherwise) = (pair.args for pair in expr.args)
            if value == 1 and other == 0 and otherwise == sp.true:
                return rf"\mathbf{{1}}\left[{self._print(condition)}\right]"  # \mathbb{1} needs bbm
        return super()._print_Piecewise(expr)

    def factor(self, expr: sp.Expr) -> str:
        """``expr`` as one factor of a product: parenthesised when it is a sum (a(1 - a) stays bare).

        Cases are parenthesised too: their brace opens on the left only, so a factor
        after them would read as part of the last case.
        """
        text = self.parenthesize(expr, PRECEDENCE["Mul"], strict=True)
        return rf"\left({text}\right)" if text.startswith(r"\begin{cases}") else text


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


# Notation ---------------------------------------------------------------------


def _partial(of: str, wrt: str) -> str:
    return rf"\frac{{\partial {of}}}{{\partial {wrt}}}"


def count_up(n: int) -> str:
    """``1, \\dots, n`` as the lecture writes it (``1, 2`` and ``1`` in full)."""
    return "1" if n == 1 else "1, 2" if n == 2 else rf"1, \dots, {n}"


def _index_range(letter: str, n: int) -> str:
    """``, i = 1, \\dots, n`` after an index-form equation; nothing when there is one unit."""
    return "" if n == 1 else rf", \quad {letter} = {count_up(n)}"


def _vector_names(graph: Graph, m: int) -> dict[object, str]:
    """Names that print unit 1 of layer ``m`` as the whole vector (for elementwise formulas)."""
    names: dict[object, str] = {graph.z[m][0]: rf"\mathbf{{z}}^{{({m})}}", graph.a[m][0]: rf"\mathbf{{a}}^{{({m})}}"}
    if m == graph.network.L:
        names[graph.t[0]] = r"\mathbf{t}"
    return names


# Width estimate and layout ----------------------------------------------------------

_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
# Widths in em of the commands that are not one Greek letter (0.6), measured against pdflatex at 11 pt.
_COMMAND_WIDTHS = {
    **dict.fromkeys(["displaystyle", "limits", "nolimits", "color"], 0.0),
    **dict.fromkeys(["left", "right"], 0.16),  # a sized delimiter is wider than the 0.39 em of "("
    **dict.fromkeys(["bigl", "bigr", "Bigl", "Bigr", "big", "Big"], 0.2),  # and the delimiter after it
    **{"quad": 1.0, "qquad": 2.0, ",": 0.17, ":": 0.22, ";": 0.28, "!": -0.17, " ": 0.33},
    **{"cdot": 0.72, "odot": 1.22, "times": 1.22, "top": 0.78, "prime": 0.3},
    **dict.fromkeys(["dots", "ldots", "cdots"], 1.2),
    **{name: 0.5 * len(name) + 0.2 for name in ("log", "exp", "tanh", "max", "min")},
}
_TEXT = {"text", "textit", "textbf", "mathrm"}
_BOLD = {"mathbf", "boldsymbol", "mathbb"}
_LARGE = {"sum": 1.3, "underbrace": 0.0}  # their scripts sit below and above, not beside


def _group(tex: str, i: int) -> tuple[str, int]:
    """The ``{...}`` group (or single token) starting at ``i``, and the index after it."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return "", i
    if tex[i] != "{":
        match = _COMMAND.match(tex, i)
        end = match.end() if match else i + 1
        return tex[i:end], end
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1 : j], j + 1
    return tex[i + 1 :], len(tex)


def estimate_width(tex: str) -> float:
    """Printed width of display-math ``tex`` in em, roughly (good to about 10%).

    Used only to decide where long sums and products break; the compile tests
    check the result against TeX's own measure (no overfull boxes).
    """
    total = 0.0
    i = 0
    base_is_large = False  # scripts of \sum and \underbrace stack instead of adding width
    large_width = 0.0
    script = 0.0  # width of the scripts already attached to the current base
    while i < len(tex):
        c = tex[i]
        if c in "^_":
            arg, i = _group(tex, i + 1)
            w = 0.82 * estimate_width(arg)
            if base_is_large:
                grown = max(large_width, w)
                total += grown - large_width
                large_width = grown
            else:
                total += max(0.0, w - script)
                script = max(script, w)
            continue
        script = 0.0
        base_is_large = False
        if tex.startswith(r"\begin{cases}", i):
            end = tex.find(r"\end{cases}", i)
            end = len(tex) if end < 0 else end
            rows = tex[i + len(r"\begin{cases}") : end].split(r"\\")
            # The rows stack: as wide as the widest, plus the brace and the quad between columns.
            total += 2.6 + max(sum(estimate_width(cell) for cell in row.split("&")) for row in rows)
            i = end + len(r"\end{cases}")
            continue
        if c == "\\":
            match = _COMMAND.match(tex, i)
            name = match.group(1)
            i = match.end()
            if name == "frac":
                top, i = _group(tex, i)
                bottom, i = _group(tex, i)
                total += max(estimate_width(top), estimate_width(bottom)) + 0.25
            elif name in _TEXT or name in _BOLD or name == "color":
                arg, i = _group(tex, i)
                if name in _TEXT:
                    total += 0.42 * len(arg)
                elif name in _BOLD:
                    total += 1.1 * estimate_width(arg)
                # \color's argument is a name, not printed
            elif name in _LARGE:
                large_width = _LARGE[name]
                if name == "underbrace":
                    arg, i = _group(tex, i)
                    large_width = estimate_width(arg)
                total += large_width
                base_is_large = True
            else:
                total += _COMMAND_WIDTHS.get(name, 0.6)  # 0.6: a Greek letter, \partial, \nabla
            continue
        i += 1
        if c in "{} &":
            continue
        if c in "+-":
            total += 1.22
        elif c in "=<>":
            total += 1.33
        elif c in "()[]|":
            total += 0.39
        elif c == ",":
            total += 0.45
        elif c.isdigit():
            total += 0.5
        elif c.isupper():
            total += 0.8  # W dominates: 0.94 em
        else:
            total += 0.55
    return total


def _rows(equations: Sequence[Equation], width: float) -> list[str]:
    """Aligned rows for ``equations``: fill each row greedily, break before an operator.

    When a row overflows it is broken before its last ``=`` if what follows still
    fits on one row (the lecture's chains read best one ``=`` per row); otherwise
    before the piece that did not fit. A row that starts with a relation aligns on
    it; any other continuation row is indented by a quad. All equations share one
    alignment column, so the room on the right is what the widest left side leaves.
    """
    left = max((estimate_width(lhs) for lhs, _ in equations), default=0.0)
    room = width - left
    rows: list[str] = []
    for lhs, pieces in equations:
        start = f"{lhs} &"
        current: list[str] = []

        def flush(keep: int) -> None:
            nonlocal start, current
            rows.append(start + " ".join(current[:keep]))
            start, current = "&", current[keep:]

        for piece in pieces:
            if piece == BREAK:
                if current:
                    flush(len(current))
                continue
            if current and _row_width(current + [piece]) > room:
                relations = [n for n, p in enumerate(current) if n and p.startswith("= ")]
                if relations and _row_width(current[relations[-1] :] + [piece]) <= room:
                    flush(relations[-1])
                else:
                    flush(len(current))
            current.append(piece)
        if current:
            flush(len(current))
    # A continuation that does not start with a relation is indented under the right-hand side.
    return [r if not r.startswith("&") or r.startswith("&= ") else "&\\quad " + r[1:] for r in rows]


def _row_width(pieces: Sequence[str]) -> float:
    indent = 0.0 if pieces[0].startswith("= ") else 1.0
    return indent + sum(estimate_width(p) for p in pieces)


def _environment(groups: Iterable[list[str]], env: str | None) -> str:
    """Rows of each group joined, groups set a little apart, wrapped in ``env``."""
    if env not in ENVIRONMENTS:
        raise SymbpError(f"unknown environment {env!r}; accepted: aligned, align*, or None for bare rows")
    body = " \\\\[1ex]\n".join(" \\\\\n".join(rows) for rows in groups if rows)
    return body if env is None else f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}"


def _product(texts: Sequence[str], first_operator: str = "") -> Pieces:
    """Factors as pieces of a product: ``a``, ``\\cdot b``, ``\\cdot c``."""
    return [f"{first_operator}{t}" if n == 0 else rf"\cdot {t}" for n, t in enumerate(texts)]


def _sum(terms: Sequence[Pieces], bracket: bool = False, break_terms: bool = False) -> Pieces:
    """Terms (each a list of pieces) joined by ``+``; breakable sized brackets when ``bracket``."""
    pieces: Pieces = []
    for n, term in enumerate(terms):
        if n and break_terms:
            pieces.append(BREAK)
        first = term[0]
        if n and first.startswith("- "):
            pieces.append(first)
        else:
            pieces.append(f"+ {first}" if n else first)
        pieces.extend(term[1:])
    if bracket and len(terms) > 1:
        pieces[0] = rf"\Bigl({pieces[0]}"
        pieces[-1] = rf"{pieces[-1]}\Bigr)"
    return pieces


def _then(operator: str, pieces: Pieces) -> Pieces:
    """``pieces`` led by ``operator`` (``= ``, ``\\cdot ``)."""
    return [f"{operator}{pieces[0]}", *pieces[1:]]


# The printer a derivation is shown with -----------------------------------------------


def _printer(network: Network, settings: Mapping[str, Any]) -> SymbpLatexPrinter:
    return SymbpLatexPrinter(build_graph(network).latex_names, settings)


def _name(printer: SymbpLatexPrinter, symbol: sp.Symbol) -> str:
    return printer.doprint(symbol)


# Naive ------------------------------------------------------------------------------


def _leibniz(printer: SymbpLatexPrinter, factor: Factor) -> str:
    return _partial(_name(printer, factor.of), _name(printer, factor.wrt))


def _marked_chain(texts: list[str], marks: Sequence[SharedPrefix], printer: SymbpLatexPrinter, L: int) -> Pieces:
    """Factors with each shared prefix under a coloured brace labelled with its delta.

    The prefixes of one path are nested (each contains the shorter ones), so the
    braces nest too: delta^{(3)} sits inside delta^{(2)}_1 as it does in the recursion.
    """
    if not marks:
        return _product(texts)
    body = ""
    done = 0
    for mark in marks:
        end = len(mark.factors)
        body = " \\cdot ".join(([body] if body else []) + texts[done:end])
        colour = MARK_COLOURS[(L - mark.layer) % len(MARK_COLOURS)]
        body = rf"{{\color{{{colour}}}\underbrace{{{body}}}_{{{_name(printer, mark.delta)}}}}}"
        done = end
    return [body, *_product(texts[done:], first_operator=r"\cdot ")]


def _common_ends(paths: Sequence[Path]) -> tuple[int, int]:
    """How many factors all paths share at the top (from C) and at the bottom (at the entry)."""
    keys = [[(f.of, f.wrt) for f in p.factors] for p in paths]
    shortest = min(len(k) for k in keys)
    top = 0
    while top < shortest and all(k[top] == keys[0][top] for k in keys):
        top += 1
    bottom = 0
    while bottom < shortest - top and all(k[-1 - bottom] == keys[0][-1 - bottom] for k in keys):
        bottom += 1
    return top, bottom


def _naive_equation(derivation: NaiveDerivation, printer: SymbpLatexPrinter, work: RepeatedWork, values: bool) -> Equation:
    """The chain in Leibniz form (repeated work marked); with ``values`` each factor evaluated, then grouped."""
    graph = build_graph(derivation.network)
    L = derivation.network.L
    entry_symbol = graph.symbol(derivation.entry)
    lhs = _partial("C", _name(printer, entry_symbol))
    leibniz = [
        _marked_chain([_leibniz(printer, f) for f in path.factors], work.in_path(derivation.entry, index), printer, L)
        for index, path in enumerate(derivation.paths)
    ]
    # One path per row, as the lecture writes a sum over paths.
    pieces = _then("= ", _sum(leibniz, break_terms=True))
    if not values:
        return lhs, pieces
    evaluated = [_product([printer.factor(f.value) for f in path.factors]) for path in derivation.paths]
    pieces += [BREAK, *_then("= ", _sum(evaluated, break_terms=True))]
    if len(derivation.paths) > 1:
        # The lecture's grouping: what all paths share stands once outside the sum.
        top, bottom = _common_ends(derivation.paths)
        first = derivation.paths[0].factors
        outside_top = [printer.factor(f.value) for f in first[:top]]
        outside_bottom = [printer.factor(f.value) for f in first[len(first) - bottom :]]
        middles = [
            _product([printer.factor(f.value) for f in p.factors[top : len(p.factors) - bottom]])
            for p in derivation.paths
        ]
        grouped = _product(outside_top)
        inner = _sum(middles, bracket=True)
        grouped += _then(r"\cdot ", inner) if grouped else inner
        grouped += _product(outside_bottom, first_operator=r"\cdot ")
        pieces += [BREAK, *_then("= ", grouped)]
    return lhs, pieces


# Backprop ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LatexStep:
    """One step of the backprop derivation: a plain-text title and its LaTeX."""

    title: str
    latex: str


def _delta_index_equation(graph: Graph, m: int, printer: SymbpLatexPrinter, leibniz: bool) -> Equation:
    """delta^{(m)}_j in index form: the lecture's base case (m = L) or recursive case."""
    net = graph.network
    n = Notation(net)
    index = "k" if m == net.L else "j"
    in_index_form = printer.renamed(graph.index_form_names(m, index, "latex"))
    local = in_index_form.factor(graph.sigma_prime_value[m][0])
    lhs = n.delta(m, index)
    pieces: Pieces = [f"= {_partial('C', n.unit('z', m, index))}"]
    if m == net.L:
        upstream = in_index_form.factor(graph.dC_da_value[0])
        if leibniz:
            pieces += _then("= ", _product([_partial("C", n.unit("a", m, index)), _partial(n.unit("a", m, index), n.unit("z", m, index))]))
        pieces += _then("= ", _product([upstream, local]))
        label = r"\qquad \text{(base case)}"
    else:
        above, width_above = m + 1, net.D(m + 1)
        if width_above == 1 and above == net.L:
            recursion = [rf"{n.delta(above, 'i')} {n.weight(above, '1', index)}"]
            chain = [_partial("C", n.unit("z", above, "i")), _partial(n.unit("z", above, "i"), n.unit("a", m, index))]
        else:
            limits = rf"\sum_{{i=1}}^{{{width_above}}}"
            recursion = [rf"\Bigl({limits} {n.delta(above, 'i')} {n.weight(above, 'i', index)}\Bigr)"]
            chain = [
                rf"\Bigl({limits} {_partial('C', n.unit('z', above, 'i'))}"
                rf" \cdot {_partial(n.unit('z', above, 'i'), n.unit('a', m, index))}\Bigr)"
            ]
        if leibniz:
            pieces += _then("= ", _product([*chain, _partial(n.unit("a", m, index), n.unit("z", m, index))]))
        pieces += _then("= ", _product([*recursion, local]))
        label = r"\qquad \text{(recursive case)}"
    pieces[-1] += _index_range(index, net.D(m)) + label
    return lhs, pieces


def _delta_unit_equation(step: DeltaStep, printer: SymbpLatexPrinter) -> Equation:
    """delta^{(m)}_j for one unit, the sum over the layer above written out."""
    if step.is_base_case:
        upstream = [printer.factor(step.upstream)]
    else:
        terms = [[f"{_name(printer, delta)} {printer.factor(weight)}"] for delta, weight in step.terms]
        upstream = _sum(terms, bracket=True)
    return _name(printer, step.symbol), _then("= ", upstream + _product([printer.factor(step.local)], r"\cdot "))


def _gradient_equation(gradient: GradientStep, graph: Graph, printer: SymbpLatexPrinter) -> Equation:
    """dC/d(entry) as delta times what multiplies it, with the one chain-rule step in Leibniz form."""
    entry = gradient.entry
    symbol = graph.symbol(entry)
    lhs = _partial("C", _name(printer, symbol))
    if gradient.given is not None:
        if gradient.given == graph.dC_da[entry.row - 1]:
            return lhs, [r"\qquad \text{(the derivative of the cost: no delta needed)}"]
        return lhs, [f"= {printer.doprint(gradient.given)}"]
    name = _name(printer, symbol)
    if entry.kind in ("W", "b"):
        z = _name(printer, graph.z[entry.layer][entry.row - 1])
        leibniz = _product([_partial("C", z), _partial(z, name)])
    elif entry.kind == "a":
        above = entry.layer + 1
        zs = [_name(printer, graph.z[above][graph.delta[above].index(delta)]) for delta, _ in gradient.terms]
        leibniz = _sum([_product([_partial("C", z), _partial(z, name)]) for z in zs])
    else:
        leibniz = []
    products = [
        [_name(printer, delta) if multiplier == 1 else rf"{_name(printer, delta)} \cdot {printer.factor(multiplier)}"]
        for delta, multiplier in gradient.terms
    ]
    pieces = (_then("= ", leibniz) if leibniz else []) + _then("= ", _sum(products))
    return lhs, pieces


def _softmax_by_document_printers(function: Callable[..., Any]) -> Callable[..., Any]:
    """A softmax network's Jacobian and collapse are printed by ``symbp.printers.latex`` (issue 9's printers)."""

    @functools.wraps(function)
    def printed(subject: Any, **settings: Any) -> Any:
        network = getattr(subject, "network", subject)
        if build_graph(network).softmax_output:
            from ..printers import latex as printers

            return getattr(printers, function.__name__)(subject, **settings)
        return function(subject, **settings)

    return printed


def _batch_printed(function: Callable[..., Any]) -> Callable[..., Any]:
    """With a batch or weight decay, the document printers' function of the same name (only they show 1/N and lambda W)."""

    @functools.wraps(function)
    def choose(*args: Any, **kwargs: Any) -> Any:
        networks = [getattr(a, "network", a) for a in (*args, *kwargs.values())]
        if any(isinstance(n, Network) and (n.batch > 1 or n.l2) for n in networks):
            from ..printers import latex as printers_latex

            return getattr(printers_latex, function.__name__)(*args, **kwargs)
        return function(*args, **kwargs)

    return choose


@_batch_printed
@_softmax_by_document_printers
def latex_backprop_steps(
    derivation: BackpropDerivation, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any
) -> tuple[LatexStep, ...]:
    """The lecture's steps for this network: output layer, each hidden layer, then the gradients.

    Each layer's step shows delta in index form (base or recursive case) and then unit
    by unit; the last step writes each requested gradient as delta times activation.
    """
    net = derivation.network
    graph = build_graph(net)
    printer = _printer(net, settings)
    steps = []
    layers = list(dict.fromkeys(step.layer for step in derivation.deltas))
    for number, m in enumerate(layers, start=1):
        index_form = _delta_index_equation(graph, m, printer, leibniz=True)
        units = [_delta_unit_equation(s, printer) for s in derivation.deltas if s.layer == m]
        single = net.D(m) == 1 and m == net.L  # the index form already is the one unit
        groups = [_rows([index_form], width)] + ([] if single else [_rows(units, width)])
        where = "the output layer" if m == net.L else f"hidden layer {m}"
        steps.append(LatexStep(f"Step {number}: gradients for {where}", _environment(groups, env)))
    if derivation.gradients:
        rows = _rows([_gradient_equation(g, graph, printer) for g in derivation.gradients], width)
        title = f"Step {len(layers) + 1}: the gradients asked for, from the deltas"
        steps.append(LatexStep(title, _environment([rows], env)))
    return tuple(steps)


# Reference ------------------------------------------------------------------------------


def _expression_pieces(expr: sp.Expr, printer: SymbpLatexPrinter, width: float) -> Pieces:
    """A long expression as pieces: its terms, and a term wider than ``width`` split into factors."""
    terms: list[Pieces] = []
    # In the order SymPy's own printer uses, so a short sum prints as sympy.latex would.
    for term in expr.as_ordered_terms() if isinstance(expr, sp.Add) else [expr]:
        sign = ""
        if term.could_extract_minus_sign():
            sign, term = "- ", -term
        text = printer.doprint(term)
        if isinstance(term, sp.Mul) and estimate_width(text) > width:
            terms.append(_then(sign, _product([printer.factor(f) for f in term.as_ordered_factors()])))
        else:
            terms.append([sign + text])
    return _sum(terms)


def _reference_equation(derivation: ReferenceDerivation, printer: SymbpLatexPrinter, width: float) -> Equation:
    lhs = _partial("C", _name(printer, derivation.variable))
    return lhs, _then("= ", _expression_pieces(derivation.expression, printer, width))


# Forward pass, vectorized form, algorithm ------------------------------------------------


def _forward_equations(graph: Graph, printer: SymbpLatexPrinter, width: float) -> list[Equation]:
    """z and a of each layer in index form (concrete sigma filled in), then C."""
    net = graph.network
    n = Notation(net)
    equations: list[Equation] = []
    for m in range(1, net.L + 1):
        total = rf"\sum_{{j=1}}^{{{net.D(m - 1)}}} {n.weight(m, 'i', 'j')} {n.unit('a', m - 1, 'j')} + {n.unit('b', m, 'i')}"
        equations.append((n.unit("z", m, "i"), [f"= {total}{_index_range('i', net.D(m))}"]))
        activation = rf"\sigma^{{({m})}}({n.unit('z', m, 'i')})"
        pieces = [f"= {activation}"]
        if graph.sigma_function[m] is None:
            pieces.append(f"= {printer.renamed(graph.index_form_names(m, 'i', 'latex')).doprint(graph.a_definition[m][0])}")
        pieces[-1] += _index_range("i", net.D(m))
        equations.append((n.unit("a", m, "i"), pieces))
    if graph.cost_function is not None:
        # Abstract C: its arguments as the lecture writes them, C(a^{(3)}, t), or as vectors.
        outputs, targets = (rf"\mathbf{{a}}^{{({net.L})}}", r"\mathbf{t}") if net.D(net.L) > 1 else (rf"a^{{({net.L})}}", "t")
        equations.append(("C", [rf"= C\bigl({outputs}, {targets}\bigr)"]))
    else:
        equations.append(("C", _then("= ", _expression_pieces(graph.C_definition, printer, width))))
    return equations


def _elementwise_rows(graph: Graph, printer: SymbpLatexPrinter) -> list[Equation]:
    """The concrete sigma' and grad_a C of this network for whole layers, elementwise, in stored activations."""
    net = graph.network
    L = net.L
    equations: list[Equation] = []
    for m in range(1, L + 1):
        if graph.sigma_function[m] is not None:
            continue  # abstract: sigma' keeps its name
        names = _vector_names(graph, m)
        value = printer.renamed(names).doprint(graph.sigma_prime_value[m][0])
        label = net.activations[m - 1].replace("_", " ")
        equations.append((rf"\sigma^{{({m})\prime}}({names[graph.z[m][0]]})", [rf"= {value} \qquad \text{{({label})}}"]))
    if graph.cost_function is None:
        names = _vector_names(graph, L)
        value = printer.renamed(names).doprint(graph.dC_da_value[0])
        label = net.cost.replace("_", " ")
        equations.append((rf"\nabla_{{{names[graph.a[L][0]]}}} C", [rf"= {value} \qquad \text{{({label})}}"]))
    return equations


def _vectorized_equations(network: Network) -> list[Equation]:
    L = network.L
    d = r"\boldsymbol{\delta}"
    z, a = (lambda m: rf"\mathbf{{z}}^{{({m})}}"), (lambda m: rf"\mathbf{{a}}^{{({m})}}")
    rows: list[Equation] = [
        (rf"{d}^{{({L})}}", [rf"= \nabla_{{{a(L)}}} C \odot \sigma^{{({L})\prime}}({z(L)})", r"\qquad \text{(base case)}"])
    ]
    for m in range(L - 1, 0, -1):
        rows.append((
            rf"{d}^{{({m})}}",
            [rf"= \bigl((W^{{({m + 1})}})^{{\top}} {d}^{{({m + 1})}}\bigr) \odot \sigma^{{({m})\prime}}({z(m)})"],
        ))
    every = _index_range("m", L)
    rows.append((_partial("C", "W^{(m)}"), [rf"= {d}^{{(m)}} \bigl({a('m-1')}\bigr)^{{\top}}{every}"]))
    rows.append((_partial("C", r"\mathbf{b}^{(m)}"), [rf"= {d}^{{(m)}}{every}"]))
    return rows


@_batch_printed
@_softmax_by_document_printers
def latex_forward(network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any) -> str:
    """The forward pass of ``network`` in index form, with concrete non-linearities and cost filled in."""
    graph = build_graph(network)
    return _environment([_rows(_forward_equations(graph, _printer(network, settings), width), width)], env)


@_batch_printed
@_softmax_by_document_printers
def latex_vectorized(network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any) -> str:
    r"""The matrix form of backprop for ``network``: deltas layer by layer, then dC/dW and dC/db.

    ``\odot`` is the elementwise product; concrete sigma' and dC/da follow, elementwise.
    """
    graph = build_graph(network)
    where = _elementwise_rows(graph, _printer(network, settings))
    return _environment([_rows(_vectorized_equations(network), width), _rows(where, width)], env)


def _backward_equations(graph: Graph, printer: SymbpLatexPrinter) -> list[Equation]:
    net = graph.network
    rows = [_delta_index_equation(graph, m, printer, leibniz=False) for m in range(net.L, 0, -1)]
    every = _index_range("m", net.L)
    rows.append((_partial("C", "W^{(m)}_{ij}"), [rf"= \delta^{{(m)}}_{{i}} \cdot a^{{(m-1)}}_{{j}}{every}"]))
    rows.append((_partial("C", "b^{(m)}_{i}"), [rf"= \delta^{{(m)}}_{{i}}{every}"]))
    return rows


@_batch_printed
@_softmax_by_document_printers
def latex_backward(network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any) -> str:
    """The backward pass of ``network`` in index form: base case, recursive case per layer, gradients."""
    graph = build_graph(network)
    return _environment([_rows(_backward_equations(graph, _printer(network, settings)), width)], env)


@_batch_printed
@_softmax_by_document_printers
def latex_algorithm(network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any) -> str:
    """The lecture's "Truly Complete Version" for this network's L: forward pass, then backward pass.

    Concrete non-linearities and cost are filled in; abstract ones keep the lecture's symbols.
    """
    graph = build_graph(network)
    printer = _printer(network, settings)

    # Headings start at the alignment point: text that every engine (LaTeX, KaTeX, MathJax) sets alike.
    groups = [
        [rf"&\text{{Forward pass, for }} m = {count_up(network.L)}\text{{:}}"],
        _rows(_forward_equations(graph, printer, width), width),
        [r"&\text{Backward pass, from the output layer down:}"],
        _rows(_backward_equations(graph, printer), width),
    ]
    return _environment(groups, env)


@_batch_printed
def latex_repeated(work: RepeatedWork, network: Network, *, env: str | None = "aligned", width: float = DEFAULT_WIDTH, **settings: Any) -> str:
    """Each delta that stands for repeated work: its terms in Leibniz form and how often the naive expansions compute them."""
    printer = _printer(network, settings)
    equations = []
    for delta in work.deltas:
        prefixes = work.prefixes_of(delta)
        terms = [_product([_leibniz(printer, f) for f in p.factors]) for p in prefixes]
        times = len(prefixes[0].uses)
        pieces = _then("= ", _sum(terms, break_terms=True))  # one path per row, as in the naive expansions
        pieces.append(rf"\qquad \text{{naive: {times} times; backprop: once}}")
        equations.append((_name(printer, delta), pieces))
    return _environment([_rows(equations, width)], env)


# Entry points ---------------------------------------------------------------------------------


@_batch_printed
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
    r"""LaTeX for a derivation (naive, backprop, reference) or a SymPy expression of ``network``.

    ``env`` wraps the rows (``"aligned"`` for between ``\[ \]`` or ``$$``, ``"align*"``
    to paste into a document, ``None`` for bare rows). For a naive derivation,
    ``repeated`` (from ``symbp.derive.repeated.repeated_work`` over several
    expansions) says which prefixes to mark; by default the derivation's own
    repeated prefixes are marked, ``RepeatedWork(())`` marks none; ``values=False``
    stops after the Leibniz form. Other keyword arguments are SymPy LaTeX printer
    settings (e.g. ``mul_symbol="dot"``).

    >>> import symbp
    >>> net = symbp.Network()
    >>> latex(symbp.build_graph(net).W[2][0, 1], net)
    'W^{(2)}_{12}'
    """
    if isinstance(obj, NaiveDerivation):
        work = repeated if repeated is not None else repeated_work([obj])
        equation = _naive_equation(obj, _printer(obj.network, settings), work, values)
        return _environment([_rows([equation], width)], env)
    if isinstance(obj, BackpropDerivation):
        steps = latex_backprop_steps(obj, env=None, width=width, **settings)
        return _environment([[s.latex] for s in steps], env)
    if isinstance(obj, ReferenceDerivation):
        equation = _reference_equation(obj, _printer(obj.network, settings), width)
        return _environment([_rows([equation], width)], env)
    if isinstance(obj, sp.Basic):
        printer = _printer(network, settings) if network is not None else SymbpLatexPrinter(settings=settings)
        return printer.doprint(obj)
    raise SymbpError(
        f"cannot print {type(obj).__name__} as LaTeX; accepted: a naive, backprop or reference derivation, "
        "or a SymPy expression with its network"
    )


def repr_latex(obj: object) -> str:
    """What Jupyter shows for a derivation: its LaTeX as display math."""
    return f"$$\n{latex(obj)}\n$$"
