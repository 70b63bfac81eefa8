"""Who differentiates the reference: the choices, in one place that loads neither SymPy nor SymEngine.

``symbp --help`` lists them, so this module imports nothing heavy.
"""

from __future__ import annotations

REFERENCE_ENGINES = ("symengine", "sympy")
"""SymEngine (C++, hundreds of times faster) or SymPy, the pure-Python path."""

DEFAULT_REFERENCE_ENGINE = "symengine"
