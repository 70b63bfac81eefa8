"""Generated NumPy code: ``loss_and_gradients(params, x, t)`` written from the backprop derivation.

The derivation is scalar: one delta step per unit, one gradient step per entry.
``vectorize`` reads its matrix form off it, checking as it goes that every unit
of a layer follows one formula and that every sum is a matrix product:

    delta^{(m)}_j = (sum_i delta^{(m+1)}_i W^{(m+1)}_{ij}) sigma^{(m)'}(z^{(m)}_j)
        -> delta_m = (delta_{m+1} @ W_{m+1}) * sigma'  (one row per sample)
    dC/dW^{(m)}_{ij} = delta^{(m)}_i a^{(m-1)}_j  ->  dW_m = delta_m.T @ a_{m-1}

``module_source`` prints that form as a standalone module that needs only NumPy;
the elementwise formulas (sigma, sigma', C, dC/da) come from the activation and
cost registries through SymPy's NumPy printer, each written as NumPy calls
that fill arrays kept between calls (symbp.inplace). The module runs the batch in
blocks of rows sized to stay in the cache (``block_rows``), in float64 or
float32 (``dtype``). ``compile`` runs the same source in-process. This module
only writes code: no numbers are computed here.
"""

from __future__ import annotations

import builtins
import inspect
import linecache
import math
from dataclasses import dataclass, replace
from typing import Callable, Mapping

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import log1p
from sympy.codegen.rewriting import log1p_opt, optimize
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE, precedence

from . import __version__
from . import erf as _erf_module
from .activations import STABLE_ERFC, STABLE_LOGSUMEXP, STABLE_SIGMOID, STABLE_SOFTPLUS, stable_form
from .costs import COSTS
from .derive.backprop import BackpropDerivation, backprop
from .errors import SymbpError
from .graph import Graph, build_graph
from .inplace import InPlaceWriter, Scratch, Target
from .layout import parameter_layout
from .spec import Network, require_network

LossAndGradients = Callable[[Mapping[str, np.ndarray], np.ndarray, np.ndarray], tuple[float, dict[str, np.ndarray]]]

BLOCK_BYTES = 2 * 1024 * 1024
"""What one block's stored forward values (z and a of every layer) may take: the benchmark
machine's 2 MiB L2 cache. The block's arrays are allocated once per call and written in
place, so a block costs no fresh memory, and the fixed cost of its NumPy calls (about ten
a layer) is what fewer, larger blocks save; benchmarks/RESULTS.md has the measured sweep."""

BLOCK_ROWS_RANGE = (512, 4096)
"""Fewer rows make the matrix products thin and per-call overhead dominate; more did not pay
on any benchmarked network."""


# The vectorized form -------------------------------------------------------


@dataclass(frozen=True)
class LayerForm:
    """One layer's formulas, elementwise over the layer's arrays ``z<m>``, ``a<m>`` (rows: samples).

    The matrix parts are implied by the lecture's structure, which ``vectorize``
    checked against the derivation: z_m = a_{m-1} @ W_m.T + b_m, the hidden-layer
    upstream dC/da_m = delta_{m+1} @ W_{m+1}, dW_m = delta_m.T @ a_{m-1}, db_m = sum of delta_m.
    """

    layer: int
    activation: sp.Expr
    """a^{(m)} = sigma^{(m)}(z^{(m)}), over the symbol ``z<m>``."""
    local: sp.Expr
    """sigma^{(m)'}(z^{(m)}), over ``z<m>`` and ``a<m>``; delta^{(m)} = dC/da^{(m)} * local."""


@dataclass(frozen=True)
class VectorizedBackprop:
    """The backprop derivation of one concrete network in matrix form."""

    network: Network
    layers: tuple[LayerForm, ...]
    """Layer 1 first."""
    cost: sp.Expr
    """C for one output unit, over ``a<L>`` and ``t_rows``; the total sums it over outputs and samples."""
    output_upstream: sp.Expr
    """dC/da^{(L)}: the base case's given factor, over ``a<L>`` and ``t_rows``."""
    logit_cost: sp.Expr | None = None
    """C for one output from the logit ``z<L>`` (binary cross-entropy after a sigmoid), or None."""
    output_delta: sp.Expr | None = None
    """delta^{(L)} = dC/da sigma'(z) cancelled (a - t for that pair), over ``a<L>`` and ``t_rows``, or None."""
    softmax: bool = False
    """A softmax output: a<L> by rows, delta<L> = J^T dC/da (``output_delta`` its cross-entropy collapse)."""
    decay: float = 0.0
    """lambda of weight decay: C gains (lambda/2) sum W^2 and dC/dW gains lambda W (biases are not decayed)."""


def layer_symbols(m: int) -> tuple[sp.Symbol, sp.Symbol, sp.Symbol]:
    """The array names of layer m in generated code: ``z<m>``, ``a<m>``, ``dC_da<m>``."""
    return sp.Symbol(f"z{m}", real=True), sp.Symbol(f"a{m}", real=True), sp.Symbol(f"dC_da{m}", real=True)


TARGET = sp.Symbol("t_rows", real=True)
"""The targets of the current block of samples in generated code."""


