"""symbp.answer: the three spellings of the notation read to the same symbols; hostile text is refused with a position."""

from __future__ import annotations

import pytest
import sympy as sp

import symbp
from symbp.answer import MAX_ANSWER_LENGTH, parse_answer

NET = symbp.Network()  # the lecture's 3,2,2,1: layer 3 has one unit
WIDE = symbp.Network([12, 2, 1])


def S(name: str) -> sp.Symbol:
    """The symbol an answer must come to: canonical names are real Symbols ``W2_1_2``, ``dsigma2_1`` ..."""
    return sp.Symbol(name, real=True)


LECTURE_FIRST = S("dC_da3_1") * S("dsigma3_1") * S("W3_1_1") * S("dsigma2_1") * S("a1_2")


@pytest.mark.parametrize("answer", [
    "dC/da3 * sigma3'(z3) * w3_1 * sigma2'(z2_1) * a1_2",
    "dC/da3_1 * sigma3'(z3_1) * W3_1_1 * sigma2'(z2_1) * a1_2",
    "dC/da3 sigma'(z3) w3_1 sigma'(z2_1) a1_2",  # juxtaposition; sigma's layer from its argument
    "∂C/∂a⁽³⁾ · σ⁽³⁾′(z⁽³⁾) · w⁽³⁾₁ · σ⁽²⁾′(z⁽²⁾₁) · a⁽¹⁾₂",
    r"\frac{\partial C}{\partial a^{(3)}} \cdot \sigma^{(3)\prime}(z^{(3)}) \cdot w^{(3)}_{1} \cdot "
    r"\sigma^{(2)\prime}(z^{(2)}_{1}) \cdot a^{(1)}_{2}",
    r"\frac{\partial C}{\partial W^{(2)}_{12}} &= \frac{\partial C}{\partial a^{(3)}} \cdot \frac{\partial a^{(3)}}"
    r"{\partial z^{(3)}} \cdot \frac{\partial z^{(3)}}{\partial a^{(2)}_{1}} \cdot \frac{\partial a^{(2)}_{1}}"
    r"{\partial z^{(2)}_{1}} \cdot \frac{\partial z^{(2)}_{1}}{\partial W^{(2)}_{12}}",  # Leibniz, after the '='
    "dC/dW2_1_2 = dC/da3 * da3/dz3 * dz3/da2_1 * da2_1/dz2_1 * dz2_1/dW2_1_2",
])
def test_every_spelling_of_the_lecture_answer_reads_the_same(answer: str) -> None:
    assert parse_answer(answer, NET) == LECTURE_FIRST


@pytest.mark.parametrize("answer, expected", [
    ("a0_3 + x_3 + x3", 3 * S("a0_3")),
    ("t + t_1", 2 * S("t_1")),
    ("delta3 - delta3_1 + delta2_2", S("delta2_2")),
    ("dC/dz2_1", S("delta2_1")),
    ("dC/da2_1", S("delta3_1") * S("W3_1_1")),  # below the output: the sum over the layer above
    ("sigma2(z2_1)", S("a2_1")),
    ("a3*(1-a3)", S("a3_1") * (1 - S("a3_1"))),
    ("(a⁽²⁾₁)² + a2_1^2 + a2_1**2", 3 * S("a2_1") ** 2),
    (r"\left(1 - \left(a^{(2)}_{1}\right)^{2}\right)", 1 - S("a2_1") ** 2),
    (r"\frac{1}{1 + e^{- z^{(2)}_{1}}}", 1 / (1 + sp.exp(-S("z2_1")))),
    ("1/(1 + exp(-z2_1))", 1 / (1 + sp.exp(-S("z2_1")))),
    (r"\Bigl(b^{(1)}_{2} + W^{(1)}_{23}\Bigr) \cdot 2", 2 * (S("b1_2") + S("W1_2_3"))),
    ("dz2_1/db2_1 + dz2_1/da1_2 + da2_1/dz2_2", 1 + S("W2_1_2")),
])
def test_names_operators_and_shorthand(answer: str, expected: sp.Expr) -> None:
    assert sp.expand(parse_answer(answer, NET) - expected) == 0


def test_wide_layers_use_the_comma_symbp_prints() -> None:
    assert parse_answer(r"W^{(1)}_{2,12} + W⁽¹⁾₁,₁₀", WIDE) == S("W1_2_12") + S("W1_1_10")


def test_sigma_prime_of_another_layer_is_kept_as_written() -> None:
    value = parse_answer("sigma1'(z2_1)", NET)
    assert value.func.__name__ == "sigma1_prime" and value.args == (S("z2_1"),)


