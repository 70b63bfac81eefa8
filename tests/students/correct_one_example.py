"""A correct backprop of one example, column-vector style (x of shape (D0,)): sigmoid layers, squared error."""

import numpy as np


def backward(params, x, t):
    L = len(params) // 2
    a = [x]
    for m in range(1, L + 1):
        a.append(1 / (1 + np.exp(-(params[f"W{m}"] @ a[-1] + params[f"b{m}"]))))
    C = 0.5 * np.sum((a[L] - t) ** 2)
    delta = (a[L] - t) * a[L] * (1 - a[L])
    grads = {}
    for m in range(L, 0, -1):
        grads[f"W{m}"] = np.outer(delta, a[m - 1])
        grads[f"b{m}"] = delta
        delta = (params[f"W{m}"].T @ delta) * a[m - 1] * (1 - a[m - 1])
    return C, grads
