"""Issue 14's table: check and grad --method reference with the SymPy reference (before) and SymEngine (after).

    python benchmarks/check_speed.py                               # print the table
    python benchmarks/check_speed.py --record benchmarks/RESULTS.md  # and write it into the notes there

Each row runs ``symbp`` in a fresh process (start-up included, as a user waits for it), both engines
in the same run; a run past ``--cap`` seconds is stopped and reported as "> cap". The 16,64,64,1 row also
raises ``--max-work`` (its finite differences are 88.8 million units, over the default 10 million).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS = (
    ("`check` 4,8,8,1 sigmoid, squared error, 3 points", 1.5,
     ["check", "--layers", "4,8,8,1", "--activation", "sigmoid", "--cost", "squared_error", "--points", "3"]),
    ("`check` 4,8,8,1 abstract (proof)", 2.0, ["check", "--layers", "4,8,8,1"]),
    ("`check` 8,16,16,1 sigmoid, squared error, 3 points", 5.0,
     ["check", "--layers", "8,16,16,1", "--activation", "sigmoid", "--cost", "squared_error", "--points", "3"]),
    ("`check` 16,64,64,1 sigmoid, squared error, 3 points, `--max-paths 100000 --max-work 100000000`", 60.0,
     ["check", "--layers", "16,64,64,1", "--activation", "sigmoid", "--cost", "squared_error", "--points", "3",
      "--max-paths", "100000", "--max-work", "100000000"]),
    ("`grad --method reference` 50 layers of width 2", 10.0, ["grad", "--method", "reference", "--layers",
                                                            ",".join(["2"] * 51), "--activation", "sigmoid",
                                                            "--cost", "squared_error", "--point", "{point}"]),
)
ENGINES = ("sympy", "symengine")
NOTES = (
    "What the SymEngine path does: the cost is built in SymEngine from each layer's definitions (shared, not copied), "
    "differentiated there (for W and b over the named z with only the unit that holds the variable substituted), "
    "substituted down to x, W, b, t and evaluated by one `symengine.Lambdify` with common parts once (deeper than 6 "
    "layers: numbers substituted into the shared graph); the naive expansions are evaluated the same way; finite "
    "differences of every entry run as one vectorised forward pass per point and 128 entries.",
    "The sympy column is this code with `--reference-engine sympy`: its naive numbers and finite differences are already the fast ones, and where the SymPy reference is over its budget it is skipped (8,16,16,1: over 120,000 nodes, so that row checks without a reference) or refused (grad on 50 layers: exit 2 at its 16-layer limit), so those speed-ups are not before/after. Measured on main before this change, on the same machine: 4,8,8,1 sigmoid 17.5 s, 4,8,8,1 abstract 14.4 s; from issue 14: 8,16,16,1 minutes, grad 50x2 over 11 minutes. 16,64,64,1 (5,571 entries) does not finish within the cap: SymEngine differentiates 5,313 parameters in about 50 s and `Lambdify` of their 5,571 derivatives takes longer; not solved here.",
    "Abstract networks (the proof row) keep the SymPy reference: converting SymEngine's Subs(Derivative(...)) back "
    "to SymPy for the proofs cost more than SymPy's own diff, so that row is unchanged; its time is the symbolic "
    "proofs.",
)
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
        done = subprocess.run([sys.executable, "-m", "symbp.cli", *args], capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return None, "stopped"
    seconds = time.perf_counter() - started
    last = (done.stdout.strip().splitlines() or [""])[-1] if done.returncode == 0 else done.stderr.strip()[:80]
    return seconds, f"exit {done.returncode}: {last}"


def table(cap: float) -> list[str]:
    lines = ["| work | target | sympy (before) | symengine (after) | speed-up | result (symengine) |",
             "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        point = str(point_file(Path(folder)))
        for title, target, args in ROWS:
            args = [point if a == "{point}" else a for a in args]
            times, notes = {}, {}
            for engine in ENGINES:
                times[engine], notes[engine] = run([*args, "--reference-engine", engine], cap)
                print(f"{title} [{engine}]: {times[engine]} {notes[engine]}", file=sys.stderr)
            shown = {e: f"{t:.1f} s" if t is not None else f"> {cap:.0f} s" for e, t in times.items()}
            before, after = times["sympy"], times["symengine"]
            ratio = f"{before / after:.0f}x" if before and after else (f"> {cap / after:.0f}x" if after else "")
            lines.append(f"| {title} | < {target:g} s | {shown['sympy']} | {shown['symengine']} | {ratio} | "
                         f"{notes['symengine'].replace('|', '/')} |")
    return lines


def report(cap: float) -> str:
    load = os.getloadavg()[0]
    lines = [
        "## `check` and the reference: SymPy against SymEngine (issue 14, `benchmarks/check_speed.py`)",
        "",
        f"One run on {platform.node() or 'this machine'} ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load {load:.1f} at the start), Python {platform.python_version()}; each cell is "
        f"one `symbp` process, start-up included; runs past {cap:.0f} s are stopped.",
        "",
        *table(cap),
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
    parser.add_argument("--record", type=Path, help="also write the table into this file's notes")
    args = parser.parse_args()
    text = report(args.cap)
    print(text)
    if args.record:
        record(args.record, text)


if __name__ == "__main__":
    main()
