"""An explorable page: click an entry, watch its naive paths light up, step through backprop.

``explorer_data`` gathers what the page shows, per entry of the network: its naive
paths as the ids of the graph's nodes and edges (with how many paths use each),
its naive derivation and its backprop gradient as MathML; and the backward pass
as steps, output layer first. ``explorer_page`` writes it into
``templates/explorer.html.jinja`` with the computation graph as inline SVG (from
Graphviz) and the page's own script and CSS, so the file works from disk with no
network. ``explore`` shows the same page in a Jupyter output cell.

A weight W^{(m)}_{ij} is drawn as the edge a^{(m-1)}_j -> z^{(m)}_i it multiplies,
so its paths start with that edge; a bias has no edge and its paths start at z^{(m)}_i.

>>> import symbp
>>> data = explorer_data(symbp.Network())
>>> data.entries["W1_2_3"].paths, sorted(data.entries["W1_2_3"].edges.items())[:2]
(2, [('a0_3->z1_2', 2), ('a1_2->z2_1', 1)])
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass
from math import prod
from typing import Mapping

from .derive.backprop import backprop
from .derive.naive import NaiveDerivation, naive
from .derive.repeated import repeated_work
from .docmodel import Equation, Partial, backprop_steps, naive_expansion
from .errors import SymbpError
from .graph import build_graph
from .layout import learning_rate
from .printers.mathml import MathMLDocumentPrinter
from .render.documents import builtin_template_dir
from .render.dot import computation_graph_dot, draw, edge_id
from .spec import Network, require_network

DEFAULT_TITLE = "Backpropagation, explored"

MAX_EDGES = 600
"""Graph edges beyond which the page is refused: its picture and data would no longer fit a screen or a course page."""

WRITTEN_PATHS = 16
"""An entry with more naive paths shows a summary (counts, the graph) instead of every path written out."""


@dataclass(frozen=True)
class ExplorerEntry:
    """One clickable entry: its naive paths on the graph and its two derivations as MathML."""

    name: str
    kind: str
    layer: int
    label: str
    """The entry in lecture notation, as MathML."""
    paths: int
    factors: int
    edges: Mapping[str, int]
    """Edge id -> how many of the entry's naive paths use that edge."""
    nodes: Mapping[str, int]
    """Node id -> how many of the entry's naive paths pass through it (the entry's own z included)."""
    naive: str
    backprop: str
    written_out: bool = True
    """Whether ``naive`` writes out every path (False beyond ``WRITTEN_PATHS``: the evaluated, grouped form only)."""


@dataclass(frozen=True)
class ExplorerStep:
    """One step of the backward pass: a layer's deltas (or, last, the gradients) and where each sits."""

    title: str
    mathml: str
    deltas: Mapping[str, str]
    """z node id -> the delta's name in Unicode, drawn on that node."""


@dataclass(frozen=True)
class PointValues:
    """Numbers at one point, as in the lecture's worked example: forward values, deltas, gradients, updates."""

    cost: float
    nodes: Mapping[str, float]
    """Node id (``a0_1``, ``z2_1``, ``a2_1``) -> its forward value."""
    deltas: Mapping[str, float]
    """z node id -> delta^{(m)}_i there."""
    gradients: Mapping[str, float]
    """Weight and bias name -> dC/d(it)."""
    updates: Mapping[str, tuple[float, float]]
    """Weight and bias name -> (value, value - lr * gradient); empty without a learning rate."""
    lr: float | None


def point_values(network: Network, raw_point: Mapping[str, object], lr: float | None = None) -> PointValues:
    """Backprop's numbers at ``raw_point`` (a point file's mapping: x, t, W1, b1, ...), and one step of size ``lr``."""
    import numpy as np

    from .costs import require_targets
    from .numeric import gradient_at, point_from_mapping, require_finite

    if lr is not None:
        lr = learning_rate(lr)
    point = point_from_mapping(network, raw_point)
    require_targets(network.cost, point["t"], "point")
    with np.errstate(all="ignore"):  # a NaN or infinity is refused below, in one line
        at = require_finite(network, gradient_at(network, point, "backprop"))
    nodes: dict[str, float] = {"C": float(at.cost)}
    deltas: dict[str, float] = {}
    for by_layer, into, prefix in ((at.z, nodes, ""), (at.a, nodes, ""), (at.delta, deltas, "delta")):
        for key, values in by_layer.items():  # "z2" (or "delta2"): [z2_1, z2_2, ...]
            name = "z" + key.removeprefix(prefix) if prefix else key  # a delta sits on its z
            into.update({f"{name}_{i + 1}": float(v) for i, v in enumerate(values)})
    gradients: dict[str, float] = {}
    updates: dict[str, tuple[float, float]] = {}
    for entry in network.entries(("W", "b")):
        index = (entry.row - 1, entry.col - 1) if entry.kind == "W" else (entry.row - 1,)
        gradient = float(at.gradients[f"{entry.kind}{entry.layer}"][index])
        gradients[entry.name] = gradient
        if lr is not None:
            value = float(point[f"{entry.kind}{entry.layer}"][index])
            updates[entry.name] = (value, value - lr * gradient)
    return PointValues(float(at.cost), nodes, deltas, gradients, updates, lr)


