"""Planted: the bias gradients summed over the batch but not divided by N (the weights are right)."""

from _common import forward, squared_error

NETWORK = {"layers": [3, 4, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("bias_summed_not_averaged", None)]


def backward(params, x, t):
    z, a = forward(params, x)
    N = x.shape[0]
    delta2 = (a[2] - t) * a[2] * (1 - a[2])
    delta1 = (delta2 @ params["W2"]) * a[1] * (1 - a[1])
    grads = {"W2": delta2.T @ a[1] / N, "W1": delta1.T @ x / N}
    grads["b2"] = delta2.sum(axis=0)  # BUG: / N missing
    grads["b1"] = delta1.sum(axis=0)  # BUG: / N missing
    return squared_error(a[2], t), grads
