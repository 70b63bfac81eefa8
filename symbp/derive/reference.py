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

from dataclasses import dataclass
from typing import Sequence

import sympy as sp
from sympy.core.function import AppliedUndef

from .naive import EachEntry, OneEntry, single_entry
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
    """dC/d(entry) by ``sympy.diff(cost, variable)``, then substituted down to x, W, b, t."""

    network: Network
    entry: Entry
    cost: sp.Expr
    """The cost that was differentiated (for W and b over the named a^{(m-1)}: the mean over a batch,
    plus the decay (lambda/2) sum (W^{(m)}_{ij})^2)."""
    variable: sp.Symbol
    derivative: sp.Expr
    """``sympy.diff(cost, variable)``, substituted down to x, W, b, t."""

    method = "reference"

    def expression(self, entry: Entry | str | None = None) -> sp.Expr:
        """dC/d(entry): ``derivative``."""
        return self.gradient(entry).derivative

    def steps(self, entry: Entry | str | None = None) -> tuple[sp.Expr, ...]:
        """sympy.diff has no steps to show: the one expression."""
        return (self.expression(entry),)


@dataclass(frozen=True)
class ReferenceDerivations(EachEntry):
    """``sympy.diff`` of several entries, each on its own."""

    derivations: tuple[ReferenceDerivation, ...]

    method = "reference"


def reference(
    network: Network, entries: Entry | str | Sequence[Entry | str] | None = None, *, guard: bool = True
) -> ReferenceDerivation | ReferenceDerivations:
    """dC/d(entry) by ``sympy.diff``; only sensible on small networks (no sharing at all).

    With ``guard`` (the default) an entry whose cost is too deep or large for ``sympy.diff`` is
    refused up front; ``guard=False`` runs it anyway (the benchmarks time it on samples).

    >>> from symbp import Network
    >>> r = reference(Network([1, 1], "identity", "squared_error"), "W1_1_1")
    >>> r.expression()
    a0_1*(W1_1_1*a0_1 + b1_1 - t_1)
    """
    require_network(network, "reference")
    entry = single_entry(network, entries)
    if entry is None:
        return ReferenceDerivations(network, tuple(_reference(network, e, guard) for e in selected_entries(network, entries)))
    return _reference(network, entry, guard)


def _reference(network: Network, entry: Entry, guard: bool) -> ReferenceDerivation:
    if isinstance(entry, str):
        entry = network.entry(entry)
    refusal = reference_refusal(network, (entry,)) if guard else None
    if refusal:
        raise SymbpError(f"{refusal}; use backprop (CLI: --method backprop)")
    graph = build_graph(network)
    variable = graph.symbol(entry)
    if entry.is_parameter and _rebuilds_max(network, entry.layer):
        cost = graph.batch_full[graph.total]  # built once per graph; substituting would rebuild every Max
    elif entry.is_parameter:
        # (1/N) sum_n C^{(n)} + (lambda/2) sum W^2; one example without decay: C itself
        cost = graph.total_in_terms_of(entry.layer - 1)
    else:
        cost = graph.cost_in_terms_of(entry.layer, entry.kind)
    derivative = _name_abstract_derivatives(graph, _pin_heaviside(sp.diff(cost, variable)))
    return ReferenceDerivation(network, entry, cost, variable, graph.substitute(derivative))


def _rebuilds_max(network: Network, layer: int) -> bool:
    """Whether a layer from ``layer`` up is written with Max, which SymPy is slow to rebuild (it compares the arguments)."""
    return any(
        name in ("relu", "leaky_relu") or network.activation(m).kinks
        for m, name in enumerate(network.activations[layer - 1:], layer)
    )


def reference_refusal(network: Network, entries: Sequence[Entry]) -> str | None:
    """Why ``sympy.diff`` should not be run for ``entries`` (too deep or too large), or None.

    Counted by formula from the widths, before any expression is built.
    """
    if network.L > REFERENCE_MAX_LAYERS:
        return (
            f"the reference (sympy.diff) is limited to {REFERENCE_MAX_LAYERS} layers, "
            f"network {network.describe()} has {network.L}"
        )
    total = sum(cost_tree_nodes(network, e) for e in entries)
    if total > REFERENCE_MAX_NODES:
        what = entries[0].name if len(entries) == 1 else f"{len(entries)} entries"
        return (
            f"the reference (sympy.diff) of {what} would walk about {total:,.0f} expression nodes, "
            f"over its limit of {REFERENCE_MAX_NODES:,}"
        )
    return None


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
