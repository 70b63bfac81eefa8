"""Generated NumPy code: ``loss_and_gradients(params, x, t)`` written from the backprop derivation.

The derivation is scalar: one delta step per unit, one gradient step per entry.
``vectorize`` reads its matrix form off it, checking as it goes that every unit
of a layer follows one formula and that every sum is a matrix product:

    delta^{(m)}_j = (sum_i delta^{(m+1)}_i W^{(m+1)}_{ij}) sigma^{(m)'}(z^{(m)}_j)
        -> delta_m = (delta_{m+1} @ W_{m+1}) * sigma'  (one row per sample)
    dC/dW^{(m)}_{ij} = delta^{(m)}_i a^{(m-1)}_j  ->  dW_m = delta_m.T @ a_{m-1}

``module_source`` prints that form as a standalone module that needs only NumPy;
the elementwise formulas (sigma, sigma', C, dC/da) come from the activation and
cost registries through SymPy's NumPy printer. The module runs the batch in
blocks of rows sized to stay in the cache (``block_rows``). ``compile`` runs the
same source in-process. This module only writes code: no numbers are computed here.
"""

from __future__ import annotations

import builtins
import linecache
import math
from dataclasses import dataclass, replace
from typing import Callable, Mapping

import numpy as np
import sympy as sp
from sympy.codegen.rewriting import log1p_opt, optimize
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE, precedence

from . import __version__
from .activations import STABLE_SIGMOID, STABLE_SOFTPLUS, stable_form
from .costs import COSTS
from .derive.backprop import BackpropDerivation, backprop
from .errors import SymbpError
from .graph import Graph, build_graph
from .spec import Network

LossAndGradients = Callable[[Mapping[str, np.ndarray], np.ndarray, np.ndarray], tuple[float, dict[str, np.ndarray]]]

BLOCK_BYTES = 512 * 1024
"""What one block's stored forward values (z and a of every layer) may take: a quarter
of the benchmark machine's 2 MiB L2 cache, leaving room for the backward pass's
temporaries. Whole-batch arrays make every elementwise pass a trip to memory, and
every call fault in fresh pages; benchmarks/RESULTS.md has the measured difference."""

BLOCK_ROWS_RANGE = (512, 2048)
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
        layer_units = [{graph.z[m][i]: z, graph.a[m][i]: a} for i in units]
        activation = _uniform(f"a{m}", [graph.a_definition[m][i] for i in units], layer_units)
        local = _uniform(f"sigma'{m}", [step.local for step in steps], layer_units)
        layers.append(LayerForm(m, activation, local))

    _, a_L, _ = layer_symbols(L)
    outputs = [{a_k: a_L, t_k: TARGET} for a_k, t_k in zip(graph.a[L], graph.t)]
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


_HELPERS = {STABLE_SIGMOID: "_sigmoid", STABLE_SOFTPLUS: "_softplus"}
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
        helper = _HELPERS.get(expr.func)
        if helper is None:
            return super()._print_Function(expr)
        return f"{helper}({self._print(expr.args[0])})"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        if expr.exp == -1:
            return f"1/{self.parenthesize(expr.base, precedence(expr))}"
        return super()._print_Pow(expr, rational=rational)


class _Print:
    """Elementwise formulas as NumPy source."""

    def __init__(self) -> None:
        self._printer = _ArrayPrinter({"fully_qualified_modules": True})

    def __call__(self, expr: sp.Expr) -> str:
        return self._printer.doprint(self._stable(expr))

    @staticmethod
    def _stable(expr: sp.Expr) -> sp.Expr:
        # Sigmoid and softplus through the module's overflow-free helpers; any other
        # log(1 + x) as log1p(x), SymPy's own rewrite, exact for small x.
        return optimize(stable_form(expr), [log1p_opt])

    def times(self, name: str, expr: sp.Expr) -> str:
        """``name`` times ``expr``, written in that order (SymPy would sort the factors)."""
        expr = self._stable(expr)
        if expr == 1:
            return name
        if isinstance(expr, sp.Pow) and expr.exp == -1:
            return f"{name}/{self._printer.parenthesize(expr.base, PRECEDENCE['Mul'])}"
        return f"{name}*{self._printer.parenthesize(expr, PRECEDENCE['Mul'], strict=True)}"


