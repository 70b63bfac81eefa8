"""The user's network: layer sizes, a non-linearity per layer, a cost; and entry names.

Validated on construction and frozen, so everything downstream can trust it.
"""

from __future__ import annotations

import math
import re
import sys
from math import prod
from numbers import Integral, Real
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Sequence

from .activations import ACTIVATIONS, Activation, Definitions, activation_named, definitions
from .costs import COSTS, pairing_refusal
from .errors import SymbpError, shown

ENTRY_KINDS = ("W", "b", "z", "a")
# ASCII digits only: Python's \\d also matches Arabic-Indic or fullwidth digits.
_ENTRY_PATTERN = re.compile(r"(?P<kind>[Wbza])(?P<layer>[0-9]+)(?:_(?P<row>[0-9]+)(?:_(?P<col>[0-9]+))?)?", re.ASCII)
# The lecture's lowercase weight of a one-unit layer: w^{(3)}_j is W^{(3)}_{1j}.
_SINGLE_OUTPUT_WEIGHT = re.compile(r"w(?P<layer>[0-9]+)_(?P<col>[0-9]+)", re.ASCII)
ENTRY_FORMS = "W<m>_<i>_<j>, b<m>_<i>, z<m>_<i>, a<m>_<i>, a whole W<m>, b<m>, z<m> or a<m>, or all"
CANONICAL_FORM = "numbers in ASCII digits without leading zeros, e.g. W2_1_2"
ENTRY_ITEMS = f"entry names or groups ({ENTRY_FORMS}) or symbp.Entry objects, one or a list"

DEFAULT_MAX_PARAMETERS = 20_000
"""Symbolic work (graph, derivations, lambdify) costs about 0.1 ms a parameter, so the
default keeps any command within seconds; ``cost`` counts by formula and needs no limit."""


