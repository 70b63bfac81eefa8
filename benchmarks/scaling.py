"""How derive, check and codegen grow with the network: seconds against parameters, 100 to 100,000.

    python benchmarks/scaling.py                                # print the table
    python benchmarks/scaling.py --record benchmarks/RESULTS.md  # and write it, the plot and the slopes there

Networks k,k,k,1 (sigmoid, squared error: 2k^2 + 3k + 1 parameters), k from 7 to 223.
Each measurement runs in a new process and times the library call behind the
command, cold: after the same call on a 2,2,1 network (imports and one-off
start-up work, which would flatten the small sizes' slope) and with SymPy's and
symbp's caches then cleared:

- derive: ``symbp.backprop`` for every W and b entry (what ``symbp derive --method
  backprop`` renders);
- check: ``symbp.check(network, points=3)`` with its budgets (naive paths, finite-difference
  work) lifted, so that it runs at every size until one takes past ``--check-cap`` seconds
  (larger networks are then not tried). Its work is not linear in the parameters by what it
  compares: the naive expansion has more paths than parameters (k^3 for k^2 weights) and each
  entry's finite difference runs a forward pass over every parameter; so its slope is also fitted
  against that work (``check_work``);
- codegen: ``symbp.codegen.module_source`` (description to the module's source).

The fitted slope is the least-squares line through (log parameters, log seconds)
of the sizes that ran; 1 means linear. The plot goes to benchmarks/scaling.png.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

WIDTHS = (7, 9, 12, 16, 22, 30, 39, 52, 70, 95, 123, 165, 223)
"""k of the k,k,k,1 networks: about 120 to 100,000 parameters, evenly spaced in log."""
COMMANDS = ("derive", "check", "codegen")
LARGE = 1_000
"""Parameters from which a second slope is fitted: below, fixed costs weigh more than the network's size."""
PLOT = Path(__file__).with_name("scaling.png")
START = "<!-- scaling.py --record: start -->"
END = "<!-- scaling.py --record: end -->"

WORKER = """
import gc, json, sys, time
from sympy.core.cache import clear_cache
from symbp.spec import Network
from symbp.errors import SymbpError
from symbp.graph import build_graph
from symbp.numeric import evaluator_for
command, layers = sys.argv[1], [int(v) for v in sys.argv[2].split(",")]

def runner(net):
    if command == "derive":
        from symbp.derive import backprop
        return lambda: backprop(net, tuple(net.entries(kinds=("W", "b"))))
    if command == "check":
        from symbp.checking import check
        return lambda: check(net, points=3, max_paths=10**12, max_work=10**15)
    from symbp.codegen import module_source
    return lambda: module_source(net)

runner(Network([2, 2, 1], "sigmoid", "squared_error"))()  # one-off start-up work, not the network's
clear_cache(); build_graph.cache_clear(); evaluator_for.cache_clear(); gc.collect()
run = runner(Network(layers, "sigmoid", "squared_error"))
start = time.perf_counter()
try:
    run()
except SymbpError as error:
    print(json.dumps({"refused": str(error), "seconds": time.perf_counter() - start}))
else:
    print(json.dumps({"seconds": time.perf_counter() - start}))
"""


@dataclass(frozen=True)
class Measurement:
    command: str
    layers: tuple[int, ...]
    parameters: int
    seconds: float | None
    """None when refused or stopped."""
    note: str = ""


def parameters(layers: tuple[int, ...]) -> int:
    return sum(layers[m] * (layers[m - 1] + 1) for m in range(1, len(layers)))


def check_work(layers: tuple[int, ...]) -> int:
    """The naive expansion's paths plus entries x parameters (each entry's finite differences)."""
    from symbp.counts import naive_paths
    from symbp.spec import Network

    net = Network(list(layers), "sigmoid", "squared_error")
    entries = tuple(net.entries())
    return sum(naive_paths(net, e) for e in entries) + len(entries) * net.parameter_count


def measure(command: str, layers: tuple[int, ...], cap: float) -> Measurement:
    """One cold run of ``command`` on ``layers`` in a new process, stopped after ``cap`` seconds."""
    count = parameters(layers)
    argv = [sys.executable, "-c", WORKER, command, ",".join(map(str, layers))]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return Measurement(command, layers, count, None, f"stopped after {cap:g} s")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return Measurement(command, layers, count, None, f"failed: {last}")
    result = json.loads(done.stdout)
    if "refused" in result:
        return Measurement(command, layers, count, None, f"refused in {_seconds(result['seconds'])}: {result['refused']}")
    return Measurement(command, layers, count, result["seconds"])


def run_all(widths: tuple[int, ...], caps: dict[str, float]) -> list[Measurement]:
    out = []
    for command in COMMANDS:
        given_up = ""
        for k in widths:
            layers = (k, k, k, 1)
            if given_up:
                out.append(Measurement(command, layers, parameters(layers), None, given_up))
                continue
            print(f"{command} {','.join(map(str, layers))} ...", file=sys.stderr, flush=True)
            result = measure(command, layers, caps[command])
            out.append(result)
            if result.seconds is None and result.note.startswith(("stopped", "failed")):
                given_up = f"not tried: the smaller network was {result.note.split(':')[0]}"
    return out


def slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(seconds) against log(parameters); None below three points."""
    if len(points) < 3:
        return None
    xs = [math.log(p) for p, _ in points]
    ys = [math.log(s) for _, s in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)


def timed(results: list[Measurement], command: str) -> list[tuple[int, float]]:
    return [(r.parameters, r.seconds) for r in results if r.command == command and r.seconds is not None]


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 1 else f"{value * 1e3:.0f} ms"


def table(results: list[Measurement]) -> list[str]:
    by_key = {(r.command, r.layers): r for r in results}
    layers_seen = list(dict.fromkeys(r.layers for r in results))
    out = ["| network | parameters | " + " | ".join(COMMANDS) + " |", "|---|---|" + "---|" * len(COMMANDS)]
    for layers in layers_seen:
        cells = []
        for command in COMMANDS:
            r = by_key[(command, layers)]
            cells.append(_seconds(r.seconds) if r.seconds is not None else _short(r.note))
        out.append(f"| {','.join(map(str, layers))} | {parameters(layers):,} | " + " | ".join(cells) + " |")
    return out


def _short(note: str) -> str:
    """A table cell for a run that gave no time: the reason's first clause."""
    return note.split(";")[0].replace("|", "/")


def slopes(results: list[Measurement]) -> list[str]:
    out = []
    for command in COMMANDS:
        points = timed(results, command)
        fitted = slope(points)
        if fitted is None:
            out.append(f"- {command}: too few sizes ran ({len(points)}) for a slope")
            continue
        low, high = points[0][0], points[-1][0]
        line = f"- {command}: slope **{fitted:.2f}** over {len(points)} sizes, {low:,} to {high:,} parameters"
        large = [(p, t) for p, t in points if p >= LARGE]
        if len(large) < len(points) and slope(large) is not None:
            line += f"; {slope(large):.2f} over the {len(large)} from {LARGE:,} parameters up"
        if command == "check" and len(points) >= 3:
            work = [(check_work(r.layers), r.seconds) for r in results if r.command == command and r.seconds is not None]
            line += (f"; against its work (naive paths + entries x parameters, {work[0][0]:,} to {work[-1][0]:,}): "
                     f"slope **{slope(work):.2f}**")
        out.append(line)
    return out


def plot(results: list[Measurement], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.4))
    for command, marker in zip(COMMANDS, "osD"):
        points = timed(results, command)
        if not points:
            continue
        fitted = slope(points)
        label = command + (f" (slope {fitted:.2f})" if fitted is not None else "")
        axes.loglog([p for p, _ in points], [s for _, s in points], marker=marker, label=label)
    axes.set_xlabel("parameters (W and b entries) of k,k,k,1 sigmoid networks")
    axes.set_ylabel("seconds, cold, one process")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})  # no matplotlib version: same file for same data
    plt.close(figure)


def report(results: list[Measurement], args: argparse.Namespace, started: float, load: str) -> list[str]:
    refusals = [r for r in results if r.seconds is None and r.note.startswith(("refused", "stopped", "failed"))]
    lines = [
        "## How the costs grow (`benchmarks/scaling.py`)",
        "",
        f"Command: `python benchmarks/scaling.py {' '.join(sys.argv[1:])}`; machine as above (2 vCPUs), "
        f"load average at the start {load}, at the end {_load()}. Each cell is one cold run in a new process"
        " (after the same call on a 2,2,1 network, with the caches then cleared): derive is `symbp.backprop` for every W and b entry, check is `symbp.check(network, points=3)`"
        " with its naive and finite-difference budgets lifted, codegen is `symbp.codegen.module_source`."
        f" Caps: {', '.join(f'{c} {args_cap:g} s' for c, args_cap in _caps(args).items())}.",
        "",
        *table(results),
        "",
        "Fitted slopes (least squares of log seconds on log parameters; 1 is linear):",
        *slopes(results),
        "",
        f"![seconds against parameters, log-log]({PLOT.name})",
    ]
    if refusals:
        lines += ["", "Runs that gave no time, in full:"]
        lines += [f"- {r.command} {','.join(map(str, r.layers))}: {r.note}" for r in refusals]
    lines += ["", f"Whole run: {time.perf_counter() - started:.0f} s."]
    return lines


def _caps(args: argparse.Namespace) -> dict[str, float]:
    return {"derive": args.cap, "check": args.check_cap, "codegen": args.cap}


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def record(path: Path, text: str) -> None:
    """Put ``text`` between this script's markers in ``path`` (at the end the first time); the rest is kept."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{START}\n{text}\n{END}"
    if START in old and END in old:
        before, rest = old.split(START, 1)
        new = before + block + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new, encoding="utf-8")


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS), help="k of the k,k,k,1 networks")
    parser.add_argument("--cap", type=float, default=300.0, help="seconds before a derive or codegen run is stopped")
    parser.add_argument("--check-cap", type=float, default=60.0, help="seconds before a check is stopped (default 60)")
    parser.add_argument("--record", type=Path, help="also write the table and slopes into this file, and the plot")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the workers inherit it, like bench.py's runs
    started, load = time.perf_counter(), _load()
    results = run_all(tuple(args.widths), _caps(args))
    text = "\n".join(report(results, args, started, load))
    print(text)
    if args.record:
        plot(results, PLOT)
        record(args.record, text)


if __name__ == "__main__":
    main()
