"""Naive chain expansion: dC/d(entry) as the sum over every path of its local derivatives.

This is how a student first does it by hand (the lecture's dC/dW^{(2)}_{12} and
dC/dW^{(1)}_{23} exercises): nothing is shared between paths or between entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import product
from typing import Sequence

import sympy as sp

from ..counts import naive_paths
from ..display import Displayable
from ..errors import SymbpError
from ..graph import Graph, build_graph
from ..spec import Entry, Network

DEFAULT_MAX_PATHS = 10_000
"""Expanding costs about 0.2 ms a path, so the default stays within a few seconds."""


@dataclass(frozen=True)
class Factor:
    """One local derivative d(of)/d(wrt) on a path, and its evaluated value."""

    of: sp.Symbol
    wrt: sp.Symbol
    value: sp.Expr


@dataclass(frozen=True)
class Path:
    """The factors of one path, ordered from C down to the entry as the lecture writes them."""

    factors: tuple[Factor, ...]

    @property
    def nodes(self) -> tuple[sp.Symbol, ...]:
        """C, a^{(L)}, z^{(L)}, ..., the entry."""
        return (self.factors[0].of, *(f.wrt for f in self.factors))

    @property
    def product(self) -> sp.Expr:
        return sp.Mul(*[f.value for f in self.factors])


@dataclass(frozen=True)
class NaiveDerivation(Displayable):
    """dC/d(entry) = sum over ``paths`` of the product of each path's factors.

    With a batch of N examples, ``paths`` run example by example (each example has as many),
    the sum is divided by N; with weight decay, ``decay`` (lambda W^{(m)}_{ij}) is added.
    """

    network: Network
    entry: Entry
    paths: tuple[Path, ...]
    decay: sp.Expr = sp.Integer(0)

    @property
    def paths_by_example(self) -> tuple[tuple[Path, ...], ...]:
        """The paths of each example n = 1..N (one group without a batch)."""
        size = len(self.paths) // self.network.batch
        return tuple(self.paths[k : k + size] for k in range(0, len(self.paths), size))

    method = "naive"

    @cached_property
    def expression(self) -> sp.Expr:
        mean = sp.Rational(1, self.network.batch)
        return mean * sp.Add(*[path.product for path in self.paths]) + self.decay


def naive(network: Network, entry: Entry | str, max_paths: int = DEFAULT_MAX_PATHS) -> NaiveDerivation:
    """Expand dC/d(entry) over every path to C.

    Raises ``SymbpError`` before expanding anything when the entry has more than
    ``max_paths`` paths (the count is a product formula, so this is instant).

    >>> from symbp import Network
    >>> d = naive(Network(), "W1_2_3")
    >>> len(d.paths), [len(p.factors) for p in d.paths]
    (2, [7, 7])
    """
    if isinstance(entry, str):
        entry = network.entry(entry)
    check_budget(network, (entry,), max_paths)
    batch = build_graph(network)
    paths = [path for graph in batch.examples for path in _paths_of(graph, entry)]
    return NaiveDerivation(network, entry, tuple(Path(tuple(p)) for p in paths), batch.decay_term(entry))


def _paths_of(graph: Graph, entry: Entry) -> list[tuple[Factor, ...]]:
    """Every path from ``entry`` to the cost of ``graph``'s example."""
    start = graph.symbol(entry)
    if entry.kind in ("W", "b"):
        z_sym = graph.z[entry.layer][entry.row - 1]
        first = Factor(z_sym, start, sp.diff(graph.z_definition[entry.layer][entry.row - 1], start))
        tails = _paths_from_z(graph, entry.layer, entry.row - 1)
        return [(*tail, first) for tail in tails]
    if entry.kind == "z":
        return _paths_from_z(graph, entry.layer, entry.row - 1)
    return _paths_from_a(graph, entry.layer, entry.row - 1)


def check_budget(network: Network, entries: Sequence[Entry], max_paths: int) -> None:
    """Refuse, before expanding anything, when ``entries`` together have more than ``max_paths`` paths."""
    total = sum(naive_paths(network, entry) for entry in entries)
    if total > max_paths:
        what = entries[0].name if len(entries) == 1 else f"{len(entries)} entries"
        raise SymbpError(
            f"the naive expansion of {what} has {total:,} paths, over the budget of {max_paths:,}; "
            f"raise max_paths (CLI: --max-paths {total}) or use backprop"
        )


def _paths_from_z(graph: Graph, m: int, i: int) -> list[tuple[Factor, ...]]:
    """Every path from z^{(m)}_i to C, as factor tuples ordered from C down."""
    if m == graph.network.L:
        return _output_heads(graph, i)
    through_a = Factor(graph.a[m][i], graph.z[m][i], graph.sigma_prime_value[m][i])
    return [(*tail, through_a) for tail in _paths_from_a(graph, m, i)]


def _output_heads(graph: Graph, j: int) -> list[tuple[Factor, ...]]:
    """The paths from z^{(L)}_j up to C: through a^{(L)}_j alone, or through every a^{(L)}_k after a softmax.

    Softmax's factor is the Jacobian entry da^{(L)}_k/dz^{(L)}_j = a_k (1[k=j] - a_j).
    """
    L = graph.network.L
    if graph.softmax_output:
        return [
            (Factor(graph.C, graph.a[L][k], graph.dC_da_value[k]), Factor(graph.a[L][k], graph.z[L][j], graph.jacobian[k][j]))
            for k in range(graph.network.D(L))
        ]
    return [(Factor(graph.C, graph.a[L][j], graph.dC_da_value[j]), Factor(graph.a[L][j], graph.z[L][j], graph.sigma_prime_value[L][j]))]


def _paths_from_a(graph: Graph, m: int, i: int) -> list[tuple[Factor, ...]]:
    """Every path from a^{(m)}_i to C: one per choice of a unit in each layer above (and of an output after softmax).

    A loop, not a recursion over layers, so 1,000 layers stay within Python's stack.
    """
    L = graph.network.L
    if m == L:
        return [(Factor(graph.C, graph.a[L][i], graph.dC_da_value[i]),)]
    paths = []
    for above in product(*(range(graph.network.D(n)) for n in range(m + 1, L + 1))):
        units = (i, *above)  # units[n - m]: the unit the path crosses in layer n
        for head in _output_heads(graph, units[-1]):
            factors = [*head, Factor(graph.z[L][units[-1]], graph.a[L - 1][units[-2]], graph.W[L][units[-1], units[-2]])]
            for n in range(L - 1, m, -1):
                unit, below = units[n - m], units[n - m - 1]
                factors.append(Factor(graph.a[n][unit], graph.z[n][unit], graph.sigma_prime_value[n][unit]))
                # dz^{(n)}_k/da^{(n-1)}_i = W^{(n)}_{ki}: read off, not sympy.diff'd on every step of every path.
                factors.append(Factor(graph.z[n][unit], graph.a[n - 1][below], graph.W[n][unit, below]))
            paths.append(tuple(factors))
    return paths
