"""Planted: W^{(2)} not transposed in the recursion for delta^{(1)} (the shapes agree: W2 is 3 x 3)."""

from _common import forward, squared_error

NETWORK = {"layers": [3, 3, 3, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("weights_not_transposed", 2)]


def backward(params, x, t):
    z, a = forward(params, x)
    N = x.shape[0]
    delta3 = (a[3] - t) * a[3] * (1 - a[3])
    delta2 = (delta3 @ params["W3"]) * a[2] * (1 - a[2])
    delta1 = (delta2 @ params["W2"].T) * a[1] * (1 - a[1])  # BUG: rows times W2, not W2.T
    grads = {"W3": delta3.T @ a[2] / N, "b3": delta3.mean(0), "W2": delta2.T @ a[1] / N, "b2": delta2.mean(0),
             "W1": delta1.T @ a[0] / N, "b1": delta1.mean(0)}
    return squared_error(a[3], t), grads