def block_rows(network: Network) -> int:
    """Samples per block: the power of two nearest to ``BLOCK_BYTES`` over the float64 bytes each sample stores."""
    stored = 2 * 8 * sum(network.layers[1:])  # z^{(m)} and a^{(m)} of every layer, kept for the backward pass
    rows = 1 << round(math.log2(BLOCK_BYTES / stored))
    low, high = BLOCK_ROWS_RANGE
    return min(max(rows, low), high)


def module_source(network: Network) -> str:
    """A standalone Python module (NumPy only) defining ``loss_and_gradients(params, x, t)``.

    ``params`` holds ``W1``, ``b1``, ... in the point layout (W^{(m)} of shape
    (D(m), D(m-1)), b^{(m)} of shape (D(m),)), ``x`` has shape (N, D(0)) and ``t``
    (N, D(L)); it returns the mean cost over the N samples and a dict of the
    gradients of that mean, with the keys and shapes of ``params``.

    >>> from symbp import Network
    >>> source = module_source(Network([2, 3, 1], "sigmoid", "squared_error"))
    >>> print(*[line.strip() for line in source.splitlines() if line.strip().startswith("delta")], sep="\\n")
    delta2 = dC_da2*a2*(1 - a2)
    delta1 = dC_da1*a1*(1 - a1)
    """
    _require_concrete(network)  # before deriving anything
    # The code takes any number of rows and averages over them: one example's derivation is the whole batch's.
    example = replace(network, batch=1)
    form = vectorize(backprop(example, tuple(example.entries(kinds=("W", "b")))))
    return _ModuleWriter(form).source()


