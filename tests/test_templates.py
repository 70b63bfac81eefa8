"""Whole documents: every template compiles with a real pdflatex, output is deterministic and safe.

The compile tests need pdflatex (Debian: texlive-latex-base, texlive-latex-recommended, and
texlive-pictures for beamer's pgf).
On a machine without it they are skipped, saying so; under CI=true a missing
pdflatex fails them, so CI cannot pass without compiling.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import symbp
from symbp.render.documents import TEMPLATES, document_context, document as render
from symbp.render.pdf import compile_pdf

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

REPO = Path(__file__).resolve().parents[1]

NETWORKS = {
    "lecture": symbp.Network(),
    "two-outputs": symbp.Network([2, 2, 2], "sigmoid", "squared_error"),
    "four-layers": symbp.Network([3, 4, 3, 2, 2], ["tanh", "relu", "leaky_relu", "sigmoid"], "binary_cross_entropy"),
}
TEX_TEMPLATES = [t for t in TEMPLATES if t.endswith(".tex")]
EVERY_ENTRY = symbp.Network([2, 3, 2], "sigmoid", "squared_error")
"""Slides of all 27 entries: 17 W and b, 10 z and a."""
BATCH_AND_DECAY = symbp.Network([2, 3, 2], "sigmoid", "squared_error", batch=2, l2=0.1)
"""14 rows of notation: the batch's N and the decay's lambda besides the lecture's 12."""
NASTY_TITLE = r"Week 5_% & # $ { } \ ~ ^ \input{/etc/passwd}"
COMPILES = pytest.mark.slow
"""The tests of the ``compiled`` fixture (15 PDFs, a minute of pdflatex): .ci/run runs them (pytest -m slow); by
default test_presentation compiles notes and slides and checks they fit, test_pdf compiles through the CLI."""


def require_pdflatex() -> None:
    if shutil.which("pdflatex") and shutil.which("pdftotext"):
        return
    message = "pdflatex/pdftotext not installed (Debian: texlive-latex-base texlive-latex-recommended poppler-utils)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must compile the templates")
    pytest.skip(message)


def markdown_math_as_latex(markdown: str) -> str:
    """The display blocks of a Markdown document as a LaTeX document, to check that the math is valid."""
    blocks = re.findall(r"^\$\$\n(.*?)\n\$\$$", markdown, flags=re.S | re.M)
    body = "\n".join(f"\\[\n{block}\n\\]" for block in blocks)
    return f"\\documentclass{{article}}\\usepackage{{amsmath,amssymb,xcolor}}\\begin{{document}}\n{body}\n\\end{{document}}\n"


def overfull(log: str, tolerance_pt: float = 1.0) -> list[str]:
    """Lines that TeX set wider than the page, and pages (beamer frames) it filled too high, beyond a hair."""
    found = re.finditer(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\).*", log)
    return [m.group(0) for m in found if float(m.group(1)) > tolerance_pt]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[tuple[str, str], Path | Exception]:
    """Every .tex template for every network, plus the width-8 notes and slides, compiled two at a time."""
    require_pdflatex()
    folder = tmp_path_factory.mktemp("pdf")
    jobs = {(n, t): (net, t, None) for n, net in NETWORKS.items() for t in TEX_TEMPLATES}
    wide = symbp.Network([8, 8, 8, 8], ["sigmoid", "tanh", "softplus"], "squared_error")
    jobs.update({("wide", t): (wide, t, ["W3_8_8", "W2_8_8", "b1_8"]) for t in TEX_TEMPLATES})
    jobs[("every-entry", "slides.tex")] = (EVERY_ENTRY, "slides.tex", ["all"])
    jobs[("batch-and-decay", "slides.tex")] = (BATCH_AND_DECAY, "slides.tex", None)

    jobs.update({(n, "notes.md"): (net, "notes.md", None) for n, net in NETWORKS.items()})

    def build(key):
        net, template, entries = jobs[key]
        out = folder / f"{key[0]}-{key[1]}.pdf"
        try:
            text = render(net, template, entries, title="Backprop", author="A. Teacher")
            if template.endswith(".md"):
                text = markdown_math_as_latex(text)
            return compile_pdf(text, out, keep_log=True)
        except Exception as error:  # reported by the test of this document
            return error

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(jobs, pool.map(build, jobs)))


@COMPILES
@pytest.mark.parametrize("template", TEX_TEMPLATES)
@pytest.mark.parametrize("network", list(NETWORKS))
def test_template_compiles(compiled, network, template):
    result = compiled[(network, template)]
    assert isinstance(result, Path), str(result)
    assert result.stat().st_size > 1000
    assert not overfull(result.with_suffix(".log").read_text()), "an equation runs off the page or frame"


