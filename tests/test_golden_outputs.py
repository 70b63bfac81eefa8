"""Golden files for every output format of ``derive`` and ``algorithm``: text, Markdown, JSON (LaTeX has its own).

Each file was read by eye against the lecture (notation, paths, factors, the base and
recursive cases) before it was committed. They pin today's output so that a redesign of
the printers shows every byte it changes. Regenerate with ``SYMBP_UPDATE_GOLDEN=1``
only after reading the difference.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbp.cli import app
from test_cli import make_runner

GOLDEN = Path(__file__).parent / "golden" / "cli"

CONCRETE = ["--activation", "sigmoid", "--cost", "squared_error"]
CASES = {
    "derive-lecture.txt": ["derive"],
    "derive-lecture.md": ["derive", "--format", "markdown"],
    "derive-lecture.json": ["derive", "W2_1_2", "W1_2_3", "--format", "json"],
    "derive-sigmoid-W1_2_3.txt": ["derive", "W1_2_3", *CONCRETE],
    "derive-sigmoid-b1.md": ["derive", "b1", "--layers", "2,2,1", "--format", "markdown", *CONCRETE],
    "derive-tanh-bce-all-methods.txt": [
        "derive", "W2_1_1", "--layers", "2,2,1", "--activations", "tanh,sigmoid",
        "--cost", "binary_cross_entropy", "--method", "all",
    ],
    "algorithm-lecture.txt": ["algorithm"],
    "algorithm-relu-sigmoid-bce.txt": [
        "algorithm", "--layers", "2,3,2", "--activations", "relu,sigmoid", "--cost", "binary_cross_entropy",
    ],
    "algorithm-lecture.md": ["algorithm", "--format", "markdown"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_its_golden_file(name):
    result = make_runner().invoke(app, CASES[name])
    assert result.exit_code == 0, result.output
    path = GOLDEN / name
    if os.environ.get("SYMBP_UPDATE_GOLDEN") == "1":
        path.write_text(result.stdout, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with SYMBP_UPDATE_GOLDEN=1 and read it"
    assert result.stdout == path.read_text(encoding="utf-8")
