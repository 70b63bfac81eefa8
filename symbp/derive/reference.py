"""The independent reference: plain ``sympy.diff`` of the substituted cost.

C is substituted down to the layer the variable enters and differentiated
there; the rest is substituted afterwards. For W^{(m)} and b^{(m)} that is C
over the named a^{(m-1)} (the fully substituted C when a layer above is relu-like) (which do not depend on them, so the partial
derivative is the same as that of the fully substituted C, and SymPy has less
to walk); for z^{(m)}_j (or a^{(m)}_j), C over the named z^{(m)} (or a^{(m)}).
No path or delta logic is involved.

relu's Max(0, z) differentiates to Heaviside(z); Heaviside(0) is pinned to 0
(``Heaviside(z, 0)``), the convention backprop's sigma' and PyTorch use.

``sympy.diff`` walks the substituted cost as a tree, whose size multiplies by
the width at every layer, and recurses once per level of nesting.
``reference_refusal`` estimates both from the network before anything is built,
so that a network too large for it is refused at once instead of running for
minutes or hitting Python's recursion limit.

With abstract sigma^{(m)} and C, SymPy writes derivatives of undefined functions
as ``Derivative`` or ``Subs``; they are renamed to the graph's partial functions
(sigma^{(m)'}(...), dC/da^{(L)}_k(...)) so they print as the lecture does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Sequence

import sympy as sp
from sympy.core.function import AppliedUndef

from .naive import EachEntry, OneEntry, single_entry
from ..engines import DEFAULT_REFERENCE_ENGINE, REFERENCE_ENGINES
from ..errors import SymbpError
from ..graph import Graph, build_graph
from ..spec import Entry, Network, require_network, selected_entries

REFERENCE_MAX_LAYERS = 16
"""Deepest network the reference differentiates: SymPy recurses a few frames per
level of nesting, and one-unit sigmoid layers hit Python's recursion limit between 30 and 40."""

REFERENCE_MAX_NODES = 120_000
"""Largest total tree size (estimated nodes of the differentiated cost, summed over the
entries) the reference takes on: about 10 s of ``sympy.diff`` (4,8,8,1 is 110,000)."""

_VALUE_NODES = {"identity": 0, "abstract": 2, "tanh": 2, "relu": 3, "sigmoid": 7, "softplus": 6}
"""Tree nodes one activation adds around its z (leaky_relu, which repeats z, is counted apart)."""
_Z = sp.Symbol("z")


def _tree_size(expr: sp.Expr) -> int:
    return sum(1 for _ in sp.preorder_traversal(expr))




@dataclass(frozen=True)
class ReferenceDerivation(OneEntry):
    """dC/d(entry) by ``diff(cost, variable)`` in one engine, then substituted down to x, W, b, t.

    On SymEngine the derivative is kept as SymEngine holds it (``engine_derivative``, a
    shared graph that ``numeric`` evaluates directly); ``cost`` and ``derivative`` are its
    SymPy forms, made when first asked for.
    """

    network: Network
    entry: Entry
    variable: sp.Symbol
    engine: str = "sympy"
    engine_derivative: Any = field(default=None, compare=False, repr=False)
    """SymEngine's derivative over x, W, b, t (None on the SymPy engine)."""
    computed: tuple[sp.Expr, sp.Expr] | None = field(default=None, compare=False, repr=False)
    """(cost, derivative) as SymPy computed them (None on the SymEngine engine)."""

    method = "reference"

    @cached_property
    def cost(self) -> sp.Expr:
        """The cost that was differentiated (for W and b over the named a^{(m-1)}: the mean over a batch,
        plus the decay (lambda/2) sum (W^{(m)}_{ij})^2); on SymEngine the cost in SymPy's form."""
        if self.computed is not None:
            return self.computed[0]
        return _sympy_cost(self.network, self.entry)

    @cached_property
    def derivative(self) -> sp.Expr:
        """``diff(cost, variable)``, substituted down to x, W, b, t."""
        if self.computed is not None:
            return self.computed[1]
        refusal = reference_refusal(self.network, (self.entry,), "sympy")
        if refusal:  # SymEngine shares what a SymPy expression (and its print) would write out in full
            raise SymbpError(f"{refusal.replace('sympy.diff', 'written out')}; its numbers: symbp check or grad")
        if _has_max(self.network):
            # SymPy turns SymEngine's nested Piecewise conditions into ITE(...) when converting back:
            # relu's printed form is SymPy's own diff (the numbers still come from SymEngine).
            return _reference(self.network, self.entry, False, "sympy").derivative
        return _engine(self.network).to_sympy(self.engine_derivative)

    def expression(self, entry: Entry | str | None = None) -> sp.Expr:
        """dC/d(entry): ``derivative``."""
        return self.gradient(entry).derivative

    def steps(self, entry: Entry | str | None = None) -> tuple[sp.Expr, ...]:
        """diff has no steps to show: the one expression."""
        return (self.expression(entry),)


