"""The templates' Summary: the batch's (1/N) sum_n delta^{(m),(n)}_i a^{(m-1),(n)}_j and the decay's lambda W^{(m)}_{ij}.

Oracle: the lecture's batch gradient and decay term, written out here in LaTeX; pdflatex for the documents.
"""

from __future__ import annotations

import re

import pytest

import symbp
from test_templates import markdown_math_as_latex, overfull, require_pdflatex

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

BATCH_MEAN = r"\frac{1}{N} \sum_{n=1}^{N} \delta^{(m),(n)}_{i} \, a^{(m-1),(n)}_{j}"
DECAY = r"\lambda W^{(m)}_{ij}"
PLAIN = r"\delta^{(m)}_{i} \, a^{(m-1)}_{j}"


def summary(text: str, template: str) -> str:
    start = {"notes.tex": r"\section{Summary}", "slides.tex": r"{Backpropagation summary}", "notes.md": "## Summary"}
    index = text.find(start[template])
    assert index >= 0, f"no Summary in {template}"
    return text[index:]


@pytest.mark.parametrize("template", ["notes.tex", "slides.tex", "notes.md"])
def test_a_batch_with_decay_shows_the_mean_and_the_decay_in_the_summary(template):
    network = symbp.Network([2, 2, 1], "sigmoid", "squared_error", batch=3, l2=0.25)
    part = summary(symbp.document(network, template), template)
    assert BATCH_MEAN in part and DECAY in part and "0.25" in part


@pytest.mark.parametrize("template", ["notes.tex", "notes.md"])
def test_decay_alone_shows_one_product_plus_the_decay(template):
    network = symbp.Network([2, 2, 1], "sigmoid", "squared_error", l2=0.5)
    part = summary(symbp.document(network, template), template)
    assert PLAIN + " + " + DECAY in part and r"\sum_{n" not in part


def test_one_example_without_decay_keeps_the_lecture_s_summary():
    text = symbp.document(symbp.Network([2, 2, 1], "sigmoid", "squared_error"), "notes.tex")
    part = summary(text, "notes.tex")
    assert PLAIN in part and r"\lambda" not in part and r"\sum_{n" not in part
    assert "## Summary" not in symbp.document(symbp.Network([2, 2, 1], "sigmoid", "squared_error"), "notes.md")


@pytest.mark.parametrize("template", ["notes.tex", "slides.tex", "notes.md"])
def test_the_documents_with_the_batch_summary_compile(template):
    require_pdflatex()
    from symbp.render.pdf import latex_to_pdf

    network = symbp.Network([2, 2, 1], "sigmoid", "squared_error", batch=2, l2=0.1)
    text = symbp.document(network, template)
    source = markdown_math_as_latex(text) if template == "notes.md" else text
    if template == "notes.md":
        assert BATCH_MEAN in source  # the Summary's display block is among those compiled
    pdf, log = latex_to_pdf(source)
    assert pdf.startswith(b"%PDF-")
    if template != "notes.md":  # Markdown's math is compiled for validity, in a default article's narrow text
        assert not [line for line in overfull(log) if re.search("hbox", line)], overfull(log)
