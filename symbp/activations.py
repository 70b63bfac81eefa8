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

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from .erf import erf
from .errors import SymbpError, shown
from .formula import FUNCTIONS, parse_formula

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
    # A user's definition (--define NAME=FORMULA): the text as given, None for built-ins.
    formula: str | None = None
    # Functions of FORMULA_VARIABLE whose zeros are kinks (max, min, abs); see ``kink_expressions``.
    kinks: tuple[sp.Expr, ...] = ()
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

    @property
    def kink_expressions(self) -> tuple[sp.Expr, ...]:
        """g(x) with a kink of sigma wherever g(x) = 0; finite differences keep |g| away from 0."""
        return self.kinks if self.kink is None else (FORMULA_VARIABLE - self.kink, *self.kinks)


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
STABLE_ERFC = sp.Function("stable_erfc", real=True)
STABLE_LOGSUMEXP = sp.Function("stable_logsumexp", real=True)
STABLE_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "stable_sigmoid": stable_sigmoid,
    "stable_softplus": stable_softplus,
    "erf": erf,  # NumPy has none; lambdify would fall back to math.erf, which takes no arrays
    "stable_erfc": lambda x: erf(x, complement=True),
    "stable_logsumexp": stable_logsumexp,
}
"""NumPy implementations of the functions ``stable_form`` writes (and of erf), by SymPy name."""


MAX_GATED_STEPS = 8
"""Steps H(v) of one product that ``stable_form`` moves into a Piecewise, one per pass."""


