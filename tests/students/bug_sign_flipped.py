"""Planted: the sign flipped: delta^{(L)} from (t - a) instead of (a - t)."""

import numpy as np

NETWORK = {"layers": [2, 2, 1], "activations": "tanh", "cost": "squared_error"}
PLANTED = [("sign_flipped", None)]


def backward(params, x, t):
    a1 = np.tanh(x @ params["W1"].T + params["b1"])
    a2 = np.tanh(a1 @ params["W2"].T + params["b2"])
    N = x.shape[0]
    d2 = (t - a2) * (1 - a2**2)  # BUG: dC/da2 = a2 - t
    d1 = (d2 @ params["W2"]) * (1 - a1**2)
    grads = {"W1": d1.T @ x / N, "b1": d1.mean(0), "W2": d2.T @ a1 / N, "b2": d2.mean(0)}
    return 0.5 * ((a2 - t) ** 2).sum() / N, grads
