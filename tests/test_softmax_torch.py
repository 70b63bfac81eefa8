"""PyTorch (float64) as the oracle for softmax + cross-entropy gradients, on random networks, at relative 1e-9.

PyTorch comes with the ``bench`` extra (``pip install '.[test,bench]'``); it is not in the test
extra because it needs a newer SymPy than the lowest one symbp supports (ci/lowest-*.txt).
test_softmax.py checks the same derivations against oracles that need no PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

import symbp
from symbp.codegen import gradient_function as compile_network
from symbp.numeric import gradient_at

from oracle import need_torch

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

REL = 1e-9
HIDDEN = ["tanh", "sigmoid", "softplus", "identity", "relu"]


def torch_sigma(name: str):
    torch = need_torch()  # imported here, not at collection: importing torch costs seconds in every worker
    return {
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": torch.nn.functional.softplus,
        "identity": lambda v: v, "relu": torch.relu,
    }[name]


def random_case(seed: int):
    rng = np.random.default_rng(seed)
    L = int(rng.integers(1, 4))
    layers = [int(v) for v in rng.integers(2, 5, size=L + 1)]
    activations = [str(rng.choice(HIDDEN)) for _ in range(L - 1)] + ["softmax"]
    cost = "cross_entropy" if seed % 3 else "squared_error"
    net = symbp.Network(layers, activations, cost)
    point = {"x": rng.uniform(-1, 1, layers[0]), "t": rng.dirichlet(np.ones(layers[-1]))}
    for m in range(1, L + 1):
        point[f"W{m}"] = rng.uniform(-1.5, 1.5, (layers[m], layers[m - 1]))
        point[f"b{m}"] = rng.uniform(-0.5, 0.5, layers[m])
    return net, point


def torch_gradients(net: symbp.Network, point, x_rows=None, t_rows=None):
    """C and every dC/dW, dC/db by autograd; C = -sum_k t_k log_softmax(z)_k or the squared error of softmax(z)."""
    torch = need_torch()
    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in point.items() if k[0] in "Wb"}
    a = torch.tensor(point["x"] if x_rows is None else x_rows, dtype=torch.float64)
    t = torch.tensor(point["t"] if t_rows is None else t_rows, dtype=torch.float64)
    for m in range(1, net.L + 1):
        z = a @ params[f"W{m}"].T + params[f"b{m}"]
        a = torch_sigma(net.activations[m - 1])(z) if m < net.L else None
    if net.cost == "cross_entropy":
        per_sample = -(t * torch.log_softmax(z, dim=-1)).sum(dim=-1)
    else:
        per_sample = ((torch.softmax(z, dim=-1) - t) ** 2).sum(dim=-1) / 2
    cost = per_sample.mean()
    cost.backward()
    return float(cost), {k: p.grad.numpy() for k, p in params.items()}


def assert_close(got, expected):
    scale = max(float(np.max(np.abs(g))) for g in expected.values())
    for key, value in expected.items():
        assert np.max(np.abs(got[key] - value)) <= REL * scale, key


@pytest.mark.parametrize("seed", range(8))
def test_grad_matches_pytorch(seed):
    net, point = random_case(seed)
    result = gradient_at(net, point)
    cost, expected = torch_gradients(net, point)
    assert result.cost == pytest.approx(cost, rel=REL)
    assert_close(result.gradients, expected)


@pytest.mark.parametrize("seed", range(3))
def test_naive_expansion_matches_pytorch(seed):
    net, point = random_case(seed)
    result = gradient_at(net, point, method="naive", max_paths=20_000)
    assert_close(result.gradients, torch_gradients(net, point)[1])


@pytest.mark.parametrize("seed", range(6))
def test_generated_code_matches_pytorch_on_a_batch(seed):
    net, point = random_case(seed)
    rng = np.random.default_rng(1000 + seed)
    x = rng.uniform(-1, 1, (7, net.D(0)))
    t = rng.dirichlet(np.ones(net.D(net.L)), size=7)
    params = {k: v for k, v in point.items() if k[0] in "Wb"}
    cost, grads = compile_network(net)(params, x, t)
    expected_cost, expected = torch_gradients(net, point, x, t)
    assert cost == pytest.approx(expected_cost, rel=REL)
    assert_close(grads, expected)


def test_generated_code_is_finite_at_logits_of_a_thousand():
    net = symbp.Network([2, 3], "softmax", "cross_entropy")
    params = {"W1": np.zeros((3, 2)), "b1": np.array([1000.0, -1000.0, 0.0])}
    x, t = np.zeros((2, 2)), np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    cost, grads = compile_network(net)(params, x, t)
    expected_cost, expected = torch_gradients(net, {"x": x, "t": t, **params}, x, t)
    assert np.isfinite(cost) and all(np.all(np.isfinite(g)) for g in grads.values())
    assert cost == pytest.approx(expected_cost, rel=REL)
    assert_close(grads, expected)
