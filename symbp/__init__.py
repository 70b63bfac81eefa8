"""symbp: see backprop. Derive every gradient of a small network three ways, prove them equal.

>>> import symbp
>>> net = symbp.Network(layers=[3, 2, 2, 1], activations="sigmoid", cost="squared_error")
>>> len(symbp.naive(net, "W1_2_3").paths)
2
>>> symbp.backprop(net).gradient("W1_2_3").formula
a0_3*delta1_2

Attributes are imported on first use, so ``import symbp`` (and ``symbp --help``)
stays fast and SymPy loads only when a derivation is asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Network": "symbp.spec",
    "Entry": "symbp.spec",
    "DEFAULT_NETWORK": "symbp.spec",
    "LECTURE_ENTRIES": "symbp.spec",
    "SymbpError": "symbp.errors",
    "build_graph": "symbp.graph",
    "Graph": "symbp.graph",
    "naive": "symbp.derive",
    "backprop": "symbp.derive",
    "reference": "symbp.derive",
    "NaiveDerivation": "symbp.derive",
    "BackpropDerivation": "symbp.derive",
    "ReferenceDerivation": "symbp.derive",
    "NaiveDerivations": "symbp.derive",
    "ReferenceDerivations": "symbp.derive",
    "check": "symbp.checking",
    "CheckReport": "symbp.checking",
    "grade": "symbp.grading", "GradeResult": "symbp.grading",
    "exercises": "symbp.exercise", "grade_sheet": "symbp.sheetgrade",
    "gradient_at": "symbp.numeric",
    "random_point": "symbp.numeric",
    "latex": "symbp.printers.latex",
    "show": "symbp.printers",
    "document": "symbp.render.documents",
    "gradient_function": "symbp.codegen", "module_source": "symbp.codegen",
    "explore": "symbp.explorer",
    "ACTIVATIONS": "symbp.activations",
    "COSTS": "symbp.costs",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .activations import ACTIVATIONS
    from .checking import CheckReport, check
    from .costs import COSTS
    from .derive import (
        BackpropDerivation, NaiveDerivation, NaiveDerivations, ReferenceDerivation, ReferenceDerivations, backprop, naive,
        reference,
    )
    from .errors import SymbpError
    from .codegen import gradient_function, module_source
    from .graph import Graph, build_graph
    from .numeric import gradient_at, random_point
    from .render.documents import document
    from .printers import show
    from .printers.latex import latex
    from .spec import DEFAULT_NETWORK, LECTURE_ENTRIES, Entry, Network


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        if not name.startswith("_"):  # a submodule, as symbp.codegen, loaded when first named
            try:
                return import_module(f"symbp.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"symbp.{name}":
                    raise
        raise AttributeError(f"module 'symbp' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
