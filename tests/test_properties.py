"""Property tests over random networks (1 to 4 layers, widths 1 to 4, random non-linearities and costs)."""

from __future__ import annotations

from math import prod

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symbp
from oracle import dC_dz, forward_numbers

CONCRETE = ["identity", "sigmoid", "tanh", "relu", "softplus", "leaky_relu"]
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def networks(draw, activations=CONCRETE, max_layers=4, max_width=4, max_parameters=40):
    L = draw(st.integers(1, max_layers))
    layers = draw(st.lists(st.integers(1, max_width), min_size=L + 1, max_size=L + 1))
    while sum(layers[m] * (layers[m - 1] + 1) for m in range(1, L + 1)) > max_parameters:
        layers[layers.index(max(layers))] -= 1  # keep the sympy.diff reference quick
    chosen = draw(st.lists(st.sampled_from(activations), min_size=L, max_size=L))
    cost = draw(st.sampled_from(["squared_error", "binary_cross_entropy"] if "sigmoid" in activations else ["abstract"]))
    if cost == "binary_cross_entropy":
        chosen[-1] = "sigmoid"
    return symbp.Network(layers, chosen, cost)


@pytest.mark.slow
@SETTINGS
@given(networks(), st.integers(0, 2**16))
def test_naive_backprop_and_reference_agree_with_the_independent_oracle(net, seed):
    """Every dC/dW and dC/db by each method against tests/oracle.py (the forward pass written again, sympy.diff)."""
    rng = np.random.default_rng(seed)
    point = {"x": rng.uniform(-1, 1, net.D(0)), "t": rng.uniform(0.1, 0.9, net.D(net.L))}
    for m in range(1, net.L + 1):
        point[f"W{m}"], point[f"b{m}"] = rng.uniform(-1, 1, (net.D(m), net.D(m - 1))), rng.uniform(-1, 1, net.D(m))
    _, a = forward_numbers(net, point)
    expected = {}
    for m in range(1, net.L + 1):
        delta = dC_dz(net, point, m)  # dC/dW_ij = delta_i a_j and dC/db_i = delta_i: the lecture's last step
        expected[f"W{m}"], expected[f"b{m}"] = np.outer(delta, a[m - 1]), delta
    for method in ("naive", "backprop", "reference"):
        gradients = symbp.gradient_at(net, point, method).gradients
        for key, value in expected.items():
            np.testing.assert_allclose(gradients[key], value, rtol=1e-7, atol=1e-10, err_msg=f"{method} {key}")


@SETTINGS
@given(networks(activations=["abstract"], max_layers=3, max_width=3))
def test_naive_equals_backprop_symbolically_in_abstract_mode(net):
    bp = symbp.backprop(net, "all")
    for entry in net.entries():
        difference = symbp.naive(net, entry).expression() - bp.expression(entry)
        assert sp.expand(difference) == 0, entry.name


@SETTINGS
@given(networks(activations=["abstract", "sigmoid", "tanh"], max_layers=4, max_width=4, max_parameters=200))
def test_number_of_naive_paths_is_the_product_of_widths_above(net):
    for entry in net.entries():
        # Every path picks one unit in each layer above the entry's own layer.
        expected = prod(net.D(layer) for layer in range(entry.layer + 1, net.L + 1))
        derivation = symbp.naive(net, entry)
        assert len(derivation.paths) == expected
        assert len(set(p.nodes for p in derivation.paths)) == expected  # all distinct
        for path in derivation.paths:
            assert path.nodes[0] == symbp.build_graph(net).C
            assert path.nodes[-1] == symbp.build_graph(net).symbol(entry)
