"""symbp.inplace: formulas written as NumPy calls into preallocated arrays compute what the formula says.

Oracle: ``sympy.lambdify`` of the same formula (NumPy's own evaluation, temporaries and all).
The in-place claim is measured: while the statements run, tracemalloc sees no array allocated.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import sympy as sp

import symbp
from symbp.activations import STABLE_SIGMOID
from symbp.codegen import _IN_PLACE, _Print, module_source
from symbp.inplace import InPlaceWriter, Scratch, Target

z, a, d, t = sp.symbols("z a d t", real=True)
N = 50_000
ARRAY_BYTES = N * 8

FORMULAS = {
    "1 - a": 1 - a,
    "sigmoid'": a * (1 - a),
    "delta": d * a * (1 - a),
    "tanh'": 1 - a**2,
    "squared error": sp.Rational(1, 2) * (a - t) ** 2,
    "BCE dC/da": -t / a + (1 - t) / (1 - a),
    "BCE from logit": sp.log(1 + sp.exp(z)) - t * z,
    "sigmoid": 1 / (1 + sp.exp(-z)),
    "leaky relu": z / 100 + sp.Rational(99, 100) * sp.Max(0, z),
    "all terms negative": -a - t,
    "a number over an array": 2 / a,
    "min and a cube": sp.Min(z, 1) + a**3,
    "nested functions": sp.tanh(z) * sp.exp(z) - sp.log(a) + sp.sqrt(a),
    "a composite divisor": d / (a + t * z),
    "a negated product": -(a * z),
    "abs": sp.Abs(z) * 3,
    "exp of a power": sp.exp(-(z**2)),
}


@pytest.fixture(scope="module")
def helpers() -> dict[str, object]:
    """The generated module's own _sigmoid and _softplus."""
    namespace: dict[str, object] = {}
    exec(module_source(symbp.Network([1, 1], "sigmoid", "binary_cross_entropy")), namespace)
    return {"_sigmoid": namespace["_sigmoid"], "_softplus": namespace["_softplus"]}


def arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        "z": rng.uniform(-3, 3, N),
        "a": rng.uniform(0.1, 0.9, N),
        "d": rng.uniform(-1, 1, N),
        "t": rng.uniform(0.1, 0.9, N),
    }


def run(formula: sp.Expr, namespace: dict[str, object]) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    """The writer's statements for ``result = formula``, executed: (result, its storage, peak bytes, statements)."""
    printer = _Print()
    scratch = Scratch("s")
    lines = InPlaceWriter(printer, _IN_PLACE).assign(Target("result", "result_block[:n]"), printer.stable(formula), scratch)
    namespace = {**namespace, "numpy": np, "n": N, "result_block": np.empty(N)}
    namespace.update({f"s{k}_block": np.empty(N) for k in range(scratch.used)})
    code = compile("\n".join(lines), "<statements>", "exec")
    tracemalloc.start()
    try:
        exec(code, namespace)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return namespace["result"], namespace["result_block"], peak, lines


@pytest.mark.parametrize("name", FORMULAS)
def test_statements_compute_the_formula_in_preallocated_arrays(name, helpers):
    formula = FORMULAS[name]
    inputs = arrays()
    want = sp.lambdify((z, a, d, t), formula, "numpy")(inputs["z"], inputs["a"], inputs["d"], inputs["t"])
    got, storage, peak, lines = run(formula, {**inputs, **helpers})
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg="\n".join(lines))
    assert np.shares_memory(got, storage), lines  # the result is the preallocated array
    assert peak < ARRAY_BYTES / 4, lines  # and no array-sized temporary was made on the way
    for input_name, before in arrays().items():  # the inputs are read, never written
        np.testing.assert_array_equal(inputs[input_name], before, err_msg=f"{input_name} written by {lines}")


def test_a_sigmoid_is_one_call_of_the_helper():
    printer = _Print()
    lines = InPlaceWriter(printer, _IN_PLACE).assign(Target("a1", "a1_block[:n]"), STABLE_SIGMOID(z), Scratch("s"))
    assert lines == ["a1 = _sigmoid(z, out=a1_block[:n])"]


def test_a_bare_symbol_is_bound_without_a_copy():
    lines = InPlaceWriter(_Print(), _IN_PLACE).assign(Target("a1", "a1_block[:n]"), z, Scratch("s"))
    assert lines == ["a1 = z"]


def test_what_has_no_numpy_operation_is_copied_in_and_still_right(helpers):
    # Piecewise is left to NumPy's own evaluation (numpy.where), then copied into the target.
    formula = d * sp.Piecewise((1, z > 0), (sp.Rational(1, 100), True))
    inputs = arrays()
    want = inputs["d"] * np.where(inputs["z"] > 0, 1, 0.01)
    got, storage, _, lines = run(formula, {**inputs, **helpers})
    np.testing.assert_allclose(got, want, rtol=1e-15)
    assert np.shares_memory(got, storage) and any("numpy.where" in line for line in lines)
