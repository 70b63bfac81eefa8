"""The lecture's two worked exercises, reproduced factor by factor in abstract mode.

Expected factors are written out from the slides "Solution: Loss Derivative with
respect to W_12^(2)" and "... W_23^(1)" of ../shared/reference/backprop-lecture.md,
not taken from symbp's output.
"""

from __future__ import annotations

import sympy as sp

import symbp
from symbp.graph import build_graph

NET = symbp.Network()  # the lecture's 3,2,2,1 network, abstract sigma and C
G = build_graph(NET)

# The lecture's names for the default network, by canonical entry name.
C = G.C
a3, z3 = G.a[3][0], G.z[3][0]
a2 = {1: G.a[2][0], 2: G.a[2][1]}
z2 = {1: G.z[2][0], 2: G.z[2][1]}
a1_2, z1_2 = G.a[1][1], G.z[1][1]
a0_3 = G.a[0][2]
w3 = {1: G.W[3][0, 0], 2: G.W[3][0, 1]}
W2_i2 = {1: G.W[2][0, 1], 2: G.W[2][1, 1]}
C_prime = G.dC_da[0]  # the slide's C'
sigma3_prime = G.sigma_prime[3][0]  # sigma^{(3)'}(z^{(3)})
sigma2_prime = {1: G.sigma_prime[2][0], 2: G.sigma_prime[2][1]}
sigma1_prime_2 = G.sigma_prime[1][1]


def leibniz(path):
    return [(f.of, f.wrt) for f in path.factors]


def values(path):
    return [f.value for f in path.factors]


def test_dC_dW2_12_is_one_path_of_five_factors():
    # dC/dW^{(2)}_{12} = dC/da^{(3)} da^{(3)}/dz^{(3)} dz^{(3)}/da^{(2)}_1 da^{(2)}_1/dz^{(2)}_1 dz^{(2)}_1/dW^{(2)}_{12}
    #                 = C' sigma^{(3)'}(z^{(3)}) w^{(3)}_1 sigma^{(2)'}(z^{(2)}_1) a^{(1)}_2
    W2_12 = G.W[2][0, 1]
    derivation = symbp.naive(NET, "W2_1_2")
    assert len(derivation.paths) == 1
    (path,) = derivation.paths
    assert leibniz(path) == [(C, a3), (a3, z3), (z3, a2[1]), (a2[1], z2[1]), (z2[1], W2_12)]
    assert values(path) == [C_prime, sigma3_prime, w3[1], sigma2_prime[1], G.a[1][1]]
    assert derivation.expression() == C_prime * sigma3_prime * w3[1] * sigma2_prime[1] * G.a[1][1]


def test_dC_dW1_23_is_two_paths_of_seven_factors():
    # dC/dz^{(1)}_2 = (sum_i dC/dz^{(2)}_i dz^{(2)}_i/da^{(1)}_2) da^{(1)}_2/dz^{(1)}_2, then times dz^{(1)}_2/dW^{(1)}_{23}
    W1_23 = G.W[1][1, 2]
    derivation = symbp.naive(NET, "W1_2_3")
    assert len(derivation.paths) == 2
    for i, path in zip((1, 2), derivation.paths):
        assert leibniz(path) == [
            (C, a3),
            (a3, z3),
            (z3, a2[i]),
            (a2[i], z2[i]),
            (z2[i], a1_2),
            (a1_2, z1_2),
            (z1_2, W1_23),
        ]
        assert values(path) == [C_prime, sigma3_prime, w3[i], sigma2_prime[i], W2_i2[i], sigma1_prime_2, a0_3]
    expected = sum(
        C_prime * sigma3_prime * w3[i] * sigma2_prime[i] * W2_i2[i] * sigma1_prime_2 * a0_3 for i in (1, 2)
    )
    assert sp.expand(derivation.expression() - expected) == 0


def test_backprop_reproduces_the_lecture_steps():
    # Step 1: dC/dz^{(3)} = dC/da^{(3)} sigma^{(3)'}(z^{(3)})
    # Step 2: dC/dz^{(2)}_i = dC/dz^{(3)} w^{(3)}_i sigma^{(2)'}(z^{(2)}_i)
    # Step 3: dC/dz^{(1)}_j = (sum_i dC/dz^{(2)}_i W^{(2)}_{ij}) sigma^{(1)'}(z^{(1)}_j)
    # Weights: dC/dW^{(m)}_{ij} = dC/dz^{(m)}_i a^{(m-1)}_j
    bp = symbp.backprop(NET)
    d3 = bp.delta(3, 1)
    assert d3.is_base_case and d3.formula == C_prime * sigma3_prime
    for i in (1, 2):
        step = bp.delta(2, i)
        assert step.formula == G.delta[3][0] * w3[i] * sigma2_prime[i]
    step = bp.delta(1, 2)
    assert step.formula == (G.delta[2][0] * W2_i2[1] + G.delta[2][1] * W2_i2[2]) * sigma1_prime_2
    assert bp.gradient("W1_2_3").formula == G.delta[1][1] * a0_3
    assert bp.gradient("W2_1_2").formula == G.delta[2][0] * G.a[1][1]
    assert bp.gradient("b2_1").formula == G.delta[2][0]
    # Each delta is computed once: one step per unit, output layer first.
    assert [(s.layer, s.unit) for s in bp.deltas] == [(3, 1), (2, 1), (2, 2), (1, 1), (1, 2)]


def test_lecture_notation_for_the_single_output_layer():
    names = G.latex_names
    assert names[w3[1]] == "w^{(3)}_{1}"
    assert names[z3] == "z^{(3)}" and names[a3] == "a^{(3)}" and names[G.t[0]] == "t"
    assert names[G.b[3][0]] == "b^{(3)}"
    assert names[G.W[2][0, 1]] == "W^{(2)}_{12}"
    assert names[G.z[2][0]] == "z^{(2)}_{1}"
    assert names[sigma2_prime[1]] == r"\sigma^{(2)\prime}(z^{(2)}_{1})"


def test_indices_get_a_comma_when_a_size_reaches_ten():
    g = build_graph(symbp.Network([12, 2, 2]))
    assert g.latex_names[g.W[1][0, 11]] == "W^{(1)}_{1,12}"
    assert g.latex_names[g.t[1]] == "t_{2}"  # two outputs: targets are indexed
    assert build_graph(symbp.Network([9, 2, 2])).latex_names[build_graph(symbp.Network([9, 2, 2])).W[1][0, 8]] == "W^{(1)}_{19}"


def test_abstract_reference_prints_derivatives_as_named_functions():
    expression = symbp.reference(NET, "W2_1_2").expression()
    assert not expression.has(sp.Subs) and not expression.has(sp.Derivative)
    printed = sp.latex(expression)
    assert "xi" not in printed
