r"""Exercise sheets a teacher can hand out: fresh networks, questions, worked solutions, answers symbp grades.

Five kinds, each built from what symbp already derives:

- ``chain``: derive dC/d(entry) by the chain rule; the solution is the naive expansion
  (Leibniz form, evaluated, the paths grouped as the lecture does).
- ``backprop``: write delta^{(m)} of every unit of a layer and its gradients; the solution is backprop's steps.
- ``count``: how many paths and multiplications; the solution comes from ``symbp.counts``.
- ``numeric``: forward, backward and one update at a point with one-decimal numbers;
  the solution is the worked example of ``symbp.example``.
- ``spot-the-error``: a naive expansion with one planted mistake (a missing path, swapped
  indices of a weight, a missing sigma'); the solution names it.

Generation is pure: one ``random.Random(seed)`` draws everything, so a seed always gives
the same sheet. The sheets are printed through the document printers and the Jinja
templates ``exercises.tex.jinja`` and ``exercises.md.jinja``.

>>> sheet = exercises(seed=7, count=3, kinds=("chain", "count"), layers="3,2,2,1")
>>> [e.kind for e in sheet.exercises], sheet == exercises(seed=7, count=3, kinds=("chain", "count"), layers="3,2,2,1")
(['chain', 'count', 'chain'], True)
>>> print(render_sheet(sheet, "markdown").splitlines()[0])
# Exercises (seed 7)
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from .activations import ACTIVATIONS, Definitions, activation_named, definitions
from .costs import COSTS
from .counts import naive_count, naive_factors_per_path, naive_paths
from .derive.backprop import backprop
from .derive.naive import Factor, NaiveDerivation, Path, naive
from .derive.repeated import RepeatedWork
from .docmodel import Partial
from .errors import SymbpError
from .graph import Graph, build_graph
from .grading import abstract_factor as _abstract_factor, ascii_name
from .spec import Entry, Network

KINDS = ("chain", "backprop", "count", "numeric", "spot-the-error")
TITLES = {"chain": "The chain rule", "backprop": "Backpropagation", "count": "Counting the work",
          "numeric": "With numbers", "spot-the-error": "Spot the error"}

MISTAKES = ("missing_path", "wrong_index", "missing_sigma_prime")
"""What spot-the-error plants: a path left out, a weight's indices swapped, a sigma' left out."""

DEFAULT_LAYERS = "2-3,2-3,2,1-2"
DEFAULT_ACTIVATIONS = ("abstract", "sigmoid", "tanh")
DEFAULT_COSTS = ("abstract", "squared_error")
LEARNING_RATES = (0.1, 0.5, 1.0)
MAX_DRAWS = 100
"""Points drawn for a numeric exercise until no z is 0 (then the last is kept); networks drawn for
spot-the-error until one has a place for a mistake."""

MAX_COUNT = 100
MAX_WIDTH = 6
MAX_LAYERS = 6
"""A sheet writes out every path and every unit: sizes beyond these do not fit on a page."""

EXERCISE_MAX_PATHS = 36
DIGITS = 4
MAX_DIGITS = 6
SMALLEST_SHOWN = 1e-3
"""Decimals of the numbers in numeric solutions: 4, or more (up to 6) until the smallest number shown has two
significant digits; points are redrawn until every number shown is at least 1e-3 (else the draw with the largest
smallest number is kept)."""

NUMERIC_MAX_WIDTH = 3
NUMERIC_MAX_PATHS = 4
"""Numbers are worked by hand: widths above 3 are drawn as 3, and the gradient is checked along its naive
paths only when it has at most 4 (a row of the sum of more does not fit the page either)."""

_SIZE = re.compile(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?", re.ASCII)
_LAYERS_FORMS = "sizes D(0),...,D(L) separated by commas, each a number or a range low-high, e.g. 2-4,1-3,1"


# Difficulty ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difficulty:
    """The knobs: a range of widths per layer, the non-linearities and costs drawn from, the depth of the entry."""

    layers: tuple[tuple[int, int], ...]
    activations: tuple[str, ...]
    costs: tuple[str, ...]
    depth: tuple[int, int]
    """Layers between the asked entry's layer and the output: 0 is the output layer's weights."""
    define: Definitions = ()
    """Non-linearities written as formulas in x (``--define``), usable among ``activations``."""
    l2: float = 0.0
    """Weight decay lambda of every network drawn: dC/dW^{(m)}_{ij} gains lambda W^{(m)}_{ij}."""

    def activation(self, name: str):
        """The built-in or defined non-linearity ``name``."""
        return activation_named(name, self.define)


def parse_layers(text: str) -> tuple[tuple[int, int], ...]:
    """``"2-4,1-3,1"`` -> ((2, 4), (1, 3), (1, 1)): a width range per layer, D(0) first."""
    if not isinstance(text, str):
        raise SymbpError(f"layers {text!r} must be text: {_LAYERS_FORMS}")
    ranges = []
    for item in text.split(","):
        match = _SIZE.fullmatch(item)
        if match is None:
            raise SymbpError(f"layers {text!r}: {item.strip()!r} is not a size; give {_LAYERS_FORMS}")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if not 1 <= low <= high <= MAX_WIDTH:
            raise SymbpError(f"layers {text!r}: {item.strip()!r} must be widths from 1 to {MAX_WIDTH}, low before high")
        ranges.append((low, high))
    if not 2 <= len(ranges) <= MAX_LAYERS:
        raise SymbpError(f"layers {text!r} has {len(ranges)} sizes; give 2 to {MAX_LAYERS} ({_LAYERS_FORMS})")
    return tuple(ranges)


def parse_depth(text: str | None, L: int) -> tuple[int, int]:
    """``"0-1"`` or ``"1"``; None is every depth the network has (0 to L - 1)."""
    if text is None:
        return (0, L - 1)
    match = _SIZE.fullmatch(str(text))
    if match is None:
        raise SymbpError(f"depth {text!r} is not a number or a range low-high; give e.g. 1 or 0-{L - 1}")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) is not None else low
    if not 0 <= low <= high <= L - 1:
        raise SymbpError(f"depth {text!r} does not fit networks of L = {L} layers; give a number or range "
                         f"within 0-{L - 1} (0: the output layer's weights, {L - 1}: the first layer's)")
    return (low, high)


def _names(names: str | Sequence[str], what: str) -> tuple[str, ...]:
    """``"sigmoid,tanh"`` or a list of names, without repeats, in order; ``what`` they are, for the error."""
    items = names.split(",") if isinstance(names, str) else names
    if not isinstance(items, (list, tuple)) or not all(isinstance(name, str) for name in items):
        raise SymbpError(f"{what} {names!r} must be names, as one text \"a,b\" or a list of texts")
    return tuple(dict.fromkeys(name.strip() for name in items))


def difficulty(layers: str = DEFAULT_LAYERS, activations: str | Sequence[str] = DEFAULT_ACTIVATIONS,
               costs: str | Sequence[str] = DEFAULT_COSTS, depth: str | None = None,
               define: Mapping[str, str] | Definitions = (), l2: float = 0.0) -> Difficulty:
    """The knobs checked: known (or defined) non-linearities and costs, widths and depth in range, the decay."""
    ranges = parse_layers(layers)
    chosen_activations, chosen_costs = _names(activations, "activations"), _names(costs, "costs")
    defined = definitions(define)
    l2 = Network(define=defined, l2=l2).l2  # checked as every network checks it
    offered = [name for name, activation in ACTIVATIONS.items() if activation.vector_value is None]
    offered += [name for name, _ in defined]
    for name in chosen_activations:
        activation_named(name, defined)  # an unknown name is refused naming the known and defined ones
        if name not in offered:  # softmax mixes every output: its answers are not in the notation symbp grade reads
            raise SymbpError(f"non-linearity {name!r} is not offered in exercises; offered: {', '.join(offered)}")
    for name in chosen_costs:
        if name not in COSTS:
            raise SymbpError(f"unknown cost {name!r}; known costs: {', '.join(COSTS)}")
        after = COSTS[name].after
        if after is not None and not set(after) <= set(offered):
            raise SymbpError(f"cost {name!r} goes with {after[0]}, which exercises do not offer; offered costs: "
                             + ", ".join(c for c in COSTS if COSTS[c].after is None))
    if not chosen_activations or not chosen_costs:
        raise SymbpError("give at least one non-linearity and one cost to draw from")
    return Difficulty(ranges, chosen_activations, chosen_costs, parse_depth(depth, len(ranges) - 1), defined, l2)


# The exercises ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """One planted mistake: its ``kind`` (of ``MISTAKES``), the path it is in, what should be there and what is."""

    kind: str
    path: Path
    """The correct path the mistake is in (the one left out, for missing_path)."""
    expected: sp.Expr | None
    found: sp.Expr | None
    derivation: NaiveDerivation
    """The derivation with the mistake, as the student is shown it."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: its kind, network and entry (for backprop: the first weight of the layer asked)."""

    number: int
    kind: str
    network: Network
    entry: Entry
    point: tuple[tuple[str, tuple], ...] | None = None
    """Numeric exercises: x, t, W1, b1, ... as nested tuples of numbers (so that exercises compare by value)."""
    lr: float | None = None
    mistake: Mistake | None = None
    digits: int = DIGITS
    """Numeric exercises: the decimals the numbers are given to."""

    @property
    def point_values(self) -> dict[str, np.ndarray] | None:
        """The point as ``symbp grad`` reads it: x, t, W1 (rows), b1, ... as arrays."""
        return None if self.point is None else {key: np.array(value, dtype=float) for key, value in self.point}

    @property
    def id(self) -> str:
        return f"ex{self.number}"

    @property
    def layer(self) -> int:
        return self.entry.layer


