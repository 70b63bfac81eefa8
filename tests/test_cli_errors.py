"""The issue's bad-input list, one case each: one line on stderr naming the bad value and
what is accepted, exit status 2, no traceback, nothing written."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from test_cli import invoke

CONCRETE = ["--activation", "sigmoid", "--cost", "squared_error"]
GOOD_POINT = {"x": [1, 2], "t": 0.5, "W1": [[0.1, 0.2], [0.3, 0.4]], "b1": [0, 0], "W2": [[0.5, 0.6]], "b2": [0.1]}


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    says: tuple[str, ...]
    """Every one of these must stand in the error line (the bad value, what is accepted)."""
    files: tuple[tuple[str, str], ...] = ()
    """Files to create in the temporary folder first: (name, text)."""


CASES = {
    "unknown command": Case(("frobnicate",), ("frobnicate", "derive", "check", "grad")),
    "unknown option": Case(("derive", "--frobnicate"), ("--frobnicate", "symbp derive --help")),
    "layers empty": Case(("derive", "--layers", ""), ("--layers", "3,2,2,1")),
    "layers with a zero": Case(("derive", "--layers", "3,0,1"), ("0", "positive integer")),
    "layers with a negative": Case(("derive", "--layers", "3,-2,1"), ("-2", "positive integer")),
    "layers not integers": Case(("derive", "--layers", "3,two,1"), ("'two'", "integer", "3,2,2,1")),
    "layers a single size": Case(("derive", "--layers", "3"), ("[3]", "at least two sizes")),
    "unknown activation": Case(("derive", "--activation", "swish"), ("'swish'", "sigmoid", "tanh", "relu")),
    "unknown cost": Case(("derive", "--cost", "hinge"), ("'hinge'", "squared_error", "binary_cross_entropy")),
    "activations do not match the layers": Case(
        ("derive", "--layers", "3,2,2,1", "--activations", "tanh,sigmoid"), ("['tanh', 'sigmoid']", "3 layers", "exactly 3")
    ),
    "entry in a layer that does not exist": Case(("derive", "W4_1_1"), ("'W4_1_1'", "layer 4", "1..3")),
    "entry with a unit that does not exist": Case(("derive", "W2_3_1"), ("'W2_3_1'", "units 1..2", "not 3")),
    "spec file missing": Case(("derive", "--spec", "{tmp}/missing.toml"), ("missing.toml", "does not exist", ".toml or .json")),
    "spec file not TOML": Case(
        ("derive", "--spec", "{tmp}/net.toml"), ("net.toml", "not valid TOML", "line 2"),
        files=(("net.toml", 'layers = [2, 3, 1]\ncost = squared_error\n'),),
    ),
    "spec file not JSON": Case(
        ("derive", "--spec", "{tmp}/net.json"), ("net.json", "not valid JSON", "line 3"),
        files=(("net.json", '{\n  "layers": [2, 3, 1],\n  "cost": squared_error\n}\n'),),
    ),
    "spec file with unknown keys": Case(
        ("derive", "--spec", "{tmp}/net.json"), ("'activation'", "layers, activations, cost"),
        files=(("net.json", json.dumps({"layers": [2, 1], "activation": "tanh"})),),
    ),
    "point file with wrong shapes": Case(
        ("grad", "--point", "{tmp}/point.json", "--layers", "2,3,1", *CONCRETE), ("'W1'", "(2, 2)", "(3, 2)"),
        files=(("point.json", json.dumps(GOOD_POINT)),),
    ),
    "point file with a missing key": Case(
        ("grad", "--point", "{tmp}/point.json", "--layers", "2,2,1", *CONCRETE), ("'b2'", "x, t, W1, b1, W2, b2"),
        files=(("point.json", json.dumps({k: v for k, v in GOOD_POINT.items() if k != "b2"})),),
    ),
    "point file with non-numbers": Case(
        ("grad", "--point", "{tmp}/point.json", "--layers", "2,2,1", *CONCRETE), ("'x'", "'one'", "numbers only"),
        files=(("point.json", json.dumps({**GOOD_POINT, "x": ["one", 2]})),),
    ),
    "points zero": Case(("check", "--points", "0"), ("--points", "0", "from 1 to 10,000")),
    "output in a missing folder": Case(
        ("derive", "--out", "{tmp}/no/such/folder/out.txt"), ("no/such/folder", "does not exist")
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_exit_two_and_writes_nothing(tmp_path: Path, name: str):
    case = CASES[name]
    for file_name, text in case.files:
        (tmp_path / file_name).write_text(text)
    before = sorted(p.name for p in tmp_path.iterdir())
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    if "--out" not in args and args[0] in ("derive", "grad", "check"):
        args += ["--out", str(tmp_path / "out.txt")]  # had anything been written, it would be here
    result = invoke(*args)

    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("symbp: error: ")
    for expected in case.says:
        assert expected in lines[0], (expected, lines[0])
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("args, value", [
    (["check", "--points", "abc"], "'abc'"),
    (["check", "-nx"], "'x'"),
    (["check", "--tol=1e"], "'1e'"),
    (["train", "--lr", ""], "''"),
])
def test_an_option_of_the_wrong_type_names_the_value_given(args: list[str], value: str):
    result = invoke(*args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert value in result.stderr and "number" in result.stderr, result.stderr

