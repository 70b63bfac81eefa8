"""What a derivation shows, as frozen nodes between derive and the printers.

A document says *what* is shown (a Leibniz partial, a product of factors, a sum
over paths, repeated work marked by its delta, an equation with its "for each"
range) and never *how*: there is no LaTeX or Unicode here. Symbols are the
graph's SymPy symbols; index forms such as z^{(m)}_j are ``Unit`` nodes. The
printers in ``symbp.printers`` print these nodes with SymPy's own dispatch
(``_print_<Node>``), one printer per format.

Data flows one way: spec -> graph -> derive -> document -> printers.

>>> import symbp
>>> doc = derivations_document(symbp.Network(), [symbp.naive(symbp.Network(), "W2_1_2")])
>>> type(doc.parts[0]).__name__, doc.parts[0].paths
('NaiveExpansion', 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Sequence, Union

import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence

from .derive.backprop import BackpropDerivation, DeltaStep, GradientStep
from .derive.naive import NaiveDerivation, Path
from .derive.reference import ReferenceDerivation
from .derive.repeated import RepeatedWork, repeated_work
from .display import Displayable
from .errors import SymbpError
from .graph import ALL_SQUARED_WEIGHTS, SQUARED_WEIGHTS, Graph, build_graph
from .spec import Entry, Network

if TYPE_CHECKING:  # pragma: no cover
    from .checking import CheckReport
    from .counts import CostSummary
    from .example import Computed, WorkedExample
    from .numeric import GradientAtPoint

Index = Union[int, str]


class Node(Displayable):
    """Base of every document node: shows itself in Jupyter through the LaTeX printer.

    Parts that know their network (``Document``, ``Algorithm``) print symbols in lecture
    notation; a bare node prints SymPy's own names for them.
    """

    dataclass_repr = True
    __str__ = object.__str__  # a node's str() is its repr: printers dispatch on nodes, never on str()
    in_notation = True
    """Whether printing it needs the network's symbol names (tables of numbers do not; a graph may be huge)."""


Math = Union[sp.Basic, Node]


# Mathematics -----------------------------------------------------------------------


@dataclass(frozen=True)
class Unit(Node):
    """A quantity in index form: ``Unit("z", 2, ("j",))`` is z^{(2)}_j; letters z, a, b, delta, W, t."""

    letter: str
    layer: Index
    indices: tuple[Index, ...]


@dataclass(frozen=True)
class Vector(Node):
    """A whole layer as a vector: ``Vector("a", 2)`` is a^{(2)} in bold; the target t has no layer."""

    letter: str
    layer: Index | None = None


@dataclass(frozen=True)
class Sigma(Node):
    """sigma^{(layer)}(z^{(layer)}_index), or its derivative sigma^{(layer)'}(...) when ``prime``.

    With no ``index`` the argument is the whole vector z^{(layer)} (elementwise).
    """

    layer: int
    index: Index | None
    prime: bool = False


@dataclass(frozen=True)
class Transpose(Node):
    of: Math


@dataclass(frozen=True)
class Hadamard(Node):
    """The elementwise product of two vectors."""

    left: Math
    right: Math
    precedence = PRECEDENCE["Mul"]


@dataclass(frozen=True)
class Gradient(Node):
    """The gradient of C with respect to a vector."""

    wrt: Math


@dataclass(frozen=True)
class VectorForm(Node):
    """The formula of unit 1 of ``layer``, shown elementwise for the whole layer (the same for every unit)."""

    expr: sp.Expr
    layer: int


@dataclass(frozen=True)
class CostOf(Node):
    """C(a^{(L)}, t): the abstract cost of the whole output vector and target."""

    layer: int
    vectors: bool
    """Whether the output layer has several units (then a and t are vectors)."""


@dataclass(frozen=True)
class IndexForm(Node):
    """The formula of unit 1 of ``layer``, shown for any unit with ``index`` (it is the same for every unit)."""

    expr: sp.Expr
    layer: int
    index: str

    @property
    def precedence(self) -> int:
        return precedence(self.expr)


INDICATOR = sp.Symbol("A_indicator", real=True)
"""1[k=j] in an ``OutputPairForm``: 1 when the two output indices are equal, else 0."""
TARGET_SUM = sp.Symbol("total_t", real=True)  # sorts after a^{(L)}_j: a_j sum_k t_k
"""sum_k t_k in an ``OutputPairForm``."""
EXP_SUM = sp.Symbol("A_exp_sum", positive=True)
"""sum_j exp(z^{(L)}_j) in an ``OutputPairForm``."""


@dataclass(frozen=True)
class OutputPairForm(Node):
    """A formula of two output units, shown for any pair: softmax's Jacobian a_k (1[k=j] - a_j).

    Output unit 1 prints with ``indices[0]``, unit 2 with ``indices[1]``; ``INDICATOR``,
    ``TARGET_SUM`` and ``EXP_SUM`` print as 1[k=j], sum_k t_k and sum_j exp(z_j).
    """

    expr: sp.Expr
    layer: int
    indices: tuple[str, str] = ("k", "j")

    @property
    def precedence(self) -> int:
        return precedence(self.expr)


@dataclass(frozen=True)
class Partial(Node):
    """The Leibniz partial d(of)/d(wrt)."""

    of: Math
    wrt: Math


@dataclass(frozen=True)
class Product(Node):
    """A chain of factors, which a long row may break between."""

    factors: tuple[Math, ...]
    precedence = PRECEDENCE["Mul"]


@dataclass(frozen=True)
class Term(Node):
    """One product kept together as one term; ``implicit`` as the lecture writes delta W (no dot)."""

    factors: tuple[Math, ...]
    implicit: bool = False
    precedence = PRECEDENCE["Mul"]


