"""Symbols print in the lecture's notation through plain sympy.latex too (issue 9).

Oracle: the lecture's notation for the 3,2,2,1 network (backprop-lecture.md), written here by
hand; plain SymPy symbols of the same names for equality, hashing, pickling, lambdify and
SymEngine; a hand computation for the numbers.
"""

from __future__ import annotations

import importlib
import os
import pickle

import pytest
import sympy as sp

import symbp

LECTURE = symbp.Network()  # 3,2,2,1
BP = symbp.backprop(LECTURE)


def plain(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def test_sympy_latex_of_backprop_steps_is_the_lecture_s_notation():
    # SymPy's cache hands back an earlier product of equal symbols, and a single-output network's w^{(3)}_{1}
    # equals the W3_1_1 of a wider one built by another test in this process: start from an empty cache.
    sp.core.cache.clear_cache()
    BP = symbp.backprop(LECTURE)
    assert sp.latex(BP.delta(1, 2).formula) == (
        r"\sigma^{(1)\prime}(z^{(1)}_{2}) \left(W^{(2)}_{12} \delta^{(2)}_{1} + W^{(2)}_{22} \delta^{(2)}_{2}\right)"
    )
    assert sp.latex(BP.delta(2, 1).formula) == r"w^{(3)}_{1} \delta^{(3)} \sigma^{(2)\prime}(z^{(2)}_{1})"
    assert sp.latex(BP.gradient("W2_1_2").formula) == r"a^{(1)}_{2} \delta^{(2)}_{1}"
    assert symbp.latex(BP.gradient("W2_1_2").formula) == r"a^{(1)}_{2} \delta^{(2)}_{1}"


def test_text_names_stay_the_entry_names():
    formula = BP.delta(1, 2).formula
    assert str(formula) == "dsigma1_2*(W2_1_2*delta2_1 + W2_2_2*delta2_2)"
    assert sp.srepr(symbp.build_graph(LECTURE).W[2][0, 1]) == "Symbol('W2_1_2', real=True)"


def test_a_delta_step_shown_alone_in_jupyter_has_lecture_names():
    shown = BP.delta(1, 2)._repr_latex_()
    assert r"\delta^{(1)}_{2}" in shown and r"W^{(2)}_{12}" in shown and r"\sigma^{(1)\prime}(z^{(1)}_{2})" in shown
    assert "W_{2 1 2}" not in shown and "delta_{1 2}" not in shown


def test_graph_symbols_equal_hash_and_pickle_as_plain_symbols():
    W = symbp.build_graph(LECTURE).W[2][0, 1]
    assert W == plain("W2_1_2") and plain("W2_1_2") == W and hash(W) == hash(plain("W2_1_2"))
    assert W != sp.Symbol("W2_1_2") and W != sp.Dummy("W2_1_2", real=True)
    formula = BP.delta(1, 2).formula
    assert formula.xreplace({plain("W2_1_2"): 0}) == plain("dsigma1_2") * plain("W2_2_2") * plain("delta2_2")
    assert sp.diff(formula, plain("W2_1_2")) == plain("delta2_1") * plain("dsigma1_2")
    again = pickle.loads(pickle.dumps(formula))
    assert again == formula and sp.latex(again) == sp.latex(formula)


def test_lambdify_and_symengine_take_graph_symbols():
    formula = BP.delta(1, 2).formula  # dsigma1_2 (W2_1_2 delta2_1 + W2_2_2 delta2_2)
    names = ["dsigma1_2", "W2_1_2", "delta2_1", "W2_2_2", "delta2_2"]
    values = [0.5, 2.0, 3.0, -1.0, 4.0]
    symbols = [next(s for s in formula.free_symbols if s.name == n) for n in names]
    assert sp.lambdify(symbols, formula)(*values) == pytest.approx(0.5 * (2.0 * 3.0 - 1.0 * 4.0))
    try:
        symengine = importlib.import_module("symengine")
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("symengine is not installed; CI must provide it")
        pytest.skip("symengine is not installed: pip install symengine")
    converted = symengine.sympify(formula)
    assert float(converted.subs(dict(zip(map(symengine.Symbol, names), values)))) == pytest.approx(1.0)
    assert sp.sympify(converted) == formula.xreplace({s: sp.Symbol(s.name) for s in formula.free_symbols})  # no assumptions
    assert formula.subs({plain(n): v for n, v in zip(names, values)}) == pytest.approx(1.0)


def test_a_gradient_step_displays_its_entry_in_lecture_notation_without_the_network():
    """Jupyter shows bp.gradient(e) by _repr_latex_: the variable was W_{2 1 2}, SymPy's reading of W2_1_2."""
    assert r"\frac{\partial C}{\partial W^{(2)}_{12}} &= a^{(1)}_{2} \delta^{(2)}_{1}" in BP.gradient("W2_1_2")._repr_latex_()
    assert r"\frac{\partial C}{\partial w^{(3)}_{1}}" in BP.gradient("W3_1_1")._repr_latex_()  # one output: w, one index
    assert r"\frac{\partial C}{\partial b^{(1)}_{2}}" in symbp.show(BP.gradient("b1_2"), "latex")