@dataclass(frozen=True)
class ExplorerData:
    """Everything the page shows; the page's script reads it as JSON."""

    title: str
    network: str
    entries: Mapping[str, ExplorerEntry]
    steps: tuple[ExplorerStep, ...]
    deltas: Mapping[str, str]
    """z node id -> delta^{(m)}_i = dC/dz^{(m)}_i as MathML, for marking shared work."""
    paths_to_cost: Mapping[str, int]
    """z node id -> how many paths lead from it to C."""
    point: PointValues | None = None


def _path_edges(derivation: NaiveDerivation) -> dict[str, int]:
    """Edge id -> how many of the entry's paths use that edge."""
    entry = derivation.entry
    edges: dict[str, int] = {}
    for path in derivation.paths:
        for factor in path.factors:
            source, target = factor.wrt.name, factor.of.name
            if entry.kind == "b" and source == entry.name:
                continue  # a bias has no edge: its paths start at z
            if entry.kind == "W" and source == entry.name:
                source = f"a{entry.layer - 1}_{entry.col}"  # the weight is the edge it multiplies
            key = edge_id(source, target)
            edges[key] = edges.get(key, 0) + 1
    return edges


def _path_nodes(derivation: NaiveDerivation) -> dict[str, int]:
    """Node id -> how many of the entry's paths pass through it (a weight's start at the input it multiplies)."""
    entry = derivation.entry
    counts: dict[str, int] = {}
    for path in derivation.paths:
        names = [symbol.name for symbol in path.nodes if not (entry.is_parameter and symbol.name == entry.name)]
        if entry.kind == "W":
            names.append(f"a{entry.layer - 1}_{entry.col}")
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return counts


def check_size(network: Network) -> None:
    """Refuse a network whose graph has more than ``MAX_EDGES`` edges, naming the count."""
    edges = sum(network.D(m - 1) * network.D(m) + network.D(m) for m in range(1, network.L + 1)) + network.D(network.L)
    if edges > MAX_EDGES:
        raise SymbpError(
            f"network {','.join(map(str, network.layers))} has {edges} graph edges; the explorer draws at most "
            f"{MAX_EDGES} (e.g. 4,8,8,1); use symbp cost or symbp render --template notes.md for larger networks"
        )


def page_arguments(
    network: Network, title: str, point: Mapping[str, object] | None, lr: float | None
) -> PointValues | None:
    """Refuse what the page cannot show (before any of it is built); the numbers at ``point``, if given."""
    require_network(network, "explore")
    if not isinstance(title, str):
        raise SymbpError(f"title {title!r} must be text (a str), e.g. {DEFAULT_TITLE!r}")
    check_size(network)
    if network.batch > 1 or network.l2:  # the page clicks through one example's z and a
        raise SymbpError(
            f"the explorer page shows one example without weight decay, not batch {network.batch} and l2 "
            f"{network.l2:g}; accepted: batch 1, l2 0 (notes.tex, slides.tex and notes.md show a batch and decay)"
        )
    if lr is not None and point is None:
        raise SymbpError("a learning rate needs a point: give a point (CLI: --point FILE) with the learning rate")
    return point_values(network, point, lr) if point is not None else None


