"""Naive chain expansion: dC/d(entry) as the sum over every path of its local derivatives.

This is how a student first does it by hand (the lecture's dC/dW^{(2)}_{12} and
dC/dW^{(1)}_{23} exercises): nothing is shared between paths or between entries.
"""

from __future__ import annotations

import difflib

from dataclasses import dataclass
from functools import cached_property
from itertools import product
from typing import TYPE_CHECKING, Mapping, Sequence, TypeVar

import sympy as sp

from ..counts import naive_paths
from ..display import Displayable
from ..errors import SymbpError
from ..graph import Graph, build_graph
from ..spec import Entry, Network, budget, require_network, selected_entries

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

    from .repeated import RepeatedWork

T = TypeVar("T")

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


class OneEntry(Displayable):
    """A derivation of one ``entry``: the lookups of every result (see ``EachEntry``) answer for it alone."""

    @property
    def entries(self) -> tuple[Entry, ...]:
        return (self.entry,)  # type: ignore[attr-defined]  # a field of each subclass

    def gradient(self, entry: Entry | str | None = None) -> Self:
        """This derivation, when ``entry`` is its entry (or left out)."""
        return entry_lookup({self.entry.name: self}, entry, self.network)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NaiveDerivation(OneEntry):
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
    def _sum(self) -> sp.Expr:
        mean = sp.Rational(1, self.network.batch)
        return mean * sp.Add(*[path.product for path in self.paths]) + self.decay

    def expression(self, entry: Entry | str | None = None) -> sp.Expr:
        """dC/d(entry): the sum over the paths of their products (over N examples, and the decay)."""
        return self.gradient(entry)._sum

    def steps(self, entry: Entry | str | None = None) -> tuple[Path, ...]:
        """The paths of dC/d(entry), each a product of local derivatives."""
        return self.gradient(entry).paths


@dataclass(frozen=True)
class EachEntry(Displayable):
    """Several entries, each derived on its own, answering as every result does.

    Every result (naive, backprop, reference; of one entry or several) has ``entries`` and,
    per entry, ``gradient(entry)`` (its derivation or step), ``steps(entry)`` and
    ``expression(entry)`` (dC/d(entry) as a SymPy expression). ``entry`` is a name or an
    ``Entry``, and may be left out when the result has one entry only.
    """

    network: Network
    derivations: tuple

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(d.entry for d in self.derivations)

    def gradient(self, entry: Entry | str | None = None):  # type: ignore[no-untyped-def]  # the per-entry derivation
        return entry_lookup({d.entry.name: d for d in self.derivations}, entry, self.network)

    def steps(self, entry: Entry | str | None = None) -> tuple:
        return self.gradient(entry).steps()

    def expression(self, entry: Entry | str | None = None) -> sp.Expr:
        return self.gradient(entry).expression()


@dataclass(frozen=True)
class NaiveDerivations(EachEntry):
    """The naive expansions of several entries, each on its own, and the work they repeat.

    Shown in Jupyter it is the lecture's inefficiency slide: the chains with their shared
    prefixes marked by the delta that backprop computes once.
    """

    derivations: tuple[NaiveDerivation, ...]

    method = "naive"

    @cached_property
    def repeated(self) -> RepeatedWork:
        """Chain prefixes that several paths compute again, each labelled by its delta."""
        from .repeated import repeated_work

        return repeated_work(self.derivations)


def entry_lookup(found: Mapping[str, T], entry: Entry | str | None, network: Network | None = None) -> T:
    """``found[entry's name]``, or a ``SymbpError`` saying whether ``entry`` is no entry of ``network`` or not derived here.

    ``entry`` None is the one entry when there is exactly one.
    """
    if entry is None:
        if len(found) == 1:
            return next(iter(found.values()))
        raise SymbpError(f"name the entry: this result has {len(found)} entries ({_names_shown(list(found), '')})")
    name = entry.name if isinstance(entry, Entry) else entry
    if network is not None:
        try:
            name = network.entry(entry).name  # w3_1 -> W3_1_1; an Entry checked against the network
        except SymbpError as error:
            if not isinstance(entry, str):
                raise  # its message names the value and what is accepted
            sizes = ",".join(map(str, network.layers))
            raise SymbpError(f"{name!r} is not an entry of the {sizes} network: {error}") from None
    try:
        return found[name]  # type: ignore[index]
    except (KeyError, TypeError):
        shown = _names_shown(list(found), str(name))
        raise SymbpError(f"{name!r} is not among the entries of this derivation; closest: {shown}") from None


