"""The SymEngine reference left over named remainders (issue 14), against PyTorch autograd.

For a weight of layer m, SymEngine differentiates C with the units above written as
W^{(m+1)}_{ki} a^{(m)}_i + r_k, r_k = sum_{j != i} W^{(m+1)}_{kj} a^{(m)}_j + b^{(m+1)}_k named;
its numbers come from the forward pass's values and r_k's sum. Oracle: PyTorch float64 autograd of
the same network (``torch_gradients``, written from the layer sizes and names alone).
"""

from __future__ import annotations

import numpy as np
import pytest

import symbp
from symbp.numeric import random_point

from test_batch_decay import torch_gradients

NETWORKS = [
    symbp.Network([3, 4, 3, 2], ["sigmoid", "tanh", "identity"], "squared_error"),
    symbp.Network([2, 3, 3, 3], ["tanh", "sigmoid", "softmax"], "cross_entropy", batch=2, l2=0.1),
    symbp.Network([2, 3, 2, 1], ["relu", "softplus", "sigmoid"], "binary_cross_entropy"),
]


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: n.describe())
def test_reference_numbers_over_remainders_equal_autograd(net):
    point = random_point(net, np.random.default_rng(4))
    _, expected = torch_gradients(net, point)
    got = symbp.gradient_at(net, point, "reference").gradients
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-10, atol=1e-13, err_msg=f"{net.describe()} {key}")


def test_a_first_layer_weight_is_differentiated_over_remainders_and_printed_without_them():
    net = NETWORKS[0]
    derivation = symbp.reference(net, "W1_2_3")
    rests = derivation.remainders()
    # one per unit of layer 2, each the sum over the other units of layer 1
    assert len(rests) == net.D(2)
    assert all(len(terms) == net.D(1) - 1 for terms, _ in rests.values())
    printed = derivation.expression()
    assert {s.name[0] for s in printed.free_symbols} <= {"a", "W", "b", "t"}  # x is a0; nothing named z or _r
    assert not any(s.name.startswith(("a1", "a2", "z")) for s in printed.free_symbols)