@dataclass(frozen=True)
class Sum(Node):
    """Terms added; ``grouped`` when the sum stands in brackets as one factor; ``one_per_row`` for paths."""

    terms: tuple[Math, ...]
    grouped: bool = False
    one_per_row: bool = False

    @property
    def precedence(self) -> int:  # SymPy's protocol: a printer brackets a bare sum inside a product
        return PRECEDENCE["Atom"] if self.grouped else PRECEDENCE["Add"]


@dataclass(frozen=True)
class IndexSum(Node):
    """sum_{index=1}^{upper} body."""

    index: str
    upper: int
    body: Math
    grouped: bool = False
    """In brackets, as one factor of a product."""

    @property
    def precedence(self) -> int:
        return PRECEDENCE["Atom"] if self.grouped else PRECEDENCE["Add"]


@dataclass(frozen=True)
class Marked(Node):
    """A product the naive expansions compute more than once: one term of ``delta`` (backprop's store).

    When ``delta`` has several terms (``terms``, one per path from C to its z) the mark says which one it is
    (``term``), so three prefixes of delta^{(2)}_1 through a softmax are not each labelled delta^{(2)}_1.
    """

    body: Math
    delta: sp.Symbol
    layer: int
    term: int = 1
    terms: int = 1


@dataclass(frozen=True)
class LongExpression(Node):
    """A SymPy expression that may be broken over rows at its terms (and a wide term at its factors)."""

    expr: sp.Expr


# Layout-free structure --------------------------------------------------------------------


@dataclass(frozen=True)
class ForEach(Node):
    """The range an index-form equation holds for: ``index = 1, ..., upper``."""

    index: str
    upper: int


@dataclass(frozen=True)
class Equation(Node):
    """lhs = sides[0] = sides[1] = ...; ``for_each`` its range, ``note`` plain words after it."""

    lhs: Math
    sides: tuple[Math, ...]
    for_each: ForEach | None = None
    note: str = ""
    sides_on_new_rows: bool = False


@dataclass(frozen=True)
class Title(Node):
    """A heading in words with quantities among them (``dC/dW`` as a ``Partial``), each in its format's notation.

    Every printer writes the same words, so a derivation has one heading in text, LaTeX, Markdown, JSON and MathML.
    """

    pieces: tuple[str | Math, ...]


@dataclass(frozen=True)
class Section(Node):
    """A titled group of equations; ``groups`` are blocks set a little apart."""

    title: str
    groups: tuple[tuple[Equation, ...], ...]
    for_each: ForEach | None = None


@dataclass(frozen=True)
class NaiveExpansion(Node):
    """dC/d(entry) summed over every path: chains, their values, and (several paths) the grouping."""

    entry: sp.Symbol
    paths: int
    factors: int
    equation: Equation

    @property
    def heading(self) -> Title:
        s = "s" * (self.paths != 1)
        return Title((self.equation.lhs, f" by the naive chain expansion: {self.paths} path{s} of {self.factors} factor{'' if self.factors == 1 else 's'}"))


@dataclass(frozen=True)
class RepeatedWorkPart(Node):
    """The lecture's "Notice any inefficiency?": each delta whose terms the naive paths recompute."""

    equations: tuple[Equation, ...]
    title: str = "Work the naive expansions repeat (backprop stores each of these as one δ)"

    @property
    def heading(self) -> Title:
        return Title((self.title,))


@dataclass(frozen=True)
class Backprop(Node):
    """The backprop steps: one per layer (index form, then each unit), then the gradients."""

    steps: tuple[Section, ...]
    entries: tuple[str, ...]
    """The entry names whose gradients the last step gives."""

    heading = Title(("Backprop: each δ once, output layer first; then every gradient from its δ",))


@dataclass(frozen=True)
class ReferenceResult(Node):
    """dC/d(variable) by diff of the cost written out in x, W, b, t, in the engine that did it."""

    variable: sp.Symbol
    equation: Equation
    engine: str = "sympy"

    @property
    def heading(self) -> Title:
        name = {"sympy": "SymPy", "symengine": "SymEngine"}[self.engine]
        return Title((self.equation.lhs, f" by {name}'s diff of the cost written out in x, W, b, t"))


@dataclass(frozen=True)
class Document(Node):
    """Every part shown for one network, in order."""

    network: Network
    parts: tuple[Node, ...] = field(default=())
    source: tuple[object, ...] = field(default=(), repr=False, compare=False)
    """The derivation behind each part (None for parts that stand for several), for JSON's data."""


@dataclass(frozen=True)
class Algorithm(Node):
    """The lecture's "Truly Complete Version": the forward pass, then the backward pass."""

    network: Network
    forward: Section
    backward: Section

    heading = Title(("The backpropagation algorithm (the lecture's complete version) for",))
    """Followed by the network's line in every format."""


# Builders ------------------------------------------------------------------------------------


def _shared_length(sequences: Sequence[Sequence[object]]) -> int:
    """How many leading items all ``sequences`` have in common."""
    length = 0
    for items in zip(*sequences):
        if any(item != items[0] for item in items[1:]):
            break
        length += 1
    return length


def _chain(path: Path, marks: Sequence) -> Product:
    """A path's Leibniz factors, each shared prefix (shortest first) wrapped as a Marked term of its delta."""
    factors: list[Math] = [Partial(f.of, f.wrt) for f in path.factors]
    done = 0
    head: Math | None = None
    for mark in marks:
        end = len(mark.factors)
        inside = ([head] if head is not None else []) + factors[done:end]
        head = Marked(Product(tuple(inside)), mark.delta, mark.layer, mark.term, mark.terms)
        done = end
    return Product(tuple(([head] if head is not None else []) + factors[done:]))


def _decay(graph: Graph, entry: Entry) -> tuple[Math, ...]:
    """(lambda W^{(m)}_{ij},) for a weight under weight decay; else nothing (biases are not decayed)."""
    if graph.decay_term(entry) == 0:
        return ()
    return (Term((graph.decay, graph.symbol(entry)), implicit=True),)


