"""Functions that break the contract in one way each (for the one-line explanations)."""

import numpy as np

from correct_vectorised import backward as correct


def missing_key(params, x, t):
    C, grads = correct(params, x, t)
    del grads["b1"]
    return C, grads


def transposed_shape(params, x, t):
    C, grads = correct(params, x, t)
    grads["W1"] = grads["W1"].T
    return C, grads


def nan_entry(params, x, t):
    C, grads = correct(params, x, t)
    grads["W2"][0, 1] = np.nan
    return C, grads


def cost_is_sum(params, x, t):
    C, grads = correct(params, x, t)
    return C * x.shape[0], grads


def cost_per_sample(params, x, t):
    C, grads = correct(params, x, t)
    return np.full(x.shape[0], C), grads


def bias_per_sample(params, x, t):
    C, grads = correct(params, x, t)
    grads["b1"] = np.tile(grads["b1"], (x.shape[0], 1))
    return C, grads
