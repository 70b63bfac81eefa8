"""Planted: weight decay, lambda W divided by N with the batch mean."""

from _common import DECAY, decayed_backward

NETWORK = {"layers": [3, 4, 2], "activations": "sigmoid", "cost": "squared_error", "l2": DECAY}
PLANTED = [("decay_averaged", None)]


def backward(params, x, t):
    return decayed_backward(params, x, t, DECAY / len(x))  # BUG (right: DECAY on W only, outside the 1/N mean)