@COMPILES
@pytest.mark.parametrize("network", ["every-entry", "batch-and-decay"])
def test_long_tables_fit_their_frames(compiled, network):
    """27 rows of counts and 14 of notation ran 231 pt and 10 pt below their frames."""
    result = compiled[(network, "slides.tex")]
    assert isinstance(result, Path), str(result)
    assert not overfull(result.with_suffix(".log").read_text()), "a frame is too high"


def test_the_counts_of_every_entry_continue_over_frames():
    tex = render(EVERY_ENTRY, "slides.tex", ["all"])
    assert tex.count(" paths) & ") + tex.count(" path) & ") == 27
    assert tex.count("How much work each method does (continued)") == 3  # 27 entries, 8 a frame
    assert tex.count("All of the above") == 1


@COMPILES
@pytest.mark.parametrize("template", TEX_TEMPLATES)
def test_widths_up_to_8_fit_an_A4_page_and_a_frame(compiled, template):
    result = compiled[("wide", template)]
    assert isinstance(result, Path), str(result)
    assert not overfull(result.with_suffix(".log").read_text())


@COMPILES
def test_the_slides_are_beamer_frames_in_the_lectures_order(compiled):
    tex = render(symbp.Network(), "slides.tex")
    assert re.match(r"\\documentclass\[[^\]]*\]\{beamer\}", tex)
    assert tex.count("\\begin{frame}") == tex.count("\\end{frame}") >= 12
    pdf = compiled[("lecture", "slides.tex")]
    assert "Document Class: beamer" in pdf.with_suffix(".log").read_text()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    titles = ("Notation and definitions", "the forward pass", "Loss derivative", "Notice any inefficiency",
              "The repeated products are the deltas", "Backpropagation: Step 1", "The backpropagation algorithm",
              "Vectorized form", "How much work", "Backpropagation summary")
    positions = [text.find(title) for title in titles]
    assert -1 not in positions and positions == sorted(positions), dict(zip(titles, positions))


