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
            label = "}_{" + names_of[symbol] + "}}"
            expected = evaluations[symbol] * len(work.prefixes_of(symbol)) if symbol in reused else 0
            assert rendered.count(label) == expected, names_of[symbol]
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
