"""The one exception type symbp raises for bad input."""

from __future__ import annotations


class SymbpError(ValueError):
    """Bad input: the message names the bad value and what is accepted."""


def shown(value: object, width: int = 80) -> str:
    """``value``'s repr for a one-line message, cut to ``width`` characters with '…': a spec file's 20,000-entry
    table must not become a 369 KB line."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def shown_number(value: object, digits: int = 12) -> str:
    """A number (int, float or SymPy rational) with at most ``digits`` significant digits: 10**300 as 1e+300, not
    its 301 digits, so a one-line message stays short."""
    from decimal import Decimal, localcontext

    if isinstance(value, float):
        return f"{value:.{digits}g}"
    numerator, denominator = (getattr(value, "p", None), getattr(value, "q", None))
    if numerator is None:
        numerator, denominator = int(value), 1  # type: ignore[call-overload]
    with localcontext() as context:
        context.prec = digits + 2
        mantissa, e, exponent = f"{Decimal(numerator) / Decimal(denominator):.{digits}g}".partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + e + exponent