@COMPILES
def test_the_notes_contain_every_part(compiled):
    text = subprocess.run(
        ["pdftotext", "-layout", str(compiled[("lecture", "notes.tex")]), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in ("The network", "Forward pass", "Notice any inefficiency", "Backpropagation", "Vectorized form",
                    "The backpropagation algorithm", "How much work"):
        assert heading in text
    # The counts table for the lecture's 3,2,2,1 network, by hand. Naive, paths x (factors - 1) per entry:
    # layer 3: 3 entries x 1 x 2 = 6; layer 2: 6 x 1 x 4 = 24; layer 1: 8 x 2 x 6 = 96; 126 in all.
    # Backprop: deltas 1 + 2 x (1 + 1) + 2 x (2 + 1) = 11, then one product per weight (12): 23.
    assert re.search(r"All 17 weights and biases\s+126\s+23", text)


@pytest.mark.parametrize("network", list(NETWORKS))
def test_markdown_notes_render(network):
    text = render(NETWORKS[network], "notes.md")
    assert text.count("$$\n") % 2 == 0 and "<%" not in text and "%>" not in text
    assert text.startswith("# Backpropagation\n")
    # forward, each entry, each backprop step, vectorized, algorithm: at least 7 display blocks
    assert markdown_math_as_latex(text).count("\\[") >= 7


@COMPILES
@pytest.mark.parametrize("network", list(NETWORKS))
def test_markdown_math_compiles(compiled, network):
    result = compiled[(network, "notes.md")]
    assert isinstance(result, Path), str(result)


@pytest.mark.parametrize("template", TEX_TEMPLATES)
def test_a_title_of_special_characters_prints_literally(tmp_path, template):
    require_pdflatex()
    tex = render(symbp.Network(), template, title=NASTY_TITLE, author="Smith & Co", course="CSC311 100%")
    assert r"\input{/etc/passwd}" not in tex
    pdf = compile_pdf(tex, tmp_path / "nasty.pdf")
    first_page = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # With the standard OT1 fonts of texlive-latex-base, ~ and ^ are the accent glyphs (extracted as their
    # modifier letters) and _ is a drawn rule (extracted as nothing); every other character is itself.
    assert NASTY_TITLE.replace("_", " ").replace("~", "\u02dc").replace("^", "\u02c6") in first_page
    assert "Smith & Co" in first_page and "CSC311 100%" in first_page
    md = render(symbp.Network(), "notes.md", title=NASTY_TITLE)
    # Markdown: what would be markup (emphasis, math, entities, headings, strikethrough) escaped, the rest as is.
    assert md.splitlines()[0] == r"# Week 5\_% \& \# \$ { } \\ \~ ^ \\input{/etc/passwd}"


@pytest.mark.slow  # three interpreters: .ci/run runs it; the golden files are compared in xdist workers of random hash seeds
def test_output_is_identical_across_hash_seeds():
    script = (
        "import symbp, sys\n"
        "net = symbp.Network([3, 2, 2, 2], ['tanh', 'sigmoid', 'sigmoid'], 'binary_cross_entropy')\n"
        "for t in ('notes.tex', 'slides.tex', 'notes.md'):\n"
        "    sys.stdout.write(symbp.document(net, t, ['W1_1_1', 'W2_2_1', 'a1_2']))\n"
        "    sys.stdout.write(symbp.document(symbp.Network(), t))\n"
    )
    outputs = []
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, cwd=REPO, check=True)
        outputs.append(run.stdout)
    assert outputs[0] and outputs[0] == outputs[1] == outputs[2]


def test_own_template_folder_comes_first_and_can_extend(tmp_path):
    (tmp_path / "handout.tex.jinja").write_text(
        "<# a teacher's own template #>\n"
        "\\section*{<%= title %>}\n"
        "<% for entry in entries %>\n"
        "$<%= entry.derivative %>$: <%= entry.paths %> paths\n"
        "<% endfor %>\n"
    )
    (tmp_path / "notes.md.jinja").write_text("<% extends 'notes.md.jinja' %>")  # a name of symbp's own
    text = render(symbp.Network(), "handout.tex", title="50% off_", template_dir=tmp_path)
    assert text == "\\section*{50\\% off\\_}\n$\\partial C / \\partial W^{(2)}_{12}$: 1 paths\n$\\partial C / \\partial W^{(1)}_{23}$: 2 paths\n"


def test_template_errors_are_one_line(tmp_path):
    (tmp_path / "typo.tex.jinja").write_text("<%= entires %>")
    with pytest.raises(symbp.SymbpError, match="entires"):
        render(symbp.Network(), "typo.tex", template_dir=tmp_path)
    with pytest.raises(symbp.SymbpError, match="shipped: notes.tex, slides.tex, notes.md"):
        render(symbp.Network(), "handout.tex")
    with pytest.raises(symbp.SymbpError, match=r"<name>\.tex or <name>\.md"):
        render(symbp.Network(), "notes.html")


def test_context_documents_every_variable_the_templates_use():
    used = set()
    for template in TEMPLATES:
        source = (REPO / "templates" / f"{template}.jinja").read_text()
        used |= set(re.findall(r"<%=?\s*(?:for \w+ in |if )?([a-z_]+)", source))
    context = document_context(symbp.Network())
    loop_names = {"row", "entry", "step", "chunk", "loop", "endfor", "endif", "else"}
    assert used - loop_names <= set(context)
    docs = sys.modules["symbp.render.documents"].__doc__
    for name in context:
        assert f"``{name}``" in docs, f"context variable {name} is not documented"


def test_a_failing_compile_says_why_in_one_line(tmp_path):
    require_pdflatex()
    with pytest.raises(symbp.SymbpError) as error:
        compile_pdf("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}", tmp_path / "bad.pdf")
    assert "Undefined control sequence" in str(error.value) and "\n" not in str(error.value)
    assert (tmp_path / "bad.log").exists()


def test_missing_pdflatex_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(symbp.SymbpError, match="pdflatex was not found on PATH; install TeX Live") as error:
        compile_pdf("\\documentclass{article}", tmp_path / "x.pdf")
    assert "\n" not in str(error.value)


@pytest.mark.wheel
def test_the_wheel_renders_notes_outside_the_repository(tmp_path):
    """Build the wheel from the checkout, install it into a fresh venv, render from elsewhere."""
    source = tmp_path / "source"
    # What the wheel is built from, without build products or caches of this checkout.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in ("symbp", "templates"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)], check=True)
    (wheel,) = wheels.glob("symbp-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import symbp, sys\n"
        "for t in ('slides.tex', 'notes.md', 'notes.tex'):\n"
        "    text = symbp.document(symbp.Network(), t, title='From the wheel')\n"
        "sys.stdout.write(text)\n"
    )
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = subprocess.run([str(python), "-c", script], cwd=elsewhere, capture_output=True, text=True, env=clean_env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("\\documentclass") and "\\title{From the wheel}" in run.stdout
    where = subprocess.run([str(python), "-c", "import symbp; print(symbp.__file__)"], cwd=elsewhere, capture_output=True, text=True, env=clean_env)
    assert str(env_dir) in where.stdout  # really the installed copy, not the checkout


def test_no_public_name_collides_with_a_module_or_a_builtin():
    """symbp.document writes documents, symbp.render is only a package, and nothing is named compile."""
    import builtins
    import types

    import symbp.render.documents  # noqa: F401  (binds the package on symbp: it must not hide a function)

    assert isinstance(symbp.render, types.ModuleType) and not callable(symbp.render)
    assert symbp.document(symbp.Network(), "notes.md", title="T").startswith("# T\n")
    namespace: dict[str, object] = {}
    exec("from symbp import *", namespace)
    assert not set(namespace) & set(dir(builtins)) - {"__builtins__"}
