"""Planted: weight decay, the biases decayed as well (only weights are)."""

from _common import DECAY, decayed_backward

NETWORK = {"layers": [3, 4, 2], "activations": "sigmoid", "cost": "squared_error", "l2": DECAY}
PLANTED = [("decay_on_biases", None)]


def backward(params, x, t):
    return decayed_backward(params, x, t, DECAY, bias_decay=DECAY)  # BUG (right: DECAY on W only, outside the 1/N mean)
