"""Generated NumPy code (symbp.codegen) against independent oracles.

For every non-linearity and cost, on random networks and batches, the generated
``loss_and_gradients`` (run in-process, and written to a file and imported) must
give the mean cost of tests/oracle.py's forward pass, and gradients equal to
central finite differences of its own mean cost and to the average of symbp's
symbolic backprop at each sample (symbp.numeric.gradient_at), to a relative 1e-9.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import textwrap
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from oracle import cost as oracle_cost
from oracle import forward_numbers

import symbp
from symbp.activations import ACTIVATIONS
from symbp.codegen import gradient_function as compile_network
from symbp.codegen import module_source, vectorize
from symbp.numeric import evaluator_for, gradient_at, point_shapes

CONCRETE = [name for name, a in ACTIVATIONS.items() if not a.is_abstract and not a.output_only]  # softmax: test_softmax
# Binary cross-entropy follows a sigmoid output layer only (outputs in (0, 1); softmax goes with cross_entropy).
CASES = [(name, "squared_error") for name in CONCRETE] + [(name, "binary_cross_entropy") for name in CONCRETE]
REL = 1e-9
FD_STEP = 1e-3
KINK_MARGIN = 0.05
"""|z| kept above this on relu-like layers: a finite-difference step moves z by far less."""


@lru_cache(maxsize=None)
def case(index: int):
    """A random network and batch for CASES[index], with the oracles' answers (computed once)."""
    rng = np.random.default_rng(100 + index)
    for _ in range(20):
        drawn = _draw_case(*CASES[index], rng)
        if max(float(np.max(np.abs(g))) for g in drawn[-1].values()) > 1e-2:
            return drawn
    raise AssertionError("every draw was a network of dead relus")  # pragma: no cover


def _draw_case(activation: str, cost: str, rng: np.random.Generator):
    L = int(rng.integers(1, 4))
    layers = [int(v) for v in rng.integers(1, 5, size=L + 1)]
    activations = [activation] * L
    if cost == "binary_cross_entropy":
        activations[-1] = "sigmoid"
        if L == 1:  # keep the non-linearity under test in the network
            layers, activations = [layers[0], 3, layers[1]], [activation, "sigmoid"]
    net = symbp.Network(layers, activations, cost)
    params = {}
    for m in range(1, net.L + 1):
        params[f"W{m}"] = rng.uniform(-1, 1, (net.D(m), net.D(m - 1)))
        params[f"b{m}"] = rng.uniform(-0.5, 0.5, net.D(m))
    points = [_sample_away_from_kinks(net, params, rng) for _ in range(int(rng.integers(1, 7)))]
    by_sample = [gradient_at(net, point, "backprop") for point in points]
    expected_grads = {key: np.mean([g.gradients[key] for g in by_sample], axis=0) for key in params}
    expected_cost = float(np.mean([_oracle_cost(net, point) for point in points]))
    x = np.array([point["x"] for point in points])
    t = np.array([point["t"] for point in points])
    return net, params, x, t, expected_cost, expected_grads


def _sample_away_from_kinks(net: symbp.Network, params: dict[str, np.ndarray], rng: np.random.Generator):
    evaluator = evaluator_for(net)
    low, high = (0.05, 0.95) if net.cost == "binary_cross_entropy" else (-1, 1)
    for _ in range(1000):
        point = {"x": rng.uniform(-1, 1, net.D(0)), "t": rng.uniform(low, high, net.D(net.L)), **params}
        if evaluator.away_from_kinks(evaluator.forward_at(point), margin=KINK_MARGIN):
            return point
    raise AssertionError("no sample away from the relu kinks")


def _oracle_cost(net: symbp.Network, point: dict[str, np.ndarray]) -> float:
    _, a = forward_numbers(net, point)
    return float(oracle_cost(net.cost, [sp.Float(v) for v in a[-1]], [sp.Float(v) for v in point["t"]]))


def _case_id(index: int) -> str:
    return "-".join(CASES[index])


def _imported(net: symbp.Network, folder: Path):
    path = folder / "net_grad.py"
    path.write_text(module_source(net), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"net_grad_{abs(hash(net))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _finite_differences(f: Callable, params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray):
    """Five-point central differences of the mean cost, one parameter entry at a time."""
    out = {}
    for key, array in params.items():
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):

            def cost_at(offset: float) -> float:
                nudged = {k: v.copy() for k, v in params.items()}
                nudged[key][index] += offset
                return f(nudged, x, t)[0]

            h = FD_STEP
            grad[index] = (-cost_at(2 * h) + 8 * cost_at(h) - 8 * cost_at(-h) + cost_at(-2 * h)) / (12 * h)
        out[key] = grad
    return out


