"""The document model against the lecture (../shared/reference/backprop-lecture.md) and sympy.diff.

The oracles: sympy.diff of a forward pass written out here, factor lists and notation
written out by hand from the lecture's slides. None is taken from symbp's output.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sympy as sp

import symbp
from symbp.derive.repeated import repeated_work
from symbp.docmodel import (
    Equation,
    IndexForm,
    IndexSum,
    Marked,
    Node,
    Partial,
    Product,
    Sum,
    Term,
    algorithm_document,
    backprop_steps,
    delta_index_equation,
    naive_expansion,
)
from symbp.graph import build_graph
from symbp.printers.latex import LatexDocumentPrinter
from symbp.printers.text import TextDocumentPrinter

LECTURE = symbp.Network()
SIGMOID = symbp.Network([3, 2, 2, 1], "sigmoid", "squared_error")


def value(node: object, graph) -> sp.Expr:
    """What a node of the values side stands for, as a SymPy expression over named intermediates."""
    if isinstance(node, (Product, Term)):
        return sp.Mul(*[value(f, graph) for f in node.factors])
    if isinstance(node, Sum):
        return sp.Add(*[value(t, graph) for t in node.terms])
    if isinstance(node, IndexForm):
        return node.expr
    assert isinstance(node, sp.Basic), f"not a value: {node!r}"
    return node


def sigmoid_cost_by_hand():
    """The 3,2,2,1 sigmoid network with squared error, written out in x, W, b, t."""
    s = lambda v: 1 / (1 + sp.exp(-v))  # noqa: E731
    x = sp.symbols("a0_1:4", real=True)
    W1 = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"W1_{i + 1}_{j + 1}", real=True))
    W2 = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"W2_{i + 1}_{j + 1}", real=True))
    W3 = sp.Matrix(1, 2, lambda i, j: sp.Symbol(f"W3_{i + 1}_{j + 1}", real=True))
    b1, b2, b3 = (sp.symbols(f"b{m}_1:{n + 1}", real=True) for m, n in ((1, 2), (2, 2), (3, 1)))
    a1 = [s(sum(W1[i, j] * x[j] for j in range(3)) + b1[i]) for i in range(2)]
    a2 = [s(sum(W2[i, j] * a1[j] for j in range(2)) + b2[i]) for i in range(2)]
    a3 = s(W3[0, 0] * a2[0] + W3[0, 1] * a2[1] + b3[0])
    return (a3 - sp.Symbol("t_1", real=True)) ** 2 / 2


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
def test_naive_values_and_their_grouping_are_the_derivative():
    graph = build_graph(SIGMOID)
    equation = naive_expansion(symbp.naive(SIGMOID, "W1_2_3")).equation
    chains, values, grouped = equation.sides
    expected = sp.diff(sigmoid_cost_by_hand(), sp.Symbol("W1_2_3", real=True))
    point = {s: sp.Rational(k % 5 + 1, 7) for k, s in enumerate(sorted(expected.free_symbols, key=str))}
    for side in (values, grouped):
        shown = graph.substitute(value(side, graph))
        assert abs(sp.N((shown - expected).subs(point))) < 1e-12
    # Lecture, "Solution: ... W_23^(1)": two paths of seven Leibniz factors.
    assert len(chains.terms) == 2 and chains.one_per_row


def test_repeated_work_is_marked_by_its_delta_as_on_the_inefficiency_slide():
    # "Notice any inefficiency?": dC/dz^{(3)} inside dC/dz^{(2)}_1, both computed again in W_23^{(1)}.
    graph = build_graph(LECTURE)
    work = repeated_work([symbp.naive(LECTURE, e) for e in symbp.LECTURE_ENTRIES])
    first_path = naive_expansion(symbp.naive(LECTURE, "W1_2_3"), work).equation.sides[0].terms[0]
    outer = first_path.factors[0]
    assert isinstance(outer, Marked) and outer.delta == graph.delta[2][0]
    inner = outer.body.factors[0]
    assert isinstance(inner, Marked) and inner.delta == graph.delta[3][0]
    a3, z3 = graph.a[3][0], graph.z[3][0]
    assert inner.body.factors == (Partial(graph.C, a3), Partial(a3, z3))


def test_base_case_shows_the_lecture_step_then_the_concrete_one():
    # Lecture, backward pass for the output layer: dC/dz^{(L)} = dC/da^{(L)} . sigma^{(L)'}(z^{(L)}).
    graph = build_graph(SIGMOID)
    equation = delta_index_equation(graph, 3, leibniz=False)
    assert len(equation.sides) == 3
    a, t = graph.a[3][0], graph.t[0]
    assert sp.expand(value(equation.sides[2], graph) - (a - t) * a * (1 - a)) == 0
    abstract = delta_index_equation(build_graph(LECTURE), 3, leibniz=False)
    assert len(abstract.sides) == 2  # nothing concrete to fill in


def test_recursive_case_sums_over_the_layer_above():
    # Lecture: dC/dz_j^{(1)} = (sum_{i=1}^{D^{(2)}} dC/dz_i^{(2)} W_ij^{(2)}) sigma^{(1)'}(z_j^{(1)}), j = 1..D^{(1)}.
    equation = delta_index_equation(build_graph(LECTURE), 1, leibniz=False)
    upstream = equation.sides[1].factors[0]
    assert isinstance(upstream, IndexSum) and (upstream.index, upstream.upper) == ("i", 2)
    assert (equation.for_each.index, equation.for_each.upper) == ("j", 2)


def test_algorithm_forward_pass_sums_over_the_layer_below():
    # Lecture, forward pass: z_i^{(m)} = sum_{j=1}^{D^{(m-1)}} W_ij^{(m)} a_j^{(m-1)} + b_i^{(m)}, i = 1..D^{(m)}.
    network = symbp.Network([4, 3, 1])
    z1 = algorithm_document(network).forward.groups[0][0]
    assert z1.sides[0].terms[0].upper == 4 and z1.for_each.upper == 3


def test_backprop_has_a_step_per_layer_then_the_gradients():
    steps = backprop_steps(symbp.backprop(LECTURE, ["W1_2_1"])).steps
    assert [s.title for s in steps] == [
        "Step 1: gradients for the output layer",
        "Step 2: gradients for hidden layer 2",
        "Step 3: gradients for hidden layer 1",
        "Step 4: the gradients asked for, from the deltas",
    ]


def test_formulas_print_in_lecture_notation_through_the_printers():
    formula = symbp.backprop(LECTURE).delta(1, 2).formula  # (delta_1^(2) W_12^(2) + delta_2^(2) W_22^(2)) sigma'
    text = TextDocumentPrinter(network=LECTURE).doprint(formula)
    tex = LatexDocumentPrinter(network=LECTURE).doprint(formula)
    assert "W⁽²⁾₁₂ · δ⁽²⁾₁" in text and "σ⁽¹⁾′(z⁽¹⁾₂)" in text
    assert r"W^{(2)}_{12} \delta^{(2)}_{1}" in tex and r"\sigma^{(1)\prime}(z^{(1)}_{2})" in tex


@dataclass(frozen=True)
class Boxed(Node):
    """A node no printer knows: a test of SymPy's dispatch."""

    inside: sp.Basic


