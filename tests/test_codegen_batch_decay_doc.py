"""symbp codegen --batch N --l2 LAMBDA: the module says how the batch mean and the decay enter
loss_and_gradients, and its numbers are PyTorch's (float64 autograd of the mean cost plus (lambda/2) sum W^2)
at relative 1e-9.
"""

from __future__ import annotations

import numpy as np
import pytest

from oracle import need_torch
from test_cli import ok

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

REL = 1e-9
OPTIONS = ["--layers", "3,4,3", "--define", "sw=x/(1+exp(-x))", "--activations", "sw,softmax",
           "--cost", "cross_entropy"]


def load(source: str):
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # the module symbp wrote, as a user imports it
    return namespace


def torch_reference(params, x, t, lam):
    torch = need_torch()
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    a = torch.tensor(x, dtype=torch.float64)
    z = a @ p["W1"].T + p["b1"]
    a = torch.nn.functional.silu(z)  # swish: x/(1+exp(-x))
    z = a @ p["W2"].T + p["b2"]
    target = torch.tensor(t, dtype=torch.float64)
    cost = -(target * torch.log_softmax(z, dim=-1)).sum(dim=-1).mean()
    cost = cost + lam / 2 * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    cost.backward()
    return float(cost.detach()), {k: v.grad.numpy() for k, v in p.items()}


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("lam", [0.0, 0.3])
def test_the_generated_gradients_with_batch_and_decay_are_pytorch_s(batch, lam):
    arguments = [*OPTIONS, "--batch", str(batch)] + (["--l2", repr(lam)] if lam else [])
    module = load(ok("codegen", *arguments).stdout)
    rng = np.random.default_rng(batch * 10 + int(lam * 10))
    params = {"W1": rng.uniform(-1, 1, (4, 3)), "b1": rng.uniform(-0.5, 0.5, 4),
              "W2": rng.uniform(-1, 1, (3, 4)), "b2": rng.uniform(-0.5, 0.5, 3)}
    x = rng.uniform(-1, 1, (batch, 3))
    t = rng.dirichlet(np.ones(3), batch)
    cost, grads = module["loss_and_gradients"](params, x, t)
    expected_cost, expected = torch_reference(params, x, t, lam)
    assert cost == pytest.approx(expected_cost, rel=REL)
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=REL, atol=1e-15)


def test_the_module_says_how_the_batch_mean_and_the_decay_enter():
    doc = load(ok("codegen", *OPTIONS, "--batch", "4", "--l2", "0.3").stdout)["__doc__"]
    assert "symbp codegen --batch 4" in doc and "N = 4" in doc
    assert "cost = (1/N) sum_n C(a^{(2),(n)}, t^{(n)}) + (L2/2) sum_m sum_ij (W^{(m)}_ij)^2" in doc
    assert "dC/dW^{(m)} = (1/N) sum_n delta^{(m),(n)} (a^{(m-1),(n)})^T + L2 W^{(m)}" in doc
    assert "dC/db^{(m)} = (1/N) sum_n delta^{(m),(n)} (biases are not decayed)" in doc
    plain = load(ok("codegen", *OPTIONS).stdout)["__doc__"]
    assert "sum_n" not in plain  # one example without decay: the docstring as before
    batch_only = load(ok("codegen", *OPTIONS, "--batch", "4").stdout)["__doc__"]
    assert "(1/N) sum_n delta^{(m),(n)} (a^{(m-1),(n)})^T\n" in batch_only and "L2" not in batch_only
