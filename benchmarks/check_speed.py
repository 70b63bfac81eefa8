"""Issue 14's table: check and grad --method reference with the SymPy reference and with SymEngine (the default).

    python benchmarks/check_speed.py                               # print the table
    python benchmarks/check_speed.py --record benchmarks/RESULTS.md  # and write it into the notes there

Each row runs ``symbp`` in a fresh process (start-up included, as a user waits for it), both engines
in the same run; a run past ``--cap`` seconds is stopped and reported as "> cap". A cell whose first
run takes under ``REPEAT_UNDER`` seconds is the median of ``--repeat`` runs, its range beside it: on a
shared 2-core machine one run of a 1.5 s command varies by a fifth. The 16,64,64,1 row also raises
``--max-work`` (its finite differences are 88.8 million units, over the default 10 million).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS = (
    ("`check` 4,8,8,1 sigmoid, squared error, 3 points", 1.5, "about 12 s",
     ["check", "--layers", "4,8,8,1", "--activation", "sigmoid", "--cost", "squared_error", "--points", "3"]),
    ("`check` 4,8,8,1 abstract (proof)", 2.0, "about 19 s", ["check", "--layers", "4,8,8,1"]),
    ("`check` 8,16,16,1 sigmoid, squared error, 3 points", 5.0, "minutes",
     ["check", "--layers", "8,16,16,1", "--activation", "sigmoid", "--cost", "squared_error", "--points", "3"]),
    ("`check` 16,64,64,1 sigmoid, squared error, 3 points, `--max-paths 100000 --max-work 100000000`", 60.0,
     "hours (estimated)",
     ["check", "--layers", "16,64,64,1", "--activation", "sigmoid", "--cost", "squared_error", "--points", "3",
      "--max-paths", "100000", "--max-work", "100000000"]),
    ("`grad --method reference` 50 layers of width 2", 10.0, "over 11 minutes",
     ["grad", "--method", "reference", "--layers", ",".join(["2"] * 51), "--activation", "sigmoid",
      "--cost", "squared_error", "--point", "{point}"]),
)
"""(row, target in seconds, time when issue 14 was filed, symbp's arguments)."""
ENGINES = ("sympy", "symengine")
NOTES = (
    "The 'when filed' column is issue 14's own measurement of the code before it. The two engine columns are this "
    "code, the same run, with `--reference-engine sympy` and with the default `symengine`.",
    "What the SymEngine path does: each layer's definitions are converted once and composed by `xreplace`, so the "
    "cost is a shared graph. For an entry of unit i of layer m the cost is written as a function of that unit alone: "
    "the units of layer m+1 as W_ki a_i + r_k with the rest of their sums r_k named, the layers above written out, "
    "z_i written out for W and b; SymEngine differentiates that (400 nodes for a first-layer weight of 16,64,64,1 "
    "instead of 12,000), and the derivative is evaluated by `symengine.Lambdify` (32 expressions per call, common "
    "parts once) at the forward pass's values of the named quantities and of each r_k's sum. Abstract networks are "
    "differentiated the same way and come back to SymPy for the proofs with sigma' and dC/da named (a memoised "
    "conversion of SymEngine's Subs(Derivative(...))); an abstract check evaluates numbers only where a proof fails. "
    "Finite differences of every entry run as one vectorised forward pass per point and 128 entries.",
    "The sympy column differentiates in SymPy (abstract functions through their named partials, no Subs); where "
    "the SymPy reference is over its budget it is skipped (8,16,16,1: over 120,000 nodes, so that row checks "
    "without a reference) or refused (grad on 50 layers: exit 2 at its 16-layer limit), so those speed-ups are "
    "not like for like.",
)
_SCRIPT = Path(sys.executable).with_name("symbp")
SYMBP = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "symbp.cli"]
"""The ``symbp`` console script beside this Python, as a user runs it (else the module, which exits more slowly)."""
REPEAT_UNDER = 10.0
"""Seconds; a cell whose first run is faster is run ``--repeat`` times in all and its median shown."""
START = "<!-- check_speed.py --record: start -->"
END = "<!-- check_speed.py --record: end -->"


