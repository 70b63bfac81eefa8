"""Markdown of a document: plain-text headings, and the LaTeX printer's math inside ``$$`` blocks.

Each display block is one ``aligned`` environment between ``$$`` lines with a blank
line on either side (GitHub needs it), which Jupyter, GitHub and KaTeX all render.
"""

from __future__ import annotations

import re
from typing import Any

from ..docmodel import (
    Algorithm,
    Backprop,
    Document,
    NaiveExpansion,
    ReferenceResult,
    RepeatedWorkPart,
    Title,
    derivations_document,
)
from ..docmodel import ExampleDocument, Section, Table
from .base import network_line
from .latex import DEFAULT_WIDTH, LatexDocumentPrinter

# What plain text can trigger: emphasis, code, links, HTML and entities, table cells, math
# ($; not parentheses, which Jupyter would read as \( math \)), headings, strikethrough.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>$|~&#])")
_LIST_START = re.compile(r"^(\s*\d*)([-+.])(?=\s|$)")


def escape_markdown(text: str) -> str:
    r"""Plain text for Markdown: the characters that would be markup backslash-escaped, one line.

    >>> escape_markdown("a_b * $c$ (d)")
    'a\\_b \\* \\$c\\$ (d)'
    """
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", " ".join(text.splitlines()))
    return _LIST_START.sub(r"\1\\\2", escaped)  # "- x" or "1. x" is not a list item


def display(tex: str) -> str:
    """A ``$$`` block around math-mode ``tex``."""
    return f"$$\n{tex}\n$$\n"


class MarkdownDocumentPrinter(LatexDocumentPrinter):
    """The LaTeX printer (``aligned`` blocks) with Markdown around its parts."""

    def __init__(self, settings: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__({**(settings or {}), **kwargs, "env": "aligned"})

    def _print_Title(self, node: Title) -> str:
        """The heading in bold: the words escaped, the quantities as inline math."""
        words = "".join(escape_markdown(p) if isinstance(p, str) else f"${self.inline(p)}$" for p in node.pieces)
        return f"**{words}**"

    def _print_NaiveExpansion(self, node: NaiveExpansion) -> str:
        return f"{self._print(node.heading)}\n\n{display(super()._print_NaiveExpansion(node))}"

    def _print_Backprop(self, node: Backprop) -> str:
        steps = (f"**{escape_markdown(step.title)}**\n\n{display(self._print_Section(step))}" for step in node.steps)
        return "\n".join([f"{self._print(node.heading)}\n", *steps])

    def _print_ReferenceResult(self, node: ReferenceResult) -> str:
        return f"{self._print(node.heading)}\n\n{display(super()._print_ReferenceResult(node))}"

    def _print_RepeatedWorkPart(self, node: RepeatedWorkPart) -> str:
        return f"{self._print(node.heading)}\n\n{display(super()._print_RepeatedWorkPart(node))}"

    def _print_Document(self, node: Document) -> str:
        header = f"*{escape_markdown(network_line(node.network))}*\n"
        return "\n".join([header, *map(self._print, node.parts)])

    def _print_Algorithm(self, node: Algorithm) -> str:
        header = f"{self._print(node.heading)}\n*{escape_markdown(network_line(node.network))}*\n"
        return f"{header}\n{display(super()._print_Algorithm(node))}"


    def _markdown_Section(self, node: Section) -> str:
        return f"**{escape_markdown(node.title)}**\n\n{display(self._print_Section(node))}"

    def _markdown_Table(self, node: Table) -> str:
        header = [escape_markdown(h) if isinstance(h, str) else f"${self._print(h)}$" for h in node.header]
        rows = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
        rows += ["| " + " | ".join(self._print(cell) for cell in row) + " |" for row in node.rows]
        return f"**{escape_markdown(node.title)}**\n\n" + "\n".join(rows) + "\n"

    def _print_ExampleDocument(self, node: ExampleDocument) -> str:
        parts = [f"*Worked example: {escape_markdown(node.note)}.*\n"]
        parts += [self.method_for("_markdown_", part)(part) for part in node.parts]
        return "\n".join(parts)


def markdown(obj: object, *, width: float = DEFAULT_WIDTH) -> str:
    """Markdown for a derivation or several.

    >>> import symbp
    >>> print(markdown(symbp.naive(symbp.Network(), "W2_1_2")).splitlines()[0])
    **$\\partial C / \\partial W^{(2)}_{12}$ by the naive chain expansion: 1 path of 5 factors**
    """
    items = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    network = items[0].network
    return MarkdownDocumentPrinter(network=network, width=width).doprint(derivations_document(network, items))
