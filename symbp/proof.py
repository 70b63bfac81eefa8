"""Proofs that two expressions are equal, as rational functions of their symbols and named parts.

Each side is rewritten, bottom-up, as a fraction N / D: N a sparse Laurent polynomial over the
rationals, D a product of powers of polynomials, in *generators*: the symbols, and a name for
each part that is not a sum, product or integer power. Then left - right is put over one common
denominator, and the two are equal where its numerator is the zero polynomial.

Sound: the generators are treated as independent, so a polynomial identity in them holds at
every value they take; each rewriting is an identity (exp(u + v) = exp(u) exp(v),
Heaviside(u, 0) = [u > 0], Piecewise as a sum over indicators). Complete for rational functions
of the generators: N / D is 0 exactly where N is, whichever common multiple D is. What it
misses is a relation between generators (exp(u/2)^2 = exp(u), sin^2 + cos^2 = 1): such sides
are not proved equal, and the check verifies them numerically.

Bounded: no polynomial of more than ``MAX_TERMS`` terms is built, and one comparison multiplies
at most ``MAX_WORK`` pairs of terms (powers by repeated squaring); past either the answer is
"not proved". A non-commutative part (a matrix, a symbol declared so) is never proved equal.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Hashable

import sympy as sp

Coefficient = int | Fraction
Monomial = tuple[tuple[int, int], ...]
"""Sorted (generator number, nonzero power) pairs; powers may be negative (a Laurent monomial)."""
Polynomial = dict[Monomial, Coefficient]
"""Nonzero coefficients only, so two equal polynomials are equal dicts."""
Denominator = dict[Hashable, int]
"""The key of each polynomial base (see ``_key``) and its power, at least 1."""
Ratio = tuple[Polynomial, Denominator]

MAX_TERMS = 5_000
"""No numerator or base of more terms is built (a defined (x+1)^20 nested in layers): not proved."""

MAX_WORK = 500_000
"""Term pairs one comparison may multiply (about half a second; memoised parts are not counted
again): not proved past it."""

MAX_TOTAL_WORK = 5_000_000
"""Term pairs one ``Prover`` may multiply over all its comparisons (a check's): past it, only what
is already rewritten is compared."""


class Unprovable(Exception):
    """A polynomial past ``MAX_TERMS``, a comparison past ``MAX_WORK``, a division by 0, or a part
    that does not commute."""


class Prover:
    """Decides ``equal(left, right)``, memoising every part it rewrites: the expressions of one
    check share most of their parts (backprop's deltas, the layers above an entry)."""

    def __init__(self) -> None:
        self._generators: dict[Hashable, int] = {}
        self._bases: dict[Hashable, Polynomial] = {}
        self._memo: dict[sp.Basic, Ratio | None] = {}
        self._total_left = MAX_TOTAL_WORK
        self._work_left = MAX_WORK

    def equal(self, left: sp.Expr, right: sp.Expr) -> bool:
        """Whether ``left`` and ``right`` are proved the same rational function of their generators."""
        if left == right and not left.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return True  # the same expression (SymPy's equality is structural)
        self._work_left = min(MAX_WORK, self._total_left)
        left_ratio, right_ratio = self.ratio(left), self.ratio(right)
        if left_ratio is None or right_ratio is None:
            return False
        if not left_ratio[1] and not right_ratio[1]:
            return left_ratio[0] == right_ratio[0]
        try:
            return not self._add(left_ratio, _negated(right_ratio))[0]
        except Unprovable:
            return False

    def ratio(self, expr: sp.Basic) -> Ratio | None:
        """``expr`` as N / D, or None where it cannot be rewritten (too large, or 1/0)."""
        if expr not in self._memo:
            try:
                self._memo[expr] = self._rewrite(expr)
            except Unprovable:
                self._memo[expr] = None
        return self._memo[expr]

    def _part(self, expr: sp.Basic) -> Ratio:
        """``ratio`` inside a rewriting: a part that cannot be rewritten makes the whole unprovable."""
        out = self.ratio(expr)
        if out is None:
            raise Unprovable
        return out

    def _rewrite(self, expr: sp.Basic) -> Ratio:
        if expr.is_commutative is not True:  # A*B is not B*A for matrices
            raise Unprovable
        if expr.is_Rational:
            return ({(): _exact(expr)} if expr != 0 else {}), {}
        if expr.is_Add:
            out = self._part(expr.args[0])
            for arg in expr.args[1:]:
                out = self._add(out, self._part(arg))
            return out
        if expr.is_Mul:
            out = self._part(expr.args[0])
            for arg in expr.args[1:]:
                out = self._multiply(out, self._part(arg))
            return out
        if expr.is_Pow and expr.exp.is_Integer:
            return self._power(self._part(expr.base), int(expr.exp))
        if isinstance(expr, sp.exp):
            return self._exp(self._part(expr.args[0]))
        if isinstance(expr, sp.Heaviside) and len(expr.args) == 2 and expr.args[1] == 0:
            return self._indicator(sp.StrictGreaterThan, expr.args[0], sp.S.Zero)
        if isinstance(expr, sp.Piecewise) and expr.args[-1].cond == sp.true and all(
            isinstance(piece.cond, sp.core.relational.Relational) for piece in expr.args[:-1]
        ):
            # e1 I1 + (1 - I1)(e2 I2 + (1 - I2)(...)), I_k the indicator of condition k
            out = self._part(expr.args[-1].expr)
            for piece in reversed(expr.args[:-1]):
                indicator = self._indicator(type(piece.cond), *piece.cond.args)
                rest = self._multiply(self._add(_ONE, _negated(indicator)), out)
                out = self._add(self._multiply(self._part(piece.expr), indicator), rest)
            return out
        if expr.is_Atom:
            if expr.is_infinite or expr is sp.nan:
                raise Unprovable  # oo, zoo, nan: no identity to prove
            return self._generator(("atom", expr))
        if expr.is_Pow:  # a root or a symbolic power: a generator of its base and exponent
            return self._generator(("pow", self._key(self._part(expr.base)), self._key(self._part(expr.exp))))
        return self._generator((expr.func, *(self._key(self._part(arg)) for arg in expr.args)))

    # Rewriting rules --------------------------------------------------------

    def _exp(self, argument: Ratio) -> Ratio:
        """exp(c1 m1 + c2 m2 + ...) as the product of exp(m_k / q_k)^(p_k), c_k = p_k / q_k."""
        numerator, denominator = argument
        if denominator:
            return self._generator(("exp", self._key(argument)))
        powers = []
        for monomial, coefficient in numerator.items():
            c = Fraction(coefficient)
            powers.append((self._number(("exp", monomial, c.denominator)), c.numerator))
        return {tuple(sorted(powers)): 1}, {}

    def _indicator(self, relation: type, lhs: sp.Expr, rhs: sp.Expr) -> Ratio:
        """[lhs relation rhs], named by the relation and lhs - rhs."""
        difference = self._add(self._part(lhs), _negated(self._part(rhs)))
        return self._generator((relation, self._key(difference)))

    def _add(self, left: Ratio, right: Ratio) -> Ratio:
        (left_numerator, left_denominator), (right_numerator, right_denominator) = left, right
        if not left_numerator:
            return right
        if not right_numerator:
            return left
        common = dict(left_denominator)
        for key, power in right_denominator.items():
            common[key] = max(common.get(key, 0), power)
        numerator = _add(
            self._times_bases(left_numerator, common, left_denominator),
            self._times_bases(right_numerator, common, right_denominator),
        )
        return (numerator, common) if numerator else ({}, {})

    def _multiply(self, left: Ratio, right: Ratio) -> Ratio:
        numerator = self._product(left[0], right[0])
        if not numerator:
            return {}, {}
        denominator = dict(left[1])
        for key, power in right[1].items():
            denominator[key] = denominator.get(key, 0) + power
        return numerator, denominator

    def _power(self, base: Ratio, n: int) -> Ratio:
        numerator, denominator = base
        if n < 0:  # 1 / (N / D) = D / N
            if not numerator:
                raise Unprovable  # 1/0
            if len(numerator) == 1:  # a monomial: inverted in the numerator (a Laurent monomial)
                ((monomial, coefficient),) = numerator.items()
                inverted = {tuple((g, -p) for g, p in monomial): _simplest(1 / Fraction(coefficient))}
                return self._power((self._times_bases(inverted, denominator, {}), {}), -n)
            key = frozenset(numerator.items())
            self._bases.setdefault(key, numerator)
            return self._polynomial_power(self._times_bases({(): 1}, denominator, {}), -n), {key: -n}
        return self._polynomial_power(numerator, n), {key: power * n for key, power in denominator.items()}

    def _polynomial_power(self, polynomial: Polynomial, n: int) -> Polynomial:
        """``polynomial`` ** n, n >= 0: a monomial at once, else by repeated squaring."""
        if n == 0:
            return {(): 1}
        if len(polynomial) == 1:
            ((monomial, coefficient),) = polynomial.items()
            return {tuple((g, p * n) for g, p in monomial): _simplest(Fraction(coefficient) ** n)}
        if n > MAX_TERMS:  # k >= 2 terms to the n: at least n + 1 terms
            raise Unprovable
        out: Polynomial = {(): 1}
        square = polynomial
        while n:
            if n & 1:
                out = self._product(out, square)
            n >>= 1
            if n:
                square = self._product(square, square)
        return out

    def _times_bases(self, numerator: Polynomial, wanted: Denominator, present: Denominator) -> Polynomial:
        """``numerator`` times each base to the power it lacks: from over ``present`` to over ``wanted``."""
        out = numerator
        for key, power in wanted.items():
            if power > present.get(key, 0):
                out = self._product(out, self._polynomial_power(self._bases[key], power - present.get(key, 0)))
        return out

    def _product(self, left: Polynomial, right: Polynomial) -> Polynomial:
        """``left`` * ``right``, charged to the comparison's work."""
        work = len(left) * len(right)
        self._work_left -= work
        self._total_left -= work
        if self._work_left < 0:
            raise Unprovable
        return _multiply(left, right)

    # Generators -------------------------------------------------------------

    def _generator(self, key: Hashable) -> Ratio:
        return {((self._number(key), 1),): 1}, {}

    def _number(self, key: Hashable) -> int:
        return self._generators.setdefault(key, len(self._generators))

    def _key(self, ratio: Ratio) -> Hashable:
        numerator, denominator = ratio
        return frozenset(numerator.items()), frozenset(denominator.items())


_ONE: Ratio = ({(): 1}, {})


def _negated(ratio: Ratio) -> Ratio:
    return {monomial: -coefficient for monomial, coefficient in ratio[0].items()}, ratio[1]


def _exact(number: sp.Rational) -> Coefficient:
    return _simplest(Fraction(int(number.p), int(number.q)))


def _simplest(number: Fraction) -> Coefficient:
    return number.numerator if number.denominator == 1 else number


def _add(left: Polynomial, right: Polynomial) -> Polynomial:
    out = dict(left)
    for monomial, coefficient in right.items():
        _accumulate(out, monomial, coefficient)
    return _bounded(out)


def _multiply(left: Polynomial, right: Polynomial) -> Polynomial:
    if len(left) == 1 and left.get(()) == 1:
        return right
    out: Polynomial = {}
    for left_monomial, left_coefficient in left.items():
        for right_monomial, right_coefficient in right.items():
            _accumulate(out, _monomial_product(left_monomial, right_monomial), left_coefficient * right_coefficient)
    return _bounded(out)


def _bounded(polynomial: Polynomial) -> Polynomial:
    if len(polynomial) > MAX_TERMS:
        raise Unprovable
    return polynomial


def _accumulate(polynomial: Polynomial, monomial: Monomial, coefficient: Coefficient) -> None:
    """Add a term in place, keeping only nonzero coefficients."""
    total = polynomial.get(monomial, 0) + coefficient
    if total:
        polynomial[monomial] = total
    else:
        polynomial.pop(monomial, None)


def _monomial_product(left: Monomial, right: Monomial) -> Monomial:
    if not left or not right:
        return left or right
    powers = dict(left)
    for generator, power in right:
        powers[generator] = powers.get(generator, 0) + power
    return tuple(sorted((g, p) for g, p in powers.items() if p))
