"""Exact path and operation counts of each method, by formula (nothing is expanded).

Counted is the chain-rule arithmetic: multiplying and adding local derivatives.
Evaluating the local derivatives themselves (sigma', dC/da) is the same for both
methods and is not counted. The naive method derives every entry on its own;
backprop computes each delta once and reuses it.

With a batch of N examples every example has its own paths and deltas; the sum over
the examples is then multiplied by 1/N (one multiplication). Weight decay adds
lambda W^{(m)}_{ij} to a weight's gradient (one multiplication, one addition).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Sequence

from .display import Displayable
from .spec import Entry, Network


@dataclass(frozen=True)
class OperationCount:
    paths: int
    multiplications: int
    additions: int

    def __add__(self, other: OperationCount) -> OperationCount:
        return OperationCount(
            self.paths + other.paths,
            self.multiplications + other.multiplications,
            self.additions + other.additions,
        )


ZERO = OperationCount(0, 0, 0)


def softmax_output(net: Network) -> bool:
    """Whether the output layer is not element-wise, so paths from z^{(L)} fan out to every a^{(L)}_k."""
    return net.activation(net.L).output_only


def naive_paths(net: Network, entry: Entry) -> int:
    """Paths from ``entry`` to C: the product of the widths of the layers above it, once per example.

    After a softmax every path from z^{(L)}_j also chooses the a^{(L)}_k it reaches C
    through, one more factor of D(L) (all but a^{(L)}_k itself, which has one path).
    """
    through_jacobian = softmax_output(net) and not (entry.kind == "a" and entry.layer == net.L)
    return net.batch * prod(net.layers[entry.layer + 1 :]) * (net.D(net.L) if through_jacobian else 1)


def _batch_and_decay(net: Network, entry: Entry) -> OperationCount:
    """The 1/N of a batch's mean and the lambda W of the decay, added to one entry's gradient."""
    mean = 1 if net.batch > 1 else 0
    decay = 1 if net.l2 and entry.kind == "W" else 0
    return OperationCount(0, mean + decay, decay)


def naive_factors_per_path(net: Network, entry: Entry) -> int:
    """Local derivatives on each path: two per layer crossed, plus the ends.

    dC/da^{(L)}, then (da/dz, dz/da) for each layer above ``entry``'s, then
    da/dz and dz/dW (or dz/db) at its own layer as needed.
    """
    above = 2 * (net.L - entry.layer)
    own = {"W": 2, "b": 2, "z": 1, "a": 0}[entry.kind]
    return 1 + above + own


def naive_count(net: Network, entry: Entry) -> OperationCount:
    """The naive expansion of one entry: (factors - 1) products per path, paths - 1 sums."""
    paths = naive_paths(net, entry)
    chain = OperationCount(paths, paths * (naive_factors_per_path(net, entry) - 1), paths - 1)
    return chain + _batch_and_decay(net, entry)


def naive_layer_count(net: Network, layer: int) -> OperationCount:
    """The naive expansions of every W^{(layer)} and b^{(layer)} entry, by formula.

    Each of them has the same paths and the same factors per path, so this is one
    entry's count times D(layer) (D(layer - 1) + 1).
    """
    weight, bias = naive_count(net, Entry("W", layer, 1, 1)), naive_count(net, Entry("b", layer, 1))
    weights, biases = net.D(layer) * net.D(layer - 1), net.D(layer)
    return OperationCount(
        weights * weight.paths + biases * bias.paths,
        weights * weight.multiplications + biases * bias.multiplications,
        weights * weight.additions + biases * bias.additions,
    )


def backprop_layer_count(net: Network, layer: int) -> OperationCount:
    """Backprop's own steps for every W^{(layer)} and b^{(layer)} entry (the deltas not included)."""
    weight, bias = backprop_entry_count(net, Entry("W", layer, 1, 1)), backprop_entry_count(net, Entry("b", layer, 1))
    weights, biases = net.D(layer) * net.D(layer - 1), net.D(layer)
    return OperationCount(
        0, weights * weight.multiplications + biases * bias.multiplications,
        weights * weight.additions + biases * bias.additions,
    )