class _ModuleWriter:
    """Lays out the generated module: one block per layer, named like the lecture."""

    def __init__(self, form: VectorizedBackprop) -> None:
        self.form = form
        self.net = form.network
        self.print = _Print()

    def source(self) -> str:
        net, L = self.net, self.net.L
        shapes = {}
        for m in range(1, L + 1):
            shapes[f"W{m}"] = (net.D(m), net.D(m - 1))
            shapes[f"b{m}"] = (net.D(m),)
        names = ", ".join(shapes)
        out = [
            *self._header(shapes),
            "",
            "def loss_and_gradients(params, x, t):",
            '    """Mean cost over the N samples (rows) of x and t, and its gradient for every key of params."""',
            f"    {names} = _parameters(params)",
            "    x, t = _samples(x, t)",
            "    N = x.shape[0]",
            "    cost = 0.0",
            *[f"    d{key} = numpy.zeros({shape})" for key, shape in shapes.items()],
            "",
            "    # Blocks of rows, so that each block's arrays stay in the cache.",
            "    for first in range(0, N, BLOCK_ROWS):",
            "        rows = slice(first, first + BLOCK_ROWS)",
            "        a0 = x[rows]  # a^{(0)}: one sample per row",
            f"        {TARGET.name} = t[rows]",
        ]
        for layer in self.form.layers:
            out += self._forward(layer)
        if self.form.logit_cost is not None:
            out += [
                "",
                f"        # C = C(a{_sup(L)}, t), summed over outputs and samples, written from the logit"
                f" z{_sup(L)} so that it stays finite when a{_sup(L)} rounds to 0 or 1",
                f"        cost += numpy.sum({self.print(self.form.logit_cost)})",
            ]
        else:
            out += [
                "",
                f"        # C = C(a{_sup(L)}, t), summed over outputs and samples",
                f"        cost += numpy.sum({self.print(self.form.cost)})",
            ]
        for layer in reversed(self.form.layers):
            out += self._backward(layer)
        if self.form.decay:
            weights = [f"W{m}" for m in range(1, L + 1)]
            squares = " + ".join(f"numpy.sum({w} * {w})" for w in weights)
            out += [
                "",
                "    # Weight decay: C gains (L2/2) sum_m sum_ij (W^{(m)}_ij)^2, dC/dW^{(m)}_ij gains L2 W^{(m)}_ij;"
                " biases are not decayed",
                f"    decay = L2 / 2 * ({squares})",
                "    return cost / N + decay, {",
                *(f'        "{key}": d{key} / N' + (f" + L2 * {key}," if key.startswith("W") else ",") for key in shapes),
                "    }",
            ]
        else:
            gradients = ", ".join(f'"{key}": d{key} / N' for key in shapes)
            out += ["", f"    return cost / N, {{{gradients}}}"]
        out += ["", *self._helpers(), ""]
        return "\n".join(out)

    def _header(self, shapes: dict[str, tuple[int, ...]]) -> list[str]:
        net, L = self.net, self.net.L
        return [
            f'"""Loss and gradients of the network {",".join(map(str, net.layers))}'
            f' (sigma: {", ".join(net.activations)}; C: {net.cost}).',
            "",
            f"Generated by symbp {__version__} from its backprop derivation; needs only NumPy.",
            "",
            "    cost, grads = loss_and_gradients(params, x, t)",
            "",
            "params holds W1, b1, ...: W^{(m)} has D(m) rows and D(m-1) columns, b^{(m)} D(m) entries.",
            f"x has shape (N, {net.D(0)}), t has shape (N, {net.D(L)}). cost is the mean of C(a{_sup(L)}, t) over the",
            *(["N samples, plus (L2/2) times the sum of every squared weight (biases are not decayed),",
                "and grads holds its gradient for each key of params, in the same shape."] if self.form.decay else
              ["N samples, and grads holds its gradient for each key of params, in the same shape."]),
            "",
            "Samples are rows, so the lecture's z^{(m)} = W^{(m)} a^{(m-1)} + b^{(m)} reads",
            "z_m = a_{m-1} @ W_m.T + b_m here, and each delta^{(m)} = dC/dz^{(m)} holds one row per sample.",
            '"""',
            "",
            "import numpy",
            "",
            f"LAYERS = {net.layers!r}",
            f"SHAPES = {shapes!r}",
            f"BLOCK_ROWS = {block_rows(net)}  # samples per block: what they keep for the backward pass stays in cache",
            *([f"L2 = {self.form.decay!r}  # weight decay lambda"] if self.form.decay else []),
            "",
        ]

    def _forward(self, layer: LayerForm) -> list[str]:
        m = layer.layer
        z, a, _ = layer_symbols(m)
        up, below = _sup(m), _sup(m - 1)
        return [
            "",
            f"        # Layer {m}, forward: z{up}_i = sum_j W{up}_ij a{below}_j + b{up}_i,"
            f" a{up}_i = sigma{up}(z{up}_i)",
            f"        {z} = a{m - 1} @ W{m}.T + b{m}",
            f"        {a} = {self.print(layer.activation)}",
        ]

    def _backward(self, layer: LayerForm) -> list[str]:
        m, L = layer.layer, self.net.L
        _, _, dC_da = layer_symbols(m)
        up, above, below = _sup(m), _sup(m + 1), _sup(m - 1)
        if m == L and self.form.output_delta is not None:
            return [
                "",
                f"        # Layer {m}, backward, base case: delta{up} = dC/da{up} sigma{up}'(z{up}),"
                " cancelled (finite when a rounds to 1)",
                f"        delta{m} = {self.print(self.form.output_delta)}",
                *self._gradient_lines(m),
            ]
        if m == L:
            lines = [
                "",
                f"        # Layer {m}, backward, base case: delta{up} = dC/da{up} sigma{up}'(z{up})",
                f"        {dC_da} = {self.print(self.form.output_upstream)}",
            ]
        else:
            lines = [
                "",
                f"        # Layer {m}, backward, recursive case:"
                f" delta{up}_j = (sum_i delta{above}_i W{above}_ij) sigma{up}'(z{up}_j)",
                f"        {dC_da} = delta{m + 1} @ W{m + 1}",
            ]
        return [*lines, f"        delta{m} = {self.print.times(dC_da.name, layer.local)}", *self._gradient_lines(m)]

    def _gradient_lines(self, m: int) -> list[str]:
        up, below = _sup(m), _sup(m - 1)
        return [
            f"        # dC/dW{up}_ij = delta{up}_i a{below}_j and dC/db{up}_i = delta{up}_i, summed over the samples",
            f"        dW{m} += delta{m}.T @ a{m - 1}",
            f"        db{m} += delta{m}.sum(axis=0)",
        ]

    def _helpers(self) -> list[str]:
        return [
            "",
            "def _sigmoid(z):",
            '    """1/(1 + exp(-z)); exp(-z) overflows to inf below z = -709, which gives the right 0."""',
            '    with numpy.errstate(over="ignore"):',
            "        return 1/(1 + numpy.exp(-z))",
            "",
            "",
            "def _softplus(z):",
            '    """log(1 + exp(z)) without overflow (about z above z = 709)."""',
            "    return numpy.logaddexp(0.0, z)",
            "",
            "",
            "def _parameters(params):",
            '    """The arrays of params in the order of SHAPES, as float64, checked against the network."""',
            "    missing = [key for key in SHAPES if key not in params]",
            "    if missing:",
            '        raise ValueError(f"params is missing {missing[0]!r}; it needs {\', \'.join(SHAPES)}")',
            "    arrays = []",
            "    for key, shape in SHAPES.items():",
            "        array = numpy.asarray(params[key], dtype=numpy.float64)",
            "        if array.shape != shape:",
            '            raise ValueError(f"params[{key!r}] has shape {array.shape}, the network needs {shape}")',
            "        arrays.append(array)",
            "    return arrays",
            "",
            "",
            "def _samples(x, t):",
            '    """x and t as float64 arrays of N >= 1 rows each, checked against the network."""',
            "    x = numpy.asarray(x, dtype=numpy.float64)",
            "    t = numpy.asarray(t, dtype=numpy.float64)",
            "    if x.ndim != 2 or x.shape[1] != LAYERS[0] or x.shape[0] < 1:",
            '        raise ValueError(f"x has shape {x.shape}, the network needs (N, {LAYERS[0]}) with N >= 1")',
            "    if t.shape != (x.shape[0], LAYERS[-1]):",
            '        raise ValueError(f"t has shape {t.shape}, the network needs {(x.shape[0], LAYERS[-1])}")',
            "    return x, t",
        ]


def _sup(m: int) -> str:
    """The lecture's layer superscript, ^{(m)}."""
    return f"^{{({m})}}"


def compile(network: Network) -> LossAndGradients:  # noqa: A001 - the package exports this name
    """``loss_and_gradients`` of ``network``, from the same source ``module_source`` writes.

    >>> import numpy as np
    >>> from symbp import Network
    >>> f = compile(Network([1, 1], "identity", "squared_error"))
    >>> cost, grads = f({"W1": np.array([[2.0]]), "b1": np.array([0.5])}, np.array([[1.0]]), np.array([[3.0]]))
    >>> float(cost), grads["W1"].tolist(), grads["b1"].tolist()
    (0.125, [[-0.5]], [-0.5])
    """
    source = module_source(network)
    filename = f"<symbp.codegen {network.describe()}>"
    # Registered so that tracebacks and inspect.getsource show the generated lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict[str, object] = {"__name__": "symbp_generated"}
    exec(builtins.compile(source, filename, "exec"), namespace)
    return namespace["loss_and_gradients"]  # type: ignore[return-value]
