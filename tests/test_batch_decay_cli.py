"""``--batch N`` and ``--l2 LAMBDA`` in every command and format, and the generated code.

Numbers are compared with PyTorch (``test_batch_decay.torch_gradients``, float64 autograd);
the printed derivations with the notation of the course's later lectures written out here:
z^{(m),(n)}, (1/N) sum_n, lambda W^{(m)}_{ij}.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import sympy as sp

import symbp
from symbp.cli import app
from symbp.codegen import gradient_function as compile_network

from oracle import need_torch
from test_batch_decay import torch_gradients
from test_cli import invoke, make_runner, ok

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

NET = ("--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error")
BATCH = ("--batch", "3", "--l2", "0.1")
NETWORK = symbp.Network([2, 2, 1], "sigmoid", "squared_error", batch=3, l2=0.1)
POINT = {
    "x": [[1.0, 2.0], [0.5, -1.0], [0.0, 0.3]],
    "t": [[0.5], [0.1], [0.9]],
    "W1": [[0.1, 0.2], [0.3, 0.4]],
    "b1": [0.0, -0.2],
    "W2": [[0.5, -0.6]],
    "b2": [0.1],
}


def arrays(point: dict) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=float) for k, v in point.items()}


def test_derive_text_shows_the_batch_mean_the_example_index_and_the_decay():
    out = ok("derive", "W1_1_1", "b1_1", *NET, *BATCH, "--method", "all").stdout
    assert "batch: N = 3" in out and "λ = 0.1" in out
    assert "∂C/∂W⁽¹⁾₁₁ = 1/3 · (Σₙ₌₁³ ∂C⁽ⁿ⁾/∂W⁽¹⁾₁₁) + λ · W⁽¹⁾₁₁" in out
    # every example's path, with its own z, a and target
    for n in "¹²³":
        assert f"∂C⁽{n}⁾/∂a⁽²⁾⁽{n}⁾" in out and f"t⁽{n}⁾" in out
    # backprop: (1/N) sum_n delta^{(1),(n)}_1 a^{(0),(n)}_1 + lambda W
    assert "= 1/3 · (δ⁽¹⁾⁽¹⁾₁ · a⁽⁰⁾⁽¹⁾₁ + δ⁽¹⁾⁽²⁾₁ · a⁽⁰⁾⁽²⁾₁ + δ⁽¹⁾⁽³⁾₁ · a⁽⁰⁾⁽³⁾₁) + λ · W⁽¹⁾₁₁" in out
    assert "∂C/∂b⁽¹⁾₁ = 1/3 · (Σₙ₌₁³" in out and "λ · b" not in out  # biases are not decayed


def test_derive_latex_markdown_and_json_carry_the_same_terms():
    latex = ok("derive", "W1_1_1", *NET, *BATCH, "-f", "latex").stdout
    assert r"\frac{1}{3} \left(\sum_{n=1}^{3} \frac{\partial C^{(n)}}{\partial W^{(1)}_{11}}\right)" in latex
    assert r"+ \lambda W^{(1)}_{11}" in latex and "a^{(0),(3)}_{1}" in latex and r"\delta^{(1),(2)}_{1}" in latex
    markdown = ok("derive", "W1_1_1", *NET, *BATCH, "-f", "markdown").stdout
    assert r"\lambda W^{(1)}_{11}" in markdown and "$$" in markdown
    data = json.loads(ok("derive", "W1_1_1", *NET, *BATCH, "-f", "json").stdout)
    assert data["network"]["batch"] == 3 and data["network"]["l2"] == 0.1
    lam, weight = sp.Symbol("λ"), sp.Symbol("W1_1_1")
    assert all(sp.diff(sp.sympify(entry.get("expression", entry.get("formula"))), lam) == weight for entry in data["entries"])


def test_one_example_without_decay_prints_as_before():
    """The default N = 1, lambda = 0: the same bytes with and without the options."""
    for args in (("derive", "W1_1_1", *NET), ("algorithm", *NET), ("cost", *NET)):
        assert ok(*args, "--batch", "1", "--l2", "0").stdout == ok(*args).stdout


def test_check_proves_or_verifies_every_comparison_of_a_batch_with_decay():
    data = json.loads(ok("check", *NET, *BATCH, "--points", "2", "-f", "json").stdout)
    outcomes = {row["outcome"] for row in data["rows"]}
    assert outcomes <= {"proved", "verified"} and "proved" in outcomes


def test_grad_reads_n_rows_and_matches_pytorch(tmp_path):
    point = tmp_path / "point.json"
    point.write_text(json.dumps(POINT))
    expected_cost, expected = torch_gradients(NETWORK, arrays(POINT))
    for method in ("backprop", "naive", "reference"):
        data = json.loads(ok("grad", "--point", str(point), *NET, *BATCH, "-m", method, "-f", "json").stdout)
        assert data["C"] == pytest.approx(expected_cost, rel=1e-9)
        for key, value in expected.items():
            np.testing.assert_allclose(np.array(data["grad"][key]), value, rtol=1e-9, err_msg=key)
    flat_targets = {**POINT, "t": [0.5, 0.1, 0.9]}  # one output: a number per example will do
    point.write_text(json.dumps(flat_targets))
    data = json.loads(ok("grad", "--point", str(point), *NET, *BATCH, "-f", "json").stdout)
    assert data["C"] == pytest.approx(expected_cost, rel=1e-9)


def test_grad_refuses_a_point_with_the_wrong_number_of_rows(tmp_path):
    point = tmp_path / "point.json"
    point.write_text(json.dumps(POINT))
    result = invoke("grad", "--point", str(point), *NET, "--batch", "2")
    assert result.exit_code == 2
    assert result.stderr.startswith("symbp: error: point 'x' has shape (3, 2), the network needs (2, 2)")
    assert len(result.stderr.strip().splitlines()) == 1


def test_generated_code_averages_the_rows_and_adds_the_decay(tmp_path):
    expected_cost, expected = torch_gradients(NETWORK, arrays(POINT))
    module = tmp_path / "net.py"
    ok("codegen", *NET, *BATCH, "--out", str(module))
    source = module.read_text()
    assert "L2 = 0.1" in source and '"b1": db1 / N,' in source  # biases are not decayed
    namespace: dict = {}
    exec(compile(source, str(module), "exec"), namespace)
    params = {k: np.array(v) for k, v in POINT.items() if k not in "xt"}
    for function in (namespace["loss_and_gradients"], compile_network(NETWORK)):
        cost, grads = function(params, np.array(POINT["x"]), np.array(POINT["t"]))
        assert cost == pytest.approx(expected_cost, rel=1e-9)
        for key, value in expected.items():
            np.testing.assert_allclose(grads[key], value, rtol=1e-9, err_msg=key)


def test_algorithm_shows_the_batch_cost_and_the_batch_gradients():
    text = ok("algorithm", *NET, *BATCH).stdout
    assert "Forward pass, for each example n = 1, 2, 3" in text
    assert "C = 1/3 · (Σₙ₌₁³ C⁽ⁿ⁾) + λ/2 · (Σₘ₌₁² Σᵢⱼ (W⁽ᵐ⁾ᵢⱼ)²)" in text
    assert "∂C/∂W⁽ᵐ⁾ᵢⱼ = 1/3 · (Σₙ₌₁³ δ⁽ᵐ⁾⁽ⁿ⁾ᵢ · a⁽ᵐ⁻¹⁾⁽ⁿ⁾ⱼ) + λ · W⁽ᵐ⁾ᵢⱼ" in text
    latex = ok("algorithm", *NET, *BATCH, "-f", "latex").stdout
    assert r"z^{(1),(n)}_{i} &= \sum_{j=1}^{2} W^{(1)}_{ij} a^{(0),(n)}_{j} + b^{(1)}_{i}" in latex


def test_cost_counts_every_example_s_paths_and_the_extra_steps():
    data = json.loads(ok("cost", "W1_1_1", "b2_1", *NET, *BATCH, "-f", "json").stdout)
    weight, bias = data["entries"]["W1_1_1"], data["entries"]["b2_1"]
    # W1_1_1: 3 examples x 1 path of 5 factors = 12 products, then 1/N and lambda W
    assert (weight["paths"], weight["naive"]["multiplications"], weight["naive"]["additions"]) == (3, 14, 3)
    # b2_1: 3 examples x 1 path of 3 factors = 6 products, then 1/N (no decay)
    assert (bias["paths"], bias["naive"]["multiplications"], bias["naive"]["additions"]) == (3, 7, 2)


def test_render_templates_carry_the_batch_and_the_decay():
    notes = ok("render", "-t", "notes.md", *NET, *BATCH).stdout
    assert "| $N$ |" in notes and r"| $\lambda$ |" in notes and r"\lambda W^{(1)}_{12}" in notes
    for template in ("notes.tex", "slides.tex"):
        assert r"\sum_{n=1}^{3} C^{(n)}" in ok("render", "-t", template, *NET, *BATCH).stdout


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_batch_notes_compile(tmp_path):
    out = tmp_path / "notes.pdf"
    ok("render", "--pdf", *NET, *BATCH, "--out", str(out))
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("option, value, accepted", [
    ("--l2", "-0.5", "l2 -0.5 must be a finite number of 0 or more"),
    ("--l2", "nan", "l2 nan must be a finite number of 0 or more"),
    ("--l2", "inf", "l2 inf must be a finite number of 0 or more"),
    ("--batch", "0", "batch 0 is out of range; give a whole number of examples from 1 to 1,000"),
    ("--batch", "5000", "batch 5000 is out of range"),
])
def test_bad_batch_or_decay_is_one_line_and_exit_2_writing_nothing(tmp_path, option, value, accepted):
    for command, suffix in (("derive", "txt"), ("check", "txt"), ("algorithm", "txt"), ("codegen", "py")):
        out = tmp_path / f"out.{suffix}"
        result = invoke(command, *NET, option, value, "--out", str(out))
        assert result.exit_code == 2, (command, result.stdout)
        assert result.stderr.startswith(f"symbp: error: {accepted}") and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


def test_spec_files_give_batch_and_l2_and_options_override_them(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('layers = [2, 2, 1]\nactivations = "sigmoid"\ncost = "squared_error"\nbatch = 2\nl2 = 0.5\n')
    assert "batch: N = 2 · weight decay: λ = 0.5" in ok("derive", "W2_1_1", "--spec", str(spec)).stdout
    assert "batch: N = 4" in ok("derive", "W2_1_1", "--spec", str(spec), "--batch", "4").stdout
    example = json.loads(ok("example", "--spec", str(spec), "-f", "json").stdout)
    assert (example["network"]["batch"], example["network"]["l2"]) == (2, 0.5)
    assert len(example["forward"]["z1"]) == 2


def test_help_says_biases_are_not_decayed():
    text = re.sub(r"\s+", " ", ok("derive", "--help").stdout)
    assert "Biases are not decayed" in text and "--batch" in text


def test_the_matrix_form_shown_in_the_notes_gives_pytorch_s_gradients():
    """dC/dW^{(m)} = (1/N) (Delta^{(m)})^T A^{(m-1)} + lambda W^{(m)}, with row n of Delta and A from example n."""
    from symbp.docmodel import vectorized_document
    from symbp.numeric import gradient_at
    from symbp.printers.latex import LatexDocumentPrinter

    latex = LatexDocumentPrinter(network=NETWORK).doprint(vectorized_document(NETWORK))
    assert (r"\frac{\partial C}{\partial W^{(m)}} &= \frac{1}{3} \bigl(\boldsymbol{\Delta}^{(m)}\bigr)^{\top} "
            r"\mathbf{A}^{(m-1)} + \lambda W^{(m)}") in latex
    assert r"\frac{\partial C}{\partial \mathbf{b}^{(m)}} &= \frac{1}{3} \bigl(\boldsymbol{\Delta}^{(m)}\bigr)^{\top} \mathbf{1}" in latex
    point = arrays(POINT)
    result = gradient_at(NETWORK, point)  # delta and a: one row per example
    _, expected = torch_gradients(NETWORK, point)
    for m in (1, 2):
        Delta, A = result.delta[f"delta{m}"], result.a[f"a{m - 1}"]
        np.testing.assert_allclose(Delta.T @ A / 3 + 0.1 * point[f"W{m}"], expected[f"W{m}"], rtol=1e-9)
        np.testing.assert_allclose(Delta.T @ np.ones(3) / 3, expected[f"b{m}"], rtol=1e-9)


def test_a_softmax_batch_s_base_case_is_a_minus_t_row_by_row():
    """After softmax and cross-entropy Delta^{(L)} = A^{(L)} - T (row n: a - t of example n), not G * sigma'(Z):
    checked against PyTorch's gradient of the mean cross-entropy with respect to the logits."""
    from symbp.docmodel import vectorized_document
    from symbp.printers.latex import LatexDocumentPrinter

    torch = need_torch()
    net = symbp.Network([2, 2, 3], ["sigmoid", "softmax"], "cross_entropy", batch=2)
    latex = LatexDocumentPrinter(network=net).doprint(vectorized_document(net))
    assert r"\boldsymbol{\Delta}^{(2)} &= \mathbf{A}^{(2)} - \mathbf{T}" in latex
    assert r"\nabla_{\mathbf{A}^{(2)}} C \odot" not in latex  # softmax is not elementwise
    logits = torch.tensor([[0.3, -1.2, 2.0], [1.5, 0.1, -0.4]], dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]], dtype=torch.float64)
    (-(targets * torch.log_softmax(logits, dim=1)).sum(dim=1)).sum().backward()  # summed: row n is example n's delta
    A = torch.softmax(logits, dim=1).detach().numpy()
    np.testing.assert_allclose(A - targets.numpy(), logits.grad.numpy(), rtol=1e-12)


