"""Planted: the batch mean's 1/N forgotten in the gradients (the cost is the mean)."""

from _common import forward, squared_error

NETWORK = {"layers": [3, 4, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("mean_forgotten", None)]


def backward(params, x, t):
    z, a = forward(params, x)
    delta2 = (a[2] - t) * a[2] * (1 - a[2])
    delta1 = (delta2 @ params["W2"]) * a[1] * (1 - a[1])
    # BUG: sums over the samples; the gradient of the mean cost divides by N
    grads = {"W2": delta2.T @ a[1], "b2": delta2.sum(0), "W1": delta1.T @ a[0], "b1": delta1.sum(0)}
    return squared_error(a[2], t), grads
