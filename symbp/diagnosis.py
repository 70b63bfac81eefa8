"""Common backprop mistakes, and which of them explain a student's gradients.

A *mistaken backprop* is a plain NumPy backward pass in the lecture's order with
switches: each ``Mistake`` changes one line of it (drop sigma', forget a transpose,
scale by 2, ...). ``diagnose`` evaluates every mistake that this network's shapes
allow, alone and in pairs, at the points where the student's function was run,
and returns those whose gradients equal the student's to the tolerance.

Samples are rows, as in the generated code: z_m = a_{m-1} @ W_m.T + b_m, and the
correct recursion is dC/da_{m-1} = delta_m @ W_m, dW_m = delta_m.T @ a_{m-1} / N,
plus lambda W_m with weight decay (C gains (lambda/2) sum W^2; biases are not decayed).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from .spec import Network

Arrays = Mapping[str, np.ndarray]
Elementwise = Callable[[np.ndarray], np.ndarray]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# sigma and sigma' as functions of z, written out by hand: this is the reference a
# student's code is compared with line by line, independent of the symbolic registry.
SIGMA: dict[str, tuple[Elementwise, Elementwise]] = {
    "identity": (lambda z: z, np.ones_like),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "softplus": (lambda z: np.logaddexp(0, z), _sigmoid),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1.0, 0.01)),
}

def sigma_pair(network: Network, m: int) -> tuple[Elementwise, Elementwise]:
    """sigma^{(m)} and sigma^{(m)'} of z: written out above for built-ins, from the formula for a defined one
    (its derivative is SymPy's, as everywhere in symbp)."""
    name = network.activations[m - 1]
    if name in SIGMA:
        return SIGMA[name]
    return _defined(network.activation(m).formula or "", name, network.define)


@lru_cache(maxsize=32)
def _defined(formula: str, name: str, define: tuple[tuple[str, str], ...]) -> tuple[Elementwise, Elementwise]:
    import sympy as sp

    from .activations import FORMULA_VARIABLE as x, activation_named

    activation = activation_named(name, define)
    assert activation.value is not None and activation.derivative is not None  # defined: both
    value = activation.value(x)
    pair = [sp.lambdify(x, expr, modules=[{"erf": _erf}, "numpy"]) for expr in (value, activation.derivative(x, value))]
    return (lambda z: np.broadcast_to(pair[0](z), np.shape(z)).astype(float),
            lambda z: np.broadcast_to(pair[1](z), np.shape(z)).astype(float))


def _erf(z: np.ndarray) -> np.ndarray:
    from .erf import erf

    return erf(z)


COST_GRADIENT: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "squared_error": lambda a, t: a - t,
    "binary_cross_entropy": lambda a, t: -t / a + (1 - t) / (1 - a),
    "cross_entropy": lambda a, t: -t / a,
}


def _softmax(z: np.ndarray) -> np.ndarray:
    """a_k = exp(z_k) / sum_j exp(z_j) along each row (shifted by the row's largest z, which cancels)."""
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def _softmax_delta(network: Network, a: np.ndarray, t: np.ndarray, has: Callable[[str], bool]) -> np.ndarray:
    """delta^{(L)} of a softmax output: J^T dC/da, J = diag(a) - a a^T, per row; or what a mistaken line makes.

    With cross-entropy J^T (-t/a) = a sum_k t_k - t, the lecture's a - t when the targets sum to 1.
    """
    upstream = COST_GRADIENT[network.cost](a, t)
    if has("output_delta_without_sigma_prime"):  # the Jacobian left out: dC/da alone
        return upstream
    if has("softmax_elementwise"):  # sigma'(z) = a(1 - a) element-wise, as for a sigmoid, not the Jacobian
        return upstream * a * (1 - a)
    if has("softmax_target_not_subtracted"):  # delta = a: the - t of a - t forgotten
        return a.copy()
    if network.cost == "cross_entropy":
        return a * np.sum(t, axis=1, keepdims=True) - t
    return a * (upstream - np.sum(upstream * a, axis=1, keepdims=True))


@dataclass(frozen=True, order=True)
class Mistake:
    """One wrong line of backprop, made in ``layers`` (empty for a mistake of the whole pass, like a sign)."""

    kind: str
    layers: tuple[int, ...] = ()
    source: int | None = None
    """For ``wrong_delta_for_weights``: the layer whose delta was used."""

    @property
    def layer(self) -> int | None:
        """The one layer the mistake is in; None when it is in several, or in none in particular."""
        return self.layers[0] if len(self.layers) == 1 else None

    def applies(self, kind: str, m: int) -> bool:
        return self.kind == kind and m in self.layers


KINDS = (
    "output_delta_without_sigma_prime",
    "sigma_prime_missing",
    "sigma_prime_at_a",
    "weights_not_transposed",
    "outer_product_transposed",
    "wrong_delta_for_weights",
    "half_forgotten",
    "mean_forgotten",
    "sign_flipped",
    "bias_summed_not_averaged",
    "bias_first_example",
    "decay_forgotten",
    "decay_doubled",
    "decay_on_biases",
    "decay_averaged",
    "softmax_target_not_subtracted",
    "softmax_elementwise",
)
"""Every kind of mistake ``candidate_mistakes`` can offer."""


# The mistaken backward pass -------------------------------------------------------------------


def forward(network: Network, params: Arrays, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """z and a of every layer (index 0 of z unused), samples as rows."""
    zs, activations = [x], [x]
    for m in range(1, network.L + 1):
        z = activations[-1] @ params[f"W{m}"].T + params[f"b{m}"]
        zs.append(z)
        name = network.activations[m - 1]
        activations.append(_softmax(z) if name == "softmax" else sigma_pair(network, m)[0](z))
    return zs, activations


def mistaken_backprop(network: Network, params: Arrays, x: np.ndarray, t: np.ndarray,
                      mistakes: Sequence[Mistake] = ()) -> dict[str, np.ndarray]:
    """The gradients of the mean cost as backprop with ``mistakes`` computes them (none: the true ones)."""

    def has(kind: str, m: int | None = None) -> bool:
        return any(k.kind == kind if m is None else k.applies(kind, m) for k in mistakes)

    L, N = network.L, x.shape[0]
    zs, a = forward(network, params, x)
    delta: dict[int, np.ndarray] = {}
    upstream = COST_GRADIENT[network.cost](a[L], t)  # dC/da^{(L)}
    for m in range(L, 0, -1):
        if m == L and network.activations[-1] == "softmax":  # not element-wise: the Jacobian's base case
            delta[m] = _softmax_delta(network, a[L], t, has)
        else:
            _, sigma_prime = sigma_pair(network, m)
            local = sigma_prime(a[m] if has("sigma_prime_at_a", m) else zs[m])
            missing = has("output_delta_without_sigma_prime") if m == L else has("sigma_prime_missing", m)
            delta[m] = upstream if missing else upstream * local
        W = params[f"W{m}"]
        upstream = delta[m] @ (W.T if has("weights_not_transposed", m) else W)  # dC/da^{(m-1)}

    grads: dict[str, np.ndarray] = {}
    for m in range(1, L + 1):
        source = next((k.source for k in mistakes if k.applies("wrong_delta_for_weights", m)), m)
        dW = delta[source].T @ a[m - 1] / N
        grads[f"W{m}"] = dW.T if has("outer_product_transposed", m) else dW
        if has("bias_first_example"):
            grads[f"b{m}"] = delta[m][0]
        else:
            grads[f"b{m}"] = delta[m].sum(axis=0) / (1 if has("bias_summed_not_averaged") else N)
    scale = (2.0 if has("half_forgotten") else 1.0) * (N if has("mean_forgotten") else 1)
    grads = {key: scale * value for key, value in grads.items()}
    for key, value in _decay(network, params, N, has).items():
        grads[key] = grads[key] + value
    sign = -1.0 if has("sign_flipped") else 1.0
    return {key: sign * value for key, value in grads.items()}


def _decay(network: Network, params: Arrays, N: int, has: Callable[[str], bool]) -> dict[str, np.ndarray]:
    """What weight decay adds: lambda W^{(m)} to each dC/dW^{(m)}, or what a mistaken line adds instead."""
    if not network.l2 or has("decay_forgotten"):
        return {}
    factor = network.l2 * (2.0 if has("decay_doubled") else 1.0) / (N if has("decay_averaged") else 1)
    keys = [f"{letter}{m}" for m in range(1, network.L + 1) for letter in ("Wb" if has("decay_on_biases") else "W")]
    return {key: factor * params[key] for key in keys}


# Which mistakes are possible on this network ------------------------------------------------


def candidate_mistakes(network: Network, batch: int) -> Iterator[Mistake]:
    """Every single mistake whose gradients have the right shapes for this network and batch size."""
    L, D = network.L, network.D
    yield Mistake("output_delta_without_sigma_prime", (L,))
    yield from _per_layer("sigma_prime_missing", range(1, L))
    softmax = network.activations[-1] == "softmax"
    yield from _per_layer("sigma_prime_at_a", range(1, L if softmax else L + 1))  # softmax' has no sigma'(a) form
    if softmax:
        yield Mistake("softmax_elementwise", (L,))
        if network.cost == "cross_entropy":
            yield Mistake("softmax_target_not_subtracted", (L,))
    yield from _per_layer("weights_not_transposed", [m for m in range(2, L + 1) if D(m) == D(m - 1)])
    yield from _per_layer("outer_product_transposed", [m for m in range(1, L + 1) if D(m) == D(m - 1)])
    for m in range(1, L + 1):
        for source in (m - 1, m + 1):
            if 1 <= source <= L and D(source) == D(m):
                yield Mistake("wrong_delta_for_weights", (m,), source)
    if network.cost == "squared_error":
        yield Mistake("half_forgotten")
    yield Mistake("sign_flipped")
    if batch > 1:
        yield Mistake("mean_forgotten")
        yield Mistake("bias_summed_not_averaged")
        yield Mistake("bias_first_example")
    if network.l2:
        yield from (Mistake(kind) for kind in ("decay_forgotten", "decay_doubled", "decay_on_biases"))
        if batch > 1:
            yield Mistake("decay_averaged")


def _per_layer(kind: str, layers: Sequence[int]) -> Iterator[Mistake]:
    """The mistake in each layer alone, and in all of them when there are several."""
    for m in layers:
        yield Mistake(kind, (m,))
    if len(layers) > 1:
        yield Mistake(kind, tuple(layers))


def _compatible(first: Mistake, second: Mistake) -> bool:
    """Two mistakes can be made together unless they are the same kind (one line cannot be wrong twice)."""
    return first.kind != second.kind


# Matching -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One point where the student's function ran: inputs and what it returned."""

    params: Mapping[str, np.ndarray]
    x: np.ndarray
    t: np.ndarray
    received: Mapping[str, np.ndarray]
    expected: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Diagnosis:
    """The mistakes that explain the student's numbers: the fewest that fit, several when they tie."""

    explanations: tuple[tuple[Mistake, ...], ...]
    """Each a set of mistakes (one or two) whose gradients equal the student's at every point."""
    first_wrong_layer: int | None
    """The first layer from the output down with a wrong gradient (where the bug starts to show)."""
    supported: bool = True
    """False when the network has a non-linearity or cost the mistaken backprop does not know."""


RELATIVE_FLOOR = 1e-3
"""Entries far smaller than the largest of their array are compared relative to a thousandth of it,
so that round-off in a near-zero entry does not count as a mismatch."""


def relative_errors(received: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """|received - expected| relative to |expected|, or to a thousandth of the array's largest entry if more."""
    expected = np.asarray(expected, dtype=float)
    floor = max(RELATIVE_FLOOR * float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    return np.abs(np.asarray(received, dtype=float) - expected) / np.maximum(np.abs(expected), floor)


def agree(received: Arrays, expected: Arrays, rtol: float) -> bool:
    """Every entry of every array of ``expected`` within ``rtol`` (see ``relative_errors``)."""
    return all(np.all(relative_errors(received[key], value) <= rtol) for key, value in expected.items())


def diagnose(network: Network, samples: Sequence[Sample], rtol: float, max_mistakes: int = 2,
             per_example: bool = False) -> Diagnosis:
    """Which mistakes (alone, then in pairs) give the student's gradients at every sample.

    ``per_example``: the student's function saw one example at a time, so it cannot
    have got the averaging over the batch wrong (symbp averaged).
    """
    first_wrong = first_wrong_layer(network, samples, rtol)
    defined = {name for name, _ in network.define}
    supported = (all(name in SIGMA or name in defined for name in network.activations[:-1])
                 and (network.activations[-1] in (*SIGMA, "softmax") or network.activations[-1] in defined)
                 and network.cost in COST_GRADIENT)
    if not supported:
        return Diagnosis((), first_wrong, supported=False)
    batch = 1 if per_example else samples[0].x.shape[0]
    singles = [k for k in candidate_mistakes(network, batch) if not _invisible((k,), network, samples, rtol)]
    tolerance = max(rtol, 1e-9)  # the student's arithmetic differs from ours in the last bits
    for size in range(1, max_mistakes + 1):
        found = tuple(
            combo for combo in combinations(singles, size)
            if all(_compatible(a, b) for a, b in combinations(combo, 2))
            and all(agree(s.received, mistaken_backprop(network, s.params, s.x, s.t, combo), tolerance)
                    for s in samples)
        )
        if found:
            return Diagnosis(_most_specific(found), first_wrong)
    return Diagnosis((), first_wrong)


def _most_specific(explanations: tuple[tuple[Mistake, ...], ...]) -> tuple[tuple[Mistake, ...], ...]:
    """Drop "in every layer" when the same mistake in one layer explains the numbers as well
    (with sigma' missing at the output, sigma' at a in every layer is sigma' at a in the hidden ones)."""

    def narrower(specific: tuple[Mistake, ...], general: tuple[Mistake, ...]) -> bool:
        return specific != general and all(
            s == g or (s.kind == g.kind and set(s.layers) < set(g.layers)) for s, g in zip(specific, general))

    return tuple(e for e in explanations if not any(narrower(other, e) for other in explanations))


def _invisible(mistakes: tuple[Mistake, ...], network: Network, samples: Sequence[Sample], rtol: float) -> bool:
    """True when the mistakes give the true gradients at every sample (e.g. σ′(a) for relu)."""
    return all(agree(mistaken_backprop(network, s.params, s.x, s.t, mistakes), s.expected, rtol) for s in samples)


def first_wrong_layer(network: Network, samples: Sequence[Sample], rtol: float) -> int | None:
    """The highest layer m whose W^{(m)} or b^{(m)} differs at some sample."""
    for m in range(network.L, 0, -1):
        keys = (f"W{m}", f"b{m}")
        for s in samples:
            if not agree({k: s.received[k] for k in keys}, {k: s.expected[k] for k in keys}, rtol):
                return m
    return None
