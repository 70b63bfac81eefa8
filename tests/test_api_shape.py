"""One API shape: naive, backprop and reference take the same arguments and answer through the same methods.

Oracles: the lecture's formulas for its 3,2,2,1 network written out here (as in
test_lecture.py), the lecture's list of parameters, and its inefficiency slide (delta^{(3)}
and delta^{(2)}_1 are what the two exercises compute twice).
"""

from __future__ import annotations

import pytest
import sympy as sp

import symbp
from symbp.display import Displayable
from symbp.graph import build_graph

NET = symbp.Network()
G = build_graph(NET)
METHODS = (symbp.naive, symbp.backprop, symbp.reference)


def lecture_dC_dW2_1_2():
    """dC/dW^{(2)}_{12} = dC/da^{(3)} sigma^{(3)'}(z^{(3)}) w^{(3)}_1 sigma^{(2)'}(z^{(2)}_1) a^{(1)}_2 (the lecture)."""
    return G.dC_da_value[0] * G.sigma_prime_value[3][0] * G.W[3][0, 0] * G.sigma_prime_value[2][0] * G.a[1][1]


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.__name__)
def test_every_method_defaults_to_every_weight_and_bias(method):
    small = symbp.Network([2, 1], "sigmoid", "squared_error")
    result = method(small)
    assert sorted(e.name for e in result.entries) == ["W1_1_1", "W1_1_2", "b1_1"]


@pytest.mark.parametrize("method", METHODS[:2], ids=lambda m: m.__name__)
def test_every_method_answers_expression_of_an_entry_with_the_lecture_s_formula(method):
    result = method(NET, ["W2_1_2", "W1_2_3"])
    assert [e.name for e in result.entries] == ["W2_1_2", "W1_2_3"]
    assert sp.expand(result.expression("W2_1_2") - lecture_dC_dW2_1_2()) == 0
    assert result.gradient("W2_1_2") is not None


RESULTS = {
    "naive one": lambda entries: symbp.naive(NET, entries[0]),
    "naive several": lambda entries: symbp.naive(NET, entries),
    "backprop": lambda entries: symbp.backprop(NET, entries),
    "reference one": lambda entries: symbp.reference(NET, entries[0]),
    "reference several": lambda entries: symbp.reference(NET, entries),
}


@pytest.mark.parametrize("kind", RESULTS)
def test_every_result_has_one_shape_expression_gradient_and_steps_are_methods_of_an_entry(kind):
    result = RESULTS[kind](["W2_1_2", "W1_2_3"])
    # The lecture: dC/dW^{(2)}_{12} over the named quantities; the reference's is the same once they are substituted.
    expected = lecture_dC_dW2_1_2()
    got = result.expression("W2_1_2")
    if kind.startswith("reference"):
        expected, got = G.substitute(expected), G.substitute(got)
    assert sp.expand(got.doit() - expected.doit()) == 0
    assert result.gradient("W2_1_2") is not None and len(result.steps("W2_1_2")) >= 1
    for name in ("expression", "gradient", "steps"):
        assert callable(getattr(result, name)), name


@pytest.mark.parametrize("kind", RESULTS)
def test_the_entry_may_be_left_out_when_a_result_has_one(kind):
    result = RESULTS[kind](["W1_2_3"])
    assert result.expression() == result.expression("W1_2_3")
    assert result.steps() == result.steps("W1_2_3")
    assert result.gradient() == result.gradient("W1_2_3")


@pytest.mark.parametrize("kind", ["naive several", "backprop", "reference several"])
def test_leaving_out_the_entry_of_a_result_of_several_names_them(kind):
    result = RESULTS[kind](["W2_1_2", "W1_2_3"])
    for name in ("expression", "gradient", "steps"):
        with pytest.raises(symbp.SymbpError, match=r"name the entry: this result has 2 entries \(W2_1_2, W1_2_3\)"):
            getattr(result, name)()


def test_a_single_result_is_its_own_gradient_and_the_several_hold_them():
    one = symbp.naive(NET, "W1_2_3")
    assert one.gradient("W1_2_3") is one and one.entries == (symbp.Entry("W", 1, 2, 3),)
    several = symbp.naive(NET, ["W2_1_2", "W1_2_3"])
    assert several.gradient("W1_2_3").steps() == one.steps()  # the lecture's two paths, found the same way
    assert len(one.steps()) == 2


def test_reference_of_several_entries_differentiates_each_on_its_own():
    result = symbp.reference(NET, ["b3_1", "W3_1_2"])
    # dC/dW^{(3)}_{12} = dC/db^{(3)} a^{(2)}_2, whatever C and sigma are: the cost depends on W3_1_2 only through z^{(3)}.
    a2_2 = result.gradient("W3_1_2").expression() / result.expression("b3_1")
    assert sp.simplify(a2_2.diff(G.W[3][0, 1])) == 0 and a2_2.has(G.W[1][0, 0])


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.__name__)
def test_a_missing_entry_is_a_symbp_error_naming_the_entries_there_are(method):
    result = method(NET, ["W2_1_2", "b3_1"])
    with pytest.raises(symbp.SymbpError, match=r"'W1_1_1' is not among .*W2_1_2, b3_1"):
        result.gradient("W1_1_1")


