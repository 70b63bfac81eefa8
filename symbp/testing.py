"""Check your own backprop: compare a hand-written gradient function with symbp's, and name the mistake.

>>> import numpy as np, symbp.testing
>>> def backward(params, x, t):  # one hidden sigmoid layer, squared error, samples as rows
...     W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
...     a1 = 1 / (1 + np.exp(-(x @ W1.T + b1)))
...     a2 = 1 / (1 + np.exp(-(a1 @ W2.T + b2)))
...     N = x.shape[0]
...     delta2 = (a2 - t) * a2 * (1 - a2)
...     delta1 = (delta2 @ W2) * a1 * (1 - a1)
...     grads = {"W2": delta2.T @ a1 / N, "b2": delta2.mean(axis=0), "W1": delta1.T @ x / N, "b1": delta1.mean(axis=0)}
...     return 0.5 * np.sum((a2 - t) ** 2) / N, grads
>>> symbp.testing.assert_gradients_match(backward, layers=[3, 4, 2], activations="sigmoid",
...                                      cost="squared_error", batch=4)

The truth is the code ``symbp.gradient_function`` generates from the symbolic derivation.
``fn(params, x, t)`` returns ``(C, grads)`` in its layout: ``params`` and ``grads``
hold ``W1`` (D(1) x D(0)), ``b1`` (D(1),), ...; ``x`` is (N, D(0)), ``t`` (N, D(L)),
and C is the mean cost over the N samples. A function of one example (``x`` of
shape (D(0),)) is detected and called once per sample.
"""

from __future__ import annotations

import inspect

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .codegen import LossAndGradients
from .codegen import gradient_function as compile_network
from .costs import COSTS
from .diagnosis import Diagnosis, Mistake, Sample, diagnose, relative_errors
from .errors import SymbpError
from .graph import superscript
from .layout import parameter_layout
from .spec import Network

StudentFunction = Callable[[dict[str, np.ndarray], np.ndarray, np.ndarray], Any]

SHOWN_PER_LAYER = 5
"""Rows of the mismatch table per layer (the worst ones); the rest are counted."""


class GradientContractError(AssertionError):
    """The function broke the contract (keys, shapes, NaN, a scalar mean cost): one line saying what was expected."""


class GradientMismatch(AssertionError):
    """The gradients differ from symbp's; ``report`` holds the comparison and the diagnosis."""

    def __init__(self, report: GradientReport) -> None:
        super().__init__(report_text(report))
        self.report = report


@dataclass(frozen=True)
class EntryMismatch:
    """One entry (or C) that differs: its values at the point where the relative error is largest."""

    name: str
    layer: int
    expected: float
    received: float
    relative_error: float
    point: int
    """1-based."""


@dataclass(frozen=True)
class GradientReport:
    """What ``compare_gradients`` found. Jupyter shows it as Markdown."""

    network: Network
    points: int
    batch: int
    seed: int
    rtol: float
    per_example: bool
    cost: EntryMismatch | None
    """C at its worst point, when it differs."""
    cost_ratio: float | None
    """Received C over symbp's when the same at every point (2: the ½ is missing), else None."""
    mismatches: tuple[EntryMismatch, ...]
    """Output layer first, the worst entries first within a layer."""
    compared: dict[str, int]
    """Entries compared per key (``W1``: 12, ...)."""
    diagnosis: Diagnosis | None

    @property
    def passed(self) -> bool:
        return self.cost is None and not self.mismatches

    def __str__(self) -> str:
        return report_text(self)

    def _repr_markdown_(self) -> str:
        return report_markdown(self)


# Comparing -----------------------------------------------------------------------------------------


def assert_gradients_match(fn: StudentFunction, network: Network | None = None, *, points: int = 5, seed: int = 0,
                           batch: int = 1, rtol: float = 1e-6, per_example: bool | None = None,
                           **network_options: Any) -> None:
    """Raise ``GradientMismatch`` (an AssertionError) with a diagnosis unless ``fn`` gives symbp's gradients.

    ``network`` is a ``Network`` or its options (``layers=[4, 5, 3], activations="sigmoid",
    cost="squared_error"``). ``GradientContractError`` (also an AssertionError) says what
    the function's output should have been when its keys, shapes or values are unusable.
    """
    __tracebackhide__ = True  # pytest shows the report, not this frame: the bug is in fn
    report = compare_gradients(fn, network, points=points, seed=seed, batch=batch, rtol=rtol,
                               per_example=per_example, **network_options)
    if not report.passed:
        raise GradientMismatch(report)


