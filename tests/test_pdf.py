"""PDFs: the same bytes on every run, titles in any script either typeset or refused before anything is written.

Oracles: pdflatex itself (a document that uses a character under \\tracinglostchars=3 compiles
exactly when the fonts have it), pdftotext for what the page shows, and byte equality of two runs.
"""

from __future__ import annotations

import subprocess
import time
import unicodedata

import pytest

import symbp
from symbp.render.documents import GREEK_MATH, LATEX_TEXT_CHARACTERS, document as render
from symbp.render.pdf import LatexError, latex_to_pdf
from test_cli import invoke, ok
from test_templates import require_pdflatex

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command


def strict(tex: str) -> str:
    """``tex`` with a missing glyph an error rather than a silent gap."""
    return tex.replace("\\begin{document}", "\\tracinglostchars=3\n\\begin{document}", 1)


def page_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    shown = subprocess.run(["pdftotext", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return unicodedata.normalize("NFC", shown)  # accents come out as combining marks


def test_pdfs_are_byte_identical_across_runs(tmp_path):
    require_pdflatex()
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    ok("render", "--out", str(first))
    time.sleep(1.1)  # pdflatex's clock has one-second steps: a date in the file would now differ
    ok("render", "--out", str(second))
    assert first.read_bytes().startswith(b"%PDF-") and first.read_bytes() == second.read_bytes()


def test_render_out_pdf_compiles_without_the_pdf_flag(tmp_path):
    require_pdflatex()
    ok("render", "--title", "Week 5", "--out", str(tmp_path / "notes.pdf"))
    pdf = (tmp_path / "notes.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and "Week 5" in page_text(pdf, tmp_path)


def test_a_greek_title_is_typeset_as_math(tmp_path):
    require_pdflatex()
    tex = render(symbp.Network(), "notes.tex", title="Week 5: δ and σ")
    assert r"Week 5: \(\delta\) and \(\sigma\)" in tex
    pdf, _ = latex_to_pdf(strict(tex))
    assert "Week 5: δ and σ" in page_text(pdf, tmp_path)


def test_a_greek_title_compiles_from_the_command_line(tmp_path):
    require_pdflatex()
    ok("render", "--title", "Week 5: δ and σ", "--author", "Zoë Brontë", "--out", str(tmp_path / "w.pdf"))
    shown = page_text((tmp_path / "w.pdf").read_bytes(), tmp_path)
    assert "Week 5: δ and σ" in shown and "Zoë Brontë" in shown


@pytest.mark.parametrize("template", ["notes.tex", "slides.tex"])
def test_every_accepted_character_compiles(template):
    """The table of accepted characters holds: all of them, and every Greek letter, in one strict compile."""
    require_pdflatex()
    accepted = "".join(sorted(LATEX_TEXT_CHARACTERS - set("\t\n")))
    tex = render(symbp.Network(), template, title="".join(GREEK_MATH), author=accepted[:150], course=accepted[150:])
    latex_to_pdf(strict(tex))  # raises LatexError on any character the fonts lack


@pytest.mark.parametrize("field, character, name", [
    ("title", "😀", "U+1F600"), ("author", "中", "U+4E2D"), ("course", "Ж", "U+0416"), ("title", "«", "U+00AB"),
])
def test_a_character_the_fonts_lack_is_refused_before_anything_is_written(tmp_path, field, character, name):
    out = tmp_path / "notes.pdf"
    result = invoke("render", f"--{field}", f"Week 5 {character}", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (f"symbp: error: {field} has character {character!r} ({name}) that the LaTeX fonts "
                             "cannot typeset; use Latin letters (with accents), Greek letters (set as math) and "
                             "common punctuation\n")
    assert list(tmp_path.iterdir()) == []  # no PDF, no .log


@pytest.mark.parametrize("character", ["😀", "中", "Ж", "«"])
def test_the_refused_characters_really_fail_in_pdflatex(character):
    """The oracle for the refusals above: pdflatex with the same font set-up cannot set them."""
    require_pdflatex()
    with pytest.raises(LatexError):
        latex_to_pdf(strict(f"\\documentclass{{article}}\n\\begin{{document}}\nWeek 5 {character}\n\\end{{document}}\n"))


def test_markdown_keeps_any_script():
    text = render(symbp.Network(), "notes.md", title="Week 5: δ 😀 中")
    assert text.startswith("# Week 5: δ 😀 中\n")
