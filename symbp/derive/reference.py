"""The independent reference: plain ``sympy.diff`` of the substituted cost.

C is substituted down to the layer the variable enters and differentiated
there; the rest is substituted afterwards. For W^{(m)}_{ij} and b^{(m)}_i that is C
over the named z^{(m)} with only z^{(m)}_i written out as W^{(m)}_{i.} a^{(m-1)} + b^{(m)}_i
(the fully substituted C when a layer above is relu-like): the other named
quantities do not depend on the variable, so the partial derivative is that of
the fully substituted C, and the engine has less to walk. For z^{(m)}_j (or
a^{(m)}_j), C over the named z^{(m)} (or a^{(m)}). No path or delta logic is involved.

relu's Max(0, z) differentiates to Heaviside(z); Heaviside(0) is pinned to 0
(``Heaviside(z, 0)``), the convention backprop's sigma' and PyTorch use.

``sympy.diff`` walks the substituted cost as a tree, whose size multiplies by
the width at every layer, and recurses once per level of nesting.
``reference_refusal`` estimates both from the network before anything is built,
so that a network too large for it is refused at once instead of running for
minutes or hitting Python's recursion limit.

With abstract sigma^{(m)} and C, each undefined function is differentiated as a
SymPy function whose ``fdiff`` is the graph's partial function (sigma^{(m)'}(...),
dC/da^{(L)}_k(...)), so ``diff`` applies the chain rule and names the derivatives
as the lecture does; left undefined, SymPy would write ``Subs(Derivative(...))``
for each, at a cost that grows with its argument (4,8,8,1: 16 s against 1.5 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Sequence

import sympy as sp
from sympy.core.function import ArgumentIndexError

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

    On SymEngine the derivative is kept as SymEngine holds it (``engine_derivative``, a shared
    graph over the named quantities of the entry's layer, which ``numeric`` evaluates at a forward
    pass's values of them); ``cost`` and ``derivative`` are its SymPy forms, made when first asked for.
    """

    network: Network
    entry: Entry
    variable: sp.Symbol
    engine: str = "sympy"
    engine_derivative: Any = field(default=None, compare=False, repr=False)
    """SymEngine's derivative, over the named z^{(m)} and a^{(m-1)} (z and a entries: z^{(m)} or a^{(m)})
    where the cost was left in them, and x, W, b, t (None on the SymPy engine). Substituting them all
    (``_SymEngineGraph.substituted``) gives the derivative over x, W, b, t."""
    computed: tuple[sp.Expr, sp.Expr] | None = field(default=None, compare=False, repr=False)
    """(cost, derivative) as SymPy computed them (None on the SymEngine engine)."""
    named_derivative: sp.Expr | None = field(default=None, compare=False, repr=False)
    """An abstract network's SymEngine derivative converted back to SymPy, over the named z^{(m)} of the
    entry's layer where the cost was left in them (``derivative`` substitutes them): what check proves."""

    method = "reference"

    def remainders(self) -> dict[sp.Symbol, tuple[tuple[tuple[sp.Symbol, sp.Symbol], ...], sp.Symbol]]:
        """The named remainders r = sum_j W_kj a_j + b_k that ``engine_derivative`` holds, each as its
        (W_kj, a_j) terms and b_k, so that a forward pass's values give it a value."""
        if self.engine_derivative is None:
            return {}
        engine = _engine(self.network)
        return {r: engine.remainders[r] for r in engine.remainder_symbols(self.entry)}

    @cached_property
    def cost(self) -> sp.Expr:
        """The cost that was differentiated (for W and b over the named z^{(m)}, unit i's written out: the mean over a batch,
        plus the decay (lambda/2) sum (W^{(m)}_{ij})^2); on SymEngine the cost in SymPy's form."""
        if self.computed is not None:
            return self.computed[0]
        return _sympy_cost(self.network, self.entry)

    @cached_property
    def derivative(self) -> sp.Expr:
        """``diff(cost, variable)``, substituted down to x, W, b, t."""
        if self.computed is not None:
            return self.computed[1]
        if self.named_derivative is not None:  # substituted in SymPy: SymEngine's xreplace stops at a Derivative's variable
            return build_graph(self.network).substitute(self.named_derivative)
        refusal = written_out_refusal(self.network, (self.entry,))
        if refusal:  # SymEngine shares what a SymPy expression (and its print) would write out in full
            raise SymbpError(refusal)
        if _has_max(self.network):
            # SymPy turns SymEngine's nested Piecewise conditions into ITE(...) when converting back:
            # relu's printed form is SymPy's own diff (the numbers still come from SymEngine).
            return _reference(self.network, self.entry, False, "sympy").derivative
        engine = _engine(self.network)
        return engine.to_sympy(engine.substituted(self.engine_derivative))

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
    ``symengine_supports``); elsewhere (max, min or abs in a --define formula; an abstract part
    beside relu, leaky_relu or softmax)
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


