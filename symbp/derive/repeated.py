"""The work the naive expansions repeat: the lecture's "Notice any inefficiency?" slide.

Each naive path runs from C down to its entry and crosses z^{(m)}_k on the way. Its
prefix from C down to da^{(m)}_k/dz^{(m)}_k is one path from C to z^{(m)}_k, so its
product is one term of delta^{(m)}_k = dC/dz^{(m)}_k. When the same prefix stands in
two or more paths (of one entry or of several), the naive method multiplies it out
every time, where backprop computes delta^{(m)}_k once and reads it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import sympy as sp

from ..errors import SymbpError
from ..graph import build_graph
from ..spec import Entry
from .naive import Factor, NaiveDerivation, Path, _paths_from_z

PathId = tuple[Entry, int]
"""An entry and the 0-based index of one of its paths."""


@dataclass(frozen=True)
class SharedPrefix:
    """A product from C down to z^{(layer)}_{unit} that stands in several paths."""

    layer: int
    unit: int  # 1-based
    delta: sp.Symbol
    """delta^{(layer)}_{unit}: this prefix is one of its terms."""
    prefix: Path
    """The path from C down to z^{(layer)}_{unit}: dC/da^{(L)}_k, ..., da^{(layer)}_{unit}/dz^{(layer)}_{unit}."""
    uses: tuple[PathId, ...]
    """Every path that starts with this prefix (two or more), in the order given."""
    term: int = 1
    terms: int = 1
    """This prefix is term ``term`` of the ``terms`` paths from C to z^{(layer)}_{unit} whose sum is the delta
    (after a softmax delta^{(L)}_j has one per output k; a hidden delta one per path through the layers above)."""

    @property
    def factors(self) -> tuple[Factor, ...]:
        return self.prefix.factors

    @property
    def product(self) -> sp.Expr:
        return self.prefix.product


@dataclass(frozen=True)
class RepeatedWork:
    """The shared prefixes across a set of naive expansions, deepest delta last."""

    shared: tuple[SharedPrefix, ...]

    def in_path(self, entry: Entry, path_index: int) -> tuple[SharedPrefix, ...]:
        """The shared prefixes of one path, shortest first (each contains the one before)."""
        found = [p for p in self.shared if (entry, path_index) in p.uses]
        return tuple(sorted(found, key=lambda p: len(p.factors)))

    @property
    def deltas(self) -> tuple[sp.Symbol, ...]:
        """The deltas backprop stores in place of the repeated prefixes, output layer first."""
        return tuple(dict.fromkeys(p.delta for p in self.shared))

    def prefixes_of(self, delta: sp.Symbol) -> tuple[SharedPrefix, ...]:
        """The shared prefixes that are terms of ``delta``; together they are all of its terms."""
        return tuple(p for p in self.shared if p.delta == delta)


def repeated_work(derivations: Sequence[NaiveDerivation]) -> RepeatedWork:
    """Find the prefixes that two or more paths of ``derivations`` compute again.

    >>> from symbp import Network, naive
    >>> net = Network()
    >>> work = repeated_work([naive(net, "W2_1_2"), naive(net, "W1_2_3")])
    >>> [(p.layer, p.unit, len(p.uses)) for p in work.shared]
    [(3, 1, 3), (2, 1, 2)]
    """
    if not derivations:
        return RepeatedWork(())
    network = derivations[0].network
    if any(d.network != network for d in derivations):
        raise SymbpError("repeated work is only defined across derivations of one network; got several networks")
    graph = build_graph(network)
    # da^{(m)}_k/dz^{(m)}_k ends a prefix; which delta it belongs to is read off the z.
    position = {
        z: (m, k + 1, g) for g in graph.examples for m in range(1, network.L + 1) for k, z in enumerate(g.z[m])
    }

    uses: dict[tuple[tuple[sp.Symbol, sp.Symbol], ...], list[PathId]] = {}
    prefixes: dict[tuple[tuple[sp.Symbol, sp.Symbol], ...], Path] = {}
    for derivation in derivations:
        for index, path in enumerate(derivation.paths):
            for end, factor in enumerate(path.factors):
                if factor.wrt not in position:
                    continue
                prefix = path.factors[: end + 1]
                key = tuple((f.of, f.wrt) for f in prefix)
                uses.setdefault(key, []).append((derivation.entry, index))
                prefixes[key] = Path(prefix)

    terms: dict[sp.Symbol, list[tuple[tuple[sp.Symbol, sp.Symbol], ...]]] = {}  # z -> every path from C to it
    shared = []
    for key, where in uses.items():
        if len(where) < 2:
            continue
        z = key[-1][1]
        m, k, example = position[z]
        if z not in terms:
            terms[z] = [tuple((f.of, f.wrt) for f in p) for p in _paths_from_z(example, m, k - 1)]
        term = terms[z].index(key) + 1
        shared.append(SharedPrefix(m, k, example.delta[m][k - 1], prefixes[key], tuple(where), term, len(terms[z])))
    # Output layer first, then by unit; prefixes of one delta keep the order they were met in.
    shared.sort(key=lambda p: (-p.layer, p.unit))
    return RepeatedWork(tuple(shared))
