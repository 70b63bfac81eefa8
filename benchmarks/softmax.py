"""Generated code for a softmax network against hand-written NumPy and PyTorch, in one run.

    OPENBLAS_NUM_THREADS=1 python benchmarks/softmax.py                                # print the table
    OPENBLAS_NUM_THREADS=1 python benchmarks/softmax.py --record benchmarks/RESULTS.md  # and write it there

The network of issue 10: 16,64,64,10 with tanh, tanh, softmax, categorical
cross-entropy and weight decay lambda = 1e-4 (biases not decayed), a batch of
10,000 one-hot targets. The cost is the mean over the samples plus
(lambda/2) sum W^2, in each contender. Every contender is checked against the
others before it is timed; times are medians of interleaved rounds (each round
the fastest of a few calls), on one BLAS and one PyTorch thread.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from measure import _check_agreement, AGREEMENT, Evaluation, have_torch, torch_threads  # noqa: E402

import symbp  # noqa: E402

LAYERS = (16, 64, 64, 10)
ACTIVATIONS = ("tanh", "tanh", "softmax")
L2 = 1e-4
START = "<!-- softmax.py --record: start -->"
END = "<!-- softmax.py --record: end -->"


def sample(n: int, dtype: str, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = {}
    for m in range(1, len(LAYERS)):
        params[f"W{m}"] = (rng.normal(size=(LAYERS[m], LAYERS[m - 1])) / np.sqrt(LAYERS[m - 1])).astype(dtype)
        params[f"b{m}"] = rng.normal(scale=0.1, size=LAYERS[m]).astype(dtype)
    x = rng.normal(size=(n, LAYERS[0])).astype(dtype)
    t = np.eye(LAYERS[-1], dtype=dtype)[rng.integers(0, LAYERS[-1], n)]
    return params, x, t


def numpy_softmax_backprop(params, x, t):
    """The forward and backward pass as one writes it by hand: delta^(L) = (a - t) / N after softmax + cross-entropy."""
    n = x.shape[0]
    a = [x]
    for m in (1, 2):
        a.append(np.tanh(a[-1] @ params[f"W{m}"].T + params[f"b{m}"]))
    z = a[-1] @ params["W3"].T + params["b3"]
    shifted = z - z.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    decay = 0.5 * L2 * sum(float(np.sum(params[f"W{m}"] ** 2)) for m in (1, 2, 3))
    cost = -float(np.sum(t * log_softmax)) / n + decay
    delta = (np.exp(log_softmax) - t) / n
    grads = {}
    for m in (3, 2, 1):
        grads[f"W{m}"] = delta.T @ a[m - 1] + L2 * params[f"W{m}"]
        grads[f"b{m}"] = delta.sum(axis=0)
        if m > 1:
            delta = (delta @ params[f"W{m}"]) * (1 - a[m - 1] ** 2)
    return cost, grads


class TorchSoftmax:
    """PyTorch autograd: the forward pass once (log_softmax, as PyTorch users write it), backward by autograd."""

    def __init__(self, params, x, t, dtype):
        import torch

        self.torch = torch
        self.keys = list(params)
        self.params = [torch.tensor(params[k], requires_grad=True) for k in self.keys]
        self.x, self.t = torch.from_numpy(x), torch.from_numpy(t)

    def __call__(self):
        torch = self.torch
        p = dict(zip(self.keys, self.params))
        a = self.x
        for m in (1, 2):
            a = torch.tanh(torch.nn.functional.linear(a, p[f"W{m}"], p[f"b{m}"]))
        z = torch.nn.functional.linear(a, p["W3"], p["b3"])
        cost = -(self.t * torch.log_softmax(z, dim=1)).sum() / self.x.shape[0]
        cost = cost + 0.5 * L2 * sum((p[f"W{m}"] ** 2).sum() for m in (1, 2, 3))
        return cost, dict(zip(self.keys, torch.autograd.grad(cost, self.params)))

    def numpy(self):
        cost, grads = self()
        return float(cost.detach()), {k: v.numpy() for k, v in grads.items()}


def time_dtype(n: int, rounds: int, number: int, dtype: str) -> Evaluation:
    import gc
    import time
    from math import inf

    net = symbp.Network(list(LAYERS), list(ACTIVATIONS), "cross_entropy", l2=L2)
    params, x, t = sample(n, dtype)
    generated = symbp.gradient_function(net, dtype=dtype)
    contenders = {"generated": lambda: generated(params, x, t), "numpy": lambda: numpy_softmax_backprop(params, x, t)}
    checks = dict(contenders)
    if have_torch():
        torch_threads(1)
        step = TorchSoftmax(params, x, t, dtype)
        contenders["torch"], checks["torch"] = step, step.numpy
    _check_agreement(checks, AGREEMENT[dtype])
    wall = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            best_wall = best_cpu = inf
            gc.disable()
            for _ in range(number):
                w, c = time.perf_counter(), time.process_time()
                call()
                best_wall, best_cpu = min(best_wall, time.perf_counter() - w), min(best_cpu, time.process_time() - c)
            gc.enable()
            wall[name].append(best_wall)
            cpu[name].append(best_cpu)
    return Evaluation(dtype, wall, cpu)


def table(results: list[Evaluation], n: int) -> str:
    lines = [
        START,
        "## Softmax and cross-entropy: generated code against hand-written NumPy and PyTorch (issue 10)",
        "",
        f"Network {','.join(map(str, LAYERS))}, {', '.join(ACTIVATIONS)}, categorical cross-entropy, weight decay "
        f"λ = {L2:g}; a batch of {n:,} one-hot targets; `python benchmarks/softmax.py --record`. Median of interleaved "
        "rounds, wall clock (CPU time in brackets); one BLAS and one PyTorch thread. "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}; load average at the start {os.getloadavg()[0]:.1f}.",
        "",
        "| dtype | generated | hand-written NumPy | PyTorch | generated / NumPy | generated / PyTorch |",
        "|---|---|---|---|---|---|",
    ]
    for e in results:
        torch_cell = f"{e.median('torch') * 1e3:.2f} ms" if "torch" in e else "not installed"
        ratio_torch = (f"**{e.ratio('generated', 'torch'):.2f}x** ({e.ratio('generated', 'torch', 'cpu'):.2f}x)"
                       if "torch" in e else "—")
        lines.append(
            f"| {e.dtype} | {e.median('generated') * 1e3:.2f} ms | {e.median('numpy') * 1e3:.2f} ms | {torch_cell} | "
            f"{e.ratio('generated', 'numpy'):.2f}x ({e.ratio('generated', 'numpy', 'cpu'):.2f}x) | {ratio_torch} |")
    lines += ["", END]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=3)
    parser.add_argument("--record", type=Path, help="also write the table into this Markdown file")
    args = parser.parse_args()
    text = table([time_dtype(args.batch, args.rounds, args.number, d) for d in ("float64", "float32")], args.batch)
    print(text)
    if args.record:
        old = args.record.read_text(encoding="utf-8")
        if START in old and END in old:
            new = old[: old.index(START)] + text + old[old.index(END) + len(END):]
        else:
            new = old.rstrip("\n") + "\n\n" + text + "\n"
        args.record.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