def _mean_and_decay(graph: Graph, entry: Entry, terms: Sequence[Math], one_per_row: bool = False) -> Sum:
    """``terms`` with each path's 1/N in front (a batch), then lambda W (weight decay)."""
    if graph.network.batch > 1:
        terms = [Product((graph.mean, *(t.factors if isinstance(t, Product) else (t,)))) for t in terms]
    return Sum((*terms, *_decay(graph, entry)), one_per_row=one_per_row)


def _batch_definition(graph: Graph, entry: Entry) -> Math | None:
    """dC/d(entry) = (1/N) sum_n dC^{(n)}/d(entry) + lambda W, or C_0's partial + lambda W; None for one plain example."""
    if graph.network.batch == 1 and graph.decay is None:
        return None
    symbol = graph.symbol(entry)
    if graph.network.batch > 1:
        data: Math = Term((graph.mean, IndexSum("n", graph.network.batch, Partial(graph.C, symbol))), implicit=True)
    else:
        data = Partial(graph.C, symbol)
    return Sum((data, *_decay(graph, entry)))


def naive_expansion(derivation: NaiveDerivation, work: RepeatedWork | None = None) -> NaiveExpansion:
    """The naive expansion's document; ``work`` says which prefixes to mark (default: its own repeats).

    With a batch every example's paths stand in turn, each with its 1/N; weight decay adds lambda W.
    """
    graph = build_graph(derivation.network)
    work = repeated_work([derivation]) if work is None else work
    entry = graph.symbol(derivation.entry)
    paths = derivation.paths
    chains = [_chain(p, work.in_path(derivation.entry, k)) for k, p in enumerate(paths)]
    values = [Product(tuple(f.value for f in p.factors)) for p in paths]
    definition = _batch_definition(graph, derivation.entry)
    sides: list[Math] = [] if definition is None else [definition]
    sides += [_mean_and_decay(graph, derivation.entry, chains, True), _mean_and_decay(graph, derivation.entry, values, True)]
    if len(paths) > 1:
        # The lecture's grouping: what every path shares stands once, outside the sum.
        keys = [[(f.of, f.wrt) for f in p.factors] for p in paths]
        top = _shared_length(keys)
        bottom = _shared_length([k[top:][::-1] for k in keys])
        first = paths[0].factors
        middles = Sum(
            tuple(Product(tuple(f.value for f in p.factors[top : len(p.factors) - bottom])) for p in paths),
            grouped=True,
        )
        outside = [f.value for f in first[:top]] + [middles] + [f.value for f in first[len(first) - bottom :]]
        sides.append(_mean_and_decay(graph, derivation.entry, [Product(tuple(outside))]))
    equation = Equation(Partial(graph.total, entry), tuple(sides), sides_on_new_rows=True)
    return NaiveExpansion(entry, len(paths), len(paths[0].factors), equation)


def repeated_work_part(work: RepeatedWork) -> RepeatedWorkPart:
    """Each delta of ``work`` as the sum of its repeated prefixes, with how often the naive method computes them."""
    equations = []
    for delta in work.deltas:
        prefixes = work.prefixes_of(delta)
        # One path per row, as in the naive expansions.
        terms = tuple(Product(tuple(Partial(f.of, f.wrt) for f in p.factors)) for p in prefixes)
        note = f"naive: {len(prefixes[0].uses)} times; backprop: once"
        equations.append(Equation(delta, (Sum(terms, one_per_row=True),), note=note))
    return RepeatedWorkPart(tuple(equations))


def delta_index_equation(graph: Graph, m: int, leibniz: bool) -> Equation:
    """delta^{(m)} in index form: the lecture's base case (m = L) or recursive case, with its unit range."""
    net = graph.network
    if m == net.L and graph.softmax_output:
        return _softmax_index_equation(graph, leibniz)
    index = "k" if m == net.L else "j"
    z, a = Unit("z", m, (index,)), Unit("a", m, (index,))
    sides: list[Math] = [Partial(graph.C, z)]
    if m == net.L:
        if leibniz:
            sides.append(Product((Partial(graph.C, a), Partial(a, z))))
        lecture = Product((Partial(graph.C, a), Sigma(m, index, prime=True)))
        concrete = Product((IndexForm(graph.dC_da_value[0], m, index), IndexForm(graph.sigma_prime_value[m][0], m, index)))
        is_concrete = graph.dC_da_value[0] != graph.dC_da[0] or graph.sigma_function[m] is None
        note = "base case"
    else:
        above = m + 1
        z_above = Unit("z", above, ("i",))
        if net.D(above) == 1 and above == net.L:
            upstream: Math = Term((Unit("delta", above, ("i",)), Unit("W", above, ("1", index))))
            chain: list[Math] = [Partial(graph.C, z_above), Partial(z_above, a)]
        else:
            upstream = IndexSum("i", net.D(above), Term((Unit("delta", above, ("i",)), Unit("W", above, ("i", index)))), grouped=True)
            chain = [IndexSum("i", net.D(above), Product((Partial(graph.C, z_above), Partial(z_above, a))), grouped=True)]
        if leibniz:
            sides.append(Product((*chain, Partial(a, z))))
        lecture = Product((upstream, Sigma(m, index, prime=True)))
        concrete = Product((upstream, IndexForm(graph.sigma_prime_value[m][0], m, index)))
        is_concrete = graph.sigma_function[m] is None
        note = "recursive case"
    sides.append(lecture)
    if is_concrete:
        sides.append(concrete)
    for_each = ForEach(index, net.D(m)) if net.D(m) > 1 else None
    return Equation(Unit("delta", m, (index,)), tuple(sides), for_each, note)


def _output_pair(graph: Graph, expr: sp.Expr) -> OutputPairForm:
    """``expr`` over output units k and j written with units 1 and 2 (softmax needs two outputs to show)."""
    return OutputPairForm(expr, graph.network.L)


