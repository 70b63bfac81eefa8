"""Planted, two mistakes: W^{(2)} not transposed in the recursion, and the bias gradients not divided by N."""

from _common import forward, squared_error

NETWORK = {"layers": [3, 3, 3, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("weights_not_transposed", 2), ("bias_summed_not_averaged", None)]


def backward(params, x, t):
    z, a = forward(params, x)
    N = x.shape[0]
    grads = {}
    delta = (a[3] - t) * a[3] * (1 - a[3])
    for m in (3, 2, 1):
        grads[f"W{m}"] = delta.T @ a[m - 1] / N
        grads[f"b{m}"] = delta.sum(axis=0)  # BUG 1: / N
        if m > 1:
            W = params[f"W{m}"].T if m == 2 else params[f"W{m}"]  # BUG 2: W2 transposed by mistake
            delta = (delta @ W) * a[m - 1] * (1 - a[m - 1])
    return squared_error(a[3], t), grads
