"""Plots: the training cost curve, and naive against backprop multiplications as networks grow.

The data of each plot is a frozen ``Plot`` built without matplotlib, so tests compare it
with the numbers the commands report; ``render`` draws it. matplotlib is imported
inside ``render`` only, so ``import symbp`` and ``symbp --help`` never load it. Every
series has its own marker and line style, so the plots read in black and white.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .counts import ZERO, backprop_count, naive_count
from .errors import SymbpError
from .spec import Network

if TYPE_CHECKING:  # pragma: no cover
    from .train import TrainingResult

PLOT_FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class Series:
    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    marker: str
    linestyle: str


@dataclass(frozen=True)
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]
    log_y: bool = False


@dataclass(frozen=True)
class Plot:
    """One figure: a title over one or more panels side by side."""

    title: str
    panels: tuple[Panel, ...]


def training_plot(result: TrainingResult) -> Plot:
    """The mean cost before training and after each epoch."""
    costs, network = result.costs, result.network
    series = Series("mean cost $C$", tuple(range(len(costs))), tuple(costs), "", "-")
    title = (f"Training on {result.data}: network {','.join(map(str, network.layers))}, "
             f"learning rate $\\eta$ = {result.lr:g}, batch {result.batch_size}")
    panel = Panel("Cost after each epoch", "epoch (passes over the data set)",
                  f"mean cost $C$ ({network.cost.replace('_', ' ')})", (series,))
    return Plot(title, (panel,))


def multiplications(network: Network) -> tuple[int, int]:
    """Chain-rule multiplications for every dC/dW and dC/db: (naive, backprop), exact counts."""
    entries = tuple(network.entries(kinds=("W", "b")))
    naive = sum((naive_count(network, e) for e in entries), ZERO).multiplications
    return naive, backprop_count(network, entries).multiplications


def _counts_series(networks: list[Network], x: list[int]) -> tuple[Series, Series]:
    counted = [multiplications(net) for net in networks]
    return (
        Series("naive: every path on its own", tuple(x), tuple(float(n) for n, _ in counted), "o", "-"),
        Series(r"backprop: each $\delta^{(m)}_j$ once", tuple(x), tuple(float(b) for _, b in counted), "s", "--"),
    )


def cost_plot(network: Network, max_hidden_layers: int = 8, max_width: int = 16) -> Plot:
    """Naive vs backprop multiplications as ``network`` gets deeper (hidden layers of its width) and wider.

    Inputs D(0) and outputs D(L) stay as given; the hidden width is that of the widest hidden layer. The
    network's settings stay too: its first hidden non-linearity in every hidden layer, its output one (a softmax's
    Jacobian paths), its cost, batch and weight decay, and its definitions.
    """
    d_in, d_out = network.D(0), network.D(network.L)
    hidden = network.layers[1:-1]
    width, depth = (max(hidden), len(hidden)) if hidden else (2, 1)
    deeper = list(range(1, max_hidden_layers + 1))
    wider = list(range(1, max_width + 1))
    by_depth = _counts_series([_grown(network, [d_in, *[width] * h, d_out]) for h in deeper], deeper)
    by_width = _counts_series([_grown(network, [d_in, *[w] * depth, d_out]) for w in wider], wider)
    ylabel = "multiplications (count, log scale)"
    return Plot(
        rf"Chain-rule multiplications for every $\partial C/\partial W^{{(m)}}_{{ij}}$ and $\partial C/\partial b^{{(m)}}_i$, "
        rf"$D^{{(0)}}$ = {d_in}, $D^{{(L)}}$ = {d_out}{_settings(network)}",
        (
            Panel(f"Deeper: hidden layers of width {width}", "hidden layers $L - 1$", ylabel, by_depth, log_y=True),
            Panel(f"Wider: {depth} hidden layer{'s' * (depth != 1)}", r"hidden width $D^{(m)}$ (units per layer)", ylabel,
                  by_width, log_y=True),
        ),
    )


def _grown(network: Network, layers: list[int]) -> Network:
    """``network`` with other layer sizes: its hidden non-linearity in every hidden layer, the rest as it is."""
    output = network.activations[-1]
    inner = network.activations[0] if network.L > 1 else (output if not network.activation(network.L).output_only
                                                           else "abstract")
    return replace(network, layers=tuple(layers), activations=(*[inner] * (len(layers) - 2), output))


def _settings(network: Network) -> str:
    """What the counts keep of the network besides its sizes, for the title (empty for the lecture's settings)."""
    parts = [f"{network.activations[-1]} output"] if network.activation(network.L).output_only else []
    if network.batch > 1:
        parts.append(f"batch $N$ = {network.batch}")
    if network.l2:
        parts.append(rf"weight decay $\lambda$ = {network.l2:g}")
    return "".join(f", {part}" for part in parts)


def plot_format(name: str) -> str:
    """The format a file name's suffix names; one of ``PLOT_FORMATS``."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in PLOT_FORMATS:
        raise SymbpError(f"plot file {name!r} must end in .png, .svg or .pdf")
    return suffix


def render(plot: Plot, fmt: str) -> bytes:
    """The figure as PNG, SVG or PDF bytes; the same plot gives the same bytes."""
    if fmt not in PLOT_FORMATS:
        raise SymbpError(f"unknown plot format {fmt!r}; accepted: {', '.join(PLOT_FORMATS)}")
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        raise SymbpError("plots need matplotlib: pip install 'matplotlib>=3.7'") from None

    figure = Figure(figsize=(5.5 * len(plot.panels), 4.2), layout="constrained")
    axes = figure.subplots(1, len(plot.panels), squeeze=False)[0]
    for ax, panel in zip(axes, plot.panels):
        for series in panel.series:
            ax.plot(series.x, series.y, label=series.label, color="black", marker=series.marker or None,
                    linestyle=series.linestyle, markersize=4)
        if panel.log_y:
            ax.set_yscale("log")
        ax.set_title(panel.title, fontsize=10)
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.grid(True, color="0.85", linewidth=0.6)
        if len(panel.series) > 1:
            ax.legend(frameon=False)
    figure.suptitle(plot.title, fontsize=11)
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "symbp"}):
        figure.savefig(buffer, format=fmt, dpi=120, metadata=metadata)
    return buffer.getvalue()
