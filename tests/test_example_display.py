"""How a worked example shows its numbers: softmax with cross-entropy as a - t, the decay as (λ/2) Σ W²,
the derivation's term order, brackets and decimals.

Oracles: the forward pass and the cross-entropy gradient written out here with NumPy (and PyTorch's
autograd where installed), the lecture's index form typed in by hand, and pdflatex's own log.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from symbp import Network
from symbp.example import worked_example
from symbp.printers import print_example
from test_cli import ok
from test_templates import overfull, require_pdflatex

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

SOFTMAX = Network([4, 3, 3], ["sigmoid", "softmax"], "cross_entropy")
SOFTMAX_OPTIONS = ("--layers", "4,3,3", "--activations", "sigmoid,softmax", "--cost", "cross_entropy")
WEIGHTS = {
    "W1": np.array([[0.1, 0.2, 0.3, 0.4], [-0.2, 0.1, 0.0, 0.3], [0.5, -0.4, 0.2, 0.1]]), "b1": np.array([0.1, 0, -0.1]),
    "W2": np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.3], [-0.5, 0.2, 0.1]]), "b2": np.array([0, 0.1, 0.2]),
}
X = np.array([1, 2, -1, 0.5])


def softmax_outputs(x: np.ndarray) -> np.ndarray:
    """a^{(2)} of the 4,3,3 sigmoid/softmax network, written out with NumPy."""
    hidden = 1 / (1 + np.exp(-(WEIGHTS["W1"] @ x + WEIGHTS["b1"])))
    z = WEIGHTS["W2"] @ hidden + WEIGHTS["b2"]
    return np.exp(z) / np.exp(z).sum()


def cross_entropy_gradient(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dC/dz^{(2)} of C = -sum_k t_k log softmax(z)_k, by PyTorch's autograd (else the textbook a sum(t) - t)."""
    try:
        import torch
    except ImportError:
        a = softmax_outputs(x)
        return a * t.sum() - t
    hidden = torch.sigmoid(torch.tensor(WEIGHTS["W1"]) @ torch.tensor(x) + torch.tensor(WEIGHTS["b1"]))
    z = (torch.tensor(WEIGHTS["W2"]) @ hidden + torch.tensor(WEIGHTS["b2"])).detach().requires_grad_(True)
    cost = -(torch.tensor(t) * torch.log_softmax(z, dim=0)).sum()
    cost.backward()
    return z.grad.numpy()


def test_softmax_cross_entropy_delta_is_shown_as_a_minus_t_with_the_numbers():
    t = np.array([0.0, 1.0, 0.0])
    example = worked_example(SOFTMAX, {**WEIGHTS, "x": X, "t": t})
    a, delta = softmax_outputs(X), cross_entropy_gradient(X, t)
    np.testing.assert_allclose(example.first.delta["delta2"], delta, rtol=1e-12)
    text = print_example(example, "text")
    for j in range(3):
        sub = "₁₂₃"[j]
        line = f"δ⁽²⁾{sub} = a⁽²⁾{sub} - t{sub} = {a[j]:.6f} - {t[j]:g} = {delta[j]:.6f}"
        assert line in text, line
    assert "the targets sum to 1" in text
    # The Python API holds the same formula: a_j - t_j, not the Jacobian sum a_1 t_2 + a_1 t_3 - t_1 (1 - a_1).
    first = example.first.backward[0]
    assert str(first.formula) == "a2_1 - t_1" and first.targets_sum == 1.0
    latex = print_example(example, "latex")
    assert rf"\delta^{{(2)}}_{{1}} &= a^{{(2)}}_{{1}} - t_{{1}} = {a[0]:.6f} - 0 = {delta[0]:.6f}" in latex


