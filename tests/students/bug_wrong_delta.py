"""Planted: dC/dW^{(1)} computed from delta^{(2)} instead of delta^{(1)} (an off-by-one index; the shapes agree)."""

from _common import forward, squared_error

NETWORK = {"layers": [3, 3, 3, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("wrong_delta_for_weights", 1)]


def backward(params, x, t):
    z, a = forward(params, x)
    L, N = 3, x.shape[0]
    deltas = [None] * (L + 1)
    deltas[L] = (a[L] - t) * a[L] * (1 - a[L])
    for m in range(L - 1, 0, -1):
        deltas[m] = (deltas[m + 1] @ params[f"W{m + 1}"]) * a[m] * (1 - a[m])
    grads = {}
    for m in range(1, L + 1):
        d = deltas[m + 1] if m == 1 else deltas[m]  # BUG: deltas[m] for every m
        grads[f"W{m}"] = d.T @ a[m - 1] / N
        grads[f"b{m}"] = deltas[m].mean(axis=0)
    return squared_error(a[L], t), grads