@dataclass(frozen=True, order=True)
class Entry:
    """One quantity of the network, 1-based like the lecture: W^{(layer)}_{row col}."""

    kind: str
    layer: int
    row: int
    col: int = 0  # only weights have a column

    @property
    def name(self) -> str:
        """Canonical name used everywhere: ``W2_1_2``, ``b2_1``, ``z2_1``, ``a1_2``."""
        suffix = f"_{self.col}" if self.kind == "W" else ""
        return f"{self.kind}{self.layer}_{self.row}{suffix}"

    @property
    def is_parameter(self) -> bool:
        return self.kind in ("W", "b")

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Network:
    """A fully connected network D(0), ..., D(L) with sigma^{(m)} per layer and a cost.

    >>> net = Network(layers=[3, 2, 2, 1], activations="sigmoid", cost="squared_error")
    >>> net.L, net.activations
    (3, ('sigmoid', 'sigmoid', 'sigmoid'))

    ``define`` names non-linearities written as formulas in x, usable like built-ins:

    >>> Network([2, 1], "swish", "squared_error", define={"swish": "x/(1+exp(-x))"}).activation(1).formula
    'x/(1+exp(-x))'
    """

    layers: tuple[int, ...] = (3, 2, 2, 1)
    activations: tuple[str, ...] | str = "abstract"
    cost: str = "abstract"
    define: Definitions = ()
    """(name, formula) pairs sorted by name; a {name: formula} dict is accepted and converted."""

    batch: int = 1
    """N examples: C = (1/N) sum_n C(a^{(L),(n)}, t^{(n)})."""
    l2: float = 0.0
    """Weight decay lambda: C gains (lambda/2) sum_m sum_ij (W^{(m)}_{ij})^2 (biases not included)."""

    def __post_init__(self) -> None:
        layers = _validate_layers(self.layers)
        object.__setattr__(self, "batch", _validate_batch(self.batch))
        object.__setattr__(self, "l2", _validate_l2(self.l2))
        define = definitions(self.define)
        object.__setattr__(self, "define", define)
        activations = _validate_activations(self.activations, len(layers) - 1, define)
        if activations[-1] == "softmax" and layers[-1] == 1:
            raise SymbpError(
                "softmax over 1 output unit is the constant 1 (every gradient is 0); give the output layer "
                "2 or more units, or for one unit use sigmoid with --cost binary_cross_entropy"
            )
        if not isinstance(self.cost, str) or self.cost not in COSTS:
            raise SymbpError(f"unknown cost {self.cost!r}; known costs: {', '.join(COSTS)}")
        refusal = pairing_refusal(self.cost, activations[-1])
        if refusal:
            raise SymbpError(refusal)
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "activations", activations)

    @property
    def L(self) -> int:
        """Number of layers with weights (the lecture's L)."""
        return len(self.layers) - 1

    def D(self, m: int) -> int:
        """Width of layer m, the lecture's D^{(m)}."""
        return self.layers[m]

    def activation(self, m: int) -> Activation:
        """sigma^{(m)}, built-in or defined."""
        return activation_named(self.activations[m - 1], self.define)

    @property
    def is_abstract(self) -> bool:
        """True when some sigma^{(m)} or C has no formula, so there are no numbers to try."""
        return self.cost == "abstract" or "abstract" in self.activations

    @property
    def parameter_count(self) -> int:
        return sum(self.D(m) * (self.D(m - 1) + 1) for m in range(1, self.L + 1))

    def describe(self) -> str:
        """One line: ``3,2,2,1 sigma: abstract,abstract,abstract C: abstract``."""
        sizes = ",".join(map(str, self.layers))
        where = f" where {'; '.join(self.formulas)}" if self.formulas else ""
        extras = (f" N: {self.batch}" if self.batch > 1 else "") + (f" l2: {self.l2:g}" if self.l2 else "")
        return f"{sizes} sigma: {','.join(self.activations)} C: {self.cost}{extras}{where}"

    @property
    def formulas(self) -> tuple[str, ...]:
        """The defined non-linearities the layers use, as ``swish(x) = x/(1+exp(-x))``."""
        return tuple(f"{name}(x) = {formula}" for name, formula in self.define if name in self.activations)

    @property
    def per_example_kinds(self) -> tuple[str, ...]:
        """Entry kinds that have a gradient: with a batch, z and a belong to one example, so W and b only."""
        return ENTRY_KINDS if self.batch == 1 else ("W", "b")

    # Entries -----------------------------------------------------------

    def entries(self, kinds: Sequence[str] = ENTRY_KINDS) -> Iterator[Entry]:
        """Every entry of the given kinds, layer by layer, in row-major order."""
        for m in range(1, self.L + 1):
            for kind in ENTRY_KINDS:
                if kind not in kinds or kind not in self.per_example_kinds:
                    continue
                yield from self._layer_entries(kind, m)

    def _layer_entries(self, kind: str, m: int) -> Iterator[Entry]:
        for i in range(1, self.D(m) + 1):
            if kind == "W":
                for j in range(1, self.D(m - 1) + 1):
                    yield Entry("W", m, i, j)
            else:
                yield Entry(kind, m, i)

    def entry(self, name: str | Entry) -> Entry:
        """One entry of this network: its canonical name (``W2_1_2``) or an ``Entry``, checked to exist."""
        found = self.select([name])
        if isinstance(name, Entry):
            return found[0]
        if len(found) != 1 or found[0].name != self.canonical_name(name.strip()):
            raise SymbpError(f"{name!r} names a group, not one entry; accepted: W<m>_<i>_<j>, b<m>_<i>, z<m>_<i>, a<m>_<i>")
        return found[0]

    def select(self, names: Iterable[str | Entry]) -> tuple[Entry, ...]:
        """Entries named by canonical names, groups (``W2``, ``b1``, ``all``) or ``Entry`` objects, without repeats."""
        chosen: dict[Entry, None] = {}
        for raw in names:
            if isinstance(raw, Entry):
                chosen[self._checked(raw)] = None
                continue
            if not isinstance(raw, str):
                raise SymbpError(f"entry {_describe(raw)} ({type(raw).__name__}) is not accepted; accepted: {ENTRY_ITEMS}")
            for entry in self._parse(raw.strip()):
                chosen[entry] = None
        return tuple(chosen)

    def _checked(self, entry: Entry) -> Entry:
        """``entry`` when it is one of this network's (the same fields as the entry its name parses to)."""
        try:
            parsed = self._parse(entry.name)
        except SymbpError as error:
            raise SymbpError(f"{_describe(entry)} is not an entry of network {_sizes_text(self.layers)}: {error}") from None
        if parsed == [entry]:
            return entry
        raise SymbpError(
            f"{_describe(entry)} is not an entry of network {_sizes_text(self.layers)} (its name {entry.name} is "
            f"{_describe(parsed[0])}); accepted: kind one of {', '.join(self.per_example_kinds)}, layer 1..{self.L}, "
            "row 1..D(layer), col 1..D(layer - 1) for W and 0 otherwise, all whole numbers"
        )

    def canonical_name(self, name: str) -> str:
        """``w3_1`` (the lecture's weight into a one-unit layer) as ``W3_1_1``; other names as they are."""
        match = _SINGLE_OUTPUT_WEIGHT.fullmatch(name)
        if not match:
            return name
        m = _index(match["layer"])
        if not 1 <= m <= self.L or self.D(m) != 1:
            units = f"has {self.D(m)} units" if 1 <= m <= self.L else "does not exist"
            raise SymbpError(f"entry {name!r}: w<m>_<j> is the lecture's weight into a one-unit layer, "
                             f"but layer {match['layer']} {units}; write W{match['layer']}_<i>_{match['col']}")
        return f"W{match['layer']}_1_{match['col']}"

    def _parse(self, name: str) -> list[Entry]:
        name = self.canonical_name(name)
        if name == "all":
            return list(self.entries())
        match = _ENTRY_PATTERN.fullmatch(name)
        if not match:
            raise SymbpError(f"unknown entry {name!r}; accepted: {ENTRY_FORMS}, with {CANONICAL_FORM}")
        numbers = [n for n in (match["layer"], match["row"], match["col"]) if n is not None]
        if any(len(n) > 1 and n.startswith("0") for n in numbers):
            raise SymbpError(f"entry {name!r} has a leading zero; write {CANONICAL_FORM}")
        kind, layer, row, col = match["kind"], match["layer"], match["row"], match["col"]
        if kind not in self.per_example_kinds:
            raise SymbpError(
                f"entry {name!r}: with a batch of {self.batch} examples each example has its own {kind}; "
                "accepted: W and b entries (W<m>_<i>_<j>, b<m>_<i>, W<m>, b<m>, all)"
            )
        m = _index(layer)
        if not 1 <= m <= self.L:
            raise SymbpError(f"entry {name!r}: layer {layer} does not exist; layers are 1..{self.L}")
        if row is None:
            return list(self._layer_entries(kind, m))
        if (kind == "W") != (col is not None):
            form = "W<m>_<i>_<j>" if kind == "W" else f"{kind}<m>_<i>"
            raise SymbpError(f"unknown entry {name!r}; {kind} entries are written {form}")
        i = _index(row)
        if not 1 <= i <= self.D(m):
            raise SymbpError(f"entry {name!r}: layer {m} has units 1..{self.D(m)}, not {row}")
        if kind != "W":
            return [Entry(kind, m, i)]
        j = _index(col)
        if not 1 <= j <= self.D(m - 1):
            raise SymbpError(f"entry {name!r}: layer {m - 1} has units 1..{self.D(m - 1)}, not {col}")
        return [Entry("W", m, i, j)]


