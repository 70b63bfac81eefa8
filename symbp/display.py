"""The one display hook: every result and step of symbp shows itself in Jupyter through the printers.

As SymPy's ``Printable``: the objects offer ``_repr_latex_`` and ``_repr_html_``; how they look
is the printers' business (``symbp.printers.display_latex``, ``display_html``), which import the
result modules, so they are imported when something is displayed, not here. Mathematics shows
as LaTeX; tables of numbers (a check, counts, a grade) as the text printer's table.
"""

from __future__ import annotations


class Displayable:
    """Mixin of every symbp result and step: Jupyter shows its document."""

    __slots__ = ()

    def _repr_latex_(self) -> str | None:
        from .printers import display_latex

        return display_latex(self)

    def _repr_html_(self) -> str | None:
        from .printers import display_html

        return display_html(self)
