"""Planted: with binary cross-entropy, dC/da^{(L)} = (a - t) / (a (1 - a)) used as delta^{(L)} without sigma'."""

import numpy as np

from _common import forward

NETWORK = {"layers": [2, 3, 1], "activations": "sigmoid", "cost": "binary_cross_entropy"}
PLANTED = [("output_delta_without_sigma_prime", 2)]


def backward(params, x, t):
    z, a = forward(params, x)
    y, N = a[2], x.shape[0]
    C = -np.mean(np.sum(t * np.log(y) + (1 - t) * np.log(1 - y), axis=1))
    delta_out = (y - t) / (y * (1 - y))  # BUG: this is dC/da; delta needs the factor y (1 - y) as well
    delta_hidden = delta_out @ params["W2"] * a[1] * (1 - a[1])
    return C, {"W2": delta_out.T @ a[1] / N, "b2": np.mean(delta_out, 0),
               "W1": delta_hidden.T @ a[0] / N, "b1": np.mean(delta_hidden, 0)}
