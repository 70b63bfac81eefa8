"""Compile LaTeX to PDF with pdflatex, in a throw-away folder, to the same bytes on every run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SymbpError
from ..io import write_atomic

INSTALL_HINT = "install TeX Live (Debian/Ubuntu: apt-get install texlive-latex-base texlive-latex-recommended)"

SOURCE_DATE_EPOCH = "0"
"""The creation date written into PDFs when the environment sets none (reproducible-builds.org convention)."""


class LatexError(SymbpError):
    """pdflatex failed; ``reason`` is the first error line, ``log`` the whole log."""

    def __init__(self, reason: str, log: str):
        super().__init__(f"pdflatex failed: {reason}")
        self.reason = reason
        self.log = log


def _first_error(log: str) -> str:
    """The first ``! ...`` line of a pdflatex log, with the input line it names."""
    match = re.search(r"^! (.*)$", log, flags=re.MULTILINE)
    if not match:
        return "no error line in the log"
    where = re.search(r"^l\.(\d+)", log[match.end() :], flags=re.MULTILINE)
    return match.group(1).strip() + (f" (input line {where.group(1)})" if where else "")


def latex_to_pdf(tex: str, *, timeout: float = 120.0) -> tuple[bytes, str]:
    """The PDF and the log of ``pdflatex -halt-on-error`` on ``tex``; nothing is left on disk.

    The same ``tex`` gives the same bytes: the dates come from ``SOURCE_DATE_EPOCH``
    (the environment's, else 0) and the trailer has no random ID. Raises ``LatexError``
    when pdflatex fails, ``SymbpError`` when it is missing or takes over ``timeout`` seconds.
    """
    executable = shutil.which("pdflatex")
    if executable is None:
        raise SymbpError(f"pdflatex was not found on PATH; {INSTALL_HINT}")
    environment = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)}
    # No shell escape: a document is data, whatever its strings say.
    command = [executable, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "-jobname=document",
               r"\pdftrailerid{}\input{document.tex}"]
    with tempfile.TemporaryDirectory(prefix="symbp-latex-") as folder:
        work = Path(folder)
        (work / "document.tex").write_text(tex, encoding="utf-8")
        try:
            result = subprocess.run(command, cwd=work, capture_output=True, timeout=timeout, check=False,
                                    stdin=subprocess.DEVNULL, env=environment)
        except subprocess.TimeoutExpired:
            raise SymbpError(f"pdflatex took longer than {timeout:g} s and was stopped") from None
        written = work / "document.log"
        log = written.read_text(encoding="utf-8", errors="replace") if written.exists() else ""
        built = work / "document.pdf"
        if result.returncode != 0 or not built.exists():
            raise LatexError(_first_error(log), log)
        return built.read_bytes(), log


def failure_with_log(error: LatexError, out_pdf: Path | None) -> SymbpError:
    """``error`` as one line, its log kept beside ``out_pdf`` where the output policy allows it."""
    if out_pdf is None:
        return SymbpError(f"{error}; write to a file with --out to keep the log")
    log_path = out_pdf.with_suffix(".log")
    if os.path.lexists(log_path):  # --force is for --out only: a file the user did not name is never replaced
        return SymbpError(f"{error}; the log was not kept: {str(log_path)!r} exists")
    try:
        write_atomic(log_path, error.log, False, option="the log")
    except SymbpError as refused:
        return SymbpError(f"{error}; the log was not kept: {refused}")
    return SymbpError(f"{error}; full log: {log_path}")


def compile_pdf(tex: str, out_pdf: Path, *, keep_log: bool = False, force: bool = True,
                timeout: float = 120.0) -> Path:
    """Compile ``tex`` and write the PDF to ``out_pdf`` (under the output policy of ``symbp.io``).

    The log is written next to the PDF (``.log``) when compiling fails, or always with
    ``keep_log``. ``force`` lets both replace existing files. Raises ``SymbpError``
    with one line when pdflatex is missing, fails or takes longer than ``timeout`` seconds.
    """
    out_pdf = Path(out_pdf)
    try:
        pdf, log = latex_to_pdf(tex, timeout=timeout)
    except LatexError as error:
        raise failure_with_log(error, out_pdf) from None
    write_atomic(out_pdf, pdf, force)
    if keep_log:
        write_atomic(out_pdf.with_suffix(".log"), log, force, option="the log")
    return out_pdf
