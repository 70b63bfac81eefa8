"""The forward pass the buggy students share: samples are rows, z_m = a_{m-1} @ W_m.T + b_m."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(params, x, sigma=sigmoid):
    """Lists z[0..L] and a[0..L] (z[0] is x)."""
    L = len(params) // 2
    z, a = [x], [x]
    for m in range(1, L + 1):
        z.append(a[-1] @ params[f"W{m}"].T + params[f"b{m}"])
        a.append(sigma(z[-1]))
    return z, a


def squared_error(a, t):
    """Mean over the rows of 1/2 sum_k (a_k - t_k)^2."""
    return 0.5 * np.sum((a - t) ** 2) / a.shape[0]