def require_network(network: object, function: str, example: str = '"W1_2_3"') -> None:
    """A ``SymbpError`` (not an AttributeError later) when the first argument is not a ``Network``;
    ``example`` is what the call's second argument looks like."""
    if not isinstance(network, Network):
        raise SymbpError(
            f"{function}() takes a Network first, not {type(network).__name__} {_describe(network)}; "
            f"e.g. symbp.{function}(symbp.Network(), {example})"
        )


def require_numbers(network: Network, what: str) -> None:
    """A ``SymbpError`` when ``what`` (a command, e.g. ``picture --point``) needs numbers and ``network`` has abstract parts."""
    if network.is_abstract:
        raise SymbpError(
            f"{what} needs numbers, but network {network.describe()} has abstract parts; "
            "name them, e.g. --activation sigmoid --cost squared_error"
        )


def require_text(**values: object) -> None:
    """A ``SymbpError`` naming the first of ``values`` (name=value) that is not a str."""
    for name, value in values.items():
        if not isinstance(value, str):
            raise SymbpError(f"{name} {_describe(value)} must be text (a str), not {type(value).__name__}")


def selected_entries(
    network: Network, entries: str | Entry | Iterable[str | Entry] | None, default: Sequence[str] = ("W", "b")
) -> tuple[Entry, ...]:
    """The entries that ``entries`` names, each checked against ``network``; None: every entry of the kinds ``default``.

    The one gate of every public function that takes entries: a name, a group (``W2``, ``b1``,
    ``all``), an ``Entry``, or a list of them; anything else, or nothing at all, is a ``SymbpError``.
    """
    if entries is None:
        return tuple(network.entries(default))
    if isinstance(entries, (str, Entry)):
        items: list[object] = [entries]
    elif isinstance(entries, (bytes, bytearray, Mapping)) or not isinstance(entries, Iterable):
        raise SymbpError(f"entries {_describe(entries)} ({type(entries).__name__}) are not accepted; accepted: {ENTRY_ITEMS}")
    else:
        items = list(entries)
    chosen = network.select(items)  # type: ignore[arg-type]  # select names what is wrong with an item
    if not chosen:
        raise SymbpError(f"no entries chosen; name at least one: {ENTRY_ITEMS} (e.g. \"W1_2_3\", \"W2\", \"all\")")
    return chosen


