"""The generated code in float32: close to float64 at float32's precision, finite where exp overflows.

Oracles: the float64 generated code (itself checked against finite differences and
tests/oracle.py's forward pass in tests/test_codegen.py) on every non-linearity and
cost; the cost from tests/oracle.py; closed forms of a one-unit network written out
with Python's math module, past float32's exp overflow (|z| > 88.7).
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_cli import invoke
from test_codegen import CASES, _case_id, case

import symbp
from symbp.codegen import DTYPES, block_rows, module_source

FLOAT32_REL = 1e-5
"""About 100 float32 roundings (eps 1.2e-7): the observed worst is 5e-7 of the largest gradient."""


def assert_float32_close(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    scale = max(float(np.max(np.abs(w))) for w in want.values())
    assert got.keys() == want.keys()
    for key in want:
        assert got[key].dtype == np.float32, key
        np.testing.assert_allclose(got[key], want[key], rtol=FLOAT32_REL, atol=FLOAT32_REL * scale, err_msg=key)


@pytest.mark.parametrize("index", range(len(CASES)), ids=_case_id)
def test_float32_gradients_match_float64_at_float32_precision(index):
    net, params, x, t, expected_cost, _ = case(index)
    cost, grads = symbp.gradient_function(net, dtype="float32")(params, x, t)
    _, float64_grads = symbp.gradient_function(net)(params, x, t)
    assert isinstance(cost, float)
    assert cost == pytest.approx(expected_cost, rel=FLOAT32_REL)
    assert_float32_close(grads, float64_grads)


def test_float32_over_a_large_batch_stays_at_float32_precision():
    # 10,000 samples summed in blocks: an accumulation in float32 that lost precision would show here.
    net = symbp.Network([4, 8, 8, 1], "sigmoid", "squared_error")
    rng = np.random.default_rng(5)
    params = {}
    for m in range(1, net.L + 1):
        params[f"W{m}"] = rng.uniform(-1, 1, (net.D(m), net.D(m - 1)))
        params[f"b{m}"] = rng.uniform(-0.5, 0.5, net.D(m))
    x, t = rng.uniform(-1, 1, (10_000, 4)), rng.uniform(0, 1, (10_000, 1))
    assert 10_000 > block_rows(net, "float32")  # several blocks
    cost32, grads32 = symbp.gradient_function(net, "float32")(params, x, t)
    cost64, grads64 = symbp.gradient_function(net, "float64")(params, x, t)
    assert cost32 == pytest.approx(cost64, rel=FLOAT32_REL)
    assert_float32_close(grads32, grads64)


def _softplus(z: float) -> float:
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


Z_PAST_OVERFLOW = [-200.0, -100.0, -30.0, 0.5, 30.0, 100.0, 200.0]
"""Logits z = x (W = 1, b = 0); float32's exp overflows past 88.7, float64's past 709."""


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_with_cross_entropy_is_finite_and_exact_past_exp_overflow(dtype):
    net = symbp.Network([1, 1], "sigmoid", "binary_cross_entropy")
    x = np.array([[z] for z in Z_PAST_OVERFLOW])
    t = np.array([[0.25], [1.0], [0.0], [0.5], [1.0], [0.0], [0.75]])
    params = {"W1": np.array([[1.0]]), "b1": np.array([0.0])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        cost, grads = symbp.gradient_function(net, dtype)(params, x, t)
    # C = softplus(z) - t z; dC/dz = sigmoid(z) - t; z = W x + b.
    n = len(Z_PAST_OVERFLOW)
    rows = list(zip(Z_PAST_OVERFLOW, t[:, 0]))
    want_cost = sum(_softplus(z) - tk * z for z, tk in rows) / n
    want_b = sum(_sigmoid(z) - tk for z, tk in rows) / n
    want_W = sum((_sigmoid(z) - tk) * z for z, tk in rows) / n
    rel = FLOAT32_REL if dtype == "float32" else 1e-12
    assert cost == pytest.approx(want_cost, rel=rel)
    assert grads["b1"][0] == pytest.approx(want_b, rel=rel)
    assert grads["W1"][0, 0] == pytest.approx(want_W, rel=rel)
    assert grads["W1"].dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_hidden_layer_past_exp_overflow_is_exact_without_warnings(dtype):
    # a1 = sigmoid(x) with x far past exp's overflow (computed from -z = -b - W x), then a2 = a1 + 0: C = a1^2 / 2.
    net = symbp.Network([1, 1, 1], ["sigmoid", "identity"], "squared_error")
    x, t = np.array([[z] for z in Z_PAST_OVERFLOW]), np.zeros((len(Z_PAST_OVERFLOW), 1))
    params = {"W1": np.array([[1.0]]), "b1": np.array([0.25]), "W2": np.array([[1.0]]), "b2": np.array([0.0])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost, grads = symbp.gradient_function(net, dtype)(params, x, t)
    # dC/db1 = a1 sigmoid'(z1) = a1^2 (1 - a1), z1 = x + 1/4; dC/db2 = a1.
    a1 = [_sigmoid(z + 0.25) for z in x[:, 0]]
    n = len(a1)
    rel = FLOAT32_REL if dtype == "float32" else 1e-12
    assert cost == pytest.approx(sum(a * a / 2 for a in a1) / n, rel=rel)
    assert grads["b2"][0] == pytest.approx(sum(a1) / n, rel=rel)
    assert grads["b1"][0] == pytest.approx(sum(a * a * (1 - a) for a in a1) / n, rel=rel)


def test_float32_sigmoid_is_within_float32_rounding_of_the_exact_value_sample_by_sample():
    # a = sigmoid(z) for z from -40 to 40 (float32 computes exp(-z) as 2**(-z log2 e)); C = a^2 / 2 with t = 0
    # (below z = -43, a^2 underflows float32).
    net = symbp.Network([1, 1], "sigmoid", "squared_error")
    loss = symbp.gradient_function(net, "float32")
    params = {"W1": np.array([[1.0]]), "b1": np.array([0.0])}
    for z in np.linspace(-40, 40, 321, dtype=np.float32):
        cost, _ = loss(params, np.array([[z]]), np.zeros((1, 1)))
        assert math.sqrt(2 * cost) == pytest.approx(_sigmoid(float(z)), rel=FLOAT32_REL, abs=0), z


def test_softplus_hidden_layer_in_float32_past_exp_overflow():
    # a = softplus(z) with z = +-100: log(1 + exp(100)) would be inf in float32 without the stable form.
    net = symbp.Network([1, 1, 1], ["softplus", "identity"], "squared_error")
    x, t = np.array([[100.0], [-100.0], [1.0]]), np.array([[0.0], [0.0], [0.0]])
    params = {"W1": np.array([[1.0]]), "b1": np.array([0.0]), "W2": np.array([[1.0]]), "b2": np.array([0.0])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost, grads = symbp.gradient_function(net, "float32")(params, x, t)
    # a1 = softplus(x), C = a1^2 / 2; dC/dW1 = a1 sigmoid(x) x, dC/db2 = a1.
    a1 = [_softplus(z) for z in x[:, 0]]
    assert cost == pytest.approx(sum(a * a / 2 for a in a1) / 3, rel=FLOAT32_REL)
    assert grads["b2"][0] == pytest.approx(sum(a1) / 3, rel=FLOAT32_REL)
    want_W1 = sum(a * _sigmoid(z) * z for a, z in zip(a1, x[:, 0])) / 3
    assert grads["W1"][0, 0] == pytest.approx(want_W1, rel=FLOAT32_REL)


def test_an_unknown_dtype_is_refused_naming_the_choices():
    net = symbp.Network([2, 1], "sigmoid", "squared_error")
    for make in (module_source, symbp.gradient_function):
        with pytest.raises(symbp.SymbpError, match=r"'float16'.*float64 or float32"):
            make(net, "float16")
    with pytest.raises(symbp.SymbpError, match="'int32'"):
        block_rows(net, "int32")


# The command ---------------------------------------------------------------------------------------------------


def test_cli_codegen_dtype_float32_writes_a_module_that_imports_and_runs(tmp_path: Path):
    net, params, x, t, expected_cost, _ = case(CASES.index(("tanh", "binary_cross_entropy")))
    path = tmp_path / "net_grad.py"
    layers = ",".join(map(str, net.layers))
    result = invoke("codegen", "--layers", layers, "--activations", ",".join(net.activations), "--cost", net.cost,
                    "--dtype", "float32", "--out", str(path))
    assert result.exit_code == 0, result.stderr
    spec = importlib.util.spec_from_file_location("net_grad_float32", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.DTYPE is np.float32
    cost, grads = module.loss_and_gradients(params, x, t)
    assert cost == pytest.approx(expected_cost, rel=FLOAT32_REL)
    assert_float32_close(grads, symbp.gradient_function(net)(params, x, t)[1])


def test_cli_codegen_bad_dtype_is_one_line_exit_two_and_writes_nothing(tmp_path: Path):
    path = tmp_path / "net_grad.py"
    result = invoke("codegen", "--layers", "2,1", "--activation", "sigmoid", "--cost", "squared_error",
                    "--dtype", "float16", "--out", str(path))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symbp: error:"), result.stderr
    assert "'float16'" in lines[0] and "float64" in lines[0] and "float32" in lines[0]
    assert "Traceback" not in result.output and not path.exists()