@dataclass(frozen=True)
class ExerciseSheet:
    """The exercises of one seed, in order."""

    seed: int
    exercises: tuple[Exercise, ...]
    difficulty: Difficulty

    def _repr_markdown_(self) -> str:
        """The exercise sheet, in a notebook (``render_sheet(sheet, "markdown", solutions=True)`` for its solutions)."""
        return render_sheet(self, "markdown")


def exercises(seed: int = 0, count: int = 6, kinds: str | Sequence[str] = KINDS, *, layers: str = DEFAULT_LAYERS,
              activations: str | Sequence[str] = DEFAULT_ACTIVATIONS, costs: str | Sequence[str] = DEFAULT_COSTS,
              depth: str | None = None, define: Mapping[str, str] | Definitions = (),
              l2: float = 0.0) -> ExerciseSheet:
    """``count`` exercises, the kinds taken in turn, on networks drawn within the knobs; the same seed, the same sheet.

    ``layers`` is a width or a range per layer (``"2-4,1-3,1"``); ``depth`` the layers between the
    asked entry and the output (``"0-1"``; default any). ``define`` names non-linearities written as
    formulas in x (``{"swish": "x/(1+exp(-x))"}``) that ``activations`` may then draw; ``l2`` is the
    weight decay lambda of every network (each dC/dW then ends in lambda W).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SymbpError(f"seed {seed!r} must be a whole number of 0 or more")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise SymbpError(f"count {count!r} must be a whole number from 1 to {MAX_COUNT}")
    kinds = _names(kinds, "kinds")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise SymbpError(f"exercise kind {unknown[0] if unknown else ''!r} is unknown; accepted: {', '.join(KINDS)}")
    knobs = difficulty(layers, activations, costs, depth, define, l2)
    if "numeric" in kinds:
        _concrete_choices(knobs)  # refuse up front, not after half the sheet
    rng = random.Random(seed)
    made = [_MAKERS[kinds[(n - 1) % len(kinds)]](n, knobs, rng) for n in range(1, count + 1)]
    return ExerciseSheet(seed, tuple(made), knobs)


def _concrete_choices(knobs: Difficulty) -> tuple[tuple[str, ...], tuple[str, ...]]:
    activations = tuple(a for a in knobs.activations if not knobs.activation(a).is_abstract)
    costs = tuple(c for c in knobs.costs if c != "abstract")
    if not activations or not costs:
        raise SymbpError("numeric exercises need numbers: allow a concrete non-linearity and cost, "
                         "e.g. --activations sigmoid,abstract --costs squared_error,abstract")
    return activations, costs


def _network(knobs: Difficulty, rng: random.Random, numbers: bool = False) -> Network:
    activations, costs = _concrete_choices(knobs) if numbers else (knobs.activations, knobs.costs)
    widest = NUMERIC_MAX_WIDTH if numbers else MAX_WIDTH
    sizes = [rng.randint(min(low, widest), min(high, widest)) for low, high in knobs.layers]
    activation = rng.choice(activations)
    fitting = [c for c in costs
               if not COSTS[c].needs_unit_interval or knobs.activation(activation).stays_in_unit_interval]
    if not fitting:
        raise SymbpError(f"no allowed cost goes with non-linearity {activation!r} (binary cross-entropy needs sigmoid); "
                         "allow squared_error or abstract too")
    cost = rng.choice(fitting)
    if numbers and cost == "binary_cross_entropy":
        sizes[-1] = min(sizes[-1], 2)  # its row of numbers is two terms per output and does not break: two fit
    return Network(sizes, activation, cost, define=knobs.define, l2=knobs.l2)


def _entry(network: Network, knobs: Difficulty, rng: random.Random, kinds: Sequence[str] = ("W", "b"),
           shallowest: int = 0) -> Entry:
    low, high = knobs.depth
    m = network.L - rng.randint(min(max(low, shallowest), high), high)
    kind = "b" if "b" in kinds and rng.random() < 0.25 else "W"
    return rng.choice([e for e in network.entries((kind,)) if e.layer == m])


def _chain(number: int, knobs: Difficulty, rng: random.Random) -> Exercise:
    network = _network(knobs, rng)
    return Exercise(number, "chain", network, _entry(network, knobs, rng))


def _backprop(number: int, knobs: Difficulty, rng: random.Random) -> Exercise:
    network = _network(knobs, rng)
    return Exercise(number, "backprop", network, _entry(network, knobs, rng, ("W",)))


def _count(number: int, knobs: Difficulty, rng: random.Random) -> Exercise:
    network = _network(knobs, rng)
    # Below the output layer where the depth allows: there the paths multiply.
    return Exercise(number, "count", network, _entry(network, knobs, rng, ("W",), shallowest=1))


def _numeric(number: int, knobs: Difficulty, rng: random.Random) -> Exercise:
    from .example import forward_backward, nice_point, worked_example

    network = _network(knobs, rng, numbers=True)
    entry = _entry(network, knobs, rng, ("W",))
    lr = rng.choice(LEARNING_RATES)
    best, best_size, finite = None, -1.0, None
    for _ in range(MAX_DRAWS):
        point = nice_point(network, rng.randrange(2**32))
        try:
            numbers = forward_backward(network, point)
            if network.activation(1).formula is not None:  # the step's new point must be inside its domain too
                worked_example(network, point, lr=lr)
        except SymbpError:  # a defined sigma outside its domain (log of a negative z): draw again
            continue
        finite = point
        if not all(np.all(np.abs(z) > 1e-9) for z in numbers.z.values()):
            continue  # a z of exactly 0 puts relu at its kink, where the derivative is a convention
        grads = [np.ravel(g) for g in numbers.grad.values()]
        size = _smallest([numbers.cost, *np.concatenate([np.ravel(d) for d in numbers.delta.values()]),
                          *np.concatenate(grads), *(lr * np.concatenate(grads))])
        if size > best_size:
            best, best_size = point, size
        if size >= SMALLEST_SHOWN:
            break
    if finite is None:
        raise SymbpError(f"none of {MAX_DRAWS} points drawn for network {network.describe()} gives every z and a a "
                         "finite number (a defined non-linearity outside its domain, such as log of a negative z); "
                         "accepted: non-linearities defined for every real z, e.g. log(1+exp(x))")
    point = best if best is not None else finite
    # Two significant digits for the smallest number shown (path terms too), however small the draw left it.
    smallest = min(best_size, _smallest_path_term(network, entry, point))
    digits = int(min(MAX_DIGITS, max(DIGITS, np.floor(-np.log10(smallest)) + 2)))
    frozen = tuple((key, _tuples(np.asarray(value).tolist())) for key, value in point.items())
    return Exercise(number, "numeric", network, entry, frozen, lr, digits=digits)


def _smallest(values: Sequence[float]) -> float:
    """The smallest magnitude among ``values`` but exact zeros (a dead relu's 0 prints as it is); 1 if none."""
    sizes = [abs(float(v)) for v in values if abs(float(v)) > 1e-12]
    return min(sizes, default=1.0)


def _smallest_path_term(network: Network, entry: Entry, point: Mapping[str, np.ndarray]) -> float:
    from .example import worked_example

    if not _along_paths(network, entry):
        return 1.0
    example = worked_example(network, point, digits=MAX_DIGITS, entry=entry.name)
    assert example.naive is not None  # asked for by entry
    return _smallest([path.product for path in example.naive.paths])


def _along_paths(network: Network, entry: Entry) -> bool:
    """A numeric solution checks the gradient along its naive paths when they are few and are all of it
    (with weight decay dC/dW also has lambda W, which the worked example shows in the gradients)."""
    return naive_paths(network, entry) <= NUMERIC_MAX_PATHS and not network.l2


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _spot_the_error(number: int, knobs: Difficulty, rng: random.Random) -> Exercise:
    for _ in range(MAX_DRAWS):  # one path through identity layers and no weight to swap has no place for a mistake
        network = _network(knobs, rng)
        entry = _entry(network, knobs, rng, ("W",))
        derivation = naive(network, entry, EXERCISE_MAX_PATHS)
        places = _mistake_places(derivation)
        kinds = [k for k in MISTAKES if places[k]]
        if kinds:
            kind = rng.choice(kinds)
            return Exercise(number, "spot-the-error", network, entry,
                            mistake=_plant(derivation, kind, rng.choice(places[kind])))
    raise SymbpError("no mistake can be planted in these networks (one path, identity layers, no weight whose indices "
                     "can be swapped); allow wider layers, more depth or another non-linearity")


_MAKERS = {"chain": _chain, "backprop": _backprop, "count": _count, "numeric": _numeric,
           "spot-the-error": _spot_the_error}


# Planting a mistake ---------------------------------------------------------------------------------------------


def _mistake_places(derivation: NaiveDerivation) -> dict[str, list[tuple[int, int]]]:
    """Where each kind of mistake can go: (path, factor) positions."""
    network, graph = derivation.network, build_graph(derivation.network)
    activations = {a for m in range(1, network.L + 1) for a in graph.a[m]}
    places: dict[str, list[tuple[int, int]]] = {kind: [] for kind in MISTAKES}
    if len(derivation.paths) > 1:
        places["missing_path"] = [(p, -1) for p in range(len(derivation.paths))]
    for p, path in enumerate(derivation.paths):
        for k, factor in enumerate(path.factors):
            if factor.of in activations:
                # identity's sigma' is 1: leaving it out is no mistake. relu's and leaky relu's are cases, and
                # symbp grade's random points can all fall on the side where sigma' is 1: it would pass as right.
                if not (factor.value.is_Number or factor.value.has(sp.Piecewise, sp.Heaviside)):
                    places["missing_sigma_prime"].append((p, k))
            elif _swapped_weight(graph, factor) is not None:
                places["wrong_index"].append((p, k))
    return places


def _swapped_weight(graph: Graph, factor: Factor) -> sp.Symbol | None:
    """W^{(n)}_{ji} for a factor dz^{(n)}_i/da^{(n-1)}_j = W^{(n)}_{ij}, when i != j and that weight exists."""
    for n in range(1, graph.network.L + 1):
        weights = list(graph.W[n])
        if factor.value in weights:
            i, j = divmod(weights.index(factor.value), graph.W[n].cols)
            if i != j and j < graph.network.D(n) and i < graph.network.D(n - 1):
                return graph.W[n][j, i]
    return None


def _plant(derivation: NaiveDerivation, kind: str, place: tuple[int, int]) -> Mistake:
    graph = build_graph(derivation.network)
    p, k = place
    paths = list(derivation.paths)
    path = paths[p]
    expected = found = None
    if kind == "missing_path":
        del paths[p]
    elif kind == "missing_sigma_prime":
        expected = _abstract_factor(graph, path.factors[k])
        paths[p] = Path(path.factors[:k] + path.factors[k + 1:])
    else:
        factor = path.factors[k]
        expected, found = factor.value, _swapped_weight(graph, factor)
        paths[p] = Path((*path.factors[:k], Factor(factor.of, factor.wrt, found), *path.factors[k + 1:]))
    return Mistake(kind, path, expected, found,
                   NaiveDerivation(derivation.network, derivation.entry, tuple(paths), derivation.decay))


# Sheets: what each exercise shows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A piece of a question or solution: a plain-text ``title``, LaTeX ``text`` (words and inline math, also
    valid Markdown) and ``rows`` (bare rows of an ``align*``, ``&`` at the alignment point); each may be empty."""

    title: str = ""
    text: str = ""
    rows: str = ""


@dataclass(frozen=True)
class PrintedExercise:
    """An exercise as a sheet shows it: question, solution, and the answer ``symbp grade`` reads (or numbers)."""

    exercise: Exercise
    question: tuple[Block, ...]
    solution: tuple[Block, ...]
    answer: Any
    mistake: Mapping[str, str] | None = None


def _printer(network: Network, width: float):
    from .printers.latex import LatexDocumentPrinter

    return LatexDocumentPrinter(network=network, env=None, width=width)


def _naive_rows(derivation: NaiveDerivation, width: float) -> str:
    from .printers.latex import latex

    return latex(derivation, env=None, width=width, repeated=RepeatedWork(()))


def _network_text(network: Network) -> str:
    widths = ", ".join(map(str, network.layers))
    (activation,) = set(network.activations)
    if network.activation(1).is_abstract:
        sigma = r"abstract non-linearities $\sigma^{(m)}$"
    elif network.activation(1).formula is not None:
        sigma = rf"$\sigma^{{(m)}}$ = {_defined_text(network, activation)}, in every layer"
    else:
        sigma = rf"$\sigma^{{(m)}}$ = {activation.replace('_', ' ')} in every layer"
    cost = "an abstract cost $C$" if network.cost == "abstract" else f"cost $C$ = {network.cost.replace('_', ' ')}"
    if network.l2:
        cost += (rf" plus the weight decay $\frac{{\lambda}}{{2}} \sum_{{m, i, j}} (W^{{(m)}}_{{ij}})^2$ with "
                 rf"$\lambda = {network.l2:g}$ (biases are not decayed, so each "
                 r"$\partial C / \partial W^{(m)}_{ij}$ gains $\lambda W^{(m)}_{ij}$)")
    return rf"the network of layer widths ${widths}$ ($L = {network.L}$), {sigma} and {cost}"


def _defined_text(network: Network, name: str) -> str:
    """A defined non-linearity with its formula and the derivative SymPy derived, as the lecture's sigma'."""
    from .activations import FORMULA_VARIABLE as x

    activation = activation_named(name, network.define)
    assert activation.value is not None and activation.derivative is not None  # a defined one has both
    value, derivative = activation.value(x), activation.derivative(x, activation.value(x))
    label = r"\mathrm{" + name.replace("_", r"\_") + "}"
    return (rf"${label}$ (defined as $\sigma(x) = {sp.latex(value)}$, so that "
            rf"$\sigma'(x) = {sp.latex(derivative)}$)")


def _decayed(network: Network, entry: Entry, text: str) -> str:
    """An answer for dC/d(entry) with the weight decay's lambda W added when the entry is a decayed weight."""
    graph = build_graph(network)
    if graph.decay_term(entry) == 0:
        return text
    return f"{text} + lambda * {ascii_name(network, graph.symbol(entry))}"