def vectorize(derivation: BackpropDerivation) -> VectorizedBackprop:
    """Read the matrix form off a backprop derivation over every W and b entry.

    >>> from symbp import Network, backprop
    >>> net = Network([2, 2, 1], "sigmoid", "squared_error")
    >>> form = vectorize(backprop(net, tuple(net.entries(kinds=("W", "b")))))
    >>> form.layers[0].local, form.output_upstream
    (a1*(1 - a1), a2 - t_rows)
    """
    net = derivation.network
    _require_concrete(net)
    graph = build_graph(net)
    L = net.L
    _check_gradient_steps(derivation, graph)

    layers = []
    for m in range(1, L + 1):
        z, a, _ = layer_symbols(m)
        units = range(net.D(m))
        for i in units:  # z^{(m)}_i = sum_j W^{(m)}_{ij} a^{(m-1)}_j + b^{(m)}_i: row i of a matrix product
            expected = {frozenset((graph.W[m][i, j], graph.a[m - 1][j])) for j in range(net.D(m - 1))}
            expected.add(frozenset((graph.b[m][i],)))
            # Compared term by term: rebuilding the sum in SymPy would cost as much as the graph did.
            terms = {
                frozenset(term.args if term.is_Mul else (term,)) for term in sp.Add.make_args(graph.z_definition[m][i])
            }
            if terms != expected:
                raise _not_matrix_form(f"z{m}_{i + 1}", graph.z_definition[m][i])
        steps = [derivation.delta(m, i + 1) for i in units]
        if m < L:
            for j, step in enumerate(steps):  # upstream of unit j: column j of delta^{(m+1)} W^{(m+1)}
                expected_terms = tuple((graph.delta[m + 1][i], graph.W[m + 1][i, j]) for i in range(net.D(m + 1)))
                if step.terms != expected_terms:
                    raise _not_matrix_form(f"delta{m}_{j + 1}", step.upstream)
        if m == L and graph.softmax_output:  # one row at a time, not elementwise: the module's _softmax
            layers.append(LayerForm(m, SOFTMAX_ROWS(z), sp.Integer(1)))
            continue
        layer_units = [{graph.z[m][i]: z, graph.a[m][i]: a} for i in units]
        activation = _uniform(f"a{m}", [graph.a_definition[m][i] for i in units], layer_units)
        local = _uniform(f"sigma'{m}", [step.local for step in steps], layer_units)
        layers.append(LayerForm(m, activation, local))

    z_L, a_L, _ = layer_symbols(L)
    outputs = [{a_k: a_L, t_k: TARGET} for a_k, t_k in zip(graph.a[L], graph.t)]
    if graph.softmax_output:
        return _softmax_form(derivation, graph, tuple(layers), outputs)
    upstream = _uniform(f"dC/da{L}", [derivation.delta(L, k + 1).upstream for k in range(net.D(L))], outputs)
    cost = COSTS[net.cost]
    per_output = [cost.value([a_k], [t_k]) for a_k, t_k in zip(graph.a[L], graph.t)]
    if sp.expand(graph.C_definition - sp.Add(*per_output)) != 0:  # the total is a plain sum over outputs
        raise _not_matrix_form("C", graph.C_definition)
    cost_term = _uniform("C", per_output, outputs)
    if cost.logit_value is not None and net.activations[-1] == "sigmoid":  # finite when a rounds to 1
        z_L = layer_symbols(L)[0]
        return VectorizedBackprop(
            net, tuple(layers), cost_term, upstream, cost.logit_value(z_L, TARGET), cost.logit_delta(a_L, TARGET),
            decay=net.l2,
        )
    return VectorizedBackprop(net, tuple(layers), cost_term, upstream, decay=net.l2)


SOFTMAX_ROWS = sp.Function("softmax_rows", real=True)
LOG_SOFTMAX_ROWS = sp.Function("log_softmax_rows", real=True)
"""Softmax and log-softmax along each row (sample) of z<L>: the module's _softmax and _log_softmax."""


def _softmax_form(
    derivation: BackpropDerivation, graph: Graph, layers: tuple[LayerForm, ...], outputs: list[dict[sp.Symbol, sp.Symbol]]
) -> VectorizedBackprop:
    """A softmax output: delta^{(L)} = J^T dC/da, or after cross-entropy its collapse a sum_k t_k - t.

    The collapse is read off the derivation (its step a_j sum_k t_k - t_j, exact for any targets); the
    cost is then written in log-softmax form, C = -sum_k t_k log_softmax(z)_k, finite at logits of 1,000.
    """
    net, L = derivation.network, derivation.network.L
    z_L, a_L, _ = layer_symbols(L)
    cost = COSTS[net.cost]
    per_output = [cost.value([a_k], [t_k]) for a_k, t_k in zip(graph.a[L], graph.t)]
    if sp.expand(graph.C_definition - sp.Add(*per_output)) != 0:
        raise _not_matrix_form("C", graph.C_definition)
    cost_term = _uniform("C", per_output, outputs)
    upstream = _uniform(f"dC/da{L}", list(graph.dC_da_value), outputs)
    collapse = [derivation.delta(L, j + 1).collapse for j in range(net.D(L))]
    if not all(collapse):
        return VectorizedBackprop(net, layers, cost_term, upstream, softmax=True, decay=net.l2)
    for j, steps in enumerate(collapse):  # a_j sum_k t_k - t_j, the same for every unit
        if sp.expand(steps[1] - (graph.a[L][j] * sp.Add(*graph.t) - graph.t[j])) != 0:
            raise _not_matrix_form(f"delta{L}_{j + 1}", steps[1])
    logit_cost = cost_term.xreplace({sp.log(a_L): LOG_SOFTMAX_ROWS(z_L)})
    return VectorizedBackprop(
        net, layers, cost_term, upstream, logit_cost, a_L * TARGET_SUM - TARGET, softmax=True, decay=net.l2
    )


