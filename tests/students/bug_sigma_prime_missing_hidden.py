"""Planted: sigma' missing in hidden layer 1 (delta^{(1)} = W^{(2)T} delta^{(2)} only)."""

from _common import forward, squared_error

NETWORK = {"layers": [3, 3, 3, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("sigma_prime_missing", 1)]


def backward(params, x, t):
    z, a = forward(params, x)
    L, N = 3, x.shape[0]
    delta = {L: (a[L] - t) * a[L] * (1 - a[L])}
    delta[2] = (delta[3] @ params["W3"]) * a[2] * (1 - a[2])
    delta[1] = delta[2] @ params["W2"]  # BUG: forgot * a1 * (1 - a1)
    grads = {}
    for m in range(1, L + 1):
        grads[f"W{m}"] = delta[m].T @ a[m - 1] / N
        grads[f"b{m}"] = delta[m].mean(axis=0)
    return squared_error(a[L], t), grads
