"""How often symbp grade names the planted mistake, and how long a class of 200 answers takes.

    python benchmarks/grade_feedback.py              # 600 + 600 + 600 seeded mutations, a 200-answer class
    python benchmarks/grade_feedback.py --count 1200 --seed 3

The mutations and the independent oracle (the lecture's chain rule written out path by
path) are those of tests/test_grade.py, which runs 96 + 48 of them in the suite. The second 600 are on
networks with sigmoid or tanh layers and squared error, their sigma' and dC/da written out as formulas;
the third 600 leave one relu or leaky relu sigma' out (tests/test_grade.py runs 40 of them).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import random  # noqa: E402

import symbp  # noqa: E402
from test_grade import (MUTATIONS, grade, lecture_paths, named, plant, seeded_missing_sigmas, seeded_mutations,  # noqa: E402
                        shuffled)


def hit_rate(count: int, seed: int, concrete_forms: bool) -> None:
    mutations = seeded_mutations(count, seed, concrete_forms)
    hits: Counter = Counter()
    start = time.perf_counter()
    sample = {}
    for net, entry, mutation in mutations:
        result = grade(net, entry, mutation.answer)
        if named(net, mutation, result):
            hits[mutation.kind] += 1
        sample.setdefault(mutation.kind, (entry, net.describe(), mutation.answer, result.feedback[0].message))
    seconds = time.perf_counter() - start
    planted = Counter(m.kind for _, _, m in mutations)
    networks = "sigmoid/tanh/abstract layers, concrete forms written out" if concrete_forms else "abstract networks"
    print(f"{networks}: feedback names the planted mistake in {sum(hits.values())}/{count} "
          f"({100 * sum(hits.values()) / count:.1f}%), {seconds:.1f} s, seed {seed}")
    for kind in MUTATIONS:
        print(f"  {kind:13} {hits[kind]}/{planted[kind]}")
    print("sample feedback:")
    for kind, (entry, network, answer, message) in sample.items():
        print(f"  [{kind}] dC/d{entry} on {network}\n      answer:   {answer}\n      feedback: {message}")


def missing_sigma_rate(count: int, seed: int) -> None:
    """One relu or leaky relu sigma' left out of one path: graded incorrect, and named, how often."""
    mutations = seeded_missing_sigmas(count, seed)
    start = time.perf_counter()
    results = [(net, mutation, grade(net, entry, mutation.answer)) for net, entry, mutation in mutations]
    seconds = time.perf_counter() - start
    incorrect = sum(result.verdict == "incorrect" for _, _, result in results)
    hits = sum(named(net, mutation, result) for net, mutation, result in results)
    print(f"relu/leaky relu networks, one sigma' left out: graded incorrect {incorrect}/{count}, "
          f"feedback names it {hits}/{count} ({100 * hits / count:.1f}%), {seconds:.1f} s, seed {seed}")


def class_rows(count: int, seed: int) -> list[dict[str, str]]:
    """A class on the lecture network: every W and b entry in turn, 1 in 4 answers right (reordered), the rest
    each with one planted mistake."""
    rng = random.Random(seed)
    net = symbp.Network()
    entries = [e.name for e in net.entries(("W", "b"))]
    rows = []
    for n in range(count):
        entry = entries[n % len(entries)]
        mutation = plant(net, entry, MUTATIONS[n % len(MUTATIONS)], rng) if n % 4 else None
        answer = mutation.answer if mutation else shuffled([f for _, f in lecture_paths(net, entry)], rng)
        rows.append({"student": f"s{n:03d}", "entry": entry, "answer": answer})
    return rows


def class_of_200(seed: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        answers = Path(folder) / "class.csv"
        with answers.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["student", "entry", "answer"])
            writer.writeheader()
            writer.writerows(class_rows(200, seed))
        report = Path(folder) / "report.csv"
        start = time.perf_counter()
        done = subprocess.run(["symbp", "grade", "--answers", str(answers), "--report", str(report)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
    print(f"symbp grade --answers (200 answers, 1 in 4 right, lecture network, whole process): {seconds:.2f} s, exit {done.returncode}")
    print("\n".join("  " + line for line in done.stdout.splitlines()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    hit_rate(arguments.count, arguments.seed, concrete_forms=False)
    hit_rate(arguments.count, arguments.seed, concrete_forms=True)
    missing_sigma_rate(arguments.count, arguments.seed)
    class_of_200(arguments.seed)


if __name__ == "__main__":
    main()
