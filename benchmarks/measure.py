"""The measurements behind benchmarks/bench.py, one function per group of rows.

Every derivation is timed cold (SymPy's cache and symbp's graph cache cleared
first), and every ratio compares two numbers taken in the same run.
"""

from __future__ import annotations

import gc
import random
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from math import inf, isqrt
from typing import Callable, Sequence

import numpy as np
import sympy as sp
from sympy.core.cache import clear_cache

from handwritten import TorchBackprop, numpy_backprop, numpy_backprop_blocks
from memory import Peaks, peaks, sample_batch
from symbp import codegen
from symbp.counts import OperationCount, backprop_count, naive_count, naive_paths
from symbp.derive import backprop, naive
from symbp.derive.naive import DEFAULT_MAX_PATHS
from symbp.errors import SymbpError
from symbp.graph import build_graph
from symbp.numeric import evaluator_for
from symbp.spec import Entry, Network

Outputs = tuple[float, dict[str, np.ndarray]]


def parameters(net: Network) -> tuple[Entry, ...]:
    return tuple(net.entries(kinds=("W", "b")))


def cold() -> None:
    """Forget what earlier work cached, so a timing starts as a new process would."""
    clear_cache()
    build_graph.cache_clear()
    evaluator_for.cache_clear()
    gc.collect()


# Derivation times ------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Seconds for every W and b entry; when ``measured < total`` the rest is extrapolated."""

    seconds: float
    measured: int
    total: int
    setup: float
    """One-off work included in ``seconds`` (building the graph; for the reference, substituting C)."""

    @property
    def estimated(self) -> bool:
        return self.measured < self.total


def time_backprop(net: Network, repeats: int = 5) -> float:
    """All W and b gradients by the backprop recursion, from the network description (graph included)."""
    best = inf
    for _ in range(repeats):
        cold()
        start = time.perf_counter()
        backprop(net, parameters(net))
        best = min(best, time.perf_counter() - start)
    return best


def time_per_entry(
    net: Network, setup: Callable[[], object], run: Callable[[Entry], object], cap: float, seed: int = 0
) -> Timing:
    """``setup()`` once, then ``run(entry)`` on W and b entries until all ran or ``cap`` seconds were spent.

    Entries are drawn at random, layer by layer in turn, and every layer gets at
    least one; a layer's unmeasured entries are counted at its measured mean
    (entries of one layer have the same number of paths and factors).
    """
    cold()
    start = time.perf_counter()
    setup()
    setup_seconds = time.perf_counter() - start
    rng = random.Random(seed)
    queues: dict[int, list[Entry]] = {}
    for entry in parameters(net):
        queues.setdefault(entry.layer, []).append(entry)
    sizes = {layer: len(queue) for layer, queue in queues.items()}
    for queue in queues.values():
        rng.shuffle(queue)
    samples: dict[int, list[float]] = {layer: [] for layer in queues}
    spent = 0.0
    while True:
        ran = False
        for layer, queue in queues.items():
            if not queue or (spent >= cap and samples[layer]):
                continue
            entry = queue.pop()
            start = time.perf_counter()
            run(entry)
            elapsed = time.perf_counter() - start
            samples[layer].append(elapsed)
            spent += elapsed
            ran = True
        if not ran:
            break
    total = setup_seconds + sum(sum(times) / len(times) * sizes[layer] for layer, times in samples.items())
    measured = sum(len(times) for times in samples.values())
    return Timing(total, measured, sum(sizes.values()), setup_seconds)


def naive_within_budget(net: Network) -> bool:
    return max(naive_paths(net, entry) for entry in parameters(net)) <= DEFAULT_MAX_PATHS


def time_naive(net: Network, cap: float) -> Timing:
    return time_per_entry(net, lambda: build_graph(net), lambda entry: naive(net, entry), cap)


