"""Planted: dC/dW^{(m)} = a^{(m-1)} delta^{(m)T} in every layer (all layers square, so it does not crash)."""

import numpy as np

from _common import forward

NETWORK = {"layers": [3, 3, 3], "activations": "tanh", "cost": "squared_error"}
PLANTED = [("outer_product_transposed", None)]


def backward(params, x, t):
    z, a = forward(params, x, sigma=np.tanh)
    L, N = 2, x.shape[0]
    grads = {}
    delta = (a[L] - t) * (1 - a[L] ** 2)
    for m in range(L, 0, -1):
        grads[f"W{m}"] = a[m - 1].T @ delta / N  # BUG: transposed; delta.T @ a[m - 1]
        grads[f"b{m}"] = delta.mean(axis=0)
        delta = (delta @ params[f"W{m}"]) * (1 - a[m - 1] ** 2)
    return 0.5 * np.mean(np.sum((a[L] - t) ** 2, axis=1)), grads
