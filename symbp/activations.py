"""Non-linearities: name -> SymPy value sigma(z) and derivative sigma'(z).

The derivative is written in terms of the pre-activation ``z`` and the stored
activation ``a`` the way a teacher writes it (sigmoid: a(1 - a)), which is also
what common-subexpression elimination would find.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

LEAKY_SLOPE = sp.Rational(1, 100)


@dataclass(frozen=True)
class Activation:
    """A named non-linearity; ``abstract`` has no formula (sigma^{(m)} undefined)."""

    name: str
    value: Callable[[sp.Expr], sp.Expr] | None
    derivative: Callable[[sp.Expr, sp.Expr], sp.Expr] | None
    # Where the derivative jumps; finite differences must keep away from it.
    kink: float | None = None
    # Open interval the outputs stay in (binary cross-entropy needs (0, 1)).
    stays_in_unit_interval: bool = False

    @property
    def is_abstract(self) -> bool:
        return self.value is None


def _sigmoid(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("abstract", None, None, stays_in_unit_interval=True),
        Activation("identity", lambda z: z, lambda z, a: sp.Integer(1)),
        Activation("sigmoid", _sigmoid, lambda z, a: a * (1 - a), stays_in_unit_interval=True),
        Activation("tanh", sp.tanh, lambda z, a: 1 - a**2),
        # Derivative at 0 taken as 0, as PyTorch does. The value is a Max, not a
        # Piecewise, so that sympy.diff of nested layers stays lambdifiable.
        Activation(
            "relu",
            lambda z: sp.Max(0, z),
            lambda z, a: sp.Piecewise((1, z > 0), (0, True)),
            kink=0.0,
        ),
        Activation("softplus", lambda z: sp.log(1 + sp.exp(z)), lambda z, a: _sigmoid(z)),
        Activation(
            "leaky_relu",
            lambda z: sp.Max(z, LEAKY_SLOPE * z),
            lambda z, a: sp.Piecewise((1, z > 0), (LEAKY_SLOPE, True)),
            kink=0.0,
        ),
    ]
}