def time_reference(net: Network, cap: float) -> Timing:
    """Plain ``sympy.diff`` of the fully substituted C, entry by entry: the naive way to a gradient
    that goal 2 weighs backprop against (symbp's own reference differentiates a smaller form, in
    SymEngine by default; ``check_speed.py`` times that)."""
    graph = build_graph(net)

    def substitute_cost() -> object:
        return graph.full[graph.C]

    return time_per_entry(net, substitute_cost, lambda entry: sp.diff(graph.full[graph.C], graph.symbol(entry)), cap)


# Operation counts -------------------------------------------------------------


def cse_ops(expressions: Sequence[sp.Expr]) -> int:
    """Operations of a scalar program after common-subexpression elimination.

    order='none' skips the canonical sort of the subexpressions, which issue 5 measured at 75 times the time.
    """
    replacements, reduced = sp.cse(list(expressions), order="none")
    return sum(sp.count_ops(rhs) for _, rhs in replacements) + sum(sp.count_ops(expr) for expr in reduced)


def program_ops_of(net: Network) -> tuple[int, int]:
    """(forward, loss-and-gradients) operations of the straight-line programs over named intermediates.

    Forward: every z, a and C. Loss and gradients: the same plus every delta step
    (upstream times sigma') and every gradient step of the backprop derivation.
    """
    graph = build_graph(net)
    derivation = backprop(net, parameters(net))
    forward = [graph.C_definition]
    for m in range(1, net.L + 1):
        forward += [*graph.z_definition[m], *graph.a_definition[m]]
    backward = [step.formula for step in derivation.deltas] + [step.formula for step in derivation.gradients]
    return cse_ops(forward), cse_ops(forward + backward)


def substituted_ops(net: Network) -> tuple[int, int]:
    """The same counts found by CSE alone, from expressions substituted down to x, W, b, t (no names to help)."""
    graph = build_graph(net)
    derivation = backprop(net, parameters(net))
    cost = graph.full[graph.C]
    gradients = [graph.substitute(derivation.expression(entry)) for entry in parameters(net)]
    return cse_ops([cost]), cse_ops([cost, *gradients])


def chain_rule_counts(net: Network) -> tuple[OperationCount, OperationCount]:
    """(naive, backprop) chain-rule arithmetic for every W and b entry, by symbp.counts' formulas."""
    entries = parameters(net)
    total = OperationCount(0, 0, 0)
    for entry in entries:
        total = total + naive_count(net, entry)
    return total, backprop_count(net, entries)


@dataclass(frozen=True)
class AtBudget:
    """One naive expansion of an entry with as many paths as the default budget allows."""

    network: Network
    entry: str
    paths: int
    seconds: float


@dataclass(frozen=True)
class Guard:
    """The naive budget: how fast it refuses a network far too large, how long the largest allowed expansion takes."""

    network: Network
    entry: str
    paths: int
    refused_in: float
    message: str
    at_budget: tuple[AtBudget, ...]


def naive_guard() -> Guard:
    net = Network([2, 500, 500, 500, 500, 1], "sigmoid", "squared_error")
    entry = "W1_1_1"
    start = time.perf_counter()
    try:
        naive(net, entry)
    except SymbpError as error:
        refused_in, message = time.perf_counter() - start, str(error)
    else:
        raise RuntimeError("the naive budget did not refuse 125,000,000 paths")
    return Guard(net, entry, naive_paths(net, net.entry(entry)), refused_in, message, naive_at_budget())


def naive_at_budget() -> tuple[AtBudget, ...]:
    """W1_1_1 of a wide and of a deep network, each with (about) DEFAULT_MAX_PATHS paths, cold."""
    side, root = isqrt(DEFAULT_MAX_PATHS), round(DEFAULT_MAX_PATHS**0.25)
    out = []
    for layers in ([1, 2, side, side, 1], [1, 1, root, root, root, root, 1]):
        net = Network(layers, "sigmoid", "squared_error")
        cold()
        start = time.perf_counter()
        derivation = naive(net, "W1_1_1")
        out.append(AtBudget(net, "W1_1_1", len(derivation.paths), time.perf_counter() - start))
    return tuple(out)


def time_counts(net: Network) -> float:
    """Path and operation counts of every W and b entry by formula."""
    start = time.perf_counter()
    chain_rule_counts(net)
    return time.perf_counter() - start


