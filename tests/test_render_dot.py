"""The computation-graph picture: nodes, edges and highlighted paths counted from the network's sizes."""

from __future__ import annotations

import re
from math import prod

import pytest
from tools import require_programs

import symbp
from symbp.render.dot import computation_graph_dot, draw

EDGE = re.compile(r'^\s*"(\w+)" -> "(\w+)" \[(.*)\];$', re.M)


def edges(dot: str) -> list[tuple[str, str, bool]]:
    return [(s, t, "penwidth=2.5" in style) for s, t, style in EDGE.findall(dot)]


@pytest.mark.parametrize("layers", [[3, 2, 2, 1], [2, 4, 3], [1, 1]])
def test_every_forward_edge_is_drawn_once(layers):
    net = symbp.Network(layers)
    drawn = edges(computation_graph_dot(net))
    L = len(layers) - 1
    # a^{(m-1)} -> z^{(m)} is complete bipartite; z -> a one to one; every output feeds C.
    expected = sum(layers[m - 1] * layers[m] + layers[m] for m in range(1, L + 1)) + layers[-1]
    assert len(drawn) == len(set(drawn)) == expected
    assert not any(bold for *_, bold in drawn)


def test_highlighted_edges_are_the_union_of_the_lecture_paths():
    net = symbp.Network()
    bold = {(s, t) for s, t, b in edges(computation_graph_dot(net, symbp.naive(net, "W1_2_3"))) if b}
    # dC/dW^{(1)}_{23}: W -> z1_2 -> a1_2 -> z2_i -> a2_i -> z3 -> a3 -> C for i = 1, 2.
    expected = {("W1_2_3", "z1_2"), ("z1_2", "a1_2"), ("z3_1", "a3_1"), ("a3_1", "C")}
    for i in (1, 2):
        expected |= {("a1_2", f"z2_{i}"), (f"z2_{i}", f"a2_{i}"), (f"a2_{i}", "z3_1")}
    assert bold == expected


def test_path_count_in_the_title_is_the_product_of_widths_above():
    net = symbp.Network([2, 3, 4, 2])
    dot = computation_graph_dot(net, symbp.naive(net, "b1_1"))
    assert f"naive paths of dC/db1_1: {prod([4, 2])}" in dot


