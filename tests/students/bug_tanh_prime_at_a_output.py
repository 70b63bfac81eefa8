"""Planted: tanh' evaluated at a instead of z in the output layer only: 1 - tanh(a)^2."""

import numpy as np

from _common import forward, squared_error

NETWORK = {"layers": [3, 4, 2], "activations": "tanh", "cost": "squared_error"}
PLANTED = [("sigma_prime_at_a", 2)]


def backward(params, x, t):
    z, a = forward(params, x, sigma=np.tanh)
    N = x.shape[0]
    delta2 = (a[2] - t) * (1 - np.tanh(a[2]) ** 2)  # BUG: tanh'(z2) = 1 - tanh(z2)^2 = 1 - a2^2
    delta1 = (delta2 @ params["W2"]) * (1 - a[1] ** 2)
    return squared_error(a[2], t), {"W2": delta2.T @ a[1] / N, "b2": delta2.mean(0),
                                    "W1": delta1.T @ a[0] / N, "b1": delta1.mean(0)}
