"""Counts agree with the derivation that is shown, for single entries (issue 9, point 7).

Oracle: SymPy's count_ops on the formulas of the steps the text printer shows (on abstract
networks sigma' and dC/da are plain symbols, so only the chain rule's arithmetic is counted);
which delta layers are shown is read from the printed step titles.
"""

from __future__ import annotations

import pytest
import sympy as sp

import symbp
from symbp.counts import cost_summary
from symbp.printers import print_derivations

MUL, ADD = sp.Symbol("MUL"), sp.Symbol("ADD")


def shown_layers(net, text: str) -> set[int]:
    titles = [line for line in text.splitlines() if line.startswith("Step ") and ": gradients for " in line]
    return {net.L if line.endswith("the output layer") else int(line.rsplit(" ", 1)[1]) for line in titles}


@pytest.mark.parametrize("layers", [[3, 2, 2, 1], [2, 3, 1], [2, 2, 2, 2]], ids=str)
def test_backprop_count_of_each_single_entry_is_the_arithmetic_shown(layers):
    net = symbp.Network(layers)
    for entry in net.entries(("W", "b")):
        bp = symbp.backprop(net, [entry])
        shown = shown_layers(net, print_derivations(net, [bp], "text"))
        assert shown == set(range(1, net.L + 1)), entry.name  # the lecture's algorithm: every layer, output first
        formulas = [s.formula for s in bp.deltas if s.layer in shown] + [bp.gradient(entry).formula]
        ops = sum(sp.count_ops(f, visual=True) for f in formulas)
        counted = cost_summary(net, [entry]).total.backprop
        assert (counted.multiplications, counted.additions) == (ops.coeff(MUL), ops.coeff(ADD)), entry.name


def test_the_issue_s_example_w2_1_2_on_the_lecture_network():
    # The derivation shown: delta^{(3)} (1 x), delta^{(2)}_1 and _2 (2 x each), delta^{(1)}_1 and _2 (3 x each),
    # then delta^{(2)}_1 a^{(1)}_2 (1 x): 12, where symbp cost said 6 (issue 9).
    assert cost_summary(symbp.Network(), symbp.Network().select(["W2_1_2"])).total.backprop.multiplications == 12