def _derivative(network: Network, entry: Entry, width: float) -> str:
    name = _printer(network, width).doprint(build_graph(network).symbol(entry))
    return rf"\partial C / \partial {name}"


def answer_text(network: Network, paths: Sequence[Path]) -> str:
    """The sum over ``paths`` in the answer notation ``symbp grade`` reads, one product per path."""
    graph = build_graph(network)
    return " + ".join(" * ".join(ascii_name(network, _abstract_factor(graph, f)) for f in p.factors) for p in paths)


def _chain_sheet(exercise: Exercise, width: float) -> PrintedExercise:
    network, entry = exercise.network, exercise.entry
    d = _derivative(network, entry, width)
    derivation = naive(network, entry, EXERCISE_MAX_PATHS)
    count = len(derivation.paths)
    question = Block(text=rf"For {_network_text(network)}, derive ${d}$ by the chain rule: the sum over every path "
                          "from the entry up to $C$ of the product of the local derivatives along it, first in "
                          "Leibniz form, then with each local derivative evaluated.")
    solution = Block(text=rf"${d}$ sums over {count} path{'s' * (count != 1)}"
                          + (", then the factors every path shares stand once, outside the sum:" if count > 1 else ":"),
                     rows=_naive_rows(derivation, width))
    return PrintedExercise(exercise, (question,), (solution,),
                           _decayed(network, entry, answer_text(network, derivation.paths)))