def compare_gradients(fn: StudentFunction, network: Network | None = None, *, points: int = 5, seed: int = 0,
                      batch: int = 1, rtol: float = 1e-6, per_example: bool | None = None,
                      **network_options: Any) -> GradientReport:
    """The comparison of ``assert_gradients_match``, returned instead of raised.

    ``per_example`` None detects a function of one example when the batch layout fails.
    Whatever ``fn`` raises propagates unchanged.
    """
    network = _network(network, network_options)
    for name, value in (("points", points), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SymbpError(f"{name} = {value!r}; give a whole number of 1 or more")
    if not rtol >= 0:
        raise SymbpError(f"rtol = {rtol!r}; give a tolerance of 0 or more, such as 1e-6")
    _check_signature(fn)
    truth = _truth(network)
    rng = np.random.default_rng(seed)
    drawn = [_draw(network, batch, rng) for _ in range(points)]
    if per_example is None:
        per_example = _detect_per_example(fn, network, drawn[0])
    samples = []
    for params, x, t in drawn:
        cost, grads = _run(fn, network, params, x, t, per_example)
        expected_cost, expected = truth(params, x, t)
        samples.append((float(expected_cost), cost, Sample(params, x, t, grads, expected)))
    _check_cost_is_mean(samples, batch, rtol)
    return _report(network, samples, points, batch, seed, rtol, per_example)


def _network(network: Network | None, options: Mapping[str, Any]) -> Network:
    if network is not None and options:
        raise SymbpError(f"give a Network or its options, not both (got {', '.join(options)} as well)")
    chosen = network if network is not None else Network(**options)
    if not isinstance(chosen, Network):
        raise SymbpError(f"network {chosen!r} must be a symbp.Network")
    if chosen.is_abstract:
        raise SymbpError(
            f"network {chosen.describe()} has abstract parts, so there are no numbers to compare; "
            "name every non-linearity and the cost, e.g. activations='sigmoid', cost='squared_error'"
        )
    return chosen


@lru_cache(maxsize=16)
def _truth(network: Network) -> LossAndGradients:
    return compile_network(network)


def _draw(network: Network, batch: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Random parameters, inputs and targets (in (0, 1) when the cost needs it, probability vectors for
    cross-entropy)."""
    params = {key: rng.uniform(-1, 1, shape) if key[0] == "W" else rng.uniform(-0.5, 0.5, shape)
              for key, shape in parameter_layout(network).shapes}
    x = rng.uniform(-1, 1, (batch, network.D(0)))
    if COSTS[network.cost].probability_targets:  # one probability vector per sample, as the cost's a - t needs
        t = rng.dirichlet(np.ones(network.D(network.L)), batch)
    else:
        low, high = (0.05, 0.95) if COSTS[network.cost].needs_unit_interval else (-1, 1)
        t = rng.uniform(low, high, (batch, network.D(network.L)))
    return params, x, t


def _check_signature(fn: StudentFunction) -> None:
    """A ``GradientContractError`` when ``fn`` cannot be called as fn(params, x, t): the call would fail in symbp."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a builtin or C function without a signature: calling it is the only test
    try:
        signature.bind(None, None, None)
    except TypeError:
        name = getattr(fn, "__name__", "the function")
        raise GradientContractError(
            f"{name}{signature} cannot be called as {name}(params, x, t); give it those three arguments") from None


def _detect_per_example(fn: StudentFunction, network: Network, point: tuple[Any, ...]) -> bool:
    """False when ``fn`` works in the batch layout; True when only one example at a time works."""
    params, x, t = point
    try:
        _run(fn, network, params, x, t, per_example=False)
        return False
    except Exception as batch_error:
        try:
            _run(fn, network, params, x, t, per_example=True)
        except Exception:
            raise batch_error from None
        return True


def _run(fn: StudentFunction, network: Network, params: Mapping[str, np.ndarray], x: np.ndarray, t: np.ndarray,
         per_example: bool) -> tuple[float, dict[str, np.ndarray]]:
    """C and the gradients from ``fn``, checked against the contract; one call per sample when ``per_example``."""
    if not per_example:
        return _checked(fn(_copy(params), x.copy(), t.copy()), network, "")
    results = [_checked(fn(_copy(params), x[n].copy(), t[n].copy()), network, " for one example")
               for n in range(x.shape[0])]
    cost = float(np.mean([c for c, _ in results]))
    return cost, {key: np.mean([g[key] for _, g in results], axis=0) for key in results[0][1]}


def _copy(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: value.copy() for key, value in params.items()}  # a function that updates params in place


def _as_array(value: Any) -> np.ndarray:
    """A NumPy array of floats; PyTorch tensors (anything with ``detach``) are converted."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def _checked(output: Any, network: Network, mode: str) -> tuple[float, dict[str, np.ndarray]]:
    """The function's output as (C, grads), or a ``GradientContractError`` naming the first problem."""
    if not isinstance(output, (tuple, list)) or len(output) != 2:
        raise GradientContractError(f"the function must return (C, grads){mode}; it returned {_kind(output)}")
    raw_cost, raw_grads = output
    try:
        cost = _as_array(raw_cost)
    except (TypeError, ValueError, OverflowError):  # 10**400 is an int no float holds
        raise GradientContractError(f"C must be a number (the mean cost){mode}; got {_kind(raw_cost)}") from None
    if cost.size != 1:
        raise GradientContractError(
            f"C has shape {cost.shape}, expected a single number: the mean cost over the batch{mode}")
    if not np.isfinite(cost).all():
        raise GradientContractError(f"C is {float(cost.ravel()[0])}; expected a finite number")
    if not isinstance(raw_grads, Mapping):
        raise GradientContractError(
            f"grads must be a dict with keys {', '.join(_shapes(network))}; got {_kind(raw_grads)}")
    grads = {}
    for key, shape in _shapes(network).items():
        if key not in raw_grads:
            raise GradientContractError(f"grads is missing {key!r}; expected keys {', '.join(_shapes(network))}")
        try:
            value = _as_array(raw_grads[key])
        except (TypeError, ValueError, OverflowError):  # 10**400 is an int no float holds
            raise GradientContractError(f"grads[{key!r}] must hold numbers; got {_kind(raw_grads[key])}") from None
        if value.shape != shape:
            raise GradientContractError(_shape_message(key, value.shape, shape))
        bad = ~np.isfinite(value)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise GradientContractError(
                f"grads[{key!r}] holds {value[first]} at {_entry_name(key, first)} "
                f"({int(bad.sum())} of {value.size} entries not finite); expected finite numbers")
        grads[key] = value
    return float(cost.ravel()[0]), grads


def _kind(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 128 else f"of about {int(value.bit_length() * 0.30103) + 1} digits"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}" + (f" {text}" if len(text) <= 40 else "")


def _shapes(network: Network) -> dict[str, tuple[int, ...]]:
    """The shape of every gradient: W1, b1, ... as in a point."""
    return dict(parameter_layout(network).shapes)


def _shape_message(key: str, got: tuple[int, ...], shape: tuple[int, ...]) -> str:
    m = key[1:]
    up, below = superscript(f"({m})"), superscript(f"({int(m) - 1})")
    message = f"grads[{key!r}] has shape {got}, expected {shape}"
    if key.startswith("W"):
        message += f" = (D({m}), D({int(m) - 1})): one row per unit of layer {m}"
        if got == shape[::-1]:
            message += f"; it is transposed: ∂C/∂W{up} = δ{up} a{below}ᵀ, not a{below} δ{up}ᵀ"
    elif len(got) == 2 and shape[0] in got:
        message += f" = (D({m}),): one number per unit; average δ{up} over the samples (axis 0), with no extra axis"
    return message


def _entry_name(key: str, index: tuple[int, ...]) -> str:
    return key + "".join(f"_{i + 1}" for i in index)


def _check_cost_is_mean(samples: Sequence[tuple[float, float, Sample]], batch: int, rtol: float) -> None:
    if batch > 1 and all(abs(received - batch * expected) <= rtol * abs(batch * expected) + 1e-300
                         for expected, received, _ in samples):
        raise GradientContractError(
            f"C is {batch} times symbp's at every point: the sum over the {batch} samples; "
            "return the mean cost over the batch (divide by N)")


# The report --------------------------------------------------------------------------------------------


def _report(network: Network, samples: Sequence[tuple[float, float, Sample]], points: int, batch: int, seed: int,
            rtol: float, per_example: bool) -> GradientReport:
    cost_errors = [float(relative_errors(np.array(r), np.array(e))) for e, r, _ in samples]
    worst = int(np.argmax(cost_errors))
    cost = None
    if cost_errors[worst] > rtol:
        expected, received, _ = samples[worst]
        cost = EntryMismatch("C", network.L + 1, expected, received, cost_errors[worst], worst + 1)
    ratios = [r / e for e, r, _ in samples if e != 0]
    cost_ratio = ratios[0] if cost and ratios and np.allclose(ratios, ratios[0], rtol=1e-6) else None

    mismatches = []
    compared = {}
    for key, shape in _shapes(network).items():
        compared[key] = int(np.prod(shape))
        errors = np.stack([relative_errors(s.received[key], s.expected[key]) for _, _, s in samples])
        at = errors.argmax(axis=0)
        for index in np.ndindex(shape):
            point = int(at[index])
            if errors[(point, *index)] > rtol:
                sample = samples[point][2]
                mismatches.append(EntryMismatch(_entry_name(key, index), int(key[1:]),
                                                float(sample.expected[key][index]), float(sample.received[key][index]),
                                                float(errors[(point, *index)]), point + 1))
    mismatches.sort(key=lambda e: (-e.layer, -e.relative_error, e.name))
    diagnosis = diagnose(network, [s for _, _, s in samples], rtol, per_example=per_example) if mismatches else None
    return GradientReport(network, points, batch, seed, rtol, per_example, cost, cost_ratio, tuple(mismatches),
                          compared, diagnosis)


def _setting(report: GradientReport) -> str:
    n = report.network
    sigma = n.activations[0] if len(set(n.activations)) == 1 else ",".join(n.activations)
    layout = "one example per call" if report.per_example else f"batch {report.batch}"
    return (f"network {','.join(map(str, n.layers))} · σ: {sigma} · C: {n.cost} · "
            + (f"λ = {n.l2:g} · " if n.l2 else "")
            + f"{report.points} point{'s' * (report.points != 1)}, {layout}, seed {report.seed} · tolerance {report.rtol:g}")


def diagnosis_lines(report: GradientReport) -> list[str]:
    """The diagnosis in sentences: the matching mistakes, or where the bug starts to show."""
    diagnosis, network = report.diagnosis, report.network
    lines: list[str] = []
    if report.cost is not None:
        lines.append(_cost_sentence(report))
    if diagnosis is None:
        return lines
    if diagnosis.explanations:
        pairs = len(diagnosis.explanations[0]) > 1
        lead = "these mistakes together give" if pairs else "this mistake gives"
        if len(diagnosis.explanations) > 1:
            lead = "one of these pairs of mistakes gives" if pairs else "one of these mistakes gives"
        lines.append(f"Your gradients are exactly what {lead}:")
        lines += ["- " + " + ".join(describe_mistake(k, network) for k in explanation)
                  for explanation in diagnosis.explanations]
        return lines
    if not diagnosis.supported:
        lines.append("symbp has no model of mistakes for this network's non-linearities or cost.")
    else:
        lines.append("No mistake symbp knows, alone or with one other, gives your numbers.")
    m = diagnosis.first_wrong_layer
    if m is not None:
        lines.append(_where_to_look(network, m))
    return lines


DESCRIPTIONS = {
    "output_delta_without_sigma_prime":
        "δ{L} is the cost gradient ∂C/∂a{L} alone: the factor σ{L}′(z{L}) is missing",
    "sigma_prime_missing":
        "σ′ is missing {where}: δ{up} is ∂C/∂a{up} without the factor σ{up}′(z{up})",
    "sigma_prime_at_a":
        "σ′ taken at a instead of z {where}: σ′(a{up}) where σ′(z{up}) belongs "
        "(for sigmoid that is sigmoid′(a) instead of a(1 − a))",
    "weights_not_transposed":
        "W{up} not transposed in the recursion {where}: W{up} δ{up} where W{up}ᵀ δ{up} belongs",
    "outer_product_transposed":
        "the product transposed {where}: ∂C/∂W{up} = a{below} δ{up}ᵀ where δ{up} a{below}ᵀ belongs",
    "wrong_delta_for_weights":
        "the delta of the wrong layer for W{up}: δ{src} a{below}ᵀ where δ{up} a{below}ᵀ belongs",
    "half_forgotten":
        "the cost's ½ is forgotten: every gradient is twice the true one",
    "mean_forgotten":
        "the batch mean's 1/N is forgotten: every gradient is N times the true one (sum, not mean)",
    "sign_flipped":
        "the sign is flipped: every gradient is the negative of the true one",
    "bias_summed_not_averaged":
        "the bias gradients are summed over the batch, not averaged: N times the true ∂C/∂b",
    "bias_first_example":
        "the bias gradients are taken from the first example only, not averaged over the batch",
    "decay_forgotten":
        "the weight decay is forgotten: ∂C/∂W⁽ᵐ⁾ lacks its λW⁽ᵐ⁾",
    "decay_doubled":
        "the weight decay is doubled: 2λW⁽ᵐ⁾ where λW⁽ᵐ⁾ belongs (the derivative of (λ/2)W² is λW)",
    "decay_on_biases":
        "the biases are decayed too: ∂C/∂b⁽ᵐ⁾ gains λb⁽ᵐ⁾, but only weights are decayed",
    "decay_averaged":
        "the weight decay is divided by N with the batch mean: λW⁽ᵐ⁾/N where λW⁽ᵐ⁾ belongs",
    "softmax_target_not_subtracted":
        "t is not subtracted at the softmax output: δ{L} = a{L} where a{L} − t belongs",
    "softmax_elementwise":
        "softmax differentiated element-wise: δ{L} = ∂C/∂a{L} ⊙ a{L}(1 − a{L}), as for a sigmoid, where the "
        "Jacobian's δ{L} = J{L}ᵀ ∂C/∂a{L} belongs (with cross-entropy: a{L} − t)",
}
"""What each kind of mistake does, in the lecture's notation; ``describe_mistake`` fills in the layers."""


def describe_mistake(mistake: Mistake, network: Network) -> str:
    """What the student's code does, in the lecture's notation (e.g. ``σ′ is missing in layer 1``)."""
    m = "ᵐ" if mistake.layer is None else mistake.layer
    up, below = superscript(f"({m})"), superscript(f"({m}-1)" if mistake.layer is None else f"({m - 1})")
    if mistake.layer is not None:
        where = f"in layer {m}"
    elif mistake.layers == tuple(range(1, network.L + 1)):
        where = "in every layer"
    elif mistake.layers == tuple(range(1, network.L)):
        where = "in every hidden layer"
    else:
        where = f"in layers {', '.join(map(str, mistake.layers))}"
    text = DESCRIPTIONS[mistake.kind]
    if mistake.kind == "output_delta_without_sigma_prime" and network.activations[-1] == "softmax":
        text = "δ{L} is the cost gradient ∂C/∂a{L} alone: the softmax Jacobian's J{L}ᵀ is missing"
    return text.format(up=up, below=below, where=where, L=superscript(f"({network.L})"),
                                             src=superscript(f"({mistake.source})"))


def _cost_sentence(report: GradientReport) -> str:
    cost = report.cost
    assert cost is not None
    sentence = f"C differs: expected {cost.expected:.6g}, received {cost.received:.6g} (at point {cost.point})"
    ratio = report.cost_ratio
    if ratio is not None and abs(ratio - 2) < 1e-6 and report.network.cost == "squared_error":
        return sentence + "; twice symbp's at every point: the cost's ½ is missing."
    if ratio is not None and abs(ratio + 1) < 1e-6:
        return sentence + "; the negative of symbp's: the cost's sign is flipped."
    return sentence + "; the forward pass or the cost formula is wrong, so check it before the gradients."


def _where_to_look(network: Network, m: int) -> str:
    up, below = superscript(f"({m})"), superscript(f"({m - 1})")
    above = superscript(f"({m + 1})")
    if m == network.L and network.activations[-1] == "softmax":
        collapse = ", with cross-entropy a" + up + " − t" if network.cost == "cross_entropy" else ""
        step = f"δ{up} = J{up}ᵀ ∂C/∂a{up}, J = diag(a{up}) − a{up}a{up}ᵀ (the base case{collapse})"
        where = f"The output layer {m} is already wrong"
    elif m == network.L:
        step = f"δ{up} = ∂C/∂a{up} ⊙ σ{up}′(z{up}) (the base case)"
        where = f"The output layer {m} is already wrong"
    else:
        step = f"δ{up} = (W{above}ᵀ δ{above}) ⊙ σ{up}′(z{up}) (the recursive case)"
        where = f"Layers {m + 1} to {network.L} are right; the first wrong gradient from the output down is in layer {m}"
    return f"{where}: look at {step} and at ∂C/∂W{up} = δ{up} a{below}ᵀ, ∂C/∂b{up} = δ{up}."


def _rows(report: GradientReport) -> list[tuple[str, list[EntryMismatch], str]]:
    """Per layer from the output down: a heading, the worst mismatches, and a line counting the rest."""
    out = []
    for m in range(report.network.L, 0, -1):
        layer = [e for e in report.mismatches if e.layer == m]
        keys = (f"W{m}", f"b{m}")
        if not layer:
            out.append((f"Layer {m}: {keys[0]} and {keys[1]} match.", [], ""))
            continue
        counts = {k: sum(e.name.startswith(k + "_") for e in layer) for k in keys}
        differ = " and ".join(f"{n} of {report.compared[k]} entries of {k}" for k, n in counts.items() if n)
        right = "".join(f" ({k} matches)" for k, n in counts.items() if not n)
        more = len(layer) - SHOWN_PER_LAYER
        out.append((f"Layer {m}: {differ} differ{right}", layer[:SHOWN_PER_LAYER],
                    f"  … and {more} more" if more > 0 else ""))
    return out


def _batch_note(report: GradientReport) -> str:
    if report.batch > 1 or report.per_example:  # per example, symbp itself averages
        return ""
    return ("With one sample per point, mistakes in averaging over the batch cannot show; "
            "compare with a batch of 8 as well.\n")


_HEADER = ("entry", "expected", "received", "rel. error", "point")


def _cells(e: EntryMismatch) -> list[str]:
    return [e.name, f"{e.expected:.6g}", f"{e.received:.6g}", f"{e.relative_error:.1e}", str(e.point)]


def report_text(report: GradientReport) -> str:
    """The report as plain text: verdict, diagnosis, then the differing entries by layer, worst first."""
    if report.passed:
        return f"✓ your gradients match symbp's ({_setting(report)})\n" + _batch_note(report)
    lines = [f"✗ your gradients do not match symbp's ({_setting(report)})", ""]
    diagnosis = diagnosis_lines(report)
    if diagnosis:
        lines += ["Diagnosis:", *("  " + line for line in diagnosis), ""]
    for heading, shown, more in _rows(report):
        lines.append(heading)
        if shown:
            lines += ["  " + line for line in _aligned([list(_HEADER), *map(_cells, shown)])]
            lines += [more] if more else []
    lines += ["", "Each row shows the point (1-based) where the entry's relative error is largest."]
    return "\n".join(lines) + "\n"


def _aligned(rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell: the first left-aligned, the numbers right-aligned, a rule under the header.

    Not render.text's table: importing that module imports symbp.check, which then
    shadows the function ``symbp.check`` with its module for anyone using ``symbp.check(...)``.
    """
    widths = [max(len(cell) for cell in column) for column in zip(*rows)]
    lines = ["  ".join([row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:]))]) for row in rows]
    return [lines[0], "  ".join("─" * w for w in widths), *lines[1:]]


def report_markdown(report: GradientReport) -> str:
    """The report as Markdown (what Jupyter shows)."""
    if report.passed:
        return f"**✓ your gradients match symbp's** ({_setting(report)})\n" + _batch_note(report)
    lines = [f"**✗ your gradients do not match symbp's** ({_setting(report)})", ""]
    diagnosis = diagnosis_lines(report)
    if diagnosis:
        lines += ["**Diagnosis:** " + diagnosis[0], *diagnosis[1:], ""]
    for heading, shown, more in _rows(report):
        lines += [f"*{heading}*", ""]
        if shown:
            lines += ["| " + " | ".join(_HEADER) + " |", "|---|" + "---:|" * 4]
            lines += ["| " + " | ".join(_cells(e)) + " |" for e in shown]
            lines += ["", more.strip(), ""] if more else [""]
    return "\n".join(lines) + "\n"


def report_data(report: GradientReport) -> dict[str, Any]:
    """The report as JSON-ready data."""

    def entry(e: EntryMismatch) -> dict[str, Any]:
        return {"entry": e.name, "expected": e.expected, "received": e.received,
                "relative_error": e.relative_error, "point": e.point}

    diagnosis = report.diagnosis
    return {
        "passed": report.passed,
        "network": {"layers": list(report.network.layers), "activations": list(report.network.activations),
                    "cost": report.network.cost},
        "points": report.points, "batch": report.batch, "seed": report.seed, "rtol": report.rtol,
        "per_example": report.per_example,
        "cost": entry(report.cost) if report.cost else None,
        "mismatches": [entry(e) for e in report.mismatches],
        "diagnosis": None if diagnosis is None else {
            "explanations": [[_mistake_data(k, report.network) for k in explanation]
                             for explanation in diagnosis.explanations],
            "first_wrong_layer": diagnosis.first_wrong_layer,
            "text": diagnosis_lines(report),
        },
    }


def _mistake_data(mistake: Mistake, network: Network) -> dict[str, Any]:
    return {"kind": mistake.kind, "layers": list(mistake.layers), "source": mistake.source,
            "description": describe_mistake(mistake, network)}


# Loading a function from a file ----------------------------------------------------------------------


def load_function(target: str) -> StudentFunction:
    """The function ``FUNCTION`` of ``FILE.py`` named as ``FILE.py:FUNCTION``.

    The file's folder is on ``sys.path`` while it is imported, so it can import its
    neighbours; bad targets raise ``SymbpError``. What the file's own code raises
    while it is imported propagates unchanged.
    """
    import importlib.util
    import sys
    from pathlib import Path

    path_text, _, name = target.rpartition(":")
    if not path_text or not name:
        raise SymbpError(f"{target!r} must be FILE.py:FUNCTION, e.g. my_nn.py:backward")
    path = Path(path_text)
    if path.suffix != ".py":
        raise SymbpError(f"{path_text!r} is not a Python file; give FILE.py:FUNCTION")
    if not path.is_file():
        raise SymbpError(f"file {path_text!r} does not exist")
    try:
        source = path.read_text(encoding="utf-8")
        compile(source, str(path), "exec")
    except SyntaxError as error:
        raise SymbpError(f"{path_text} line {error.lineno}: syntax error: {error.msg}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SymbpError(f"file {path_text!r} cannot be read: {error}") from None
    module_name = f"_symbp_verify_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None  # a .py file always has a loader
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    function = getattr(module, name, None)
    if not callable(function):
        defined = sorted(k for k, v in vars(module).items()
                         if callable(v) and getattr(v, "__module__", None) == module_name)
        what = "no function" if function is None else "no callable"
        raise SymbpError(f"{path_text} has {what} {name!r}; it defines: {', '.join(defined) or 'no functions'}")
    return function


def verify_function(fn: StudentFunction, network: Network, *, points: int = 5, seed: int = 0,
                    batch: int | None = None, tol: float = 1e-6, per_example: bool = False) -> GradientReport:
    """What ``symbp verify`` reports: ``fn`` against symbp's gradients of ``network`` at ``points`` random points.

    ``network`` is the spec as given; its batch (or ``batch``, if given) is the samples per point, the rows of
    x and t. ``per_example`` says ``fn`` takes one example; otherwise that is detected.
    """
    from dataclasses import replace

    from .spec import require_numbers

    require_numbers(network, "verify")
    samples = network.batch if batch is None else batch  # the network is one example's; samples are rows
    return compare_gradients(fn, replace(network, batch=1), points=points, seed=seed, batch=samples, rtol=tol,
                             per_example=True if per_example else None)


def report_output(report: GradientReport, format: str = "text") -> str:
    """The report as ``symbp verify --format`` writes it: ``text`` or ``json``."""
    if format == "json":
        from .printers.json import dumps

        return dumps(report_data(report))
    return report_text(report)
