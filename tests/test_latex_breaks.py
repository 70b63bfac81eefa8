"""Long LaTeX derivations set by a real pdflatex in the notes template: no row off the page, no display off the page.

Oracles: pdflatex's own log (``Overfull \\hbox`` for a row wider than the text, ``Overfull
\\vbox`` or a failed run for a display taller than a page) and the page count it reports;
LaTeX's rule that ``\\left ... \\right`` pairs within one row of an ``align*``.
"""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

import symbp
from symbp.cli import app
from symbp.printers import print_derivations
from symbp.render.pdf import latex_to_pdf
from tools import require_programs

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

DEEP = ["--layers", "2,2,2,2,2,2,1"]
"""The issue's network: sympy.diff's dC/dW1_1_1 nests six sigma's, each factor pages wide unbroken."""

NETWORKS = {
    "lecture": symbp.Network(),
    "sigmoid-2,3,2": symbp.Network([2, 3, 2], "sigmoid", "squared_error"),
    "softmax-cross-entropy": symbp.Network([2, 3, 3], ["sigmoid", "softmax"], "cross_entropy"),
    "batch-l2": symbp.Network([2, 3, 2], "sigmoid", "squared_error", batch=2, l2=0.1),
}


def derive_latex(*args: str) -> str:
    result = CliRunner().invoke(app, ["derive", *args, "--format", "latex"])
    assert result.exit_code == 0, result.output
    return result.stdout


def notes_preamble(page_breaks: bool = True) -> str:
    """The notes template's own preamble (A4, 11 pt, 2 cm margins), with or without ``\\allowdisplaybreaks``."""
    preamble = symbp.document(symbp.Network(), "notes.tex").split("\\begin{document}")[0]
    assert "\\allowdisplaybreaks" in preamble  # the template lets displays break across pages
    return preamble if page_breaks else preamble.replace("\\allowdisplaybreaks", "")


def compile_log(preamble: str, body: str) -> str:
    _, log = latex_to_pdf(f"{preamble}\\begin{{document}}\n{body}\n\\end{{document}}\n")
    return log


def overfull(log: str) -> list[str]:
    found = re.finditer(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\).*", log)
    return [m.group(0) for m in found if float(m.group(1)) > 1.0]


def pages(log: str) -> int:
    return int(re.search(r"Output written on \S+ \((\d+) pages?", log).group(1))


@pytest.fixture(scope="module")
def deep_reference() -> str:
    return derive_latex("W1_1_1", *DEEP, "--method", "reference")


def test_a_deep_reference_derivation_breaks_across_rows_and_pages_on_its_own(deep_reference):
    # Without the template's \allowdisplaybreaks: the fragment that derive writes must break by itself.
    require_programs("pdflatex", hint="Debian: texlive-latex-base texlive-latex-recommended")
    log = compile_log(notes_preamble(page_breaks=False), deep_reference)
    assert not overfull(log), overfull(log)[:3]
    assert pages(log) > 3  # it is long: the rows really run over several pages


def test_the_deep_network_in_the_whole_notes_document_with_its_reference(deep_reference):
    require_programs("pdflatex", hint="Debian: texlive-latex-base texlive-latex-recommended")
    network = symbp.Network([2, 2, 2, 2, 2, 2, 1])
    notes = symbp.document(network, "notes.tex", ["W1_1_1"])
    preamble, body = notes.split("\\begin{document}")
    body = body.replace("\\end{document}", "\\section{By sympy.diff}\n" + deep_reference)
    log = compile_log(preamble, body)
    assert not overfull(log), overfull(log)[:3]


def test_left_right_pairs_never_span_rows_and_broken_brackets_nest(deep_reference):
    """Each row's \\left/\\right balance (LaTeX requires it); the sized brackets that span rows nest properly."""
    equations = re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", deep_reference, flags=re.S)
    assert equations
    for equation in equations:
        rows = equation.split("\\\\")
        assert len(rows) > 20
        for row in rows:
            assert row.count("\\left(") == row.count("\\right)"), row
        stack = []
        for size, side in re.findall(r"\\(big|Big|bigg|Bigg)([lr])[()]", equation):
            if side == "l":
                stack.append(size)
            else:
                assert stack and stack.pop() == size, "a sized bracket closes another size"
        assert not stack, "a sized bracket is never closed"


def test_derive_outputs_fit_the_notes_page(tmp_path):
    """Every method's LaTeX for the lecture's and the issue's networks: no row more than 1 pt off the text width."""
    require_programs("pdflatex", hint="Debian: texlive-latex-base texlive-latex-recommended")
    body = []
    for name, network in NETWORKS.items():
        entries = network.select(["W1_1_1", "W2_1_1"])
        items = [*(symbp.naive(network, e) for e in entries), symbp.backprop(network, "all"),
                 *(symbp.reference(network, e) for e in entries)]
        body.append(f"\\section*{{{name}}}\n" + print_derivations(network, items, "latex"))
    log = compile_log(notes_preamble(), "\n".join(body))
    assert not overfull(log), overfull(log)[:5]