def test_the_explorer_refuses_a_batch_in_one_line():
    result = invoke("render", "-t", "explorer.html", *NET, *BATCH)
    assert result.exit_code == 2 and result.stderr.startswith("symbp: error: the explorer page shows one example")
    assert len(result.stderr.strip().splitlines()) == 1


def test_notes_with_a_point_work_the_batch_example_through(tmp_path):
    """The notes' worked example shows every example's pass and C at PyTorch's value."""
    point = tmp_path / "point.json"
    point.write_text(json.dumps(POINT))
    notes = ok("render", "-t", "notes.md", *NET, *BATCH, "--point", str(point), "--digits", "6").stdout
    worked = notes[notes.index("## A worked example"):]
    assert r"\delta^{(1),(3)}_{1}" in worked and r"\lambda" in worked
    cost, _ = torch_gradients(NETWORK, arrays(POINT))
    assert f"= {cost:.6f}" in worked


def test_a_batch_counts_against_the_size_and_work_limits():
    """Every example has its own graph: 100 examples of 1,860 parameters are 186,000 (limit 20,000)."""
    result = invoke("derive", "--layers", "30,30,30", "--batch", "100")
    assert result.exit_code == 2 and "with a batch of 100 is 100 x 1,860 parameters" in result.stderr
    assert "--max-size 186000" in result.stderr
    result = invoke("check", "--layers", "4,4,1", *NET[2:], "--batch", "100", "--points", "1000", "-e", "W1")
    assert result.exit_code == 2 and "25 parameters and 100 examples is 40,000,000 units of work" in result.stderr


