"""Time per training epoch of ``symbp train`` (generated code, symbp.gradient_function), against a named alternative.

The alternative is what a user without ``compile`` would write: ``symbp.gradient_at`` (backprop
formulas lambdified, one point at a time) summed over the rows of the batch.

    python benchmarks/train_epoch.py
"""

from __future__ import annotations

import time

import numpy as np

from symbp import Network, gradient_at
from symbp.datasets import load
from symbp.train import train


def per_epoch(network: Network, data: str, epochs: int, batch_size: int | None) -> float:
    dataset = load(data)
    train(network, dataset, epochs=1, batch_size=batch_size)  # compile outside the clock
    start = time.perf_counter()
    train(network, dataset, epochs=epochs, batch_size=batch_size)
    return (time.perf_counter() - start) / epochs


def gradient_at_epoch(network: Network, data: str) -> float:
    dataset = load(data)
    rng = np.random.default_rng(0)
    params = {f"{k}{m}": rng.uniform(-0.5, 0.5, s) for m in range(1, network.L + 1)
              for k, s in (("W", (network.D(m), network.D(m - 1))), ("b", (network.D(m),)))}
    start = time.perf_counter()
    for x, t in zip(dataset.x, dataset.t):
        gradient_at(network, {**params, "x": x, "t": t})
    return time.perf_counter() - start


if __name__ == "__main__":
    xor = Network([2, 8, 1], ["tanh", "sigmoid"], "binary_cross_entropy")
    spiral = Network([2, 24, 24, 1], ["tanh", "tanh", "sigmoid"], "binary_cross_entropy")
    fast_xor = per_epoch(xor, "xor", 2000, None)
    fast_spiral = per_epoch(spiral, "spiral", 400, 20)
    slow_xor = gradient_at_epoch(xor, "xor")
    print(f"xor 2,8,1, full batch:        {fast_xor * 1e6:8.1f} us per epoch (symbp.gradient_function)")
    print(f"spiral 2,24,24,1, batch 20:   {fast_spiral * 1e6:8.1f} us per epoch (symbp.gradient_function)")
    print(f"xor 2,8,1 by gradient_at per row: {slow_xor * 1e3:8.1f} ms per epoch; ratio {slow_xor / fast_xor:,.0f}x")
