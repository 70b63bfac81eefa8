"""The network as SymPy: symbols and the z, a, C equations in the lecture's notation.

This is the only module that names symbols. Canonical symbol names are the entry
names (``W2_1_2``, ``z2_1``); ``latex_names`` and ``text_names`` say how each
prints. Everything is kept in named intermediates (z, a, sigma', dC/da, delta as
Symbols); ``substitute`` takes an expression down to x, W, b, t only on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Callable, Mapping

import sympy as sp

from .costs import COSTS
from .spec import Entry, Network

Symbols = tuple[sp.Symbol, ...]

_SUPERSCRIPT = str.maketrans("0123456789()mn-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ᵐⁿ⁻⁺")
_SUBSCRIPT = str.maketrans("0123456789ijkmn=", "₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₘₙ₌")


def superscript(text: object) -> str:
    """Unicode superscript digits, parentheses and ``m-+``: ``(m-1)`` -> ``⁽ᵐ⁻¹⁾``."""
    return str(text).translate(_SUPERSCRIPT)


def subscript(text: object) -> str:
    """Unicode subscript digits, ``i j k m n`` and ``=``: ``j=1`` -> ``ⱼ₌₁``."""
    return str(text).translate(_SUBSCRIPT)


@dataclass(frozen=True)
class Notation:
    """The lecture's naming rules in one style, ``latex`` or Unicode ``text``.

    Layers and indices may be numbers or letters (``unit("z", "m", "j")``). A
    single output unit drops its index (z^{(L)}, w^{(L)}_j, t), and a pair of
    numeric indices gets a comma when some width reaches 10 (W^{(1)}_{1,12}).
    With an ``example`` (a batch), z, a, delta, t and C carry it: z^{(2),(n)}_j, t^{(3)}.
    """

    network: Network
    style: str = "latex"
    example: int | str | None = None

    def _single(self, m: int | str) -> bool:
        return m == self.network.L and self.network.D(self.network.L) == 1

    def layer(self, m: int | str) -> str:
        return f"^{{({m})}}" if self.style == "latex" else superscript(f"({m})")

    def indices(self, *indices: int | str) -> str:
        # Only numbers can run together (W_{112}); letters never need the comma (W_{ij}).
        numeric = all(str(i).isdigit() for i in indices)
        joined = ("," if numeric and max(self.network.layers) >= 10 else "").join(map(str, indices))
        return f"_{{{joined}}}" if self.style == "latex" else subscript(joined)

    def example_tag(self) -> str:
        """``(n)`` as a superscript, or nothing without a batch."""
        if self.example is None:
            return ""
        return f"^{{({self.example})}}" if self.style == "latex" else superscript(f"({self.example})")

    def _layer_of_example(self, m: int | str) -> str:
        """^{(m),(n)}: the layer, then the example, as the course's later lectures write them."""
        if self.example is None:
            return self.layer(m)
        return f"^{{({m}),({self.example})}}" if self.style == "latex" else superscript(f"({m})({self.example})")

    def unit(self, letter: str, m: int | str, index: int | str) -> str:
        """z^{(m)}_j, a^{(m)}_j, b^{(m)}_j, delta^{(m)}_j (``letter`` in this style); all but b carry the example."""
        layer = self.layer(m) if letter == "b" else self._layer_of_example(m)
        return letter + layer + ("" if self._single(m) else self.indices(index))

    def weight(self, m: int | str, row: int | str, col: int | str) -> str:
        if self._single(m):
            return "w" + self.layer(m) + self.indices(col)
        return "W" + self.layer(m) + self.indices(row, col)

    def delta(self, m: int | str, index: int | str) -> str:
        return self.unit(r"\delta" if self.style == "latex" else "δ", m, index)

    def target(self, index: int | str) -> str:
        return "t" + self.example_tag() + ("" if self._single(self.network.L) else self.indices(index))

    def cost(self) -> str:
        """The cost of one example: C^{(n)} in a batch; C_0 (as Nielsen writes it) beside weight decay; else C."""
        if self.example is None and self.network.l2:
            return "C_0" if self.style == "latex" else "C₀"
        return "C" + self.example_tag()

    def sigma(self, m: int | str) -> str:
        return rf"\sigma^{{({m})}}" if self.style == "latex" else "σ" + self.layer(m)

    def sigma_prime_function(self, m: int | str) -> str:
        return rf"\sigma^{{({m})\prime}}" if self.style == "latex" else self.sigma(m) + "′"

    def sigma_prime(self, m: int | str, index: int | str) -> str:
        """sigma^{(m)'}(z^{(m)}_j)."""
        return f"{self.sigma_prime_function(m)}({self.unit('z', m, index)})"

    def partial(self, of: str, wrt: str) -> str:
        if self.style == "latex":
            return rf"\frac{{\partial {of}}}{{\partial {wrt}}}"
        return f"∂{of}/∂{wrt}"


