"""Non-linearities: name -> SymPy value sigma(z) and derivative sigma'(z), and a stable NumPy value.

The derivative is written in terms of the pre-activation ``z`` and the stored
activation ``a`` the way a teacher writes it (sigmoid: a(1 - a)), which is also
what common-subexpression elimination would find.

relu and leaky_relu take sigma'(0) from the ``z <= 0`` side, as PyTorch does (0
and 0.01). Their values are written with Max(0, z), whose ``sympy.diff`` is
Heaviside(z); the reference pins Heaviside(0) to 0, so the three derivations
share that convention. (A Piecewise value would nest Piecewise inside the
conditions of deeper layers, which SymPy folds into forms NumPy cannot evaluate.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

LEAKY_SLOPE = sp.Rational(1, 100)


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)): exp(-z) overflows to inf below z = -709, which gives the right 0; no warning."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def stable_softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + exp(z)) as logaddexp(0, z): finite (about z) above z = 709."""
    return np.logaddexp(0.0, np.asarray(z, dtype=float))


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
        Activation(
            "relu",
            lambda z: sp.Max(0, z),
            lambda z, a: sp.Piecewise((1, z > 0), (0, True)),
            kink=0.0,
        ),
        Activation("softplus", lambda z: sp.log(1 + sp.exp(z)), lambda z, a: _sigmoid(z)),
        Activation(
            "leaky_relu",
            # z/100 + (99/100) max(0, z): one Heaviside in the derivative, pinned like relu's.
            lambda z: LEAKY_SLOPE * z + (1 - LEAKY_SLOPE) * sp.Max(0, z),
            lambda z, a: sp.Piecewise((1, z > 0), (LEAKY_SLOPE, True)),
            kink=0.0,
        ),
    ]
}


STABLE_SIGMOID = sp.Function("stable_sigmoid", real=True)
STABLE_SOFTPLUS = sp.Function("stable_softplus", real=True)
STABLE_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "stable_sigmoid": stable_sigmoid,
    "stable_softplus": stable_softplus,
}
"""NumPy implementations of the functions ``stable_form`` writes, by SymPy name."""


def stable_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` for numbers: 1/(1 + exp(-u)) as stable_sigmoid(u), log(1 + exp(u)) as stable_softplus(u).

    Same values, but evaluated without overflow (the derivations keep the lecture's form).
    """

    def exp_argument(base: sp.Expr) -> sp.Expr | None:
        """u when ``base`` is 1 + exp(u)."""
        if base.is_Add and len(base.args) == 2 and sp.S.One in base.args:
            other = base.args[0] if base.args[1] == 1 else base.args[1]
            if isinstance(other, sp.exp):
                return other.args[0]
        return None

    def is_unstable(node: sp.Basic) -> bool:
        if node.is_Pow and node.exp == -1:
            return exp_argument(node.base) is not None
        return isinstance(node, sp.log) and exp_argument(node.args[0]) is not None

    def stable(node: sp.Basic) -> sp.Basic:
        if node.is_Pow:
            return STABLE_SIGMOID(-exp_argument(node.base))
        return STABLE_SOFTPLUS(exp_argument(node.args[0]))

    return sp.sympify(expr).replace(is_unstable, stable)
