"""Worst disagreement of every symbp method with PyTorch (float64) on issue 10's networks.

For each family (softmax + cross-entropy, a batch with weight decay, formula non-linearities) it draws
random networks and points, computes the cost's gradients with PyTorch's autograd on a forward pass written
here, and with symbp's backprop, naive expansion, sympy.diff reference (``gradient_at``) and generated code
(``gradient_function``). It prints the largest relative error max|symbp - torch| / max|torch| per method.

    python benchmarks/oracle_errors.py [--cases 6]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import symbp

torch.set_default_dtype(torch.float64)

SWISH, GELU, SOFTPLUS = "x/(1+exp(-x))", "x*(1+erf(x/sqrt(2)))/2", "log(1+exp(x))"
TORCH_SIGMA = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda v: v,
    "swish": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu, "sp": torch.nn.functional.softplus,
    "softmax": lambda v: torch.softmax(v, dim=-1),
}
DEFINE = {"swish": SWISH, "gelu": GELU, "sp": SOFTPLUS}


def torch_gradients(network: symbp.Network, point: dict) -> dict[str, np.ndarray]:
    params = {k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in point.items() if k[0] in "Wb"}
    a = torch.tensor(np.atleast_2d(point["x"]))
    t = torch.tensor(np.atleast_2d(point["t"]))
    for m, name in enumerate(network.activations, 1):
        a = TORCH_SIGMA[name](a @ params[f"W{m}"].T + params[f"b{m}"])
    if network.cost == "squared_error":
        per_example = ((a - t) ** 2).sum(dim=1) / 2
    elif network.cost == "cross_entropy":
        per_example = -(t * torch.log(a)).sum(dim=1)
    else:
        per_example = -(t * torch.log(a) + (1 - t) * torch.log(1 - a)).sum(dim=1)
    cost = per_example.mean() + network.l2 / 2 * sum((w ** 2).sum() for k, w in params.items() if k[0] == "W")
    cost.backward()
    return {k: p.grad.numpy() for k, p in params.items()}


def cases(family: str, count: int, rng: np.random.Generator):
    for _ in range(count):
        widths = [int(w) for w in rng.integers(1, 4, size=3)]
        if family == "softmax + cross-entropy":
            network = symbp.Network([widths[0], widths[1], int(rng.integers(2, 5))], [str(rng.choice(["sigmoid", "tanh"])), "softmax"],
                                    "cross_entropy")
        elif family == "batch + weight decay":
            network = symbp.Network(widths, [str(rng.choice(["sigmoid", "tanh"])), "sigmoid"], "squared_error",
                                    batch=int(rng.integers(2, 5)), l2=float(rng.uniform(0.01, 0.5)))
        else:
            network = symbp.Network([widths[0], widths[1], int(rng.integers(2, 4))], [str(rng.choice(list(DEFINE))), "softmax"],
                                    "cross_entropy", define=DEFINE)
        point = symbp.random_point(network, rng)
        if network.cost == "cross_entropy":  # targets are probability vectors
            point["t"] = rng.dirichlet(np.ones(network.D(network.L)), size=np.shape(point["t"])[:-1] or None)
        yield network, point


def relative_error(got: dict, expected: dict) -> float:
    scale = max(float(np.max(np.abs(v))) for v in expected.values())
    return max(float(np.max(np.abs(np.asarray(got[k]).reshape(v.shape) - v))) for k, v in expected.items()) / scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print("| family | cases | backprop | naive | reference | generated code |\n|---|---|---|---|---|---|")
    for family in ("softmax + cross-entropy", "batch + weight decay", "formula non-linearities (swish, GELU, softplus)"):
        worst = dict.fromkeys(("backprop", "naive", "reference", "codegen"), 0.0)
        for network, point in cases(family, args.cases, rng):
            expected = torch_gradients(network, point)
            for method in ("backprop", "naive", "reference"):
                got = symbp.gradient_at(network, point, method=method, max_paths=100_000).gradients
                worst[method] = max(worst[method], relative_error(got, expected))
            params = {k: v for k, v in point.items() if k[0] in "Wb"}
            _, got = symbp.gradient_function(network)(params, np.atleast_2d(point["x"]), np.atleast_2d(point["t"]))
            worst["codegen"] = max(worst["codegen"], relative_error(got, expected))
        print(f"| {family} | {args.cases} | " + " | ".join(f"{worst[k]:.1e}" for k in worst) + " |")


if __name__ == "__main__":
    main()