def explorer_data(
    network: Network,
    *,
    title: str = DEFAULT_TITLE,
    point: Mapping[str, object] | None = None,
    lr: float | None = None,
) -> ExplorerData:
    """The page's data for every weight, bias, z and a of ``network`` (see the module docstring).

    With ``point`` (x, t, W1, b1, ... as in a point file), the numbers there; with ``lr`` too, each update.
    """
    values = page_arguments(network, title, point, lr)
    graph = build_graph(network)
    printer = MathMLDocumentPrinter(network=network)

    def inline(node: object) -> str:
        """One <math> element in the text's flow (a derivation's own <math> blocks made inline)."""
        markup = printer.doprint(node)
        return markup.replace('<math display="block">', "<math>") if markup.startswith("<math") else f"<math>{markup}</math>"

    derivation = backprop(network, list(network.entries(("W", "b", "z", "a"))))
    document = backprop_steps(derivation)
    gradients = dict(zip(document.entries, document.steps[-1].groups[0]))
    expansions = [naive(network, entry) for entry in network.entries(("W", "b", "z", "a"))]
    # Marks for the work each expansion shares with any other: the page shades those the picked entries share.
    work = repeated_work(expansions)
    entries: dict[str, ExplorerEntry] = {}
    for expansion in expansions:
        entry = expansion.entry
        part = naive_expansion(expansion, work)
        if len(expansion.paths) > WRITTEN_PATHS:
            shown = printer.doprint(Equation(part.equation.lhs, part.equation.sides[-1:]))
        else:
            shown = printer.doprint(part)
        entries[entry.name] = ExplorerEntry(
            name=entry.name,
            kind=entry.kind,
            layer=entry.layer,
            label=inline(graph.symbol(entry)),
            paths=len(expansion.paths),
            factors=len(expansion.paths[0].factors),
            edges=_path_edges(expansion),
            nodes=_path_nodes(expansion),
            naive=shown,
            backprop=printer.doprint(gradients[entry.name]),
            written_out=len(expansion.paths) <= WRITTEN_PATHS,
        )
    # One step per layer, output layer first (as backprop_steps orders them), then the gradients.
    layers = list(dict.fromkeys(step.layer for step in derivation.deltas)) + [None]
    steps = [
        ExplorerStep(
            section.title,
            printer.doprint(section),
            {graph.z[s.layer][s.unit - 1].name: graph.text_names[s.symbol] for s in derivation.deltas if s.layer == m},
        )
        for m, section in zip(layers, document.steps)
    ]
    by_name = {expansion.entry.name: expansion for expansion in expansions}
    deltas = {}
    paths_to_cost = {}
    for m in range(1, network.L + 1):
        for i, z in enumerate(graph.z[m]):
            chains = naive_expansion(by_name[z.name]).equation.sides[0]
            deltas[z.name] = inline(Equation(graph.delta[m][i], (Partial(graph.C, z), chains)))
            paths_to_cost[z.name] = prod(network.D(k) for k in range(m + 1, network.L + 1))
    return ExplorerData(title, network.describe(), entries, tuple(steps), deltas, paths_to_cost, values)


def _inline_svg(network: Network) -> str:
    """Graphviz's SVG of the graph, stripped to what HTML needs inline (no prolog, doctype, comments or namespaces)."""
    svg = draw(computation_graph_dot(network), "svg").decode()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    return svg.replace("<svg ", '<svg role="img" aria-label="computation graph" ', 1)


def _script_json(data: object) -> str:
    """JSON safe inside a <script> element: no ``</`` can end it early."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def explorer_page(
    network: Network,
    *,
    title: str = DEFAULT_TITLE,
    point: Mapping[str, object] | None = None,
    lr: float | None = None,
) -> str:
    """The whole self-contained HTML page for ``network`` (numbers at ``point``, updates with ``lr``)."""
    import jinja2

    data = explorer_data(network, title=title, point=point, lr=lr)
    folder = builtin_template_dir()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    markup = jinja2.filters.Markup  # type: ignore[attr-defined]
    return env.get_template("explorer.html.jinja").render(
        title=title,
        network=data.network,
        svg=markup(_inline_svg(network)),
        data=markup(_script_json(asdict(data))),
        script=markup((folder / "explorer.js").read_text(encoding="utf-8")),
        style=markup((folder / "explorer.css").read_text(encoding="utf-8")),
        entries=list(data.entries.values()),
        layers=list(range(1, network.L + 1)),
        point=data.point,
        markup=markup,
    )


@dataclass(frozen=True)
class Explorer:
    """The explorer page of a network; a Jupyter cell shows it in an isolated frame (no widget libraries)."""

    network: Network
    title: str = DEFAULT_TITLE
    height: int = 720
    point: Mapping[str, object] | None = None
    lr: float | None = None

    def html(self) -> str:
        return explorer_page(self.network, title=self.title, point=self.point, lr=self.lr)

    def _repr_html_(self) -> str:
        # srcdoc keeps the page's script and CSS away from the notebook's own.
        return (
            f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" title="{html.escape(self.title)}" '
            f'style="width: 100%; height: {self.height}px; border: 1px solid #ccc;" sandbox="allow-scripts"></iframe>'
        )


def explore(
    network: Network | None = None,
    *,
    title: str = DEFAULT_TITLE,
    height: int = 720,
    point: Mapping[str, object] | None = None,
    lr: float | None = None,
) -> Explorer:
    """The explorer for ``network`` (default: the lecture's), shown by Jupyter in an output cell.

    ``point`` (x, t, W1, b1, ...) adds the numbers there, ``lr`` each weight's update.

    >>> import symbp
    >>> "<iframe" in symbp.explore(symbp.Network([1, 1]))._repr_html_()
    True
    """
    network = Network() if network is None else network
    if isinstance(height, bool) or not isinstance(height, int) or height < 1:
        raise SymbpError(f"height {height!r} must be a whole number of pixels of at least 1, e.g. 720")
    page_arguments(network, title, point, lr)  # refused here, not later when Jupyter displays the page
    return Explorer(network, title, height, point, None if lr is None else learning_rate(lr))

