"""Planted: a softmax output with cross-entropy, delta^{(L)} = a instead of a - t (the - t forgotten)."""

from _common import SOFTMAX_NETWORK as NETWORK, softmax_backward

PLANTED = [("softmax_target_not_subtracted", 2)]


def backward(params, x, t):
    return softmax_backward(params, x, t, lambda a2, t: a2)  # BUG: delta2 = a2 - t
