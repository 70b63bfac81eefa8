"""Saturated binary cross-entropy and softplus far out: finite numbers, equal to mpmath at 50 digits."""

from __future__ import annotations

import importlib.util
import json
import warnings

import mpmath
import numpy as np
import pytest
from typer.testing import CliRunner

import symbp
from symbp.cli import app

mpmath.mp.dps = 50


def _sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def _softplus(z):
    return mpmath.log(1 + mpmath.exp(z))


# z^{(1)} = 40: the sigmoid output rounds to 1.0, so the lecture's dC/da = (1 - t)/(1 - a) divides by 0.
BCE = symbp.Network([1, 1], "sigmoid", "binary_cross_entropy")
BCE_POINT = {"x": [1.0], "t": [0.3], "W1": [[40.0]], "b1": [0.0]}


def _bce_oracle():
    x, t, w, b = (mpmath.mpf(v) for v in ("1", "0.3", "40", "0"))
    a = _sigmoid(w * x + b)
    cost = -(t * mpmath.log(a) + (1 - t) * mpmath.log(1 - a))
    delta = (-t / a + (1 - t) / (1 - a)) * a * (1 - a)  # the lecture's base case, at 50 digits
    return float(cost), {"W1": [[float(delta * x)]], "b1": [float(delta)]}


# z^{(1)} = 800: exp(800) overflows float64, softplus(800) = 800 does not.
SOFTPLUS = symbp.Network([1, 1, 1], ["softplus", "identity"], "squared_error")
SOFTPLUS_POINT = {"x": [1.0], "t": [0.5], "W1": [[800.0]], "b1": [0.0], "W2": [[0.001]], "b2": [0.0]}


def _softplus_oracle():
    x, t, w1, w2 = (mpmath.mpf(v) for v in ("1", "0.5", "800", "0.001"))
    z1 = w1 * x
    a1 = _softplus(z1)
    a2 = w2 * a1
    delta2 = a2 - t
    delta1 = delta2 * w2 * _sigmoid(z1)
    cost = (a2 - t) ** 2 / 2
    return float(cost), {"W1": [[float(delta1 * x)]], "b1": [float(delta1)], "W2": [[float(delta2 * a1)]],
                         "b2": [float(delta2)]}


CASES = [(BCE, BCE_POINT, _bce_oracle), (SOFTPLUS, SOFTPLUS_POINT, _softplus_oracle)]
IDS = ["saturated_binary_cross_entropy_z40", "softplus_z800"]


def _assert_matches(cost, grads, oracle):
    expected_cost, expected = oracle()
    assert np.isfinite(cost) and cost == pytest.approx(expected_cost, rel=1e-12)
    for key, value in expected.items():
        assert np.all(np.isfinite(grads[key]))
        np.testing.assert_allclose(grads[key], value, rtol=1e-12)


@pytest.mark.parametrize(
    ("net", "point", "oracle", "method"),
    [(*CASES[0], "backprop"), (*CASES[1], "backprop"), (*CASES[1], "naive")],
    ids=[f"{IDS[0]}-backprop", f"{IDS[1]}-backprop", f"{IDS[1]}-naive"],
)
def test_gradient_at_is_finite_and_exact(net, point, oracle, method):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        result = symbp.gradient_at(net, {k: np.array(v) for k, v in point.items()}, method)
    _assert_matches(result.cost, result.gradients, oracle)


@pytest.mark.parametrize(("net", "point", "oracle"), CASES, ids=IDS)
def test_cli_grad_is_finite_and_exact(tmp_path, net, point, oracle):
    path = tmp_path / "point.json"
    path.write_text(json.dumps(point))
    layers = ",".join(map(str, net.layers))
    result = CliRunner().invoke(app, ["grad", "-p", str(path), "--format", "json", "--layers", layers,
                                      "--activations", ",".join(net.activations), "--cost", net.cost])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    _assert_matches(data["C"], {k: np.array(v) for k, v in data["grad"].items()}, oracle)


@pytest.mark.parametrize(("net", "point", "oracle"), CASES, ids=IDS)
def test_generated_code_is_finite_and_exact(tmp_path, net, point, oracle):
    params = {k: np.array(v) for k, v in point.items() if k not in ("x", "t")}
    x, t = np.array([point["x"]]), np.array([point["t"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost, grads = symbp.gradient_function(net)(params, x, t)
    _assert_matches(cost, grads, oracle)

    module = tmp_path / "generated.py"  # the module `symbp codegen` writes, imported on its own
    layers = ",".join(map(str, net.layers))
    result = CliRunner().invoke(app, ["codegen", "--layers", layers, "--activations", ",".join(net.activations),
                                      "--cost", net.cost, "--out", str(module)])
    assert result.exit_code == 0, result.output
    spec = importlib.util.spec_from_file_location("generated", module)
    generated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generated)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost, grads = generated.loss_and_gradients(params, x, t)
    _assert_matches(cost, grads, oracle)
