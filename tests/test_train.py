"""Training: XOR is learnt from a fixed seed, deterministically, with the generated gradient code."""

from __future__ import annotations

import json
import re
from math import log

import numpy as np
import pytest
import sympy
from typer.testing import CliRunner

import symbp
import symbp.codegen
from symbp import Network
from symbp.cli import app
from test_cli import make_runner
from symbp.datasets import Dataset, load
from symbp.numeric import evaluator_for
from symbp.train import train

XOR_NET = Network([2, 4, 1], ["tanh", "sigmoid"], "binary_cross_entropy")

# Mean binary cross-entropy over XOR's 4 rows below ln(2)/4 means every row's -log p(right class)
# is below ln 2, i.e. p > 1/2: all four classed right. That is the least "has learnt XOR" means.
XOR_THRESHOLD = log(2) / 4


def test_xor_is_learnt_from_a_fixed_seed_and_the_same_every_run():
    first = train(XOR_NET, load("xor"), epochs=600, lr=0.5, seed=0)
    again = train(XOR_NET, load("xor"), epochs=600, lr=0.5, seed=0)
    assert first.final_cost < XOR_THRESHOLD
    assert first.accuracy == 1.0
    assert first.costs == again.costs
    assert all(np.array_equal(first.parameters[k], again.parameters[k]) for k in first.parameters)


def test_the_recorded_cost_is_the_mean_cost_of_the_data_written_out():
    data = load("xor")
    result = train(XOR_NET, data, epochs=5, lr=0.5, seed=1, batch_size=2)
    p = result.parameters
    a1 = np.tanh(data.x @ p["W1"].T + p["b1"])
    a2 = 1 / (1 + np.exp(-(a1 @ p["W2"].T + p["b2"])))
    t = data.t
    assert result.final_cost == pytest.approx(float(np.mean(-t * np.log(a2) - (1 - t) * np.log(1 - a2))), rel=1e-12)


def test_one_full_batch_epoch_is_one_gradient_step_of_numpy_s():
    data = load("xor")
    result = train(XOR_NET, data, epochs=1, lr=0.5, seed=2)
    rng = np.random.default_rng(2)  # the same initial weights: uniform in +-1/sqrt(fan-in), zero biases
    W1, W2 = rng.uniform(-1 / np.sqrt(2), 1 / np.sqrt(2), (4, 2)), rng.uniform(-0.5, 0.5, (1, 4))
    a1 = np.tanh(data.x @ W1.T)
    a2 = 1 / (1 + np.exp(-(a1 @ W2.T)))
    delta2 = (a2 - data.t) / len(data.x)  # BCE with a sigmoid output: dC/dz = a - t; mean over rows
    delta1 = (delta2 @ W2) * (1 - a1**2)
    np.testing.assert_allclose(result.parameters["W2"], W2 - 0.5 * delta2.T @ a1, rtol=1e-12)
    np.testing.assert_allclose(result.parameters["W1"], W1 - 0.5 * delta1.T @ data.x, rtol=1e-12)


def test_training_uses_the_generated_code_once_not_lambdify_per_entry_or_epoch(monkeypatch):
    compiled, lambdified = [], []
    real_compile, real_lambdify = symbp.codegen.gradient_function, sympy.lambdify
    monkeypatch.setattr(symbp.codegen, "gradient_function", lambda net: compiled.append(net) or real_compile(net))
    monkeypatch.setattr(sympy, "lambdify", lambda *a, **k: lambdified.append(a) or real_lambdify(*a, **k))
    evaluator_for.cache_clear()
    train(XOR_NET, load("xor"), epochs=1, seed=0)
    calls_for_one_epoch = len(lambdified)
    evaluator_for.cache_clear()
    train(XOR_NET, load("xor"), epochs=40, seed=0)
    assert compiled == [XOR_NET, XOR_NET]
    # Only the final accuracy's forward pass lambdifies (z and a of each layer, C, and binary cross-entropy's
    # stable form from the logit): never per entry or epoch.
    assert len(lambdified) - calls_for_one_epoch == calls_for_one_epoch <= 2 * XOR_NET.L + 2
    assert calls_for_one_epoch < XOR_NET.parameter_count


def test_shipped_sets_and_user_files_load(tmp_path):
    spiral = load("spiral")
    assert spiral.x.shape == (100, 2) and sorted(np.unique(spiral.t)) == [0, 1] and spiral.is_classes
    rows = [{"x": [0, 1], "t": 1}, {"x": [1, 1], "t": 0}]
    (tmp_path / "d.json").write_text(json.dumps(rows))
    (tmp_path / "d.csv").write_text("x1,x2,t\n0,1,1\n1,1,0\n")
    for name in ("d.json", "d.csv"):
        data = load(str(tmp_path / name))
        assert data.x.tolist() == [[0, 1], [1, 1]] and data.t.tolist() == [[1], [0]]


