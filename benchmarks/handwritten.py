"""The named alternatives symbp's generated code is measured against, written by hand.

Both compute what ``loss_and_gradients`` does for a sigmoid network with the
squared-error cost: the mean cost over the N samples (rows) and its gradient
for every W<m>, b<m>, in the dtype of the arrays they are given (float64 or
float32). Nothing here comes from symbp.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

Arrays = Mapping[str, np.ndarray]


def numpy_backprop(params: Arrays, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Vectorized forward and backward pass over the whole batch, as one would write it in NumPy."""
    cost, sums = _sums(params, x, t)
    n = x.shape[0]
    return cost / n, {key: value / n for key, value in sums.items()}


def numpy_backprop_blocks(
    params: Arrays, x: np.ndarray, t: np.ndarray, rows: int
) -> tuple[float, dict[str, np.ndarray]]:
    """The same code run on blocks of ``rows`` samples at a time, summed (the generated code's layout)."""
    cost, sums = 0.0, {key: np.zeros_like(value) for key, value in params.items()}
    for first in range(0, x.shape[0], rows):
        block_cost, block_sums = _sums(params, x[first : first + rows], t[first : first + rows])
        cost += block_cost
        for key, value in block_sums.items():
            sums[key] += value
    n = x.shape[0]
    return cost / n, {key: value / n for key, value in sums.items()}


def _sums(params: Arrays, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    layers = len(params) // 2
    a = [x]
    for m in range(1, layers + 1):
        z = a[-1] @ params[f"W{m}"].T + params[f"b{m}"]
        a.append(1 / (1 + np.exp(-z)))
    error = a[-1] - t
    cost = 0.5 * float(np.sum(error**2))
    delta = error * a[-1] * (1 - a[-1])
    sums = {}
    for m in range(layers, 0, -1):
        sums[f"W{m}"] = delta.T @ a[m - 1]
        sums[f"b{m}"] = delta.sum(axis=0)
        if m > 1:
            delta = (delta @ params[f"W{m}"]) * a[m - 1] * (1 - a[m - 1])
    return cost, sums


class TorchBackprop:
    """PyTorch autograd on the CPU in ``dtype``: the forward pass written once, the backward pass by autograd."""

    def __init__(self, params: Arrays, x: np.ndarray, t: np.ndarray, dtype: str = "float64") -> None:
        import torch  # optional: only when the benchmark finds it installed

        self.torch = torch
        self.keys = list(params)
        torch_dtype = getattr(torch, dtype)
        self.params = [torch.tensor(params[key], dtype=torch_dtype, requires_grad=True) for key in self.keys]
        self.x = torch.from_numpy(np.ascontiguousarray(x, dtype=dtype))
        self.t = torch.from_numpy(np.ascontiguousarray(t, dtype=dtype))

    def __call__(self) -> tuple[float, dict[str, np.ndarray]]:
        torch = self.torch
        by_key = dict(zip(self.keys, self.params))
        a = self.x
        for m in range(1, len(self.keys) // 2 + 1):
            a = torch.sigmoid(torch.nn.functional.linear(a, by_key[f"W{m}"], by_key[f"b{m}"]))
        cost = 0.5 * ((a - self.t) ** 2).sum() / self.x.shape[0]
        grads = torch.autograd.grad(cost, self.params)
        return cost, dict(zip(self.keys, grads))

    def numpy(self) -> tuple[float, dict[str, np.ndarray]]:
        cost, grads = self()
        return float(cost.detach()), {key: value.numpy() for key, value in grads.items()}
