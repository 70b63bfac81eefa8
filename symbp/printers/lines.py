"""Breaking an equation over rows: the pieces the printers make, and the width measures.

A printer turns an equation's right-hand sides into *pieces*: strings that start with
their operator (``= ``, ``+ ``, ``· `` or ``\\cdot ``), with ``BREAK`` where a new row
must start. Rows are then filled greedily up to a width: columns for text
(``len``), an em estimate for LaTeX (``estimate_width``).
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

BREAK = "\n"
"""A piece that starts the next piece on a new row."""

Measure = Callable[[str], float]


def break_rows(pieces: Sequence[str], fits: Callable[[list[str], bool], bool]) -> list[list[str]]:
    """The one line breaker: ``pieces`` as rows, each filled greedily while ``fits(row, first_row)``.

    When a piece does not fit, the row is broken before it; when it is a factor or term,
    before the row's last ``=`` instead if that part and the piece fit on a row together
    (the lecture's chains read best one ``=`` per row). A piece that does not fit on an
    empty row stands alone.
    """
    rows: list[list[str]] = []
    current: list[str] = []
    for piece in pieces:
        if piece == BREAK:
            if current:
                rows.append(current)
            current = []
            continue
        if current and not fits([*current, piece], not rows):
            relations = [n for n, p in enumerate(current) if n and p.startswith("= ")]
            # An equality that does not fit starts the next row; a factor that does not fit takes its
            # equality along when the two fit on a row together.
            joins = relations and not piece.startswith("= ") and fits([*current[relations[-1] :], piece], False)
            keep = relations[-1] if joins else len(current)
            rows.append(current[:keep])
            current = current[keep:]
        current.append(piece)
    if current:
        rows.append(current)
    return rows


# Text: columns -------------------------------------------------------------------------------

TIE = "\u00a0"
"""A space that no row is cut at (as TeX's ``~``): inside a range ``j = 1, 2``; printed as a space."""


def tied(text: str) -> str:
    """``text`` with its spaces tied: it is never cut across rows."""
    return text.replace(" ", TIE)


def wrap_words(words: Sequence[str], width: int, separator: str = " ", indent: int = 2) -> list[str]:
    """``words`` joined by ``separator`` into lines of at most ``width`` columns where a word fits.

    Each line after the first starts ``indent`` columns in, with the separator's mark
    (``· `` for the separator `` · ``); a word is never cut, and its ties print as spaces.
    """
    mark = separator.strip()
    lead = " " * indent + (mark + " " if mark else "")
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + len(separator) + len(word) <= width:
            lines[-1] += separator + word
        else:
            lines.append(lead + word if lines else word)
    return [line.replace(TIE, " ") for line in lines]


def wrap_text(text: str, width: int, indent: int = 2) -> list[str]:
    """Prose ``text`` as lines of at most ``width`` columns, cut at its spaces (never at a tie)."""
    return wrap_words(text.split(" "), width, " ", indent)


def _hard_wrap(line: str, width: int, column: int) -> list[str]:
    """A row longer than ``width`` cut at spaces, never at a tie (continuations two columns in)."""
    rows = []
    while len(line) > width:
        cut = line.rfind(" ", column + 10, width + 1)
        if cut < 0:
            break  # no space to cut at: let the row run long
        rows.append(line[:cut].rstrip())
        line = " " * (column + 2) + line[cut + 1 :]
    return [*rows, line]


def text_rows(lhs: str, pieces: Sequence[str], width: int, indent: int = 2, note: str = "") -> list[str]:
    """Rows of ``lhs = ...`` no wider than ``width`` columns where possible; ``=``, ``+``, ``-`` align under ``=``.

    A continued product sits two columns right of the operators of sums and equalities;
    a single piece wider than a row is cut at its spaces (not at its ties). ``note`` goes
    at the end of the last row, or wrapped below it when it does not fit.
    """
    eq_column = indent + len(lhs) + 1

    def lines(row: list[str], first: bool) -> list[str]:
        column = eq_column if row[0][:1] in "=+-" else eq_column + 2
        out = _hard_wrap((" " * indent + lhs + " " if first else " " * column) + row[0], width, column)
        for piece in row[1:]:
            out[-1:] = _hard_wrap(f"{out[-1]} {piece}", width, column)
        return out

    def fits(row: list[str], first: bool) -> bool:
        return len(lines(row[:-1], first)[-1]) + 1 + len(row[-1]) <= width

    rows = [line for k, row in enumerate(break_rows(pieces, fits)) for line in lines(row, k == 0)]
    rows = rows or [" " * indent + lhs]
    if note:
        if len(rows[-1]) + 3 + len(note) <= width:
            rows[-1] = f"{rows[-1]}   {note}"
        else:
            rows += [" " * eq_column + line for line in wrap_text(note, width - eq_column, indent=1)]
    return [row.replace(TIE, " ") for row in rows]


# LaTeX: an em estimate ---------------------------------------------------------------------------

_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
# Widths in em of the commands that are not one Greek letter (0.6), measured against pdflatex at 11 pt.
_COMMAND_WIDTHS = {
    **dict.fromkeys(["displaystyle", "limits", "nolimits", "color"], 0.0),
    **dict.fromkeys(["left", "right"], 0.16),  # a sized delimiter is wider than the 0.39 em of "("
    **dict.fromkeys(["bigl", "bigr", "Bigl", "Bigr", "big", "Big"], 0.2),  # and the delimiter after it
    **{"quad": 1.0, "qquad": 2.0, ",": 0.17, ":": 0.22, ";": 0.28, "!": -0.17, " ": 0.33},
    **{"cdot": 0.72, "odot": 1.22, "times": 1.22, "top": 0.78, "prime": 0.3},
    **dict.fromkeys(["dots", "ldots", "cdots"], 1.2),
    **{name: 0.5 * len(name) + 0.2 for name in ("log", "exp", "tanh", "max", "min")},
}
_TEXT = {"text", "textit", "textbf", "mathrm"}
_BOLD = {"mathbf", "boldsymbol", "mathbb"}
_LARGE = {"sum": 1.3, "underbrace": 0.0}  # their scripts sit below and above, not beside


def _group(tex: str, i: int) -> tuple[str, int]:
    """The ``{...}`` group (or single token) starting at ``i``, and the index after it."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return "", i
    if tex[i] != "{":
        match = _COMMAND.match(tex, i)
        end = match.end() if match else i + 1
        return tex[i:end], end
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1 : j], j + 1
    return tex[i + 1 :], len(tex)


def estimate_width(tex: str) -> float:
    """Printed width of display-math ``tex`` in em, roughly (good to about 10%).

    Used only to decide where long sums and products break; the compile tests
    check the result against TeX's own measure (no overfull boxes).
    """
    total = 0.0
    i = 0
    base_is_large = False  # scripts of \sum and \underbrace stack instead of adding width
    large_width = 0.0
    script = 0.0  # width of the scripts already attached to the current base
    while i < len(tex):
        c = tex[i]
        if c in "^_":
            arg, i = _group(tex, i + 1)
            w = 0.82 * estimate_width(arg)
            if base_is_large:
                grown = max(large_width, w)
                total += grown - large_width
                large_width = grown
            else:
                total += max(0.0, w - script)
                script = max(script, w)
            continue
        script = 0.0
        base_is_large = False
        if tex.startswith(r"\begin{cases}", i):
            end = tex.find(r"\end{cases}", i)
            end = len(tex) if end < 0 else end
            rows = tex[i + len(r"\begin{cases}") : end].split(r"\\")
            # The rows stack: as wide as the widest, plus the brace and the quad between columns.
            total += 2.6 + max(sum(estimate_width(cell) for cell in row.split("&")) for row in rows)
            i = end + len(r"\end{cases}")
            continue
        if c == "\\":
            match = _COMMAND.match(tex, i)
            name = match.group(1)
            i = match.end()
            if name == "frac":
                top, i = _group(tex, i)
                bottom, i = _group(tex, i)
                total += max(estimate_width(top), estimate_width(bottom)) + 0.25
            elif name in _TEXT or name in _BOLD or name == "color":
                arg, i = _group(tex, i)
                if name in _TEXT:
                    total += 0.42 * len(arg)
                elif name in _BOLD:
                    total += 1.1 * estimate_width(arg)
                # \color's argument is a name, not printed
            elif name in _LARGE:
                large_width = _LARGE[name]
                if name == "underbrace":
                    arg, i = _group(tex, i)
                    large_width = estimate_width(arg)
                total += large_width
                base_is_large = True
            else:
                total += _COMMAND_WIDTHS.get(name, 0.6)  # 0.6: a Greek letter, \partial, \nabla
            continue
        i += 1
        if c in "{} &":
            continue
        if c in "+-":
            total += 1.22
        elif c in "=<>":
            total += 1.33
        elif c in "()[]|":
            total += 0.39
        elif c == ",":
            total += 0.45
        elif c.isdigit():
            total += 0.5
        elif c.isupper():
            total += 0.8  # W dominates: 0.94 em
        else:
            total += 0.55
    return total


def latex_rows(equations: Sequence[tuple[str, Sequence[str]]], width: float, measure: Measure = estimate_width) -> list[str]:
    """Aligned rows for ``equations``, broken by ``break_rows`` with the em estimate.

    A row that starts with a relation aligns on it; any other continuation row is
    indented by a quad. All equations share one alignment column, so the room on the
    right is what the widest left side leaves.
    """
    room = width - max((measure(lhs) for lhs, _ in equations), default=0.0)

    def fits(row: list[str], first: bool) -> bool:
        indent = 0.0 if row[0].startswith("= ") else 1.0
        return indent + sum(measure(p) for p in row) <= room

    rows: list[str] = []
    for lhs, pieces in equations:
        for k, row in enumerate(break_rows(pieces, fits)):
            start = f"{lhs} &" if k == 0 else "&" if row[0].startswith("= ") else "&\\quad "
            rows.append(start + " ".join(row))
    return rows
