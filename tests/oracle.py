"""An independent oracle for tests: the forward pass written again with SymPy, differentiated by sympy.diff.

Nothing here uses symbp's graph, registries or derivations; only the layer sizes,
the non-linearity names and the numbers of a point.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

SIGMA = {
    "identity": lambda v: v,
    "sigmoid": lambda v: 1 / (1 + sp.exp(-v)),
    "tanh": sp.tanh,
    "softplus": lambda v: sp.log(1 + sp.exp(v)),
    "relu": lambda v: sp.Max(0, v),
    "leaky_relu": lambda v: sp.Max(v, v / 100),
}


def cost(name: str, outputs, targets):
    if name == "squared_error":
        return sum((o - t) ** 2 for o, t in zip(outputs, targets)) / 2
    return -sum(t * sp.log(o) + (1 - t) * sp.log(1 - o) for o, t in zip(outputs, targets))


def _layer(net, m, point, inputs):
    W, b = point[f"W{m}"], point[f"b{m}"]
    return [sum(sp.Float(W[i, j]) * inputs[j] for j in range(len(inputs))) + sp.Float(b[i]) for i in range(len(b))]


def forward_numbers(net, point) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """z^{(m)} and a^{(m)} at the point (index m; z[0] unused)."""
    a = [np.array(point["x"], dtype=float)]
    z = [np.array([])]
    for m in range(1, net.L + 1):
        zm = [float(v) for v in _layer(net, m, point, [sp.Float(v) for v in a[-1]])]
        z.append(np.array(zm))
        a.append(np.array([float(SIGMA[net.activations[m - 1]](sp.Float(v))) for v in zm]))
    return z, a


def dC_dz(net, point, m: int) -> np.ndarray:
    """dC/dz^{(m)}_j for every j by sympy.diff of C written as a function of z^{(m)}."""
    z, _ = forward_numbers(net, point)
    u = sp.symbols(f"u1:{net.D(m) + 1}", real=True)
    activations = [SIGMA[net.activations[m - 1]](v) for v in u]
    for layer in range(m + 1, net.L + 1):
        activations = [SIGMA[net.activations[layer - 1]](v) for v in _layer(net, layer, point, activations)]
    c = cost(net.cost, activations, [sp.Float(v) for v in point["t"]])
    at = dict(zip(u, z[m]))
    return np.array([float(sp.diff(c, v).subs(at)) for v in u])


def sigma_prime(name: str, values: np.ndarray) -> np.ndarray:
    v = sp.Symbol("v", real=True)
    derivative = sp.diff(SIGMA[name](v), v)
    return np.array([float(derivative.subs(v, x)) for x in values])


def need_torch():
    """PyTorch, the oracle of the softmax, batch, decay and formula tests; CI (CI=true) must have it.

    .ci/run installs it before the README's test command; elsewhere its absence skips, saying so.
    """
    import os

    import pytest

    try:
        import torch
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("PyTorch is the oracle here and CI must have it: pip install 'torch==2.13.0'")
        pytest.skip("PyTorch is not installed: pip install 'torch==2.13.0' to run this oracle", allow_module_level=True)
    return torch