def _softmax_index_equation(graph: Graph, leibniz: bool) -> Equation:
    """delta^{(L)}_j = sum_k dC/da_k da_k/dz_j = sum_k dC/da_k a_k (1[k=j] - a_j): the base case through the Jacobian."""
    net, L = graph.network, graph.network.L
    z_j, a_k = Unit("z", L, ("j",)), Unit("a", L, ("k",))
    a, t = graph.a[L], graph.t
    second = a[1] if len(a) > 1 else a[0]
    jacobian = _output_pair(graph, a[0] * (INDICATOR - second))

    def over_k(body: Math) -> IndexSum:
        return IndexSum("k", net.D(L), body)

    sides: list[Math] = [Partial(graph.C, z_j)]
    if leibniz:
        sides.append(over_k(Product((Partial(graph.C, a_k), Partial(a_k, z_j)))))
    sides.append(over_k(Product((Partial(graph.C, a_k), jacobian))))
    if graph.dC_da_value[0] != graph.dC_da[0]:
        sides.append(over_k(Product((_output_pair(graph, graph.dC_da_value[0]), jacobian))))
    if net.cost == "cross_entropy":  # the collapse students are asked to derive, as its own steps
        target_j = t[1] if len(t) > 1 else t[0]
        sides.append(over_k(_output_pair(graph, -t[0] * (INDICATOR - second))))
        sides.append(_output_pair(graph, second * TARGET_SUM - target_j))
        sides.append(_output_pair(graph, second - target_j))
        note = "base case through softmax's Jacobian; with cross-entropy the outputs cancel, and the targets sum to 1"
    else:
        note = "base case through softmax's Jacobian"
    for_each = ForEach("j", net.D(L)) if net.D(L) > 1 else None
    return Equation(Unit("delta", L, ("j",)), tuple(sides), for_each, note, sides_on_new_rows=leibniz)


def delta_unit_equation(step: DeltaStep) -> Equation:
    if step.jacobian:  # softmax: sum_k dC/da_k * da_k/dz_j, then cross-entropy's collapse
        terms = Sum(tuple(Product((partial, entry)) for partial, entry in step.jacobian))
        note = "the targets sum to 1" if step.collapse else ""
        return Equation(step.symbol, (terms, *step.collapse), note=note)
    if step.is_base_case:
        upstream: Math = step.upstream
    else:
        # delta times weight with a dot, as the lecture's recursive case writes it.
        terms = tuple(Term((delta, weight)) for delta, weight in step.terms)
        upstream = Sum(terms, grouped=True) if len(terms) > 1 else terms[0]
    return Equation(step.symbol, (Product((upstream, step.local)),))


def _gradient_equation(gradient: GradientStep, graph: Graph) -> Equation:
    """dC/d(entry) from the deltas, with its one chain-rule step in Leibniz form."""
    entry = gradient.entry
    symbol = graph.symbol(entry)
    lhs = Partial(graph.C, symbol)
    if gradient.given is not None:
        if gradient.given == graph.dC_da[entry.row - 1]:
            return Equation(lhs, (), note="the derivative of the cost itself: no delta needed")
        return Equation(lhs, (gradient.given,))
    sides: list[Math] = []
    if entry.kind in ("W", "b") and (graph.network.batch > 1 or graph.decay is not None):
        return _batch_gradient_equation(gradient, graph)
    if entry.kind in ("W", "b"):
        z = graph.z[entry.layer][entry.row - 1]
        sides.append(Product((Partial(graph.C, z), Partial(z, symbol))))
    elif entry.kind == "a":
        above = entry.layer + 1
        zs = [graph.z[above][graph.delta[above].index(delta)] for delta, _ in gradient.terms]
        sides.append(Sum(tuple(Product((Partial(graph.C, z), Partial(z, symbol))) for z in zs)))
    products = tuple(delta if multiplier == 1 else Term((delta, multiplier)) for delta, multiplier in gradient.terms)
    sides.append(Sum(products))
    return Equation(lhs, tuple(sides))


def _batch_gradient_equation(gradient: GradientStep, graph: Graph) -> Equation:
    """dC/dW^{(m)}_{ij} = (1/N) sum_n dC^{(n)}/dz^{(m),(n)}_i dz^{(m),(n)}_i/dW^{(m)}_{ij} + lambda W^{(m)}_{ij}
    = (1/N) sum_n delta^{(m),(n)}_i a^{(m-1),(n)}_j + lambda W^{(m)}_{ij}: the example index n as a sum."""
    entry = gradient.entry
    symbol = graph.symbol(entry)
    z = graph.z[entry.layer][entry.row - 1]  # z^{(m),(n)}_i of the template (or of the one example)
    chain: Math = Product((Partial(graph.C, z), Partial(z, symbol)))
    products = tuple(delta if multiplier == 1 else Term((delta, multiplier)) for delta, multiplier in gradient.terms)
    decay = _decay(graph, entry)
    if graph.network.batch > 1:
        chain = Term((graph.mean, IndexSum("n", graph.network.batch, chain, grouped=True)), implicit=True)
        by_example: Math = Term((graph.mean, Sum(products, grouped=True)), implicit=True)
    else:
        by_example = Sum(products)
    return Equation(Partial(graph.total, symbol), (Sum((chain, *decay)), Sum((by_example, *decay))))


def backprop_steps(derivation: BackpropDerivation) -> Backprop:
    """The lecture's steps: output layer, each hidden layer, then the gradients asked for."""
    net = derivation.network
    graph = build_graph(net)
    steps = []
    layers = list(dict.fromkeys(step.layer for step in derivation.deltas))
    for number, m in enumerate(layers, start=1):
        groups: list[tuple[Equation, ...]] = [(delta_index_equation(graph, m, leibniz=True),)]
        if not (m == net.L and net.D(m) == 1):  # otherwise the index form already is the one unit
            groups.append(tuple(delta_unit_equation(s) for s in derivation.deltas if s.layer == m))
        where = "the output layer" if m == net.L else f"hidden layer {m}"
        steps.append(Section(f"Step {number}: gradients for {where}", tuple(groups)))
    if derivation.gradients:
        title = f"Step {len(layers) + 1}: the gradients asked for, from the deltas"
        steps.append(Section(title, (tuple(_gradient_equation(g, graph) for g in derivation.gradients),)))
    return Backprop(tuple(steps), tuple(g.entry.name for g in derivation.gradients))


