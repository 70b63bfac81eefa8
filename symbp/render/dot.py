"""The lecture's computation graph as Graphviz DOT, with the naive paths of one entry highlighted.

Nodes are the inputs a^{(0)}_j, every z and a, and C; edges follow the forward
pass. Each node and edge has a stable id in Graphviz's SVG (``z2_1``, ``a1_2->z2_1``),
so a page's script can point at them. With a naive derivation given, every edge on one of its paths is drawn
bold and coloured, so the picture shows why the path count is the product of
the widths above the entry. After a softmax output every z^{(L)}_j has an edge to every
a^{(L)}_k (the Jacobian), one more factor of D(L).

A batch of N examples is drawn as the graph of one example n (z^{(m),(n)}, a^{(m),(n)},
C^{(n)}): every example has the same graph, and the title says C = (1/N) sum_n C^{(n)}.
Weight decay is no edge of the graph: the title says what it adds to C and to dC/dW.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

import sympy as sp

from ..derive.naive import NaiveDerivation
from ..errors import SymbpError
from ..graph import build_graph
from ..printers.text import network_line
from ..spec import Network

if TYPE_CHECKING:  # pragma: no cover
    from ..example import GraphNumbers

HIGHLIGHT = "#c0392b"
PICTURE_FORMATS = ("dot", "svg", "png", "pdf")


def edge_id(source: str, target: str) -> str:
    """The stable id of an edge in the SVG: ``a1_2->z2_1`` (nodes' ids are their names, ``z2_1``)."""
    return f"{source}->{target}"


def computation_graph_dot(network: Network, naive: NaiveDerivation | None = None,
                          numbers: GraphNumbers | None = None, digits: int = 4) -> str:
    """DOT text of the network's computation graph; ``naive``'s paths in bold red; ``numbers`` (from
    ``symbp.example.graph_numbers``) written on it: values and deltas at the nodes, local derivatives
    on the edges, W and dC/dW on each weight's edge."""
    graph = build_graph(network)
    names = dict(graph.text_names)
    if numbers is not None:
        from ..printers.base import format_number

        number = lambda value: format_number(value, digits)  # noqa: E731
        for symbol, value in numbers.values.items():
            names[symbol] = f"{names[symbol]} = {number(value)}"
        for z, delta in numbers.deltas.items():
            names[z] += f"\\nδ = {number(delta)}"
    on_path: set[tuple[sp.Symbol, sp.Symbol]] = set()
    if naive is not None:
        drawn = _as_example_n(graph)  # a batch: every example's paths are example n's
        for path in naive.paths:
            for factor in path.factors:
                on_path.add((drawn.get(factor.wrt, factor.wrt), drawn.get(factor.of, factor.of)))  # wrt feeds of

    def node_id(symbol: sp.Symbol) -> str:
        return f'"{symbol.name}"'

    def node(symbol: sp.Symbol, shape: str) -> str:
        touched = any(symbol in edge for edge in on_path)
        style = f', color="{HIGHLIGHT}", penwidth=2' if touched else ""
        return f'    {node_id(symbol)} [id="{symbol.name}", label="{names[symbol]}", shape={shape}{style}];'

    def edge(source: sp.Symbol, target: sp.Symbol) -> str:
        style = f' [color="{HIGHLIGHT}", penwidth=2.5' if (source, target) in on_path else ' [color="#999999"'
        if numbers is not None and (source, target) in numbers.local:
            local = number(numbers.local[(source, target)])
            if (source, target) in numbers.weight_gradients:  # the edge's local derivative is the weight
                weight, gradient = numbers.weight_gradients[(source, target)]
                label = f"{names[weight]} = {local}\\n∂C/∂{names[weight]} = {number(gradient)}"
            else:
                label = f"∂C/∂{graph.text_names[source]} = {local}" if target == graph.C else f"σ′ = {local}"
                if graph.softmax_output and target in graph.a[-1]:  # a Jacobian entry, not an element-wise σ′
                    label = f"∂{graph.text_names[target]}/∂{graph.text_names[source]} = {local}"
            style += f', label="{label}", fontsize=9'
        return f'  {node_id(source)} -> {node_id(target)}{style}, id="{edge_id(source.name, target.name)}"];'

    title = network_line(network) + _batch_and_decay_note(network)  # the σ/C line the other commands print
    if naive is not None:
        title += f"  |  naive paths of dC/d{naive.entry.name}: {len(naive.paths)}"
        if network.batch > 1:
            title += f" ({len(naive.paths) // network.batch} in each of the {network.batch} examples)"
        if naive.entry.kind == "W" and network.l2:
            title += f", then + λ{graph.text_names[graph.symbol(naive.entry)]}"
    lines = [
        "digraph computation {",
        "  rankdir=LR; nodesep=0.25; ranksep=0.6;",
        '  node [fontname="DejaVu Sans", fontsize=12];',
        f'  label="{title}"; labelloc=t; fontname="DejaVu Sans";',
    ]
    layer_names = ["input layer"] + [f"layer {m}" for m in range(1, network.L + 1)]
    for m in range(network.L + 1):
        # Not a cluster: Graphviz ignores rank=same ordering inside clusters, and index order reads first.
        lines.append(f"  subgraph layer_{m} {{  // {layer_names[m]}")
        if m > 0:
            lines.extend(node(z, "ellipse") for z in graph.z[m])
        lines.extend(node(a, "box" if m == 0 else "ellipse") for a in graph.a[m])
        columns = [graph.z[m], graph.a[m]] if m > 0 else [graph.a[0]]
        lines.extend(_in_index_order(column, node_id) for column in columns if len(column) > 1)
        lines.append("  }")
    lines.append(node(graph.C, "doublecircle"))
    if naive is not None and naive.entry.is_parameter:
        parameter = graph.symbol(naive.entry)
        lines.append(node(parameter, "diamond"))
        lines.append(edge(parameter, graph.z[naive.entry.layer][naive.entry.row - 1]))
    for m in range(1, network.L + 1):
        lines.extend(edge(a, z) for z in graph.z[m] for a in graph.a[m - 1])
        if m == network.L and graph.softmax_output:  # a^{(L)}_k depends on every z^{(L)}_j: the Jacobian's edges
            lines.extend(edge(z, a) for a in graph.a[m] for z in graph.z[m])
        else:
            lines.extend(edge(z, a) for z, a in zip(graph.z[m], graph.a[m]))
    lines.extend(edge(a, graph.C) for a in graph.a[network.L])
    lines.append("}")
    return "\n".join(lines) + "\n"


def _as_example_n(graph) -> dict[sp.Symbol, sp.Symbol]:
    """A batch's per-example symbols (x, z, a, C of example 1, 2, ...) -> those of the drawn example n."""
    drawn: dict[sp.Symbol, sp.Symbol] = {}
    for example in graph.example_graphs:
        for family in ("z", "a"):
            for own, template in zip(getattr(example, family), getattr(graph, family)):
                drawn.update(zip(own, template))
        drawn[example.C] = graph.C
    return drawn


def _batch_and_decay_note(network: Network) -> str:
    """What the drawn graph leaves out: the other examples of a batch, and the decay of the weights."""
    if network.batch == 1 and not network.l2:
        return ""
    parts = ["C = " + ("(1/N) Σₙ C⁽ⁿ⁾" if network.batch > 1 else "C₀")]
    if network.l2:
        parts[0] += " + (λ/2) Σ W²"
    if network.batch > 1:
        parts.append(f"drawn: example n, one of N = {network.batch} with the same graph")
    if network.l2:
        parts.append("each ∂C/∂W gains λW")
    return "\\n" + "; ".join(parts)


def _in_index_order(column: list[sp.Symbol], node_id) -> str:
    """One column of units kept in index order top to bottom: same rank, chained by invisible edges."""
    chain = " -> ".join(node_id(symbol) for symbol in column)
    return f"    {{ rank=same; {chain} [style=invis]; }}"


def draw(dot_source: str, picture_format: str) -> bytes:
    """Lay out DOT with Graphviz's ``dot`` into svg, png or pdf bytes."""
    if picture_format not in PICTURE_FORMATS[1:]:
        raise SymbpError(f"unknown picture format {picture_format!r}; accepted: {', '.join(PICTURE_FORMATS)}")
    dot = shutil.which("dot")
    if dot is None:
        raise SymbpError("Graphviz's 'dot' is not installed (Debian: apt-get install graphviz); use --format dot")
    done = subprocess.run([dot, f"-T{picture_format}"], input=dot_source.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise SymbpError(f"dot failed: {done.stderr.decode(errors='replace').strip().splitlines()[0]}")
    return done.stdout
