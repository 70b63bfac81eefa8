"""Planted: weight decay, the decay's lambda W left out of dC/dW."""

from _common import DECAY, decayed_backward

NETWORK = {"layers": [3, 4, 2], "activations": "sigmoid", "cost": "squared_error", "l2": DECAY}
PLANTED = [("decay_forgotten", None)]


def backward(params, x, t):
    return decayed_backward(params, x, t, 0.0)  # BUG (right: DECAY on W only, outside the 1/N mean)
