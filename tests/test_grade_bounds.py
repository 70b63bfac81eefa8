"""symbp.grade stays bounded on deep networks: the truth's 2^(L-1) paths are never expanded past a term budget,
and a network over the path budget is still graded (by numbers, against backprop's recursion).

Oracles: the answer's own value (a0_1 is a0_1 at the counterexample), and the lecture's
dC/dW^{(1)}_{11} = delta^{(1)}_1 a^{(0)}_1 written here, with a planted wrong factor.
"""

from __future__ import annotations

import sys

import pytest
import sympy as sp

import symbp

grade = symbp.grade

grading_module = sys.modules["symbp.grading"]  # the module, for its budget


def _count_expansions(monkeypatch) -> list[int]:
    """Terms of every sympy.expand result while grading."""
    sizes: list[int] = []
    real = sp.expand

    def counting(expr, *args, **kwargs):
        result = real(expr, *args, **kwargs)
        sizes.append(len(sp.Add.make_args(result)))
        return result

    monkeypatch.setattr(sp, "expand", counting)
    return sizes


def test_a_deep_network_grades_without_expanding_its_paths(monkeypatch) -> None:
    sizes = _count_expansions(monkeypatch)
    net = symbp.Network(layers=(2,) * 15, activations="sigmoid", cost="squared_error")  # 2^13 paths
    result = grade(net, "W1_1_1", "a0_1")
    assert max(sizes, default=0) <= grading_module.MAX_EXPANDED_TERMS
    assert result.verdict == "incorrect" and result.feedback
    assert "--max-paths" not in " ".join(result.lines())
    values = dict(result.counterexample.values)
    assert result.counterexample.answer == values["a0_1"]


def test_a_delta_answer_is_graded_on_a_network_over_the_path_budget() -> None:
    net = symbp.Network(layers=(3,) * 11, activations="tanh", cost="squared_error")  # 3^9 = 19,683 paths
    assert grade(net, "W1_1_1", "delta1_1 * a0_1").correct
    wrong = grade(net, "W1_1_1", "delta1_1 * a0_2")
    assert wrong.verdict == "incorrect" and wrong.counterexample is not None
    assert not any("max-paths" in line or "max_paths" in line for line in wrong.lines())


# Feedback on sigma' written with the network's own sigma: the lecture's sigma'(z) = sigma(z)(1 - sigma(z)) for the
# sigmoid, 1 - tanh(z)^2 for tanh, and squared error's dC/da3 = a3 - t (1/2 (a3 - t)^2, the lecture's cost).

SHEET = dict(layers=[3, 2, 2, 1], cost="squared_error")


@pytest.mark.parametrize("sigma_prime", ["sigmoid(z3)*(1-sigmoid(z3))", "a3*(1-a3)"])
def test_a_doubled_answer_with_sigmoid_written_out_is_called_twice_the_correct_one(sigma_prime: str) -> None:
    net = symbp.Network(activations="sigmoid", **SHEET)
    result = grade(net, "W3_1_2", f"2*(a3-t)*{sigma_prime}*a2_2")
    assert [item.message for item in result.feedback] == ["the answer is twice the correct one"]
    assert result.counterexample.answer == pytest.approx(2 * result.counterexample.truth)


def test_a_wrong_tanh_derivative_gets_one_line_and_the_counterexample() -> None:
    net = symbp.Network(activations="tanh", **SHEET)
    result = grade(net, "W3_1_2", "(a3-t)*(1-a3)^2*a2_2")
    assert [item.kind for item in result.feedback] == ["unmatched"] and result.counterexample is not None
    assert "z3_1" not in " ".join(result.lines()) and "delta" not in " ".join(result.lines())
    values = dict(result.counterexample.values)
    a3, t, a2 = values["a3"], values["t"], values["a2_2"]
    assert result.counterexample.answer == pytest.approx((a3 - t) * (1 - a3) ** 2 * a2)
    assert result.counterexample.truth == pytest.approx((a3 - t) * (1 - a3 ** 2) * a2)