def _backprop_sheet(exercise: Exercise, width: float) -> PrintedExercise:
    from .printers.latex import latex_backprop_steps

    network, m = exercise.network, exercise.layer
    graph = build_graph(network)
    entries = tuple(e for e in network.entries(("W", "b")) if e.layer == m)
    derivation = backprop(network, entries)
    units = r"the one unit" if network.D(m) == 1 else rf"every unit $j = 1, \dots, {network.D(m)}$"
    source = (r"from $\partial C / \partial \mathbf{a}^{(L)}$ (the base case)" if m == network.L
              else rf"from the $\delta^{{({m + 1})}}$ of the layer above (the recursive case)")
    question = Block(text=rf"For {_network_text(network)}, write $\delta^{{({m})}}_{{j}}$ for {units} of layer ${m}$, "
                          rf"{source}, computing each $\delta$ it needs once; then every "
                          rf"$\partial C / \partial W^{{({m})}}_{{ij}}$ and $\partial C / \partial b^{{({m})}}_{{i}}$ from them.")
    steps = latex_backprop_steps(derivation, env=None, width=width)
    layers = list(dict.fromkeys(step.layer for step in derivation.deltas))  # one step per layer, output first
    asked = [step for step, layer in zip(steps, layers) if layer >= m] + [steps[-1]]  # then the gradients' step
    solution = tuple(Block(title=re.sub(r"^Step \d+", f"Step {k}", step.title), rows=step.latex)
                     for k, step in enumerate(asked, start=1))
    answers: dict[str, str] = {}
    for step in derivation.deltas:
        if step.layer != m:
            continue
        local = ascii_name(network, graph.sigma_prime[m][step.unit - 1])
        if step.is_base_case:
            upstream = ascii_name(network, graph.dC_da[step.unit - 1])
        else:
            upstream = "(" + " + ".join(f"{ascii_name(network, delta)} * {ascii_name(network, weight)}"
                                        for delta, weight in step.terms) + ")"
        answers[f"z{m}_{step.unit}"] = f"{upstream} * {local}"
    for gradient in derivation.gradients:
        answers[gradient.entry.name] = _decayed(network, gradient.entry, " + ".join(
            ascii_name(network, delta) + ("" if factor == 1 else f" * {ascii_name(network, factor)}")
            for delta, factor in gradient.terms))
    return PrintedExercise(exercise, (question,), solution, answers)