@pytest.mark.parametrize("answer, position", [
    ("__import__('os').system('ls')", 1),
    ("a1_2.__class__", 5),
    ("lambda: a1_2", 1),
    ("a1_2; import os", 5),
    ("eval(a1_2)", 1),
    ("a1_2 + open('x')", 8),
    ("W2_1_2 @ a1_2", 8),
    ("delta2_1 * a1_2 )", 17),
    ("(" * 200 + "a1_2" + ")" * 200, 62),
    ("-" * 200 + "a1_2", 62),
    ("a9_1", 1),
    ("W2_3_1", 1),
    ("z2", 1),  # layer 2 has two units: the index cannot be left out
    ("a3 +", 5),
    ("", 1),
])
def test_hostile_or_broken_answers_name_the_first_unreadable_position(answer: str, position: int) -> None:
    with pytest.raises(symbp.SymbpError, match=rf"position {position}\b"):
        parse_answer(answer, NET)


def test_huge_answers_are_refused_before_reading() -> None:
    with pytest.raises(symbp.SymbpError, match=f"at most {MAX_ANSWER_LENGTH:,}"):
        parse_answer("a1_2 + " * 20_000 + "a1_2", NET)


def test_huge_powers_are_refused() -> None:
    with pytest.raises(symbp.SymbpError, match="exponent"):
        parse_answer("(a1_2 + a1_1)^100000", NET)


def test_answer_must_be_text() -> None:
    with pytest.raises(symbp.SymbpError, match="must be text"):
        parse_answer(42, NET)


def test_relu_derivatives_read_as_symbp_prints_them() -> None:
    z = S("z1_1")
    step = sp.Piecewise((1, z > 0), (0, True))
    leaky = sp.Piecewise((1, z > 0), (sp.Rational(1, 100), True))
    assert parse_answer("[z⁽¹⁾₁ > 0]", NET) == step
    assert parse_answer(r"\mathbf{1}\left[z^{(1)}_{1} > 0\right]", NET) == step
    assert parse_answer("{1 if z⁽¹⁾₁ > 0; 1/100 otherwise}", NET) == leaky
    latex_cases = r"\left(\begin{cases} 1 & \text{for}\: z^{(1)}_{1} > 0 \\\frac{1}{100} & \text{otherwise} \end{cases}\right)"
    assert parse_answer(latex_cases, NET) == leaky
    with pytest.raises(symbp.SymbpError, match="position 18"):
        parse_answer("{1 if z1_1 > 0; 0}", NET)


# The lecture's own solution for dC/dW^{(2)}_{12}, copied from backprop-lecture.md (subscripts before superscripts, C')
LECTURE_SOLUTION = r"C' \cdot \sigma^{(3)'}(z^{(3)}) \cdot (w_1^{(3)}) \cdot \sigma^{(2)'}(z_1^{(2)}) \cdot a_2^{(1)}"


@pytest.mark.parametrize("answer", [
    LECTURE_SOLUTION,
    r"C' \cdot \sigma^{(3)\prime}(z^{(3)}) \cdot w_{1}^{(3)} \cdot \sigma^{(2)\prime}(z_{1}^{(2)}) \cdot a_{2}^{(1)}",
    "C′ · σ⁽³⁾′(z⁽³⁾) · w₁⁽³⁾ · σ⁽²⁾′(z₁⁽²⁾) · a₂⁽¹⁾",
])
def test_the_lectures_index_order_and_c_prime_read_as_the_lectures_path(answer: str) -> None:
    assert sp.simplify(parse_answer(answer, NET) - LECTURE_FIRST) == 0
    assert symbp.grade(NET, "W2_1_2", answer).correct


def test_the_lectures_index_order_keeps_its_indices() -> None:
    wrong = LECTURE_SOLUTION.replace("w_1^{(3)}", "w_2^{(3)}").replace("a_2^{(1)}", "a_1^{(1)}")
    assert parse_answer(wrong, NET) == LECTURE_FIRST.subs({S("W3_1_1"): S("W3_1_2"), S("a1_2"): S("a1_1")})
    assert parse_answer(r"W_{12}^{(2)}", NET) == S("W2_1_2")
    assert parse_answer("W₂₁⁽²⁾", NET) == S("W2_2_1")


def test_c_prime_needs_a_single_output() -> None:
    with pytest.raises(symbp.SymbpError, match="single output"):
        parse_answer("C' * a1_1", symbp.Network([2, 2, 2]))