# Evaluation -------------------------------------------------------------------


def have_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_threads(threads: int) -> None:
    """PyTorch's intra-op and inter-op threads, as many as BLAS gets."""
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # allowed once per process, before any parallel work: already set
        pass


@dataclass(frozen=True)
class Evaluation:
    """Seconds per call of each contender on one batch in one dtype: per round, the fastest of its calls.

    ``wall`` is the clock on the wall, ``cpu`` the process's CPU time (which other
    processes on a busy machine do not add to).
    """

    dtype: str
    wall: dict[str, list[float]]
    cpu: dict[str, list[float]]

    def median(self, name: str, clock: str = "wall") -> float:
        return statistics.median((self.wall if clock == "wall" else self.cpu)[name])

    def fastest(self, name: str) -> float:
        return min(self.wall[name])

    def ratio(self, name: str, other: str, clock: str = "wall") -> float:
        """Median of ``name`` over median of ``other``, both over the same interleaved rounds."""
        return self.median(name, clock) / self.median(other, clock)

    def __contains__(self, name: str) -> bool:
        return name in self.wall


AGREEMENT = {"float64": 1e-9, "float32": 1e-4}
"""Relative differences below which two contenders compute the same numbers, by dtype."""


def time_evaluation(net: Network, n: int, rounds: int, number: int, threads: int, dtype: str = "float64") -> Evaluation:
    """Every contender on one batch in ``dtype``: ``rounds`` interleaved rounds of ``number`` calls each.

    Interleaving the contenders round by round means a slow spell of the machine
    hits all of them, not just one.
    """
    params, x, t = sample_batch(net, n, dtype)
    generated = codegen.gradient_function(net, dtype)
    rows = codegen.block_rows(net, dtype)
    contenders: dict[str, Callable[[], object]] = {
        "generated": lambda: generated(params, x, t),
        "numpy": lambda: numpy_backprop(params, x, t),
        "numpy_blocks": lambda: numpy_backprop_blocks(params, x, t, rows),
    }
    checks: dict[str, Callable[[], Outputs]] = dict(contenders)  # type: ignore[arg-type]
    if have_torch():
        torch_threads(threads)
        step = TorchBackprop(params, x, t, dtype)
        contenders["torch"] = step
        checks["torch"] = step.numpy
    _check_agreement(checks, AGREEMENT[dtype])
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            fastest_wall = fastest_cpu = inf
            gc.disable()
            for _ in range(number):  # each call timed alone: the first after another contender finds colder caches
                start_wall, start_cpu = time.perf_counter(), time.process_time()
                call()
                fastest_wall = min(fastest_wall, time.perf_counter() - start_wall)
                fastest_cpu = min(fastest_cpu, time.process_time() - start_cpu)
            gc.enable()
            wall[name].append(fastest_wall)
            cpu[name].append(fastest_cpu)
    return Evaluation(dtype, wall, cpu)


def time_matrix_products(net: Network, n: int, rounds: int, threads: int) -> dict[str, float] | None:
    """Seconds of the matrix products of one forward and backward pass alone, NumPy against PyTorch.

    The same products for both (whole batch): a_{m-1} @ W_m.T, delta_m.T @ a_{m-1}, and
    delta_m @ W_m for m > 1. None without PyTorch.
    """
    if not have_torch():
        return None
    import torch

    torch_threads(threads)
    rng = np.random.default_rng(0)
    products = []
    for m in range(1, net.L + 1):
        shapes = [(n, net.D(m - 1)), (net.D(m), net.D(m - 1)), (n, net.D(m))]
        a, W, delta = (rng.uniform(-1, 1, shape) for shape in shapes)
        products += [(a, W.T), (delta.T, a)] + ([(delta, W)] if m > 1 else [])
    best = {}
    for name, convert in (("numpy", np.asarray), ("torch", torch.from_numpy)):
        pairs = [(convert(left), convert(right)) for left, right in products]
        total = 0.0
        for left, right in pairs:
            fastest = inf
            for _ in range(rounds):
                start = time.perf_counter()
                left @ right
                fastest = min(fastest, time.perf_counter() - start)
            total += fastest
        best[name] = total
    return best


