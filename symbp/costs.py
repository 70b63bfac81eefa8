"""Costs: name -> SymPy C(a^{(L)}, t) and its partials dC/da^{(L)}_k.

Categorical cross-entropy C = -sum_k t_k log a^{(L)}_k follows a softmax (or
abstract) output; after softmax backprop's delta^{(L)} collapses to a - t.

Binary cross-entropy follows a sigmoid (or abstract) output; after sigmoid it also has its logit form, for numbers
only: C = softplus(z) - t z and delta^{(L)} = a - t (the lecture's
dC/da * a(1 - a), cancelled). The lecture's form divides by 1 - a, which rounds
to 0 once z^{(L)} passes about 37; the logit form stays finite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy as sp

from .errors import SymbpError


@dataclass(frozen=True)
class Cost:
    """A named cost summed over the outputs; ``abstract`` has no formula."""

    name: str
    value: Callable[[Sequence[sp.Expr], Sequence[sp.Expr]], sp.Expr] | None
    partial: Callable[[sp.Expr, sp.Expr], sp.Expr] | None
    # Outputs must lie in (0, 1) (log of a and of 1 - a).
    needs_unit_interval: bool = False
    # For a sigmoid output: C of one output from its logit z, and delta = dC/dz from a and t.
    logit_value: Callable[[sp.Expr, sp.Expr], sp.Expr] | None = None
    logit_delta: Callable[[sp.Expr, sp.Expr], sp.Expr] | None = None
    # The output non-linearities it may follow (None: any).
    after: tuple[str, ...] | None = None
    # Targets are probability vectors (one-hot or any t_k >= 0 with sum_k t_k = 1).
    probability_targets: bool = False

    @property
    def is_abstract(self) -> bool:
        return self.value is None


def _squared_error(a: Sequence[sp.Expr], t: Sequence[sp.Expr]) -> sp.Expr:
    return sp.Rational(1, 2) * sp.Add(*[(ak - tk) ** 2 for ak, tk in zip(a, t)])


def _binary_cross_entropy(a: Sequence[sp.Expr], t: Sequence[sp.Expr]) -> sp.Expr:
    return -sp.Add(*[tk * sp.log(ak) + (1 - tk) * sp.log(1 - ak) for ak, tk in zip(a, t)])


def _cross_entropy(a: Sequence[sp.Expr], t: Sequence[sp.Expr]) -> sp.Expr:
    return -sp.Add(*[tk * sp.log(ak) for ak, tk in zip(a, t)])


COSTS: dict[str, Cost] = {
    c.name: c
    for c in [
        Cost("abstract", None, None),
        Cost("squared_error", _squared_error, lambda a, t: a - t),
        Cost(
            "binary_cross_entropy",
            _binary_cross_entropy,
            lambda a, t: -t / a + (1 - t) / (1 - a),
            needs_unit_interval=True,
            logit_value=lambda z, t: sp.log(1 + sp.exp(z)) - t * z,
            logit_delta=lambda a, t: a - t,
            # Not after softmax: its a_k = exp(z_k)/sum_j exp(z_j) rounds to 1 from logit ~37 on, and log(1 - a)
            # has no stable form there (C wrong in the 7th digit at 30, inf at 40, NaN in generated code at 1000).
            after=("sigmoid", "abstract"),
        ),
        # Categorical: t one-hot or any probability vector; a the softmax outputs.
        Cost("cross_entropy", _cross_entropy, lambda a, t: -t / a, after=("softmax", "abstract"),
             probability_targets=True),
    ]
}


PROBABILITY_TARGETS = "targets are probabilities in [0, 1]"
"""What the cross-entropies' targets must be: -t log a with t < 0 rewards a -> 0, and binary cross-entropy is
unbounded below for t > 1. A cross_entropy target vector need not sum to 1 (the derivation shows a * sum(t) - t)."""


def bad_target(cost: str, targets: object) -> tuple[tuple[int, ...], float] | None:
    """The index and value of the first target ``cost`` cannot take (NaN too), or None; ``targets`` an array."""
    if cost not in ("cross_entropy", "binary_cross_entropy"):
        return None
    import numpy as np

    t = np.asarray(targets, dtype=float)
    outside = ~((t >= 0) & (t <= 1))
    if not outside.any():
        return None
    index = np.unravel_index(int(np.flatnonzero(outside)[0]), t.shape)
    return tuple(int(i) for i in index), float(t[index])


def require_targets(cost: str, targets: object, where: str) -> None:
    """Refuse a point's targets ``cost`` cannot take, naming the first as t_k (t_k_nN in a batch) and its value."""
    bad = bad_target(cost, targets)
    if bad:
        index, value = bad
        name = f"t_{index[-1] + 1}" + (f"_n{index[0] + 1}" if len(index) == 2 else "")
        raise SymbpError(f"{where}: {name} = {value:.12g} does not go with cost {cost!r}; {PROBABILITY_TARGETS}")


def pairing_refusal(cost: str, output: str) -> str | None:
    """Why ``cost`` cannot follow the output non-linearity ``output``, or None."""
    after = COSTS[cost].after
    if after is None or output in after:
        return None
    why = " (outputs in (0, 1))" if COSTS[cost].needs_unit_interval else ""
    instead = "; softmax outputs go with cross_entropy" if output == "softmax" else ""
    return f"cost {cost!r} needs an output layer of {' or '.join(after)}{why}, not {output!r}{instead}"