def reference_result(derivation: ReferenceDerivation) -> ReferenceResult:
    graph = build_graph(derivation.network)
    lhs = Partial(graph.C, derivation.variable)
    return ReferenceResult(derivation.variable, Equation(lhs, (LongExpression(derivation.expression()),)), derivation.engine)


Derivation = Union[NaiveDerivation, BackpropDerivation, ReferenceDerivation]

BUILDERS: dict[type, Callable[..., Node]] = {
    NaiveDerivation: naive_expansion,
    BackpropDerivation: backprop_steps,
    ReferenceDerivation: reference_result,
}
"""The document part of each derivation result type."""


def document_of(result: object) -> Node:
    """The document node of any symbp result or step (itself when it is a node): what its display prints."""
    from .checking import CheckReport
    from .counts import CostSummary
    from .derive.backprop import DeltaStep, GradientStep
    from .derive.naive import NaiveDerivations
    from .derive.reference import ReferenceDerivations
    from .grading import GradeResult

    if isinstance(result, Node):
        return result
    if type(result) in BUILDERS:
        return BUILDERS[type(result)](result)
    several = (NaiveDerivations, ReferenceDerivations)
    builders: dict[type, Callable[[object], Node]] = {
        **{kind: lambda r: derivations_document(r.network, r.derivations) for kind in several},  # type: ignore[attr-defined]
        DeltaStep: delta_unit_equation,  # type: ignore[dict-item]
        # The graph's own (real) symbols, so that a printer given the network names them in lecture notation.
        GradientStep: lambda g: Equation(  # type: ignore[dict-item]
            Partial(sp.Symbol("C", real=True), g.variable or sp.Symbol(g.entry.name, real=True)), (g.formula,)),
        CheckReport: CheckTable,
        CostSummary: CostTable,
        GradeResult: lambda r: Lines(tuple(r.lines())),  # type: ignore[attr-defined]
    }
    if type(result) not in builders:
        raise SymbpError(f"cannot show {type(result).__name__}; accepted: symbp's derivations, their steps, "
                         "check reports, cost summaries and grade results")
    return builders[type(result)](result)


def derivations_document(network: Network, items: Sequence[Derivation]) -> Document:
    """The parts for several derivations; naive ones share one repeated-work part after the last of them."""
    unknown = [type(item).__name__ for item in items if type(item) not in BUILDERS]
    if unknown:
        raise SymbpError(f"cannot show {unknown[0]}; accepted: naive, backprop or reference derivations")
    naives = [k for k, item in enumerate(items) if item.method == "naive"]
    work = repeated_work([items[k] for k in naives])
    # Naive expansions mark the work they share with each other.
    parts: list[Node] = [naive_expansion(item, work) if k in naives else BUILDERS[type(item)](item) for k, item in enumerate(items)]
    sources: list[object] = list(items)
    if work.shared:
        # After the last naive expansion, where the reader has just seen the repeats.
        last = naives[-1]
        parts.insert(last + 1, repeated_work_part(work))
        sources.insert(last + 1, work)
    return Document(network, tuple(parts), tuple(sources))


def algorithm_document(network: Network) -> Algorithm:
    """The forward pass in index form (concrete sigma and C filled in), then the backward pass."""
    graph = build_graph(network)
    L = network.L
    forward: list[Equation] = []
    for m in range(1, L + 1):
        every = ForEach("i", network.D(m)) if network.D(m) > 1 else None
        weighted = IndexSum("j", network.D(m - 1), Term((Unit("W", m, ("i", "j")), Unit("a", m - 1, ("j",))), implicit=True))
        forward.append(Equation(Unit("z", m, ("i",)), (Sum((weighted, Unit("b", m, ("i",)))),), every))
        sides: list[Math] = [Sigma(m, "i")]
        if m == L and graph.softmax_output:  # softmax: exp(z_i) over the sum of every exp(z_j)
            sides = [OutputPairForm(sp.exp(graph.z[m][0]) / EXP_SUM, m, ("i", "j"))]
        elif graph.sigma_function[m] is None:
            sides.append(IndexForm(graph.a_definition[m][0], m, "i"))
        forward.append(Equation(Unit("a", m, ("i",)), tuple(sides), every))
    if graph.cost_function is not None and network.batch == 1:
        forward.append(Equation(graph.C, (CostOf(L, network.D(L) > 1),)))
    else:
        forward.append(Equation(graph.C, (LongExpression(graph.C_definition),)))
    if network.batch > 1 or graph.decay is not None:
        forward.append(_total_cost_equation(graph))
    backward = [delta_index_equation(graph, m, leibniz=False) for m in range(L, 0, -1)]
    every = ForEach("m", L) if L > 1 else None
    delta = Unit("delta", "m", ("i",))
    by_weight: Math = Term((delta, Unit("a", "m-1", ("j",))))
    by_bias: Math = delta
    if network.batch > 1:  # (1/N) sum_n delta^{(m),(n)}_i a^{(m-1),(n)}_j
        by_weight = Term((graph.mean, IndexSum("n", network.batch, by_weight, grouped=True)), implicit=True)
        by_bias = Term((graph.mean, IndexSum("n", network.batch, by_bias)), implicit=True)
    if graph.decay is not None:
        by_weight = Sum((by_weight, Term((graph.decay, Unit("W", "m", ("i", "j"))), implicit=True)))
    backward.append(Equation(Partial(graph.total, Unit("W", "m", ("i", "j"))), (by_weight,), every))
    backward.append(Equation(Partial(graph.total, Unit("b", "m", ("i",))), (by_bias,), every))
    examples = ", ".join(map(str, range(1, network.batch + 1))) if network.batch <= 3 else f"1, ..., {network.batch}"
    title = "Forward pass" + (f", for each example n = {examples}" if network.batch > 1 else "")
    return Algorithm(
        network,
        Section(title, (tuple(forward),), ForEach("m", L)),
        Section("Backward pass, from the output layer down", (tuple(backward),)),
    )


