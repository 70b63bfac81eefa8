"""Peak memory of one loss-and-gradients call: symbp's generated code against hand-written NumPy.

    python benchmarks/memory.py                  # 16,64,64,1 and 8,32,32,32,1, batch 10,000, both dtypes

The peak is what ``tracemalloc`` sees allocated during the call, above what was
allocated before it (the parameters and the batch, made by the caller). The generated
code is measured on its first call, which makes the block arrays it keeps for later
calls; the hand-written code on its second. NumPy
reports every array's data to ``tracemalloc``, so the count is exact and the same
from run to run; OpenBLAS's own work buffers, allocated once when it loads, are
outside it for both contenders alike.
"""

from __future__ import annotations

import sys
import tracemalloc
from dataclasses import dataclass
from typing import Callable

import numpy as np

from handwritten import numpy_backprop
from symbp import codegen
from symbp.layout import parameter_layout
from symbp.spec import Network

NETWORKS = ("16,64,64,1", "8,32,32,32,1")
BATCH = 10_000


def peak_bytes(call: Callable[[], object], warm_up: bool = True) -> int:
    """Bytes allocated at the peak of ``call()``, above what was allocated when it started.

    ``warm_up`` calls it once untraced first, so that NumPy's first-use allocations are not counted.
    """
    if warm_up:
        call()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def sample_batch(net: Network, n: int, dtype: str, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Parameters drawn like symbp.numeric.random_point, and n samples, already in ``dtype``."""
    rng = np.random.default_rng(seed)
    params = {  # weights in [-1, 1], biases in [-0.5, 0.5]
        key: rng.uniform(-1, 1, shape).astype(dtype) if key.startswith("W") else rng.uniform(-0.5, 0.5, shape).astype(dtype)
        for key, shape in parameter_layout(net).shapes
    }
    x = rng.uniform(-1, 1, (n, net.D(0))).astype(dtype)
    t = rng.uniform(0, 1, (n, net.D(net.L))).astype(dtype)
    return params, x, t


@dataclass(frozen=True)
class Peaks:
    """Peak bytes of one call of each contender, on the same network, batch and dtype."""

    layers: str
    dtype: str
    generated: int
    handwritten: int

    @property
    def ratio(self) -> float:
        return self.generated / self.handwritten


def peaks(layers: str, n: int = BATCH, dtype: str = "float64") -> Peaks:
    """The generated code's and the whole-batch hand-written NumPy's peaks for a sigmoid, squared-error network."""
    net = Network([int(size) for size in layers.split(",")], "sigmoid", "squared_error")
    params, x, t = sample_batch(net, n, dtype)
    generated = codegen.gradient_function(net, dtype)
    return Peaks(
        layers,
        dtype,
        # Its first call: the block arrays it keeps for later calls are made, and counted, there.
        peak_bytes(lambda: generated(params, x, t), warm_up=False),
        peak_bytes(lambda: numpy_backprop(params, x, t)),
    )


def table(rows: list[Peaks], n: int = BATCH) -> list[str]:
    out = [
        f"| network, batch {n:,} | dtype | hand-written NumPy, whole batch | generated code | generated / hand-written |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        out.append(
            f"| {row.layers} | {row.dtype} | {row.handwritten / 2**20:.2f} MiB | {row.generated / 2**20:.2f} MiB"
            f" | {row.ratio:.2f}x |"
        )
    return out


def main() -> None:
    rows = [peaks(layers, BATCH, dtype) for layers in (sys.argv[1:] or NETWORKS) for dtype in codegen.DTYPES]
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
