"""One printer per output format, all printing the same document (``symbp.docmodel``).

Each printer is a SymPy ``Printer`` with a ``_print_<Node>`` method per document
node, so adding a node type is one method per printer and adding a format is one
module and one line in ``FORMATS``, the registry the entry points choose from.

>>> import symbp
>>> net = symbp.Network()
>>> print(print_derivations(net, [symbp.naive(net, "W2_1_2")], "text").splitlines()[2])
∂C/∂W⁽²⁾₁₂ by the naive chain expansion: 1 path of 5 factors

From Python, ``symbp.show(result, format)`` prints any result or step in any of ``PRINTERS``.
"""

from __future__ import annotations

import math
import textwrap
from importlib import import_module
from numbers import Real
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import SymbpError

if TYPE_CHECKING:  # pragma: no cover
    from ..docmodel import Derivation, Node
    from ..spec import Network

# The registries are read by the CLI's --help, which must not load SymPy: the document model is imported in the functions.

FORMATS = {
    "text": ("symbp.printers.text", "TextDocumentPrinter"),
    "latex": ("symbp.printers.latex", "LatexDocumentPrinter"),
    "markdown": ("symbp.printers.markdown", "MarkdownDocumentPrinter"),
    "json": ("symbp.printers.json", "JsonDocumentPrinter"),
}
"""Format name -> (module, printer class); a printer is imported only when its format is asked for.

These are the formats of the command line's files; ``PRINTERS`` adds MathML, for web pages (the explorer, ``show``).
"""

PRINTERS = {**FORMATS, "mathml": ("symbp.printers.mathml", "MathMLDocumentPrinter")}
"""Every printer: ``FORMATS`` and MathML (derivations and the algorithm; no worked examples or tables)."""

TABLE_FORMATS = ("text", "json")
"""The formats of the check, cost and gradient tables (numbers, not mathematics)."""


MAX_LINE_WIDTH = 1_000_000
"""Wider than any page or terminal: one line per equation row."""


def line_width(width: object) -> float | None:
    """``width`` (columns of text, em of LaTeX) when it is a positive finite number; None (the printer's default) stays."""
    if width is None:
        return None
    try:  # float() of an int past 1e308 overflows: that is no width either
        usable = not isinstance(width, bool) and isinstance(width, Real) and 1 <= float(width) <= MAX_LINE_WIDTH
    except OverflowError:
        usable = False
    if not usable:
        shown = f"about 10^{len(str(abs(width))) - 1}" if isinstance(width, int) and abs(width) > 10**12 else repr(width)
        raise SymbpError(f"width {shown} must be a number from 1 to {MAX_LINE_WIDTH:,} (columns of text, em of LaTeX), "
                         "e.g. 80 or 30")
    return float(width)  # type: ignore[arg-type]


def network_of(obj: object, network: object = None) -> Network | None:
    """The network ``obj`` (a derivation, a step, a document node) is of; ``network``, if given, must be that one.

    For a SymPy expression, which carries no network, ``network`` names its symbols.
    """
    from ..spec import Network

    own = getattr(obj, "network", None)
    if network is not None and not isinstance(network, Network):
        raise SymbpError(f"network {network!r} must be a symbp.Network (or None: the one of what is printed)")
    if isinstance(own, Network) and network is not None and network != own:
        raise SymbpError(
            f"network {network.describe()} is not the network of this {type(obj).__name__} ({own.describe()}); "
            "give its own network, or none"
        )
    return own if isinstance(own, Network) else network


def latex_arguments(
    obj: object, network: object, width: object, repeated: object, default_width: float
) -> tuple[Network | None, float]:
    """``symbp.latex``'s network (``network_of``) and width (``line_width``; None: ``default_width``), checked with ``repeated``."""
    from ..derive.repeated import RepeatedWork

    if repeated is not None and not isinstance(repeated, RepeatedWork):
        raise SymbpError(f"repeated {repeated!r} must be the repeated work of naive expansions (.repeated) or None")
    return network_of(obj, network), line_width(width) or default_width


def printer(format: str, network: Network | None, width: float | None = None) -> Any:
    """The printer of ``format`` for ``network``; ``width`` in columns of text or em of LaTeX and Markdown
    (JSON and MathML do not break lines; None: the printer's default)."""
    width = line_width(width)
    if not isinstance(format, str) or format not in PRINTERS:
        raise SymbpError(f"unknown format {format!r}; accepted: {', '.join(PRINTERS)}")
    module, name = PRINTERS[format]
    settings: dict[str, Any] = {"network": network}
    if format == "text" and width is not None:
        settings["width"] = int(width)
    elif format in ("latex", "markdown") and width is not None:
        settings["width"] = width
    if format == "latex":
        settings["env"] = "align*"
    return getattr(import_module(module), name)(**settings)