def _count_sheet(exercise: Exercise, width: float) -> PrintedExercise:
    network, entry = exercise.network, exercise.entry
    m, L = entry.layer, network.L
    d = _derivative(network, entry, width)
    paths, factors = naive_paths(network, entry), naive_factors_per_path(network, entry)
    multiplications = naive_count(network, entry).multiplications
    per_layer = backprop_needed(network, entry)
    backprop_total = sum(per_layer)
    decayed = network.l2 and entry.kind == "W"
    decay_product = r" + 1 \quad (\lambda W)" if decayed else ""
    question = Block(text=rf"For {_network_text(network)}: (a) over how many paths from the entry to $C$ does the "
                          rf"naive chain expansion of ${d}$ sum? (b) How many local derivatives does each path "
                          r"multiply, and how many multiplications does the whole expansion take? (c) How many "
                          r"multiplications does backprop take for this one gradient, every $\delta$ it needs included?")
    widths = r" \cdot ".join(f"D^{{({n})}}" for n in range(m + 1, L + 1))
    numbers = r" \cdot ".join(str(network.D(n)) for n in range(m + 1, L + 1))
    path_row = (rf"\text{{paths}} &= {widths} = {numbers} = {paths}" if m < L
                else r"\text{paths} &= 1 \quad \text{(no layer above the output)}")
    rows = " \\\\\n".join([
        path_row,
        rf"\text{{factors per path}} &= 1 + 2 (L - m) + 2 = 1 + 2 \cdot {L - m} + 2 = {factors}",
        rf"\text{{multiplications}} &= {paths} \cdot ({factors} - 1){decay_product} = {multiplications}",
    ])
    steps = " + ".join(map(str, per_layer))
    layers = f"layer ${m + 1}$" if m + 2 == L else f"layers ${L - 1}$ to ${m + 1}$"
    between = (rf", every $\delta^{{(n)}}$ of {layers} with $D^{{(n+1)}}$ products in its sum and "
               r"one by $\sigma'$" if m + 1 < L else "")
    lower = (rf"{between}, and only $\delta^{{({m})}}_{{{entry.row}}}$ of layer ${m}$ ($D^{{({m + 1})}}$ products and "
             r"one by $\sigma'$)" if m < L else "")
    backprop_block = Block(
        text=rf"Backprop computes only the $\delta$s this gradient needs: every $\delta^{{({L})}}_{{j}}$ with one "
             rf"product each{lower}, then one product $\delta a$ for the weight"
             + (r" and one more, $\lambda W$, for the weight decay:" if decayed else ":"),
        rows=rf"\text{{backprop}} &= {steps} = {backprop_total}")
    first = Block(text=r"Each path picks one unit in every layer above the entry's; it multiplies $\partial C / \partial a$, "
                       r"two factors per layer crossed ($\sigma'$ and a weight) and two at the entry's own layer:",
                  rows=rows)
    answer = {"paths": paths, "factors_per_path": factors, "multiplications": multiplications,
              "backprop_multiplications": backprop_total}
    return PrintedExercise(exercise, (question,), (first, backprop_block), answer)


