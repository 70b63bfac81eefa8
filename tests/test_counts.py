"""symbp.counts' formulas against the work actually done, and the naive budget that refuses before expanding.

The formulas are checked against two things that do not use them: the paths and
factors of a real naive expansion (symbp.naive), and a path enumeration written
here over the layer widths; backprop's count against the steps of a real
backprop derivation.
"""

from __future__ import annotations

import importlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symbp
from symbp.counts import backprop_count, naive_count, naive_paths
from symbp.derive.naive import DEFAULT_MAX_PATHS

naive_module = importlib.import_module("symbp.derive.naive")  # the module, not the function symbp.derive exports
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def networks(draw, max_layers: int = 4, max_width: int = 3):
    L = draw(st.integers(1, max_layers))
    layers = draw(st.lists(st.integers(1, max_width), min_size=L + 1, max_size=L + 1))
    activations = draw(st.lists(st.sampled_from(["abstract", "sigmoid", "relu"]), min_size=L, max_size=L))
    return symbp.Network(layers, activations, "abstract")


def enumerate_paths(net: symbp.Network, layer: int) -> list[tuple[int, ...]]:
    """Every path from a unit of ``layer`` to C: one unit chosen in each layer above (written independently)."""
    if layer == net.L:
        return [()]
    return [(unit, *rest) for unit in range(net.D(layer + 1)) for rest in enumerate_paths(net, layer + 1)]


@SETTINGS
@given(networks())
def test_naive_paths_and_operations_equal_those_of_the_actual_expansion(net):
    for entry in net.entries():
        derivation = symbp.naive(net, entry)
        count = naive_count(net, entry)
        assert count.paths == len(derivation.paths) == len(enumerate_paths(net, entry.layer)), entry.name
        # A product of k factors is k - 1 multiplications; summing the paths is paths - 1 additions.
        assert count.multiplications == sum(len(p.factors) - 1 for p in derivation.paths), entry.name
        assert count.additions == len(derivation.paths) - 1, entry.name


@SETTINGS
@given(networks())
def test_backprop_operations_equal_those_of_the_actual_recursion(net):
    entries = tuple(net.entries(kinds=("W", "b")))
    derivation = symbp.backprop(net, entries)
    multiplications = additions = 0
    for step in derivation.deltas:
        # Base case: dC/da * sigma'. Recursive case: sum_i delta_i W_ij (k products, k - 1 sums), times sigma'.
        multiplications += len(step.terms) + 1
        additions += max(len(step.terms) - 1, 0)
    for step in derivation.gradients:
        # dC/dW_ij = delta_i a_j is one product; dC/db_i = delta_i * 1 is none.
        multiplications += sum(1 for _, multiplier in step.terms if multiplier != 1)
    count = backprop_count(net, entries)
    assert (count.multiplications, count.additions) == (multiplications, additions)


def test_counts_of_the_lecture_network_by_hand():
    net = symbp.DEFAULT_NETWORK  # 3,2,2,1
    # dC/dW^{(1)}_{23}: through z^{(2)}_1 or z^{(2)}_2 to the single output: 2 paths of 7 factors.
    count = naive_count(net, net.entry("W1_2_3"))
    assert (count.paths, count.multiplications, count.additions) == (2, 12, 1)
    count = naive_count(net, net.entry("W2_1_2"))
    assert (count.paths, count.multiplications, count.additions) == (1, 4, 0)


# The budget ------------------------------------------------------------------


HUGE = symbp.Network([2, 500, 500, 500, 500, 1], "sigmoid", "squared_error")
"""Expanding dC/dW^{(1)}_{11} means 500^3 = 125,000,000 paths: hours at a fraction of a millisecond each."""


def test_exceeding_the_budget_raises_before_expanding(monkeypatch):
    def no_expansion(*args, **kwargs):
        raise AssertionError("naive() started expanding")

    # Any expansion starts by building the graph (125 million paths, 750,000 weights):
    # forbid it, so the refusal must come from the formula alone.
    monkeypatch.setattr(naive_module, "build_graph", no_expansion)
    with pytest.raises(symbp.SymbpError) as error:
        symbp.naive(HUGE, "W1_1_1")
    message = str(error.value)
    assert "125,000,000 paths" in message
    assert f"{DEFAULT_MAX_PATHS:,}" in message
    assert "max_paths" in message and "--max-paths 125000000" in message
    assert "\n" not in message


def test_counts_of_the_huge_network_are_exact_without_expanding():
    entry = HUGE.entry("W1_1_1")
    assert naive_paths(HUGE, entry) == 500**3
    count = naive_count(HUGE, entry)
    # 11 factors a path: dC/da^{(5)}, (da/dz, dz/da) through layers 5 to 2, then da/dz and dz/dW at layer 1.
    assert count.multiplications == 500**3 * (11 - 1)
    assert count.additions == 500**3 - 1


def test_the_budget_is_inclusive_and_can_be_raised():
    net = symbp.Network([2, 3, 4, 1], "sigmoid", "squared_error")
    entry = net.entry("W1_1_1")
    paths = naive_paths(net, entry)  # 4 * 1
    assert len(symbp.naive(net, entry, max_paths=paths).paths) == paths
    with pytest.raises(symbp.SymbpError, match=f"{paths} paths, over the budget of {paths - 1}"):
        symbp.naive(net, entry, max_paths=paths - 1)
