"""The matrix of issue 8: every non-linearity x every cost, per-layer mixes, on 3 shapes; check never disagrees.

benchmarks/check_matrix.py runs the same networks and prints the proved / verified counts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from symbp.checking import check

_spec = importlib.util.spec_from_file_location("check_matrix", Path(__file__).parent.parent / "benchmarks" / "check_matrix.py")
_matrix = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_matrix)
NETWORKS = _matrix.matrix()

pytestmark = pytest.mark.slow  # 66 checks: run by .ci/run (pytest -m slow), not by the README's quick command


@pytest.mark.parametrize("net", NETWORKS, ids=[n.describe() for n in NETWORKS])
def test_check_never_disagrees(net):
    report = check(net, points=2)
    assert report.counts["disagree"] == 0, [(r.entry, r.method, r.counterexample) for r in report.failures]
    assert report.counts["skipped"] == 0  # small shapes: the reference runs on all of them
    # Every comparison ends proved or verified, and each row says which.
    assert report.counts["proved"] + report.counts["verified"] == len(report.rows)