def backprop_needed(network: Network, entry: Entry) -> tuple[int, ...]:
    """Multiplications backprop takes for dC/d(entry) alone, layer by layer from the output, then delta*a (weights).

    Every delta of the layers above the entry's is needed (each feeds every lower one), of the entry's own
    layer only its row's: a base-case delta is one product, a lower one D(n+1) products in its sum and one by sigma';
    weight decay's lambda W is one more product for a weight.
    """
    L, m = network.L, entry.layer
    per_layer = [network.D(L) if m < L else 1]
    per_layer += [network.D(n) * (network.D(n + 1) + 1) for n in range(L - 1, m, -1)]
    if m < L:
        per_layer.append(network.D(m + 1) + 1)
    decay = 1 if network.l2 and entry.kind == "W" else 0  # lambda W
    return (*per_layer, (1 + decay) if entry.kind == "W" else 0)


def _vector(values: np.ndarray, digits: int) -> str:
    from .printers.base import format_number

    array = np.atleast_2d(np.asarray(values, dtype=float))
    body = r" \\ ".join(" & ".join(format_number(v, digits) for v in row) for row in array)
    return rf"\begin{{pmatrix}} {body} \end{{pmatrix}}"


def _numeric_sheet(exercise: Exercise, width: float) -> PrintedExercise:
    from .example import worked_example
    from .printers.latex import latex_example_parts

    network, entry, point, lr = exercise.network, exercise.entry, exercise.point_values, exercise.lr
    assert point is not None and lr is not None  # made so by _numeric
    d = _derivative(network, entry, width)
    along_paths = _along_paths(network, entry)
    check = rf"Check ${d}$ by summing over its naive paths. " if along_paths else ""
    names = {"x": r"\mathbf{x}^{\top}", "t": r"\mathbf{t}^{\top}"}
    rows = [rf"{names['x']} &= {_vector(point['x'], 1)}", rf"{names['t']} &= {_vector(point['t'], 1)}"]
    for m in range(1, network.L + 1):
        rows.append(rf"W^{{({m})}} &= {_vector(point[f'W{m}'], 1)}, & \mathbf{{b}}^{{({m})\top}} &= {_vector(point[f'b{m}'], 1)}")
    question = Block(
        text=rf"For {_network_text(network)}, at the point below: (a) compute every $z$ and $a$, and $C$; (b) every "
             rf"$\delta$, output layer first, and every gradient; (c) every weight and bias after one step of gradient "
             rf"descent with learning rate $\eta = {lr:g}$. {check}"
             rf"Give numbers to {exercise.digits} decimals.",
        rows=" \\\\\n".join(rows))
    example = worked_example(network, point, lr=lr, digits=exercise.digits, entry=entry.name if along_paths else None)
    solution = tuple(Block(title=title, rows=part) for title, part in latex_example_parts(example, width=width))
    first = example.first
    answer = {"C": first.cost,
              "gradients": {key: value.tolist() for key, value in first.grad.items()},
              "updated": {key: np.asarray(value).tolist() for key, value in (example.updated or {}).items()
                          if key not in ("x", "t")}}
    return PrintedExercise(exercise, (question,), solution, answer)


