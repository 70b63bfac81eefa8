"""Text output fits a 100-column terminal, and a "for each" range is never cut across lines.

Oracles: the column count of each line (``len``), and the lecture's ranges written out
here from the layer sizes (``j = 1, 2``, ``i = 1, 2, 3``, ``m = 1, …, 12``).
"""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

import symbp
from symbp.cli import app
from symbp.printers import print_algorithm, print_derivations

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

WIDTH = 100
"""The text printer's width: what the issue asks every line to keep to."""

NETWORKS = {
    "lecture": [],
    "lecture-sigmoid": ["--layers", "3,2,2,1", "--activation", "sigmoid", "--cost", "squared_error"],
    "softmax": ["--layers", "2,3,3", "--activations", "sigmoid,softmax", "--cost", "cross_entropy"],
    "batch-l2": ["--layers", "2,3,2", "--activation", "sigmoid", "--cost", "squared_error", "--batch", "2", "--l2", "0.1"],
    "define": ["--layers", "2,2,1", "--define", "swish=x/(1+exp(-x))", "--activation", "swish",
               "--cost", "squared_error"],
}
COMMANDS = {
    "derive-all": ["derive", "all"],
    "derive-methods": ["derive", "W1_1_1", "--method", "all"],
    "algorithm": ["algorithm"],
    "cost": ["cost"],
}
CHECKS = {  # small networks: a check runs every method at every entry
    "abstract": ["--layers", "2,1,1"],
    "softmax-batch-l2": ["--layers", "2,2", "--activations", "softmax", "--cost", "cross_entropy", "--batch", "2",
                         "--l2", "0.1"],
    "define": ["--layers", "1,1", "--define", "swish=x/(1+exp(-x))", "--activation", "swish", "--cost", "squared_error"],
}


def run(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--format", "text"])
    assert result.exit_code == 0, result.output
    return result.stdout


def count_up(n: int) -> str:
    """The lecture's ``1, ..., D``: small ranges in full (as issue 9 settled for every format)."""
    return ", ".join(str(k) for k in range(1, n + 1)) if n <= 3 else f"1, …, {n}"


def split_ranges(output: str, sizes: set[int]) -> list[str]:
    """Lines where a range ``,  j = ...`` is not a whole range of one of ``sizes`` before the line's end or note."""
    whole = {count_up(n) for n in sizes}
    bad = []
    lines = output.splitlines()
    for n, line in enumerate(lines):
        for match in re.finditer(r",  [a-zₘ](?![^ ])", line):  # ",  j" then a space or the line's end
            rest = line[match.end():].split("   (")[0]  # up to a note
            if not (rest.startswith(" = ") and rest[3:] in whole):
                bad.append(f"{line!r} / {lines[n + 1] if n + 1 < len(lines) else ''!r}")
    return bad


def assert_fits(output: str) -> None:
    long = [line for line in output.splitlines() if len(line) > WIDTH]
    assert not long, f"{len(long)} lines over {WIDTH} columns, e.g. {long[0]!r}"


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("network", list(NETWORKS))
def test_every_line_fits_100_columns(network, command):
    assert_fits(run(*COMMANDS[command], *NETWORKS[network]))


@pytest.mark.parametrize("network", list(CHECKS))
def test_every_line_of_a_check_fits_100_columns(network):
    output = run("check", "--points", "1", *CHECKS[network])
    assert "proved" in output  # the legend, which ran over 100 columns
    assert_fits(output)


SMALL = {
    "lecture-sigmoid": symbp.Network([3, 2, 2, 1], "sigmoid", "squared_error"),
    "softmax": symbp.Network([2, 3, 3], ["sigmoid", "softmax"], "cross_entropy"),
    "batch-l2": symbp.Network([2, 3, 2], "sigmoid", "squared_error", batch=2, l2=0.1),
    "wide": symbp.Network([2, 12, 3, 1], ["relu", "leaky_relu", "tanh"], "squared_error"),
}


@pytest.mark.parametrize("network", list(SMALL))
def test_a_range_is_never_cut_across_lines_at_any_width(network):
    # At 40 columns the recursive case's "j = 1, 2" once ended one line and began the next.
    net = SMALL[network]
    sizes = {*net.layers, net.L, net.batch}
    items = [symbp.backprop(net, "all")]
    for width in range(40, WIDTH + 1, 4):
        for output in (print_algorithm(net, "text", width), print_derivations(net, items, "text", width)):
            assert ",  " in output  # the outputs do hold ranges
            assert not split_ranges(output, sizes), (width, split_ranges(output, sizes)[:2])


def test_the_range_check_sees_a_cut_range():
    """The oracle above, on a range cut as the old breaker cut it."""
    cut = "  ∂C/∂W⁽ᵐ⁾ᵢⱼ = δ⁽ᵐ⁾ᵢ · a⁽ᵐ⁻¹⁾ⱼ,  m = 1,\n      2, 3\n"
    assert split_ranges(cut, {3}) and not split_ranges(cut.replace(",\n      2", ", 2"), {3})
    assert split_ranges("  a = b,  i =\n 1, 2\n", {2}) and split_ranges("  a = b,  i\n = 1, 2\n", {2})