def _total_cost_equation(graph: Graph) -> Equation:
    """C = (1/N) sum_n C^{(n)} + (lambda/2) sum_m sum_ij (W^{(m)}_{ij})^2 (the terms the network has)."""
    net = graph.network
    terms: list[Math] = [Term((graph.mean, IndexSum("n", net.batch, graph.C)), implicit=True) if net.batch > 1 else graph.C]
    if graph.decay is not None:
        terms.append(Term((graph.decay / 2, IndexSum("m", net.L, SQUARED_WEIGHTS)), implicit=True))
    note = "biases are not decayed" if graph.decay is not None else ""
    return Equation(graph.total, (Sum(tuple(terms)),), note=note)


def _batch_base_case(graph: Graph) -> Equation:
    """Delta^{(L)}: elementwise G * sigma'(Z); after softmax each row through its example's Jacobian."""
    M, L = graph.matrices, graph.network.L
    if not graph.softmax_output:
        return Equation(M[("Delta", "L")], (Hadamard(M[("G", "L")], M[("S", "L")]),), note="base case")
    if graph.network.cost == "cross_entropy":
        return Equation(M[("Delta", "L")], (M[("A", "L")] - M[("T", "")],),
                        note="base case: row n is a - t of example n (softmax with cross-entropy)")
    row = Term((Transpose(Unit("J", L, ())), Gradient(Vector("a", L))), implicit=True)
    return Equation(M[("Delta", "L")], (row,), note="base case: row n is this for example n, with its own Jacobian J")


def _batch_matrix_rows(graph: Graph) -> tuple[Equation, ...]:
    """Backprop on the N x D matrices whose row n belongs to example n (Z^{(m)}, A^{(m)}, Delta^{(m)})."""
    M = graph.matrices
    L = graph.network.L
    every = ForEach("m", L) if L > 1 else None
    decay = (Term((graph.decay, Unit("W", "m", ())), implicit=True),) if graph.decay is not None else ()
    ones = M[("1", "")]
    rows = [
        Equation(M[("Z", "m")], (Sum((Term((M[("A", "m-1")], Transpose(Unit("W", "m", ()))), implicit=True),
                                      Term((ones, Transpose(Vector("b", "m"))), implicit=True))),), every,
                 note="row n belongs to example n"),
        _batch_base_case(graph),
    ]
    if L > 1:
        upstream = Term((M[("Delta", "m+1")], Unit("W", "m+1", ())), implicit=True)
        rows.append(Equation(M[("Delta", "m")], (Hadamard(upstream, M[("S", "m")]),)))
    rows.append(Equation(Partial(graph.total, Unit("W", "m", ())),
                         (Sum((Term((graph.mean, Transpose(M[("Delta", "m")]), M[("A", "m-1")]), implicit=True), *decay)),),
                         every))
    rows.append(Equation(Partial(graph.total, Vector("b", "m")),
                         (Term((graph.mean, Transpose(M[("Delta", "m")]), ones), implicit=True),), every))
    return tuple(rows)


def vectorized_document(network: Network) -> Section:
    """The matrix form of backprop: deltas layer by layer, dC/dW and dC/db; then concrete sigma' and dC/da elementwise."""
    graph = build_graph(network)
    L = network.L
    delta = lambda m: Vector("delta", m)  # noqa: E731
    if graph.softmax_output:
        jacobian_form = Term((Transpose(Unit("J", L, ())), Gradient(Vector("a", L))), implicit=True)
        sides: tuple[Math, ...] = (jacobian_form,)
        if network.cost == "cross_entropy":
            sides += (VectorForm(graph.a[L][0] - graph.t[0], L),)
        rows = [Equation(delta(L), sides, note="base case; J the softmax Jacobian")]
    else:
        rows = [Equation(delta(L), (Hadamard(Gradient(Vector("a", L)), Sigma(L, None, prime=True)),), note="base case")]
    for m in range(L - 1, 0, -1):
        upstream = Term((Transpose(Unit("W", m + 1, ())), delta(m + 1)), implicit=True)
        rows.append(Equation(delta(m), (Hadamard(upstream, Sigma(m, None, prime=True)),)))
    every = ForEach("m", L) if L > 1 else None
    by_weight: Math = Term((delta("m"), Transpose(Vector("a", "m-1"))), implicit=True)
    if graph.decay is not None:
        by_weight = Sum((by_weight, Term((graph.decay, Unit("W", "m", ())), implicit=True)))
    if network.batch == 1:  # a batch's gradients come from its matrices below
        rows.append(Equation(Partial(graph.total, Unit("W", "m", ())), (by_weight,), every))
        rows.append(Equation(Partial(graph.total, Vector("b", "m")), (delta("m"),), every))
    elementwise = [
        Equation(Sigma(m, None, prime=True), (VectorForm(graph.sigma_prime_value[m][0], m),), note=network.activations[m - 1].replace("_", " "))
        for m in range(1, L + 1)
        if graph.sigma_function[m] is None  # abstract: sigma' keeps its name
        and not (m == L and graph.softmax_output)
    ]
    if graph.softmax_output:
        a_k, z_j = Unit("a", L, ("k",)), Unit("z", L, ("j",))
        second = graph.a[L][1] if network.D(L) > 1 else graph.a[L][0]
        elementwise.append(Equation(Partial(a_k, z_j), (_output_pair(graph, graph.a[L][0] * (INDICATOR - second)),),
                                    note="J, softmax's Jacobian"))
    if graph.cost_function is None:
        elementwise.append(Equation(Gradient(Vector("a", L)), (VectorForm(graph.dC_da_value[0], L),), note=network.cost.replace("_", " ")))
    if network.batch > 1:  # one example's vectors first, then the batch as N x D matrices
        return Section("Vectorized", (tuple(rows), _batch_matrix_rows(graph), tuple(elementwise)))
    return Section("Vectorized", (tuple(rows), tuple(elementwise)))


