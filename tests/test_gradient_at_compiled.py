"""gradient_at(..., method="backprop") runs on the compiled gradient function (issue 9).

Oracle: a spy on symbp.codegen.gradient_function (called once, given one row per example) and
central finite differences of the cost written in NumPy here.
"""

from __future__ import annotations

import numpy as np
import pytest

import symbp
import symbp.codegen


def cost_by_hand(params, x, t):
    a1 = np.tanh(params["W1"] @ x + params["b1"])
    a2 = 1 / (1 + np.exp(-(params["W2"] @ a1 + params["b2"])))
    return 0.5 * np.sum((a2 - t) ** 2)


def test_backprop_at_a_point_is_the_compiled_function_on_a_batch_of_one(monkeypatch):
    net = symbp.Network([3, 4, 2], ["tanh", "sigmoid"], "squared_error")
    rng = np.random.default_rng(9)
    point = {"x": rng.normal(size=3), "t": rng.uniform(size=2), "W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=4),
             "W2": rng.normal(size=(2, 4)), "b2": rng.normal(size=2)}
    calls = []
    compile_for = symbp.codegen.gradient_function

    def spy(network, *args):
        function = compile_for(network, *args)

        def called(params, x, t):
            calls.append((np.shape(x), np.shape(t)))
            return function(params, x, t)

        return called

    monkeypatch.setattr(symbp.codegen, "gradient_function", spy)
    result = symbp.gradient_at(net, point, method="backprop")
    assert calls == [((1, 3), (1, 2))]
    params = {k: point[k] for k in ("W1", "b1", "W2", "b2")}
    assert result.cost == pytest.approx(cost_by_hand(params, point["x"], point["t"]), rel=1e-12)
    h = 1e-6
    for key, array in params.items():
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            up, down = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in params.items()}
            up[key][index] += h
            down[key][index] -= h
            numeric[index] = (cost_by_hand(up, point["x"], point["t"]) - cost_by_hand(down, point["x"], point["t"])) / (2 * h)
        np.testing.assert_allclose(result.gradients[key], numeric, rtol=1e-6, atol=1e-9)
