"""The one display hook: every result and step of symbp shows itself in Jupyter through the LaTeX printer.

As SymPy's ``Printable``: the objects offer ``_repr_latex_``; how they look is the
printer's business (``symbp.printers.latex``), which imports the result modules, so
it is imported when something is displayed, not here.
"""

from __future__ import annotations


class Displayable:
    """Mixin of every symbp result: ``_repr_latex_`` is its document, printed as display math."""

    __slots__ = ()

    def _repr_latex_(self) -> str:
        from .printers.latex import latex

        return f"$$\n{latex(self)}\n$$"
