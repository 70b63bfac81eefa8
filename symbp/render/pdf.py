"""Compile LaTeX to PDF with pdflatex, in a throw-away folder."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SymbpError

INSTALL_HINT = "install TeX Live (Debian/Ubuntu: apt-get install texlive-latex-base texlive-latex-recommended)"


def _first_error(log: str) -> str:
    """The first ``! ...`` line of a pdflatex log, with the input line it names."""
    match = re.search(r"^! (.*)$", log, flags=re.MULTILINE)
    if not match:
        return "no error line in the log"
    where = re.search(r"^l\.(\d+)", log[match.end() :], flags=re.MULTILINE)
    return match.group(1).strip() + (f" (input line {where.group(1)})" if where else "")


def compile_pdf(tex: str, out_pdf: Path, *, keep_log: bool = False, timeout: float = 120.0) -> Path:
    """Run ``pdflatex -halt-on-error`` on ``tex`` and write the PDF to ``out_pdf``.

    The log is written next to the PDF (``.log``) when compiling fails, or always
    with ``keep_log``. Raises ``SymbpError`` with one line when pdflatex is missing,
    fails or takes longer than ``timeout`` seconds.
    """
    out_pdf = Path(out_pdf)
    executable = shutil.which("pdflatex")
    if executable is None:
        raise SymbpError(f"pdflatex was not found on PATH; {INSTALL_HINT}")
    log_path = out_pdf.with_suffix(".log")
    with tempfile.TemporaryDirectory(prefix="symbp-latex-") as folder:
        work = Path(folder)
        (work / "document.tex").write_text(tex, encoding="utf-8")
        # No shell escape: a document is data, whatever its strings say.
        command = [executable, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "document.tex"]
        try:
            result = subprocess.run(command, cwd=work, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise SymbpError(f"pdflatex took longer than {timeout:g} s and was stopped") from None
        written = work / "document.log"
        log = written.read_text(encoding="utf-8", errors="replace") if written.exists() else ""
        out_pdf.parent.mkdir(parents=True, exist_ok=True)
        if keep_log or result.returncode != 0:
            log_path.write_text(log, encoding="utf-8")
        if result.returncode != 0 or not (work / "document.pdf").exists():
            raise SymbpError(f"pdflatex failed: {_first_error(log)}; full log: {log_path}")
        shutil.copyfile(work / "document.pdf", out_pdf)
    return out_pdf
