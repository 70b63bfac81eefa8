"""LaTeX that goes where MathJax renders it (Markdown, Jupyter's _repr_latex_) uses only what MathJax supports.

MathJax implements the math-mode macros of TeX and LaTeX, not text-mode layout: no ``\\parbox``, no
``\\raggedright``, no ``tabular``; inside ``\\text{...}`` it processes no macros. The allowed list below is
written from MathJax's "Supported TeX/LaTeX commands" page (docs.mathjax.org, input/tex/macros, v3.2):
every name in it is listed there, in the base package or one that is preloaded or autoloaded.
"""

from __future__ import annotations

import re

import pytest

import symbp
from symbp.printers import print_algorithm, print_derivations

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

MATHJAX_COMMANDS = {
    # Greek, operators and relations
    "alpha", "beta", "gamma", "delta", "Delta", "epsilon", "eta", "lambda", "mu", "sigma", "Sigma", "tau", "theta",
    "partial", "nabla", "prime", "cdot", "cdots", "dots", "ldots", "vdots", "ddots", "times", "odot", "top", "in",
    "le", "leq", "ge", "geq", "ne", "neq", "to", "mapsto", "leftarrow", "rightarrow", "approx", "equiv", "pm",
    "sum", "prod",
    # functions
    "exp", "log", "ln", "max", "min", "tanh", "sinh", "cosh", "operatorname",
    # structure, fractions, delimiters, spacing
    "frac", "dfrac", "tfrac", "sqrt", "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
    "biggl", "biggr", "Biggl", "Biggr", "quad", "qquad", "underbrace", "overbrace", "underset", "overset",
    "begin", "end", "displaystyle", "textstyle", "phantom", "vphantom",
    # fonts, colour, text
    "mathbf", "mathrm", "mathbb", "mathcal", "mathit", "boldsymbol", "text", "textrm", "color", "hat", "bar",
}
MATHJAX_SYMBOLS = {"\\\\", "\\,", "\\;", "\\:", "\\!", "\\ ", "\\{", "\\}", "\\_", "\\&", "\\%", "\\#", "\\$", "\\|"}
MATHJAX_ENVIRONMENTS = {"aligned", "gathered", "align*", "align", "cases", "matrix", "pmatrix", "bmatrix", "array"}

NETWORKS = [
    symbp.Network(),
    symbp.Network([3, 2, 2, 1], "sigmoid", "squared_error"),
    symbp.Network([4, 3, 3], ["sigmoid", "softmax"], "cross_entropy"),
    symbp.Network([2, 2, 1], "relu", "squared_error", batch=2, l2=0.01),
    symbp.Network([2, 2, 1], "swish", "squared_error", define={"swish": "x/(1+exp(-x))"}),
    symbp.Network([2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy"),
]


def unsupported(tex: str) -> set[str]:
    """Every command, control symbol or environment of ``tex`` that MathJax does not implement."""
    environments = set(re.findall(r"\\(?:begin|end)\{([^}]*)\}", tex))
    commands = set(re.findall(r"\\([A-Za-z]+)", tex))
    symbols = set(re.findall(r"\\[^A-Za-z]", tex))
    return ({f"\\{c}" for c in commands - MATHJAX_COMMANDS} | {f"{{{e}}}" for e in environments - MATHJAX_ENVIRONMENTS}
            | (symbols - MATHJAX_SYMBOLS))


def text_specials(tex: str) -> list[str]:
    """The ``\\text{...}`` contents with a character MathJax would not set as plain text there."""
    return [body for body in re.findall(r"\\text\{([^{}]*)\}", tex) if re.search(r"[\\_^&%#$~]", body)]


def markdown_outputs(net: symbp.Network) -> list[str]:
    entries = ["W1_1_1", f"b{net.L}_1"]
    items = [symbp.naive(net, entries), symbp.backprop(net, entries)]
    if net.batch == 1:
        items.append(symbp.reference(net, "W1_1_1"))
    return [
        print_derivations(net, [d for item in items for d in getattr(item, "derivations", [item])], "markdown"),
        print_algorithm(net, "markdown"),
        *(item._repr_latex_() for item in items),
    ]


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: n.describe())
def test_markdown_and_jupyter_latex_use_only_what_mathjax_supports(net):
    for output in markdown_outputs(net):
        assert not unsupported(output), unsupported(output)
        assert not text_specials(output), text_specials(output)


def test_the_notes_in_markdown_use_only_what_mathjax_supports():
    notes = symbp.document(NETWORKS[2], "notes.md")
    assert not unsupported(notes), unsupported(notes)


def test_the_checker_catches_a_parbox():
    # What the LaTeX printer wrote for softmax's long base-case note before: MathJax has no \parbox.
    assert unsupported(r"&\quad \parbox[t]{20em}{\raggedright (base case)} \\") == {r"\parbox", r"\raggedright"}
    assert text_specials(r"\text{(a_1 & b)}") == ["(a_1 & b)"]