def delta_count(net: Network, layer: int) -> OperationCount:
    """Computing every delta^{(layer)} once from delta^{(layer + 1)}, for every example."""
    N = net.batch
    if layer == net.L and softmax_output(net):  # sum_k dC/da_k * da_k/dz_j per unit
        return OperationCount(0, N * net.D(layer) ** 2, N * net.D(layer) * (net.D(layer) - 1))
    if layer == net.L:
        return OperationCount(0, N * net.D(layer), 0)  # dC/da * sigma' per unit
    fan_out = net.D(layer + 1)
    return OperationCount(0, N * net.D(layer) * (fan_out + 1), N * net.D(layer) * (fan_out - 1))


def backprop_entry_count(net: Network, entry: Entry) -> OperationCount:
    """What backprop adds for one entry once the deltas are known."""
    N = net.batch
    if entry.kind == "W":  # delta_i * a_j per example, summed
        return OperationCount(0, N, N - 1) + _batch_and_decay(net, entry)
    if entry.kind == "b":  # delta_i per example, summed
        return OperationCount(0, 0, N - 1) + _batch_and_decay(net, entry)
    # dC/dz = delta; dC/da^{(L)} is given; below it, dC/da^{(m)}_j is the sum
    # delta^{(m)}_j's own step already formed (z and a have no batch form).
    return ZERO


def backprop_count(net: Network, entries: tuple[Entry, ...]) -> OperationCount:
    """Backprop for ``entries``: every delta down to the lowest layer asked for, once, plus each entry's step."""
    if not entries:
        return ZERO
    lowest = min(e.layer for e in entries)
    total = ZERO
    for m in range(net.L, lowest - 1, -1):
        total = total + delta_count(net, m)
    for entry in entries:
        total = total + backprop_entry_count(net, entry)
    return total


@dataclass(frozen=True)
class CostRow:
    """One row of ``symbp cost``: its label (an entry, ``layer m`` or ``total``), naive and backprop counts."""

    label: str
    naive: OperationCount
    backprop: OperationCount


@dataclass(frozen=True)
class CostSummary(Displayable):
    """Paths and chain-rule operations per entry (when entries were named), per layer and in total."""

    network: Network
    entries: tuple[CostRow, ...] | None
    layers: tuple[CostRow, ...]
    total: CostRow


def cost_summary(net: Network, entries: Sequence[Entry] | None = None) -> CostSummary:
    """Paths and chain-rule operations per layer and in total, and per entry when ``entries`` are given.

    Without ``entries``: every weight and bias, counted layer by layer by formula (no row
    per entry, so any size answers at once). A backprop entry row counts only the entry's
    own step; each delta^{(m)} is computed once and counted in layer m's row, so layer rows
    add up to the total.
    """
    if entries is None:
        lowest = 1
        rows = None
        by_layer = {m: (naive_layer_count(net, m), backprop_layer_count(net, m)) for m in range(1, net.L + 1)}
    else:
        entries = tuple(entries)
        lowest = min((e.layer for e in entries), default=net.L + 1)
        rows = tuple(CostRow(e.name, naive_count(net, e), backprop_entry_count(net, e)) for e in entries)
        by_layer = {m: (ZERO, ZERO) for m in range(1, net.L + 1)}
        for e, row in zip(entries, rows):
            by_layer[e.layer] = (by_layer[e.layer][0] + row.naive, by_layer[e.layer][1] + row.backprop)
    layers = []
    for m, (naive_sum, backprop_sum) in by_layer.items():
        # Deltas are needed from the output layer down to the lowest layer asked about
        # (an a^{(m)} entry reads delta^{(m+1)}, which that range already holds).
        if m >= lowest:
            backprop_sum = backprop_sum + delta_count(net, m)
        layers.append(CostRow(f"layer {m}", naive_sum, backprop_sum))
    total = CostRow("total", sum((r.naive for r in layers), ZERO), sum((r.backprop for r in layers), ZERO))
    return CostSummary(net, rows, tuple(layers), total)