def test_targets_that_do_not_sum_to_one_get_the_general_form_and_say_so():
    t = np.array([0.5, 0.5, 0.5])
    example = worked_example(SOFTMAX, {**WEIGHTS, "x": X, "t": t})
    a, delta = softmax_outputs(X), cross_entropy_gradient(X, t)
    np.testing.assert_allclose(delta, a * 1.5 - t, rtol=1e-12)  # the oracle itself is not a - t here
    np.testing.assert_allclose(example.first.delta["delta2"], delta, rtol=1e-12)
    text = print_example(example, "text")
    assert f"δ⁽²⁾₁ = a⁽²⁾₁ · (t₁ + t₂ + t₃) - t₁ = {a[0]:.6f} · (0.5 + 0.5 + 0.5) - 0.5 = {delta[0]:.6f}" in text
    assert "the targets sum to 1.5, not 1" in text and "δ⁽²⁾₁ = a⁽²⁾₁ - t₁" not in text


def test_the_cli_and_the_rendered_notes_show_a_minus_t(tmp_path):
    point = tmp_path / "sm.json"
    point.write_text('{"x": [1, 2, -1, 0.5], "t": [0, 1, 0], "W1": [[0.1, 0.2, 0.3, 0.4], [-0.2, 0.1, 0.0, 0.3], '
                     '[0.5, -0.4, 0.2, 0.1]], "b1": [0.1, 0, -0.1], "W2": [[0.3, -0.2, 0.5], [0.1, 0.4, -0.3], '
                     '[-0.5, 0.2, 0.1]], "b2": [0, 0.1, 0.2]}')
    a = softmax_outputs(X)
    text = ok("example", "--point", str(point), *SOFTMAX_OPTIONS).stdout
    assert f"δ⁽²⁾₂ = a⁽²⁾₂ - t₂ = {a[1]:.6f} - 1 = {a[1] - 1:.6f}" in text
    notes = ok("render", "--template", "notes.md", "--point", str(point), *SOFTMAX_OPTIONS).stdout
    assert rf"a^{{(2)}}_{{2}} - t_{{2}} = {a[1]:.4f} - 1 = {a[1] - 1:.4f}" in notes  # --digits 4 by default


def test_negative_factors_are_bracketed_and_every_rounded_number_has_the_same_decimals():
    t = np.array([0.0, 1.0, 0.0])
    text = print_example(worked_example(SOFTMAX, {**WEIGHTS, "x": X, "t": t}, entry="W1_1_1", digits=4), "text")
    assert not re.search(r"· -\d", text)  # never 0.2 · -0.5
    assert "(-2.7856) · (-0.1282) · 0.3 ·" in text  # path 2: dC/da_2 = -1/a_2, da_2/dz_1 = -a_2 a_1, W2_21
    a = softmax_outputs(X)
    assert f"{a[1]:.4f}" == "0.3590" and "= 0.3590" in text and "-0.6410" in text
    assert not re.search(r"(?<![\d.])0\.359(?!\d)", text)  # 0.359 beside 0.3571: the zero was dropped
    # Numbers given in the point file (0.1, 2, -1) stay as they are; computed ones have 4 decimals even when exact.
    assert "0.1 · 1 + 0.2 · 2 + 0.3 · (-1) + 0.4 · 0.5 + 0.1 = 0.5000" in text


def test_squares_of_negative_numbers_have_one_pair_of_brackets():
    net = Network([1, 1], "tanh", "squared_error")
    text = print_example(worked_example(net, {"x": np.array([1.0]), "t": np.array([0.0]), "W1": np.array([[-0.5]]),
                                              "b1": np.array([0.0])}), "text")
    a = np.tanh(-0.5)
    assert f"1 - ({a:.6f})²" in text and "tanh(-0.500000)" in text  # z = -0.5 is computed: all 6 decimals
    assert not re.search(r"\(\(-[\d.]+\)\)", text)  # never ((-0.5))
    latex = print_example(worked_example(net, {"x": np.array([1.0]), "t": np.array([0.0]), "W1": np.array([[-0.5]]),
                                               "b1": np.array([0.0])}), "latex")
    assert r"\tanh{\left(-0.500000\right)}" in latex
    assert not re.search(r"\\left\(\\left\(-[\d.]+\\right\) ?\\right\)", latex)


