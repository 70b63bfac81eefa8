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