def written_out_refusal(network: Network, entries: Sequence[Entry]) -> str | None:
    """Why the references of ``entries`` are too large to write out (print) together, or None:
    whatever engine differentiates them, a printed form is a SymPy tree."""
    if network.L > REFERENCE_MAX_LAYERS:
        return (f"the reference written out is limited to {REFERENCE_MAX_LAYERS} layers, network {network.describe()} "
                f"has {network.L}; its numbers: symbp check or grad")
    total = sum(cost_tree_nodes(network, e) for e in entries)
    if total > REFERENCE_MAX_NODES:
        what = entries[0].name if len(entries) == 1 else f"{len(entries)} entries"
        return (f"the reference of {what} written out would have about {total:,.0f} expression nodes, over the "
                f"limit of {REFERENCE_MAX_NODES:,} for printing; its numbers: symbp check or grad")
    return None


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
        derivative = converted.derivative(entry)
        if not network.is_abstract:
            return ReferenceDerivation(network, entry, variable, engine, derivative)
        # Abstract parts are evaluated by SymPy stand-ins and proved in SymPy: keep only its form.
        try:
            named = converted.abstract_to_sympy(derivative)
        except _Unconvertible:  # e.g. relu's Piecewise beside an abstract sigma: SymPy differentiates
            return _reference(network, entry, False, "sympy")
        return ReferenceDerivation(network, entry, variable, engine, named_derivative=named)
    cost = _sympy_cost(network, entry)
    derivative = _pin_heaviside(_diff_abstract(graph, cost, variable))
    return ReferenceDerivation(network, entry, variable, engine, computed=(cost, graph.substitute(derivative)))


def _sympy_cost(network: Network, entry: Entry) -> sp.Expr:
    graph = build_graph(network)
    if entry.is_parameter and _rebuilds_max(network, entry.layer):
        return graph.batch_full[graph.total]  # built once per graph; substituting would rebuild every Max
    if entry.is_parameter:
        # (1/N) sum_n C^{(n)} + (lambda/2) sum W^2 (one example without decay: C itself), each C^{(n)}
        # over the named z^{(m)} with only unit i's written out: the others do not depend on W^{(m)}_{ij}
        # or b^{(m)}_i, so the partial derivative is the same and diff walks a D(m)-th of the tree.
        m, i = entry.layer, entry.row - 1
        costs = [g.cost_in_terms_of(m, "z").xreplace({g.z[m][i]: g.z_definition[m][i]}) for g in graph.examples]
        return graph.mean * sp.Add(*costs) + graph.decay_cost
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
    walking the shared graph once per entry; an abstract network's SymEngine derivative
    comes back to SymPy as a tree, so SymPy's limits hold for it.
    """
    used = engine_used(network, engine)
    if used == "symengine" and not network.is_abstract:
        name, layers, nodes, size = "symengine", SYMENGINE_MAX_LAYERS, SYMENGINE_MAX_WORK, symengine_work
        kind = "shared expression nodes"
    else:
        name = "sympy.diff" if used == "sympy" else "symengine, written out in SymPy"
        layers, nodes, size = REFERENCE_MAX_LAYERS, REFERENCE_MAX_NODES, cost_tree_nodes
        kind = "expression nodes"
    if network.L > layers:
        return f"the reference ({name}) is limited to {layers} layers, network {network.describe()} has {network.L}"
    repeated = _repeats_its_argument(network) if name == "symengine" and network.L > LAMBDIFY_MAX_LAYERS else None
    if repeated:
        return (f"the reference (symengine) is limited to {LAMBDIFY_MAX_LAYERS} layers when a hidden layer's "
                f"non-linearity uses z more than once ({repeated}), network has {network.L}")
    total = sum(size(network, e) for e in entries)
    if total > nodes:
        what = entries[0].name if len(entries) == 1 else f"{len(entries)} entries"
        return f"the reference ({name}) of {what} would walk about {total:,.0f} {kind}, over its limit of {nodes:,}"
    return None


LAMBDIFY_MAX_LAYERS = 6
"""Up to this depth the reference is compiled by ``symengine.Lambdify`` (its common-subexpression
search grows steeply with depth: 10 layers of width 2 take a second); deeper, numbers are
substituted into SymEngine's shared graph, point by point (``numeric.compile_many``)."""