@pytest.mark.parametrize("command", ["derive", "check", "grad", "algorithm", "render", "picture", "example", "grade"])
def test_symbolic_work_takes_at_most_100_examples_and_says_so_at_once(command, tmp_path):
    """check of 2,2,1 at batch 1,000 ran for minutes (each example has its own z, a, delta); at 100 it takes seconds."""
    point = tmp_path / "point.json"
    point.write_text("{}")
    extra = ("--point", str(point)) if command == "grad" else ()
    result = invoke(command, "--layers", "2,2,1", *NET[2:], "--batch", "101", *extra)
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert "batch 101 is over the 100 examples symbolic work takes on" in result.stderr
    assert "accepted: --batch 1 to 100" in result.stderr


def test_generated_code_takes_a_batch_above_the_symbolic_limit():
    result = invoke("codegen", "--layers", "2,2,1", *NET[2:], "--batch", "1000")
    assert result.exit_code == 0 and "def loss_and_gradients" in result.stdout, result.stderr


@pytest.mark.parametrize("method", ["backprop", "naive"])
def test_grad_refuses_a_point_where_float64_overflows_in_one_line(tmp_path, method):
    """(lambda/2) W^2 at lambda = 1e308, W = 3 is 4.5e308 > 1.8e308: JSON cannot hold the Infinity."""
    assert 1e308 / 2 * 3.0**2 == float("inf")
    point = tmp_path / "point.json"
    point.write_text(json.dumps({"x": [1, 2], "t": 0.5, "W1": [[3, 0.2]], "b1": [0]}))
    out = tmp_path / "grad.json"
    result = invoke("grad", "--point", str(point), "--layers", "2,1", "--activation", "sigmoid",
                    "--cost", "squared_error", "--l2", "1e308", "--method", method, "-f", "json", "--out", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr.count("\n") == 1 and "overflows float64" in result.stderr and "Warning" not in result.stderr


@pytest.mark.parametrize("option, value, words", [
    ("--batch", "1e9", "batch 1000000000 is out of range; give a whole number of examples from 1 to 1,000"),
    ("--batch", "2.5", "'2.5' is not a whole number"),
    ("--batch", "1_0", "'1_0' is not a number"),
    ("--l2", "1_0", "'1_0' is not a number"),  # float() would read 10, as 0x10 is refused
    ("--l2", "0x10", "'0x10' is not a number"),
])
def test_batch_and_decay_values_are_refused_by_what_is_wrong_with_them(option, value, words):
    result = invoke("derive", "W1_1_1", *NET, option, value)
    assert result.exit_code == 2 and words in result.stderr and result.stderr.count("\n") == 1


def test_a_whole_batch_written_in_exponent_form_is_accepted():
    assert ok("derive", "W1_1_1", *NET, "--batch", "2e0").stdout == ok("derive", "W1_1_1", *NET, "--batch", "2").stdout


def test_the_decay_is_printed_as_lambda_in_every_format_and_in_python():
    """One symbol for the decay's factor where a user sees it: λ (\\lambda in LaTeX), never an internal name."""
    from symbp.printers.mathml import mathml

    derivation = symbp.backprop(NETWORK, ["W1_1_1"])
    assert "λ" in str(derivation.gradient("W1_1_1").formula)
    assert sp.Symbol("λ") in sp.sympify(str(derivation.gradient("W1_1_1").formula)).free_symbols
    outputs = {fmt: ok("derive", "W1_1_1", *NET, *BATCH, "-f", fmt).stdout for fmt in ("text", "latex", "markdown", "json")}
    outputs["mathml"] = mathml(derivation, NETWORK)
    assert "λ" in outputs["mathml"]
    assert "λ · W⁽¹⁾₁₁" in outputs["text"]
    assert r"\lambda W^{(1)}_{11}" in outputs["latex"] and r"\lambda W^{(1)}_{11}" in outputs["markdown"]
    assert "W1_1_1*λ" in outputs["json"]
    for fmt, text in outputs.items():
        assert "l2_lambda" not in text and "lambda" not in text.replace(r"\lambda", ""), fmt