def test_the_gradient_terms_stand_in_the_derivation_s_order():
    t = np.array([0.0, 1.0, 0.0])
    text = print_example(worked_example(SOFTMAX, {**WEIGHTS, "x": X, "t": t}), "text")
    derived = ok("derive", "W1_1_1", *SOFTMAX_OPTIONS, "-m", "backprop").stdout
    assert "∂C/∂W⁽¹⁾₁₁ = δ⁽¹⁾₁ · a⁽⁰⁾₁ = " in text and "= δ⁽¹⁾₁ · a⁽⁰⁾₁" in derived
    # the recursive case as the lecture writes it: (sum_i delta_i W_ij) sigma'
    assert "δ⁽¹⁾₁ = (δ⁽²⁾₁ · W⁽²⁾₁₁ + δ⁽²⁾₂ · W⁽²⁾₂₁ + δ⁽²⁾₃ · W⁽²⁾₃₁) · a⁽¹⁾₁ · (1 - a⁽¹⁾₁)" in text


def test_the_sum_over_layers_has_a_subscript_m():
    text = ok("algorithm", "--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error", "--batch", "3",
              "--l2", "0.01").stdout
    assert "Σₘ₌₁² Σᵢⱼ (W⁽ᵐ⁾ᵢⱼ)²" in text and "Σm" not in text


@pytest.fixture(scope="module")
def batch_decay_point(tmp_path_factory):
    folder = tmp_path_factory.mktemp("b3")
    (folder / "smb3.json").write_text(
        '{"x": [[1, 2, -1, 0.5], [0, 1, 1, -1], [0.5, -0.5, 2, 1]], "t": [[0, 1, 0], [1, 0, 0], [0.2, 0.3, 0.5]], '
        '"W1": [[0.1, 0.2, 0.3, 0.4], [-0.2, 0.1, 0.0, 0.3], [0.5, -0.4, 0.2, 0.1]], "b1": [0.1, 0, -0.1], '
        '"W2": [[0.3, -0.2, 0.5], [0.1, 0.4, -0.3], [-0.5, 0.2, 0.1]], "b2": [0, 0.1, 0.2]}')
    return folder


@pytest.mark.parametrize("template", ["notes.tex", "slides.tex"])
def test_the_batch_and_decay_worked_example_fits_the_page(batch_decay_point, template):
    """The newcomer's command: C's decay was all 21 squared weights on one row, 825 pt too wide."""
    require_pdflatex()
    from symbp.render.pdf import compile_pdf

    out = batch_decay_point / template.replace(".tex", ".pdf")
    ok("render", "--template", template, *SOFTMAX_OPTIONS, "--batch", "3", "--l2", "0.01", "--point",
       str(batch_decay_point / "smb3.json"), "--lr", "0.1", "-e", "W1_1_1", "--out",
       str(out.with_suffix(".tex")))
    source = out.with_suffix(".tex").read_text()
    squares = sum(w * w for key in ("W1", "W2") for w in np.ravel(WEIGHTS[key]))
    assert rf"\sum_{{m=1}}^{{2}}" in source and f"= {squares:.4f}" in source and f"\\cdot {squares:.4f}" in source
    compile_pdf(source, out, keep_log=True)
    log = out.with_suffix(".log").read_text()
    start = source[: source.index("orked example")].count("\n") + 1  # the notes' section, the slides' frames
    lines = [int(m.group(1)) for m in re.finditer(r"Overfull \\hbox \([\d.]+pt too wide\).* at lines? (\d+)", log)
             if float(re.search(r"\(([\d.]+)pt", m.group(0)).group(1)) > 3.0]
    assert [n for n in lines if n >= start] == [], overfull(log, 3.0)


def test_rounding_every_intermediate_keeps_every_decimal_too():
    t = np.array([0.0, 1.0, 0.0])
    text = print_example(worked_example(SOFTMAX, {**WEIGHTS, "x": X, "t": t}, digits=4, round_intermediates=True),
                         "text")
    a = softmax_outputs(X)
    assert f"δ⁽²⁾₂ = a⁽²⁾₂ - t₂ = {a[1]:.4f} - 1 = {a[1] - 1:.4f}" in text  # 0.3590 - 1 = -0.6410
    assert not re.search(r"(?<![\d.])-?0\.359(?!\d)", text) and "= 0.5000\n" in text  # z^{(1)}_1 = 0.5 exactly
