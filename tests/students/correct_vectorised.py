"""A correct vectorised backprop for sigmoid, tanh or relu layers and squared error or binary cross-entropy.

Self-contained (no shared code), so that it is an independent oracle for symbp's gradients.
"""

import numpy as np

SIGMA = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a**2),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0) * 1.0),
}


def backward(params, x, t, activation="sigmoid", cost="squared_error"):
    L = len(params) // 2
    N = x.shape[0]
    activations = [activation] * (L - 1) + ["sigmoid" if cost == "binary_cross_entropy" else activation]
    z, a = [None], [x]
    for m in range(1, L + 1):
        z.append(a[m - 1] @ params[f"W{m}"].T + params[f"b{m}"])
        a.append(SIGMA[activations[m - 1]][0](z[m]))
    y = a[L]
    if cost == "squared_error":
        C = 0.5 * np.sum((y - t) ** 2) / N
        dC_da = y - t
    else:
        C = -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)) / N
        dC_da = (y - t) / (y * (1 - y))
    grads = {}
    delta = dC_da * SIGMA[activations[L - 1]][1](z[L], a[L])
    for m in range(L, 0, -1):
        grads[f"W{m}"] = delta.T @ a[m - 1] / N
        grads[f"b{m}"] = delta.sum(axis=0) / N
        if m > 1:
            delta = (delta @ params[f"W{m}"]) * SIGMA[activations[m - 2]][1](z[m - 1], a[m - 1])
    return C, grads
