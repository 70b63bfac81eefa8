"""The one exception type symbp raises for bad input."""

from __future__ import annotations


class SymbpError(ValueError):
    """Bad input: the message names the bad value and what is accepted."""