def test_graphviz_lays_it_out():
    require_programs("dot", hint="apt-get install graphviz")
    net = symbp.Network()
    svg = draw(computation_graph_dot(net, symbp.naive(net, "W2_1_2")), "svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert svg.count('class="node"') == 3 + 2 * (2 + 2 + 1) + 1 + 1  # inputs, z and a, C, the weight
    with pytest.raises(symbp.SymbpError, match="'gif'"):
        draw("digraph {}", "gif")


def test_cli_picture(tmp_path):
    from typer.testing import CliRunner

    from symbp.cli import app

    runner = CliRunner()
    dot = runner.invoke(app, ["picture", "W2_1_2"])
    assert dot.exit_code == 0
    bold = {(s, t) for s, t, b in edges(dot.output) if b}
    # The lecture's single path: W -> z2_1 -> a2_1 -> z3 -> a3 -> C.
    assert bold == {("W2_1_2", "z2_1"), ("z2_1", "a2_1"), ("a2_1", "z3_1"), ("z3_1", "a3_1"), ("a3_1", "C")}

    refused = runner.invoke(app, ["picture", "--format", "png"])
    assert refused.exit_code == 2 and "--out" in refused.output
    unknown = runner.invoke(app, ["picture", "W4_1_1"])
    assert unknown.exit_code == 2 and "W4_1_1" in unknown.output


def test_cli_picture_draws_a_png_with_dot(tmp_path):
    from typer.testing import CliRunner

    from symbp.cli import app

    require_programs("dot", hint="apt-get install graphviz")
    runner = CliRunner()
    out = tmp_path / "paths.png"
    assert runner.invoke(app, ["picture", "W1_2_3", "--out", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    again = runner.invoke(app, ["picture", "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output


# A batch and weight decay: the graph of one example n, the rest said in the title ----------------------------


def test_a_batch_draws_example_n_with_the_lecture_paths_of_one_example():
    net = symbp.Network(batch=3)
    dot = computation_graph_dot(net, symbp.naive(net, "W1_2_3"))
    bold = {(s, t) for s, t, b in edges(dot) if b}
    # the same two paths as one example's, on the units of example n
    expected = {("W1_2_3", "z1_2_nn"), ("z1_2_nn", "a1_2_nn"), ("z3_1_nn", "a3_1_nn"), ("a3_1_nn", "C_nn")}
    for i in (1, 2):
        expected |= {("a1_2_nn", f"z2_{i}_nn"), (f"z2_{i}_nn", f"a2_{i}_nn"), (f"a2_{i}_nn", "z3_1_nn")}
    assert bold == expected
    layers = [3, 2, 2, 1]
    assert len(edges(dot)) == sum(layers[m - 1] * layers[m] + layers[m] for m in (1, 2, 3)) + 1 + 1  # + W's edge
    assert "C = (1/N) Σₙ C⁽ⁿ⁾; drawn: example n, one of N = 3 with the same graph" in dot
    assert "naive paths of dC/dW1_2_3: 6 (2 in each of the 3 examples)" in dot
    assert 'label="z⁽¹⁾⁽ⁿ⁾₂"' in dot


def test_decay_is_said_in_the_title_and_the_graph_is_unchanged():
    plain, decayed = symbp.Network(layers=[2, 2, 1]), symbp.Network(layers=[2, 2, 1], l2=0.1)
    dot = computation_graph_dot(decayed, symbp.naive(decayed, "W2_1_2"))
    assert "C = C₀ + (λ/2) Σ W²; each ∂C/∂W gains λW" in dot
    assert "naive paths of dC/dW2_1_2: 1, then + λw⁽²⁾₂" in dot
    renamed = [(s, "C" if t == "C0" else t, b) for s, t, b in edges(dot)]  # the one example's cost is C0 here
    assert renamed == edges(computation_graph_dot(plain, symbp.naive(plain, "W2_1_2")))
    assert "λ" not in computation_graph_dot(decayed, symbp.naive(decayed, "b2_1")).split("naive paths")[1]


def test_cli_picture_takes_batch_and_l2_and_refuses_a_batch_point_in_one_line(tmp_path):
    from test_cli import invoke, ok

    net = ("--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error")
    dot = ok("picture", "W1_1_1", *net, "--batch", "2", "--l2", "0.5").stdout
    assert "batch: N = 2 · weight decay: λ = 0.5" in dot and "(1 in each of the 2 examples)" in dot
    defined = ok("picture", "W1_1_1", "--define", "swish=x/(1+exp(-x))", "--layers", "2,2,1", "--activations",
                 "swish,sigmoid", "--cost", "squared_error", "--batch", "2", "--l2", "0.5").stdout
    assert "swish(x) = x/(1+exp(-x))" in defined and "(1 in each of the 2 examples)" in defined
    point = tmp_path / "p.json"
    point.write_text('{"x": [[1, 2], [3, 4]], "t": [0.5, 0.1], "W1": [[1, 0], [0, 1]], "b1": [0, 0], '
                     '"W2": [[1, 1]], "b2": [0]}')
    result = invoke("picture", *net, "--batch", "2", "--point", str(point))
    assert result.exit_code == 2 and result.stderr.startswith("symbp: error: --point draws one example's numbers")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_picture_point_with_decay_writes_the_decayed_gradient(tmp_path):
    """On W's edge: dC/dW = delta a + lambda W, by finite differences of C = C0 + (lambda/2) sum W^2."""
    import json

    import numpy as np

    from test_cli import ok

    point = {"x": [0.5, -1.0], "t": [0.2], "W1": [[0.3, -0.2], [0.1, 0.4]], "b1": [0.1, -0.1], "W2": [[0.6, -0.5]],
             "b2": [0.05]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(point))
    dot = ok("picture", "--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error", "--l2", "0.3",
             "--point", str(path)).stdout

    def cost(W1):
        a1 = 1 / (1 + np.exp(-(np.array(W1) @ point["x"] + point["b1"])))
        a2 = 1 / (1 + np.exp(-(np.array(point["W2"]) @ a1 + point["b2"])))
        return 0.5 * np.sum((a2 - point["t"]) ** 2) + 0.3 / 2 * (np.sum(np.square(W1)) + np.sum(np.square(point["W2"])))

    h, W1 = 1e-6, np.array(point["W1"])
    up, down = W1.copy(), W1.copy()
    up[1, 0] += h
    down[1, 0] -= h
    gradient = (cost(up) - cost(down)) / (2 * h)
    from symbp.printers.base import format_number

    assert f'label="W⁽¹⁾₂₁ = 0.1\\n∂C/∂W⁽¹⁾₂₁ = {format_number(gradient, 4)}"' in dot