def _check_agreement(checks: dict[str, Callable[[], Outputs]], tolerance: float) -> None:
    """Every contender computes the same numbers, else the timings compare different work."""
    cost, grads = checks["generated"]()
    for name, call in checks.items():
        other_cost, other_grads = call()
        worst = max(
            abs(other_cost - cost) / abs(cost),
            *(np.max(np.abs(other_grads[k] - g)) / np.max(np.abs(g)) for k, g in grads.items()),
        )
        if worst > tolerance:
            raise RuntimeError(f"{name} disagrees with the generated code (relative difference {worst:.1e})")


def time_compile(net: Network, repeats: int = 5) -> float:
    """From the network description to a callable loss_and_gradients (symbp.gradient_function), cold."""
    best = inf
    for _ in range(repeats):
        cold()
        start = time.perf_counter()
        codegen.gradient_function(net)
        best = min(best, time.perf_counter() - start)
    return best


# Command line ----------------------------------------------------------------


def cli_cold_start(repeats: int = 5) -> dict[str, float] | str:
    """Wall-clock seconds of ``symbp --help`` and ``symbp derive``, each a new process; or why not measured."""
    exe = shutil.which("symbp")
    if exe is None:
        return "the symbp console script is not installed"
    timings = {}
    for command in ([exe, "--help"], [exe, "derive"]):
        best = inf
        for _ in range(repeats):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            best = min(best, time.perf_counter() - start)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                return f"`symbp {command[1]}` exits {done.returncode}: {last}"
        timings[f"symbp {command[1]}"] = best
    return timings


# One network ----------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    naive_cap: float
    reference_cap: float
    batch: int
    rounds: int
    number: int
    threads: int


@dataclass(frozen=True)
class Result:
    """Every measurement of one network."""

    layers: str
    parameters: int
    naive: Timing | None
    """None when some entry is over the naive budget."""
    backprop: float
    reference: Timing
    forward_ops: int
    program_ops: int
    substituted: tuple[int, int] | None
    """The op counts again by CSE of fully substituted programs (small networks only)."""
    naive_chain: OperationCount
    backprop_chain: OperationCount
    evaluation: dict[str, Evaluation]
    """By dtype (float64, float32)."""
    memory: tuple[Peaks, ...]
    """Peak bytes of one call, generated against hand-written NumPy, by dtype."""
    matrix_products: dict[str, float] | None
    """NumPy's and PyTorch's time for the matrix products alone."""
    compile: float
    counts_seconds: float


SUBSTITUTED_CHECK_MAX_PARAMETERS = 500
"""Substituting every gradient down to x, W, b, t is quick only for small networks."""


def measure_network(layers: str, options: Options) -> Result:
    """A sigmoid, squared-error network of the given sizes (``16,64,64,1``), measured row by row."""
    net = Network([int(size) for size in layers.split(",")], "sigmoid", "squared_error")
    forward_ops, program_ops = program_ops_of(net)
    naive_chain, backprop_chain = chain_rule_counts(net)
    return Result(
        layers=layers,
        parameters=net.parameter_count,
        naive=time_naive(net, options.naive_cap) if naive_within_budget(net) else None,
        backprop=time_backprop(net),
        reference=time_reference(net, options.reference_cap),
        forward_ops=forward_ops,
        program_ops=program_ops,
        substituted=substituted_ops(net) if net.parameter_count <= SUBSTITUTED_CHECK_MAX_PARAMETERS else None,
        naive_chain=naive_chain,
        backprop_chain=backprop_chain,
        evaluation={
            dtype: time_evaluation(net, options.batch, options.rounds, options.number, options.threads, dtype)
            for dtype in codegen.DTYPES
        },
        memory=tuple(peaks(layers, options.batch, dtype) for dtype in codegen.DTYPES),
        matrix_products=time_matrix_products(net, options.batch, options.rounds, options.threads),
        compile=time_compile(net),
        counts_seconds=time_counts(net),
    )
