"""symbp.show: any result or step in any format, the one route from Python, with the command line's words."""

from __future__ import annotations

import json
from xml.dom.minidom import parseString

import pytest
from typer.testing import CliRunner

import symbp
from symbp.cli import app

NET = symbp.Network()
FORMATS = ["text", "latex", "markdown", "json", "mathml"]


@pytest.mark.parametrize("format", ["text", "latex", "markdown", "json"])
def test_a_derivation_prints_as_symbp_derive_writes_it(format):
    result = CliRunner().invoke(app, ["derive", "W2_1_2", "-m", "naive", "--format", format])
    assert result.exit_code == 0
    assert symbp.show(symbp.naive(NET, "W2_1_2"), format) == result.stdout


def test_several_naive_entries_carry_their_repeated_work():
    shown = symbp.show(symbp.naive(NET, ["W2_1_2", "W1_2_3"]), "text")
    # The lecture's inefficiency slide: dC/dz3 in both, dC/dz2_1 in both (3 and 2 naive computations).
    assert "δ⁽³⁾ = ∂C/∂a⁽³⁾ · ∂a⁽³⁾/∂z⁽³⁾   (naive: 3 times; backprop: once)" in shown
    assert "(naive: 2 times; backprop: once)" in shown


def test_every_format_heads_a_naive_expansion_with_the_same_words():
    words = "by the naive chain expansion: 2 paths of 7 factors"
    for format in FORMATS:
        shown = symbp.show(symbp.naive(NET, "W1_2_3"), format)
        assert words in shown, format


def test_each_format_is_well_formed():
    derivation = symbp.backprop(NET, "W1_2_3")
    data = json.loads(symbp.show(derivation, "json"))
    assert [e["entry"] for e in data["entries"]] == ["W1_2_3"]
    assert data["backprop"][0]["steps"][0] == "Step 1: gradients for the output layer"
    for line in symbp.show(derivation, "mathml").splitlines():
        assert parseString(line).documentElement.tagName in ("math", "p")
    markdown = symbp.show(derivation, "markdown")
    assert markdown.count("$$\n") % 2 == 0 and markdown.count(r"\begin{aligned}") == markdown.count(r"\end{aligned}")


def test_a_step_prints_in_lecture_notation_given_its_network():
    net = symbp.Network([3, 2, 2, 1], "sigmoid", "squared_error")
    step = symbp.backprop(net, "W1_2_3").delta(2, 1)
    # The lecture's hidden layer 2: dC/dz_1^(2) = dC/dz^(3) · w_1^(3) · sigma^(2)'(z_1^(2)), sigma' = a(1 - a).
    assert symbp.show(step, network=net).strip() == "δ⁽²⁾₁ = δ⁽³⁾ · w⁽³⁾₁ · a⁽²⁾₁ · (1 - a⁽²⁾₁)"
    assert r"\delta^{(2)}_{1} &= \delta^{(3)} \cdot w^{(3)}_{1}" in symbp.show(step, "latex", network=net)
    gradient = symbp.show(symbp.backprop(net, "W1_2_3").gradient("W1_2_3"), "markdown", network=net)
    assert gradient.startswith("$$\n") and r"\partial W^{(1)}_{23}}" in gradient
    assert json.loads(symbp.show(step, "json", network=net))["text"].startswith("δ⁽²⁾₁ = ")


def test_tables_print_as_text_or_json():
    report = symbp.check(symbp.Network([2, 1], "sigmoid", "squared_error"), points=2, seed=0)
    assert json.loads(symbp.show(report, "json"))["passed"] is True
    with pytest.raises(symbp.SymbpError, match="accepted: text, json"):
        symbp.show(report, "latex")


def test_refusals_name_what_is_accepted():
    with pytest.raises(symbp.SymbpError, match="accepted: text, latex, markdown, json, mathml"):
        symbp.show(symbp.naive(NET, "W2_1_2"), "html")
    with pytest.raises(symbp.SymbpError, match="is not the network"):
        symbp.show(symbp.naive(NET, "W2_1_2"), network=symbp.Network([2, 1]))
    with pytest.raises(symbp.SymbpError, match="cannot show"):
        symbp.show(42)


def test_every_format_heads_the_algorithm_with_the_same_words_and_network():
    from symbp.docmodel import algorithm_document

    net = symbp.Network([2, 2, 1], "sigmoid", "squared_error")
    for format in FORMATS:
        shown = symbp.show(algorithm_document(net), format)
        assert "The backpropagation algorithm (the lecture's complete version) for" in shown, format
        assert "network 2,2,1 (L = 2)" in shown, format


@pytest.mark.parametrize("format", ["latex", "markdown"])
def test_show_breaks_latex_and_markdown_at_the_width_asked_for(format):
    """width was honoured by symbp.latex but ignored by show for LaTeX and Markdown (breaker9 #6)."""
    net = symbp.Network([6, 12, 12, 1], "sigmoid", "squared_error")
    derivation = symbp.backprop(net, "W1_1_1")
    rows = [len(symbp.show(derivation, format, width=w).splitlines()) for w in (10, 44, 1000)]
    assert rows[0] > rows[1] > rows[2], rows
    with pytest.raises(symbp.SymbpError, match=r"width about 10\^400 must be a number from 1 to 1,000,000"):
        symbp.show(derivation, format, width=10**400)


def test_one_factor_is_singular():
    """dC/da^{(3)} is the path C <- a^{(3)}: one factor (breaker9 #14 read "1 path of 1 factors")."""
    text = symbp.show(symbp.naive(NET, "a3_1"), "text")
    assert "by the naive chain expansion: 1 path of 1 factor\n" in text
