"""Planted: softmax differentiated element-wise, delta^{(L)} = dC/da * a(1 - a) as for a sigmoid, not the Jacobian."""

from _common import SOFTMAX_NETWORK as NETWORK, softmax_backward

PLANTED = [("softmax_elementwise", 2)]


def backward(params, x, t):
    return softmax_backward(params, x, t, lambda a2, t: (-t / a2) * a2 * (1 - a2))  # BUG: J^T dC/da = a2 - t