def _repeats_its_argument(network: Network) -> str | None:
    """The first hidden non-linearity whose formula uses z more than once (leaky_relu, a GELU), or None:
    substituting numbers walks such a layer's graph twice per use, so deep networks of it take hours."""
    for m in range(1, network.L):
        name = network.activations[m - 1]
        if name != "abstract" and network.activation(m).value(_Z).count(_Z) > 1:
            return name
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


def _diff_abstract(graph: Graph, expr: sp.Expr, variable: sp.Symbol) -> sp.Expr:
    """``diff(expr, variable)``, each undefined function differentiated to its named partial function."""
    if not graph.partial_functions:
        return sp.diff(expr, variable)
    differentiable = _differentiable_functions(graph)
    undefined = {f: u for u, f in differentiable.items()}
    return _swap_functions(sp.diff(_swap_functions(expr, differentiable), variable), undefined)


@lru_cache(maxsize=8)
def _differentiable_functions(graph: Graph) -> dict[sp.FunctionClass, sp.FunctionClass]:
    """For each undefined function of ``graph``, a function of the same name whose k-th partial
    derivative is the graph's k-th partial function of it (the chain rule is left to ``diff``)."""

    def fdiff(self: sp.Function, argindex: int = 1) -> sp.Expr:
        if argindex > len(self._partials):  # C's targets t: never a variable here
            raise ArgumentIndexError(self, argindex)
        return self._partials[argindex - 1](*self.args)

    return {
        f: type(f.__name__, (sp.Function,), {"fdiff": fdiff, "_partials": partials})
        for f, partials in graph.partial_functions.items()
    }


def _swap_functions(expr: sp.Basic, functions: dict[sp.FunctionClass, sp.FunctionClass]) -> sp.Basic:
    """``expr`` with every application f(...) of a key of ``functions`` made one of its value, bottom-up."""
    memo: dict[sp.Basic, sp.Basic] = {}

    def swap(node: sp.Basic) -> sp.Basic:
        if node.is_Atom:
            return node
        if node not in memo:
            args = tuple(swap(a) for a in node.args)
            func = functions.get(node.func, node.func)
            memo[node] = node if func is node.func and args == node.args else func(*args)
        return memo[node]

    return swap(expr)