TARGET_SUM = sp.Symbol("t_sum", real=True)
"""sum_k t_k of each sample (a column) in generated code."""


def _require_concrete(net: Network) -> None:
    if net.is_abstract:
        raise SymbpError(
            f"network {net.describe()} has abstract parts, so there is no numeric code to generate; "
            "give every layer a non-linearity and a cost (e.g. sigmoid, squared_error)"
        )


def _check_gradient_steps(derivation: BackpropDerivation, graph: Graph) -> None:
    """Every dC/dW^{(m)}_{ij} is delta^{(m)}_i a^{(m-1)}_j (+ lambda W^{(m)}_{ij}) and every dC/db^{(m)}_i is delta^{(m)}_i."""
    if derivation.network.batch > 1:
        raise SymbpError("vectorize takes the derivation of one example; the generated code averages over the rows")
    for step in derivation.gradients:
        e = step.entry
        if step.decay != graph.decay_term(e):
            raise _not_matrix_form(e.name, step.formula)
        if e.kind == "W":
            expected = ((graph.delta[e.layer][e.row - 1], graph.a[e.layer - 1][e.col - 1]),)
        elif e.kind == "b":
            expected = ((graph.delta[e.layer][e.row - 1], sp.Integer(1)),)
        else:
            continue
        if step.terms != expected:
            raise _not_matrix_form(e.name, step.formula)
    found = {step.entry for step in derivation.gradients}
    missing = [e.name for e in derivation.network.entries(kinds=("W", "b")) if e not in found]
    if missing:
        raise SymbpError(f"the derivation has no gradient for {missing[0]}; derive every W and b entry")


def _uniform(what: str, unit_formulas: list[sp.Expr], unit_to_array: list[dict[sp.Symbol, sp.Symbol]]) -> sp.Expr:
    """The one formula every unit follows, over the layer's array symbols."""
    lifted = [f.xreplace(names) for f, names in zip(unit_formulas, unit_to_array)]
    for unit, formula in enumerate(lifted[1:], start=2):
        if formula != lifted[0]:
            raise _not_matrix_form(f"{what} of unit {unit}", unit_formulas[unit - 1])
    return lifted[0]


def _not_matrix_form(what: str, formula: sp.Expr) -> SymbpError:
    # Only a derivation that does not follow the lecture's recursion gets here.
    return SymbpError(f"{what} = {formula} does not follow the lecture's matrix form; cannot vectorize it")


# Printing ------------------------------------------------------------------


_HELPERS = {
    STABLE_SIGMOID: "_sigmoid", STABLE_SOFTPLUS: "_softplus", SOFTMAX_ROWS: "_softmax", LOG_SOFTMAX_ROWS: "_log_softmax",
    STABLE_LOGSUMEXP: "_logsumexp",
}
"""The generated module's overflow-free helpers, for the functions ``stable_form`` writes."""


class _ArrayPrinter(NumPyPrinter):
    """NumPy's printer with cheaper elementwise forms.

    Max/Min become nested ``numpy.maximum``/``minimum`` (not ``functools.reduce``),
    Piecewise a nest of ``numpy.where`` (not ``numpy.select``, which builds every
    branch into a list of arrays), and x**-1 a division.
    """

    def _print_Max(self, expr: sp.Max) -> str:
        return self._nested("numpy.maximum", expr.args)

    def _print_Min(self, expr: sp.Min) -> str:
        return self._nested("numpy.minimum", expr.args)

    def _nested(self, function: str, args: tuple[sp.Expr, ...]) -> str:
        first, *rest = (self._print(arg) for arg in args)
        for arg in rest:
            first = f"{self._module_format(function)}({first}, {arg})"
        return first

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        if expr.args[-1].cond != sp.true:
            return super()._print_Piecewise(expr)  # no otherwise-branch: keep select's nan default
        out = self._print(expr.args[-1].expr)
        for piece in reversed(expr.args[:-1]):
            out = f"{self._module_format('numpy.where')}({self._print(piece.cond)}, {self._print(piece.expr)}, {out})"
        return out

    def _print_Function(self, expr: sp.Expr) -> str:
        if expr.func == STABLE_ERFC:  # SymPy dispatches no _print_<name> for undefined functions
            return f"_erf({self._print(expr.args[0])}, complement=True)"
        helper = _HELPERS.get(expr.func)
        if helper is None:
            return super()._print_Function(expr)
        return f"{helper}({', '.join(self._print(arg) for arg in expr.args)})"

    def _print_erf(self, expr: sp.Expr) -> str:
        return f"_erf({self._print(expr.args[0])})"  # the module's own, NumPy only: see symbp.erf

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        if expr.exp == -1:
            return f"1/{self.parenthesize(expr.base, precedence(expr))}"
        return super()._print_Pow(expr, rational=rational)


