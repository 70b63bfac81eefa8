"""symbp's benchmark for issue 5: one table, every number a ratio taken in the same run.

    python benchmarks/bench.py                               # print the table
    python benchmarks/bench.py --record benchmarks/RESULTS.md  # and record it with the machine's description

PyTorch is optional: ``pip install torch==2.13.0`` (the CPU wheel kept on the benchmark
machine); without it the PyTorch row says so. The package and its tests never need it.
BLAS and PyTorch use the same number of threads (``--threads``, default 1: on the
2-core benchmark machine two threads gained nothing and varied widely between runs;
benchmarks/RESULTS.md has the numbers).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from measure import Guard, Result, Timing

    from symbp.counts import OperationCount
    from symbp.spec import Network

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
NETWORKS = ("2,3,3,1", "4,8,8,1", "8,16,16,1", "16,64,64,1", "8,32,32,32,1")
EVALUATION_GOAL_NETWORKS = ("16,64,64,1", "8,32,32,32,1")
A_FEW_SECONDS = 5.0
"""Goal 5: the default naive budget should keep an allowed expansion "under a few seconds"."""
NOTES_MARKER = "<!-- Notes below this line are kept when bench.py --record rewrites the file. -->"


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), help="layer sizes, e.g. 16,64,64,1")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    parser.add_argument("--batch", type=int, default=10_000, help="samples per evaluated batch (default 10,000)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved timing rounds, min taken (default 15)")
    parser.add_argument("--number", type=int, default=3, help="calls per timing round (default 3)")
    parser.add_argument(
        "--reference-cap", type=float, default=30.0, help="seconds of sympy.diff per network before extrapolating"
    )
    parser.add_argument("--naive-cap", type=float, default=10.0, help="seconds of naive expansion per network")
    parser.add_argument("--record", type=Path, help="also write the run, with the machine's description, to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(sys.argv[1:] if argv is None else argv)
    for variable in THREAD_VARIABLES:  # before NumPy loads OpenBLAS, which reads them once
        os.environ[variable] = str(args.threads)
    import measure  # after the thread variables

    options = measure.Options(args.naive_cap, args.reference_cap, args.batch, args.rounds, args.number, args.threads)
    started = time.perf_counter()
    results = []
    for layers in args.networks:
        print(f"measuring {layers} ...", file=sys.stderr, flush=True)
        results.append(measure.measure_network(layers, options))
    guard = measure.naive_guard()
    cli = measure.cli_cold_start()
    torch_version = _torch_version()
    lines = [
        *machine_description(args, torch_version),
        "",
        *table(results),
        "",
        *notes(results, guard, cli, args),
        "",
        *goals(results, guard, cli),
        "",
        f"Whole run: {time.perf_counter() - started:.0f} s.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.record:
        record(args.record, text)


# Formatting ---------------------------------------------------------------------


def seconds(value: float) -> str:
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    if value >= 60:
        return f"{value / 60:.1f} min"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def ratio(value: float) -> str:
    return f"{value:,.0f}x" if value >= 100 else f"{value:.2f}x"


def derivation_cell(timing: Timing, backprop_seconds: float) -> str:
    cell = f"{seconds(timing.seconds)} ({ratio(timing.seconds / backprop_seconds)})"
    if timing.estimated:
        cell += f" est. from {timing.measured}/{timing.total}"
    return cell


def table(results: list[Result]) -> list[str]:
    rows: list[tuple[str, list[str]]] = [
        ("parameters (W and b entries)", [f"{r.parameters:,}" for r in results]),
        (
            "naive derivation, all W and b (x backprop)",
            [derivation_cell(r.naive, r.backprop) if r.naive else "over budget" for r in results],
        ),
        ("**backprop derivation**, all W and b, cold", [seconds(r.backprop) for r in results]),
        ("reference sympy.diff, all W and b (x backprop)", [derivation_cell(r.reference, r.backprop) for r in results]),
        ("ops: forward program (z, a, C)", [f"{r.forward_ops:,}" for r in results]),
        (
            "ops: **loss and gradients program** (x forward)",
            [f"{r.program_ops:,} ({ratio(r.program_ops / r.forward_ops)})" for r in results],
        ),
        (
            "chain-rule ops: naive, formula (paths)",
            [f"{_ops(r.naive_chain):,} ({r.naive_chain.paths:,})" for r in results],
        ),
        (
            "chain-rule ops: backprop, formula (naive / backprop)",
            [f"{_ops(r.backprop_chain):,} ({ratio(_ops(r.naive_chain) / _ops(r.backprop_chain))})" for r in results],
        ),
        ("eval: hand-written NumPy, whole batch", [seconds(r.evaluation["numpy"]) for r in results]),
        (
            "eval: **generated code** (x hand-written NumPy)",
            [_eval_cell(r, "generated") for r in results],
        ),
        ("eval: hand-written NumPy in the same row blocks", [_eval_cell(r, "numpy_blocks") for r in results]),
        ("eval: PyTorch autograd, float64 (generated / PyTorch)", [_torch_cell(r) for r in results]),
        ("description to callable gradient (symbp.gradient_function), cold", [seconds(r.compile) for r in results]),
    ]
    header = ["measure", *[r.layers for r in results]]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join([label, *cells]) + " |" for label, cells in rows]
    return out


def _ops(count: OperationCount) -> int:
    return count.multiplications + count.additions


def _torch_cell(result: Result) -> str:
    e = result.evaluation
    return f"{seconds(e['torch'])} ({ratio(e['generated'] / e['torch'])})" if "torch" in e else "not installed"


def _eval_cell(result: Result, name: str) -> str:
    return f"{seconds(result.evaluation[name])} ({ratio(result.evaluation[name] / result.evaluation['numpy'])})"


def notes(results: list[Result], guard: Guard, cli: dict[str, float] | str, args: argparse.Namespace) -> list[str]:
    out = [
        "How to read it:",
        "- Every network is sigmoid throughout with the squared-error cost. Times are minimums over repeats;"
        " derivations are timed cold (SymPy's cache and symbp's graph cache cleared) and include building the graph.",
        f"- Derivations marked `est. from k/P` ran on k of the P parameters (at random, at least one per layer,"
        f" until {args.naive_cap:g} s for naive and {args.reference_cap:g} s for the reference were spent); the rest"
        " is counted at the measured mean of its layer. The reference's one-off substitution of C down to x, W, b, t"
        " is measured and included: "
        + ", ".join(f"{r.layers}: {seconds(r.reference.setup)}" for r in results)
        + ".",
        "- ops: `sympy.count_ops` after `sympy.cse(order='none')` of the scalar straight-line programs over named"
        " intermediates (one sample). Cross-check by CSE alone on the fully substituted programs: "
        + ", ".join(
            f"{r.layers}: {r.substituted[0]:,} and {r.substituted[1]:,} ({ratio(r.substituted[1] / r.substituted[0])})"
            for r in results
            if r.substituted
        )
        + ".",
        "- chain-rule ops: multiplications and additions of local derivatives (symbp.counts; evaluating sigma' and"
        " dC/da is not counted), for all W and b entries; computed by formula in "
        + ", ".join(f"{seconds(r.counts_seconds)}" for r in results)
        + ".",
        f"- eval: one batch of {args.batch:,} float64 samples, fastest call of {args.rounds} interleaved rounds of"
        f" {args.number} calls each; {args.threads} BLAS/PyTorch thread(s). All contenders' cost and gradients agree"
        " to a relative 1e-9 (checked before timing). The generated code works on blocks of rows"
        " (symbp.codegen.block_rows) so that the values kept for the backward pass stay in the cache; the"
        " hand-written code run on the same blocks shows what that layout alone is worth. The matrix products"
        " of one pass alone, whole batch, NumPy (OpenBLAS) against PyTorch: "
        + ", ".join(
            f"{r.layers}: {seconds(r.matrix_products['numpy'])} and {seconds(r.matrix_products['torch'])}"
            for r in results
            if r.matrix_products
        )
        + ".",
        f"- naive budget: `naive({_sizes(guard.network)}, {guard.entry!r})` ({guard.paths:,} paths)"
        f" refused in {seconds(guard.refused_in)}: \"{guard.message}\". At the default budget, cold: "
        + ", ".join(
            f"`naive({_sizes(b.network)}, {b.entry!r})` ({b.paths:,} paths) took {seconds(b.seconds)}"
            for b in guard.at_budget
        )
        + ".",
    ]
    if isinstance(cli, str):
        out.append(f"- CLI cold start: not measured ({cli}).")
    else:
        out.append(
            "- CLI cold start (wall clock of a new process, min of 5): "
            + ", ".join(f"`{command}` {seconds(value)}" for command, value in cli.items())
            + "."
        )
    return out


GOALS = {
    1: "backprop for all gradients of 16,64,64,1 < 1 s; description to callable < 3 s",
    2: "reference / backprop >= 100 at 4,8,8,1 and >= 1,000 at 8,16,16,1",
    3: "loss-and-gradients program <= 2.5x the forward's operations, every network",
    4: "generated <= 1.25x hand-written NumPy and <= 1.5x PyTorch at 16,64,64,1 and 8,32,32,32,1",
    5: "naive counts by formula; the budget refuses before expanding, and what it allows takes a few seconds",
    6: "`symbp --help` < 0.3 s, `symbp derive` < 1.5 s, cold",
}


def goals(results: list[Result], guard: Guard, cli: dict[str, float] | str) -> list[str]:
    by_layers = {r.layers: r for r in results}
    verdicts: dict[int, str] = {}

    def need(*layers: str) -> bool:
        return all(layer in by_layers for layer in layers)

    if need("16,64,64,1"):
        r = by_layers["16,64,64,1"]
        verdicts[1] = _verdict(r.backprop < 1 and r.compile < 3, f"{seconds(r.backprop)}; {seconds(r.compile)}")
    if need("4,8,8,1", "8,16,16,1"):
        small, large = (by_layers[k].reference.seconds / by_layers[k].backprop for k in ("4,8,8,1", "8,16,16,1"))
        verdicts[2] = _verdict(small >= 100 and large >= 1000, f"{ratio(small)}; {ratio(large)}")
    worst = max(results, key=lambda r: r.program_ops / r.forward_ops)
    verdicts[3] = _verdict(
        worst.program_ops / worst.forward_ops <= 2.5,
        f"largest {ratio(worst.program_ops / worst.forward_ops)} at {worst.layers}",
    )
    if need(*EVALUATION_GOAL_NETWORKS):
        parts, met = [], True
        for layers in EVALUATION_GOAL_NETWORKS:
            e = by_layers[layers].evaluation
            to_numpy = e["generated"] / e["numpy"]
            met &= to_numpy <= 1.25
            part = f"{layers}: {ratio(to_numpy)} NumPy"
            if "torch" in e:
                to_torch = e["generated"] / e["torch"]
                met &= to_torch <= 1.5
                part += f", {ratio(to_torch)} PyTorch"
            else:
                met = False
                part += ", PyTorch not installed"
            parts.append(part)
        verdicts[4] = _verdict(met, "; ".join(parts))
    slowest_count = max(r.counts_seconds for r in results)
    slowest_expansion = max(guard.at_budget, key=lambda b: b.seconds)
    verdicts[5] = _verdict(
        guard.refused_in < 0.1 and slowest_count < 1 and slowest_expansion.seconds < A_FEW_SECONDS,
        f"counts in {seconds(slowest_count)} at most; {guard.paths:,} paths refused in {seconds(guard.refused_in)};"
        f" {slowest_expansion.paths:,} paths, the default budget, expanded in {seconds(slowest_expansion.seconds)}"
        f" at {_sizes(slowest_expansion.network)}",
    )
    if isinstance(cli, str):
        verdicts[6] = f"not measured: {cli}"
    else:
        help_s, derive_s = cli["symbp --help"], cli["symbp derive"]
        verdicts[6] = _verdict(help_s < 0.3 and derive_s < 1.5, f"{seconds(help_s)}; {seconds(derive_s)}")
    return ["Goals of issue 5:"] + [
        f"{number}. {GOALS[number]}: {verdicts.get(number, 'not measured in this run')}" for number in GOALS
    ]


def _sizes(net: Network) -> str:
    return ",".join(map(str, net.layers))


def _verdict(met: bool, numbers: str) -> str:
    return f"**{'met' if met else 'NOT met'}** ({numbers})"


# The machine ------------------------------------------------------------------


def _torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def machine_description(args: argparse.Namespace, torch_version: str | None) -> list[str]:
    import numpy
    import sympy

    def shell(command: str) -> str:
        # Without the thread variables: nproc reports OMP_NUM_THREADS when it is set.
        clean = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
        done = subprocess.run(command, shell=True, capture_output=True, text=True, env=clean)
        return done.stdout.rstrip() or done.stderr.rstrip()

    blas = numpy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return [
        f"Command: `{_command()}`",
        "",
        "Machine:",
        "```",
        f"$ nproc\n{shell('nproc')}",
        f"$ lscpu | head\n{shell('lscpu | head')}",
        f"$ lscpu | grep cache\n{shell('lscpu | grep cache')}",
        f"python {platform.python_version()}, numpy {numpy.__version__} ({blas.get('name', '?')}"
        f" {blas.get('version', '')}), sympy {sympy.__version__}, torch {torch_version or 'not installed'}",
        "threads: " + ", ".join(f"{v}={os.environ[v]}" for v in THREAD_VARIABLES)
        + f"; PyTorch set_num_threads({args.threads})",
        "```",
    ]


def _command() -> str:
    return " ".join(["python", "benchmarks/bench.py", *sys.argv[1:]])


def record(path: Path, text: str) -> None:
    """Write the run to ``path``, keeping whatever follows the notes marker of the old file."""
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if NOTES_MARKER in old:
            kept = old.split(NOTES_MARKER, 1)[1]
    heading = "# Benchmark results\n\nWritten by `benchmarks/bench.py --record`, which refreshes all above the notes."
    path.write_text(f"{heading}\n\n{text}\n\n{NOTES_MARKER}{kept or chr(10)}", encoding="utf-8")


if __name__ == "__main__":
    main()
