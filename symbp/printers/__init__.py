"""One printer per output format, all printing the same document (``symbp.document``).

Each printer is a SymPy ``Printer`` with a ``_print_<Node>`` method per document
node, so adding a node type is one method per printer and adding a format is one
module. ``FORMATS`` is the registry the entry points choose from.

>>> import symbp
>>> net = symbp.Network()
>>> print(print_derivations(net, [symbp.naive(net, "W2_1_2")], "text").splitlines()[2])
∂C/∂W⁽²⁾₁₂ by the naive chain expansion: 1 path of 5 factors
"""

from __future__ import annotations

from typing import Any, Sequence

from ..document import Derivation, algorithm_document, derivations_document
from ..errors import SymbpError
from ..spec import Network


def _printer(format: str, network: Network, width: float | None) -> Any:
    if format == "text":
        from .text import DEFAULT_WIDTH, TextDocumentPrinter

        return TextDocumentPrinter(network=network, width=DEFAULT_WIDTH if width is None else int(width))
    if format == "latex":
        from .latex import LatexDocumentPrinter

        return LatexDocumentPrinter(network=network, env="align*")
    if format == "markdown":
        from .markdown import MarkdownDocumentPrinter

        return MarkdownDocumentPrinter(network=network)
    if format == "json":
        from .json import JsonDocumentPrinter

        return JsonDocumentPrinter(network=network)
    raise SymbpError(f"unknown format {format!r}; accepted: {', '.join(FORMATS)}")


FORMATS = ("text", "latex", "markdown", "json")


def print_derivations(network: Network, items: Sequence[Derivation], format: str = "text", width: float | None = None) -> str:
    """What ``symbp derive --format FORMAT`` writes for these derivations (``width`` in columns, text only)."""
    return _printer(format, network, width).doprint(derivations_document(network, items))


def print_algorithm(network: Network, format: str = "text", width: float | None = None) -> str:
    """What ``symbp algorithm --format FORMAT`` writes: the lecture's "Truly Complete Version" for ``network``."""
    output = _printer(format, network, width).doprint(algorithm_document(network))
    return output if output.endswith("\n") else output + "\n"  # a file ends with a newline


def print_example(example: object, format: str = "text", width: float | None = None) -> str:
    """What ``symbp example --format FORMAT`` writes for a ``symbp.example.WorkedExample``."""
    from ..document import worked_example_document

    document = worked_example_document(example)  # type: ignore[arg-type]
    return _printer(format, document.network, width).doprint(document)