class _Print:
    """Elementwise formulas as NumPy source."""

    def __init__(self) -> None:
        self._printer = _ArrayPrinter({"fully_qualified_modules": True})

    def __call__(self, expr: sp.Expr) -> str:
        return self._printer.doprint(self.stable(expr))

    @staticmethod
    def stable(expr: sp.Expr) -> sp.Expr:
        # Sigmoid and softplus through the module's overflow-free helpers; any other
        # log(1 + x) as log1p(x), SymPy's own rewrite, exact for small x.
        return optimize(stable_form(expr), [log1p_opt])

    def times(self, name: str, expr: sp.Expr) -> str:
        """``name`` times ``expr``, written in that order (SymPy would sort the factors)."""
        expr = self.stable(expr)
        if expr == 1:
            return name
        if isinstance(expr, sp.Pow) and expr.exp == -1:
            return f"{name}/{self._printer.parenthesize(expr.base, PRECEDENCE['Mul'])}"
        return f"{name}*{self._printer.parenthesize(expr, PRECEDENCE['Mul'], strict=True)}"


DTYPES = ("float64", "float32")
"""The floating-point types the generated code can compute in."""


def _require_dtype(dtype: str) -> str:
    if dtype not in DTYPES:
        raise SymbpError(f"dtype {dtype!r} is not supported; give {' or '.join(DTYPES)}")
    return dtype


def block_rows(network: Network, dtype: str = "float64") -> int:
    """Samples per block: the power of two nearest to ``BLOCK_BYTES`` over the bytes each sample stores."""
    itemsize = np.dtype(_require_dtype(dtype)).itemsize
    stored = 2 * itemsize * sum(network.layers[1:])  # z^{(m)} and a^{(m)} of every layer, kept for the backward pass
    rows = 1 << round(math.log2(BLOCK_BYTES / stored))
    low, high = BLOCK_ROWS_RANGE
    return min(max(rows, low), high)


def module_source(network: Network, dtype: str = "float64") -> str:
    """A standalone Python module (NumPy only) defining ``loss_and_gradients(params, x, t)``.

    ``params`` holds ``W1``, ``b1``, ... in the point layout (W^{(m)} of shape
    (D(m), D(m-1)), b^{(m)} of shape (D(m),)), ``x`` has shape (N, D(0)) and ``t``
    (N, D(L)); it returns the mean cost over the N samples and a dict of the
    gradients of that mean, with the keys and shapes of ``params``. ``dtype``
    (float64 or float32) is what the module computes in and returns.

    >>> from symbp import Network
    >>> source = module_source(Network([2, 3, 1], "sigmoid", "squared_error"))
    >>> print(*[line.strip() for line in source.splitlines() if line.strip().startswith("# delta")], sep="\\n")
    # delta2 = dC_da2*a2*(1 - a2)
    # delta1 = dC_da1*a1*(1 - a1)
    """
    _require_dtype(dtype)
    _require_concrete(network)  # before deriving anything
    # The code takes any number of rows and averages over them: one example's derivation is the whole batch's.
    example = replace(network, batch=1)
    form = vectorize(backprop(example, tuple(example.entries(kinds=("W", "b")))))
    return _ModuleWriter(form, dtype, network.batch).source()


_IN_PLACE = {
    sp.exp: "numpy.exp",
    sp.log: "numpy.log",
    log1p: "numpy.log1p",
    sp.tanh: "numpy.tanh",
    sp.Abs: "numpy.absolute",
    STABLE_SIGMOID: "_sigmoid",
    STABLE_SOFTPLUS: "_softplus",
}
"""Functions the generated code applies with ``out=`` (the module's own helpers take it too)."""


