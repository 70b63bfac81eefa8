"""Counts agree with the derivation that is shown, for single entries and sets (issue 9, point 7).

Oracles: which delta layers a set of entries needs, written here from the lecture's recursion
(dC/dW, dC/db, dC/dz of layer m read delta^{(m)}, which reads every layer above; dC/da^{(m)}
reads delta^{(m+1)}); the layers the text printer shows, read from its step titles; and SymPy's
count_ops over the formulas of the steps shown (on abstract networks sigma' and dC/da are plain
symbols, so only the chain rule's arithmetic is counted). With a batch, SymPy distributes the
1/N over the sum, so there the factors of each shown step are counted instead.
"""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symbp
from symbp.counts import backprop_count, cost_summary
from symbp.printers import print_derivations

MUL, ADD = sp.Symbol("MUL"), sp.Symbol("ADD")


@st.composite
def abstract_networks(draw):
    L = draw(st.integers(1, 3))
    return symbp.Network(draw(st.lists(st.integers(1, 3), min_size=L + 1, max_size=L + 1)))


def needed_layers(net: symbp.Network, entries) -> set[int]:
    lowest = min((e.layer + 1 if e.kind == "a" else e.layer for e in entries), default=net.L + 1)
    return set(range(lowest, net.L + 1))


def shown_layers(net: symbp.Network, text: str) -> set[int]:
    titles = [line for line in text.splitlines() if line.startswith("Step ") and ": gradients for " in line]
    return {net.L if line.endswith("the output layer") else int(line.rsplit(" ", 1)[1]) for line in titles}


def arithmetic_shown(net: symbp.Network, entries) -> tuple[int, int]:
    """Multiplications and additions in the printed derivation's steps, by count_ops."""
    derivation = symbp.backprop(net, list(entries))
    layers = shown_layers(net, print_derivations(net, [derivation], "text"))
    assert layers == needed_layers(net, entries), [e.name for e in entries]
    formulas = [s.formula for s in derivation.deltas] + [derivation.gradient(e).formula for e in entries]
    assert {s.layer for s in derivation.deltas} == layers
    ops = sum((sp.count_ops(f, visual=True) for f in formulas), sp.Integer(0))
    return int(ops.coeff(MUL)), int(ops.coeff(ADD))


def counted(net: symbp.Network, entries) -> tuple[int, int]:
    total = cost_summary(net, list(entries)).total.backprop
    assert total == backprop_count(net, tuple(entries))
    return total.multiplications, total.additions


@settings(max_examples=8, deadline=None, derandomize=True)
@given(abstract_networks())
def test_the_count_of_each_single_entry_is_the_arithmetic_its_derivation_shows(net):
    for entry in net.entries(("W", "b", "z", "a")):
        assert counted(net, [entry]) == arithmetic_shown(net, [entry]), entry.name


@pytest.mark.parametrize(
    "names", [["W3_1_2", "a1_2"], ["b2_1", "z3_1", "W2_2_1"], ["a3_1"], ["a2_1", "W3_1_1"]], ids=str
)
def test_the_count_of_a_set_of_entries_is_the_arithmetic_its_derivation_shows(names):
    net = symbp.Network([2, 2, 3, 1])
    entries = net.select(names)
    assert counted(net, entries) == arithmetic_shown(net, entries)


def test_the_issue_s_example_counts_only_the_deltas_w2_1_2_needs():
    # delta^{(3)} (1 x), delta^{(2)}_1 and _2 (2 x each), then delta^{(2)}_1 a^{(1)}_2 (1 x): 6, and no
    # delta^{(1)}: dC/dW^{(2)}_{12} does not read it.
    net = symbp.Network([2, 2, 2, 1], "sigmoid", "squared_error")
    assert counted(net, net.select(["W2_1_2"])) == (6, 0)
    assert {s.layer for s in symbp.backprop(net, ["W2_1_2"]).deltas} == {3, 2}


def test_with_a_batch_and_decay_the_count_is_the_factors_of_the_steps_shown():
    net = symbp.Network([2, 3, 2], batch=2, l2=0.1)
    for entry in net.entries(("W", "b")):
        derivation = symbp.backprop(net, [entry])
        multiplications = additions = 0
        for step in derivation.deltas:  # dC/da * sigma', or (sum_i delta_i W_ij) * sigma'
            multiplications += len(step.terms) + 1
            additions += max(len(step.terms) - 1, 0)
        gradient = derivation.gradient(entry)  # (1/N) sum_n delta a (+ lambda W)
        multiplications += sum(multiplier != 1 for _, multiplier in gradient.terms) + 1
        additions += len(gradient.terms) - 1
        if entry.kind == "W":
            multiplications, additions = multiplications + 1, additions + 1
        assert counted(net, [entry]) == (multiplications, additions), entry.name
