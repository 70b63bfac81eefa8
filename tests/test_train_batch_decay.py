"""``symbp train --batch N --l2 LAMBDA``: minibatch means and weight decay, step by step against PyTorch.

The oracle draws the same initial weights (uniform in +-1/sqrt(fan-in), biases zero, from
``numpy.random.default_rng(seed)``) and the same row order (one permutation per epoch), then
runs plain SGD in PyTorch float64 on C = mean over the minibatch + (lambda/2) sum W^2.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from oracle import need_torch
from symbp.datasets import load
from test_cli import invoke, ok

pytestmark = pytest.mark.slow  # PyTorch's import alone is seconds: run by .ci/run (pytest -m slow)

SIZES = (2, 3, 1)


def torch_training(x: np.ndarray, t: np.ndarray, *, epochs: int, lr: float, batch: int, l2: float, seed: int,
                   hidden: str = "tanh"):
    """Costs over the whole set (with the decay) before and after each epoch, and the final parameters;
    ``hidden`` the hidden layer's non-linearity: tanh, or silu (x sigmoid(x), symbp's --define swish)."""
    torch = need_torch()
    sigma = {"tanh": torch.tanh, "silu": torch.nn.functional.silu}[hidden]
    rng = np.random.default_rng(seed)
    params = {}
    for m in range(1, len(SIZES)):
        bound = 1 / np.sqrt(SIZES[m - 1])
        params[f"W{m}"] = torch.tensor(rng.uniform(-bound, bound, (SIZES[m], SIZES[m - 1])), requires_grad=True)
        params[f"b{m}"] = torch.zeros(SIZES[m], dtype=torch.float64, requires_grad=True)
    X, T = torch.tensor(x), torch.tensor(t)

    def cost(rows):
        a1 = sigma(X[rows] @ params["W1"].T + params["b1"])
        a = torch.sigmoid(a1 @ params["W2"].T + params["b2"])
        target = T[rows]
        data = -(target * torch.log(a) + (1 - target) * torch.log(1 - a)).sum(dim=1).mean()
        return data + l2 / 2 * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())

    every = np.arange(len(x))
    costs = [cost(every).item()]
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            for p in params.values():
                p.grad = None
            cost(order[start:start + batch]).backward()
            with torch.no_grad():
                for p in params.values():
                    p -= lr * p.grad
        costs.append(cost(every).item())
    return costs, {k: v.detach().numpy() for k, v in params.items()}


@pytest.mark.parametrize("batch, l2", [(3, 0.05), (1, 0.2), (4, 0.0), (2, 0.0)])
def test_costs_and_parameters_follow_pytorch_sgd(batch, l2):
    data = load("xor")
    result = json.loads(ok("train", "--data", "xor", "--layers", "2,3,1", "--activations", "tanh,sigmoid",
                           "--cost", "binary_cross_entropy", "--epochs", "6", "--lr", "0.7", "--batch", str(batch),
                           "--l2", str(l2), "--seed", "7", "-f", "json").stdout)
    costs, params = torch_training(data.x, data.t, epochs=6, lr=0.7, batch=batch, l2=l2, seed=7)
    np.testing.assert_allclose(result["costs"], costs, rtol=1e-9)
    for key, value in params.items():
        np.testing.assert_allclose(result["parameters"][key], value, rtol=1e-9, atol=1e-13)
    assert (result["batch_size"], result["l2"]) == (batch, l2)


def test_a_defined_non_linearity_trains_with_minibatches_and_decay_as_pytorch_does():
    data = load("xor")
    result = json.loads(ok("train", "--data", "xor", "--define", "swish=x/(1+exp(-x))", "--layers", "2,3,1",
                           "--activations", "swish,sigmoid", "--cost", "binary_cross_entropy", "--epochs", "4",
                           "--lr", "0.7", "--batch", "3", "--l2", "0.05", "--seed", "2", "-f", "json").stdout)
    costs, _ = torch_training(data.x, data.t, epochs=4, lr=0.7, batch=3, l2=0.05, seed=2, hidden="silu")
    np.testing.assert_allclose(result["costs"], costs, rtol=1e-9)


def test_decay_shrinks_the_weights_and_is_in_the_reported_cost():
    common = ("train", "--data", "xor", "--epochs", "200", "--lr", "0.5", "-f", "json")
    plain, decayed = (json.loads(ok(*common, *extra).stdout) for extra in ((), ("--l2", "0.1")))
    norm = lambda r: sum(np.sum(np.square(r["parameters"][k])) for k in ("W1", "W2"))  # noqa: E731
    assert norm(decayed) < norm(plain)
    assert decayed["costs"][0] > plain["costs"][0]  # same start: the decay's (lambda/2) sum W^2 is added


def test_the_text_names_the_minibatch_and_the_decay():
    text = ok("train", "--data", "xor", "--epochs", "3", "--batch", "2", "--l2", "0.01").stdout
    assert "batch size 2, weight decay 0.01" in text


def test_a_spec_s_batch_is_the_minibatch(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('layers = [2, 3, 1]\nactivations = ["tanh", "sigmoid"]\ncost = "binary_cross_entropy"\n'
                    'batch = 2\nl2 = 0.05\n')
    result = json.loads(ok("train", "--data", "xor", "--spec", str(spec), "--epochs", "2", "-f", "json").stdout)
    assert (result["batch_size"], result["l2"]) == (2, 0.05)


@pytest.mark.parametrize("option, value, words", [("--batch", "0", "0 is not allowed"),
                                                  ("--batch", "9", "batch size 9 must be 1 to 4"),
                                                  ("--l2", "-1", "l2 -1.0 must be a finite number of 0 or more")])
def test_bad_minibatch_or_decay_is_one_line_and_exit_2(option, value, words):
    result = invoke("train", "--data", "xor", "--epochs", "2", option, value)
    assert result.exit_code == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_library_refuses_a_batch_network_and_names_batch_size():
    from symbp import Network
    from symbp.errors import SymbpError
    from symbp.train import train

    network = Network([2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", batch=2)
    with pytest.raises(SymbpError, match="batch_size=2"):
        train(network, load("xor"), epochs=1)