def test_train_command_reports_writes_parameters_and_they_read_back(tmp_path):
    params = tmp_path / "trained.json"
    result = make_runner().invoke(app, ["train", "--data", "xor", "--epochs", "300", "--params", str(params),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["costs"]) == 301 and data["final_cost"] == data["costs"][-1] and data["accuracy"] == 1.0
    point = json.loads(params.read_text())
    assert set(point) == {"x", "t", "W1", "b1", "W2", "b2"} and point["W1"] == data["parameters"]["W1"]
    grad = make_runner().invoke(app, ["grad", "--point", str(params), "--layers", "2,8,1", "--activations",
                                    "tanh,sigmoid", "--cost", "binary_cross_entropy", "--format", "json"])
    assert grad.exit_code == 0, grad.output


@pytest.mark.parametrize("args,words", [
    (["--data", "nope"], "neither a shipped set"),
    (["--data", "xor", "--layers", "3,2,1", "--activation", "sigmoid", "--cost", "squared_error"],
     "has 2 inputs per row where network 3,2,1 needs 3; give CSV header x1,x2,x3,t"),
    (["--data", "xor", "--batch-size", "9"], "batch size 9 must be 1 to 4"),
    (["--data", "xor", "--lr", "0"], "learning rate 0.0 must be a positive number"),
    (["--data", "xor", "--plot", "x.gif"], "must end in .png, .svg or .pdf"),
])
def test_bad_train_options_are_one_line(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    result = make_runner().invoke(app, ["train", *args])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and words in result.stderr and list(tmp_path.iterdir()) == []


def test_dataset_is_frozen():
    data = load("xor")
    with pytest.raises(AttributeError):
        data.name = "other"  # type: ignore[misc]
    assert isinstance(data, Dataset)


def test_a_diverging_run_stops_with_one_line_naming_the_epoch_and_the_rate(tmp_path):
    """relu at lr 1e300: one step makes the weights ~1e300, so a^2 overflows float64 (1e600 > 1.8e308)."""
    assert 1e300 * 1e300 == float("inf")
    with np.errstate(over="ignore"):
        result = CliRunner().invoke(app, ["train", "-d", "xor", "--layers", "2,3,1", "--activation", "relu",
                                          "--cost", "squared_error", "--lr", "1e300", "--epochs", "5"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "at epoch 1" in result.stderr and "lower --lr (now 1e+300)" in result.stderr
    assert "Warning" not in result.stderr


@pytest.mark.parametrize("cost, target, accepted", [
    ("binary_cross_entropy", 2.0, "probabilities in [0, 1]"),  # -t log a - (1-t) log(1-a) is unbounded below for t > 1
    ("binary_cross_entropy", -0.5, "probabilities in [0, 1]"),
    ("cross_entropy", -1.0, "probabilities in [0, 1]"),  # -t log a with t < 0 rewards a -> 0
    ("cross_entropy", 2.0, "probabilities in [0, 1]"),
])
def test_targets_that_do_not_go_with_the_cost_are_refused_naming_the_row(cost, target, accepted):
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    outputs, activations = (1, "sigmoid") if cost == "binary_cross_entropy" else (2, ["sigmoid", "softmax"])
    t = np.full((3, outputs), 0.5)
    t[2, 0] = target
    layers = [2, outputs] if outputs == 1 else [2, 2, outputs]
    with pytest.raises(symbp.SymbpError, match=rf"row 3: targets .*{re.escape(accepted)}"):
        train(Network(layers, activations, cost), Dataset("rows", x, t), epochs=1)


def test_a_definition_no_layer_uses_is_refused_not_silently_dropped(tmp_path):
    """train's default network is tanh then sigmoid: a --define alone would train without it."""
    out = tmp_path / "report.txt"
    result = make_runner().invoke(app, ["train", "--data", "xor", "--define", "sw=x/(1+exp(-x))", "--epochs", "5",
                                        "--out", str(out)])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and "'sw=x/(1+exp(-x))'" in result.stderr and "--activation" in result.stderr
    assert not out.exists()
    used = make_runner().invoke(app, ["train", "--data", "xor", "--define", "sw=x/(1+exp(-x))", "--layers", "2,3,1",
                                      "--activations", "sw,sigmoid", "--cost", "binary_cross_entropy", "--epochs", "5"])
    assert used.exit_code == 0, used.stderr


SOFTMAX_OPTIONS = ["--layers", "2,4,3", "--activations", "tanh,softmax", "--cost", "cross_entropy"]
BLOBS = [([0.1, 0.2], 0), ([2.0, -0.3], 1), ([-0.4, 2.0], 2), ([0.2, -0.1], 0), ([2.2, 0.1], 1), ([0.1, 1.8], 2)]


def test_softmax_trains_from_one_target_column_per_class(tmp_path):
    """The README's multi-target CSV: x1,x2,t1,t2,t3 with one-hot rows, classes told by the largest output."""
    rows = ["x1,x2,t1,t2,t3"] + [f"{x1},{x2}," + ",".join("1" if k == c else "0" for k in range(3)) for (x1, x2), c in BLOBS]
    (tmp_path / "blobs.csv").write_text("\n".join(rows) + "\n")
    data = load(str(tmp_path / "blobs.csv"))
    assert data.t.tolist() == [[float(k == c) for k in range(3)] for _, c in BLOBS]
    result = make_runner().invoke(app, ["train", "--data", str(tmp_path / "blobs.csv"), *SOFTMAX_OPTIONS,
                                        "--epochs", "300", "--lr", "0.5", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accuracy"] == 1.0


def test_class_numbers_in_one_t_column_are_refused_in_one_line_saying_what_is_expected(tmp_path):
    rows = ["x1,x2,t"] + [f"{x1},{x2},{c}" for (x1, x2), c in BLOBS]
    (tmp_path / "blobs.csv").write_text("\n".join(rows) + "\n")
    result = make_runner().invoke(app, ["train", "--data", str(tmp_path / "blobs.csv"), *SOFTMAX_OPTIONS])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    for words in ("'" + str(tmp_path / "blobs.csv") + "' has 1 target per row where network 2,4,3 has 3 outputs",
                  "x1,x2,t1,t2,t3", "one-hot", "class numbers 0..2"):
        assert words in result.stderr, words


def test_a_shipped_set_with_the_wrong_number_of_outputs_names_the_header_it_would_need():
    result = make_runner().invoke(app, ["train", "--data", "xor", "--layers", "2,3,2", "--activations",
                                        "tanh,softmax", "--cost", "cross_entropy"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "has 1 target per row where network 2,3,2 has 2 outputs" in result.stderr and "x1,x2,t1,t2" in result.stderr