# Worked examples: numbers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Number(Node):
    """A computed value, shown with all ``digits`` decimals; a ``given`` one (of the point file) as it is."""

    value: float
    digits: int
    given: bool = False


@dataclass(frozen=True)
class Numbers(Node):
    """``expr`` with each symbol replaced by its number: the "numbers put in" step of a worked example."""

    expr: sp.Expr
    values: tuple[tuple[sp.Symbol, float], ...]
    digits: int
    given: frozenset[sp.Symbol] = frozenset()
    """Symbols whose numbers the user gave (x, t, W, b, lambda): shown as given; the rest with all ``digits`` decimals."""

    @property
    def precedence(self) -> int:
        return precedence(self.expr)


@dataclass(frozen=True)
class Updated(Node):
    """A parameter after one gradient-descent step: W^{(m)+}_{ij}."""

    parameter: sp.Symbol


@dataclass(frozen=True)
class DescentStep(Node):
    """w - eta dC/dw; with ``numbers`` (before, eta, gradient) those numbers instead of the symbols."""

    parameter: sp.Symbol
    numbers: tuple[float, float, float] | None = None
    digits: int = 6
    given: tuple[bool, bool, bool] = (True, True, False)
    """Which of the numbers were given (the weight and eta) rather than computed (the gradient)."""


@dataclass(frozen=True)
class Table(Node):
    """A table of numbers: ``header`` cells (nodes or plain words), then rows of nodes."""

    title: str
    header: tuple[Union[Math, str], ...]
    rows: tuple[tuple[Math, ...], ...]


@dataclass(frozen=True)
class ExampleDocument(Node):
    """A worked example: its parts (``Section`` or ``Table``) in order; ``example`` the numbers, for JSON."""

    network: Network
    note: str
    parts: tuple[Node, ...]
    example: object = field(repr=False, compare=False)


def _with_numbers(node: Math, values: dict[sp.Symbol, float], digits: int, given: frozenset[sp.Symbol]) -> Math:
    """``node`` with every symbol's number put in, its sums and products kept as they are (so the terms
    stand in the order the derivation prints them); products of numbers get a visible sign."""
    if isinstance(node, sp.Basic):
        if not node.free_symbols:
            return node
        return Numbers(node, tuple((s, values[s]) for s in sorted(node.free_symbols, key=lambda s: s.name)), digits, given)
    if isinstance(node, IndexSum) and node.body == SQUARED_WEIGHTS:  # sum_m sum_ij (W^{(m)}_{ij})^2, computed before
        return Numbers(ALL_SQUARED_WEIGHTS, ((ALL_SQUARED_WEIGHTS, values[ALL_SQUARED_WEIGHTS]),), digits)
    if isinstance(node, Sum):
        return replace(node, terms=tuple(_with_numbers(t, values, digits, given) for t in node.terms))
    if isinstance(node, (Term, Product)):
        factors = tuple(_with_numbers(f, values, digits, given) for f in node.factors)
        return Term(factors) if isinstance(node, Term) else Product(factors)
    raise SymbpError(f"no numbers for {type(node).__name__}")  # pragma: no cover - the builders below make none


def _as_derived(computed: Computed, graph: Graph) -> tuple[Math, str]:
    """A delta's or gradient's formula as the backprop derivation writes it, and a note on it."""
    step = computed.step
    if isinstance(step, GradientStep):
        return _gradient_equation(step, graph).sides[-1], ""
    if isinstance(step, DeltaStep) and step.collapse:  # softmax with cross-entropy: a - t, or its general step
        if computed.formula == step.collapse[-1]:
            return computed.formula, "the targets sum to 1"
        return computed.formula, f"the targets sum to {computed.targets_sum:g}, not 1: the general form"
    if isinstance(step, DeltaStep):
        return delta_unit_equation(step).sides[0], ""
    return computed.formula, ""


def _total_cost(graph: Graph) -> Math:
    """C = (1/N)(C^{(1)} + ... + C^{(N)}) + (lambda/2) sum_m sum_ij (W^{(m)}_{ij})^2, the terms the network has."""
    net = graph.network
    costs = [g.C for g in graph.examples]
    terms: list[Math] = [Term((graph.mean, Sum(tuple(costs), grouped=True)), implicit=True) if net.batch > 1 else costs[0]]
    if graph.decay is not None:
        terms.append(Term((graph.decay / 2, IndexSum("m", net.L, SQUARED_WEIGHTS)), implicit=True))
    return Sum(tuple(terms))


def _given(graph: Graph) -> frozenset[sp.Symbol]:
    """The symbols whose numbers a point file gives: x and t of every example, W, b, and lambda."""
    symbols = [s for g in graph.examples for s in (*g.a[0], *g.t)]
    symbols += [s for m in range(1, graph.network.L + 1) for s in (*graph.W[m], *graph.b[m])]
    return frozenset(symbols + ([graph.decay] if graph.decay is not None else []))


