"""Planted: the bias gradient taken from the first example only (delta[0]), as if the batch had one row."""

import numpy as np

from _common import forward

NETWORK = {"layers": [2, 3, 2], "activations": "relu", "cost": "squared_error"}
PLANTED = [("bias_first_example", None)]


def relu(z):
    return np.maximum(z, 0)


def backward(params, x, t):
    z, a = forward(params, x, sigma=relu)
    N = x.shape[0]
    delta2 = (a[2] - t) * (z[2] > 0)
    delta1 = (delta2 @ params["W2"]) * (z[1] > 0)
    grads = {"W2": delta2.T @ a[1] / N, "W1": delta1.T @ x / N,
             "b2": delta2[0], "b1": delta1[0]}  # BUG: should be the mean over the rows
    return 0.5 * np.sum((a[2] - t) ** 2) / N, grads
