"""The check's polynomial proof (``_Prover``): never says equal where SymPy's ``expand`` finds a
difference, finds equal what ``expand`` reduces to 0, and hands harder cases on to ``cancel``."""

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symbp.checking import EXPAND_MAX_TERMS, _Prover

x, y, z, w = SYMBOLS = sp.symbols("x y z w")


def _expressions(with_exp: bool) -> st.SearchStrategy[sp.Expr]:
    leaves = st.one_of(
        st.sampled_from(SYMBOLS),
        st.integers(-3, 3).map(sp.Integer),
        st.sampled_from([sp.Rational(1, 2), sp.Rational(-2, 3)]),
    )

    def extend(children: st.SearchStrategy[sp.Expr]) -> st.SearchStrategy[sp.Expr]:
        options = [
            st.lists(children, min_size=2, max_size=3).map(lambda args: sp.Add(*args)),
            st.lists(children, min_size=2, max_size=3).map(lambda args: sp.Mul(*args)),
            st.tuples(children, st.integers(0, 3)).map(lambda pair: pair[0] ** pair[1]),
            st.sampled_from(SYMBOLS).flatmap(lambda s: st.integers(-2, -1).map(lambda n: s**n)),
        ]
        return st.one_of(*options, children.map(sp.exp)) if with_exp else st.one_of(*options)

    return st.recursive(leaves, extend, max_leaves=10)


@settings(max_examples=100, deadline=None)
@given(_expressions(False), _expressions(False))
def test_laurent_polynomials_equal_exactly_when_expand_finds_no_difference(left, right):
    prover = _Prover()
    expected = sp.expand(left - right) == 0
    assert (prover.polynomial(left) == prover.polynomial(right)) == expected
    assert prover.equal(left, right, cancel=False) == expected


@settings(max_examples=100, deadline=None)
@given(_expressions(True), _expressions(True), st.randoms(use_true_random=False))
def test_equal_polynomials_are_equal_numbers(left, right, rng):
    """Soundness with exponentials: found equal, the two agree at random points (the oracle)."""
    prover = _Prover()
    if prover.polynomial(left) is None or prover.polynomial(left) != prover.polynomial(right):
        return
    for _ in range(3):
        values = {s: sp.Float(rng.uniform(0.5, 1.5)) for s in SYMBOLS}
        a, b = complex(left.evalf(30, subs=values)), complex(right.evalf(30, subs=values))
        assert abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b)), (left, right, values)


@settings(max_examples=60, deadline=None)
@given(_expressions(True))
def test_a_rewritten_form_is_equal_and_a_changed_coefficient_is_not(expr):
    prover = _Prover()
    assert prover.equal(expr, sp.expand(expr, deep=False, power_exp=False))
    assert not prover.equal(expr + x * y * sp.Rational(1, 7), sp.expand(expr, deep=False, power_exp=False), cancel=False)


def test_the_polynomial_path_alone_proves_laurent_and_named_parts():
    prover = _Prover()
    exp_u = sp.exp(x + y)
    pairs = [
        (x**-2 * (x + y) ** 2, 1 + 2 * y / x + y**2 / x**2),
        (sp.exp(-x - y) * exp_u * z, z),  # exp(-u) is 1/exp(u): one generator and its inverse
        (sp.Piecewise((x, y > 0), (z, True)) - z, (x - z) * sp.Piecewise((1, y > 0), (0, True))),
        (sp.Heaviside(y, 0) * x, sp.Piecewise((x, y > 0), (0, True))),
    ]
    for left, right in pairs:
        assert prover.polynomial(left) is not None
        assert prover.polynomial(left) == prover.polynomial(right), (left, right)


def test_what_the_polynomials_miss_is_left_to_cancel():
    prover = _Prover()
    left, right = (1 + sp.exp(x)) / (1 + sp.exp(x)) * z, z  # SymPy keeps the quotient unevaluated
    quotient = sp.Mul(1 + sp.exp(x), sp.Pow(1 + sp.exp(x), -1, evaluate=False), z, evaluate=False)
    assert prover.polynomial(quotient) != prover.polynomial(right)  # 1/(1 + E) is a generator of its own
    assert prover.equal(quotient, right)  # cancel proves it
    assert prover.equal(left, right)
    assert not prover.equal(quotient + 1, right)


def test_a_float_is_a_generator_and_expand_still_decides():
    prover = _Prover()
    assert prover.polynomial(sp.Float(0.5) * x) != prover.polynomial(x / 2)
    assert prover.equal(sp.Float(0.5) * x, x / 2)
    assert not prover.equal(sp.Float(0.5) * x, x / 3)


def test_a_huge_expansion_is_refused_not_computed():
    big = (x + y + z + w + 1) ** 40  # 135,751 terms
    prover = _Prover()
    assert prover.polynomial(big) is None
    assert EXPAND_MAX_TERMS < 135_751
    assert not prover.equal(big, big + 1)


def test_memo_is_shared_between_comparisons():
    prover = _Prover()
    delta = (x + y) * (z + w)
    assert prover.equal(delta * x, sp.expand(delta * x))
    assert prover.polynomial(delta) is prover._memo[delta]
    assert prover.equal(delta * y, sp.expand(delta * y))
