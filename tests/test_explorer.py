"""The explorer page's data and file, without a browser (tests/browser/ drives a real one)."""

from __future__ import annotations

import html
import json
import re
from math import prod
from xml.dom.minidom import parseString

import numpy as np
import pytest
from typer.testing import CliRunner

import symbp
from symbp.cli import app
from test_cli import make_runner
from symbp.docmodel import naive_expansion
from symbp.explorer import WRITTEN_PATHS, explorer_data, explorer_page
from symbp.printers.mathml import mathml
from test_mathml import MATHML_CORE

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

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
    runner = make_runner()
    out = tmp_path / "page.html"
    done = runner.invoke(app, ["render", "--template", "explorer.html", "--layers", "2,2,1", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    big = tmp_path / "big.html"
    refused = runner.invoke(app, ["render", "--template", "explorer.html", "--layers", "16,64,64,1", "--out", str(big)])
    # 16*64 + 64 + 64*64 + 64 + 64 + 1 + 1 edges = 5314.
    assert refused.exit_code == 2 and "5314 graph edges" in refused.output and not big.exists()


POINT = {"x": [1, 2], "t": 0.5, "W1": [[0.1, 0.2], [0.3, 0.4]], "b1": [0, 0], "W2": [[0.5, 0.6]], "b2": [0.1]}
SIGMOID_NET = symbp.Network([2, 2, 1], activations="sigmoid", cost="squared_error")


def numpy_backprop(point: dict) -> dict[str, np.ndarray]:
    """The lecture's forward and backward pass for 2,2,1 with sigmoid and C = (a - t)^2 / 2, by hand in NumPy."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    x, t = np.array(point["x"], float), float(point["t"])
    W1, b1, W2, b2 = (np.array(point[k], float) for k in ("W1", "b1", "W2", "b2"))
    z1 = W1 @ x + b1
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + b2
    a2 = sigmoid(z2)
    delta2 = (a2 - t) * a2 * (1 - a2)
    delta1 = (W2.T @ delta2) * a1 * (1 - a1)
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "C": 0.5 * (a2 - t) ** 2, "delta1": delta1, "delta2": delta2,
            "W1": np.outer(delta1, x), "W2": np.outer(delta2, a1)}


def test_point_values_are_the_worked_example():
    data = explorer_data(SIGMOID_NET, point=POINT, lr=0.1)
    hand = numpy_backprop(POINT)
    values = data.point
    assert values.cost == pytest.approx(hand["C"][0])
    for m in (1, 2):
        for i in range(len(hand[f"z{m}"])):
            assert values.nodes[f"z{m}_{i + 1}"] == pytest.approx(hand[f"z{m}"][i])
            assert values.nodes[f"a{m}_{i + 1}"] == pytest.approx(hand[f"a{m}"][i])
            assert values.deltas[f"z{m}_{i + 1}"] == pytest.approx(hand[f"delta{m}"][i])
            assert values.gradients[f"b{m}_{i + 1}"] == pytest.approx(hand[f"delta{m}"][i])
    assert values.gradients["W1_2_1"] == pytest.approx(hand["W1"][1, 0])
    assert values.updates["W2_1_2"] == pytest.approx((0.6, 0.6 - 0.1 * hand["W2"][0, 1]))


def test_point_and_rate_are_checked(tmp_path):
    with pytest.raises(symbp.SymbpError, match="learning rate -1"):
        explorer_data(SIGMOID_NET, point=POINT, lr=-1)
    with pytest.raises(symbp.SymbpError, match="needs a point"):
        explorer_data(SIGMOID_NET, lr=0.1)
    # symbp.explore builds its page only when Jupyter displays it: a bad rate is refused at the call.
    for bad in (-1, 0, float("nan"), float("inf"), True, "0.1"):
        with pytest.raises(symbp.SymbpError, match="learning rate"):
            symbp.explore(SIGMOID_NET, point=POINT, lr=bad)
    with pytest.raises(symbp.SymbpError, match="needs a point"):
        symbp.explore(SIGMOID_NET, lr=0.1)
    point_file = tmp_path / "point.json"
    point_file.write_text(json.dumps(POINT))
    runner = make_runner()
    abstract = runner.invoke(app, ["render", "-t", "explorer.html", "--layers", "2,2,1", "--point", str(point_file)])
    assert abstract.exit_code == 2 and "abstract" in abstract.output
    out = tmp_path / "page.html"
    args = ["render", "-t", "explorer.html", "--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error"]
    done = runner.invoke(app, [*args, "--point", str(point_file), "--lr", "0.1", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "learning rate η = 0.1" in out.read_text(encoding="utf-8")


def test_python_render_gives_the_same_page():
    net = symbp.Network([2, 2, 1])
    assert symbp.document(net, "explorer.html", title="Week 5") == explorer_page(net, title="Week 5")


def test_entries_with_many_paths_show_a_summary():
    net = symbp.Network([1, 1, 5, 4, 1])
    data = explorer_data(net)
    many, few = data.entries["W1_1_1"], data.entries["W3_1_1"]
    assert many.paths == 5 * 4 * 1 > WRITTEN_PATHS >= few.paths == 1
    # Beyond the budget the chains are not written out one per row (only the grouped, evaluated form).
    assert "symbp-rows" not in many.naive and not many.written_out and few.written_out
    written_out = mathml(naive_expansion(symbp.naive(net, "W1_1_1")), net)
    assert "symbp-rows" in written_out and len(many.naive) < len(written_out) / 2
    assert sum(many.edges.values()) == many.paths * edges_per_path(net, "W", 1)
