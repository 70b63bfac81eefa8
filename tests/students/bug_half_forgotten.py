"""Planted: the 1/2 of the squared error forgotten, in the cost and in its gradient (a factor 2)."""

import numpy as np

from _common import forward

NETWORK = {"layers": [2, 3, 1], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("half_forgotten", None)]


def backward(params, x, t):
    z, a = forward(params, x)
    N = x.shape[0]
    C = np.sum((a[2] - t) ** 2) / N  # BUG: the lecture's C has 1/2 in front
    delta2 = 2 * (a[2] - t) * a[2] * (1 - a[2])
    delta1 = (delta2 @ params["W2"]) * a[1] * (1 - a[1])
    return C, {"W1": delta1.T @ x / N, "b1": delta1.mean(0), "W2": delta2.T @ a[1] / N, "b2": delta2.mean(0)}