def display_latex(result: object) -> str | None:
    """What Jupyter shows for ``result`` as display math; None for a table of numbers (shown as HTML)."""
    from ..docmodel import document_of

    node = document_of(result)
    if not node.in_notation:
        return None
    from .latex import LatexDocumentPrinter

    network = getattr(result, "network", getattr(node, "network", None))
    shown = LatexDocumentPrinter(network=network, env="aligned").doprint(node)
    return f"$$\n{shown.strip()}\n$$"


def display_html(result: object) -> str | None:
    """What Jupyter shows for a table of numbers: the text printer's table, preformatted; None for mathematics."""
    import html

    from ..docmodel import document_of

    node = document_of(result)
    return None if node.in_notation else f"<pre>{html.escape(print_document(node, 'text'))}</pre>"


def display_text(result: object) -> str:
    """``str()`` of a result or step: the text printer's output, symbols in lecture notation."""
    from ..docmodel import document_of

    node = document_of(result)
    network = getattr(result, "network", getattr(node, "network", None)) if node.in_notation else None
    return printer("text", network).doprint(node).strip()


def show(result: object, format: str = "text", *, network: Network | None = None, width: float | None = None) -> str:
    """Any symbp result or step in ``format`` (text, latex, markdown, json, mathml): the one way to print from Python.

    A derivation (``naive``, ``backprop``, ``reference``, one entry or several) prints as ``symbp derive`` writes
    it: the network line, then each part under its heading (several naive entries: their repeated work too). A step
    (``bp.delta(1, 2)``, ``bp.gradient("W1_2_3")``) prints as its equation, a check report, cost summary or grade
    as its table (text or json). A step does not know its network: give ``network`` to print its symbols in the
    lecture's notation (a derivation's own network is the default). ``width``: columns of text, em of LaTeX.

    >>> import symbp
    >>> net = symbp.Network()
    >>> print(show(symbp.naive(net, "W2_1_2"), "markdown").splitlines()[2])
    **$\\partial C / \\partial W^{(2)}_{12}$ by the naive chain expansion: 1 path of 5 factors**
    >>> print(show(symbp.backprop(net, "W2_1_2").delta(2, 1), network=net), end="")
    δ⁽²⁾₁ = δ⁽³⁾ · w⁽³⁾₁ · σ⁽²⁾′(z⁽²⁾₁)
    """
    from ..docmodel import BUILDERS, Equation, derivations_document, document_of

    if type(result) in BUILDERS:  # one derivation: a document of one part, as the command line writes it
        node = derivations_document(result.network, [result])  # type: ignore[attr-defined]
    else:
        node = document_of(result)
    if not node.in_notation:
        if format not in TABLE_FORMATS:
            raise SymbpError(f"a {type(result).__name__} prints as a table of numbers; format {format!r} is not "
                             f"accepted for it; accepted: {', '.join(TABLE_FORMATS)}")
        return print_document(node, format, width)
    network = network_of(result, network) or getattr(node, "network", None)
    output = printer(format, network, width).doprint(node)
    if isinstance(node, Equation) and format in ("text", "markdown"):  # a step alone: not indented, in a $$ block
        output = textwrap.dedent(output).strip() if format == "text" else f"$$\n{output.strip()}\n$$"
    return output if output.endswith("\n") else output + "\n"


def print_document(node: Node, format: str = "text", width: float | None = None) -> str:
    """``node`` (a document, or a check, cost or gradient table) in ``format``, ending in a newline."""
    output = printer(format, getattr(node, "network", None) if node.in_notation else None, width).doprint(node)
    return output if output.endswith("\n") else output + "\n"  # a file ends with a newline


def print_derivations(network: Network, items: Sequence[Derivation], format: str = "text", width: float | None = None) -> str:
    """What ``symbp derive --format FORMAT`` writes for these derivations (``width`` in columns, text only)."""
    from ..docmodel import derivations_document

    for item in items:
        network_of(item, network)

    return printer(format, network, width).doprint(derivations_document(network, items))


def print_algorithm(network: Network, format: str = "text", width: float | None = None) -> str:
    """What ``symbp algorithm --format FORMAT`` writes: the lecture's "Truly Complete Version" for ``network``."""
    from ..docmodel import algorithm_document
    from ..spec import require_network

    require_network(network, "print_algorithm")

    return print_document(algorithm_document(network), format, width)


def print_example(example: object, format: str = "text", width: float | None = None) -> str:
    """What ``symbp example --format FORMAT`` writes for a ``symbp.example.WorkedExample``."""
    from ..docmodel import worked_example_document

    document = worked_example_document(example)  # type: ignore[arg-type]
    return printer(format, document.network, width).doprint(document)
