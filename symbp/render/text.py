"""Plain-terminal text in the lecture's notation: derivations, the algorithm, checks, counts, gradients.

Symbols print with ``graph.text_names`` (W⁽²⁾₁₂, σ⁽²⁾′(z⁽²⁾₁), δ⁽²⁾₁), products with
`` · ``, one equation a block whose rows wrap at ``width`` columns. Like the LaTeX
renderer this only prints what a derivation kept; nothing is derived here.

>>> import symbp
>>> print(text(symbp.naive(symbp.Network(), "W2_1_2")).splitlines()[0])
∂C/∂W⁽²⁾₁₂ by the naive chain expansion: 1 path of 5 factors
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from ..check import DISAGREE, PROVED, SKIPPED, VERIFIED, CheckReport, CheckRow
from ..derive.backprop import BackpropDerivation, DeltaStep, GradientStep
from ..derive.naive import Factor, NaiveDerivation
from ..derive.reference import ReferenceDerivation
from ..derive.repeated import repeated_work
from ..errors import SymbpError
from ..graph import Graph, Notation, build_graph, subscript as sub, superscript as sup
from ..numeric import GradientAtPoint
from ..spec import Network, count_text

DEFAULT_WIDTH = 100
"""Columns when the caller does not say (wide enough for the lecture's chains on one row each)."""

BREAK = "\n"
"""A piece that starts the next piece on a new row."""

Derivation = NaiveDerivation | BackpropDerivation | ReferenceDerivation

def layer_sup(m: object) -> str:
    """``⁽²⁾`` for layer 2, ``⁽ᵐ⁻¹⁾`` for ``m-1``."""
    return sup(f"({m})")


def count_up(n: int) -> str:
    """``1``, ``1, 2``, ``1, 2, 3``, ``1, …, n`` as the lecture writes index ranges."""
    return ", ".join(map(str, range(1, n + 1))) if n <= 3 else f"1, …, {n}"


def partial(of: str, wrt: str) -> str:
    return f"∂{of}/∂{wrt}"


# Printing SymPy expressions ------------------------------------------------------------


class TextPrinter(StrPrinter):
    """SymPy's one-line printer with the graph's Unicode names, ``·`` for products and superscript powers."""

    def __init__(self, names: Mapping[object, str] | None = None, settings: Mapping[str, Any] | None = None):
        super().__init__(dict(settings or {}))
        self._names = dict(names or {})

    def renamed(self, names: Mapping[object, str]) -> TextPrinter:
        """The same printer with some symbols shown under other names (index form)."""
        return TextPrinter({**self._names, **names})

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
            return base + sup(int(exponent))
        return super()._print_Pow(expr, rational).replace("**", "^")

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

    def factor(self, expr: sp.Expr) -> str:
        """``expr`` as one factor of a product: parenthesised when it is a sum."""
        return self.parenthesize(expr, PRECEDENCE["Mul"], strict=True)


def printer_for(network: Network) -> TextPrinter:
    return TextPrinter(build_graph(network).text_names)


def expression_text(expr: sp.Expr, network: Network) -> str:
    """One SymPy expression of ``network`` in its Unicode names."""
    return printer_for(network).doprint(expr)


# Layout ---------------------------------------------------------------------------------------


def _product(texts: Sequence[str], first: str = "") -> list[str]:
    return [first + texts[0], *(f"· {t}" for t in texts[1:])] if texts else []


def _sum(terms: Sequence[list[str]], break_terms: bool = False) -> list[str]:
    """Terms joined by ``+`` (or ``-`` when a term already starts with one)."""
    pieces: list[str] = []
    for k, term in enumerate(terms):
        head, *rest = term
        if k:
            if break_terms:
                pieces.append(BREAK)
            head = f"- {head[1:].lstrip()}" if head.startswith("-") else f"+ {head}"
        pieces += [head, *rest]
    return pieces


def _then(operator: str, pieces: list[str]) -> list[str]:
    return [f"{operator} {pieces[0]}", *pieces[1:]] if pieces else []


def _chunks(pieces: Sequence[str]) -> list[list[str]]:
    """Pieces grouped so that each group starts at an ``=`` or after a ``BREAK`` (which stands alone)."""
    groups: list[list[str]] = []
    for piece in pieces:
        if piece == BREAK:
            groups.append([BREAK])
        elif not groups or piece.startswith("=") or groups[-1] == [BREAK]:
            groups.append([piece])
        else:
            groups[-1].append(piece)
    return groups


def _hard_wrap(line: str, width: int, column: int) -> tuple[list[str], str]:
    """A row longer than ``width`` cut at spaces (continuations two columns in); returns full rows and the rest."""
    rows = []
    while len(line) > width:
        cut = line.rfind(" ", column + 10, width + 1)
        if cut < 0:
            break  # no space to cut at: let the row run long
        rows.append(line[:cut])
        line = " " * (column + 2) + line[cut + 1 :]
    return rows, line


def equation(lhs: str, pieces: Sequence[str], width: int = DEFAULT_WIDTH, indent: int = 2, note: str = "") -> list[str]:
    """Rows of ``lhs = ...`` no wider than ``width`` where possible; ``=``, ``+`` and ``-`` rows align under ``=``.

    A piece starts with its operator (``= ``, ``+ ``, ``· ``); ``BREAK`` forces a new row.
    Each ``= ...`` part goes on a new row when it does not fit on the current one, so
    a row break falls between equalities before it falls inside a product. ``note``
    goes at the end of the last row (or below it when it does not fit).
    """
    eq_column = indent + len(lhs) + 1
    rows: list[str] = []
    line: str | None = " " * indent + lhs
    placed = False  # whether the current row holds a piece (not only the left-hand side)
    for chunk in _chunks(pieces):
        if chunk == [BREAK]:
            rows.append(line) if line is not None else None
            line, placed = None, False
            continue
        if line is not None and placed and len(line) + 1 + len(" ".join(chunk)) > width:
            rows.append(line)
            line = None
        for piece in chunk:
            # A continued product sits two columns right of the operators of sums and equalities.
            column = eq_column if piece[:1] in "=+-" else eq_column + 2
            if line is None:
                line = " " * column + piece
            elif not placed or len(line) + 1 + len(piece) <= width:
                line = f"{line} {piece}"
            else:
                rows.append(line)
                line = " " * column + piece
            placed = True
            full, line = _hard_wrap(line, width, column)
            rows += full
    line = line if line is not None else ""
    if note:
        if len(line) + 3 + len(note) <= width:
            line = f"{line}   {note}"
        else:
            rows.append(line)
            line = " " * eq_column + note
    rows.append(line)
    return rows


def network_line(network: Network) -> str:
    """``network 3,2,2,1 (L = 3) · σ: abstract (every layer) · C: abstract``."""
    names = set(network.activations)
    sigma = f"{network.activations[0]} (every layer)" if len(names) == 1 else ", ".join(network.activations)
    sizes = ",".join(map(str, network.layers))
    defined = "".join(f" · {formula}" for formula in network.formulas)
    return f"network {sizes} (L = {network.L}) · σ: {sigma}{defined} · C: {network.cost}"


# Index form (shared by the backprop steps and the algorithm) -----------------------------------------


def _sum_symbol(index: str, n: int) -> str:
    return f"Σ{sub(index)}{sub('=1')}{sup(n)}"


def _delta_index_equation(graph: Graph, m: int, printer: TextPrinter, width: int, leibniz: bool) -> list[str]:
    """delta^{(m)} in index form: the lecture's base case (m = L) or recursive case, with its unit range."""
    net = graph.network
    n = Notation(net, "text")
    index = "k" if m == net.L else "j"
    in_index_form = printer.renamed(graph.index_form_names(m, index, "text"))
    local = in_index_form.factor(graph.sigma_prime_value[m][0])
    z, a = n.unit("z", m, index), n.unit("a", m, index)
    pieces = [f"= {partial('C', z)}"]
    if m == net.L:
        if leibniz:
            pieces += _then("=", _product([partial("C", a), partial(a, z)]))
        lecture = [partial("C", a), n.sigma_prime(m, index)]
        concrete = [in_index_form.factor(graph.dC_da_value[0]), local]
        label = "(base case)"
    else:
        above = m + 1
        if net.D(above) == 1 and above == net.L:
            upstream, chain = [n.unit("δ", above, "i"), n.weight(above, "1", index)], [
                partial("C", n.unit("z", above, "i")), partial(n.unit("z", above, "i"), a)]
        else:
            total = _sum_symbol("i", net.D(above))
            upstream = [f"({total} {n.unit('δ', above, 'i')} · {n.weight(above, 'i', index)})"]
            chain = [f"({total} {partial('C', n.unit('z', above, 'i'))} · {partial(n.unit('z', above, 'i'), a)})"]
        if leibniz:
            pieces += _then("=", _product([*chain, partial(a, z)]))
        lecture = [*upstream, n.sigma_prime(m, index)]
        concrete = [*upstream, local]
        label = "(recursive case)"
    pieces += _then("=", _product(lecture))
    if concrete != lecture:
        pieces += _then("=", _product(concrete))
    if net.D(m) > 1:
        pieces[-1] += f",  {index} = {count_up(net.D(m))}"
    return equation(n.unit("δ", m, index), pieces, width, note=label)


# Derivations ----------------------------------------------------------------------------------------------------


def _leibniz(printer: TextPrinter, factor: Factor) -> str:
    return partial(printer.doprint(factor.of), printer.doprint(factor.wrt))


def _shared_length(sequences: Sequence[Sequence[object]]) -> int:
    """How many leading items all ``sequences`` have in common."""
    length = 0
    for items in zip(*sequences):
        if any(item != items[0] for item in items[1:]):
            break
        length += 1
    return length


def _naive_lines(derivation: NaiveDerivation, printer: TextPrinter, width: int) -> list[str]:
    graph = build_graph(derivation.network)
    entry = printer.doprint(graph.symbol(derivation.entry))
    paths = derivation.paths
    count, factors = len(paths), len(paths[0].factors)
    title = f"{partial('C', entry)} by the naive chain expansion: {count} path{'s' * (count != 1)} of {factors} factors"
    chains = [_product([_leibniz(printer, f) for f in path.factors]) for path in paths]
    values = [_product([printer.factor(f.value) for f in path.factors]) for path in paths]
    pieces = _then("=", _sum(chains, break_terms=True)) + [BREAK] + _then("=", _sum(values, break_terms=True))
    if count > 1:
        # The lecture's grouping: what every path shares stands once, outside the sum.
        keys = [[(f.of, f.wrt) for f in p.factors] for p in paths]
        top = _shared_length(keys)
        bottom = _shared_length([k[top:][::-1] for k in keys])
        first = paths[0].factors
        middles = [_product([printer.factor(f.value) for f in p.factors[top : len(p.factors) - bottom]]) for p in paths]
        inner = " ".join(_sum(middles))
        outside = [printer.factor(f.value) for f in first[:top]] + [f"({inner})"]
        outside += [printer.factor(f.value) for f in first[len(first) - bottom :]]
        pieces += [BREAK, *_then("=", _product(outside))]
    return [title, "", *equation(partial("C", entry), pieces, width)]


def _repeated_lines(derivations: Sequence[NaiveDerivation], printer: TextPrinter, width: int) -> list[str]:
    """The lecture's "Notice any inefficiency?": the products the naive expansions compute more than once."""
    work = repeated_work(derivations)
    if not work.shared:
        return []
    lines = ["Work the naive expansions repeat (backprop stores each of these as one δ):", ""]
    for delta in work.deltas:
        prefixes = work.prefixes_of(delta)
        terms = [_product([_leibniz(printer, f) for f in p.factors]) for p in prefixes]
        times = len(prefixes[0].uses)
        note = f"(naive: {times} times; backprop: once)"
        lines += equation(printer.doprint(delta), _then("=", _sum(terms)), width, note=note)
    return lines


def _gradient_lines(gradient: GradientStep, graph: Graph, printer: TextPrinter, width: int) -> list[str]:
    """dC/d(entry) from the deltas, with its one chain-rule step in Leibniz form."""
    entry = gradient.entry
    symbol = printer.doprint(graph.symbol(entry))
    lhs = partial("C", symbol)
    if gradient.given is not None:
        if gradient.given == graph.dC_da[entry.row - 1]:
            return equation(lhs, [], width, note="(the derivative of the cost itself: no δ needed)")
        return equation(lhs, [f"= {printer.doprint(gradient.given)}"], width)
    pieces: list[str] = []
    if entry.kind in ("W", "b"):
        z = printer.doprint(graph.z[entry.layer][entry.row - 1])
        pieces += _then("=", _product([partial("C", z), partial(z, symbol)]))
    elif entry.kind == "a":
        above = graph.z[entry.layer + 1]
        chain = [[f"{partial('C', printer.doprint(z))} · {partial(printer.doprint(z), symbol)}"] for z in above]
        pieces += _then("=", _sum(chain))
    products = [
        [printer.doprint(delta) if multiplier == 1 else f"{printer.doprint(delta)} · {printer.factor(multiplier)}"]
        for delta, multiplier in gradient.terms
    ]
    return equation(lhs, pieces + _then("=", _sum(products)), width)


def _delta_unit_lines(step: DeltaStep, printer: TextPrinter, width: int) -> list[str]:
    if step.is_base_case:
        upstream = printer.factor(step.upstream)
    else:
        upstream = " ".join(_sum([[f"{printer.doprint(d)} · {printer.factor(w)}"] for d, w in step.terms]))
        upstream = f"({upstream})" if len(step.terms) > 1 else upstream
    return equation(printer.doprint(step.symbol), _then("=", _product([upstream, printer.factor(step.local)])), width)


def _backprop_lines(derivation: BackpropDerivation, printer: TextPrinter, width: int) -> list[str]:
    net = derivation.network
    graph = build_graph(net)
    if graph.softmax_output:  # the Jacobian and the collapse are printed by the document printers (issue 9)
        from ..document import backprop_steps
        from ..printers.text import TextDocumentPrinter

        return TextDocumentPrinter(network=net, width=width).doprint(backprop_steps(derivation)).splitlines()
    lines = ["Backprop: each δ once, output layer first; then every gradient from its δ"]
    layers = list(dict.fromkeys(step.layer for step in derivation.deltas))
    for number, m in enumerate(layers, start=1):
        where = "the output layer" if m == net.L else f"hidden layer {m}"
        lines += ["", f"Step {number}: gradients for {where}"]
        lines += _delta_index_equation(graph, m, printer, width, leibniz=True)
        if not (m == net.L and net.D(m) == 1):  # otherwise the index form already is the one unit
            for step in (s for s in derivation.deltas if s.layer == m):
                lines += _delta_unit_lines(step, printer, width)
    if derivation.gradients:
        lines += ["", f"Step {len(layers) + 1}: the gradients asked for, from the deltas"]
        for gradient in derivation.gradients:
            lines += _gradient_lines(gradient, graph, printer, width)
    return lines


def _expression_pieces(expr: sp.Expr, printer: TextPrinter, width: int) -> list[str]:
    """A long expression as pieces: its terms, and a term wider than ``width`` split into its factors."""
    terms = []
    for term in printer._as_ordered_terms(expr) if isinstance(expr, sp.Add) else [expr]:
        sign = ""
        if term.could_extract_minus_sign():
            sign, term = "-", -term
        text = printer.doprint(term)
        if isinstance(term, sp.Mul) and len(text) > width // 2:
            factors = _product([printer.factor(f) for f in term.as_ordered_factors()])
            terms.append([sign + factors[0], *factors[1:]])
        else:
            terms.append([sign + text])
    return _sum(terms)


def _reference_lines(derivation: ReferenceDerivation, printer: TextPrinter, width: int) -> list[str]:
    variable = printer.doprint(derivation.variable)
    title = f"{partial('C', variable)} by sympy.diff of the cost written out in x, W, b, t"
    pieces = _then("=", _expression_pieces(derivation.expression, printer, width))
    return [title, "", *equation(partial("C", variable), pieces, width)]


def text(obj: Derivation | Sequence[Derivation], *, width: int = DEFAULT_WIDTH) -> str:
    """Text for a derivation, or for several (naive ones then also list the work they repeat).

    >>> import symbp
    >>> net = symbp.Network()
    >>> print(text(symbp.backprop(net, ["W2_1_2"])).splitlines()[-1])
      ∂C/∂W⁽²⁾₁₂ = ∂C/∂z⁽²⁾₁ · ∂z⁽²⁾₁/∂W⁽²⁾₁₂ = δ⁽²⁾₁ · a⁽¹⁾₂
    """
    items = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    blocks: list[list[str]] = []
    for item in items:
        if isinstance(item, NaiveDerivation):
            blocks.append(_naive_lines(item, printer_for(item.network), width))
        elif isinstance(item, BackpropDerivation):
            blocks.append(_backprop_lines(item, printer_for(item.network), width))
        elif isinstance(item, ReferenceDerivation):
            blocks.append(_reference_lines(item, printer_for(item.network), width))
        else:
            raise SymbpError(
                f"cannot write {type(item).__name__} as text; accepted: naive, backprop or reference derivations"
            )
    naives = [d for d in items if isinstance(d, NaiveDerivation)]
    if naives:
        repeated = _repeated_lines(naives, printer_for(naives[0].network), width)
        if repeated:
            # After the last naive expansion, where the reader has just seen the repeats.
            last = max(k for k, item in enumerate(items) if isinstance(item, NaiveDerivation))
            blocks.insert(last + 1, repeated)
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


# The algorithm --------------------------------------------------------------------------------


def algorithm_text(network: Network, *, width: int = DEFAULT_WIDTH) -> str:
    """The lecture's "Truly Complete Version" for this network: forward pass, then backward pass."""
    graph = build_graph(network)
    if graph.softmax_output:  # see _backprop_lines
        from ..printers import print_algorithm

        return print_algorithm(network, "text", width)
    printer = printer_for(network)
    n = Notation(network, "text")
    L = network.L
    lines = ["The backpropagation algorithm (the lecture's complete version) for", network_line(network), ""]
    lines.append(f"Forward pass, for m = {count_up(L)}:")
    for m in range(1, L + 1):
        total = f"{_sum_symbol('j', network.D(m - 1))} {n.weight(m, 'i', 'j')} · {n.unit('a', m - 1, 'j')} + {n.unit('b', m, 'i')}"
        every = f",  i = {count_up(network.D(m))}" if network.D(m) > 1 else ""
        lines += equation(n.unit("z", m, "i"), [f"= {total}{every}"], width)
        pieces = [f"= σ{layer_sup(m)}({n.unit('z', m, 'i')})"]
        if graph.sigma_function[m] is None:
            pieces.append(f"= {printer.renamed(graph.index_form_names(m, 'i', 'text')).doprint(graph.a_definition[m][0])}")
        pieces[-1] += every
        lines += equation(n.unit("a", m, "i"), pieces, width)
    if graph.cost_function is not None:
        lines += equation("C", [f"= C(a{layer_sup(L)}, t)"], width)  # the whole output vector and target
    else:
        lines += equation("C", _then("=", _expression_pieces(graph.C_definition, printer, width)), width)
    lines += ["", "Backward pass, from the output layer down:"]
    for m in range(L, 0, -1):
        lines += _delta_index_equation(graph, m, printer, width, leibniz=False)
    every = f",  m = {count_up(L)}"
    lines += equation(partial("C", f"W{layer_sup('m')}{sub('ij')}"), [f"= δ{layer_sup('m')}{sub('i')} · a{layer_sup('m-1')}{sub('j')}{every}"], width)
    lines += equation(partial("C", f"b{layer_sup('m')}{sub('i')}"), [f"= δ{layer_sup('m')}{sub('i')}{every}"], width)
    return "\n".join(lines) + "\n"


# Check, cost and gradient tables ------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[bool]) -> list[str]:
    rows = [list(r) for r in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

    return [line(header), "  ".join("─" * w for w in widths), *(line(r) for r in rows)]


def _outcome_cell(row: CheckRow) -> str:
    if row.outcome == PROVED:
        return "proved"
    if row.outcome == SKIPPED:
        return "skipped"
    number = f"{row.max_error:.1e}" if math.isfinite(row.max_error) else "inf"
    return number if row.outcome == VERIFIED else f"{number} ✗"


def check_text(report: CheckReport) -> str:
    """The check as a table (entries by comparisons), the outcome counts, and every counterexample."""
    methods = list(dict.fromkeys(row.method for row in report.rows))
    cells: dict[str, dict[str, str]] = {}
    for row in report.rows:
        cells.setdefault(row.entry, {})[row.method] = _outcome_cell(row)
    lines = [f"Check of {network_line(report.network)}"]
    plural = "s" * (report.points != 1)
    if report.symbolic_only:
        lines += [
            "Abstract σ or C: each entry's naive = backprop and reference = backprop is proved symbolically where",
            f"possible, else compared at {report.points} random point{plural} (seed {report.seed}) with the abstract parts",
            "replaced by random functions, the same on both sides.",
        ]
    else:
        lines += [
            f"naive, backprop, reference: against finite differences (Richardson) at {report.points} random point{plural}"
            f" (seed {report.seed});",
            "naive = backprop, reference = backprop: proved symbolically where possible, else compared at the same points.",
        ]
    lines += [
        f"proved: the difference reduces to 0; a number: verified numerically, the largest relative difference (within {report.tol:g});",
        "✗: disagree, with a counterexample below; skipped: not compared (the reason is below).",
        "",
    ]
    lines += _table(["entry", *methods], ([e, *(c.get(m, "") for m in methods)] for e, c in cells.items()),
                    [False, *(True for _ in methods)])
    lines += ["", _counts_line(report)]
    for reason in dict.fromkeys(row.reason for row in report.rows if row.outcome == SKIPPED):
        lines.append(f"skipped: {reason}")
    for row in report.failures:
        lines.append(f"counterexample to {row.entry} {row.method}: {_counterexample_text(row)}")
    if report.failures:
        lines.append(check_failure_line(report))
    return "\n".join(lines) + "\n"


def _counts_line(report: CheckReport) -> str:
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


def cost_text(table: Mapping[str, Any]) -> str:
    """The table ``json_data.cost_table`` builds: naive paths and operations against backprop's.

    Rows per entry only when the table has them (entries were asked for), then per layer and the total.
    """

    def ops(count: Mapping[str, int]) -> list[str]:
        return [count_text(count["multiplications"]), count_text(count["additions"])]

    def row(label: str, count: Mapping[str, Any]) -> list[str]:
        return [label, count_text(count["paths"]), *ops(count["naive"]), *ops(count["backprop"])]

    header = ["", "paths", "naive ×", "naive +", "backprop ×", "backprop +"]
    right = [False, True, True, True, True, True]
    lines = [
        f"Chain-rule arithmetic for {table['description']}, counted by formula (nothing expanded)",
        "naive: every entry on its own, one product per path; "
        "backprop: each δ once (counted in its layer's row), then one step per entry",
    ]
    if "entries" in table:
        lines += ["", *_table(header, [row(name, e) for name, e in table["entries"].items()], right)]
    else:
        lines.append("every weight and bias, by layer (name entries, e.g. W1 or W2_1_2, for a row each)")
    layer_rows = [row(f"layer {m}", c) for m, c in table["layers"].items()]
    lines += ["", *_table(header, [*layer_rows, row("total", table["totals"])], right)]
    totals = table["totals"]
    naive_ops = totals["naive"]["multiplications"] + totals["naive"]["additions"]
    backprop_ops = totals["backprop"]["multiplications"] + totals["backprop"]["additions"]
    if backprop_ops:
        ratio = f"{naive_ops / backprop_ops:.2f}" if naive_ops.bit_length() < 1000 else f"about {count_text(naive_ops // backprop_ops)}"
        lines += ["", f"naive / backprop operations: {count_text(naive_ops)} / {count_text(backprop_ops)} = {ratio}"]
    return "\n".join(lines) + "\n"


def _array_text(values: np.ndarray, indent: int) -> str:
    body = np.array2string(np.asarray(values), separator=", ", max_line_width=DEFAULT_WIDTH - indent,
                           formatter={"float_kind": lambda v: f"{v:.6g}"})
    return body.replace("\n", "\n" + " " * indent)


def gradient_text(result: GradientAtPoint, network: Network) -> str:
    """Numbers at one point: C, dC/dW and dC/db in the point file's layout, then the forward pass and deltas."""
    lines = [f"Gradients by {result.method} for {network_line(network)}", "", f"C = {result.cost:.10g}", ""]
    for key, values in result.gradients.items():
        lhs = f"∂C/∂{key[0]}{layer_sup(key[1:])} = "
        lines.append(lhs + _array_text(values, len(lhs)))

    def row(letter: str, m: int, values: np.ndarray) -> str:
        lhs = f"{letter}{layer_sup(m)} = "
        return lhs + _array_text(values, len(lhs))

    lines += ["", "Forward pass:", row("a", 0, result.a["a0"])]
    for m in range(1, network.L + 1):
        lines += [row("z", m, result.z[f"z{m}"]), row("a", m, result.a[f"a{m}"])]
    lines += ["", "Backward pass:"]
    lines += [row("δ", m, result.delta[f"delta{m}"]) for m in range(network.L, 0, -1)]
    return "\n".join(lines) + "\n"