def assert_gradients_close(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    """Entrywise within REL, relative to the entry or to the largest gradient (entries behind a relu can be 0)."""
    assert got.keys() == want.keys()
    scale = max(float(np.max(np.abs(w))) for w in want.values())
    for key in want:
        assert got[key].shape == want[key].shape, key
        np.testing.assert_allclose(got[key], want[key], rtol=REL, atol=REL * scale, err_msg=key)


FORMS = ["compiled", "imported", "imported-blocks-of-2"]


def _function(form: str, net: symbp.Network, folder: Path) -> Callable:
    if form == "compiled":
        return symbp.gradient_function(net)
    module = _imported(net, folder)
    if form == "imported-blocks-of-2":
        module.BLOCK_ROWS = 2  # several blocks and a ragged last one, on a small batch
    return module.loss_and_gradients


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("index", range(len(CASES)), ids=_case_id)
def test_loss_and_gradients_match_oracles(index, form, tmp_path):
    net, params, x, t, expected_cost, expected_grads = case(index)
    f = _function(form, net, tmp_path)
    cost, grads = f(params, x, t)
    assert cost == pytest.approx(expected_cost, rel=REL)
    assert_gradients_close(grads, expected_grads)
    assert_gradients_close(grads, _finite_differences(f, params, x, t))


def test_compile_is_the_package_export_and_runs_the_written_source(tmp_path):
    net = symbp.Network([3, 4, 2], ["tanh", "sigmoid"], "binary_cross_entropy")
    assert symbp.gradient_function is compile_network
    rng = np.random.default_rng(7)
    params = {key: rng.uniform(-1, 1, shape) for key, shape in point_shapes(net).items() if key not in ("x", "t")}
    x, t = rng.uniform(-1, 1, (5, 3)), rng.uniform(0.1, 0.9, (5, 2))
    in_process = symbp.gradient_function(net)(params, x, t)
    from_file = _imported(net, tmp_path).loss_and_gradients(params, x, t)
    assert in_process[0] == from_file[0]
    for key in params:
        np.testing.assert_array_equal(in_process[1][key], from_file[1][key])


# Only NumPy at run time --------------------------------------------------------

BLOCKER = textwrap.dedent(
    """
    import importlib.abc, importlib.util, json, sys

    class Blocker(importlib.abc.MetaPathFinder):
        # Anything of SymPy (or symbp, which needs it) fails to import.
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"sympy", "mpmath", "symbp"}:
                raise ImportError(f"{name} is blocked: the generated module must need only NumPy")
            return None

    sys.meta_path.insert(0, Blocker())
    import numpy
    spec = importlib.util.spec_from_file_location("net_grad", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    inputs = json.load(open(sys.argv[2]))
    params = {k: numpy.array(v) for k, v in inputs["params"].items()}
    cost, grads = module.loss_and_gradients(params, numpy.array(inputs["x"]), numpy.array(inputs["t"]))
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"sympy", "mpmath", "symbp"})
    print(json.dumps({"cost": cost, "grads": {k: v.tolist() for k, v in grads.items()}, "loaded": loaded}))
    """
)


def run_blocked(folder: Path, module_text: str, inputs: dict) -> subprocess.CompletedProcess:
    """Run ``module_text``'s loss_and_gradients on ``inputs`` in a new interpreter where SymPy cannot be imported."""
    (folder / "net_grad.py").write_text(module_text, encoding="utf-8")
    (folder / "inputs.json").write_text(json.dumps(inputs))
    (folder / "run.py").write_text(BLOCKER)
    # -I: isolated, so neither PYTHONPATH nor the working directory can bring symbp back in.
    command = [sys.executable, "-I", str(folder / "run.py"), str(folder / "net_grad.py"), str(folder / "inputs.json")]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_generated_module_runs_with_only_numpy(tmp_path):
    net, params, x, t, expected_cost, expected_grads = case(CASES.index(("relu", "squared_error")))
    inputs = {"params": {k: v.tolist() for k, v in params.items()}, "x": x.tolist(), "t": t.tolist()}
    done = run_blocked(tmp_path, module_source(net), inputs)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["loaded"] == []
    assert result["cost"] == pytest.approx(expected_cost, rel=REL)
    assert_gradients_close({k: np.array(v) for k, v in result["grads"].items()}, expected_grads)


def test_blocker_would_catch_a_sympy_import(tmp_path):
    # The check above can fail: a module that imports SymPy does not get past the blocker.
    done = run_blocked(tmp_path, "import sympy\n", {})
    assert done.returncode != 0 and "sympy is blocked" in done.stderr


# The module's text -------------------------------------------------------------


def _bound_names(source: str) -> list[str]:
    """Each name of the loop over blocks where it is first bound (z1 = ...) or first added to (dW1 += ...)."""
    body = [line.strip() for line in source.splitlines() if line.startswith(" " * 8)]
    loop = [line.split() for line in body if not line.startswith("#")]
    return list(dict.fromkeys(words[0] for words in loop if words[1:2] in (["="], ["+="])))


def test_module_is_one_block_per_layer_named_like_the_lecture():
    net = symbp.Network([2, 3, 3, 1], "tanh", "squared_error")
    source = module_source(net)
    ast.parse(source)
    names = _bound_names(source)
    forward = [n for n in names if n[:1] in "za" and n[1:].isdigit()]
    assert forward == ["a0", "z1", "a1", "z2", "a2", "z3", "a3"]
    backward = [n for n in names if n.startswith(("delta", "dW", "db"))]
    assert backward == ["delta3", "dW3", "db3", "delta2", "dW2", "db2", "delta1", "dW1", "db1"]
    assert "import sympy" not in source and "symbp" not in source.split('"""', 2)[2]
    assert module_source(net) == source  # deterministic


def test_a_sigmoid_layer_keeps_z_only_where_a_later_formula_reads_it():
    # sigma(z) needs only -z = -b - a W^T, one pass from the product: no z array, unless the
    # cost reads z (binary cross-entropy from the logit) or sigma' does (relu's step).
    source = module_source(symbp.Network([2, 3, 3, 1], ["sigmoid", "relu", "sigmoid"], "binary_cross_entropy"))
    names = _bound_names(source)
    assert [n for n in names if n[:1] in "za" and n[1:].isdigit()] == ["a0", "a1", "z2", "a2", "z3", "a3"]
    assert "z1_block" not in source and "minus_b1_rows[...] = -b1" in source
    assert "b2_rows[...] = b2" in source and "b3_rows[...] = b3" in source


def test_elementwise_formulas_come_from_the_registries():
    # sigma' as the registry writes it (sigmoid: a(1 - a)); relu and leaky relu as maximum/where, not select/reduce.
    source = module_source(symbp.Network([2, 3, 2, 1], ["relu", "leaky_relu", "sigmoid"], "squared_error"))
    assert "# delta3 = dC_da3*a3*(1 - a3)" in source  # the formula, over the lines computing it in place
    assert "a1 = numpy.maximum(z1, 0, out=a1_block[:n])" in source
    assert "# a2 = (1/100)*z2 + (99/100)*numpy.maximum(0, z2)" in source  # z/100 + (99/100) max(0, z)
    assert "numpy.where(numpy.greater(z1, 0), 1, 0)" in source
    assert "select" not in source and "reduce" not in source
    net = symbp.Network([2, 2], "tanh", "squared_error")
    form = vectorize(symbp.backprop(net, tuple(net.entries(kinds=("W", "b")))))
    a1 = sp.Symbol("a1", real=True)
    assert sp.expand(form.layers[0].local - (1 - a1**2)) == 0


def test_abstract_networks_cannot_be_compiled():
    for net in (symbp.DEFAULT_NETWORK, symbp.Network([2, 2, 1], ["sigmoid", "sigmoid"], "abstract")):
        for make in (module_source, symbp.gradient_function):
            with pytest.raises(symbp.SymbpError) as error:
                make(net)
            message = str(error.value)
            assert "\n" not in message and "abstract" in message


def test_bad_inputs_get_one_clear_error():
    net = symbp.Network([2, 3, 1], "sigmoid", "squared_error")
    f = symbp.gradient_function(net)
    params = {"W1": np.zeros((3, 2)), "b1": np.zeros(3), "W2": np.zeros((1, 3)), "b2": np.zeros(1)}
    with pytest.raises(ValueError, match=r"params\['W1'\] has shape \(2, 3\)"):
        f({**params, "W1": np.zeros((2, 3))}, np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="missing 'b2'"):
        f({k: v for k, v in params.items() if k != "b2"}, np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"x has shape \(2,\)"):
        f(params, np.zeros(2), np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"t has shape \(4,\)"):
        f(params, np.zeros((4, 2)), np.zeros(4))


def test_kept_block_arrays_carry_nothing_between_calls_or_threads():
    # The generated code keeps its block arrays between calls, one set per thread: each call's answer
    # must be the one a freshly compiled function gives, whatever ran before it or beside it.
    net = symbp.Network([4, 16, 2], ["tanh", "sigmoid"], "binary_cross_entropy")
    rng = np.random.default_rng(11)
    params = {key: rng.uniform(-1, 1, shape) for key, shape in point_shapes(net).items() if key not in ("x", "t")}
    batches = [(rng.uniform(-1, 1, (n, 4)), rng.uniform(0.1, 0.9, (n, 2))) for n in (3, 5000, 7, 4000)]
    expected = [symbp.gradient_function(net)(params, x, t) for x, t in batches]  # each on a function of its own

    def same(got, want) -> bool:
        return got[0] == want[0] and all(np.array_equal(got[1][k], want[1][k]) for k in want[1])

    f = symbp.gradient_function(net)
    assert all(same(f(params, x, t), want) for (x, t), want in zip(batches, expected))  # smaller after larger too

    failures = []

    def worker(index: int) -> None:
        x, t = batches[index]
        for _ in range(20):
            if not same(f(params, x, t), expected[index]):
                failures.append(index)

    threads = [threading.Thread(target=worker, args=(i,)) for i in (1, 3, 1, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