@dataclass(frozen=True)
class ReferenceDerivations(EachEntry):
    """``diff`` of several entries, each on its own."""

    derivations: tuple[ReferenceDerivation, ...]

    method = "reference"


def reference(
    network: Network, entries: Entry | str | Sequence[Entry | str] | None = None, *, guard: bool = True,
    engine: str = DEFAULT_REFERENCE_ENGINE,
) -> ReferenceDerivation | ReferenceDerivations:
    """dC/d(entry) by ``diff`` of the substituted cost; no sharing with backprop at all.

    ``engine`` is ``symengine`` (the default; C++, hundreds of times faster) or ``sympy``.
    SymEngine is used where it differentiates every part of the network (see
    ``symengine_supports``); elsewhere (abstract parts; max, min or abs in a --define formula)
    SymPy does it, and ``engine`` on the result says which did.
    With ``guard`` (the default) an entry whose cost is too deep or large for the engine is
    refused up front; ``guard=False`` runs it anyway (the benchmarks time it on samples).

    >>> from symbp import Network
    >>> r = reference(Network([1, 1], "identity", "squared_error"), "W1_1_1")
    >>> r.expression()
    a0_1*(W1_1_1*a0_1 + b1_1 - t_1)
    """
    require_network(network, "reference")
    engine = require_engine(engine)
    entry = single_entry(network, entries)
    if entry is None:
        chosen = selected_entries(network, entries)
        refusal = reference_refusal(network, chosen, engine) if guard else None
        if refusal:  # all of them together, before any is built
            raise SymbpError(f"{refusal}; use backprop (CLI: --method backprop)")
        return ReferenceDerivations(network, tuple(_reference(network, e, guard, engine) for e in chosen))
    return _reference(network, entry, guard, engine)


def require_engine(engine: object) -> str:
    """``engine`` if it is one of ``REFERENCE_ENGINES``, else a ``SymbpError`` naming them."""
    if engine not in REFERENCE_ENGINES:
        raise SymbpError(f"unknown reference engine {engine!r}; accepted: {', '.join(REFERENCE_ENGINES)}")
    return str(engine)


def engine_used(network: Network, engine: str) -> str:
    """The engine that really differentiates ``network``: SymPy where SymEngine cannot."""
    return "symengine" if engine == "symengine" and symengine_supports(network) else "sympy"


def _reference(network: Network, entry: Entry, guard: bool, engine: str) -> ReferenceDerivation:
    if isinstance(entry, str):
        entry = network.entry(entry)
    engine = engine_used(network, engine)
    refusal = reference_refusal(network, (entry,), engine) if guard else None
    if refusal:
        raise SymbpError(f"{refusal}; use backprop (CLI: --method backprop)")
    graph = build_graph(network)
    variable = graph.symbol(entry)
    if engine == "symengine":
        converted = _engine(network)
        return ReferenceDerivation(network, entry, variable, engine, converted.substituted(converted.derivative(entry)))
    cost = _sympy_cost(network, entry)
    derivative = _name_abstract_derivatives(graph, _pin_heaviside(sp.diff(cost, variable)))
    return ReferenceDerivation(network, entry, variable, engine, computed=(cost, graph.substitute(derivative)))