def budget(value: object, name: str, default: int) -> int:
    """A limit such as ``max_paths``: a whole number of at least 1; None means ``default``."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise SymbpError(f"{name} {_describe(value)} must be a whole number of at least 1 (or None: the default, {default:,})")
    return int(value)


def _describe(value: object) -> str:
    """A short repr of any value (the one ``layout`` uses for numbers), for messages."""
    from .layout import _describe as short  # here, not at the top: layout imports this module

    return short(value)


def _index(digits: str) -> int:
    """A layer or unit number; one past Python's int-conversion limit is beyond every network anyway."""
    try:
        return int(digits)
    except ValueError:
        return 10 ** len(digits)


def count_text(count: int) -> str:
    """``1,234,567``, or ``about 10^4500`` where Python refuses to print an integer that long."""
    if count.bit_length() > 3000:
        return f"about 10^{int(count.bit_length() * 0.30103)}"
    return f"{count:,}"


MAX_SYMBOLIC_BATCH = 100
"""Most examples symbolic work takes on (each has its own z, a and delta): check, example and grade of a
2,2,1 network at batch 100 take 3 to 6 s, at 1,000 over a minute. Generated code takes any N."""


def check_size(network: Network, max_parameters: int = DEFAULT_MAX_PARAMETERS, option: str = "--max-size",
               max_batch: int = MAX_SYMBOLIC_BATCH) -> None:
    """Refuse, before any symbolic work, a network with more than ``max_parameters`` weights and biases,
    or a batch of more than ``max_batch`` examples.

    The count is a formula over the widths, so even ``[3, 10**17, 1]`` is refused at once.
    """
    if network.batch > max_batch:
        raise SymbpError(
            f"batch {network.batch} is over the {max_batch} examples symbolic work takes on (each has its own z, a "
            f"and delta); accepted: --batch 1 to {max_batch} (symbp codegen's loss_and_gradients and symbp train "
            "take any number of rows)"
        )
    count = network.parameter_count
    if count > max_parameters:
        raise SymbpError(
            f"network {_sizes_text(network.layers)} has {count_text(count)} parameters, over the size limit of "
            f"{max_parameters:,} that keeps symbolic work within seconds; raise it with {option} N "
            "(symbp cost counts any size)"
        )
    if count * network.batch > max_parameters:  # every example has its own graph of the same size
        raise SymbpError(
            f"network {_sizes_text(network.layers)} with a batch of {network.batch} is {network.batch} x "
            f"{count_text(count)} parameters of symbolic work, over the size limit of {max_parameters:,}; "
            f"use a smaller --batch or raise the limit with {option} {count * network.batch}"
        )


MAX_COUNT_DIGITS = 1000
"""``cost`` refuses networks whose naive path count has more digits: no use, and slow to print."""


def check_countable(network: Network) -> None:
    """Refuse a network whose naive path count passes 10^MAX_COUNT_DIGITS (found by bit length, nothing printed)."""
    paths = sum(network.D(m) * (network.D(m - 1) + 1) * prod(network.layers[m + 1 :]) for m in range(1, network.L + 1))
    if paths.bit_length() > MAX_COUNT_DIGITS * 10 // 3:
        raise SymbpError(
            f"network {_sizes_text(network.layers)} has {count_text(paths)} naive paths, more than "
            f"10^{MAX_COUNT_DIGITS}; symbp counts networks below that"
        )