def symengine_supports(network: Network) -> bool:
    """Whether SymEngine differentiates every part of ``network``.

    Every built-in non-linearity and cost is (relu's and leaky_relu's max(0, u) go in as
    Piecewise((u, u > 0), (0, True)), whose derivative is 0 at u = 0 as Heaviside(u, 0) is);
    a --define formula with max, min or abs is not (SymEngine leaves their derivatives
    unevaluated and cannot evaluate Heaviside or sign), so SymPy differentiates those networks.
    Abstract sigma^{(m)} and C are: SymEngine's Subs(Derivative(sigma(xi), xi), xi, z) comes back
    as the named sigma'(z) (``abstract_to_sympy``); but not beside relu-like layers, whose
    Piecewise, substituted in SymPy, nests its conditions into ITE(...), nor beside softmax,
    whose exp(z_j) exp(z_k) SymEngine joins into exp(z_j + z_k), which the proofs cannot fold
    back into a_j a_k (3,3,3 softmax with an abstract cost: 7.6 s, against 2.4 s in SymPy).
    """
    if network.is_abstract and (_has_max(network) or "softmax" in network.activations):
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
    x, W, b, t (and each remainder, once ``substituted`` has met it); composing by ``xreplace``
    shares each layer's expressions instead of copying them.
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
        self.remainders: dict[sp.Symbol, tuple[tuple[tuple[sp.Symbol, sp.Symbol], ...], sp.Symbol]] = {}
        """Each remainder r = sum_j W_kj a_j + b_k (``_cost_of_unit``) as its (W_kj, a_j) terms and b_k."""
        self._remainder_symbols: dict[str, sp.Symbol] = {}
        self._substituted_remainders: set[sp.Symbol] = set()
        """Remainders whose full form ``substituted`` has put into ``full``."""
        self._sympy_forms: dict[Any, sp.Basic] = {}
        """``abstract_to_sympy``'s conversions, node by node, over all entries."""

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
        """dC/d(entry) over named quantities (``substituted`` takes it down to x, W, b, t).

        C is written as a function of the entry's unit alone (``_cost_of_unit``), summed over the
        examples with the decay for W and b, and differentiated.
        """
        se, graph = self.se, self.graph
        variable = self.symbol(graph.symbol(entry))
        m, i = entry.layer, entry.row - 1
        if entry.is_parameter:
            cost = self.mean * se.Add(*[self._cost_of_unit(g, m, i, "W") for g in graph.examples]) + self.decay
        else:
            cost = self._cost_of_unit(graph, m, i, entry.kind)
        return cost.diff(variable)

    def _cost_of_unit(self, g: Graph, m: int, i: int, kind: str) -> Any:
        """C of example ``g`` with every named quantity that does not depend on unit i of layer m left named.

        Above the unit, z^{(m+1)}_k = W^{(m+1)}_{ki} a^{(m)}_i + r_k with the rest of its sum
        r_k = sum_{j != i} W^{(m+1)}_{kj} a^{(m)}_j + b^{(m+1)}_k a named remainder (``remainders``),
        and the layers above that written out; then a^{(m)}_i = sigma(z^{(m)}_i) (unless ``kind``
        is ``a``), and for ``kind`` W (W or b) z^{(m)}_i written out. What is left named does not
        depend on the variable, so the partial derivative is that of the fully substituted C, and
        SymEngine walks a D(m)-th of the graph (16,64,64,1's first layer: 12,000 nodes to 400).
        Abstract networks and the output layer keep C over all of z^{(m)} (or a^{(m)}).
        """
        z_defs, a_defs, _ = self.definitions[id(g)]
        z, a = self.symbol(g.z[m][i]), self.symbol(g.a[m][i])
        if m == self.network.L or self.network.is_abstract:
            cost = self.upward(g, m, "a" if kind == "a" else "z")
        else:
            W = self.graph.W[m + 1]
            above = {self.symbol(z_k): self.symbol(W[k, i]) * a + self._remainder(g, m + 1, k, i)
                     for k, z_k in enumerate(g.z[m + 1])}
            cost = self.upward(g, m + 1, "z").xreplace(above)
            if kind != "a":
                cost = cost.xreplace({a: a_defs[m][a]})
        return cost.xreplace({z: z_defs[m][z]}) if kind == "W" else cost

    def _remainder(self, g: Graph, layer: int, k: int, i: int) -> Any:
        """The named sum_{j != i} W^{(layer)}_{kj} a^{(layer-1)}_j + b^{(layer)}_k of example ``g``."""
        name = _remainder_name(g, layer, k, i)
        if name not in self._remainder_symbols:
            W, b = self.graph.W[layer], self.graph.b[layer]
            terms = tuple((W[k, j], a_j) for j, a_j in enumerate(g.a[layer - 1]) if j != i)
            self._remainder_symbols[name] = symbol = sp.Symbol(name)
            self.remainders[symbol] = (terms, b[k])
        return self.se.Symbol(name)

    def remainder_symbols(self, entry: Entry) -> tuple[sp.Symbol, ...]:
        """The remainders ``derivative(entry)`` is over (made by it: call that first)."""
        m, i = entry.layer, entry.row - 1
        if m == self.network.L or self.network.is_abstract:
            return ()
        examples = self.graph.examples if entry.is_parameter else (self.graph,)
        return tuple(self._remainder_symbols[_remainder_name(g, m + 1, k, i)]
                     for g in examples for k in range(self.network.D(m + 1)))

    def substituted(self, derivative: Any) -> Any:
        """A ``derivative`` over named quantities, substituted down to x, W, b, t."""
        for symbol in self.remainders.keys() - self._substituted_remainders:  # each written out once
            terms, b = self.remainders[symbol]
            rest = self.se.Add(*[self.symbol(w) * self.symbol(a) for w, a in terms], self.symbol(b))
            self.full[self.se.Symbol(symbol.name)] = rest.xreplace(self.full)
            self._substituted_remainders.add(symbol)
        return derivative.xreplace(self.full)

    def to_sympy(self, expr: Any) -> sp.Expr:
        """``expr`` back in SymPy over the graph's own symbols, printed as the SymPy engine's."""
        back = sp.sympify(expr)
        back = back.xreplace({s: self.symbols[s.name] for s in back.free_symbols if s.name in self.symbols})
        return _piecewise_as_heaviside(back)

    def abstract_to_sympy(self, expr: Any) -> sp.Expr:
        """``expr`` of an abstract network back in SymPy, each derivative of an abstract function
        (SymEngine's Subs(Derivative(f(xi), xi), xi, u)) as the graph's partial function f'(u).

        Converted node by node with a memo, so what SymEngine shares is converted once (``sympify``
        would build SymPy's Subs, whose construction alone is slower than SymPy's whole diff).
        Raises ``_Unconvertible`` at a node it has no SymPy form for.
        """
        from symengine.lib import symengine_wrapper as se_types

        functions = {f.__name__: (f, partials) for f, partials in self.graph.partial_functions.items()}
        memo = self._sympy_forms  # over every entry: their derivatives share the layers above them

        def partial(derivative: Any) -> sp.Expr:
            applied, variables = derivative.args[0], derivative.args[1:]
            if type(applied) is not se_types.FunctionSymbol or len(variables) != 1:
                raise _Unconvertible(derivative)
            f, partials = functions[applied.get_name()]
            arguments = tuple(map(convert, applied.args))
            return partials[arguments.index(convert(variables[0]))](*arguments)

        def convert(node: Any) -> sp.Basic:
            if node in memo:
                return memo[node]
            kind = type(node)
            if kind in (se_types.Symbol, se_types.Dummy):  # SymEngine's Subs variables are Symbols _xi_k
                out: sp.Basic = self.symbols[node.name] if node.name in self.symbols else sp.Dummy(node.name)
            elif node.is_Number or isinstance(node, se_types.Constant):  # exp(u) is E**u in SymEngine
                out = node._sympy_()
            elif kind in (se_types.Add, se_types.Mul, se_types.Pow):
                out = getattr(sp, kind.__name__)(*map(convert, node.args))
            elif kind is se_types.FunctionSymbol and node.get_name() in functions:
                out = functions[node.get_name()][0](*map(convert, node.args))
            elif kind is se_types.Derivative:
                out = partial(node)
            elif kind is se_types.Subs:
                inner = convert(node.expr)
                out = inner.xreplace(dict(zip(map(convert, node.variables), map(convert, node.point))))
            elif isinstance(node, se_types.Function) and isinstance(getattr(sp, kind.__name__, None), sp.FunctionClass):
                out = getattr(sp, kind.__name__)(*map(convert, node.args))  # exp, log, tanh, erf, ...
            else:
                raise _Unconvertible(node)
            memo[node] = out
            return out

        return convert(expr)


def _remainder_name(g: Graph, layer: int, k: int, i: int) -> str:
    """The remainder of z^{(layer)}_k without unit i of the layer below, e.g. ``_z2_3_less_1``."""
    return f"_{g.z[layer][k].name}_less_{i + 1}"


class _Unconvertible(Exception):
    """A SymEngine node ``abstract_to_sympy`` has no SymPy form for."""


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