def _sympy_cost(network: Network, entry: Entry) -> sp.Expr:
    graph = build_graph(network)
    if entry.is_parameter and _rebuilds_max(network, entry.layer):
        return graph.batch_full[graph.total]  # built once per graph; substituting would rebuild every Max
    if entry.is_parameter:
        # (1/N) sum_n C^{(n)} + (lambda/2) sum W^2; one example without decay: C itself
        return graph.total_in_terms_of(entry.layer - 1)
    return graph.cost_in_terms_of(entry.layer, entry.kind)


def _rebuilds_max(network: Network, layer: int) -> bool:
    """Whether a layer from ``layer`` up is written with Max, which SymPy is slow to rebuild (it compares the arguments)."""
    return any(_writes_max(network, m) for m in range(layer, network.L + 1))


def _has_max(network: Network) -> bool:
    return any(_writes_max(network, m) for m in range(1, network.L + 1))


def _writes_max(network: Network, m: int) -> bool:
    return network.activations[m - 1] in ("relu", "leaky_relu") or bool(network.activation(m).kinks)


def reference_refusal(network: Network, entries: Sequence[Entry], engine: str = "sympy") -> str | None:
    """Why ``engine`` should not differentiate ``entries`` (too deep or too large), or None.

    Counted by formula from the widths, before any expression is built: for SymPy the
    size of the cost as a tree, for SymEngine (which shares equal parts) the work of
    walking the shared graph once per entry.
    """
    if engine_used(network, engine) == "symengine":
        name, layers, nodes, size = "symengine", SYMENGINE_MAX_LAYERS, SYMENGINE_MAX_WORK, symengine_work
        kind = "shared expression nodes"
    else:
        name, layers, nodes, size = "sympy.diff", REFERENCE_MAX_LAYERS, REFERENCE_MAX_NODES, cost_tree_nodes
        kind = "expression nodes"
    if network.L > layers:
        return f"the reference ({name}) is limited to {layers} layers, network {network.describe()} has {network.L}"
    total = sum(size(network, e) for e in entries)
    if total > nodes:
        what = entries[0].name if len(entries) == 1 else f"{len(entries)} entries"
        return f"the reference ({name}) of {what} would walk about {total:,.0f} {kind}, over its limit of {nodes:,}"
    return None


SYMENGINE_MAX_LAYERS = 100
"""Deepest network SymEngine differentiates: 100 one-unit layers take about 10 s."""

SYMENGINE_MAX_WORK = 30_000_000
"""Largest summed size (``symengine_work``) of the shared graphs SymEngine differentiates, one per
entry: about a minute (16,64,64,1, all 5,571 entries, is 25 million)."""


def symengine_work(network: Network, entry: Entry) -> int:
    """Nodes of the shared graph SymEngine differentiates for ``entry``: the weights above its layer."""
    first = entry.layer + 1 if entry.kind in ("z", "a") else entry.layer
    nodes = sum((network.D(m - 1) + 4) * network.D(m) for m in range(first, network.L + 1))
    return network.batch * (nodes + network.D(network.L) * network.D(network.L)) + 1


def cost_tree_nodes(network: Network, entry: Entry) -> float:
    """Estimated tree size of the cost ``reference`` differentiates for ``entry`` (a float: it can be huge)."""
    first = entry.layer if entry.kind in ("z", "a") else entry.layer - 1
    a_nodes = 1.0  # the named a^{(first)} (or z^{(first)}): one symbol each
    for m in range(first + 1, network.L + 1):
        z_nodes = network.D(m - 1) * (3 + a_nodes) + 2
        name = network.activations[m - 1]
        if name == "softmax":  # exp(z_k) over the sum of every exp(z_j)
            a_nodes = (network.D(m) + 1) * (z_nodes + 2) + 4
        elif name == "leaky_relu":
            a_nodes = 2 * z_nodes + 8
        elif name in _VALUE_NODES:
            a_nodes = z_nodes + _VALUE_NODES[name]
        else:  # a defined formula repeats z wherever it uses x
            value = network.activation(m).value(_Z)
            uses, nodes = value.count(_Z), _tree_size(value)
            a_nodes = uses * z_nodes + nodes - uses
    return network.batch * network.D(network.L) * (a_nodes + 8)


