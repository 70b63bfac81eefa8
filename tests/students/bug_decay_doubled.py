"""Planted: weight decay, 2 lambda W: the derivative of (lambda/2) W^2 taken as lambda W^2's."""

from _common import DECAY, decayed_backward

NETWORK = {"layers": [3, 4, 2], "activations": "sigmoid", "cost": "squared_error", "l2": DECAY}
PLANTED = [("decay_doubled", None)]


def backward(params, x, t):
    return decayed_backward(params, x, t, 2 * DECAY)  # BUG (right: DECAY on W only, outside the 1/N mean)
