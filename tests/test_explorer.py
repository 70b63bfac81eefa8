"""The explorer page's data and file, without a browser (tests/browser/ drives a real one)."""

from __future__ import annotations

import html
import re
from math import prod
from xml.dom.minidom import parseString

import pytest
from typer.testing import CliRunner

import symbp
from symbp.cli import app
from symbp.explorer import explorer_data, explorer_page
from test_mathml import MATHML_CORE

SMALL = symbp.Network([2, 3, 3, 2])


def paths_above(net: symbp.Network, m: int) -> int:
    return prod(net.layers[m + 1 :])


def edges_per_path(net: symbp.Network, kind: str, m: int) -> int:
    """From the entry up: z -> a, then a -> z and z -> a per layer above, then a -> C; a weight adds its own arrow."""
    from_z = 1 + 2 * (net.L - m) + 1
    return {"W": from_z + 1, "b": from_z, "z": from_z, "a": from_z - 1}[kind]


def union_of_edges(net: symbp.Network, kind: str, m: int) -> int:
    """Distinct edges on the paths: one unit at layer m fans out to every unit of each layer above."""
    D = net.layers
    above = sum((1 if k == m + 1 else D[k - 1]) * D[k] + D[k] for k in range(m + 1, net.L + 1))
    above += 1 if m == net.L else D[net.L]  # the reached outputs feed C
    return above + {"W": 2, "b": 1, "z": 1, "a": 0}[kind]


def test_lecture_W1_2_3_lights_its_two_paths():
    entry = explorer_data(symbp.Network()).entries["W1_2_3"]
    # The lecture's two paths: a0_3 -(W)-> z1_2 -> a1_2 -> z2_i -> a2_i -> z3 -> a3 -> C, i = 1, 2.
    expected = {"a0_3->z1_2": 2, "z1_2->a1_2": 2, "z3_1->a3_1": 2, "a3_1->C": 2}
    for i in (1, 2):
        expected |= {f"a1_2->z2_{i}": 1, f"z2_{i}->a2_{i}": 1, f"a2_{i}->z3_1": 1}
    assert dict(entry.edges) == expected and entry.paths == 2
    assert entry.nodes["z2_1"] == entry.nodes["z2_2"] == 1 and entry.nodes["z3_1"] == 2


@pytest.mark.parametrize("net", [SMALL, symbp.Network([3, 2, 2, 1])], ids=lambda n: n.describe())
def test_every_entry_lights_paths_times_edges(net):
    data = explorer_data(net)
    assert len(data.entries) == sum(net.layers[m] * (net.layers[m - 1] + 3) for m in range(1, net.L + 1))
    for name, entry in data.entries.items():
        m = entry.layer
        assert entry.paths == paths_above(net, m), name
        assert sum(entry.edges.values()) == entry.paths * edges_per_path(net, entry.kind, m), name
        assert len(entry.edges) == union_of_edges(net, entry.kind, m), name


def test_steps_go_from_the_output_layer_down():
    data = explorer_data(SMALL)
    layers = [sorted({int(node[1]) for node in step.deltas}) for step in data.steps]
    assert layers == [[3], [2], [1], []]  # then the gradients, which add no delta
    assert set(data.steps[1].deltas) == {"z2_1", "z2_2", "z2_3"}


def test_shared_work_counts_paths_to_cost():
    data = explorer_data(SMALL)
    assert data.paths_to_cost == {f"z{m}_{i}": paths_above(SMALL, m) for m in (1, 2, 3) for i in range(1, SMALL.layers[m] + 1)}


def math_blocks(markup: str) -> list[str]:
    return re.findall(r"<math\b.*?</math>", markup, flags=re.S)


def test_page_math_is_core_mathml():
    data = explorer_data(SMALL)
    chunks = [e.naive + e.backprop + e.label for e in data.entries.values()] + [s.mathml for s in data.steps]
    blocks = [b for chunk in chunks + list(data.deltas.values()) for b in math_blocks(chunk)]
    assert blocks
    for block in blocks:
        root = parseString(block).documentElement
        used = {root.tagName} | {node.tagName for node in root.getElementsByTagName("*")}
        assert used <= MATHML_CORE, used - MATHML_CORE


@pytest.mark.parametrize("net", [symbp.Network(), SMALL], ids=lambda n: n.describe())
def test_page_loads_nothing_from_anywhere(net):
    page = explorer_page(net)
    assert "http://" not in page and "https://" not in page
    # No resource the browser would fetch: no src or href attributes, no <link>, no CSS url() or @import.
    assert not re.search(r"\s(src|href)=|<link\b|url\(|@import", page, flags=re.I)
    assert page.count("<script") == 2 and page.count("<style") == 1


def test_explore_shows_the_page_in_an_isolated_frame():
    net = symbp.Network([2, 2, 1])
    shown = symbp.explore(net)._repr_html_()
    srcdoc = re.search(r'srcdoc="([^"]*)"', shown).group(1)
    assert html.unescape(srcdoc) == explorer_page(net)


def test_cli_writes_the_page_and_refuses_a_huge_network(tmp_path):
    runner = CliRunner()
    out = tmp_path / "page.html"
    done = runner.invoke(app, ["render", "--template", "explorer.html", "--layers", "2,2,1", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    big = tmp_path / "big.html"
    refused = runner.invoke(app, ["render", "--template", "explorer.html", "--layers", "16,64,64,1", "--out", str(big)])
    # 16*64 + 64 + 64*64 + 64 + 64 + 1 + 1 edges = 5314.
    assert refused.exit_code == 2 and "5314 graph edges" in refused.output and not big.exists()
