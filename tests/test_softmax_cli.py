"""Softmax and cross-entropy through the CLI and every output format.

Expected strings are the lecture's notation written out by hand here (the Jacobian
a_k (1[k=j] - a_j), the collapse to a_j - t_j); numbers come from log-sum-exp written
out with NumPy in the test.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import symbp
from symbp.cli import app
from symbp.printers import print_algorithm, print_derivations

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

try:  # click < 8.2 mixes stderr into stdout unless told not to
    RUNNER = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
except TypeError:
    RUNNER = CliRunner()

NETWORK_OPTIONS = ("--layers", "4,3,3", "--activations", "sigmoid,softmax", "--cost", "cross_entropy")
NET = symbp.Network([4, 3, 3], ["sigmoid", "softmax"], "cross_entropy")


def invoke(*args: str):
    return RUNNER.invoke(app, list(args))


def test_derive_shows_the_jacobian_paths_and_the_collapse():
    result = invoke("derive", "W1_1_1", *NETWORK_OPTIONS)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    # Naive: 3 z^{(2)}_j times 3 a^{(2)}_k = 9 paths, each through a Jacobian entry.
    assert "9 paths of 5 factors" in out
    assert "∂C/∂a⁽²⁾₂ · ∂a⁽²⁾₂/∂z⁽²⁾₁ · ∂z⁽²⁾₁/∂a⁽¹⁾₁ · ∂a⁽¹⁾₁/∂z⁽¹⁾₁ · ∂z⁽¹⁾₁/∂W⁽¹⁾₁₁" in out
    assert "(-a⁽²⁾₁ · a⁽²⁾₂)" in out  # da_2/dz_1 = a_2 (0 - a_1)
    # Backprop: the base case through the Jacobian, then the collapse as its own steps.
    assert "= Σₖ₌₁³ ∂C/∂a⁽²⁾ₖ · ∂a⁽²⁾ₖ/∂z⁽²⁾ⱼ" in out
    assert "= Σₖ₌₁³ ∂C/∂a⁽²⁾ₖ · a⁽²⁾ₖ · (1[k=j] - a⁽²⁾ⱼ)" in out
    assert "= Σₖ₌₁³ (-tₖ/a⁽²⁾ₖ) · a⁽²⁾ₖ · (1[k=j] - a⁽²⁾ⱼ)" in out
    assert "= a⁽²⁾ⱼ · Σₖ tₖ - tⱼ" in out
    assert "= a⁽²⁾ⱼ - tⱼ,  j = 1, 2, 3" in out
    assert "= a⁽²⁾₁ - t₁   (the targets sum to 1)" in out


def test_check_proves_the_readme_command():
    result = invoke("check", *NETWORK_OPTIONS, "--entries", "W1_1_1,W2_1_2,b2_3", "--points", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    pairs = [row for row in rows if "=" in row["method"]]
    assert len(pairs) == 6 and all(row["outcome"] == "proved" for row in pairs)
    assert all(row["outcome"] in ("proved", "verified") for row in rows)


@pytest.mark.parametrize("args, message", [
    (("--layers", "3,3,2", "--activation", "softmax", "--cost", "cross_entropy"),
     "'softmax' is for the output layer only"),
    (("--layers", "3,2", "--activation", "sigmoid", "--cost", "cross_entropy"),
     "'cross_entropy' needs an output layer of softmax or abstract, not 'sigmoid'"),
])
@pytest.mark.parametrize("command", ["derive", "check", "cost", "algorithm"])
def test_misplaced_softmax_or_cross_entropy_is_one_line_and_exit_2(command, args, message):
    result = invoke(command, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("symbp: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("method", ["backprop", "naive", "reference"])
def test_grad_at_logits_of_a_thousand_is_finite(tmp_path, method):
    point = {"x": [1.0], "t": [0.0, 0.0, 1.0], "W1": [[0.0], [0.0], [0.0]], "b1": [1000.0, -1000.0, 0.0]}
    file = tmp_path / "point.json"
    file.write_text(json.dumps(point))
    result = invoke("grad", "--point", str(file), "--layers", "1,3", "--activation", "softmax",
                    "--cost", "cross_entropy", "--format", "json", "--method", method)
    assert result.exit_code == 0, result.stderr
    assert "Warning" not in result.stderr  # no overflow on the way
    data = json.loads(result.stdout)
    z = np.array(point["b1"])
    log_softmax = z - (z.max() + np.log(np.sum(np.exp(z - z.max()))))  # written out here
    assert data["C"] == pytest.approx(-log_softmax[2], rel=1e-15)
    assert data["grad"]["b1"] == pytest.approx(list(np.exp(log_softmax) - point["t"]), abs=1e-300)


@pytest.mark.parametrize("format, jacobian, collapse", [
    ("text", "a⁽²⁾ₖ · (1[k=j] - a⁽²⁾ⱼ)", "a⁽²⁾ⱼ - tⱼ"),
    ("latex", r"a^{(2)}_{k} \left(\mathbf{1}[k = j] - a^{(2)}_{j}\right)", r"a^{(2)}_{j} - t_{j}"),
    ("markdown", r"a^{(2)}_{k} \left(\mathbf{1}[k = j] - a^{(2)}_{j}\right)", r"a^{(2)}_{j} - t_{j}"),
    ("json", r"a^{(2)}_{k} \\left(\\mathbf{1}[k = j] - a^{(2)}_{j}\\right)", r"a^{(2)}_{j} - t_{j}"),
])
def test_every_format_shows_the_jacobian_and_the_collapse(format, jacobian, collapse):
    derivations = print_derivations(NET, [symbp.naive(NET, "W2_1_1"), symbp.backprop(NET, ["W2_1_1"])], format)
    algorithm = print_algorithm(NET, format)
    for out in (derivations, algorithm):
        assert jacobian in out and collapse in out


def test_json_keeps_the_jacobian_terms_and_the_collapse_steps():
    data = json.loads(print_derivations(NET, [symbp.backprop(NET, ["b2_1"])], "json"))
    base = next(d for d in data["backprop"][0]["deltas"] if d["delta"] == "delta2_1")
    assert base["jacobian_terms"] == [["-t_1/a2_1", "a2_1*(1 - a2_1)"], ["-t_2/a2_2", "-a2_1*a2_2"],
                                      ["-t_3/a2_3", "-a2_1*a2_3"]]
    assert base["collapse"][-1] == "a2_1 - t_1"


def test_vectorized_form_is_the_jacobian_transposed_times_the_gradient():
    from symbp.docmodel import vectorized_document
    from symbp.printers.text import TextDocumentPrinter

    out = TextDocumentPrinter(network=NET).doprint(vectorized_document(NET))
    assert "δ⁽²⁾ = (J⁽²⁾)ᵀ · ∂C/∂a⁽²⁾ = a⁽²⁾ - t" in out
    assert "∂a⁽²⁾ₖ/∂z⁽²⁾ⱼ = a⁽²⁾ₖ · (1[k=j] - a⁽²⁾ⱼ)" in out


def test_picture_draws_every_jacobian_edge_on_the_paths():
    result = invoke("picture", "W1_1_1", *NETWORK_OPTIONS, "--format", "dot")
    assert result.exit_code == 0, result.stderr
    jacobian_edges = [line for line in result.stdout.splitlines() if '"z2_' in line and '-> "a2_' in line]
    # every z^{(2)}_j feeds every a^{(2)}_k: 3 x 3 edges, and the 9 naive paths use each of them
    assert sorted(line.split('id="')[1].split('"')[0] for line in jacobian_edges) == sorted(
        f"z2_{j}->a2_{k}" for j in (1, 2, 3) for k in (1, 2, 3))
    assert all("penwidth=2.5" in line for line in jacobian_edges)


def test_cost_counts_paths_through_the_jacobian():
    result = invoke("cost", *NETWORK_OPTIONS, "--format", "json")
    assert result.exit_code == 0, result.stderr
    layers = json.loads(result.stdout)["layers"]
    # Formula written out: D(m) (D(m-1) + 1) entries, each with (widths above) x D(L) paths.
    assert layers["2"]["paths"] == 3 * (3 + 1) * 1 * 3 and layers["1"]["paths"] == 3 * (4 + 1) * 3 * 3


@pytest.mark.parametrize("template", ["notes.tex", "slides.tex"])
def test_notes_and_slides_with_softmax_compile_and_show_the_jacobian(tmp_path, template):
    import subprocess

    from test_templates import require_pdflatex

    require_pdflatex()
    out = tmp_path / "doc.pdf"
    result = invoke("render", "-t", template, "-e", "W2_1_1", *NETWORK_OPTIONS, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    shown = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "1[k = j]" in shown  # pdflatex typeset the Jacobian entry a_k (1[k = j] - a_j)


def test_markdown_notes_show_the_jacobian_and_the_collapse(tmp_path):
    out = tmp_path / "notes.md"
    result = invoke("render", "-t", "notes.md", "-e", "W2_1_1", *NETWORK_OPTIONS, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert r"\mathbf{1}[k = j] - a^{(2)}_{j}" in text and r"a^{(2)}_{j} - t_{j}" in text


def test_picture_with_numbers_labels_the_jacobian_edges(tmp_path):
    point = {"x": [0.5, -0.2], "t": [0, 1, 0], "W1": [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], "b1": [0, 0.1, 0],
             "W2": [[1, -1, 0.5], [0.2, 0.3, -0.4], [0, 0.1, 0.2]], "b2": [0.1, 0, -0.1]}
    file = tmp_path / "point.json"
    file.write_text(json.dumps(point))
    result = invoke("picture", "W1_1_1", "--layers", "2,3,3", "--activations", "tanh,softmax", "--cost", "cross_entropy",
                    "--point", str(file), "--format", "dot")
    assert result.exit_code == 0, result.stderr
    z2 = np.array(point["W2"]) @ np.tanh(np.array(point["W1"]) @ point["x"] + point["b1"]) + point["b2"]
    a2 = np.exp(z2) / np.exp(z2).sum()  # written out here
    edge = next(line for line in result.stdout.splitlines() if 'id="z2_1->a2_2"' in line)
    label = edge.split("∂a⁽²⁾₂/∂z⁽²⁾₁ = ")[1].split('"')[0]
    assert float(label) == pytest.approx(-a2[1] * a2[0], abs=5e-5)  # shown to 4 decimals
