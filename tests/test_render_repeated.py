"""The repeated work the naive expansions do is exactly what backprop's stored deltas save.

Oracle: backprop's own recursion run without memory. Starting from each requested
gradient's deltas and following each DeltaStep's terms up to the output layer counts
how often every delta^{(m)}_k would be evaluated if nothing were stored. A delta
evaluated two or more times is one that storing it saves; its value is checked
with ``sympy.expand`` against backprop's unrolled delta. Nothing here looks at how
the naive paths or the repeated-work finder are built.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symbp
from symbp.derive.repeated import repeated_work
from symbp.graph import build_graph
from symbp.printers.latex import latex

CASES = [
    (symbp.Network(), ["W2_1_2", "W1_2_3"]),  # the lecture's slide
    (symbp.Network(), ["W1_2_3"]),  # one entry repeats work across its own paths
    (symbp.Network(), ["W3_1_1", "b3_1"]),
    (symbp.Network([2, 2, 2]), ["W1_1_1", "W1_1_2"]),  # two outputs: no common top, shared z^{(1)}_1
    (symbp.Network([2, 2, 2]), ["W2_1_1"]),  # nothing repeated
    (symbp.Network([3, 4, 3, 2]), ["W1_1_1", "a1_2", "z2_3", "W3_2_1"]),
    (symbp.Network([2, 2, 1, 1]), ["W1_1_1", "W1_1_2"]),  # delta^{(3)} read once, yet recomputed twice
]


def unmemoized_evaluations(derivation: symbp.BackpropDerivation) -> Counter:
    """How often each delta is evaluated when the recursion stores nothing."""
    steps = {step.symbol: step for step in derivation.deltas}
    counts: Counter = Counter()

    def evaluate(delta: sp.Symbol) -> None:
        counts[delta] += 1
        for upper, _weight in steps[delta].terms:
            evaluate(upper)

    for gradient in derivation.gradients:
        for delta, _multiplier in gradient.terms:
            evaluate(delta)
    return counts


def check(net: symbp.Network, names: list[str]) -> None:
    expansions = [symbp.naive(net, name) for name in names]
    work = repeated_work(expansions)
    bp = symbp.backprop(net, names)
    evaluations = unmemoized_evaluations(bp)
    reused = {delta for delta, n in evaluations.items() if n >= 2}

    assert set(work.deltas) == reused
    for delta in work.deltas:
        prefixes = work.prefixes_of(delta)
        # Each marked prefix is recomputed exactly as often as the delta would be without storing it.
        assert all(len(p.uses) == evaluations[delta] for p in prefixes)
        # Together the prefixes are the delta: every term once.
        total = sp.expand(sp.Add(*[p.product for p in prefixes]))
        assert total == sp.expand(bp.unrolled_deltas[delta])
        assert len(prefixes) == len(sp.Add.make_args(total))

    # The rendered expansions carry one labelled, coloured brace per use of each prefix.
    names_of = build_graph(net).latex_names
    rendered = "\n".join(latex(d, repeated=work) for d in expansions)
    for delta in build_graph(net).delta[1:]:
        for symbol in delta:
            # the delta alone, or (one of its several terms) the delta and which term
            labels = ("}_{" + names_of[symbol] + "}}", "}_{" + names_of[symbol] + r"\text{, term ")
            expected = evaluations[symbol] * len(work.prefixes_of(symbol)) if symbol in reused else 0
            assert sum(rendered.count(label) for label in labels) == expected, names_of[symbol]
    assert rendered.count(r"\underbrace{") == len(re.findall(r"\{\\color\{[a-z]+\}\\underbrace\{", rendered))


@pytest.mark.parametrize(("net", "names"), CASES, ids=[f"{n.describe()}:{'+'.join(e)}" for n, e in CASES])
def test_marked_prefixes_are_the_deltas_backprop_reuses(net, names):
    check(net, names)


def test_the_lecture_slide_marks_dC_dz3_and_dC_dz2_1():
    # "Notice any inefficiency": dC/dz^{(3)} is computed in all three paths, dC/dz^{(2)}_1 in two.
    g = build_graph(symbp.Network())
    work = repeated_work([symbp.naive(symbp.Network(), e) for e in symbp.LECTURE_ENTRIES])
    assert [(p.delta, len(p.uses)) for p in work.shared] == [(g.delta[3][0], 3), (g.delta[2][0], 2)]


@st.composite
def networks_and_entries(draw):
    L = draw(st.integers(1, 3))
    layers = draw(st.lists(st.integers(1, 3), min_size=L + 1, max_size=L + 1))
    net = symbp.Network(layers)
    every = [e.name for e in net.entries()]
    names = draw(st.lists(st.sampled_from(every), min_size=1, max_size=4, unique=True))
    return net, names


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(networks_and_entries())
def test_marked_prefixes_are_the_reused_deltas_on_random_networks(case):
    check(*case)


def test_a_mark_on_one_of_several_terms_of_a_delta_says_which_term():
    """After a softmax delta^{(2)}_1 = sum_k dC/da_k da_k/dz_1 (3 terms, one per output k): each prefix is term k
    of 3, labelled so, not three times delta^{(2)}_1 (the lecture's one-output slide keeps its plain labels)."""
    from symbp.printers.mathml import MathMLDocumentPrinter

    net = symbp.Network([4, 3, 3], ["sigmoid", "softmax"], "cross_entropy")
    derivations = symbp.naive(net, ["W2_1_2", "W2_1_1"])
    tex = latex(derivations)
    marks = re.findall(r"\\underbrace\{(.*?)\}_\{\\delta\^\{\(2\)\}_\{1\}(\\text\{[^}]*\})?\}\}", tex)
    assert len(marks) == 6  # 3 terms in each of the two expansions
    for body, label in marks:
        k = re.search(r"\\partial a\^\{\(2\)\}_\{(\d)\}", body).group(1)  # the output this path goes through
        assert label == rf"\text{{, term {k} of 3}}", (body, label)
    mathml = MathMLDocumentPrinter(network=net).doprint(symbp.docmodel.document_of(derivations))
    assert "<mtext>, term 2 of 3</mtext>" in mathml

    lecture = latex(symbp.naive(symbp.Network(), list(symbp.LECTURE_ENTRIES)))
    assert r"_{\delta^{(2)}_{1}}}" in lecture and "term" not in lecture  # one path from C to z^{(2)}_1: all of it


def test_a_hidden_delta_with_two_paths_marks_each_as_one_of_two_terms():
    # 3,2,2,1: delta^{(1)}_2 sums the paths through z^{(2)}_1 and z^{(2)}_2 (D(2) D(3) = 2 of them).
    work = repeated_work([symbp.naive(symbp.Network(), e) for e in ("W1_2_3", "W1_2_1")])
    g = build_graph(symbp.Network())
    hidden = [p for p in work.shared if p.delta == g.delta[1][1]]
    assert sorted((p.term, p.terms) for p in hidden) == [(1, 2), (2, 2)]
    for p in hidden:  # term 1 runs through z^{(2)}_1, term 2 through z^{(2)}_2
        assert g.z[2][p.term - 1] in {f.wrt for f in p.factors}
