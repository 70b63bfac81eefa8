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
from typing import Callable, Sequence

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


def stable_logsumexp(*z: np.ndarray) -> np.ndarray:
    """log(sum_j exp(z_j)) as max + log(sum exp(z_j - max)): finite at logits of 1,000."""
    stacked = np.stack(np.broadcast_arrays(*[np.asarray(u, dtype=float) for u in z]))
    return np.logaddexp.reduce(stacked, axis=0)


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
    # Not element-wise: a^{(L)}_k of every z^{(L)}_j (softmax). Only on the output layer.
    vector_value: Callable[[Sequence[sp.Expr]], tuple[sp.Expr, ...]] | None = None
    jacobian: Callable[[Sequence[sp.Expr]], tuple[tuple[sp.Expr, ...], ...]] | None = None
    """da_k/dz_j over the named outputs a, indexed [k][j]."""

    @property
    def is_abstract(self) -> bool:
        return self.value is None and self.vector_value is None

    @property
    def output_only(self) -> bool:
        return self.vector_value is not None


def _sigmoid(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


def _softmax(z: Sequence[sp.Expr]) -> tuple[sp.Expr, ...]:
    """a_k = exp(z_k) / sum_j exp(z_j)."""
    total = sp.Add(*[sp.exp(z_j) for z_j in z])
    return tuple(sp.exp(z_k) / total for z_k in z)


def softmax_jacobian(a: Sequence[sp.Expr]) -> tuple[tuple[sp.Expr, ...], ...]:
    """da_k/dz_j = a_k (1[k=j] - a_j), indexed [k][j]."""
    return tuple(tuple(a_k * (int(k == j) - a_j) for j, a_j in enumerate(a)) for k, a_k in enumerate(a))


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
        Activation(
            "softmax", None, None, stays_in_unit_interval=True, vector_value=_softmax, jacobian=softmax_jacobian
        ),
    ]
}

OUTPUT_ONLY = tuple(name for name, activation in ACTIVATIONS.items() if activation.output_only)


STABLE_SIGMOID = sp.Function("stable_sigmoid", real=True)
STABLE_SOFTPLUS = sp.Function("stable_softplus", real=True)
STABLE_LOGSUMEXP = sp.Function("stable_logsumexp", real=True)
STABLE_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "stable_sigmoid": stable_sigmoid,
    "stable_softplus": stable_softplus,
    "stable_logsumexp": stable_logsumexp,
}
"""NumPy implementations of the functions ``stable_form`` writes, by SymPy name."""


def stable_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` for numbers: 1/(1 + exp(-u)) as stable_sigmoid(u), log(1 + exp(u)) as stable_softplus(u),
    softmax's (sum_j exp(u_j))^(-n) as exp(-n stable_logsumexp(u)) and log(sum_j exp(u_j)) as stable_logsumexp(u).

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

    return _stable_softmax(sp.sympify(expr).replace(is_unstable, stable))


def _exp_arguments(base: sp.Expr) -> tuple[sp.Expr, ...] | None:
    """(u_1, ..., u_n) when ``base`` is exp(u_1) + ... + exp(u_n), n >= 2."""
    if base.is_Add and all(isinstance(term, sp.exp) for term in base.args):
        return tuple(term.args[0] for term in base.args)
    return None


def _stable_softmax(expr: sp.Basic) -> sp.Basic:
    """Sums of exponentials under a negative power or a log, written with log-sum-exp.

    Then exp(z_k) exp(-LSE) is joined into exp(z_k - LSE) (at most 0), so no exp overflows.
    """

    def is_unstable(node: sp.Basic) -> bool:
        if node.is_Pow and node.exp.is_Integer and node.exp < 0:
            return _exp_arguments(node.base) is not None
        return isinstance(node, sp.log) and _exp_arguments(node.args[0]) is not None

    def stable(node: sp.Basic) -> sp.Basic:
        if node.is_Pow:
            return sp.exp(node.exp * STABLE_LOGSUMEXP(*_exp_arguments(node.base)))
        return STABLE_LOGSUMEXP(*_exp_arguments(node.args[0]))

    def has_exponentials(node: sp.Basic) -> bool:
        return node.is_Mul and sum(isinstance(f, sp.exp) for f in node.args) > 1

    def joined(node: sp.Basic) -> sp.Basic:
        exponentials = [f.args[0] for f in node.args if isinstance(f, sp.exp)]
        return sp.Mul(*[f for f in node.args if not isinstance(f, sp.exp)], sp.exp(sp.Add(*exponentials)))

    rewritten = expr.replace(is_unstable, stable)
    if rewritten == expr:
        return expr
    return rewritten.replace(has_exponentials, joined)
