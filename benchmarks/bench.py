"""symbp's benchmark for issue 5: one table, every number a ratio taken in the same run.

    python benchmarks/bench.py                               # print the table
    python benchmarks/bench.py --record benchmarks/RESULTS.md  # and record it with the machine's description

PyTorch is optional: ``pip install torch==2.13.0`` (the CPU wheel kept on the benchmark
machine); without it the PyTorch row says so. The package and its tests never need it.
BLAS and PyTorch use the same number of threads (``--threads``, default 1: on the
2-core benchmark machine two threads gained nothing and varied widely between runs;
benchmarks/RESULTS.md has the numbers). The generated code is timed in float64 and
float32 against hand-written NumPy and PyTorch in the same dtype, and its peak memory
measured against hand-written NumPy's (benchmarks/memory.py).
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
    from measure import Evaluation, Guard, Result, Timing

    from symbp.counts import OperationCount
    from symbp.spec import Network

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
NETWORKS = ("2,3,3,1", "4,8,8,1", "8,16,16,1", "16,64,64,1", "8,32,32,32,1")
EVALUATION_GOAL_NETWORKS = ("16,64,64,1", "8,32,32,32,1")
DTYPES = ("float64", "float32")
"""symbp.codegen.DTYPES, without importing NumPy before the thread variables are set."""
A_FEW_SECONDS = 5.0
"""Goal 5: the default naive budget should keep an allowed expansion "under a few seconds"."""
NOTES_MARKER = "<!-- Notes below this line are kept when bench.py --record rewrites the file. -->"


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), help="layer sizes, e.g. 16,64,64,1")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    parser.add_argument("--batch", type=int, default=10_000, help="samples per evaluated batch (default 10,000)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved timing rounds, median taken (default 15)")
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
    started, load_at_start = time.perf_counter(), _load()
    results = []
    for layers in args.networks:
        print(f"measuring {layers} ...", file=sys.stderr, flush=True)
        results.append(measure.measure_network(layers, options))
    guard = measure.naive_guard()
    cli = measure.cli_cold_start()
    torch_version = _torch_version()
    lines = [
        *machine_description(args, torch_version, load_at_start),
        "",
        *table(results),
        "",
        *notes(results, guard, cli, args),
        "",
        *goals(results, guard, cli),
        "",
        *generated_code_goals(results),
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
        *_evaluation_rows(results, "float64"),
        *_evaluation_rows(results, "float32"),
        *_memory_rows(results),
        ("description to callable gradient (symbp.gradient_function), cold", [seconds(r.compile) for r in results]),
    ]
    header = ["measure", *[r.layers for r in results]]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join([label, *cells]) + " |" for label, cells in rows]
    return out


def _ops(count: OperationCount) -> int:
    return count.multiplications + count.additions


def _evaluation_rows(results: list[Result], dtype: str) -> list[tuple[str, list[str]]]:
    evaluations = [r.evaluation[dtype] for r in results]
    return [
        (f"eval {dtype}: hand-written NumPy, whole batch", [seconds(e.median("numpy")) for e in evaluations]),
        (f"eval {dtype}: **generated code** (x hand-written NumPy)", [_eval_cell(e, "generated") for e in evaluations]),
        (f"eval {dtype}: hand-written NumPy in the same row blocks", [_eval_cell(e, "numpy_blocks") for e in evaluations]),
        (f"eval {dtype}: PyTorch autograd (**generated / PyTorch**; in CPU time)", [_torch_cell(e) for e in evaluations]),
    ]


def _torch_cell(evaluation: Evaluation) -> str:
    if "torch" not in evaluation:
        return "not installed"
    wall, cpu = evaluation.ratio("generated", "torch"), evaluation.ratio("generated", "torch", clock="cpu")
    return f"{seconds(evaluation.median('torch'))} (**{ratio(wall)}**; {ratio(cpu)})"


def _eval_cell(evaluation: Evaluation, name: str) -> str:
    return f"{seconds(evaluation.median(name))} ({ratio(evaluation.ratio(name, 'numpy'))})"


def _memory_rows(results: list[Result]) -> list[tuple[str, list[str]]]:
    rows = []
    for index, dtype in enumerate(DTYPES):
        cells = [
            f"{r.memory[index].handwritten / 2**20:.1f} MiB; {r.memory[index].generated / 2**20:.1f} MiB"
            f" (**{ratio(r.memory[index].ratio)}**)"
            for r in results
        ]
        rows.append((f"peak memory {dtype}: hand-written NumPy; generated (generated / hand-written)", cells))
    return rows


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
        f"- eval: one batch of {args.batch:,} samples, float64 and float32 (every contender gets its arrays in that"
        f" dtype); {args.rounds} interleaved rounds (each contender in turn), each round the fastest of {args.number}"
        " calls; a cell is the median over the rounds, and a ratio the quotient of two such medians. In CPU time"
        " (the process's, which other processes on a busy machine do not add to) beside the wall-clock ratio."
        f" {args.threads} BLAS thread(s); PyTorch set_num_threads({args.threads}) and"
        f" set_num_interop_threads({args.threads}), so that neither side gets more cores. All contenders' cost and"
        " gradients agree to a relative 1e-9 in float64 and 1e-4 in float32 (checked before timing). The generated"
        " code works on blocks of rows (symbp.codegen.block_rows) written in place into arrays allocated once per"
        " call; the hand-written code run on the same blocks (allocating as it goes) shows what the layout alone is"
        " worth. The matrix products of one float64 pass alone, whole batch, NumPy (OpenBLAS) against PyTorch: "
        + ", ".join(
            f"{r.layers}: {seconds(r.matrix_products['numpy'])} and {seconds(r.matrix_products['torch'])}"
            for r in results
            if r.matrix_products
        )
        + ".",
        f"- peak memory: what tracemalloc counts NumPy allocating during one call at batch {args.batch:,}, above the"
        " parameters and batch already made (benchmarks/memory.py); exact, so the same in every run.",
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
            e = by_layers[layers].evaluation["float64"]
            to_numpy = e.ratio("generated", "numpy")
            met &= to_numpy <= 1.25
            part = f"{layers}: {ratio(to_numpy)} NumPy"
            if "torch" in e:
                to_torch = e.ratio("generated", "torch")
                met &= to_torch <= 1.5
                part += f", {ratio(to_torch)} PyTorch"
            else:
                met = False
                part += ", PyTorch not installed"
            parts.append(part)
        verdicts[4] = _verdict(met, "; ".join(parts) + " (float64, medians)")
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


GENERATED_CODE_GOALS = {
    "speed": "generated / PyTorch <= 1.0, median of interleaved rounds, at 16,64,64,1 and 8,32,32,32,1,"
    " float64 and float32",
    "memory": "the generated code's peak memory <= 1.5x the hand-written NumPy's at the batch size,"
    " float64 and float32, every network",
}


def generated_code_goals(results: list[Result]) -> list[str]:
    """Issue 14's goals for the generated code."""
    by_layers = {r.layers: r for r in results}
    verdicts = {}
    if all(layers in by_layers for layers in EVALUATION_GOAL_NETWORKS):
        parts, met = [], True
        for layers in EVALUATION_GOAL_NETWORKS:
            for dtype in DTYPES:
                e = by_layers[layers].evaluation[dtype]
                if "torch" not in e:
                    met, part = False, "PyTorch not installed"
                else:
                    wall, cpu = e.ratio("generated", "torch"), e.ratio("generated", "torch", clock="cpu")
                    met &= wall <= 1.0
                    part = f"{ratio(wall)} (CPU time {ratio(cpu)})"
                parts.append(f"{layers} {dtype}: {part}")
        verdicts["speed"] = _verdict(met, "; ".join(parts))
    largest = max((peak for r in results for peak in r.memory), key=lambda peak: peak.ratio)
    verdicts["memory"] = _verdict(
        largest.ratio <= 1.5, f"largest {ratio(largest.ratio)} at {largest.layers} {largest.dtype}"
    )
    return ["Goals of issue 14 for the generated code:"] + [
        f"- {GENERATED_CODE_GOALS[key]}: {verdicts.get(key, 'not measured in this run')}" for key in GENERATED_CODE_GOALS
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


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def machine_description(args: argparse.Namespace, torch_version: str | None, load_at_start: str) -> list[str]:
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
        + f"; PyTorch set_num_threads({args.threads}), set_num_interop_threads({args.threads})",
        f"load average (1, 5, 15 min) at the start: {load_at_start}; at the end: {_load()}",
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
