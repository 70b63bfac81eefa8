"""The bytes of a rendered file: a document from a template (``symbp render``), a computation graph (``symbp picture``).

Each function checks its options against each other, renders, and returns what the file holds (text, or
the bytes of a PDF or an image); where it goes is the caller's business (``symbp.io``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import SymbpError
from ..io import is_stdout, output_format
from ..spec import Network, require_numbers
from ..specfile import read_point


def render_file(
    network: Network,
    template: str = "notes.tex",
    entries: Sequence[str] | None = None,
    *,
    out: Path | None = None,
    pdf: bool = False,
    point: Path | None = None,
    max_paths: int | None = None,
    title: str = "Backpropagation",
    author: str = "",
    course: str = "",
    lr: float | None = None,
    digits: int = 4,
) -> str | bytes:
    """``template`` rendered for ``network``: its text, or the compiled PDF when ``pdf`` or ``out`` is a ``.pdf``.

    ``entries`` may separate names by commas; ``point`` is a point file for the worked example. A failed
    compile keeps its log beside ``out`` where that is allowed (``symbp.render.pdf.failure_with_log``).
    """
    from .documents import DOCUMENT_MAX_PATHS, document, find_template

    name, folder = find_template(template)
    suffix = name.removesuffix(".jinja").rsplit(".", 1)[-1]
    kind = {"tex": "latex", "html": "html"}.get(suffix, "markdown")
    pdf = output_format(out, "pdf" if pdf else None, [kind, "pdf"] if kind == "latex" else [kind], kind,
                        option="--pdf", writer=f"template {template!r}") == "pdf"
    if pdf and out is None:
        raise SymbpError("--pdf writes a file: add --out FILE.pdf (or -o - for standard output)")
    if pdf and kind != "latex":
        raise SymbpError(f"--pdf compiles LaTeX, but template {template!r} is not a .tex template")
    chosen = [n.strip() for item in entries for n in item.split(",")] if entries else None
    text = document(network, name, chosen, title=title, author=author, course=course, template_dir=folder,
                    max_paths=max_paths or DOCUMENT_MAX_PATHS, point=read_point(point) if point is not None else None,
                    lr=lr, digits=digits)
    return _compiled(text, out) if pdf else text


def _compiled(document: str, out: Path | None) -> bytes:
    """The PDF of ``document``, compiled in a temporary folder; a failure's log goes beside ``out`` if allowed."""
    from .pdf import LatexError, failure_with_log, latex_to_pdf

    try:
        pdf, _ = latex_to_pdf(document)
    except LatexError as error:
        raise failure_with_log(error, None if is_stdout(out) else out) from None
    return pdf


def picture_file(
    network: Network,
    entry: str | None = None,
    *,
    format: str = "dot",
    out: Path | None = None,
    point: Path | None = None,
    max_paths: int | None = None,
) -> str | bytes:
    """The computation graph of ``network`` as DOT text, or drawn by Graphviz (``svg``, ``png``, ``pdf``) for ``out``.

    ``entry``'s naive paths are drawn in bold; ``point`` (a point file) writes one pass's numbers on the graph.
    """
    from ..derive.naive import naive
    from .dot import computation_graph_dot, draw

    if format != "dot" and out is None:
        raise SymbpError(f"--format {format} writes a binary file: add --out FILE (or -o - for standard "
                         "output), or use --format dot")
    if point is not None and network.batch > 1:
        raise SymbpError(f"--point draws one example's numbers, and a batch of {network.batch} has {network.batch} "
                         "graphs of numbers: use symbp example --batch (every example's numbers), or batch 1")
    derivation = naive(network, network.entry(entry), max_paths=max_paths) if entry else None
    numbers = None
    if point is not None:
        require_numbers(network, "picture --point")
        from ..example import graph_numbers
        from ..costs import require_targets
        from ..numeric import point_from_mapping

        values = point_from_mapping(network, read_point(point))
        require_targets(network.cost, values["t"], f"point file {str(point)!r}")
        numbers = graph_numbers(network, values)
    source = computation_graph_dot(network, derivation, numbers)
    return source if format == "dot" else draw(source, format)


def sheet_files(sheet, chosen: str, out: Path | None) -> list[tuple[Path | None, str | bytes]]:
    """What ``symbp exercise`` writes for ``sheet`` (``symbp.exercise.exercises``) in format ``chosen``.

    JSON: one file holding both. LaTeX, Markdown, PDF to ``out``: the sheet there and its solutions beside it
    (``week5.pdf``, ``week5-solutions.pdf``). Markdown on standard output: one text, the sheet then the solutions.
    Call ``sheet_targets`` first; nothing is written here.
    """
    from ..exercise import render_sheet

    if chosen == "json":
        return [(out, render_sheet(sheet, "json"))]
    source = "latex" if chosen == "pdf" else chosen
    documents = [render_sheet(sheet, source, solutions=False), render_sheet(sheet, source, solutions=True)]
    if is_stdout(out):
        return [(out, "\n".join(documents))]
    targets = sheet_targets(chosen, out)
    if chosen == "pdf":
        return [(target, _compiled(document, target)) for target, document in zip(targets, documents)]
    return list(zip(targets, documents))


def sheet_targets(chosen: str, out: Path | None) -> list[Path | None]:
    """The files ``sheet_files`` will write, to check before any work; LaTeX and PDF need a file."""
    if chosen in ("latex", "pdf") and is_stdout(out):
        raise SymbpError(f"{chosen} writes two files, the sheet and its solutions: add --out FILE."
                         f"{'tex' if chosen == 'latex' else 'pdf'}")
    if chosen == "json" or is_stdout(out):
        return [out]
    return [out, out.with_name(f"{out.stem}-solutions{out.suffix}")]  # type: ignore[union-attr]
