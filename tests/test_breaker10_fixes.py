"""breaker10's findings (notes/breaker10.md), each pinned: scientific notation in answers, max/min arity, softmax with
binary cross-entropy, spec [define] tables, the Python API's number types, cross_entropy targets, option messages,
and short one-line messages."""

from __future__ import annotations

import pytest
import sympy as sp

import symbp
from symbp.answer import parse_answer
from test_cli import invoke

NET = symbp.Network()  # the lecture's 3,2,2,1
SMALL = ("--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error")


def S(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


# A. 1e-4 is a number, not 1·e − 4 ------------------------------------------------------------------------------


@pytest.mark.parametrize("answer, expected", [
    ("1e-4*W2_1_2", sp.Rational(1, 10_000) * S("W2_1_2")),
    ("1E-4 W2_1_2", sp.Rational(1, 10_000) * S("W2_1_2")),
    ("2.5e3*a1_2", 2500 * S("a1_2")),
    ("2.5E+3*a1_2", 2500 * S("a1_2")),
    ("1e308*a1_2", sp.Integer(10) ** 308 * S("a1_2")),
    ("2*e", 2 * sp.E),  # Euler's number where no digit follows the e
    ("2 e", 2 * sp.E),
    ("e*a1_2", sp.E * S("a1_2")),
    ("2e", 2 * sp.E),
])
def test_scientific_notation_is_a_number_and_e_alone_is_eulers_number(answer, expected):
    assert sp.simplify(parse_answer(answer, NET) - expected) == 0


@pytest.mark.parametrize("l2, answer", [
    ("1e-4", "delta2*a1_1 + 1e-4*w2_1"),  # breaker10's command: marked incorrect before
    ("1e-4", "delta2*a1_1 + 1E-4*w2_1"),
    ("1e-2", "delta2_1*a1_1 + 1e-2*W2_1_1"),
    ("2.5e3", "delta2*a1_1 + 2.5e3*w2_1"),
    ("1e308", "delta2*a1_1 + 1e308*w2_1"),  # refused as unreadable before
])
def test_a_decay_term_in_scientific_notation_is_graded_correct(l2, answer):
    result = invoke("grade", "--entry", "W2_1_1", *SMALL, "--l2", l2, "--answer", answer)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "W2_1_1: correct" in result.stdout


def test_the_wrong_number_in_scientific_notation_is_still_incorrect():
    result = invoke("grade", "--entry", "W2_1_1", *SMALL, "--l2", "1e-4", "--answer", "delta2*a1_1 + 1e-3*w2_1")
    assert result.exit_code == 1 and "incorrect" in result.stdout
