"""Planted: the cost gradient used as delta^{(L)}, without sigma'(z^{(L)})."""

from _common import forward, squared_error

NETWORK = {"layers": [3, 4, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("output_delta_without_sigma_prime", 2)]


def backward(params, x, t):
    z, a = forward(params, x)
    N = x.shape[0]
    delta2 = a[2] - t  # BUG: times a2 (1 - a2) is missing
    delta1 = (delta2 @ params["W2"]) * a[1] * (1 - a[1])
    grads = {"W2": delta2.T @ a[1] / N, "b2": delta2.mean(axis=0), "W1": delta1.T @ x / N, "b1": delta1.mean(axis=0)}
    return squared_error(a[2], t), grads
