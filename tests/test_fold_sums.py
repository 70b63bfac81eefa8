"""The check's fold finds a z merged into a larger sum (an identity output's z - t, leaky_relu's
z/100 + 99 max(0, z)/100): the reference of such networks is proved equal to backprop, and
the folded form is the same function of x, W, b, t as the reference (oracle: SymPy's expand of
both written out)."""

import pytest
import sympy as sp

import symbp
from symbp import checking
from symbp.checking import PROVED, _Check, _Folder
from symbp.graph import build_graph

NETWORKS = [
    symbp.Network([3, 4, 2], "identity", "squared_error"),
    symbp.Network([2, 3, 2], ["tanh", "identity"], "squared_error"),
    pytest.param(symbp.Network([3, 3, 2], "leaky_relu", "squared_error"), marks=pytest.mark.slow),  # 1.2 s
]


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: n.describe())
def test_every_reference_pair_is_proved(network):
    report = symbp.check(network, points=2)
    pairs = [row for row in report.rows if row.method == "reference = backprop"]
    assert pairs and all(row.outcome == PROVED for row in pairs), [r for r in pairs if r.outcome != PROVED][:3]


@pytest.mark.parametrize("network", NETWORKS[:2], ids=lambda n: n.describe())
def test_the_fold_is_an_identity_over_the_inputs(network):
    graph = build_graph(network)
    folder = _Folder(graph)
    for entry in list(network.entries())[:6]:
        written_out = symbp.reference(network, entry.name, engine="sympy").expression()
        folded = folder.fold(written_out)
        assert folded != written_out  # something was named
        assert sp.expand(graph.substitute(folded) - written_out) == 0


def test_a_wrong_backprop_is_not_proved_through_the_fold():
    network = NETWORKS[0]
    entries = checking.selected_entries(network, ["W1_1_1"], checking.ENTRY_KINDS)
    run = _Check(network, entries, 2, 0, 1e-8, None)
    right = run.backprop.expression(entries[0])
    form = next(run._reference_forms(0))()
    equal = checking.Prover().equal
    assert equal(right, run.folder.fold(form))
    output = build_graph(network).a[2][0]
    assert right.has(output)
    assert not equal(right.xreplace({output: 2 * output}), run.folder.fold(form))
