"""Issue 8, work bounded before it starts (item 6), and no recursion limit at 1,000 layers (item 4).

Expected counts are formulas written out here from the lecture (paths = product of the
widths above, parameters = sum of D(m) (D(m-1) + 1)); the deep network's gradient is
the chain-rule product written out by hand.
"""

from __future__ import annotations

import json
from math import prod

import pytest
import sympy as sp

from symbp import Network, backprop, build_graph, naive
from test_cli import invoke, ok
from test_input_strict import refused

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command


def parameters(layers: list[int]) -> int:
    return sum(layers[m] * (layers[m - 1] + 1) for m in range(1, len(layers)))


# 6. Size limits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["derive", "check", "algorithm", "codegen", "picture", "render"])
def test_item_6_layers_3_99999999999999999_1_is_refused_at_once(tmp_path, command):
    line = refused(tmp_path, command, "--layers", "3,99999999999999999,1")
    assert f"{parameters([3, 99999999999999999, 1]):,} parameters" in line and "--max-size" in line


def test_item_6_max_size_overrides_the_size_guard(tmp_path):
    layers = [2, 3, 1]  # 13 parameters
    line = refused(tmp_path, "derive", "--layers", "2,3,1", "--max-size", "12")
    assert f"{parameters(layers)} parameters" in line and "size limit of 12" in line
    ok("derive", "--layers", "2,3,1", "--max-size", str(parameters(layers)))


def test_item_6_cost_1000_1000_1_counts_by_layer_without_a_row_per_entry():
    layers = [1000, 1000, 1]
    data = json.loads(ok("cost", "--layers", "1000,1000,1", "--format", "json").stdout)
    assert "entries" not in data
    for m in (1, 2):
        entries = layers[m] * (layers[m - 1] + 1)  # every W^{(m)} and b^{(m)}
        assert data["layers"][str(m)]["paths"] == entries * prod(layers[m + 1 :])
    text = ok("cost", "--layers", "1000,1000,1").stdout
    assert "W1_1_1" not in text and f"{1000 * 1001 + 1001:,}" in text


def test_item_6_cost_of_any_size_answers_and_entries_asked_for_get_rows():
    data = json.loads(ok("cost", "--layers", "3,99999999999999999,1", "--format", "json").stdout)
    assert data["totals"]["paths"] == parameters([3, 99999999999999999, 1]) - (99999999999999999 + 1) + 99999999999999999 + 1
    data = json.loads(ok("cost", "W2_1_5", "--layers", "3,99999999999999999,1", "--format", "json").stdout)
    assert data["entries"] == {"W2_1_5": {"paths": 1, "naive": {"multiplications": 2, "additions": 0},
                                          "backprop": {"multiplications": 1, "additions": 0}}}


def test_item_6_cost_of_a_whole_group_in_a_huge_layer_is_refused(tmp_path):
    line = refused(tmp_path, "cost", "W1", "--layers", "1000,1000,1")
    assert "--max-size" in line


def test_item_6_derive_budget_is_the_total_over_the_entries(tmp_path):
    # W1 of 1,5,5,1: 5 entries of 5 paths each (the widths above: 5 * 1).
    ok("derive", "W1", "--layers", "1,5,5,1", "--max-paths", "25", "--method", "naive")
    line = refused(tmp_path, "derive", "W1", "b1", "--layers", "1,5,5,1", "--max-paths", "25")
    assert "50 paths" in line and "budget of 25" in line


def test_item_6_derive_all_1_100_100_1_is_refused_by_the_default_budget(tmp_path):
    layers = [1, 100, 100, 1]
    L = len(layers) - 1
    total = sum(  # W, b, z, a entries of each layer, each with the product of the widths above
        (layers[m] * layers[m - 1] + 3 * layers[m]) * prod(layers[m + 1 :]) for m in range(1, L + 1)
    )
    line = refused(tmp_path, "derive", "all", "--layers", "1,100,100,1")
    assert f"{total:,} paths" in line and "budget of 10,000" in line


# 4. No recursion limit at 1,000 layers -----------------------------------------------------------------


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
def test_item_4_naive_and_backprop_at_1000_layers():
    L = 1000
    net = Network(layers=(1,) * (L + 1))
    g = build_graph(net)
    derivation = naive(net, "W1_1_1")
    # One path through the chain: dC/da^{(L)} * prod sigma' * prod W^{(m)} (m >= 2) * a^{(0)}.
    expected = sp.Mul(g.dC_da[0], *(g.sigma_prime[m][0] for m in range(1, L + 1)),
                      *(g.W[m][0, 0] for m in range(2, L + 1)), g.a[0][0])
    assert len(derivation.paths) == 1 and len(derivation.paths[0].factors) == 2 * L + 1
    assert derivation.expression() == expected
    assert backprop(net, ["W1_1_1"]).gradient("W1_1_1").formula == g.delta[1][0] * g.a[0][0]


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
def test_item_4_derive_at_500_layers_has_no_recursion_error():
    result = invoke("derive", "--layers", ",".join(["1"] * 501))  # the naive expansion used to recurse per layer
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "1 path of 1001 factors" in result.stdout  # W1_1_1: 2 (L - 1) + 3 factors with L = 500


def test_check_work_is_bounded_before_it_starts(tmp_path):
    # 3,300,1: 900 + 300 + 300 + 300 entries in layer 1 and 300 + 1 + 1 + 1 in layer 2, 5 points.
    entries, params = 900 + 3 * 300 + 300 + 3, parameters([3, 300, 1])
    line = refused(tmp_path, "check", "--layers", "3,300,1", "--activation", "sigmoid", "--cost", "squared_error")
    assert f"{entries * 5 * params:,} units of work" in line and "--max-work" in line
    deep = ",".join(["1"] * 101)
    assert "limited to 64 layers, network has 100" in refused(tmp_path, "check", "--layers", deep)
    # The override: the lecture's network is 17 parameters x 27 entries x 1 point = 459.
    line = refused(tmp_path, "check", "--points", "1", "--max-work", "458")
    assert "459 units of work" in line
    assert ok("check", "--points", "1", "--max-work", "459").exit_code == 0
