"""The four backprop equations, checked on random concrete networks against sympy.diff.

    delta^{(L)} = grad_a C * sigma'(z^{(L)})
    delta^{(m)} = (W^{(m+1)})^T delta^{(m+1)} * sigma'(z^{(m)})
    dC/db^{(m)} = delta^{(m)}
    dC/dW^{(m)} = delta^{(m)} (a^{(m-1)})^T

symbp's numbers come from its backprop derivation; the oracle (tests/oracle.py)
differentiates its own forward pass with sympy.diff.
"""

from __future__ import annotations

import numpy as np
import pytest

import symbp
from oracle import dC_dz, forward_numbers, sigma_prime

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "softplus", "leaky_relu"]


def random_networks(count: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        L = int(rng.integers(1, 4))
        layers = [int(w) for w in rng.integers(1, 4, L + 1)]
        activations = [str(rng.choice(ACTIVATIONS)) for _ in range(L)]
        cost = "squared_error"
        if rng.random() < 0.4:
            activations[-1], cost = "sigmoid", "binary_cross_entropy"
        yield symbp.Network(layers, activations, cost)


@pytest.mark.parametrize("net", list(random_networks(10, seed=7)), ids=lambda n: n.describe())
def test_the_four_equations(net):
    point = symbp.random_point(net, np.random.default_rng(3))
    ours = symbp.gradient_at(net, point, "backprop")
    z, a = forward_numbers(net, point)
    delta = {m: dC_dz(net, point, m) for m in range(1, net.L + 1)}

    # Base case: delta^{(L)} = dC/da^{(L)} * sigma'(z^{(L)}), and it is dC/dz^{(L)}.
    np.testing.assert_allclose(ours.delta[f"delta{net.L}"], delta[net.L], rtol=1e-10, atol=1e-13)
    for m in range(net.L - 1, 0, -1):
        # Recursive case, with the oracle's own delta^{(m+1)} and sigma'.
        recursion = (point[f"W{m + 1}"].T @ delta[m + 1]) * sigma_prime(net.activations[m - 1], z[m])
        np.testing.assert_allclose(delta[m], recursion, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(ours.delta[f"delta{m}"], delta[m], rtol=1e-10, atol=1e-13)
    for m in range(1, net.L + 1):
        np.testing.assert_allclose(ours.gradients[f"b{m}"], delta[m], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(ours.gradients[f"W{m}"], np.outer(delta[m], a[m - 1]), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ours.a[f"a{net.L}"], a[net.L], rtol=1e-12)


def test_all_three_methods_give_the_same_numbers():
    net = symbp.Network([2, 3, 2], ["softplus", "sigmoid"], "binary_cross_entropy")
    point = symbp.random_point(net, np.random.default_rng(0))
    expected = {m: dC_dz(net, point, m) for m in (1, 2)}
    _, a = forward_numbers(net, point)
    for method in ("naive", "backprop", "reference"):
        got = symbp.gradient_at(net, point, method)
        for m in (1, 2):
            np.testing.assert_allclose(got.gradients[f"W{m}"], np.outer(expected[m], a[m - 1]), rtol=1e-10)
            np.testing.assert_allclose(got.gradients[f"b{m}"], expected[m], rtol=1e-10)