def _sizes_text(layers: Sequence[int]) -> str:
    shown = ",".join(count_text(size).replace(",", "") for size in layers[:12])
    return shown + (f",... ({len(layers)} sizes)" if len(layers) > 12 else "")


def _validate_layers(layers: object) -> tuple[int, ...]:
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise SymbpError(f"layers {layers!r} must be a list of at least two positive integers, e.g. [3, 2, 2, 1]")
    if len(layers) < 2:
        raise SymbpError(
            f"layers {list(layers)!r} must name at least two sizes (inputs and outputs), e.g. [3, 2, 2, 1]"
        )
    for size in layers:
        if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
            raise SymbpError(f"layer size {_shown(size)} in {shown(list(layers))} must be a positive integer")
    return tuple(int(size) for size in layers)  # np.int64(3) is 3


MAX_BATCH = 1_000
"""Examples a symbolic batch may hold: every one has its own z, a and delta symbols."""


def _validate_batch(batch: object) -> int:
    # batch = 2.0 in a spec file is 2 examples; NumPy's scalars (np.int64(2), np.float64(2.0)) are numbers too
    if isinstance(batch, Real) and not isinstance(batch, (bool, Integral)) and math.isfinite(batch) \
            and float(batch).is_integer():
        batch = int(batch)
    if isinstance(batch, bool) or not isinstance(batch, Integral):
        raise SymbpError(f"batch {_shown(batch)} must be a whole number of examples from 1 to {MAX_BATCH:,}")
    if not 1 <= batch <= MAX_BATCH:
        raise SymbpError(f"batch {_shown(batch)} is out of range; give a whole number of examples from 1 to {MAX_BATCH:,} "
                         f"(symbolic work: 1 to {MAX_SYMBOLIC_BATCH})")
    return int(batch)


def _shown(number: object) -> str:
    """An integer of any size in a message: 10**5000 as its first digits and length (str() refuses it)."""
    if not isinstance(number, Integral) or isinstance(number, bool):
        return shown(number)
    number = int(number)
    text = str(number) if number.bit_length() < 4000 else "a huge number"
    return text if len(text) <= 40 else f"{text[:12]}...({len(text)} digits)"


def _validate_l2(l2: object) -> float:
    accepted = "must be a finite number of 0 or more (the weight decay lambda)"
    if isinstance(l2, bool) or not isinstance(l2, Real) or l2 < 0:  # Real: np.float32(0.1) too
        raise SymbpError(f"l2 {_shown(l2)} {accepted}")
    try:
        value = float(l2)
    except OverflowError:  # an int beyond float64, e.g. 10**400
        raise SymbpError(f"l2 {_shown(l2)} is too large for float64; it {accepted}, at most {sys.float_info.max:g}") from None
    if not math.isfinite(value):
        raise SymbpError(f"l2 {l2!r} {accepted}")
    return value + 0.0  # -0.0 + 0.0 is 0.0


def _validate_activations(activations: object, L: int, define: Definitions = ()) -> tuple[str, ...]:
    names = (activations,) * L if isinstance(activations, str) else activations
    if not isinstance(names, Sequence) or isinstance(names, bytes):
        raise SymbpError(f"activations {activations!r} must be one name or a list of {L} names")
    names = tuple(names)
    if len(names) == 1:  # one name, as a list (--activations sigmoid, a spec file's ["sigmoid"]): every layer
        names *= L
    if len(names) != L:
        raise SymbpError(
            f"{len(names)} non-linearities {list(names)!r} given for {L} layers; give one name or exactly {L}"
        )
    for m, name in enumerate(names, start=1):
        if not isinstance(name, str):
            raise SymbpError(f"non-linearity {name!r} must be a name, e.g. \"sigmoid\"")
        if activation_named(name, define).output_only and m < L:
            elementwise = [n for n, a in ACTIVATIONS.items() if not a.output_only] + [n for n, _ in define]
            raise SymbpError(
                f"non-linearity {name!r} is for the output layer only (layer {L}), not layer {m}; "
                f"hidden layers accept: {', '.join(elementwise)}"
            )
    return names


DEFAULT_NETWORK = Network()
"""The lecture's network: 3,2,2,1 with abstract sigma^{(m)} and abstract C."""

LECTURE_ENTRIES = ("W2_1_2", "W1_2_3")
"""The lecture's two exercises: dC/dW^{(2)}_{12} and dC/dW^{(1)}_{23}."""