class _ModuleWriter:
    """Lays out the generated module: one block per layer, named like the lecture.

    Each layer's arrays (z, a, dC/da, delta and any scratch) for a block of rows
    are made on a thread's first call and kept (``_block_arrays`` in the module);
    every block writes into them in place (symbp.inplace), so a call allocates no
    array per block, and later calls none at all.
    """

    def __init__(self, form: VectorizedBackprop, dtype: str, batch: int = 1) -> None:
        self.form = form
        self.batch = batch
        """The N the user derived for (``--batch``); the code takes any number of rows."""
        self.net = form.network
        self.dtype = dtype
        self.print = _Print()
        self.writer = InPlaceWriter(self.print, _IN_PLACE)
        self.arrays: dict[str, int] = {}
        """Each block array's name (``z1_block``) and its number of columns, in the order first used."""
        self.scratch = {m: Scratch(f"work{m}_") for m in range(1, self.net.L + 1)}
        self._exp2 = dtype == "float32"
        """exp(u) in the sigmoid as 2**(u log2 e): NumPy's float32 exp2 is about twice as fast as its exp."""
        self.sigmoid_of_sum = {layer.layer for layer in form.layers if self._sigmoid_without_z(layer)}
        """Layers computing a = sigma(a_{m-1} W^T + b) without keeping z (see ``_forward``)."""

    def _sigmoid_without_z(self, layer: LayerForm) -> bool:
        """Whether layer m's non-linearity is the sigmoid and nothing after its forward pass reads z<m>."""
        z = layer_symbols(layer.layer)[0]
        if self.print.stable(layer.activation) != STABLE_SIGMOID(z):
            return False
        later = [layer.local]
        if layer.layer == self.net.L:
            form = self.form
            later += [form.cost, form.output_upstream, form.logit_cost, form.output_delta]
        return not any(formula is not None and z in formula.free_symbols for formula in later)

    def _return(self, shapes: Mapping[str, tuple[int, ...]]) -> list[str]:
        """The mean cost and gradients; with weight decay, (L2/2) sum W^2 and L2 W added (biases are not decayed)."""
        if not self.form.decay:
            gradients = ", ".join(f'"{key}": d{key} / N' for key in shapes)
            return ["", f"    return cost / N, {{{gradients}}}"]
        squares = " + ".join(f"numpy.sum(W{m} * W{m})" for m in range(1, self.net.L + 1))
        return [
            "",
            "    # Weight decay: C gains (L2/2) sum_m sum_ij (W^{(m)}_ij)^2, dC/dW^{(m)}_ij gains L2 W^{(m)}_ij;"
            " biases are not decayed",
            f"    decay = L2 / 2 * ({squares})",
            "    return cost / N + float(decay), {",
            *(f'        "{key}": d{key} / N' + (f" + L2 * {key}," if key.startswith("W") else ",") for key in shapes),
            "    }",
        ]

    def _target(self, name: str, m: int) -> Target:
        """``name`` written into its own block array, as wide as layer m."""
        self.arrays[f"{name}_block"] = self.net.D(m)
        return Target(name, f"{name}_block[:n]")

    def _assign(self, name: str, m: int, expr: sp.Expr) -> list[str]:
        """``name = expr`` over layer m's arrays, computed in place; the formula heads it when that takes lines."""
        lines = self.writer.assign(self._target(name, m), self.print.stable(expr), self.scratch[m])
        if len(lines) == 1:
            return lines
        return [f"# {name} = {self.print(expr)}", *lines]

    def source(self) -> str:
        net = self.net
        shapes = dict(parameter_layout(net).shapes)
        names = ", ".join(shapes)
        body = [
            "",
            "    # Blocks of rows, so that each block's arrays stay in the cache.",
            "    for first in range(0, N, BLOCK_ROWS):",
            "        a0 = x[first:first + BLOCK_ROWS]  # a^{(0)}: one sample per row",
            f"        {TARGET.name} = t[first:first + BLOCK_ROWS]",
            "        n = a0.shape[0]",
        ]
        for layer in self.form.layers:
            body += self._forward(layer)
        body += self._cost()
        for layer in reversed(self.form.layers):
            body += self._backward(layer)
        arrays = self._block_arrays()
        out = [
            *self._header(shapes, arrays),
            "",
            "def loss_and_gradients(params, x, t):",
            '    """Mean cost over the N samples (rows) of x and t, and its gradient for every key of params."""',
            f"    {names} = _parameters(params)",
            "    x, t = _samples(x, t)",
            "    N = x.shape[0]",
            "    cost = 0.0",
            *[f"    d{key} = numpy.zeros({shape}, DTYPE)" for key, shape in shapes.items()],
            *self._preamble(arrays),
            *body,
            "",
            *self._return(shapes),
            "",
            *self._helpers(),
            "",
        ]
        if any("_erf(" in line for line in out):
            out += ["", inspect.getsource(_erf_module.erf).replace("def erf(", "def _erf(", 1)]
        if any("_logsumexp(" in line for line in out):  # a --define formula's sum of exponentials
            out += [
                "",
                "",
                "def _logsumexp(*u):",
                '    """log(sum_j exp(u_j)), elementwise, without overflow: logaddexp folded over the terms."""',
                "    total = u[0]",
                "    for term in u[1:]:",
                "        total = numpy.logaddexp(total, term)",
                "    return total",
            ]
        return "\n".join(out)

    def _block_arrays(self) -> dict[str, int]:
        """Every array a block writes, by name, and its number of columns: b in every row, then what the loop wrote."""
        arrays = {self._bias_rows(m): self.net.D(m) for m in range(1, self.net.L + 1)}
        arrays.update(self.arrays)
        for m, scratch in self.scratch.items():
            arrays.update({f"{scratch.prefix}{k}_block": self.net.D(m) for k in range(scratch.used)})
        return arrays

    def _preamble(self, arrays: dict[str, int]) -> list[str]:
        names = ["ones_block", *arrays]
        rows = [", ".join(names[i : i + 6]) for i in range(0, len(names), 6)]
        return [
            "",
            "    # One block's arrays, kept between calls (_block_arrays): every block writes into them in place",
            "    # (a shorter last block, into their first n rows).",
            "    (",
            *[f"        {row}," for row in rows],
            "    ) = _block_arrays(min(N, BLOCK_ROWS))",
            "    # b in every row (-b where the sigmoid subtracts it from -a W^T): adding it is then a plain",
            "    # elementwise pass, twice as fast as a broadcast one",
            *[f"    {self._bias_rows(m)}[...] = {'-' if m in self.sigmoid_of_sum else ''}b{m}"
              for m in range(1, self.net.L + 1)],
        ]

    def _bias_rows(self, m: int) -> str:
        return f"minus_b{m}_rows" if m in self.sigmoid_of_sum else f"b{m}_rows"

    def _mean_and_decay(self) -> list[str]:
        """How the batch mean and the weight decay enter loss_and_gradients (nothing for one example, no decay)."""
        if self.batch == 1 and not self.form.decay:
            return []
        L = self.net.L
        decay_cost = " + (L2/2) sum_m sum_ij (W^{(m)}_ij)^2" if self.form.decay else ""
        decay_grad = " + L2 W^{(m)}" if self.form.decay else ""
        derived = (f" (symbp codegen --batch {self.batch} derived it for N = {self.batch}; any N works)"
                   if self.batch > 1 else "")
        return [
            "",
            f"How the batch mean{' and the weight decay enter' if self.form.decay else ' enters'} "
            "loss_and_gradients; N is the number",
            f"of rows of x, one row per example n{derived}:",
            "",
            f"    cost = (1/N) sum_n C(a^{{({L}),(n)}}, t^{{(n)}}){decay_cost}",
            f"    dC/dW^{{(m)}} = (1/N) sum_n delta^{{(m),(n)}} (a^{{(m-1),(n)}})^T{decay_grad}",
            "    dC/db^{(m)} = (1/N) sum_n delta^{(m),(n)}" + (" (biases are not decayed)" if self.form.decay else ""),
            "",
            "Each block of rows adds its examples' C, delta a^T and delta into cost, dW and db; the return divides",
            "by N" + (" and then adds the decay." if self.form.decay else "."),
        ]

    def _header(self, shapes: dict[str, tuple[int, ...]], arrays: dict[str, int]) -> list[str]:
        net, L = self.net, self.net.L
        return [
            f'"""Loss and gradients of the network {",".join(map(str, net.layers))}'
            f' (sigma: {", ".join(net.activations)}; C: {net.cost}), in {self.dtype}.',
            *net.formulas,
            "",
            f"Generated by symbp {__version__} from its backprop derivation; needs only NumPy.",
            "",
            "    cost, grads = loss_and_gradients(params, x, t)",
            "",
            "params holds W1, b1, ...: W^{(m)} has D(m) rows and D(m-1) columns, b^{(m)} D(m) entries.",
            f"x has shape (N, {net.D(0)}), t has shape (N, {net.D(L)}). cost is the mean of C(a{_sup(L)}, t) over the",
            *(["N samples, plus (L2/2) times the sum of every squared weight (biases are not decayed),",
                f"and grads holds its gradient for each key of params, in the same shape, as {self.dtype}."]
              if self.form.decay else
              [f"N samples, and grads holds its gradient for each key of params, in the same shape, as {self.dtype}."]),
            *self._mean_and_decay(),
            "",
            "Samples are rows, so the lecture's z^{(m)} = W^{(m)} a^{(m-1)} + b^{(m)} reads",
            "z_m = a_{m-1} @ W_m.T + b_m here, and each delta^{(m)} = dC/dz^{(m)} holds one row per sample.",
            "Elementwise formulas write into arrays kept between calls (out=, or in place with +=, *=) where",
            "NumPy has an operation for each step (where, softmax and the like make arrays of their own);",
            "where that takes several lines, the formula they compute heads them as a comment.",
            '"""',
            "",
            "import threading",
            "",
            "import numpy",
            "",
            f"DTYPE = numpy.{self.dtype}",
            *(["LOG2E = DTYPE(1.4426950408889634)  # log2(e): exp(u) = 2**(u log2 e)"] if self._exp2 else []),
            f"LAYERS = {net.layers!r}",
            f"SHAPES = {shapes!r}",
            f"BLOCK_ROWS = {block_rows(net, self.dtype)}"
            "  # samples per block: what they keep for the backward pass stays in cache",
            f"BLOCK_WIDTHS = {tuple(arrays.values())!r}  # columns of each array _block_arrays makes after the ones",
            "BadInput = ValueError  # what wrong params, x or t raise (in-process: a ValueError subclass)",
            *([f"L2 = {self.form.decay!r}  # weight decay lambda"] if self.form.decay else []),
            "",
        ]

    def _forward(self, layer: LayerForm) -> list[str]:
        m = layer.layer
        z, a, _ = layer_symbols(m)
        up, below = _sup(m), _sup(m - 1)
        sigma = f"exp(z{up}_i) / sum_j exp(z{up}_j)" if layer.activation.func == SOFTMAX_ROWS else f"sigma{up}(z{up}_i)"
        heading = f"        # Layer {m}, forward: z{up}_i = sum_j W{up}_ij a{below}_j + b{up}_i, a{up}_i = {sigma}"
        if m in self.sigmoid_of_sum:  # one pass fewer than z = product + b, then exp(-z)
            return [
                "",
                heading,
                f"        # (z{m} is not kept: a{m} = 1/(1 + exp(-b{m} - a{m - 1} W{m}^T)), computed over the product)",
                f"        {a} = _sigmoid_of_sum(numpy.matmul(a{m - 1}, W{m}.T, out={self._target(a.name, m).storage}),"
                f" minus_b{m}_rows[:n])",
            ]
        return [
            "",
            heading,
            f"        {z} = numpy.matmul(a{m - 1}, W{m}.T, out={self._target(z.name, m).storage})",
            f"        {z} += b{m}_rows[:n]",
            # softmax reads a whole row: one NumPy expression, not written element by element in place
            *([f"        {a} = {self.print(layer.activation)}"] if layer.activation.func == SOFTMAX_ROWS
              else _indent(self._assign(a.name, m, layer.activation))),
        ]

    def _cost(self) -> list[str]:
        L = self.net.L
        if self.form.logit_cost is not None:
            comment = (
                f"        # C = C(a{_sup(L)}, t), summed over outputs and samples, written from the logit"
                f" z{_sup(L)} so that it stays finite when a{_sup(L)} rounds to 0 or 1"
            )
            formula = self.form.logit_cost
        else:
            comment, formula = f"        # C = C(a{_sup(L)}, t), summed over outputs and samples", self.form.cost
        return ["", comment, *_indent(self._assign("C_rows", L, formula)), "        cost += float(C_rows.sum())"]

    def _backward(self, layer: LayerForm) -> list[str]:
        m, L = layer.layer, self.net.L
        _, _, dC_da = layer_symbols(m)
        up, above = _sup(m), _sup(m + 1)
        delta = f"delta{m}"
        if m == L and self.form.softmax:
            return [*self._softmax_backward(), *self._gradient_lines(m)]
        if m == L and self.form.output_delta is not None:
            return [
                "",
                f"        # Layer {m}, backward, base case: delta{up} = dC/da{up} sigma{up}'(z{up}),"
                " cancelled (finite when a rounds to 1)",
                *_indent(self._assign(delta, m, self.form.output_delta)),
                *self._gradient_lines(m),
            ]
        if m == L:
            lines = [
                "",
                f"        # Layer {m}, backward, base case: delta{up} = dC/da{up} sigma{up}'(z{up})",
                *_indent(self._assign(dC_da.name, m, self.form.output_upstream)),
            ]
        else:
            lines = [
                "",
                f"        # Layer {m}, backward, recursive case:"
                f" delta{up}_j = (sum_i delta{above}_i W{above}_ij) sigma{up}'(z{up}_j)",
                f"        {dC_da} = {self._upstream_product(m)}",
            ]
        local = self.print.stable(layer.local)
        if local == 1:
            multiply = [f"{delta} = {dC_da}"]
        else:  # sigma' first, then times dC/da: sigma' does not read delta's array, so it can fill it
            steps = self.writer.assign(self._target(delta, m), local, self.scratch[m])
            multiply = [f"# {delta} = {self.print.times(dC_da.name, layer.local)}", *steps, f"{delta} *= {dC_da}"]
        return [*lines, *_indent(multiply), *self._gradient_lines(m)]

    def _upstream_product(self, m: int) -> str:
        """delta_{m+1} @ W_{m+1}, written into dC/da^{(m)}'s block array."""
        out = self._target(layer_symbols(m)[2].name, m).storage
        if self.net.D(m + 1) == 1:  # one unit above: an outer product, which OpenBLAS runs 10x slower as a matmul
            return f"numpy.multiply(delta{m + 1}, W{m + 1}, out={out})"
        return f"numpy.matmul(delta{m + 1}, W{m + 1}, out={out})"

    def _softmax_backward(self) -> list[str]:
        L = self.net.L
        up = _sup(L)
        if self.form.output_delta is not None:
            return [
                "",
                f"        # Layer {L}, backward, base case through softmax's Jacobian, collapsed with cross-entropy:",
                f"        # delta{up}_j = sum_k (-t_k/a_k) a_k (1[k=j] - a_j) = a_j sum_k t_k - t_j (= a - t when t sums to 1)",
                f"        {TARGET_SUM.name} = {TARGET.name}.sum(axis=1, keepdims=True)",
                f"        delta{L} = {self.print(self.form.output_delta)}",
            ]
        return [
            "",
            f"        # Layer {L}, backward, base case through softmax's Jacobian J_kj = a_k (1[k=j] - a_j):",
            f"        # delta{up}_j = sum_k dC/da_k J_kj = a_j (dC/da_j - sum_k dC/da_k a_k)",
            f"        dC_da{L} = {self.print(self.form.output_upstream)}",
            f"        delta{L} = a{L}*(dC_da{L} - numpy.sum(dC_da{L}*a{L}, axis=1, keepdims=True))",
        ]

    def _gradient_lines(self, m: int) -> list[str]:
        up, below = _sup(m), _sup(m - 1)
        return [
            f"        # dC/dW{up}_ij = delta{up}_i a{below}_j and dC/db{up}_i = delta{up}_i, summed over the samples",
            f"        dW{m} += delta{m}.T @ a{m - 1}",
            f"        db{m} += ones_block[:n] @ delta{m}",
        ]

    def _helpers(self) -> list[str]:
        return [
            "",
            "_kept = threading.local()",
            "",
            "",
            "def _block_arrays(rows):",
            '    """A vector of rows ones, then an array of rows x width for each of BLOCK_WIDTHS, in DTYPE.',
            "",
            "    Made once per thread and kept for later calls of as many rows or fewer (their first rows:",
            "    a small call after a large one fills no more than it needs): arrays made afresh on every",
            "    call cost the process a page fault for every 4 KiB of them written.",
            '    """',
            '    kept = getattr(_kept, "arrays", None)',
            "    if kept is None or len(kept[0]) < rows:",
            "        kept = _kept.arrays = (",
            "            numpy.ones(rows, DTYPE), *(numpy.empty((rows, width), DTYPE) for width in BLOCK_WIDTHS)",
            "        )",
            "    return tuple(array[:rows] for array in kept)",
            "",
            "",
            "def _sigmoid(z, out=None):",
            '    """1/(1 + exp(-z)) into out (a new array without one: inside a where)."""',
            "    return _sigmoid_of_minus(numpy.negative(z, out=out))",
            "",
            "",
            "def _sigmoid_of_sum(product, minus_b_rows):",
            '    """sigma(product + b) = 1/(1 + exp(-b - product)), written over product."""',
            "    return _sigmoid_of_minus(numpy.subtract(minus_b_rows, product, out=product))",
            "",
            "",
            "def _sigmoid_of_minus(minus_z):",
            '    """1/(1 + exp(minus_z)), written over minus_z.',
            "",
            "    exp overflows to inf below z = -709 (float32: -88): the right 0. numpy.divide(1, x)",
            "    is about twice as fast as numpy.reciprocal(x)." + (" In float32, exp(u) is 2**(u log2 e):" if self._exp2 else ""),
            *(["    NumPy's float32 exp2 takes about half the time of its exp (u log2 e past 3.4e38 is",
               "    inf, where exp(u) is inf too)."] if self._exp2 else []),
            '    """',
            '    with numpy.errstate(over="ignore"):',
            *(["        minus_z *= LOG2E", "        numpy.exp2(minus_z, out=minus_z)"] if self._exp2
              else ["        numpy.exp(minus_z, out=minus_z)"]),
            "    minus_z += 1",
            "    return numpy.divide(1, minus_z, out=minus_z)",
            "",
            "",
            "def _softplus(z, out=None):",
            '    """log(1 + exp(z)) into out, without overflow (about z above z = 709; float32: 88)."""',
            "    return numpy.logaddexp(0.0, z, out=out)",
            "",
            "",
            "def _softmax(z):",
            '    """exp(z_k) / sum_j exp(z_j) along each row, shifted by the row maximum so no exp overflows."""',
            "    e = numpy.exp(z - z.max(axis=1, keepdims=True))",
            "    return e / e.sum(axis=1, keepdims=True)",
            "",
            "",
            "def _log_softmax(z):",
            '    """log softmax(z) along each row: z_k - logsumexp(z), finite at logits of 1,000."""',
            "    shifted = z - z.max(axis=1, keepdims=True)",
            "    return shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))",
            "",
            "",
            "def _parameters(params):",
            '    """The arrays of params in the order of SHAPES, as DTYPE, checked against the network."""',
            "    missing = [key for key in SHAPES if key not in params]",
            "    if missing:",
            '        raise BadInput(f"params is missing {missing[0]!r}; it needs {\', \'.join(SHAPES)}")',
            "    arrays = []",
            "    for key, shape in SHAPES.items():",
            "        array = _numbers(params[key], f\"params[{key!r}]\")",
            "        if array.shape != shape:",
            '            raise BadInput(f"params[{key!r}] has shape {array.shape}, the network needs {shape}")',
            "        arrays.append(array)",
            "    return arrays",
            "",
            "",
            "def _numbers(value, name):",
            '    """value as a DTYPE array, or BadInput naming it (a ragged list, a string that is no number)."""',
            "    try:",
            "        return numpy.asarray(value, dtype=DTYPE)",
            "    except (TypeError, ValueError) as error:",
            '        raise BadInput(f"{name} is not an array of numbers ({error})") from None',
            "",
            "",
            "def _samples(x, t):",
            '    """x and t as DTYPE arrays of N >= 1 rows each, checked against the network."""',
            "    x, t = _numbers(x, \"x\"), _numbers(t, \"t\")",
            "    if x.ndim != 2 or x.shape[1] != LAYERS[0] or x.shape[0] < 1:",
            '        raise BadInput(f"x has shape {x.shape}, the network needs (N, {LAYERS[0]}) with N >= 1")',
            "    if t.shape != (x.shape[0], LAYERS[-1]):",
            '        raise BadInput(f"t has shape {t.shape}, the network needs {(x.shape[0], LAYERS[-1])}")',
            "    return x, t",
        ]