def _pin_heaviside(expr: sp.Expr) -> sp.Expr:
    """Heaviside(u) as Heaviside(u, 0): relu'(0) = 0."""
    return expr.replace(
        lambda n: isinstance(n, sp.Heaviside) and n.args[1:] != (0,), lambda n: sp.Heaviside(n.args[0], 0)
    )


def _name_abstract_derivatives(graph: Graph, expr: sp.Expr) -> sp.Expr:
    """Replace SymPy's Derivative/Subs of undefined functions by the named partial functions."""
    if not graph.partial_functions:
        return expr

    def rename(node: sp.Basic) -> sp.Basic:
        if isinstance(node, sp.Subs):
            inner = rename(node.expr)
            return inner.xreplace(dict(zip(node.variables, node.point)))
        if isinstance(node, sp.Derivative):
            applied = node.expr
            (variable, order), = node.variable_count
            if isinstance(applied, AppliedUndef) and order == 1 and applied.func in graph.partial_functions:
                position = applied.args.index(variable)
                return graph.partial_functions[applied.func][position](*applied.args)
        return node

    return expr.replace(lambda n: isinstance(n, (sp.Subs, sp.Derivative)), rename)


def symengine_supports(network: Network) -> bool:
    """Whether SymEngine differentiates every part of ``network``.

    Every built-in non-linearity and cost is (relu's and leaky_relu's max(0, u) go in as
    Piecewise((u, u > 0), (0, True)), whose derivative is 0 at u = 0 as Heaviside(u, 0) is);
    a --define formula with max, min or abs is not (SymEngine leaves their derivatives
    unevaluated and cannot evaluate Heaviside or sign), so SymPy differentiates those networks;
    nor is an abstract network: its proofs need the SymPy form, and converting SymEngine's
    Subs(Derivative(sigma(xi), xi), xi, z) back costs more than SymPy's own diff (4,8,8,1: 30 s
    against 10 s).
    """
    if network.is_abstract:
        return False
    return not any(network.activation(m).kinks for m in range(1, network.L + 1))


def _symengine() -> Any:
    """The SymEngine module, imported only when a reference is computed (not by ``import symbp``)."""
    import symengine

    return symengine


@lru_cache(maxsize=8)
def _engine(network: Network) -> _SymEngineGraph:
    return _SymEngineGraph(network)