def test_naive_over_several_entries_carries_the_lecture_s_repeated_work():
    result = symbp.naive(NET, ["W2_1_2", "W1_2_3"])
    assert set(result.repeated.deltas) == {G.delta[3][0], G.delta[2][0]}
    shown = result._repr_latex_()
    assert shown.startswith("$$\n") and shown.endswith("\n$$")
    assert r"_{\delta^{(2)}_{1}}" in shown and "backprop: once" in shown


def test_backprop_steps_of_an_entry_are_the_deltas_it_reads_then_its_own_step():
    # dC/dW^{(1)}_{23} = delta^{(1)}_2 a^{(0)}_3; delta^{(1)}_2 reads delta^{(2)}_1, delta^{(2)}_2, which read delta^{(3)}.
    steps = symbp.backprop(NET).steps("W1_2_3")
    assert [getattr(s, "symbol", None) for s in steps[:-1]] == [G.delta[3][0], G.delta[2][0], G.delta[2][1], G.delta[1][1]]
    assert steps[-1].formula == G.delta[1][1] * G.a[0][2]


def test_every_result_and_step_displays_from_one_base():
    small = symbp.Network([2, 1], "sigmoid", "squared_error")
    bp = symbp.backprop(NET)
    results = [
        symbp.naive(NET, "W2_1_2"), symbp.naive(NET, ["W2_1_2", "b3_1"]), bp, bp.delta(2, 1), bp.gradient("W2_1_2"),
        symbp.reference(NET, "b3_1"), symbp.reference(NET, ["b3_1"]),
        symbp.check(small, points=1), symbp.grade(NET, "W2_1_2", "delta2_1 * a1_2"),
    ]
    from symbp.counts import cost_summary

    results.append(cost_summary(NET))
    for result in results:
        assert isinstance(result, Displayable), type(result).__name__
        assert (result._repr_latex_() is None) != (result._repr_html_() is None), type(result).__name__
    assert "W1_1_2" in symbp.check(small, points=1)._repr_html_()


# Entry lookups: the lecture's names, and errors that show the name meant --------------------------


def test_the_lectures_lowercase_output_weight_names_W_of_the_one_unit_layer():
    net = symbp.Network()  # 3,2,2,1: layer 3 has one unit, so w^(3)_1 is W^(3)_11
    bp = symbp.backprop(net, "all")
    # dC/dw^(3)_1 = delta^(3) a^(2)_1 (lecture: dz^(3)/dw_j^(3) = a_j^(2)).
    assert sp.sympify(str(bp.gradient("w3_1").formula)) == sp.Symbol("delta3_1") * sp.Symbol("a2_1")
    assert symbp.naive(net, "w3_1").entry.name == "W3_1_1"
    with pytest.raises(symbp.SymbpError, match=r"layer 2 has 2 units; write W2_<i>_1"):
        symbp.naive(net, "w2_1")


def test_a_missing_entry_error_shows_the_closest_names_first():
    bp = symbp.backprop(symbp.Network([3, 8, 8, 1]), "W2")
    with pytest.raises(symbp.SymbpError, match=r"'W1_2_3' is not among the entries of this derivation; closest: W2_2_3"):
        bp.gradient("W1_2_3")


@pytest.mark.parametrize("name", ["W9_1_1", "nonsense"])
def test_an_invalid_name_is_not_an_entry_of_the_network(name):
    bp = symbp.backprop(symbp.Network(), "W2")
    with pytest.raises(symbp.SymbpError, match=rf"'{name}' is not an entry of the 3,2,2,1 network: .*(W<m>_<i>_<j>|1\.\.3)"):
        bp.gradient(name)


@pytest.mark.parametrize("function", ["naive", "backprop", "reference", "check"])
def test_forgetting_the_network_names_the_expected_first_argument(function):
    with pytest.raises(symbp.SymbpError, match=rf"{function}\(\) takes a Network first, not str 'W1_2_3'"):
        getattr(symbp, function)("W1_2_3")


def test_an_unknown_format_is_one_house_style_line_naming_the_formats():
    from typer.testing import CliRunner

    from symbp.cli import app

    result = CliRunner().invoke(app, ["derive", "-f", "html"])
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("symbp: error: --format 'html' is not accepted; accepted: text, latex, markdown, json")


def test_print_shows_the_text_and_repr_is_one_short_line():
    derivation = symbp.naive(NET, "W1_2_3")
    assert repr(derivation) == "<NaiveDerivation of dC/dW1_2_3: 2 paths>"  # the lecture: two paths
    # print(): the derivation in lecture notation, starting with its quantity.
    assert str(derivation).startswith("∂C/∂W⁽¹⁾₂₃ by the naive chain expansion: 2 paths of 7 factors")
    bp = symbp.backprop(NET, ["W2_1_2", "W1_2_3"])
    assert repr(bp) == "<BackpropDerivation of 2 entries>"
    assert "δ⁽²⁾₁ · a⁽¹⁾₂" in str(bp)  # dC/dW2_1_2 = delta_1^(2) a_2^(1)
    report = symbp.check(symbp.Network([1, 1], "identity", "squared_error"), points=1)
    assert repr(report) == "<CheckReport: passed>" and str(report).startswith("Check of network 1,1")
    assert len(repr(report)) < 40
