"""The one display hook: every result and step of symbp shows itself in Jupyter through the printers.

As SymPy's ``Printable``: the objects offer ``_repr_latex_`` and ``_repr_html_``; how they look
is the printers' business (``symbp.printers.display_latex``, ``display_html``), which import the
result modules, so they are imported when something is displayed, not here. Mathematics shows
as LaTeX; tables of numbers (a check, counts, a grade) as the text printer's table.
"""

from __future__ import annotations


class Displayable:
    """Mixin of every symbp result and step: Jupyter shows its document, ``print()`` its text.

    ``repr()`` is one short line (``<NaiveDerivation of dC/dW1_2_3: 2 paths>``), not the
    dataclass's every field; document nodes (``dataclass_repr``) keep the dataclass's.
    """

    __slots__ = ()
    dataclass_repr = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # Set on the class itself before @dataclass runs, which then leaves an existing __repr__ alone.
        if not cls.dataclass_repr:
            cls.__repr__ = Displayable.__repr__  # type: ignore[method-assign]

    def __repr__(self) -> str:
        name = type(self).__name__
        entry = getattr(self, "entry", None)
        entries = getattr(self, "entries", None)
        about = f" of dC/d{entry.name}" if hasattr(entry, "name") else ""
        if not about and isinstance(entries, tuple) and entries:
            about = f" of {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
        if not about and hasattr(self, "symbol"):
            about = f" {self.symbol}"  # a delta step: delta2_1
        paths = getattr(self, "paths", None)
        detail = f": {len(paths)} path{'s' * (len(paths) != 1)}" if isinstance(paths, tuple) else ""
        passed = getattr(self, "passed", None)
        detail += f": {'passed' if passed else 'failed'}" if isinstance(passed, bool) else ""
        return f"<{name}{about}{detail}>"

    def __str__(self) -> str:
        from .printers import display_text

        return display_text(self)

    def _repr_latex_(self) -> str | None:
        from .printers import display_latex

        return display_latex(self)

    def _repr_html_(self) -> str | None:
        from .printers import display_html

        return display_html(self)