class _SymEngineGraph:
    """One network's graph in SymEngine: the definitions converted one by one, composed as a shared graph.

    ``full`` maps every named z, a (and C) of every example to its SymEngine expression over
    x, W, b, t; composing by ``xreplace`` shares each layer's expressions instead of copying them.
    """

    def __init__(self, network: Network) -> None:
        self.se = se = _symengine()
        self.network = network
        self.graph = graph = build_graph(network)
        self.symbols: dict[str, sp.Symbol] = {}
        self.definitions: dict[int, tuple[list[dict[Any, Any]], list[dict[Any, Any]], Any]] = {}
        """Per example: each layer's {z: definition over a^{(m-1)}}, {a: definition over z^{(m)}}, and C over a^{(L)}."""
        self.full: dict[Any, Any] = {}
        for g in {id(g): g for g in (graph, *graph.examples)}.values():
            self._learn(g)
        self.mean = se.sympify(graph.mean)
        self.decay = self.to_se(graph.decay_cost)
        self._upward: dict[tuple[int, int, str], Any] = {}

    def _learn(self, g: Graph) -> None:
        L = self.network.L
        z_defs: list[dict[Any, Any]] = [{}]
        a_defs: list[dict[Any, Any]] = [{}]
        for m in range(1, L + 1):
            z_defs.append({self.symbol(s): self.to_se(d) for s, d in zip(g.z[m], g.z_definition[m])})
            a_defs.append({self.symbol(s): self.to_se(d) for s, d in zip(g.a[m], g.a_definition[m])})
        self.definitions[id(g)] = (z_defs, a_defs, self.to_se(g.C_definition))
        below: dict[Any, Any] = {}
        for m in range(1, L + 1):
            z = {s: d.xreplace(below) for s, d in z_defs[m].items()}
            below = {s: d.xreplace(z) for s, d in a_defs[m].items()}
            self.full.update(z)
            self.full.update(below)
        self.full[self.symbol(g.C)] = self.definitions[id(g)][2].xreplace(below)

    def symbol(self, symbol: sp.Symbol) -> Any:
        self.symbols[symbol.name] = symbol
        return self.se.Symbol(symbol.name)

    def to_se(self, expr: sp.Expr) -> Any:
        """``expr`` in SymEngine, relu's max(0, u) as a Piecewise; records its symbols' names."""
        for s in expr.free_symbols:
            self.symbols.setdefault(s.name, s)
        return self.se.sympify(_max_as_piecewise(expr))

    def upward(self, g: Graph, layer: int, kind: str) -> Any:
        """C of example ``g`` over its named z^{(layer)} (or a^{(layer)}), the layers above composed.

        From the top down, each from the one above: one layer's definitions substituted per step.
        """
        key = (id(g), layer, kind)
        if key not in self._upward:
            z_defs, a_defs, cost = self.definitions[id(g)]
            if kind == "a":
                above = cost if layer == self.network.L else self.upward(g, layer + 1, "z")
                self._upward[key] = above.xreplace(z_defs[layer + 1]) if layer < self.network.L else above.xreplace({})
            else:
                self._upward[key] = self.upward(g, layer, "a").xreplace(a_defs[layer])
        return self._upward[key]

    def derivative(self, entry: Entry) -> Any:
        """dC/d(entry) over the named z^{(m)} and a^{(m-1)} (``substituted`` takes it down to x, W, b, t).

        For W^{(m)}_{ij} and b^{(m)}_i: C over the named z^{(m)} with only z^{(m)}_i (the one
        that contains the variable) substituted by its definition, differentiated, then every
        named quantity substituted; for z and a: C over the named z^{(m)} (or a^{(m)}).
        """
        se, graph = self.se, self.graph
        variable = self.symbol(graph.symbol(entry))
        if entry.is_parameter:
            m, i = entry.layer, entry.row - 1
            costs = []
            for g in graph.examples:
                z_defs = self.definitions[id(g)][0]
                named = self.symbol(g.z[m][i])
                costs.append(self.upward(g, m, "z").xreplace({named: z_defs[m][named]}))
            cost = self.mean * se.Add(*costs) + self.decay
        else:
            cost = self.upward(graph, entry.layer, entry.kind)
        return cost.diff(variable)

    def substituted(self, derivative: Any) -> Any:
        """A ``derivative`` over named quantities, substituted down to x, W, b, t."""
        return derivative.xreplace(self.full)

    def to_sympy(self, expr: Any) -> sp.Expr:
        """``expr`` back in SymPy over the graph's own symbols, printed as the SymPy engine's."""
        back = sp.sympify(expr)
        back = back.xreplace({s: self.symbols[s.name] for s in back.free_symbols if s.name in self.symbols})
        return _piecewise_as_heaviside(back)


def _max_as_piecewise(expr: sp.Expr) -> sp.Expr:
    """max(0, u) as Piecewise((u, u > 0), (0, True)): SymEngine differentiates it, to 0 at u = 0."""
    return expr.replace(
        lambda n: isinstance(n, sp.Max) and len(n.args) == 2 and sp.S.Zero in n.args,
        lambda n: (lambda u: sp.Piecewise((u, u > 0), (0, True)))(n.args[1] if n.args[0] == 0 else n.args[0]),
    )


def _piecewise_as_heaviside(expr: sp.Expr) -> sp.Expr:
    """SymEngine's Piecewise((e, u > 0), (0, True)) back as max(0, u) (e = u) or e Heaviside(u, 0)."""

    def is_step(n: sp.Basic) -> bool:
        return (
            isinstance(n, sp.Piecewise) and len(n.args) == 2 and n.args[1].cond == sp.true and n.args[1].expr == 0
            and isinstance(n.args[0].cond, (sp.StrictGreaterThan, sp.StrictLessThan))
        )

    def step(n: sp.Piecewise) -> sp.Expr:
        e, condition = n.args[0]
        u = condition.gts - condition.lts
        return sp.Max(0, u) if e == u else e * sp.Heaviside(u, 0)

    return expr.replace(is_step, step)
