"""Planted: sigma' evaluated at a instead of z in every layer: sigmoid_prime(a) rather than a (1 - a)."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


NETWORK = {"layers": [2, 3, 2], "activations": "sigmoid", "cost": "squared_error"}
PLANTED = [("sigma_prime_at_a", None)]


def backward(params, x, t):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a1 = sigmoid(x @ W1.T + b1)
    a2 = sigmoid(a1 @ W2.T + b2)
    N = len(x)
    cost = np.sum((a2 - t) ** 2) / (2 * N)
    d2 = (a2 - t) * sigmoid_prime(a2)  # BUG: sigmoid_prime wants z2, not a2
    d1 = d2 @ W2 * sigmoid_prime(a1)  # BUG: the same
    return cost, {"W1": d1.T @ x / N, "b1": d1.sum(0) / N, "W2": d2.T @ a1 / N, "b2": d2.sum(0) / N}