def point_file(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    point = {"x": rng.uniform(-1, 1, 2).tolist(), "t": rng.uniform(-1, 1, 2).tolist()}
    for m in range(1, 51):
        point[f"W{m}"] = rng.uniform(-1, 1, (2, 2)).tolist()
        point[f"b{m}"] = rng.uniform(-0.5, 0.5, 2).tolist()
    path = folder / "point.json"
    path.write_text(json.dumps(point))
    return path


def run(args: list[str], cap: float) -> tuple[float | None, str]:
    """Seconds of one symbp call (None past the cap) and how it ended."""
    started = time.perf_counter()
    try:
        done = subprocess.run([*SYMBP, *args], capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return None, "stopped"
    seconds = time.perf_counter() - started
    last = (done.stdout.strip().splitlines() or [""])[-1] if done.returncode == 0 else done.stderr.strip()[:80]
    return seconds, f"exit {done.returncode}: {last}"


def timed(args: list[str], cap: float, repeat: int) -> tuple[list[float] | None, str]:
    """The seconds of each run (one if the first is slow or stopped, else ``repeat``) and how the first ended."""
    first, note = run(args, cap)
    if first is None or first >= REPEAT_UNDER:
        return (None if first is None else [first]), note
    return [first, *(run(args, cap)[0] or cap for _ in range(repeat - 1))], note


def shown(times: list[float] | None, cap: float) -> str:
    if times is None:
        return f"> {cap:.0f} s"
    if len(times) == 1:
        return f"{times[0]:.1f} s"
    return f"{statistics.median(times):.2f} s ({min(times):.2f}–{max(times):.2f})"


def _ratio(value: float) -> str:
    return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"


def table(cap: float, repeat: int) -> list[str]:
    lines = ["| work | target | when filed | sympy engine | symengine (default) | speed-up | result (symengine) |",
             "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        point = str(point_file(Path(folder)))
        for title, target, filed, args in ROWS:
            args = [point if a == "{point}" else a for a in args]
            times, notes = {}, {}
            for engine in ENGINES:
                times[engine], notes[engine] = timed([*args, "--reference-engine", engine], cap, repeat)
                print(f"{title} [{engine}]: {times[engine]} {notes[engine]}", file=sys.stderr)
            before, after = (statistics.median(times[e]) if times[e] else None for e in ENGINES)
            ratio = _ratio(before / after) if before and after else (f"> {_ratio(cap / after)}" if after else "")
            lines.append(f"| {title} | < {target:g} s | {filed} | {shown(times['sympy'], cap)} | "
                         f"{shown(times['symengine'], cap)} | {ratio} | {notes['symengine'].replace('|', '/')} |")
    return lines


def report(cap: float, repeat: int) -> str:
    load = os.getloadavg()[0]
    lines = [
        "## `check` and the reference: SymPy against SymEngine (issue 14, `benchmarks/check_speed.py`)",
        "",
        f"Recorded on {platform.node() or 'this machine'} ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load {load:.1f} at the start), Python {platform.python_version()}; each run is "
        f"one `symbp` process, start-up included; a cell under {REPEAT_UNDER:.0f} s is the median of {repeat} runs "
        f"(their range in brackets), a longer one a single run; runs past {cap:.0f} s are stopped.",
        "",
        *table(cap, repeat),
        "",
        *NOTES,
    ]
    return "\n".join(lines) + "\n"


def record(path: Path, text: str) -> None:
    """Put the section between its markers in the notes of ``path`` (bench.py keeps the notes)."""
    old = path.read_text()
    block = f"{START}\n{text}{END}"
    if START in old and END in old:
        new = old[: old.index(START)] + block + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=120.0, help="seconds before a run is stopped (default 120)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each cell under 10 s, median shown (default 5)")
    parser.add_argument("--record", type=Path, help="also write the table into this file's notes")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat {args.repeat} must be at least 1")
    text = report(args.cap, args.repeat)
    print(text)
    if args.record:
        record(args.record, text)


if __name__ == "__main__":
    main()