def _through(network: Network, path: Path, width: float) -> str:
    """The path as the chain of units it passes: W -> a -> ... -> C, in LaTeX."""
    graph = build_graph(network)
    printer = _printer(network, width)
    activations = {a for m in range(network.L + 1) for a in graph.a[m]}
    nodes = list(reversed(path.nodes))
    chain = [nodes[0], *(n for n in nodes[1:-1] if n in activations), graph.C]
    return r" \to ".join(printer.doprint(n) for n in chain)


def _spot_the_error_sheet(exercise: Exercise, width: float) -> PrintedExercise:
    network, entry, mistake = exercise.network, exercise.entry, exercise.mistake
    assert mistake is not None  # made so by _spot_the_error
    printer = _printer(network, width)
    d = _derivative(network, entry, width)
    correct = naive(network, entry, EXERCISE_MAX_PATHS)
    question = Block(
        text=rf"For {_network_text(network)}, a student derived ${d}$ as below. There is exactly one mistake: "
             r"a path left out, a weight with its two indices swapped, or a factor $\sigma'$ left out. "
             "Find it, and write the derivation correctly.",
        rows=_naive_rows(mistake.derivation, width))
    where = rf"in the path ${_through(network, mistake.path, width)}$"
    if mistake.kind == "missing_path":
        named = (rf"The path ${_through(network, mistake.path, width)}$ is missing: ${d}$ sums over "
                 rf"{len(correct.paths)} paths, the student wrote {len(mistake.derivation.paths)}.")
    elif mistake.kind == "missing_sigma_prime":
        graph = build_graph(network)
        left_out = next(f for f in mistake.path.factors if _abstract_factor(graph, f) == mistake.expected)
        factor = f"{printer.doprint(Partial(left_out.of, left_out.wrt))} = {printer.doprint(mistake.expected)}"
        named = rf"The factor ${factor}$ is missing {where}."
    else:
        named = (rf"The weight ${printer.doprint(mistake.found)}$ should be ${printer.doprint(mistake.expected)}$ "
                 rf"{where}: its indices are swapped.")
    solution = (Block(title="The mistake", text=named),
                Block(title="The correct derivation", rows=_naive_rows(correct, width)))
    planted = {"kind": mistake.kind, "planted": _decayed(network, entry, answer_text(network, mistake.derivation.paths)),
               "path": answer_text(network, [mistake.path]),
               "expected": ascii_name(network, mistake.expected) if mistake.expected is not None else "",
               "found": ascii_name(network, mistake.found) if mistake.found is not None else ""}
    return PrintedExercise(exercise, (question,), solution, _decayed(network, entry, answer_text(network, correct.paths)),
                           planted)


_SHEETS = {"chain": _chain_sheet, "backprop": _backprop_sheet, "count": _count_sheet, "numeric": _numeric_sheet,
           "spot-the-error": _spot_the_error_sheet}


def printed(exercise: Exercise, width: float | None = None) -> PrintedExercise:
    """What the sheets show for ``exercise``; ``width`` in em that long rows are broken to."""
    from .printers.latex import DEFAULT_WIDTH

    shown = _SHEETS[exercise.kind](exercise, DEFAULT_WIDTH if width is None else width)
    given = _given(exercise.network)
    return replace(shown, solution=(Block(text=given), *shown.solution)) if given else shown


def _given(network: Network) -> str:
    """What a solution recalls before it starts: the defined sigma and its sigma', the weight decay (or nothing)."""
    parts = []
    if network.activation(1).formula is not None:
        parts.append(rf"$\sigma^{{(m)}}$ = {_defined_text(network, network.activations[0])}")
    if network.l2:
        parts.append(rf"the weight decay adds $\lambda W^{{(m)}}_{{ij}}$ with $\lambda = {network.l2:g}$ to each "
                     r"$\partial C / \partial W^{(m)}_{ij}$ (biases are not decayed)")
    return ("Here " + " and ".join(parts) + ".") if parts else ""


# Whole sheets -------------------------------------------------------------------------------------------------------

SHEET_FORMATS = ("latex", "markdown", "json")


def grade_options(network: Network) -> str:
    """The ``symbp grade`` options that name ``network``."""
    activations = set(network.activations)
    sigma = (f"--activation {network.activations[0]}" if len(activations) == 1
             else f"--activations {','.join(network.activations)}")
    options = f"--layers {','.join(map(str, network.layers))} {sigma} --cost {network.cost}"
    options += "".join(f" --define '{name}={formula}'" for name, formula in network.define if name in activations)
    return options + (f" --l2 {network.l2!r}" if network.l2 else "")


def grade_answer_parts(p: PrintedExercise) -> list[str]:
    """The solution as a student writes it in the answer cell ``symbp grade --sheet`` reads (see symbp.sheetgrade),
    in parts: joined by new lines on the sheets, by ``; `` in JSON."""
    from .sheetgrade import count_answer_text, mistake_answer_text, numeric_answer_text

    kind, answer = p.exercise.kind, p.answer
    if kind == "backprop":
        return [f"{entry}: {text}" for entry, text in answer.items()]
    if kind == "count":
        return [count_answer_text(answer)]
    if kind == "numeric":
        return numeric_answer_text(p.exercise.network, answer, p.exercise.digits).split("; ")
    if kind == "spot-the-error":
        assert p.mistake is not None  # made so by _spot_the_error_sheet
        return [mistake_answer_text(p.mistake)]
    return [answer]