def _names_shown(names: list[str], near: str) -> str:
    """At most five of ``names``, those most like ``near`` first, so a long list still shows the one meant."""
    closest = difflib.get_close_matches(near, names, n=5, cutoff=0.0) if near else names[:5]
    rest = len(names) - len(closest)
    return ", ".join(closest) + (f" (and {rest} more)" if rest else "")


def single_entry(network: Network, entries: object) -> Entry | None:
    """The entry when ``entries`` names exactly one (``"W2_1_2"``, an ``Entry``), checked; else None (groups, lists, default)."""
    if isinstance(entries, Entry):
        return network.entry(entries)
    if isinstance(entries, str):
        chosen = network.select([entries])
        return chosen[0] if len(chosen) == 1 and chosen[0].name == network.canonical_name(entries.strip()) else None
    return None


def naive(
    network: Network, entries: Entry | str | Sequence[Entry | str] | None = None, max_paths: int | None = DEFAULT_MAX_PATHS
) -> NaiveDerivation | NaiveDerivations:
    """Expand dC/d(entry) over every path to C, for one entry or several (default: every W and b).

    One entry (``"W1_2_3"``) gives its ``NaiveDerivation``; names, groups (``W2``, ``all``) or
    a list give ``NaiveDerivations``, which also carry the work the expansions repeat.
    Raises ``SymbpError`` before expanding anything when the entries have more than
    ``max_paths`` paths together (the count is a product formula, so this is instant;
    None: ``DEFAULT_MAX_PATHS``), and for anything but a ``Network`` and entries of it.

    >>> from symbp import Network
    >>> d = naive(Network(), "W1_2_3")
    >>> len(d.paths), [len(p.factors) for p in d.paths]
    (2, [7, 7])
    >>> len(naive(Network(), ["W2_1_2", "W1_2_3"]).repeated.deltas)
    2
    """
    require_network(network, "naive")
    entry = single_entry(network, entries)
    if entry is None:
        chosen = selected_entries(network, entries)
        check_budget(network, chosen, max_paths)
        return NaiveDerivations(network, tuple(_expand(network, e) for e in chosen))
    check_budget(network, (entry,), max_paths)
    return _expand(network, entry)


def _expand(network: Network, entry: Entry) -> NaiveDerivation:
    batch = build_graph(network)
    paths = [path for graph in batch.examples for path in _paths_of(graph, entry)]
    return NaiveDerivation(network, entry, tuple(Path(tuple(p)) for p in paths), batch.decay_term(entry))


def _paths_of(graph: Graph, entry: Entry) -> list[tuple[Factor, ...]]:
    """Every path from ``entry`` to the cost of ``graph``'s example."""
    start = graph.symbol(entry)
    if entry.kind in ("W", "b"):
        z_sym = graph.z[entry.layer][entry.row - 1]
        # dz_i/dW_ij = a_j and dz_i/db_i = 1, read off z = W a + b as the lecture does (sp.diff of the
        # sum took most of the expansion's time: 16,64,64,1's 5,313 parameters, about 5 s)
        first = Factor(z_sym, start, graph.a[entry.layer - 1][entry.col - 1] if entry.kind == "W" else sp.Integer(1))
        tails = _paths_from_z(graph, entry.layer, entry.row - 1)
        return [(*tail, first) for tail in tails]
    if entry.kind == "z":
        return _paths_from_z(graph, entry.layer, entry.row - 1)
    return _paths_from_a(graph, entry.layer, entry.row - 1)


def check_budget(network: Network, entries: Sequence[Entry], max_paths: int | None) -> None:
    """Refuse, before expanding anything, when ``entries`` together have more than ``max_paths`` paths (None: the default)."""
    max_paths = budget(max_paths, "max_paths", DEFAULT_MAX_PATHS)
    total = sum(naive_paths(network, entry) for entry in entries)
    if total > max_paths:
        what = entries[0].name if len(entries) == 1 else f"{len(entries)} entries"
        raise SymbpError(
            f"the naive expansion of {what} has {total:,} paths, over the budget of {max_paths:,}; "
            f"raise max_paths (CLI: --max-paths {total}), choose fewer entries, or use backprop alone (no such limit)"
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
