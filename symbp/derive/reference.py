"""The independent reference: plain ``sympy.diff`` of the substituted cost.

For a weight or bias, C is substituted all the way down to x, W, b, t. A
pre-activation or activation is not a variable of that fully substituted C, so
for z^{(m)}_j (or a^{(m)}_j) C is substituted down to the named z^{(m)} (or
a^{(m)}), differentiated there, and the rest substituted afterwards. No path
or delta logic is involved.

With abstract sigma^{(m)} and C, SymPy writes derivatives of undefined functions
as ``Derivative`` or ``Subs``; they are renamed to the graph's partial functions
(sigma^{(m)'}(...), dC/da^{(L)}_k(...)) so they print as the lecture does.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from ..graph import Graph, build_graph
from ..spec import Entry, Network


@dataclass(frozen=True)
class ReferenceDerivation:
    """dC/d(entry) by ``sympy.diff(cost, variable)``, then substituted down to x, W, b, t."""

    network: Network
    entry: Entry
    cost: sp.Expr
    """The cost that was differentiated (fully substituted for W and b)."""
    variable: sp.Symbol
    expression: sp.Expr

    method = "reference"

    def _repr_latex_(self) -> str:
        from ..render.latex import repr_latex  # printing lives in render, not here

        return repr_latex(self)


def reference(network: Network, entry: Entry | str) -> ReferenceDerivation:
    """dC/d(entry) by ``sympy.diff``; only sensible on small networks (no sharing at all).

    >>> from symbp import Network
    >>> r = reference(Network([1, 1], "identity", "squared_error"), "W1_1_1")
    >>> r.expression
    a0_1*(W1_1_1*a0_1 + b1_1 - t_1)
    """
    if isinstance(entry, str):
        entry = network.entry(entry)
    graph = build_graph(network)
    variable = graph.symbol(entry)
    if entry.is_parameter:
        cost = graph.full[graph.C]
    else:
        cost = graph.cost_in_terms_of(entry.layer, entry.kind)
    derivative = _name_abstract_derivatives(graph, sp.diff(cost, variable))
    return ReferenceDerivation(network, entry, cost, variable, graph.substitute(derivative))


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
