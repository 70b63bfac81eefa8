"""Planted, two mistakes: no sigma' in delta^{(L)}, and sigma' at a instead of z in hidden layer 1."""

import numpy as np

from _common import forward, sigmoid, squared_error

NETWORK = {"layers": [2, 4, 3], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("output_delta_without_sigma_prime", 2), ("sigma_prime_at_a", 1)]


def backward(params, x, t):
    z, a = forward(params, x)
    N = x.shape[0]
    delta2 = a[2] - t  # BUG 1: times a2 (1 - a2)
    delta1 = (delta2 @ params["W2"]) * sigmoid(a[1]) * (1 - sigmoid(a[1]))  # BUG 2: at z1, i.e. a1 (1 - a1)
    return squared_error(a[2], t), {"W1": delta1.T @ x / N, "b1": np.mean(delta1, axis=0),
                                    "W2": delta2.T @ a[1] / N, "b2": np.mean(delta2, axis=0)}