class LectureSymbol(sp.Symbol):
    """A symbol of the graph that carries its lecture name in LaTeX, so plain ``sympy.latex`` prints
    W^{(2)}_{12}, not W_{2 1 2}. Its text name (str, repr, pretty) stays the entry name ``W2_1_2``.

    It equals and hashes as the plain ``Symbol`` of that name and assumptions, and SymPy orders it
    as one (by class name, hence ``__name__`` below), so expressions built from either agree.
    """

    __slots__ = ("latex_name",)
    latex_name: str | None

    def __new__(cls, name: str, latex_name: str | None = None, **assumptions: bool) -> LectureSymbol:
        cls._sanitize(assumptions, cls)
        symbol = sp.Symbol.__xnew__(cls, name, **assumptions)  # uncached: the LaTeX name is not in SymPy's key
        symbol.latex_name = latex_name
        return symbol

    def __getnewargs_ex__(self) -> tuple[tuple[str, str | None], dict[str, bool]]:
        return (self.name, self.latex_name), self._assumptions_orig

    def __eq__(self, other: object) -> bool:
        if type(other) in (sp.Symbol, LectureSymbol):
            return self._hashable_content() == other._hashable_content()  # type: ignore[union-attr]
        return super().__eq__(other)

    __hash__ = sp.Symbol.__hash__

    def _eval_subs(self, old: sp.Basic, new: sp.Basic) -> sp.Basic | None:
        if self == old:  # subs compares classes too (Basic.is_same); a plain Symbol stands for this one
            return new
        return super()._eval_subs(old, new)

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        names = printer._settings.get("symbol_names", {})  # a printer's own names win (index form)
        if self in names or self.latex_name is None:
            return printer._print_Symbol(self)
        return self.latex_name

    _symbp_latex = _latex  # symbp's LaTeX printer: symbp.latex(formula) without a network too


LectureSymbol.__name__ = "Symbol"  # SymPy hashes and orders atoms by class name


