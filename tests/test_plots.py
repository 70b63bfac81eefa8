"""Plots: valid files of sensible size, drawing exactly the numbers the commands report."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from symbp import Network
from symbp.cli import app
from test_cli import make_runner
from symbp.counts import backprop_count, naive_count
from symbp.datasets import load
from symbp.plots import cost_plot, render, training_plot
from symbp.train import train

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-"}


@pytest.mark.parametrize("fmt", list(MAGIC))
def test_plot_files_are_valid_and_of_sensible_size(fmt):
    data = render(cost_plot(Network([3, 2, 2, 1]), max_hidden_layers=3, max_width=3), fmt)
    assert data.startswith(MAGIC[fmt]) and 5_000 < len(data) < 2_000_000
    if fmt == "svg":
        assert b"</svg>" in data[-100:]
    if fmt == "pdf":
        assert b"%%EOF" in data[-100:]


def test_cost_plot_draws_the_counts_written_out_from_the_lecture():
    # Deeper panel, network 3,h*[2],1: a weight of layer m has prod(widths above) paths of 2(L-m)+3 factors.
    plot = cost_plot(Network([3, 2, 2, 1]), max_hidden_layers=4, max_width=4)
    naive_deeper, backprop_deeper = plot.panels[0].series
    for h, naive, bp in zip(naive_deeper.x, naive_deeper.y, backprop_deeper.y):
        layers = [3, *[2] * h, 1]
        L = len(layers) - 1
        expected_naive = 0
        for m in range(1, L + 1):
            paths = 1
            for width in layers[m + 1:]:
                paths *= width
            per_path = 2 * (L - m) + 3 - 1  # factors - 1 products
            expected_naive += (layers[m] * layers[m - 1] + layers[m]) * paths * per_path
        assert naive == expected_naive
        # backprop: D(L) for the base case, D(m)(D(m+1)+1) per hidden layer, one product per weight.
        expected_bp = layers[L] + sum(layers[m] * (layers[m + 1] + 1) for m in range(1, L))
        expected_bp += sum(layers[m] * layers[m - 1] for m in range(1, L + 1))
        assert bp == expected_bp
    assert plot.panels[0].log_y and plot.panels[1].log_y


def test_cost_plot_agrees_with_symbp_cost_s_own_totals(tmp_path):
    net = Network([3, 4, 1])
    result = make_runner().invoke(app, ["cost", "--layers", "3,4,1", "--format", "json", "--plot", str(tmp_path / "c.svg")])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    plot = cost_plot(net)
    at_its_width = plot.panels[1].series[0].x.index(4)
    assert plot.panels[1].series[0].y[at_its_width] == totals["naive"]["multiplications"]
    assert plot.panels[1].series[1].y[at_its_width] == totals["backprop"]["multiplications"]
    assert (tmp_path / "c.svg").read_bytes().startswith(MAGIC["svg"])


def test_training_plot_draws_the_costs_the_command_reports(tmp_path):
    out = tmp_path / "curve.png"
    result = make_runner().invoke(app, ["train", "--data", "xor", "--epochs", "50", "--plot", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    reported = json.loads(result.stdout)["costs"]
    net = Network([2, 8, 1], ["tanh", "sigmoid"], "binary_cross_entropy")
    plot = training_plot(train(net, load("xor"), epochs=50))
    (series,) = plot.panels[0].series
    assert list(series.y) == reported and list(series.x) == list(range(51))
    assert out.read_bytes().startswith(MAGIC["png"])


def test_plots_read_in_black_and_white_with_titles_and_labels():
    for plot in (cost_plot(Network()), training_plot(train(Network([2, 2, 1], "sigmoid", "squared_error"), load("xor"), epochs=2))):
        assert plot.title
        for panel in plot.panels:
            assert panel.title and panel.xlabel and panel.ylabel
            styles = [(s.marker, s.linestyle) for s in panel.series]
            assert len(set(styles)) == len(styles)  # told apart without colour


def test_import_symbp_and_help_do_not_load_matplotlib():
    code = ("import sys, symbp, symbp.cli, symbp.plots\n"
            "from typer.testing import CliRunner\n"
            "assert CliRunner().invoke(symbp.cli.app, ['--help']).exit_code == 0\n"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
