"""symbp cost --plot keeps the network's softmax output, batch, weight decay and definitions.

Oracle: the naive expansions themselves (symbp.naive, every path written out) for the chain
rule's products, plus the lecture's extras: one multiplication by 1/N per gradient of a batch,
one lambda W per weight gradient with decay.
"""

from __future__ import annotations

import symbp
import symbp.plots
from symbp import Network
from symbp.cli import app
from symbp.plots import cost_plot
from test_cli import RUNNER
import pytest

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

SETTINGS = {"cost": "cross_entropy", "batch": 2, "l2": 0.1, "define": {"sw": "x/(1+exp(-x))"}}


def naive_multiplications(network: Network) -> int:
    total = 0
    for entry in network.entries(("W", "b")):
        derivation = symbp.naive(network, entry)
        total += sum(len(path.factors) - 1 for path in derivation.paths)  # the products along each path
        total += network.batch > 1  # (1/N) times the examples' sum
        total += bool(network.l2) and entry.kind == "W"  # lambda W
    return total


def test_the_plotted_counts_are_those_of_the_network_with_its_settings():
    network = Network([2, 2, 3], ["sw", "softmax"], **SETTINGS)
    plot = cost_plot(network, max_hidden_layers=2, max_width=3)
    deeper, wider = plot.panels
    for width, naive in zip(wider.series[0].x, wider.series[0].y):
        grown = Network([2, width, 3], ["sw", "softmax"], **SETTINGS)
        assert naive == naive_multiplications(grown), width
    for depth, naive in zip(deeper.series[0].x, deeper.series[0].y):
        grown = Network([2, *[2] * depth, 3], ["sw"] * depth + ["softmax"], **SETTINGS)
        assert naive == naive_multiplications(grown), depth
    plain = cost_plot(Network([2, 2, 3]), max_hidden_layers=2, max_width=3)
    assert plain.panels[1].series[0].y != wider.series[0].y  # the settings change the counts
    assert "softmax output" in plot.title and "$N$ = 2" in plot.title and r"$\lambda$ = 0.1" in plot.title


def test_the_command_hands_the_plot_the_network_with_every_setting(tmp_path, monkeypatch):
    seen = []
    real = symbp.plots.cost_plot

    def spy(network, *args, **kwargs):
        seen.append(network)
        return real(network, *args, max_hidden_layers=2, max_width=3)

    monkeypatch.setattr(symbp.plots, "cost_plot", spy)
    result = RUNNER.invoke(app, ["cost", "--layers", "2,2,3", "--define", "sw=x/(1+exp(-x))", "--activations",
                                 "sw,softmax", "--cost", "cross_entropy", "--batch", "2", "--l2", "0.1",
                                 "--plot", str(tmp_path / "c.svg")])
    assert result.exit_code == 0, result.stderr
    (network,) = seen
    assert network == Network([2, 2, 3], ["sw", "softmax"], **SETTINGS)
    assert (tmp_path / "c.svg").read_bytes().lstrip().startswith(b"<?xml")
