"""``symbp example --batch N --l2 LAMBDA``: every example's pass, the 1/N mean and lambda W, with numbers.

The oracle is PyTorch (float64 autograd): C = (1/N) sum_n C^{(n)} + (lambda/2) sum W^2, its gradients,
and delta^{(m),(n)} = N dC/dz^{(m),(n)} (C holds example n's cost with weight 1/N).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from oracle import need_torch
from test_batch_decay_cli import POINT  # three examples of the 2,2,1 network
from test_cli import invoke, ok

pytestmark = pytest.mark.slow  # PyTorch's import alone is seconds: run by .ci/run (pytest -m slow)

NET = ("--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error")
N, LAMBDA = 3, 0.1


def torch_pass(point: dict, l2: float, hidden: str = "sigmoid") -> dict:
    """C, every z and delta (rows: examples), and the gradients, by autograd; ``hidden`` sigmoid or silu."""
    torch = need_torch()
    sigma = {"sigmoid": torch.sigmoid, "silu": torch.nn.functional.silu}
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k not in "xt") for k, v in point.items()}
    rows = p["x"].shape[0] if p["x"].dim() == 2 else 1
    a, zs = p["x"].reshape(rows, -1), []
    for m in (1, 2):
        z = a @ p[f"W{m}"].T + p[f"b{m}"]
        z.retain_grad()
        zs.append(z)
        a = sigma[hidden if m == 1 else "sigmoid"](z)
    cost = (0.5 * ((a - p["t"].reshape(rows, -1)) ** 2).sum(dim=1)).mean()
    cost = cost + l2 / 2 * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    cost.backward()
    return {"C": cost.item(), "z": [z.detach().numpy() for z in zs],
            "delta": [rows * z.grad.numpy() for z in zs],
            "grad": {k: v.grad.numpy() for k, v in p.items() if k not in "xt"}}


@pytest.fixture
def point_file(tmp_path):
    path = tmp_path / "point.json"
    path.write_text(json.dumps(POINT))
    return path


def test_batch_and_decay_numbers_match_pytorch(point_file):
    data = json.loads(ok("example", *NET, "--batch", str(N), "--l2", str(LAMBDA), "--point", str(point_file),
                         "-f", "json").stdout)
    want = torch_pass(POINT, LAMBDA)
    assert data["C"] == pytest.approx(want["C"], rel=1e-12)
    for m in (1, 2):
        np.testing.assert_allclose(data["forward"][f"z{m}"], want["z"][m - 1], rtol=1e-12)
        np.testing.assert_allclose(data["deltas"][f"delta{m}"], want["delta"][m - 1], rtol=1e-10)
    for key, value in want["grad"].items():
        np.testing.assert_allclose(data["grad"][key], value, rtol=1e-10, atol=1e-15)


def test_one_step_of_descent_uses_the_decayed_batch_gradient(point_file):
    data = json.loads(ok("example", *NET, "--batch", str(N), "--l2", str(LAMBDA), "--point", str(point_file),
                         "--lr", "0.5", "--steps", "2", "-f", "json").stdout)
    want = torch_pass(POINT, LAMBDA)
    for key, value in want["grad"].items():
        np.testing.assert_allclose(data["updated"][key], np.array(POINT[key]) - 0.5 * value, rtol=1e-10)
    after = torch_pass({**POINT, **data["updated"]}, LAMBDA)
    assert data["steps"][0]["C"] == pytest.approx(after["C"], rel=1e-12)


def test_decay_alone_adds_lambda_w_to_one_example_s_gradients(tmp_path):
    one = {"x": [1.0, 2.0], "t": [0.5], **{k: POINT[k] for k in ("W1", "b1", "W2", "b2")}}
    path = tmp_path / "one.json"
    path.write_text(json.dumps(one))
    data = json.loads(ok("example", *NET, "--l2", "0.25", "--point", str(path), "-f", "json").stdout)
    want, plain = torch_pass(one, 0.25), torch_pass(one, 0.0)
    assert data["C"] == pytest.approx(want["C"], rel=1e-12)
    for key in ("W1", "W2"):
        np.testing.assert_allclose(data["grad"][key], plain["grad"][key] + 0.25 * np.array(one[key]), rtol=1e-10)
    for key in ("b1", "b2"):  # biases are not decayed
        np.testing.assert_allclose(data["grad"][key], plain["grad"][key], rtol=1e-10)


def test_the_text_shows_each_example_the_mean_and_the_decay_with_numbers(point_file):
    text = ok("example", *NET, "--batch", str(N), "--l2", str(LAMBDA), "--point", str(point_file)).stdout
    for n in "¹²³":  # every example's own forward and backward pass
        assert f"C⁽{n}⁾ = (a⁽²⁾⁽{n}⁾ - t⁽{n}⁾)²/2" in text
        assert f"δ⁽²⁾⁽{n}⁾ = (a⁽²⁾⁽{n}⁾ - t⁽{n}⁾) · a⁽²⁾⁽{n}⁾ · (1 - a⁽²⁾⁽{n}⁾)" in text
    # dC/dW1_11 = (1/3)(sum over the examples of delta a) + lambda W, in the lecture's order, with the numbers put in
    line = "∂C/∂W⁽¹⁾₁₁ = 1/3 · (δ⁽¹⁾⁽¹⁾₁ · a⁽⁰⁾⁽¹⁾₁ + δ⁽¹⁾⁽²⁾₁ · a⁽⁰⁾⁽²⁾₁ + δ⁽¹⁾⁽³⁾₁ · a⁽⁰⁾⁽³⁾₁) + λ · W⁽¹⁾₁₁"
    assert line in text
    # the derivation writes the same terms in the same order
    derived = ok("derive", "W1_1_1", *NET, "--batch", str(N), "--l2", str(LAMBDA), "-m", "backprop").stdout
    assert line.split(" = ")[1] in derived
    assert ") + 0.1 · 0.1 = " in text  # lambda = 0.1 times W1_11 = 0.1
    assert "∂C/∂b⁽²⁾ = 1/3 · (δ⁽²⁾⁽¹⁾ + δ⁽²⁾⁽²⁾ + δ⁽²⁾⁽³⁾)" in text
    # C = (1/N) sum_n C^(n) + (lambda/2) sum W^2, the decay as one sum with its value, not 6 squares in C's row
    assert "C = 1/3 · (C⁽¹⁾ + C⁽²⁾ + C⁽³⁾) + λ/2 · (Σₘ₌₁² Σᵢⱼ (W⁽ᵐ⁾ᵢⱼ)²)" in text
    squares = sum(w * w for key in ("W1", "W2") for w in np.ravel(POINT[key]))
    assert f"Σₘ₌₁² Σᵢⱼ (W⁽ᵐ⁾ᵢⱼ)² = " in text and f" = {squares:.6f}" in text
    assert f"+ 0.1/2 · {squares:.6f}" in text


def test_latex_and_markdown_carry_the_batch_and_the_decay(point_file):
    for fmt in ("latex", "markdown"):
        text = ok("example", *NET, "--batch", str(N), "--l2", str(LAMBDA), "--point", str(point_file),
                  "-f", fmt).stdout
        assert r"\delta^{(1),(3)}_{1}" in text and r"\lambda" in text and r"\frac{\partial C}{\partial W^{(1)}_{11}}" in text


def test_a_random_batch_point_has_n_rows():
    data = json.loads(ok("example", *NET, "--batch", "2", "--seed", "3", "-f", "json").stdout)
    assert np.array(data["forward"]["z1"]).shape == (2, 2)
    assert np.array(data["deltas"]["delta2"]).shape == (2, 1)


def test_entry_paths_are_refused_with_a_batch_or_decay_in_one_line(point_file):
    result = invoke("example", *NET, "--batch", str(N), "--point", str(point_file), "--entry", "W1_1_1")
    assert result.exit_code == 2 and result.stderr.startswith("symbp: error: --entry W1_1_1 shows the naive paths")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_point_of_one_example_with_batch_2_is_refused_naming_the_rows(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"x": [1.0, 2.0], "t": [0.5], **{k: POINT[k] for k in ("W1", "b1", "W2", "b2")}}))
    result = invoke("example", *NET, "--batch", "2", "--point", str(path))
    assert result.exit_code == 2 and "'x' has shape (2,), the network needs (2, 2)" in result.stderr


def test_a_defined_non_linearity_in_a_decayed_batch_matches_pytorch_silu(point_file):
    data = json.loads(ok("example", "--define", "swish=x/(1+exp(-x))", "--layers", "2,2,1", "--activations",
                         "swish,sigmoid", "--cost", "squared_error", "--batch", str(N), "--l2", str(LAMBDA),
                         "--point", str(point_file), "-f", "json").stdout)
    want = torch_pass(POINT, LAMBDA, hidden="silu")
    assert data["C"] == pytest.approx(want["C"], rel=1e-12)
    for key, value in want["grad"].items():
        np.testing.assert_allclose(data["grad"][key], value, rtol=1e-10, atol=1e-15)