def _real(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


@dataclass(frozen=True, eq=False)
class Graph:
    """Symbols and per-layer equations of one network. Build with ``build_graph``.

    Layer-indexed tuples are indexed by m = 0..L (index 0 is empty except ``a[0]``,
    the inputs); unit tuples are 0-based, so z^{(m)}_i is ``z[m][i - 1]``.
    """

    network: Network
    W: tuple[sp.ImmutableMatrix | None, ...]
    b: tuple[Symbols, ...]
    z: tuple[Symbols, ...]
    a: tuple[Symbols, ...]
    t: Symbols
    C: sp.Symbol
    sigma_prime: tuple[Symbols, ...]
    """Named sigma^{(m)'}(z^{(m)}_j): what da^{(m)}_j/dz^{(m)}_j is called."""
    dC_da: Symbols
    """Named dC/da^{(L)}_k."""
    delta: tuple[Symbols, ...]
    """Named delta^{(m)}_j = dC/dz^{(m)}_j, the quantities backprop stores."""
    z_definition: tuple[tuple[sp.Expr, ...], ...]
    """z^{(m)}_i = sum_j W^{(m)}_{ij} a^{(m-1)}_j + b^{(m)}_i, over named a^{(m-1)}."""
    a_definition: tuple[tuple[sp.Expr, ...], ...]
    """a^{(m)}_i = sigma^{(m)}(z^{(m)}_i), over named z^{(m)}."""
    C_definition: sp.Expr
    """C(a^{(L)}, t) over named a^{(L)} and t."""
    sigma_prime_value: tuple[tuple[sp.Expr, ...], ...]
    """sigma^{(m)'}(z^{(m)}_j) as a formula in named z, a; the Symbol itself when abstract."""
    dC_da_value: tuple[sp.Expr, ...]
    """dC/da^{(L)}_k as a formula in named a, t; the Symbol itself when abstract."""
    sigma_function: tuple[sp.FunctionClass | None, ...]
    """The undefined sigma^{(m)} of abstract layers (None for concrete ones)."""
    cost_function: sp.FunctionClass | None
    partial_functions: Mapping[sp.FunctionClass, tuple[sp.FunctionClass, ...]]
    """For each undefined function, one undefined function per argument: its partial."""
    latex_names: Mapping[object, str] = field(repr=False)
    text_names: Mapping[object, str] = field(repr=False)
    jacobian: tuple[tuple[sp.Expr, ...], ...] = ()
    """da^{(L)}_k/dz^{(L)}_j over named a^{(L)}, indexed [k][j], when the output is not element-wise
    (softmax: a_k (1[k=j] - a_j)); empty otherwise. Then ``sigma_prime_value[L]`` is its diagonal."""

    @property
    def softmax_output(self) -> bool:
        """Whether a^{(L)}_k depends on every z^{(L)}_j (the paths and delta^{(L)} run through ``jacobian``)."""
        return bool(self.jacobian)

    example: int | str | None = None
    """Which example of a batch these z, a, delta, t and C belong to (None without a batch; ``n`` in the template)."""
    example_graphs: tuple[Graph, ...] = field(default=(), repr=False)
    """A batch's template keeps the graph of every example n = 1..N here."""
    decay: sp.Symbol | None = None
    """lambda, the weight decay, when the network has one: C gains (lambda/2) sum (W^{(m)}_{ij})^2."""
    total: sp.Symbol = field(default=sp.Symbol("C", real=True))
    """The network's cost C: the mean of the examples' costs (one example: ``C`` itself), plus the decay."""
    matrices: Mapping[tuple[str, str], sp.Symbol] = field(default_factory=dict, repr=False)
    """A batch's N x D matrices by (letter, layer): ("Z", "m") is Z^{(m)}, whose row n is z^{(m),(n)};
    letters Z, A, Delta, G (rows dC^{(n)}/da^{(L),(n)}), S (rows sigma^{(m)'}(z^{(m),(n)})), and ("1", "") the ones."""

    # Batch and decay -----------------------------------------------------

    @property
    def examples(self) -> tuple[Graph, ...]:
        """The graph of every example of the batch (without a batch: this graph alone)."""
        return self.example_graphs or (self,)

    @property
    def mean(self) -> sp.Rational:
        """1/N, the weight of one example's cost in C."""
        return sp.Rational(1, self.network.batch)

    def decay_term(self, entry: Entry) -> sp.Expr:
        """What the decay adds to dC/d(entry): lambda W^{(m)}_{ij} for a weight, else 0."""
        if self.decay is None or entry.kind != "W":
            return sp.Integer(0)
        return self.decay * self.symbol(entry)

    @cached_property
    def decay_cost(self) -> sp.Expr:
        """(lambda/2) sum_m sum_ij (W^{(m)}_{ij})^2, or 0."""
        if self.decay is None:
            return sp.Integer(0)
        return self.decay / 2 * sp.Add(*[w**2 for m in range(1, self.network.L + 1) for w in self.W[m]])

    def total_in_terms_of(self, layer: int) -> sp.Expr:
        """C = (1/N) sum_n C^{(n)} + decay, each C^{(n)} left in its named a^{(layer),(n)}."""
        costs = [g.cost_in_terms_of(layer, "a") for g in self.examples]
        return self.mean * sp.Add(*costs) + self.decay_cost

    # Lookup -------------------------------------------------------------

    def symbol(self, entry: Entry) -> sp.Symbol:
        """The Symbol of an entry: ``W[m][i-1, j-1]``, ``b[m][i-1]``, ..."""
        if entry.kind == "W":
            return self.W[entry.layer][entry.row - 1, entry.col - 1]
        return getattr(self, entry.kind)[entry.layer][entry.row - 1]

    @cached_property
    def parameters(self) -> Symbols:
        """All W and b symbols, layer by layer, W row-major before b."""
        out: list[sp.Symbol] = []
        for m in range(1, self.network.L + 1):
            out.extend(self.W[m])
            out.extend(self.b[m])
        return tuple(out)

    # Substitution --------------------------------------------------------

    def cost_in_terms_of(self, layer: int, kind: str) -> sp.Expr:
        """C with every layer above substituted, left in named ``z`` or ``a`` of ``layer``.

        ``cost_in_terms_of(0, "a")`` is the fully substituted cost over x, W, b, t.
        """
        if kind == "z":
            known = dict(zip(self.a[layer], self.a_definition[layer]))
        else:
            known = {}
        for m in range(layer + 1, self.network.L + 1):
            for z_sym, z_def in zip(self.z[m], self.z_definition[m]):
                known[z_sym] = z_def.xreplace(known)
            for a_sym, a_def in zip(self.a[m], self.a_definition[m]):
                known[a_sym] = a_def.xreplace(known)
        return self.C_definition.xreplace(known)

    @cached_property
    def full(self) -> Mapping[sp.Symbol, sp.Expr]:
        """Every named intermediate (z, a, sigma', dC/da, C) over x, W, b, t only."""
        full: dict[sp.Symbol, sp.Expr] = {}
        for m in range(1, self.network.L + 1):
            for i, z_sym in enumerate(self.z[m]):
                full[z_sym] = self.z_definition[m][i].xreplace(full)
            for i, a_sym in enumerate(self.a[m]):
                full[a_sym] = self.a_definition[m][i].xreplace(full)
            sigma = self.sigma_function[m]
            for i, s_sym in enumerate(self.sigma_prime[m]):
                if sigma is None:
                    full[s_sym] = self.sigma_prime_value[m][i].xreplace(full)
                else:
                    full[s_sym] = self.partial_functions[sigma][0](full[self.z[m][i]])
        outputs = [full[a] for a in self.a[-1]]
        if self.cost_function is None:
            for k, d_sym in enumerate(self.dC_da):
                full[d_sym] = self.dC_da_value[k].xreplace(full)
        else:
            for k, d_sym in enumerate(self.dC_da):
                full[d_sym] = self.partial_functions[self.cost_function][k](*outputs, *self.t)
        full[self.C] = self.C_definition.xreplace(full)
        return full

    @cached_property
    def batch_full(self) -> Mapping[sp.Symbol, sp.Expr]:
        """``full`` of every example of the batch, and C as the mean plus the decay."""
        if not self.example_graphs and self.decay is None:
            return self.full
        merged: dict[sp.Symbol, sp.Expr] = {}
        for g in self.examples:
            merged.update(g.full)
        merged[self.total] = self.mean * sp.Add(*[g.full[g.C] for g in self.examples]) + self.decay_cost
        return merged

    def substitute(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with named intermediates replaced, down to x, W, b, t."""
        return sp.sympify(expr).xreplace(self.batch_full)

    def index_form_names(self, m: int, index: str, style: str) -> dict[object, str]:
        """Names that print unit 1 of layer ``m`` in index form, e.g. a^{(2)}_{j} for a^{(2)}_{1}.

        The formulas for sigma' and dC/da are the same for every unit, so unit 1's,
        printed with these names, is the index form: a^{(2)}_{j} (1 - a^{(2)}_{j}).
        """
        n = Notation(self.network, style, self.example)
        names: dict[object, str] = {
            self.z[m][0]: n.unit("z", m, index),
            self.a[m][0]: n.unit("a", m, index),
            self.sigma_prime[m][0]: n.sigma_prime(m, index),
        }
        if m == self.network.L:
            names[self.t[0]] = n.target(index)
            names[self.dC_da[0]] = n.partial(n.cost(), n.unit("a", m, index))
        return names

    @cached_property
    def named_symbols(self) -> Symbols:
        """The symbols a derivation over named intermediates may contain (no deltas)."""
        out: list[sp.Symbol] = list(self.a[0])
        for m in range(1, self.network.L + 1):
            out.extend(self.W[m])
            out.extend(self.b[m])
            out.extend(self.z[m])
            out.extend(self.a[m])
            out.extend(self.sigma_prime[m])
        out.extend(self.t)
        out.extend(self.dC_da)
        return tuple(out)


DECAY = sp.Symbol("λ", real=True, nonnegative=True)
"""lambda, the weight decay's factor; kept a symbol in derivations, given its value with the numbers."""

SQUARED_WEIGHTS = sp.Symbol("sum_W_squared_m", real=True, nonnegative=True)
"""sum_ij (W^{(m)}_{ij})^2 as one symbol, for showing the decay's cost (never differentiated)."""

ALL_SQUARED_WEIGHTS = sp.Symbol("sum_m_sum_W_squared", real=True, nonnegative=True)
"""sum_m sum_ij (W^{(m)}_{ij})^2 as one symbol: a worked example computes it once, then puts it into C."""


@lru_cache(maxsize=32)
def build_graph(network: Network, example: int | None = None) -> Graph:
    """The symbols and equations of ``network`` (cached: networks are immutable).

    With a batch (N > 1) and no ``example``: the template of example n, whose
    ``examples`` are the graphs of examples 1..N; with ``example``: that one's graph.
    """
    if network.batch == 1 or example is not None:
        return _build_graph(network, example)
    examples = tuple(_build_graph(network, n) for n in range(1, network.batch + 1))
    template = _build_graph(network, "n")
    latex, text = dict(template.latex_names), dict(template.text_names)
    for g in examples:
        latex.update(g.latex_names)
        text.update(g.text_names)
    matrices = {}
    for letter, layers in _MATRICES.items():
        for layer in layers:
            symbol = _real(f"batch_{letter}_{layer}")
            matrices[(letter, layer)] = symbol
            latex[symbol], text[symbol] = _matrix_names(letter, str(network.L) if layer == "L" else layer)
    return replace(template, example_graphs=examples, latex_names=latex, text_names=text, matrices=matrices)


_MATRICES = {"Z": ("m",), "A": ("m-1", "L"), "Delta": ("L", "m", "m+1"), "G": ("L",), "S": ("L", "m"), "1": ("",),
             "T": ("",)}


def _matrix_names(letter: str, layer: str) -> tuple[str, str]:
    """LaTeX and text names of a batch matrix: bold Z^{(m)}, A^{(m-1)}, Delta^{(m)}; the ones vector 1."""
    if letter == "1":
        return r"\mathbf{1}", "𝟏"
    if letter == "T":  # the targets, row n = t^{(n)}
        return r"\mathbf{T}", "T"
    if letter == "S":
        return rf"\sigma^{{({layer})\prime}}(\mathbf{{Z}}^{{({layer})}})", f"σ{superscript(f'({layer})')}′(Z{superscript(f'({layer})')})"
    if letter == "G":
        return rf"\nabla_{{\mathbf{{A}}^{{({layer})}}}} C", f"∇_A{superscript(f'({layer})')} C"
    tex = r"\boldsymbol{\Delta}" if letter == "Delta" else rf"\mathbf{{{letter}}}"
    return tex + f"^{{({layer})}}", ("Δ" if letter == "Delta" else letter) + superscript(f"({layer})")


def _build_graph(network: Network, example: int | str | None) -> Graph:
    net = network
    L = net.L
    tex, txt = Notation(net, "latex", example), Notation(net, "text", example)
    suffix = "" if example is None else f"_n{example}"
    latex: dict[object, str] = {}
    text: dict[object, str] = {}

    def name(symbol: sp.Basic, how: Callable[[Notation], str]) -> sp.Basic:
        if type(symbol) is sp.Symbol:  # every symbol of the graph carries its LaTeX name
            symbol = LectureSymbol(symbol.name, how(tex), **symbol._assumptions_orig)
        latex[symbol] = how(tex)
        text[symbol] = how(txt)
        return symbol

    def unit_vector(letter: str, m: int) -> Symbols:
        def printed(n: Notation, i: int) -> str:
            return n.delta(m, i) if letter == "delta" else n.unit(letter, m, i)

        tail = "" if letter == "b" else suffix  # biases are shared by every example
        return tuple(
            name(_real(f"{letter}{m}_{i}{tail}"), lambda n, i=i: printed(n, i)) for i in range(1, net.D(m) + 1)
        )

    a: list[Symbols] = [unit_vector("a", 0)]
    W: list[sp.ImmutableMatrix | None] = [None]
    b: list[Symbols] = [()]
    z: list[Symbols] = [()]
    delta: list[Symbols] = [()]
    sigma_prime: list[Symbols] = [()]
    sigma_function: list[sp.FunctionClass | None] = [None]
    partial_functions: dict[sp.FunctionClass, tuple[sp.FunctionClass, ...]] = {}
    z_definition: list[tuple[sp.Expr, ...]] = [()]
    a_definition: list[tuple[sp.Expr, ...]] = [()]
    jacobian: tuple[tuple[sp.Expr, ...], ...] = ()
    sigma_prime_value: list[tuple[sp.Expr, ...]] = [()]

    for m in range(1, L + 1):
        W.append(
            sp.ImmutableMatrix(
                [
                    [
                        name(_real(f"W{m}_{i}_{j}"), lambda n, i=i, j=j: n.weight(m, i, j))
                        for j in range(1, net.D(m - 1) + 1)
                    ]
                    for i in range(1, net.D(m) + 1)
                ]
            )
        )
        b.append(unit_vector("b", m))
        z.append(unit_vector("z", m))
        a.append(unit_vector("a", m))
        delta.append(unit_vector("delta", m))
        sigma_prime.append(
            tuple(
                name(_real(f"dsigma{m}_{i}{suffix}"), lambda n, i=i: n.sigma_prime(m, i)) for i in range(1, net.D(m) + 1)
            )
        )
        z_definition.append(
            tuple(
                sp.Add(*[W[m][i, j] * a[m - 1][j] for j in range(net.D(m - 1))], b[m][i])
                for i in range(net.D(m))
            )
        )
        activation = net.activation(m)
        if activation.is_abstract:
            sigma = name(sp.Function(f"sigma{m}", real=True), lambda n: n.sigma(m))
            sigma_p = name(sp.Function(f"dsigma{m}", real=True), lambda n: n.sigma_prime_function(m))
            partial_functions[sigma] = (sigma_p,)
            sigma_function.append(sigma)
            a_definition.append(tuple(sigma(z_sym) for z_sym in z[m]))
            sigma_prime_value.append(sigma_prime[m])
        elif activation.output_only:
            sigma_function.append(None)
            a_definition.append(activation.vector_value(z[m]))
            jacobian = activation.jacobian(a[m])
            sigma_prime_value.append(tuple(jacobian[k][k] for k in range(net.D(m))))
        else:
            sigma_function.append(None)
            a_definition.append(tuple(activation.value(z_sym) for z_sym in z[m]))
            sigma_prime_value.append(
                tuple(activation.derivative(z_sym, a_sym) for z_sym, a_sym in zip(z[m], a[m]))
            )

    t = tuple(name(_real(f"t_{k}{suffix}"), lambda n, k=k: n.target(k)) for k in range(1, net.D(L) + 1))
    # One example's cost; beside weight decay it is not all of C, so it gets a name of its own.
    C = name(_real(f"C{suffix}" if suffix or not net.l2 else "C0"), lambda n: n.cost())
    total = name(_real("C"), lambda n: "C")
    decay = name(DECAY, lambda n: r"\lambda" if n.style == "latex" else "λ") if net.l2 else None
    if net.l2:  # sum_ij (W^{(m)}_{ij})^2, for writing the decay's cost
        name(SQUARED_WEIGHTS, lambda n: r"\sum_{i,j} \bigl(W^{(m)}_{ij}\bigr)^{2}" if n.style == "latex" else "Σᵢⱼ (W⁽ᵐ⁾ᵢⱼ)²")
    dC_da = tuple(
        name(_real(f"dC_d{a_sym.name}"), lambda n, k=k: n.partial(n.cost(), n.unit("a", L, k)))
        for k, a_sym in enumerate(a[L], 1)
    )
    cost = COSTS[net.cost]
    if cost.is_abstract:
        cost_function = name(sp.Function("C", real=True), lambda n: "C")
        partials = [
            name(
                sp.Function(f"dC_da{L}_{k}", real=True),  # one function for every example
                lambda n, k=k: (r"\partial_{%s} C" % n.unit("a", L, k)) if n.style == "latex" else n.partial("C", n.unit("a", L, k)),
            )
            for k, a_sym in enumerate(a[L], 1)
        ]
        partial_functions[cost_function] = tuple(partials)
        C_definition = cost_function(*a[L], *t)
        dC_da_value = dC_da
    else:
        cost_function = None
        C_definition = cost.value(a[L], t)
        dC_da_value = tuple(cost.partial(a_sym, t_sym) for a_sym, t_sym in zip(a[L], t))

    return Graph(
        network=net,
        W=tuple(W),
        b=tuple(b),
        z=tuple(z),
        a=tuple(a),
        t=t,
        C=C,
        sigma_prime=tuple(sigma_prime),
        dC_da=dC_da,
        delta=tuple(delta),
        z_definition=tuple(z_definition),
        a_definition=tuple(a_definition),
        C_definition=C_definition,
        sigma_prime_value=tuple(sigma_prime_value),
        dC_da_value=dC_da_value,
        sigma_function=tuple(sigma_function),
        cost_function=cost_function,
        partial_functions=partial_functions,
        latex_names=latex,
        text_names=text,
        jacobian=jacobian,
        example=example,
        decay=decay,
        total=total,
    )