class BoxedText(TextDocumentPrinter):
    def _print_Boxed(self, node: Boxed) -> str:
        return f"[{self._print(node.inside)}]"


class BoxedLatex(LatexDocumentPrinter):
    def _print_Boxed(self, node: Boxed) -> str:
        return rf"\boxed{{{self._print(node.inside)}}}"


def test_a_new_node_needs_one_print_method_per_printer():
    graph = build_graph(LECTURE)
    equation = Equation(graph.C, (Product((Boxed(graph.W[2][0, 1]), graph.a[1][1])),), note="new")
    assert BoxedText(network=LECTURE).doprint(equation) == "  C = [W⁽²⁾₁₂] · a⁽¹⁾₂   (new)"
    tex = BoxedLatex(network=LECTURE, env=None).doprint(equation)
    assert tex == r"C &= \boxed{W^{(2)}_{12}} \cdot a^{(1)}_{2}\qquad \text{(new)}"


def test_nodes_show_in_jupyter_as_latex():
    shown = algorithm_document(LECTURE)._repr_latex_()
    assert shown.startswith("$$\n\\begin{aligned}\n") and shown.endswith("\\end{aligned}\n$$")
    # Lecture, backward pass: dC/dW_ij^{(m)} = dC/dz_i^{(m)} a_j^{(m-1)}, with delta for dC/dz.
    assert r"\frac{\partial C}{\partial W^{(m)}_{ij}} &= \delta^{(m)}_{i} \cdot a^{(m-1)}_{j}" in shown
