"""The MathML printer: every derivation's MathML parses as XML and uses only MathML Core elements."""

from __future__ import annotations

from xml.dom.minidom import parseString

import pytest

import symbp
from symbp.docmodel import algorithm_document, derivations_document, repeated_work_part, vectorized_document
from symbp.derive.repeated import repeated_work
from symbp.printers.mathml import mathml

# MathML Core's elements (https://w3c.github.io/mathml-core/#mathml-elements-and-attributes), written out here.
MATHML_CORE = {
    "math", "annotation", "annotation-xml", "maction", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo",
    "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle", "msub",
    "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover", "none", "semantics",
}

NETWORKS = [
    symbp.Network(),
    symbp.Network([2, 3, 2], activations="sigmoid", cost="squared_error"),
    symbp.Network([2, 2, 1], activations="relu", cost="squared_error"),
    symbp.Network([2, 2, 1], activations=["tanh", "sigmoid"], cost="binary_cross_entropy"),
    symbp.Network([1, 2, 1], activations="softplus", cost="abstract"),
]


def elements(markup: str) -> list[str]:
    """Every element name in each ``<math>`` block of ``markup`` (each must parse as XML on its own).

    A line is a ``<math>`` block or a heading, ``<p class="symbp-title">`` holding words and inline ``<math>``.
    """
    names: list[str] = []
    for block in filter(None, (line.strip() for line in markup.splitlines())):
        root = parseString(block).documentElement
        if root.tagName == "p":
            assert root.getAttribute("class") == "symbp-title"
            assert {child.tagName for child in root.childNodes if child.nodeType == child.ELEMENT_NODE} <= {"math"}
            names += [node.tagName for math in root.getElementsByTagName("math") for node in math.getElementsByTagName("*")]
            continue
        assert root.tagName == "math"
        names += [node.tagName for node in root.getElementsByTagName("*")] + [root.tagName]
    return names


def math_blocks(markup: str) -> list[str]:
    """The display ``<math>`` lines of ``markup``, headings left out."""
    return [line for line in markup.splitlines() if line.startswith("<math")]


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: n.describe())
def test_every_derivation_is_xml_with_core_elements_only(net):
    naives = [symbp.naive(net, e) for e in ("W1_1_1", f"b{net.L}_1", "z1_1", "a1_1")]
    items = [*naives, symbp.backprop(net), symbp.reference(net, "W1_1_1")]
    parts = [
        derivations_document(net, items),
        algorithm_document(net),
        vectorized_document(net),
        repeated_work_part(repeated_work(naives)),
    ]
    for part in parts:
        used = set(elements(mathml(part, net)))
        assert used <= MATHML_CORE, used - MATHML_CORE


def test_lecture_chain_for_W2_1_2_has_its_five_factors():
    net = symbp.Network()
    markup = mathml(derivations_document(net, [symbp.naive(net, "W2_1_2")]))
    root = parseString(math_blocks(markup)[0]).documentElement
    chain = root.getElementsByTagName("mtr")[0].getElementsByTagName("mtd")[1]
    # The lecture: dC/da3 · da3/dz3 · dz3/da2_1 · da2_1/dz2_1 · dz2_1/dW2_12, five Leibniz fractions.
    assert len(chain.getElementsByTagName("mfrac")) == 5
    # The left-hand side is dC/dW^{(2)}_{12}: a fraction whose denominator holds W with scripts 12 and (2).
    lhs = root.getElementsByTagName("mtd")[0].getElementsByTagName("msubsup")[0]
    assert [n.firstChild.data for n in lhs.getElementsByTagName("mi") + lhs.getElementsByTagName("mn")] == ["W", "12", "2"]


def test_repeated_work_is_marked_with_its_delta():
    net = symbp.Network()
    markup = mathml(derivations_document(net, [symbp.naive(net, "W1_2_3")]))
    first = math_blocks(markup)[0]  # the expansion; the repeated-work part follows
    marks = [m for m in parseString(first).getElementsByTagName("munder") if m.getAttribute("class") == "symbp-mark"]
    # Both paths of dC/dW^{(1)}_{23} pass z^{(3)}: delta3 marks the shared start of each path.
    assert sorted(m.getAttribute("data-delta") for m in marks) == ["delta3_1", "delta3_1"]


def test_names_become_scripts():
    from symbp.printers.mathml import unicode_mathml

    # Written out by hand from MathML Core: msubsup(base, subscript, superscript).
    layer = "<mrow><mo>(</mo><mn>1</mn><mo>)</mo></mrow>"
    assert unicode_mathml("W⁽¹⁾₁₂") == f"<msubsup><mi>W</mi><mn>12</mn>{layer}</msubsup>"
    # With ten or more units a comma separates the indices, and stays inside the subscript.
    assert unicode_mathml("W⁽¹⁾₁,₁₂") == f"<msubsup><mi>W</mi><mrow><mn>1</mn><mo>,</mo><mn>12</mn></mrow>{layer}</msubsup>"
    assert unicode_mathml("δ⁽ᵐ⁻¹⁾ⱼ") == (
        "<msubsup><mi>δ</mi><mi>j</mi><mrow><mo>(</mo><mi>m</mi><mo>-</mo><mn>1</mn><mo>)</mo></mrow></msubsup>"
    )
    net = symbp.Network([10, 2, 1])
    assert mathml(symbp.build_graph(net).W[1][0, 9], net) == unicode_mathml("W⁽¹⁾₁,₁₀")


def test_headings_are_the_text_printers_words():
    """Each part of a derivation document stands under the same heading as in text (words read from the lecture)."""
    net = symbp.Network()
    markup = mathml(derivations_document(net, [symbp.naive(net, "W1_2_3"), symbp.backprop(net, "W1_2_3")]))
    # The words of each heading: its text outside any inline <math>.
    titles = ["".join(node.data for node in parseString(line).documentElement.childNodes if node.nodeType == node.TEXT_NODE)
              for line in markup.splitlines() if line.startswith("<p")]
    text = str(symbp.naive(net, "W1_2_3"))
    assert titles[0] == " by the naive chain expansion: 2 paths of 7 factors"
    assert text.startswith("∂C/∂W⁽¹⁾₂₃" + titles[0])
    assert titles[1].startswith("Work the naive expansions repeat")
    assert titles[2] == "Backprop: each δ once, output layer first; then every gradient from its δ"
    assert titles[3:] == ["Step 1: gradients for the output layer", "Step 2: gradients for hidden layer 2",
                          "Step 3: gradients for hidden layer 1", "Step 4: the gradients asked for, from the deltas"]
