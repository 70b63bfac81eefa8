"""Planted, two mistakes: the sign flipped and the batch mean's 1/N forgotten."""

import numpy as np

from _common import forward, squared_error

NETWORK = {"layers": [3, 4, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("sign_flipped", None), ("mean_forgotten", None)]


def backward(params, x, t):
    z, a = forward(params, x)
    error = t - a[2]  # BUG 1: a - t
    delta2 = error * a[2] * (1 - a[2])
    delta1 = np.dot(delta2, params["W2"]) * a[1] * (1 - a[1])
    # BUG 2: no / N
    return squared_error(a[2], t), {"W2": np.dot(delta2.T, a[1]), "b2": np.sum(delta2, axis=0),
                                    "W1": np.dot(delta1.T, a[0]), "b1": np.sum(delta1, axis=0)}
