"""Planted, two mistakes: sigma' missing in hidden layer 1, and the cost's 1/2 forgotten in the gradient."""

from _common import forward, squared_error

NETWORK = {"layers": [3, 4, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("sigma_prime_missing", 1), ("half_forgotten", None)]


def backward(params, x, t):
    z, a = forward(params, x)
    N = x.shape[0]
    delta2 = 2 * (a[2] - t) * a[2] * (1 - a[2])  # BUG 1: d/da of 1/2 (a - t)^2 is (a - t)
    delta1 = delta2 @ params["W2"]  # BUG 2: times a1 (1 - a1)
    return squared_error(a[2], t), {"W1": delta1.T @ x / N, "b1": delta1.mean(0),
                                    "W2": delta2.T @ a[1] / N, "b2": delta2.mean(0)}
