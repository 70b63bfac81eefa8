"""Worked examples: published numbers, an independent NumPy pass, and hand rounding."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from math import exp, log

import numpy as np
import pytest
from tools import require_programs
from typer.testing import CliRunner

from symbp import Network
from symbp.cli import app
from test_cli import make_runner
from symbp.example import nice_point, worked_example
from symbp.printers import print_example
from symbp.printers.base import format_number

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

# Matt Mazur, "A Step by Step Backpropagation Example" (2015),
# https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/ : his w1..w8 as W^{(m)}_{ij}
# (from unit j to unit i): w1 i1->h1, w2 i2->h1, w3 i1->h2, w4 i2->h2, w5 h1->o1, w6 h2->o1, w7 h1->o2, w8 h2->o2.
MAZUR_NETWORK = Network([2, 2, 2], "sigmoid", "squared_error")
MAZUR_POINT = {
    "x": np.array([0.05, 0.10]),
    "t": np.array([0.01, 0.99]),
    "W1": np.array([[0.15, 0.20], [0.25, 0.30]]),
    "b1": np.array([0.35, 0.35]),
    "W2": np.array([[0.40, 0.45], [0.50, 0.55]]),
    "b2": np.array([0.60, 0.60]),
}


def assert_printed(value: float, printed: str) -> None:
    """``value`` agrees with a published number to every digit printed (his rounding, half a unit)."""
    decimals = len(printed.split(".")[1])
    assert abs(value - float(printed)) <= 0.5 * 10**-decimals + 1e-15, (value, printed)


def test_reproduces_mazur_s_step_by_step_example_to_every_printed_digit():
    example = worked_example(MAZUR_NETWORK, MAZUR_POINT, lr=0.5)
    first = example.first
    assert_printed(first.z["z1"][0], "0.3775")  # net_h1
    assert_printed(first.a["a1"][0], "0.593269992")  # out_h1
    assert_printed(first.a["a1"][1], "0.596884378")  # out_h2
    assert_printed(first.a["a2"][0], "0.75136507")  # out_o1
    assert_printed(first.a["a2"][1], "0.772928465")  # out_o2
    assert_printed(first.cost, "0.298371109")  # E_total
    assert_printed(first.grad["W2"][0, 0], "0.082167041")  # dE_total/dw5
    W1, W2 = example.updated["W1"], example.updated["W2"]
    for value, printed in [
        (W2[0, 0], "0.35891648"), (W2[0, 1], "0.408666186"), (W2[1, 0], "0.511301270"), (W2[1, 1], "0.561370121"),
        (W1[0, 0], "0.149780716"), (W1[0, 1], "0.19956143"), (W1[1, 0], "0.24975114"), (W1[1, 1], "0.29950229"),
    ]:
        assert_printed(value, printed)
    # He updates the weights only; with the new weights and the old biases he prints an error of
    # 0.291027924. Carried exactly it is 0.2910277737: his figure agrees to six decimals only (his own
    # rounding, not ours: every number above matches to all nine).
    after = worked_example(MAZUR_NETWORK, {**MAZUR_POINT, "W1": W1, "W2": W2})
    assert_printed(after.first.cost, "0.291028")


def test_mazur_s_numbers_appear_in_the_printed_example():
    text = print_example(worked_example(MAZUR_NETWORK, MAZUR_POINT, lr=0.5, digits=9), "text")
    # Every computed number has all 9 decimals (he drops trailing zeros: 0.75136507 is 0.751365070).
    for printed in ["0.3775", "0.593269992", "0.596884378", "0.75136507", "0.772928465", "0.298371109",
                    "0.082167041", "0.35891648", "0.408666186", "0.51130127", "0.561370121", "0.149780716"]:
        assert f"= {printed.ljust(11, '0')}\n" in text, printed


def test_reproduces_hmkcode_s_linear_2_2_1_example_to_its_printed_precision():
    # "Backpropagation Step by Step", hmkcode (https://hmkcode.com/ai/backpropagation-step-by-step/):
    # inputs 2, 3; w1..w4 = 0.11, 0.21, 0.12, 0.08 (i1->h1, i2->h1, i1->h2, i2->h2), w5, w6 = 0.14, 0.15;
    # no biases, no non-linearity, target 1, learning rate 0.05. (Numbers from the post as remembered;
    # the search corpus did not hold the page.)
    net = Network([2, 2, 1], "identity", "squared_error")
    point = {"x": np.array([2.0, 3.0]), "t": np.array([1.0]), "W1": np.array([[0.11, 0.21], [0.12, 0.08]]),
             "b1": np.zeros(2), "W2": np.array([[0.14, 0.15]]), "b2": np.zeros(1)}
    example = worked_example(net, point, lr=0.05)
    assert_printed(example.first.a["a1"][0], "0.85")
    assert_printed(example.first.a["a1"][1], "0.48")
    assert_printed(example.first.a["a2"][0], "0.191")
    assert_printed(example.first.cost, "0.327")
    W1, W2 = example.updated["W1"], example.updated["W2"]
    for value, printed in [(W1[0, 0], "0.12"), (W1[0, 1], "0.23"), (W1[1, 0], "0.13"), (W1[1, 1], "0.10"),
                           (W2[0, 0], "0.17"), (W2[0, 1], "0.17")]:
        assert_printed(value, printed)


# An independent forward and backward pass, written from the lecture in NumPy.

SIGMA = {
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "softplus": (lambda z: np.log1p(np.exp(z)), lambda z: 1 / (1 + np.exp(-z))),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1.0, 0.01)),
}
COST = {
    "squared_error": (lambda a, t: 0.5 * np.sum((a - t) ** 2), lambda a, t: a - t),
    "binary_cross_entropy": (lambda a, t: -np.sum(t * np.log(a) + (1 - t) * np.log(1 - a)),
                             lambda a, t: -t / a + (1 - t) / (1 - a)),
}


def numpy_pass(net: Network, point: dict) -> tuple[float, list, list, dict]:
    zs, as_ = [], [point["x"]]
    for m in range(1, net.L + 1):
        zs.append(point[f"W{m}"] @ as_[-1] + point[f"b{m}"])
        as_.append(SIGMA[net.activations[m - 1]][0](zs[-1]))
    cost, dC_da = COST[net.cost]
    deltas = [None] * net.L
    deltas[-1] = dC_da(as_[-1], point["t"]) * SIGMA[net.activations[-1]][1](zs[-1])
    for m in range(net.L - 1, 0, -1):
        deltas[m - 1] = (point[f"W{m + 1}"].T @ deltas[m]) * SIGMA[net.activations[m - 1]][1](zs[m - 1])
    grad = {}
    for m in range(1, net.L + 1):
        grad[f"W{m}"] = np.outer(deltas[m - 1], as_[m - 1])
        grad[f"b{m}"] = deltas[m - 1]
    return float(cost(as_[-1], point["t"])), zs, deltas, grad


def random_point(net: Network, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    point = {"x": rng.uniform(-1, 1, net.D(0)), "t": rng.uniform(0.1, 0.9, net.D(net.L))}
    for m in range(1, net.L + 1):
        point[f"W{m}"] = rng.uniform(-1, 1, (net.D(m), net.D(m - 1)))
        point[f"b{m}"] = rng.uniform(-0.5, 0.5, net.D(m))
    return point


NETWORKS = [Network([2, 2, 2], name, "squared_error") for name in SIGMA] + [
    Network([2, 2, 2], ["tanh", "sigmoid"], "binary_cross_entropy"),
]


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: f"{n.activations[0]}-{n.cost}")
def test_numbers_and_k_steps_match_an_independent_numpy_pass(net):
    point, lr, steps = random_point(net, seed=3), 0.3, 3
    example = worked_example(net, point, lr=lr, steps=steps)
    cost, zs, deltas, grad = numpy_pass(net, point)
    assert example.first.cost == pytest.approx(cost, rel=1e-12)
    for m in range(1, net.L + 1):
        np.testing.assert_allclose(example.first.z[f"z{m}"], zs[m - 1], rtol=1e-12)
        np.testing.assert_allclose(example.first.delta[f"delta{m}"], deltas[m - 1], rtol=1e-10, atol=1e-15)
    for key in grad:
        np.testing.assert_allclose(example.first.grad[key], grad[key], rtol=1e-10, atol=1e-15)
    # K steps of plain gradient descent in NumPy.
    current = {k: np.array(v, dtype=float) for k, v in point.items()}
    for k in range(steps):
        _, _, _, grad = numpy_pass(net, current)
        current = {key: value - lr * grad[key] if key in grad else value for key, value in current.items()}
        for key in grad:
            np.testing.assert_allclose(example.steps[k].updated[key], current[key], rtol=1e-10, atol=1e-14)
        assert example.steps[k].cost == pytest.approx(numpy_pass(net, current)[0], rel=1e-10)  # C after the step


def test_naive_paths_add_up_to_the_numpy_gradient():
    net = Network([2, 2, 2, 1], "tanh", "squared_error")
    point = random_point(net, seed=5)
    example = worked_example(net, point, entry="W1_2_1")
    assert len(example.naive.paths) == 2
    products = [float(np.prod([v for _, _, v in p.factors])) for p in example.naive.paths]
    assert sum(products) == pytest.approx(numpy_pass(net, point)[3]["W1"][1, 0], rel=1e-10)


# Rounding as by hand.


def r(value: float, digits: int = 2) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def test_round_intermediates_matches_a_hand_rounded_computation():
    # 1,1,1 sigmoid network, squared error, two decimals at every step, as a student works it.
    net = Network([1, 1, 1], "sigmoid", "squared_error")
    point = {"x": np.array([0.5]), "t": np.array([0.9]), "W1": np.array([[0.8]]), "b1": np.array([0.1]),
             "W2": np.array([[-0.6]]), "b2": np.array([0.3])}
    z1 = r(0.8 * 0.5 + 0.1)
    a1 = r(1 / (1 + exp(-z1)))
    z2 = r(-0.6 * a1 + 0.3)
    a2 = r(1 / (1 + exp(-z2)))
    C = r(0.5 * (a2 - 0.9) ** 2)
    d2 = r((a2 - 0.9) * a2 * (1 - a2))
    d1 = r(-0.6 * d2 * a1 * (1 - a1))
    gW2, gW1 = r(d2 * a1), r(d1 * 0.5)
    W2_new, W1_new = r(-0.6 - 0.5 * gW2), r(0.8 - 0.5 * gW1)

    example = worked_example(net, point, lr=0.5, digits=2, round_intermediates=True)
    first = example.first
    assert [first.z["z1"][0], first.a["a1"][0], first.z["z2"][0], first.a["a2"][0], first.cost] == [z1, a1, z2, a2, C]
    assert [first.delta["delta2"][0], first.delta["delta1"][0]] == [d2, d1]
    assert [first.grad["W2"][0, 0], first.grad["W1"][0, 0]] == [gW2, gW1]
    assert [example.updated["W2"][0, 0], example.updated["W1"][0, 0]] == [W2_new, W1_new]
    # Without rounding, full precision is carried: the cost differs from the hand-rounded one here.
    exact = worked_example(net, point, digits=2).first
    assert exact.cost != C and r(exact.cost, 6) != r(C, 6)

    text = print_example(example, "text")
    assert "rounded to 2 decimals" in text
    for value in (z1, a1, z2, a2, d2, gW2, W2_new):
        assert f"= {format_number(value, 2, pad=True)}\n" in text


def test_digits_rounds_only_what_is_shown():
    net = Network([1, 1], "sigmoid", "squared_error")
    point = {"x": np.array([1.0]), "t": np.array([0.0]), "W1": np.array([[1.0]]), "b1": np.array([0.0])}
    a = 1 / (1 + exp(-1))  # 0.7310585786...
    for digits in (1, 3, 5):
        text = print_example(worked_example(net, point, digits=digits), "text")
        assert f"= {format_number(r(a, digits), digits, pad=True)}\n" in text
    assert format_number(r(a, 3), 3) == "0.731" and format_number(0.125, 2) == "0.13"  # half up, as by hand
    assert format_number(-0.0001, 2) == "0"  # never -0


def test_bce_numbers_use_the_logarithms():
    net = Network([1, 1], "sigmoid", "binary_cross_entropy")
    point = {"x": np.array([2.0]), "t": np.array([1.0]), "W1": np.array([[0.5]]), "b1": np.array([0.0])}
    a = 1 / (1 + exp(-1.0))
    assert worked_example(net, point).first.cost == pytest.approx(-log(a), rel=1e-14)


# The command.


def write_point(tmp_path, point):
    path = tmp_path / "point.json"
    path.write_text(json.dumps({k: np.asarray(v).tolist() for k, v in point.items()}))
    return str(path)


MAZUR_OPTIONS = ["--layers", "2,2,2", "--activation", "sigmoid", "--cost", "squared_error"]


def test_example_json_has_the_issue_s_keys_and_numpy_s_numbers(tmp_path):
    args = ["example", *MAZUR_OPTIONS, "--point", write_point(tmp_path, MAZUR_POINT), "--lr", "0.5", "--steps", "2",
            "--format", "json"]
    result = make_runner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    cost, zs, deltas, grad = numpy_pass(MAZUR_NETWORK, MAZUR_POINT)
    assert list(data["forward"]) == ["z1", "a1", "z2", "a2"]
    assert data["C"] == pytest.approx(cost, rel=1e-12)
    np.testing.assert_allclose(data["deltas"]["delta1"], deltas[0], rtol=1e-10)
    np.testing.assert_allclose(data["grad"]["W2"], grad["W2"], rtol=1e-10)
    assert set(data["updated"]) == set(MAZUR_POINT)
    np.testing.assert_allclose(data["updated"]["W1"], MAZUR_POINT["W1"] - 0.5 * grad["W1"], rtol=1e-12)
    assert [set(step) for step in data["steps"]] == [{"C", "updated"}] * 2
    assert data["steps"][1]["C"] < data["steps"][0]["C"] < data["C"]


@pytest.mark.parametrize("fmt,marker", [("text", "δ⁽²⁾₁ = "), ("latex", r"\delta^{(2)}_{1} &= "),
                                        ("markdown", "**Backward pass, output layer first**")])
def test_example_prints_each_format(tmp_path, fmt, marker):
    args = ["example", *MAZUR_OPTIONS, "--point", write_point(tmp_path, MAZUR_POINT), "--lr", "0.5", "--steps", "3",
            "--digits", "9", "--entry", "W1_1_1", "--format", fmt]
    result = make_runner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert marker in result.stdout and "0.593269992" in result.stdout and "0.298371109" in result.stdout


def test_seed_gives_one_decimal_numbers_a_student_can_use():
    point = nice_point(MAZUR_NETWORK, seed=4)
    for key, value in point.items():
        assert np.all(np.round(value * 10) == value * 10) and np.all(value != 0), key
    assert np.all((point["t"] > 0) & (point["t"] < 1))


@pytest.mark.parametrize("extra,words", [
    (["--steps", "3"], "--steps 3 needs a learning rate"),
    (["--lr", "-1"], "learning rate -1.0 must be a positive number"),
    (["--digits", "40"], "digits 40 is out of range"),
    (["--entry", "z1_1"], "must be a weight or a bias"),
])
def test_bad_example_options_are_one_line(extra, words):
    result = make_runner().invoke(app, ["example", *MAZUR_OPTIONS, *extra])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and words in result.stderr and result.stdout == ""


def test_latex_and_markdown_examples_compile_on_a4_without_overfull_lines(tmp_path):
    import re
    from symbp.render.pdf import compile_pdf

    require_programs("pdflatex")
    example = worked_example(MAZUR_NETWORK, MAZUR_POINT, lr=0.5, steps=3, entry="W1_1_1")
    markdown = print_example(example, "markdown")
    blocks = [f"\\[\n{block}\n\\]" for block in re.findall(r"^\$\$\n(.*?)\n\$\$$", markdown, flags=re.S | re.M)]
    preamble = ("\\documentclass[11pt,a4paper]{article}\\usepackage[margin=2cm]{geometry}"
                "\\usepackage{amsmath,amssymb}\\begin{document}\n")
    body = print_example(example, "latex") + "\n".join(blocks)
    pdf = compile_pdf(preamble + body + "\n\\end{document}\n", tmp_path / "example.pdf", keep_log=True)
    log = pdf.with_suffix(".log").read_text()
    wide = [float(m) for m in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert len(blocks) == 5 and all(w <= 1.0 for w in wide), wide


def test_picture_point_writes_numpy_s_numbers_on_the_graph(tmp_path):
    args = ["picture", *MAZUR_OPTIONS, "--point", write_point(tmp_path, MAZUR_POINT), "--format", "dot"]
    result = make_runner().invoke(app, args)
    assert result.exit_code == 0, result.output
    dot = result.stdout
    cost, zs, deltas, grad = numpy_pass(MAZUR_NETWORK, MAZUR_POINT)
    a1 = 1 / (1 + np.exp(-zs[0]))
    a2 = 1 / (1 + np.exp(-zs[1]))
    f = lambda v: format_number(v, 4)  # noqa: E731
    assert f'"C" [id="C", label="C = {f(cost)}"' in dot
    assert f'"z1_1" [id="z1_1", label="z⁽¹⁾₁ = {f(zs[0][0])}\\nδ = {f(deltas[0][0])}"' in dot
    assert f'"z1_2" -> "a1_2" [color="#999999", label="σ′ = {f(a1[1] * (1 - a1[1]))}"' in dot
    assert f'"a2_2" -> "C" [color="#999999", label="∂C/∂a⁽²⁾₂ = {f(a2[1] - 0.99)}"' in dot
    assert f'label="W⁽²⁾₂₁ = 0.5\\n∂C/∂W⁽²⁾₂₁ = {f(grad["W2"][1, 0])}"' in dot


def test_render_adds_the_worked_example_to_notes_and_it_compiles(tmp_path):
    from symbp.render.documents import document as render
    from symbp.render.pdf import compile_pdf

    point = write_point(tmp_path, MAZUR_POINT)
    result = make_runner().invoke(app, ["render", "-t", "notes.md", *MAZUR_OPTIONS, "--point", point, "--lr", "0.5"])
    assert result.exit_code == 0, result.output
    markdown = result.stdout
    assert "## A worked example" in markdown and "### Gradient descent, learning rate 0.5" in markdown
    assert "= 0.5933 \\\\" in markdown and "= 0.3589 \\\\" in markdown  # out_h1 and w5+ to four decimals
    without = make_runner().invoke(app, ["render", "-t", "notes.md", *MAZUR_OPTIONS]).stdout
    assert "worked example" not in without and markdown.startswith(without.rstrip("\n"))
    require_programs("pdflatex")
    tex = render(MAZUR_NETWORK, "notes.tex", point=MAZUR_POINT, lr=0.5, digits=4)
    assert "\\section{A worked example}" in tex
    compile_pdf(tex, tmp_path / "notes.pdf")