def _typewriter(text: str) -> Any:
    """ASCII as LaTeX that copies back out of a PDF as itself: the quote a straight one, not a typographic one."""
    from .render.documents import Tex

    return Tex(r"\textquotesingle{}".join(rf"\detokenize{{{piece}}}" for piece in text.split("'")))


def sheet_context(sheet: ExerciseSheet, solutions: bool, width: float | None = None) -> dict[str, Any]:
    r"""What ``exercises.tex.jinja`` and ``exercises.md.jinja`` receive.

    ``title`` (plain), ``intro`` (LaTeX words with inline math), ``solutions`` (bool), and ``exercises``: a list of ``number``, ``id``,
    ``kind``, ``title`` (plain), ``question`` and ``solution`` (lists of blocks: ``title`` plain, ``text`` LaTeX
    words with inline math, ``rows`` bare ``align*`` rows), ``answer`` (the answer in ``symbp grade``'s notation,
    one part per line), ``answer_lines`` (its parts, as LaTeX for a typewriter font) and ``grade_options``
    (ASCII, not escaped: put it in code or ``\detokenize``).
    """
    from .render.documents import Tex

    def blocks(items: Sequence[Block]) -> list[dict[str, Any]]:
        return [{"title": b.title, "text": Tex(b.text), "rows": Tex(b.rows)} for b in items]

    shown = [printed(e, width) for e in sheet.exercises]
    what = "Solutions" if solutions else "Exercises"
    count = len(shown)
    return {
        "title": f"{what} (seed {sheet.seed})",
        "intro": Tex(f"{count} exercise{'s' * (count != 1)} on backpropagation, in the notation of the lecture: "
                     r"$W^{(m)}_{ij}$ goes from unit $j$ of layer $m - 1$ to unit $i$ of layer $m$, and "
                     r"$\delta^{(m)}_{j} = \partial C / \partial z^{(m)}_{j}$."),
        "solutions": solutions,
        "exercises": [
            {"number": p.exercise.number, "id": p.exercise.id, "kind": p.exercise.kind,
             "title": TITLES[p.exercise.kind], "question": blocks(p.question), "solution": blocks(p.solution),
             "answer": Tex("\n".join(grade_answer_parts(p))), "answer_lines": [_typewriter(a) for a in grade_answer_parts(p)],
             "grade_options": Tex(grade_options(p.exercise.network))}
            for p in shown
        ],
    }


def render_sheet(sheet: ExerciseSheet, format: str = "latex", solutions: bool = False,
                 width: float | None = None) -> str:
    """The exercise sheet (or, with ``solutions``, the solution sheet) as LaTeX or Markdown; JSON holds both."""
    if format == "json":
        return sheet_json(sheet, width)
    if format not in SHEET_FORMATS:
        raise SymbpError(f"unknown sheet format {format!r}; accepted: {', '.join(SHEET_FORMATS)}")
    from .render.documents import environment

    name = "exercises.tex.jinja" if format == "latex" else "exercises.md.jinja"
    return environment(name).get_template(name).render(sheet_context(sheet, solutions, width))


def _latex(blocks: Sequence[Block]) -> str:
    """Blocks as one piece of LaTeX, for JSON."""
    from .render.documents import escape_latex_text

    parts = []
    for block in blocks:
        if block.title:
            parts.append(rf"\paragraph{{{escape_latex_text(block.title)}}}")
        if block.text:
            parts.append(block.text)
        if block.rows:
            parts.append(f"\\begin{{align*}}\n{block.rows}\n\\end{{align*}}")
    return "\n".join(parts)


def sheet_data(sheet: ExerciseSheet, width: float | None = None) -> dict[str, Any]:
    """The sheet as data: ``seed`` and ``exercises``, each with ``id``, ``kind``, ``network``, ``entry``,
    ``question`` and ``solution`` (LaTeX) and ``answer`` (text ``symbp grade`` reads, several of them by entry,
    or numbers); spot-the-error adds ``mistake`` (``kind``, the ``planted`` answer, ``expected``, ``found``)."""
    items = []
    for p in (printed(e, width) for e in sheet.exercises):
        e = p.exercise
        item: dict[str, Any] = {
            "id": e.id, "kind": e.kind,
            "network": _network_data(e.network),
            "entry": f"W{e.layer}" if e.kind == "backprop" else e.entry.name,
            "question": _latex(p.question), "solution": _latex(p.solution), "answer": p.answer,
            "answer_text": "; ".join(grade_answer_parts(p)),
        }
        if e.point_values is not None:
            item["point"] = {key: value.tolist() for key, value in e.point_values.items()}
            item["lr"] = e.lr
            item["digits"] = e.digits
        if p.mistake is not None:
            item["mistake"] = dict(p.mistake)
        items.append(item)
    return {"seed": sheet.seed, "exercises": items}


def _network_data(network: Network) -> dict[str, Any]:
    """The keys ``symbp.Network`` takes: layers, activations, cost; define and l2 when the sheet has them."""
    data: dict[str, Any] = {"layers": list(network.layers), "activations": list(network.activations),
                            "cost": network.cost}
    used = {name: formula for name, formula in network.define if name in network.activations}
    if used:
        data["define"] = used
    if network.l2:
        data["l2"] = network.l2
    return data


def sheet_json(sheet: ExerciseSheet, width: float | None = None) -> str:
    import json

    return json.dumps(sheet_data(sheet, width), indent=2, ensure_ascii=False) + "\n"
