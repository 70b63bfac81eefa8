"""The generated code at the edges a breaker and a newcomer found: user formulas that SymPy writes with
sums of exponentials, exp(2z) over (1 + exp(z))^2 or exp(z) times a step; small calls after large ones;
the cost's type; ragged input. Oracles: derivatives written out by hand, evaluated in math's float64."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

import symbp
from symbp.codegen import module_source

DTYPES = ("float64", "float32")
REL = {"float64": 1e-12, "float32": 1e-5}
BEYOND_EXP = {"float64": 800.0, "float32": 100.0}
"""A z whose exp overflows in that dtype (709 in float64, 88.7 in float32)."""


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def _one_unit(formula: str, dtype: str, zs: list[float]) -> tuple[float, float]:
    """Mean cost and dC/db1 of C = a^2 / 2, a = f(z), z = x (W = 1, b = 0, t = 0), one row per z."""
    net = symbp.Network([1, 1], "f", "squared_error", define={"f": formula})
    params = {"W1": np.array([[1.0]]), "b1": np.array([0.0])}
    x, t = np.array([[z] for z in zs]), np.zeros((len(zs), 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exp overflowing where its value is not selected
        cost, grads = symbp.gradient_function(net, dtype)(params, x, t)
    assert np.isfinite(cost) and np.all(np.isfinite(grads["b1"]))
    return cost, float(grads["b1"][0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_sum_of_exponentials_is_generated_as_a_stable_log_sum_exp(dtype):
    # f = log(exp(x) + exp(-x)) = log(2 cosh x), f' = tanh(x): SymPy's derivative is a ratio of exponential sums.
    zs = [-200.0, -3.0, 0.5, 2.0, 200.0]
    cost, db = _one_unit("log(exp(x)+exp(-x))", dtype, zs)
    f = [abs(z) + math.log1p(math.exp(-2 * abs(z))) for z in zs]
    assert cost == pytest.approx(sum(a * a / 2 for a in f) / len(zs), rel=REL[dtype])
    assert db == pytest.approx(sum(a * math.tanh(z) for a, z in zip(f, zs)) / len(zs), rel=REL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_of_twice_z_over_the_squared_denominator_stays_finite(dtype):
    # f = x sigmoid(x) written with exp: f' = sigmoid(x) + x sigmoid(x)(1 - sigmoid(x)); SymPy's has exp(2x)/(1+exp(x))^2.
    z = BEYOND_EXP[dtype] / 2 + 10  # exp(2z) overflows, exp(z) does not
    cost, db = _one_unit("x*exp(x)/(1+exp(x))", dtype, [z])
    s = _sigmoid(z)
    assert cost == pytest.approx((z * s) ** 2 / 2, rel=REL[dtype])
    assert db == pytest.approx(z * s * (s + z * s * (1 - s)), rel=REL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_logistic_written_with_exp_has_a_finite_gradient_past_overflow(dtype):
    z = BEYOND_EXP[dtype]
    cost, db = _one_unit("exp(x)/(1+exp(x))", dtype, [z, -z, 1.5])
    want = [(_sigmoid(u), _sigmoid(u) * _sigmoid(-u)) for u in (z, -z, 1.5)]
    assert cost == pytest.approx(sum(a * a / 2 for a, _ in want) / 3, rel=REL[dtype])
    assert db == pytest.approx(sum(a * d for a, d in want) / 3, rel=REL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_an_elu_has_a_finite_gradient_where_its_exp_overflows(dtype):
    # f = max(x, 0) + min(0, exp(x) - 1): f' = 1 for x > 0, exp(x) for x < 0; SymPy's f' has exp(x) H(1 - exp(x)).
    zs = [BEYOND_EXP[dtype], 2.0, -1.0, -30.0]
    cost, db = _one_unit("max(x,0)+min(0,exp(x)-1)", dtype, zs)
    f = [z if z > 0 else math.expm1(z) for z in zs]
    df = [1.0 if z > 0 else math.exp(z) for z in zs]
    assert cost == pytest.approx(sum(a * a / 2 for a in f) / len(zs), rel=REL[dtype])
    assert db == pytest.approx(sum(a * d for a, d in zip(f, df)) / len(zs), rel=REL[dtype])


def test_a_small_call_after_a_large_one_gets_arrays_of_its_own_size():
    # Kept block arrays are handed out as their first rows: a 1-row call fills 1 row of b, not BLOCK_ROWS.
    namespace: dict[str, object] = {}
    exec(module_source(symbp.Network([3, 4, 1], "sigmoid", "squared_error"), "float32"), namespace)
    block_arrays = namespace["_block_arrays"]
    assert {len(array) for array in block_arrays(700)} == {700}
    assert {len(array) for array in block_arrays(3)} == {3}


@pytest.mark.parametrize("l2", [0.0, 0.1])
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_cost_is_a_python_float_with_or_without_weight_decay(dtype, l2):
    net = symbp.Network([2, 1], "sigmoid", "squared_error", l2=l2)
    params = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([0.5])}
    cost, _ = symbp.gradient_function(net, dtype)(params, np.array([[1.0, 1.0]]), np.array([[0.0]]))
    z = 1.0 - 2.0 + 0.5
    assert type(cost) is float
    assert cost == pytest.approx(_sigmoid(z) ** 2 / 2 + l2 / 2 * 5.0, rel=REL[dtype])


@pytest.mark.parametrize("x", [[[1.0, 2.0], [3.0]], "ab", [[1.0, "two"]]], ids=["ragged", "string", "word"])
def test_input_that_is_no_array_of_numbers_is_refused_naming_it(x):
    loss = symbp.gradient_function(symbp.Network([2, 1], "sigmoid", "squared_error"))
    with pytest.raises(symbp.SymbpError, match=r"^x is not an array of numbers"):
        loss({"W1": [[1.0, 2.0]], "b1": [0.0]}, x, [[0.0]])


def test_submodules_and_module_source_are_reachable_from_import_symbp():
    code = "import symbp; print(symbp.codegen.module_source is symbp.module_source, symbp.numeric.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "symbp.numeric"]


def test_linecache_keeps_the_source_of_the_most_recent_generated_modules_only():
    import linecache

    from symbp.codegen import LINECACHE_KEPT

    def generated() -> set[str]:
        return {name for name in linecache.cache if name.startswith("<symbp.codegen ")}

    nets = [symbp.Network([2, 1], "sigmoid", "squared_error", l2=k / 1000) for k in range(1, LINECACHE_KEPT + 11)]
    for net in nets:
        symbp.gradient_function(net)
    kept = generated()
    assert len(kept) == LINECACHE_KEPT
    assert f"<symbp.codegen {nets[-1].describe()} float64>" in kept  # the newest stays, for its tracebacks
    assert f"<symbp.codegen {nets[0].describe()} float64>" not in kept


@pytest.mark.parametrize("formula", ["max(x,0)*sigmoid(x)", "max(x,0)*log(1+exp(x))"])
def test_a_sigmoid_or_softplus_under_a_kink_is_computed_inside_the_where(formula):
    # f = relu(x) s(x): f' = s(x) + x s'(x) for x > 0, 0 below; s = sigmoid or softplus.
    zs = [-2.0, 0.3, 3.0]
    cost, db = _one_unit(formula, "float64", zs)
    if "sigmoid" in formula:
        s, ds = _sigmoid, (lambda z: _sigmoid(z) * (1 - _sigmoid(z)))
    else:
        s, ds = (lambda z: math.log1p(math.exp(z))), _sigmoid
    f = [max(z, 0.0) * s(z) for z in zs]
    df = [(s(z) + z * ds(z)) if z > 0 else 0.0 for z in zs]
    assert cost == pytest.approx(sum(a * a / 2 for a in f) / 3, rel=1e-12)
    assert db == pytest.approx(sum(a * d for a, d in zip(f, df)) / 3, rel=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_shifted_logistic_ratio_stays_finite_past_overflow(dtype):
    # f = x sigmoid(x - 1) written with exp(x - 1): SymPy's f' has exp(2x - 2)/(1 + exp(x - 1))^2.
    z = BEYOND_EXP[dtype] / 2 + 10
    cost, db = _one_unit("x*exp(x-1)/(1+exp(x-1))", dtype, [z])
    s = _sigmoid(z - 1)
    assert db == pytest.approx(z * s * (s + z * s * (1 - s)), rel=REL[dtype])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # exp(710), in the branch not selected
@pytest.mark.parametrize("method", ["backprop", "naive", "reference"])
def test_two_steps_around_an_exp_give_the_flat_gradient_not_nan(method):
    # f = min(max(0, 1 - exp(x)), 1) is 0 for x > 0: f' = 0 there, also where exp(x) overflows (x = 710).
    net = symbp.Network([1, 1], "clip", "squared_error", define={"clip": "min(max(0, 1-exp(x)), 1)"})
    point = {"x": [710.0], "t": [0.5], "W1": [[1.0]], "b1": [0.0]}
    gradients = symbp.gradient_at(net, point, method).gradients
    assert gradients["W1"].tolist() == [[0.0]] and gradients["b1"].tolist() == [0.0]
