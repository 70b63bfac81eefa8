"""A correct backprop with explicit loops, entry by entry as the lecture writes it.

delta^{(L)}_k = dC/da^{(L)}_k sigma'(z^{(L)}_k); delta^{(m)}_j = (sum_i delta^{(m+1)}_i W^{(m+1)}_{ij}) sigma'(z^{(m)}_j);
dC/dW^{(m)}_{ij} = delta^{(m)}_i a^{(m-1)}_j, dC/db^{(m)}_i = delta^{(m)}_i; averaged over the samples.
Self-contained, for sigmoid, tanh or relu and squared error or binary cross-entropy.
"""

import math

import numpy as np


def _sigma(name, z):
    if name == "sigmoid":
        return 1 / (1 + math.exp(-z))
    if name == "tanh":
        return math.tanh(z)
    return max(z, 0.0)


def _sigma_prime(name, z):
    if name == "sigmoid":
        s = 1 / (1 + math.exp(-z))
        return s * (1 - s)
    if name == "tanh":
        return 1 - math.tanh(z) ** 2
    return 1.0 if z > 0 else 0.0


def backward(params, x, t, activation="sigmoid", cost="squared_error"):
    L = len(params) // 2
    names = [activation] * (L - 1) + ["sigmoid" if cost == "binary_cross_entropy" else activation]
    W = {m: params[f"W{m}"] for m in range(1, L + 1)}
    b = {m: params[f"b{m}"] for m in range(1, L + 1)}
    N = len(x)
    C = 0.0
    grads = {key: np.zeros(np.shape(value)) for key, value in params.items()}
    for n in range(N):
        a = {0: list(x[n])}
        z = {}
        for m in range(1, L + 1):
            z[m] = [sum(W[m][i][j] * a[m - 1][j] for j in range(len(a[m - 1]))) + b[m][i] for i in range(len(b[m]))]
            a[m] = [_sigma(names[m - 1], v) for v in z[m]]
        delta = {}
        delta[L] = []
        for k, (ak, tk) in enumerate(zip(a[L], t[n])):
            if cost == "squared_error":
                C += 0.5 * (ak - tk) ** 2
                dC_da = ak - tk
            else:
                C -= tk * math.log(ak) + (1 - tk) * math.log(1 - ak)
                dC_da = -tk / ak + (1 - tk) / (1 - ak)
            delta[L].append(dC_da * _sigma_prime(names[L - 1], z[L][k]))
        for m in range(L - 1, 0, -1):
            delta[m] = [sum(delta[m + 1][i] * W[m + 1][i][j] for i in range(len(delta[m + 1])))
                        * _sigma_prime(names[m - 1], z[m][j]) for j in range(len(z[m]))]
        for m in range(1, L + 1):
            for i in range(len(delta[m])):
                grads[f"b{m}"][i] += delta[m][i] / N
                for j in range(len(a[m - 1])):
                    grads[f"W{m}"][i][j] += delta[m][i] * a[m - 1][j] / N
    return C / N, grads
