"""The three derivations, each a pure function returning an immutable result."""

from __future__ import annotations

from typing import Callable, Iterable, Sequence, Union

from ..errors import SymbpError
from ..spec import LECTURE_ENTRIES, Entry, Network, require_network, selected_entries

from .backprop import BackpropDerivation, DeltaStep, GradientStep, backprop
from .naive import DEFAULT_MAX_PATHS, Factor, NaiveDerivation, NaiveDerivations, Path, naive
from .reference import ReferenceDerivation, ReferenceDerivations, reference, written_out_refusal
from ..engines import DEFAULT_REFERENCE_ENGINE

__all__ = [
    "BackpropDerivation",
    "DeltaStep",
    "GradientStep",
    "backprop",
    "DEFAULT_MAX_PATHS",
    "Factor",
    "NaiveDerivation",
    "NaiveDerivations",
    "Path",
    "naive",
    "ReferenceDerivation",
    "ReferenceDerivations",
    "reference",
    "METHODS",
    "default_entries",
    "derivations",
]

METHODS = ("naive", "backprop", "reference")

Derivation = Union[NaiveDerivation, BackpropDerivation, ReferenceDerivation]


def default_entries(network: Network) -> tuple[str, ...]:
    """The lecture's two exercises when the network has them, else the same idea for this network.

    One weight into the layer below the output and one into the first layer, so that
    their expansions share work.
    """
    try:
        return tuple(e.name for e in network.select(list(LECTURE_ENTRIES)))
    except SymbpError:
        pass
    L = network.L
    low = f"W1_{min(2, network.D(1))}_{min(3, network.D(0))}"
    if L == 1:
        return (low,)
    return tuple(dict.fromkeys([f"W{L - 1}_1_{min(2, network.D(L - 2))}", low]))


def derivations(
    network: Network,
    entries: str | Entry | Iterable[str | Entry] | None = None,
    methods: Sequence[str] = ("naive", "backprop"),
    *,
    max_paths: int | None = DEFAULT_MAX_PATHS,
    progress: Callable[[int, int], None] | None = None,
    reference_engine: str = DEFAULT_REFERENCE_ENGINE,
) -> list[Derivation]:
    """What ``symbp derive`` shows: per method in ``METHODS`` order (``all``: every one), naive and reference per entry.

    ``entries`` are names, groups (W2, b1, all) or ``Entry`` objects; default: ``default_entries``. The naive
    budget counts every entry asked for together; ``progress(done, total)`` follows the slow parts;
    ``reference_engine`` (symengine or sympy) differentiates the reference.
    """
    from .naive import check_budget

    require_network(network, "derivations")
    chosen = selected_entries(network, default_entries(network) if entries is None else entries)
    if not isinstance(methods, (list, tuple)) or not all(isinstance(m, str) for m in methods):
        raise SymbpError(f"methods {methods!r} must be a list of method names; accepted: {', '.join(METHODS)}, all")
    unknown = [m for m in methods if m not in (*METHODS, "all")]
    if unknown:
        raise SymbpError(f"unknown method {unknown[0]!r}; accepted: {', '.join(METHODS)}, all")
    wanted = METHODS if "all" in methods else [m for m in METHODS if m in methods]
    if "naive" in wanted:
        check_budget(network, chosen, max_paths)
    if "reference" in wanted and (refusal := written_out_refusal(network, chosen)):
        raise SymbpError(f"{refusal}; or name fewer entries")
    slow = len(chosen) * (("naive" in wanted) + ("reference" in wanted))
    done = 0
    items: list[Derivation] = []
    for method in wanted:
        if method == "backprop":
            items.append(backprop(network, chosen))
            continue
        for entry in chosen:
            items.append(
                naive(network, entry, max_paths) if method == "naive" else reference(network, entry, engine=reference_engine)
            )
            done += 1
            if progress is not None:
                progress(done, slow)
    return items
