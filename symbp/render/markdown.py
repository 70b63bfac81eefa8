"""Markdown with ``$$`` blocks, which Jupyter, GitHub and KaTeX all render.

Each display block is one ``aligned`` environment between ``$$`` lines, with a
blank line on either side (GitHub needs it). Used by ``symbp derive --format markdown``.
"""

from __future__ import annotations

import re
from typing import Sequence

from ..derive.backprop import BackpropDerivation
from ..derive.naive import NaiveDerivation
from ..derive.reference import ReferenceDerivation
from ..derive.repeated import repeated_work
from ..errors import SymbpError
from ..graph import build_graph
from .latex import DEFAULT_WIDTH, latex, latex_backprop_steps

# What plain text can trigger: emphasis, code, links, HTML and entities, table cells, math
# ($; not parentheses, which Jupyter would read as \( math \)), headings, strikethrough.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>$|~&#])")
_LIST_START = re.compile(r"^(\s*\d*)([-+.])(?=\s|$)")

Derivation = NaiveDerivation | BackpropDerivation | ReferenceDerivation


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


def _quantity(derivation: NaiveDerivation | ReferenceDerivation) -> str:
    graph = build_graph(derivation.network)
    symbol = graph.latex_names[graph.symbol(derivation.entry)]
    return rf"$\partial C / \partial {symbol}$"


def markdown(obj: Derivation | Sequence[Derivation], *, width: float = DEFAULT_WIDTH) -> str:
    """Markdown for a derivation, or for several (naive ones then mark the work they repeat).

    >>> import symbp
    >>> print(markdown(symbp.naive(symbp.Network(), "W2_1_2")).splitlines()[0])
    **Naive chain expansion** of $\\partial C / \\partial W^{(2)}_{12}$ (1 path)
    """
    items = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    work = repeated_work([d for d in items if isinstance(d, NaiveDerivation)])
    parts = []
    for item in items:
        if isinstance(item, NaiveDerivation):
            count = len(item.paths)
            heading = f"**Naive chain expansion** of {_quantity(item)} ({count} path{'s' * (count != 1)})"
            parts.append(f"{heading}\n\n{display(latex(item, repeated=work, width=width))}")
        elif isinstance(item, BackpropDerivation):
            for step in latex_backprop_steps(item, width=width):
                parts.append(f"**{escape_markdown(step.title)}**\n\n{display(step.latex)}")
        elif isinstance(item, ReferenceDerivation):
            heading = f"**Reference** (`sympy.diff`) for {_quantity(item)}"
            parts.append(f"{heading}\n\n{display(latex(item, width=width))}")
        else:
            raise SymbpError(
                f"cannot write {type(item).__name__} as Markdown; accepted: naive, backprop or reference derivations"
            )
    return "\n".join(parts)
