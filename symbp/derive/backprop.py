"""The backprop recursion: every delta^{(m)} computed once, then every gradient from it.

After a softmax output the base case runs through the Jacobian instead:
    delta^{(L)}_j = sum_k dC/da^{(L)}_k * a^{(L)}_k (1[k=j] - a^{(L)}_j)
and after cross-entropy as well it collapses to a^{(L)}_j - t_j (where sum_k t_k = 1).

Line by line the lecture's "Truly Complete Version":
    delta^{(L)}_k = dC/da^{(L)}_k * sigma^{(L)'}(z^{(L)}_k)                      (base case)
    delta^{(m)}_j = (sum_i delta^{(m+1)}_i W^{(m+1)}_{ij}) * sigma^{(m)'}(z^{(m)}_j)  (recursive case)
    dC/dW^{(m)}_{ij} = delta^{(m)}_i a^{(m-1)}_j,   dC/db^{(m)}_i = delta^{(m)}_i

With a batch of N examples the recursion runs for each example n, and
    dC/dW^{(m)}_{ij} = (1/N) sum_n delta^{(m),(n)}_i a^{(m-1),(n)}_j  (+ lambda W^{(m)}_{ij} with weight decay).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Mapping, Sequence

import sympy as sp

from ..counts import delta_layers
from ..display import Displayable
from .naive import entry_lookup
from ..errors import SymbpError
from ..graph import Graph, build_graph
from ..spec import Entry, Network, require_network, selected_entries


@dataclass(frozen=True)
class DeltaStep(Displayable):
    """delta^{(layer)}_{unit} = upstream * local, with upstream = sum of ``terms``."""

    layer: int
    unit: int  # 1-based
    symbol: sp.Symbol
    terms: tuple[tuple[sp.Symbol, sp.Expr], ...]
    """(delta^{(m+1)}_i, W^{(m+1)}_{ij}) for each unit i above; empty in the base case."""
    upstream: sp.Expr
    """dC/da^{(m)}_j: the given dC/da^{(L)}_k in the base case, else sum_i delta^{(m+1)}_i W^{(m+1)}_{ij}."""
    local: sp.Expr
    """sigma^{(m)'}(z^{(m)}_j); 1 after a softmax, whose base case is the sum over ``jacobian``."""
    jacobian: tuple[tuple[sp.Expr, sp.Expr], ...] = ()
    """After a softmax: (dC/da^{(L)}_k, da^{(L)}_k/dz^{(L)}_j) for each output k (the base case's terms)."""
    collapse: tuple[sp.Expr, ...] = ()
    """After softmax and cross-entropy: the base case again, a_k cancelled, then sum_k t_k taken out,
    then a_j - t_j. The last step holds where sum_k t_k = 1 (one-hot or probability targets)."""
    example: int | None = None
    """The example n of a batch this delta belongs to (None without a batch)."""


    @property
    def is_base_case(self) -> bool:
        return not self.terms

    @property
    def formula(self) -> sp.Expr:
        """What backprop computes; true for any t (the collapse's last step is not used)."""
        if self.jacobian:
            return sp.Add(*[partial * entry for partial, entry in self.jacobian])
        return self.upstream * self.local


@dataclass(frozen=True)
class GradientStep(Displayable):
    """dC/d(entry) = sum of delta * multiplier over ``terms`` (or ``given`` for dC/da^{(L)})."""

    entry: Entry
    terms: tuple[tuple[sp.Symbol, sp.Expr], ...]
    """(delta, multiplier) pairs: (delta^{(m)}_i, a^{(m-1)}_j) for W, (delta^{(m)}_i, 1) for b and z,
    (delta^{(m+1)}_k, W^{(m+1)}_{kj}) for each k for a^{(m)}_j below the output layer."""
    given: sp.Expr | None = None
    """dC/da^{(L)}_k for output activations, which need no delta."""
    mean: sp.Rational = sp.Integer(1)
    """1/N: ``terms`` then run over the N examples of a batch."""
    decay: sp.Expr = sp.Integer(0)
    """lambda W^{(m)}_{ij} with weight decay, else 0."""
    variable: sp.Symbol | None = None
    """The graph's symbol of ``entry``, which prints in lecture notation on its own."""

    @property
    def formula(self) -> sp.Expr:
        if self.given is not None:
            return self.given
        return self.mean * sp.Add(*[delta * multiplier for delta, multiplier in self.terms]) + self.decay


@dataclass(frozen=True)
class BackpropDerivation(Displayable):
    """The deltas the requested entries need (whole layers, output layer first; see ``delta_layers``)
    and the gradients of those entries."""

    network: Network
    deltas: tuple[DeltaStep, ...]
    gradients: tuple[GradientStep, ...]

    method = "backprop"

    def delta(self, layer: int, unit: int, example: int | None = None) -> DeltaStep:
        """delta^{(layer)}_{unit} (of ``example`` n = 1..N with a batch; the first by default)."""
        if example is None and self.network.batch > 1:
            example = 1
        try:
            return self._deltas_by_position[(layer, unit, example)]
        except (KeyError, TypeError):
            N = self.network.batch
            if N > 1 and not (isinstance(example, int) and 1 <= example <= N):
                raise SymbpError(f"example {example!r} does not exist; the batch has examples 1..{N}") from None
            if N == 1 and example is not None:
                raise SymbpError(f"example {example!r} does not exist: the network has one example "
                                 "(leave example out)") from None
            raise SymbpError(
                f"delta({layer!r}, {unit!r}) does not exist; layers are 1..{self.network.L}, units 1..D(layer)"
            ) from None

    def gradient(self, entry: Entry | str | None = None) -> GradientStep:
        """The step of dC/d(entry) (``entry`` may be left out when there is one); see ``EachEntry`` for the protocol."""
        return entry_lookup(self._gradients_by_name, entry, self.network)

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(g.entry for g in self.gradients)

    def steps(self, entry: Entry | str | None = None) -> tuple[DeltaStep | GradientStep, ...]:
        """The deltas dC/d(entry) reads, directly or through other deltas (output layer first), then its own step."""
        gradient = self.gradient(entry)
        needed = {delta for delta, _ in gradient.terms}
        for step in reversed(self.deltas):  # lowest layer first: a delta's needs are above it
            if step.symbol in needed:
                needed |= {delta for delta, _ in step.terms}
        return (*(s for s in self.deltas if s.symbol in needed), gradient)

    def expression(self, entry: Entry | str | None = None) -> sp.Expr:
        """dC/d(entry) with the deltas unrolled, over named z, a, W, sigma', dC/da."""
        return self.gradient(entry).formula.xreplace(self.unrolled_deltas)

    @cached_property
    def unrolled_deltas(self) -> Mapping[sp.Symbol, sp.Expr]:
        """Each delta symbol as an expression with no deltas in it (shared subtrees, not expanded)."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for step in self.deltas:  # output layer first, so every delta^{(m+1)} is known
            values[step.symbol] = step.formula.xreplace(values)
        return values

    @cached_property
    def _deltas_by_position(self) -> dict[tuple[int, int], DeltaStep]:
        return {(s.layer, s.unit, s.example): s for s in self.deltas}

    @cached_property
    def _gradients_by_name(self) -> dict[str, GradientStep]:
        return {g.entry.name: g for g in self.gradients}


def _softmax_base_case(graph: Graph, j: int) -> DeltaStep:
    """delta^{(L)}_j = sum_k dC/da^{(L)}_k * da^{(L)}_k/dz^{(L)}_j, and cross-entropy's collapse to a_j - t_j."""
    L = graph.network.L
    a, t = graph.a[L], graph.t
    terms = tuple((graph.dC_da_value[k], graph.jacobian[k][j]) for k in range(len(a)))
    collapse: tuple[sp.Expr, ...] = ()
    if graph.network.cost == "cross_entropy":
        indicator = [sp.Integer(int(k == j)) for k in range(len(a))]
        cancelled = sp.Add(*[-t_k * (one - a[j]) for t_k, one in zip(t, indicator)])  # -t_k/a_k * a_k(...)
        taken_out = a[j] * sp.Add(*t) - t[j]
        collapse = (cancelled, taken_out, a[j] - t[j])
    upstream = sp.Add(*[partial * entry for partial, entry in terms])
    return DeltaStep(L, j + 1, graph.delta[L][j], (), upstream, sp.Integer(1), terms, collapse)


def backprop(network: Network, entries: Entry | str | Sequence[Entry | str] | None = None) -> BackpropDerivation:
    """Run the backprop recursion over named symbols; gradients for ``entries`` (names or groups; default: every W and b).

    The recursion runs from the output layer down to the lowest layer ``entries`` need, no further.

    >>> from symbp import Network
    >>> d = backprop(Network())
    >>> d.gradient("W1_2_3").formula
    a0_3*delta1_2
    """
    require_network(network, "backprop")
    batch = build_graph(network)
    L = network.L
    wanted = selected_entries(network, entries)

    deltas: list[DeltaStep] = []
    # Layer by layer, each example in turn: delta^{(m),(n)} needs only delta^{(m+1),(n)}.
    for m in delta_layers(network, wanted):
        for graph in batch.examples:
            deltas.extend(_delta_steps(graph, m))

    gradients = []
    for entry in wanted:
        m, i = entry.layer, entry.row - 1
        if entry.kind in ("W", "b"):
            terms = tuple(
                (graph.delta[m][i], graph.a[m - 1][entry.col - 1] if entry.kind == "W" else sp.Integer(1))
                for graph in batch.examples
            )
            gradients.append(GradientStep(entry, terms, mean=batch.mean, decay=batch.decay_term(entry)))
            continue
        graph = batch  # z and a entries exist without a batch only
        if entry.kind == "z":
            gradients.append(GradientStep(entry, ((graph.delta[m][i], sp.Integer(1)),)))
        elif m == L:
            gradients.append(GradientStep(entry, (), given=graph.dC_da_value[i]))
        else:
            terms = tuple((graph.delta[m + 1][k], graph.W[m + 1][k, i]) for k in range(network.D(m + 1)))
            gradients.append(GradientStep(entry, terms))
    return BackpropDerivation(network, tuple(deltas), tuple(replace(g, variable=batch.symbol(g.entry)) for g in gradients))


def _delta_steps(graph: Graph, m: int) -> list[DeltaStep]:
    """Every delta^{(m)}_j of ``graph``'s example: the base case at the output layer, else the recursion."""
    if m == graph.network.L and graph.softmax_output:
        return [replace(_softmax_base_case(graph, k), example=graph.example) for k in range(graph.network.D(m))]
    if m == graph.network.L:
        return [
            DeltaStep(m, k + 1, delta_sym, (), graph.dC_da_value[k], graph.sigma_prime_value[m][k], example=graph.example)
            for k, delta_sym in enumerate(graph.delta[m])
        ]
    steps = []
    W_above = graph.W[m + 1]
    for j, delta_sym in enumerate(graph.delta[m]):
        terms = tuple((graph.delta[m + 1][i], W_above[i, j]) for i in range(graph.network.D(m + 1)))
        upstream = sp.Add(*[d * w for d, w in terms])
        steps.append(DeltaStep(m, j + 1, delta_sym, terms, upstream, graph.sigma_prime_value[m][j], example=graph.example))
    return steps