def _computed_equation(computed: Computed, lhs: Math, digits: int, graph: Graph) -> Equation:
    value = Number(computed.value, digits)
    values = dict(computed.inputs)
    if computed.symbol == ALL_SQUARED_WEIGHTS:  # only its numbers: its symbols would repeat the left side
        weights = [w for m in range(1, graph.network.L + 1) for w in graph.W[m]]  # layer by layer, row by row
        squares = tuple(Numbers(w**2, ((w, values[w]),), digits, frozenset(weights)) for w in weights)
        return Equation(IndexSum("m", graph.network.L, SQUARED_WEIGHTS), (Sum(squares), value))
    if computed.symbol == graph.total and graph.total not in {g.C for g in graph.examples}:
        formula: Math = _total_cost(graph)
        return Equation(lhs, (formula, _with_numbers(formula, values, digits, _given(graph)), value))
    if isinstance(computed.formula, sp.Symbol):  # dC/db = delta: nothing to compute
        return Equation(lhs, (computed.formula, value))
    formula, note = _as_derived(computed, graph)
    return Equation(lhs, (formula, _with_numbers(formula, values, digits, _given(graph)), value), note=note)


def _number_factor(value: float, digits: int, given: bool) -> Numbers:
    """One number as a factor of a product: bracketed when negative, as the other products of numbers are."""
    stand_in = sp.Symbol("value")
    return Numbers(stand_in, ((stand_in, value),), digits, frozenset([stand_in]) if given else frozenset())


def _factor_given(graph: Graph, of: sp.Symbol, wrt: sp.Symbol) -> bool:
    """Whether a path factor's number is one the point gives: dz/da = W, dz/db = 1, dz^{(1)}/dW^{(1)} = x."""
    zs = {z for g in graph.examples for m in range(1, graph.network.L + 1) for z in g.z[m]}
    return of in zs and wrt not in {w for m in range(2, graph.network.L + 1) for w in graph.W[m]}


def _split_total(forward: Sequence[Computed], graph: Graph) -> tuple[tuple[Computed, ...], tuple[Computed, ...]]:
    """The examples' passes, then (a batch, weight decay) the squared weights and C as a group of their own."""
    last = {ALL_SQUARED_WEIGHTS, graph.total} - {g.C for g in graph.examples}
    return tuple(c for c in forward if c.symbol not in last), tuple(c for c in forward if c.symbol in last)


def worked_example_document(example: WorkedExample) -> ExampleDocument:
    """formula = numbers = value for every z, a, C, delta and gradient; then the update and the steps.

    """
    net = example.network
    graph = build_graph(net)
    d = example.digits
    first = example.first
    parts: list[Node] = [
        Section("Forward pass", tuple(tuple(_computed_equation(c, c.symbol, d, graph) for c in part)
                                      for part in _split_total(first.forward, graph) if part)),
        Section("Backward pass, output layer first",
                (tuple(_computed_equation(c, c.symbol, d, graph) for c in first.backward),)),
        Section("Gradients from the deltas",
                (tuple(_computed_equation(c, Partial(graph.total, c.symbol), d, graph) for c in first.gradients),)),
    ]
    naive_numbers = example.naive
    if naive_numbers is not None:
        symbol = graph.symbol(naive_numbers.entry)
        rows = [
            Equation(Partial(graph.C, symbol),
                     (Product(tuple(Partial(of, wrt) for of, wrt, _ in path.factors)),
                      Product(tuple(_number_factor(v, d, _factor_given(graph, of, wrt)) for of, wrt, v in path.factors)),
                      Number(path.product, d)),
                     note=f"the term of path {k} of {len(naive_numbers.paths)}",
                     sides_on_new_rows=True)  # a chain of partials fills a row on its own
            for k, path in enumerate(naive_numbers.paths, start=1)
        ]
        products = [sp.Symbol(f"path_{k:04d}") for k in range(len(naive_numbers.paths))]  # stand-ins, in path order
        total = Numbers(sp.Add(*products), tuple((s, p.product) for s, p in zip(products, naive_numbers.paths)), d)
        rows.append(Equation(Partial(graph.C, symbol), (total, Number(naive_numbers.total, d)),
                             note="the sum over the paths; backprop gave the same number above"))
        parts.append(Section("The same gradient along the naive paths, path by path", (tuple(rows),)))
    if example.lr is not None:
        lr = example.lr
        rows = [
            Equation(Updated(graph.symbol(u.entry)),
                     (DescentStep(graph.symbol(u.entry)), DescentStep(graph.symbol(u.entry), (u.before, lr, u.gradient), d),
                      Number(u.after, d)))
            for u in example.updates
        ]
        parts.append(Section(f"Gradient descent, learning rate {lr:g}", (tuple(rows),)))
        steps = example.steps
        if len(steps) > 1:
            costs = [first.cost, *(step.cost for step in steps)]
            table_rows = tuple((Number(k, 0), Number(cost, d)) for k, cost in enumerate(costs))
            parts.append(Table(f"{len(steps)} steps: the cost after each (step 0: the start)", ("step", graph.total), table_rows))
    note = (f"every intermediate is rounded to {d} decimals before it is used, as by hand"
            if example.round_intermediates
            else f"full precision is carried; values are shown to {d} decimals")
    return ExampleDocument(net, note, tuple(parts), example)


# Tables of the check, the counts and the gradients at a point -------------------------------------------


@dataclass(frozen=True)
class CheckTable(Node):
    """``symbp check``: entries by comparisons with their outcomes, the counts, and every counterexample."""

    in_notation = False

    report: CheckReport

    @property
    def network(self) -> Network:
        return self.report.network


@dataclass(frozen=True)
class CostTable(Node):
    """``symbp cost``: naive paths and operations against backprop's, per entry, per layer and in total."""

    in_notation = False

    summary: CostSummary

    @property
    def network(self) -> Network:
        return self.summary.network


@dataclass(frozen=True)
class GradientTable(Node):
    """``symbp grad``: C, every dC/dW and dC/db in the point file's layout, the forward values and the deltas."""

    in_notation = False

    result: GradientAtPoint
    network: Network


@dataclass(frozen=True)
class Lines(Node):
    """Lines of plain text (a grade's verdict and feedback)."""

    in_notation = False

    lines: tuple[str, ...]
