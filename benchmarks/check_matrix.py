"""Outcome counts of ``check`` over the matrix of issue 8: every non-linearity x every cost, per-layer mixes, 3 shapes.

    python benchmarks/check_matrix.py

Prints one line per network (proved / verified / disagree / skipped) and the totals.
tests/test_check_matrix.py runs the same matrix and asserts nothing disagrees.
"""

from __future__ import annotations

import sys
import time

from symbp.activations import ACTIVATIONS
from symbp.checking import check
from symbp.spec import Network

SHAPES = ((2, 2, 1), (2, 3, 1), (1, 2, 2, 1))
MIXES = (("tanh", "abstract", "sigmoid"), ("relu", "softplus", "sigmoid"), ("leaky_relu", "identity", "abstract"))


def matrix() -> list[Network]:
    """Every network of the matrix; binary cross-entropy only after a sigmoid (or abstract) output."""
    out = []
    for shape in SHAPES:
        L = len(shape) - 1
        for name in ACTIVATIONS:
            if ACTIVATIONS[name].output_only:  # softmax: the output layer only, below
                continue
            for cost in ("abstract", "squared_error", "binary_cross_entropy"):
                if cost == "binary_cross_entropy" and not ACTIVATIONS[name].stays_in_unit_interval:
                    continue
                out.append(Network(list(shape), name, cost))
        for mix in MIXES:
            chosen = list(mix[-L:])
            for cost in ("abstract", "squared_error"):
                out.append(Network(list(shape), chosen, cost))
    for cost in ("abstract", "squared_error", "cross_entropy"):
        out.append(Network([2, 2, 3], ["tanh", "softmax"], cost))
    return out


def main() -> None:
    totals = {"proved": 0, "verified": 0, "disagree": 0, "skipped": 0}
    start = time.perf_counter()
    for net in matrix():
        report = check(net, points=2)
        counts = report.counts
        for key in totals:
            totals[key] += counts[key]
        print(f"{net.describe():60s} {counts}", flush=True)
    print(f"{len(matrix())} networks, {sum(totals.values())} comparisons: {totals} "
          f"in {time.perf_counter() - start:.0f} s", flush=True)
    sys.exit(1 if totals["disagree"] else 0)


if __name__ == "__main__":
    main()