def stable_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` for numbers: 1/(1 + exp(-u)) as stable_sigmoid(u), log(1 + exp(u)) as stable_softplus(u),
    softmax's (sum_j exp(u_j))^(-n) as exp(-n stable_logsumexp(u)) and log(sum_j exp(u_j)) as stable_logsumexp(u).

    Also exp(i u)/(1 + exp(u))^k, 1 <= i <= k, as sigmoid(u)^i sigmoid(-u)^(k-i), the forms SymPy
    differentiates swish and softplus formulas into (inf/inf at |u| > 709 otherwise), and c + c erf(u) as
    c erfc(-u) (GELU's 1 + erf(u) is all cancellation for u < -6; its derivative adds a tiny term to -1/2 + 1/2),
    and f H(v), f holding an exp, as f where v > 0 and 0 elsewhere (an ELU's exp(z) H(1 - exp(z)) is inf * 0
    past z = 709 otherwise).
    Same values, but evaluated without overflow (the derivations keep the lecture's form).
    """

    def exp_argument(base: sp.Expr) -> sp.Expr | None:
        """u when ``base`` is 1 + exp(u)."""
        if base.is_Add and len(base.args) == 2 and sp.S.One in base.args:
            other = base.args[0] if base.args[1] == 1 else base.args[1]
            if isinstance(other, sp.exp):
                return other.args[0]
        return None

    def over_power(node: sp.Basic) -> tuple[sp.Expr, sp.Expr, sp.Expr, int, int] | None:
        """(exp(i u), (1 + exp(u))^-k, u, i, k) when ``node`` is a product holding both, 1 <= i <= k."""
        for factor in node.args:
            if factor.is_Pow and factor.exp.is_Integer and factor.exp < 0:
                u = exp_argument(factor.base)
                if u is None:
                    continue
                k = -int(factor.exp)
                for numerator in node.args:
                    if not isinstance(numerator, sp.exp):
                        continue
                    # exp(i u) as SymPy writes it: i distributed over a sum u (2x - 2 for u = x - 1)
                    i = next((i for i in range(1, k + 1) if numerator.args[0] == i * u), None)
                    if i is not None:
                        return numerator, factor, u, i, k
        return None

    def stable_ratio(node: sp.Mul) -> sp.Expr:
        numerator, power, u, i, k = over_power(node)
        rest = list(node.args)
        rest.remove(numerator)
        rest.remove(power)
        return sp.Mul(*rest) * STABLE_SIGMOID(u) ** i * STABLE_SIGMOID(-u) ** (k - i)

    def is_unstable(node: sp.Basic) -> bool:
        if node.is_Pow and node.exp.is_Integer and node.exp < 0:
            return exp_argument(node.base) is not None
        return isinstance(node, sp.log) and exp_argument(node.args[0]) is not None

    def stable(node: sp.Basic) -> sp.Basic:
        if node.is_Pow:
            return STABLE_SIGMOID(-exp_argument(node.base)) ** -node.exp
        return STABLE_SOFTPLUS(exp_argument(node.args[0]))

    def erf_pair(node: sp.Add) -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
        """(c, k erf(u), u) for a term k erf(u) of ``node`` whose constant c is k or -k."""
        constant = sum((t for t in node.args if t.is_Number), sp.S.Zero)
        for term in node.args:
            k, rest = term.as_coeff_Mul()
            if constant != 0 and isinstance(rest, sp.erf) and abs(k) == abs(constant):
                return constant, term, rest.args[0]
        return None

    def stable_erfc(node: sp.Add) -> sp.Expr:
        constant, term, u = erf_pair(node)
        others = [t for t in node.args if t is not term and not t.is_Number]
        # c + c erf(u) = c erfc(-u); c - c erf(u) = c erfc(u)
        return sp.Add(*others, constant * STABLE_ERFC(-u if term.as_coeff_Mul()[0] == constant else u))

    def gated(node: sp.Basic) -> bool:
        """A product of a step H(v) and factors holding an exp: 0 * inf where the step is off and the exp overflows."""
        return node.is_Mul and any(isinstance(f, sp.Heaviside) for f in node.args) and node.has(sp.exp)

    def selected(node: sp.Mul) -> sp.Expr:
        step = next(f for f in node.args if isinstance(f, sp.Heaviside))
        rest = sp.Mul(*[f for f in node.args if f is not step])
        v, at_zero = step.args[0], step.args[1] if len(step.args) > 1 else sp.S.Half
        pieces = [(rest, v > 0)] + ([(rest * at_zero, sp.Eq(v, 0))] if at_zero != 0 else [])
        return sp.Piecewise(*pieces, (0, True))

    ratios = sp.sympify(expr)
    for _ in range(MAX_GATED_STEPS):  # a product of several steps: each pass gates one of them
        gated_once = ratios.replace(gated, selected)
        if gated_once == ratios:
            break
        ratios = gated_once
    ratios = ratios.replace(lambda n: n.is_Mul and over_power(n) is not None, stable_ratio)
    ratios = ratios.replace(lambda n: n.is_Add and erf_pair(n) is not None, stable_erfc)
    return _stable_softmax(ratios.replace(is_unstable, stable))


def _exp_arguments(base: sp.Expr) -> tuple[sp.Expr, ...] | None:
    """(u_1, ..., u_n) when ``base`` is exp(u_1) + ... + exp(u_n), n >= 2."""
    if base.is_Add and all(isinstance(term, sp.exp) for term in base.args):
        return tuple(term.args[0] for term in base.args)
    return None


def _stable_softmax(expr: sp.Basic) -> sp.Basic:
    """Sums of exponentials S = sum_j exp(u_j) written as exp(LSE(u)), LSE the log-sum-exp.

    Then log S is LSE, any power S^n is exp(n LSE), and the exponentials of each product are
    joined into one: exp(z_k) S^-1 into exp(z_k - LSE) (at most 0), the S exp(-z_k) of
    sympy.diff's derivative into exp(LSE - z_k), so no exp overflows where the value is finite.
    """

    def is_unstable(node: sp.Basic) -> bool:
        return _exp_arguments(node) is not None

    def stable(node: sp.Basic) -> sp.Basic:
        return sp.exp(STABLE_LOGSUMEXP(*_exp_arguments(node)))

    def has_exponentials(node: sp.Basic) -> bool:
        return node.is_Mul and sum(isinstance(f, sp.exp) for f in node.args) > 1

    def joined(node: sp.Basic) -> sp.Basic:
        exponentials = [f.args[0] for f in node.args if isinstance(f, sp.exp)]
        return sp.Mul(*[f for f in node.args if not isinstance(f, sp.exp)], sp.exp(sp.Add(*exponentials)))

    def spans_a_sum(node: sp.Basic) -> bool:  # (a_k - a_k^2) exp(LSE - z_k): distributed, each term is finite
        return node.is_Mul and node.has(STABLE_LOGSUMEXP) and any(f.is_Add and f.has(sp.exp) for f in node.args)

    rewritten = expr.replace(is_unstable, stable)
    if rewritten == expr:
        return expr
    return rewritten.replace(spans_a_sum, sp.expand_mul).replace(has_exponentials, joined)


# Non-linearities the user defines as formulas --------------------------------------------------

FORMULA_VARIABLE = sp.Symbol("x", real=True)
"""The variable of a defined non-linearity's formula: ``--define swish='x/(1+exp(-x))'``."""

MAX_NAME_LENGTH = 40
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*", re.ASCII)

MAX_DEFINITIONS = 64
"""Non-linearities one network may define: each formula is parsed and derived even if no layer uses it, so
20,000 of them (a 20 MB spec file) ran for minutes."""

Definitions = tuple[tuple[str, str], ...]
"""(name, formula) pairs, sorted by name: hashable, so a ``Network`` holding them stays a dict key."""


def definitions(define: object) -> Definitions:
    """A ``Network``'s ``define`` argument ({name: formula} or (name, formula) pairs), checked and sorted.

    Each name and formula is checked here, so a bad one is refused even if no layer uses it.
    """
    if isinstance(define, Mapping):
        items = list(define.items())
    elif isinstance(define, (tuple, list)):
        items = list(define)
    else:
        raise SymbpError(f"define {shown(define)} must map names to formulas, e.g. {{\"swish\": \"x/(1+exp(-x))\"}}")
    if len(items) > MAX_DEFINITIONS:
        raise SymbpError(f"define has {len(items):,} non-linearities; at most {MAX_DEFINITIONS} are accepted")
    pairs: dict[str, str] = {}
    for item in items:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise SymbpError(f"define entry {shown(item)} must be a (name, formula) pair, e.g. (\"swish\", \"x/(1+exp(-x))\")")
        name, formula = item
        if name in pairs and pairs[name] != formula:
            raise SymbpError(f"non-linearity {name!r} is defined twice, as {pairs[name]!r} and {formula!r}; define it once")
        defined_activation(name, formula)  # checks both
        pairs[name] = formula
    return tuple(sorted(pairs.items()))


def check_name(name: object) -> str:
    """A name for a defined non-linearity: letters and digits, starting with a letter, not a built-in's."""
    if isinstance(name, str) and name in ACTIVATIONS:
        raise SymbpError(
            f"non-linearity name {name!r} at position 1 is a built-in non-linearity; choose another name "
            f"(built-ins: {', '.join(ACTIVATIONS)})"
        )
    if isinstance(name, str) and (name in FUNCTIONS or name == "x"):  # sigmoid(x) would read as either
        raise SymbpError(
            f"non-linearity name {name!r} at position 1 is a formula's {'variable' if name == 'x' else 'function'}; "
            f"choose another name (formulas use x and {', '.join(FUNCTIONS)})"
        )
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        shown = repr(name if not isinstance(name, str) or len(name) <= 60 else name[:57] + "...")
        where = f" ({_offending(name)})" if isinstance(name, str) and name else ""
        raise SymbpError(
            f"non-linearity name {shown}{where} is not accepted; a name is up to {MAX_NAME_LENGTH} ASCII letters "
            "and digits starting with a letter, e.g. swish"
        )
    return name


def _offending(name: str) -> str:
    """The first character a name may not have there, and its 1-based position."""
    if not (name[0].isascii() and name[0].isalpha()):
        return f"{name[0]!r} at position 1: a name starts with a letter"
    at = next((i for i, c in enumerate(name) if not (c.isascii() and c.isalnum())), None)
    if at is None:
        return f"{len(name)} characters long"
    return f"{name[at]!r} at position {at + 1}"


@lru_cache(maxsize=256)
def defined_activation(name: str, formula: str) -> Activation:
    """The non-linearity ``name`` whose value is ``formula`` in x; its derivative is derived by SymPy.

    Max, min and abs differentiate to Heaviside and sign; Heaviside(0) is pinned to 0
    (as relu'(0) = 0, and as the reference derivation pins it), and sign(0) = 0, as
    PyTorch's abs'(0).

    >>> swish = defined_activation("swish", "x/(1+exp(-x))")
    >>> z = sp.Symbol("z")
    >>> swish.value(z)
    z/(1 + exp(-z))
    """
    check_name(name)
    x = FORMULA_VARIABLE
    value = parse_formula(formula, {"x": x}, what=f"non-linearity {name}")
    derivative = _pin_heaviside(sp.diff(value, x))
    for expr, what in ((value, formula), (derivative, "its derivative")):
        flaw = _undefined_or_complex(expr)
        if flaw:
            raise SymbpError(
                f"non-linearity {name} = {formula!r}: {what} {flaw}; a formula must be real and finite for real x"
            )
    return Activation(
        name,
        lambda z: value.xreplace({x: z}),
        lambda z, a: derivative.xreplace({x: z}),
        formula=formula,
        kinks=_kinks(value),
    )


def _undefined_or_complex(expr: sp.Expr) -> str:
    """Why ``expr`` has no real value (SymPy folded e.g. log(0) to zoo, sqrt(-1) to I), or ''."""
    if expr.has(sp.zoo, sp.oo, -sp.oo):
        return "is infinite (SymPy reads it as " + sp.sstr(expr) + ", e.g. log(0) is -infinity, 1/0 is infinite)"
    if expr.has(sp.nan):
        return f"is undefined (SymPy reads it as {sp.sstr(expr)})"
    if any(not n.free_symbols and n.is_extended_real is False for n in sp.preorder_traversal(expr)):
        return f"is complex (SymPy reads it as {sp.sstr(expr)}, e.g. sqrt(-1) is the imaginary unit)"
    return ""


def _pin_heaviside(expr: sp.Expr) -> sp.Expr:
    return expr.replace(
        lambda n: isinstance(n, sp.Heaviside) and n.args[1:] != (0,), lambda n: sp.Heaviside(n.args[0], 0)
    )


def _kinks(value: sp.Expr) -> tuple[sp.Expr, ...]:
    """Where max, min and abs switch branches: abs(u) at u = 0, max(u, v) and min(u, v) at u - v = 0."""
    found: dict[sp.Expr, None] = {}
    for node in sp.preorder_traversal(value):
        if isinstance(node, sp.Abs):
            found[node.args[0]] = None
        elif isinstance(node, (sp.Max, sp.Min)):
            for i, u in enumerate(node.args):
                for v in node.args[i + 1 :]:
                    found[u - v] = None
    return tuple(g for g in found if g.has(FORMULA_VARIABLE))


def activation_named(name: str, define: Definitions = ()) -> Activation:
    """The built-in or defined non-linearity ``name``."""
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    formula = dict(define).get(name)
    if formula is None:
        defined = f"; defined: {', '.join(n for n, _ in define)}" if define else ""
        if "," in name:  # one name per --activation; a list is --activations'
            raise SymbpError(f"unknown non-linearity {name!r}: --activation takes one name for every layer; "
                             f"give one per layer with --activations {name}")
        raise SymbpError(
            f"unknown non-linearity {name!r}; known: {', '.join(ACTIVATIONS)}{defined}, "
            "or define one with --define NAME=FORMULA"
        )
    return defined_activation(name, formula)
