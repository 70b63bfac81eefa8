"""The one exception type symbp raises for bad input."""

from __future__ import annotations


class SymbpError(ValueError):
    """Bad input: the message names the bad value and what is accepted."""


def shown(value: object, width: int = 80) -> str:
    """``value``'s repr for a one-line message, cut to ``width`` characters with '…': a spec file's 20,000-entry
    table must not become a 369 KB line."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