def _indent(lines: list[str]) -> list[str]:
    """Statements of the loop over blocks."""
    return [f"        {line}" for line in lines]


def _sup(m: int) -> str:
    """The lecture's layer superscript, ^{(m)}."""
    return f"^{{({m})}}"


LINECACHE_KEPT = 64
"""Generated modules whose source ``linecache`` keeps for tracebacks, the most recently made."""
_registered: dict[str, None] = {}


def gradient_function(network: Network, dtype: str = "float64") -> LossAndGradients:
    """``loss_and_gradients`` of ``network`` computing in ``dtype``, from the same source ``module_source`` writes.

    >>> import numpy as np
    >>> from symbp import Network
    >>> f = gradient_function(Network([1, 1], "identity", "squared_error"))
    >>> cost, grads = f({"W1": np.array([[2.0]]), "b1": np.array([0.5])}, np.array([[1.0]]), np.array([[3.0]]))
    >>> float(cost), grads["W1"].tolist(), grads["b1"].tolist()
    (0.125, [[-0.5]], [-0.5])
    """
    require_network(network, "gradient_function")
    source = module_source(network, dtype)
    filename = f"<symbp.codegen {network.describe()} {dtype}>"
    # Registered so that tracebacks and inspect.getsource show the generated lines; the oldest
    # registrations beyond LINECACHE_KEPT go, so a sweep over thousands of networks does not grow memory.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    _registered.pop(filename, None)
    _registered[filename] = None
    while len(_registered) > LINECACHE_KEPT:
        oldest = next(iter(_registered))
        del _registered[oldest]
        linecache.cache.pop(oldest, None)
    namespace: dict[str, object] = {"__name__": "symbp_generated"}
    exec(builtins.compile(source, filename, "exec"), namespace)
    namespace["BadInput"] = SymbpError  # the API's one error type: 0 rows or a wrong width name the shape needed
    return namespace["loss_and_gradients"]  # type: ignore[return-value]
