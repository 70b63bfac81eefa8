"""Issue 8, strict input: each case of "What was seen" items 4 (digits, nesting), 7, 8 and 9, one test each.

Every refusal is one line ``symbp: error: ...`` with exit status 2 and nothing written;
the accepted inputs are checked against values from tests/oracle.py (sympy.diff of a
forward pass written there) or against names written out here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import oracle
from symbp import Network, SymbpError, gradient_at
from symbp.layout import parameter_layout, point_layout
from test_cli import invoke, ok

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

CONCRETE = ("--activation", "sigmoid", "--cost", "squared_error")
NET = Network(layers=(2, 2, 1), activations="sigmoid", cost="squared_error")
POINT = {"x": [1.0, 2.0], "t": 0.5, "W1": [[0.1, 0.2], [0.3, 0.4]], "b1": [0.0, -0.1], "W2": [[0.5, 0.6]], "b2": [0.1]}


def refused(tmp_path: Path, *args: str) -> str:
    """Run a command that must fail on bad input; return its one error line. Checks nothing was written."""
    before = sorted(p.name for p in tmp_path.iterdir())
    result = invoke(*args, "--out", str(tmp_path / "out"))  # no suffix: every command accepts it
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symbp: error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    return lines[0]


def grad_refuses(tmp_path: Path, point_text: str) -> str:
    file = tmp_path / "point.json"
    file.write_text(point_text)
    return refused(tmp_path, "grad", "--point", str(file), "--layers", "2,2,1", *CONCRETE)


def spec_refused(tmp_path: Path, name: str, text: str | bytes) -> str:
    file = tmp_path / name
    file.write_bytes(text if isinstance(text, bytes) else text.encode())
    return refused(tmp_path, "derive", "--spec", str(file))


def point_with(**changes: object) -> dict:
    return {**POINT, **changes}


# 4. Integers of 401+ and 4,301+ digits, and 100k-deep nesting, in point or spec files -------------------


def test_item_4_point_file_with_an_integer_of_401_digits(tmp_path):
    line = grad_refuses(tmp_path, json.dumps(POINT).replace('"b2": [0.1]', '"b2": [1' + "0" * 400 + "]"))
    assert "'b2'" in line and "too large for a float" in line


def test_item_4_point_file_with_an_integer_of_4301_digits(tmp_path):
    line = grad_refuses(tmp_path, json.dumps(POINT).replace('"b2": [0.1]', '"b2": [1' + "0" * 4300 + "]"))
    assert "point.json" in line and "4300 digits" in line


def test_item_4_point_file_nested_100k_deep(tmp_path):
    line = grad_refuses(tmp_path, '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "point.json" in line and "nested too deeply" in line


@pytest.mark.parametrize("suffix", ["toml", "json"])
def test_item_4_spec_file_with_an_integer_of_401_digits(tmp_path, suffix):
    big = "1" + "0" * 400
    text = f"layers = [2, {big}, 1]\n" if suffix == "toml" else f'{{"layers": [2, {big}, 1]}}'
    line = spec_refused(tmp_path, f"net.{suffix}", text)
    assert f"net.{suffix}" in line and "digits" in line and "layers = [3, 2, 2, 1]" in line


@pytest.mark.parametrize("suffix", ["toml", "json"])
def test_item_4_spec_file_with_an_integer_of_4301_digits(tmp_path, suffix):
    big = "1" + "0" * 4300
    text = f"layers = [2, {big}, 1]\n" if suffix == "toml" else f'{{"layers": [2, {big}, 1]}}'
    line = spec_refused(tmp_path, f"net.{suffix}", text)
    assert f"net.{suffix}" in line and "4300 digits" in line


@pytest.mark.parametrize("suffix", ["toml", "json"])
def test_item_4_spec_file_nested_100k_deep(tmp_path, suffix):
    nested = "[" * 100_000 + "]" * 100_000
    text = f"layers = {nested}\n" if suffix == "toml" else f'{{"layers": {nested}}}'
    line = spec_refused(tmp_path, f"net.{suffix}", text)
    assert f"net.{suffix}" in line and "nested too deeply" in line


def test_item_4_layers_option_with_5000_digits(tmp_path):
    line = refused(tmp_path, "derive", "--layers", "3," + "9" * 5000 + ",1")
    assert "5,000 digits" in line and "3,2,2,1" in line


# 7. gradient_at: one validator, SymbpError naming the key, the shape needed and the shape given -----------


@pytest.mark.parametrize(
    "changes, says",
    [
        ({"W1": np.ones((3, 3))}, ("'W1'", "(3, 3)", "(2, 2)")),  # a 3x3 W1 for a 2-wide layer
        ({"x": [1.0, 2.0, 3.0]}, ("'x'", "(3,)", "(2,)")),  # an x with an extra value
        ({"W3": [[1.0]]}, ("'W3'", "x, t, W1, b1, W2, b2")),  # an extra key
        ({"b2": None}, ("'b2'", "None", "numbers only")),
        ({"b2": "0.1"}, ("'b2'", "'0.1'", "numbers only")),
        ({"W1": [[0.1, 0.2], [0.3]]}, ("'W1'", "ragged")),
        ({"W1": [[[0.1, 0.2]], [[0.3, 0.4]]]}, ("'W1'", "deeper than a matrix")),
        ({"x": [True, 2.0]}, ("'x'", "True", "numbers only")),
        ({"x": np.array(["1", "2"])}, ("'x'", "dtype")),
        ({"x": [1j, 2.0]}, ("'x'", "numbers only")),
    ],
)
def test_item_7_gradient_at_refuses_bad_points_naming_the_key(changes, says):
    with pytest.raises(SymbpError) as caught:
        gradient_at(NET, point_with(**changes))
    for expected in says:
        assert expected in str(caught.value), (expected, str(caught.value))


def test_item_7_gradient_at_refuses_a_missing_key_and_a_non_mapping():
    with pytest.raises(SymbpError, match="missing 'b1'"):
        gradient_at(NET, {k: v for k, v in POINT.items() if k != "b1"})
    with pytest.raises(SymbpError, match="mapping with keys x, t, W1"):
        gradient_at(NET, [1, 2, 3])  # type: ignore[arg-type]


def test_item_7_gradient_at_takes_numpy_arrays_and_nested_lists_alike():
    point = {key: np.asarray(value, dtype=float) for key, value in POINT.items()}
    point["t"] = np.array([0.5])
    z, a = oracle.forward_numbers(NET, point)
    for given in (POINT, point, {k: tuple(map(tuple, v)) if k.startswith("W") else v for k, v in POINT.items()}):
        result = gradient_at(NET, given)
        for m in (1, 2):
            delta = oracle.dC_dz(NET, point, m)
            np.testing.assert_allclose(result.gradients[f"W{m}"], np.outer(delta, a[m - 1]), rtol=1e-12)
            np.testing.assert_allclose(result.gradients[f"b{m}"], delta, rtol=1e-12)


def test_item_7_the_callers_arrays_are_not_shared():
    point = {key: np.asarray(value, dtype=float) for key, value in POINT.items()}
    point["t"] = np.array([0.5])
    validated = point_layout(NET).validate(point)
    validated["W1"][0, 0] = 99.0
    assert point["W1"][0, 0] == 0.1


def test_item_7_layout_flattens_in_the_order_of_the_lecture_parameters():
    layout = parameter_layout(NET)
    numbered = {key: np.arange(np.prod(shape), dtype=float).reshape(shape) + 10 * k for k, (key, shape) in
                enumerate(layout.shapes)}
    # W1 row by row, then b1, then W2 and b2: W1_1_1, W1_1_2, W1_2_1, W1_2_2, b1_1, b1_2, W2_1_1, W2_1_2, b2_1.
    assert layout.flatten(numbered).tolist() == [0, 1, 2, 3, 10, 11, 20, 21, 30]
    assert layout.size == NET.parameter_count == 9
    back = layout.unflatten(layout.flatten(numbered))
    assert all(np.array_equal(back[key], numbered[key]) for key in layout.keys)
    with pytest.raises(SymbpError, match=r"\(9,\), got \(8,\)"):
        layout.unflatten(np.zeros(8))


# 8. check -e W2 and -e all, as check --help documents ----------------------------------------------------


def test_item_8_check_entries_takes_a_group():
    out = ok("check", "-e", "W2", "--layers", "2,2,1", *CONCRETE, "--points", "1").stdout
    rows = {match[1] for match in re.finditer(r"^([Wbza][0-9]+_[0-9_]+) ", out, re.MULTILINE)}
    assert rows == {"W2_1_1", "W2_1_2"}


def test_item_8_check_entries_takes_all():
    data = json.loads(ok("check", "-e", "all", "--layers", "1,1", *CONCRETE, "--points", "1", "-f", "json").stdout)
    assert {row["entry"] for row in data["rows"]} == {"W1_1_1", "b1_1", "z1_1", "a1_1"}


# 9. BOM, empty spec, W2_01_02, non-ASCII digits, NaN/Inf -----------------------------------------------


def test_item_9_spec_file_with_a_utf8_bom_is_read(tmp_path):
    file = tmp_path / "net.toml"
    file.write_bytes(b"\xef\xbb\xbf" + b'layers = [2, 3, 1]\ncost = "squared_error"\n')
    data = json.loads(ok("cost", "--spec", str(file), "--format", "json").stdout)
    assert data["network"]["layers"] == [2, 3, 1] and data["network"]["cost"] == "squared_error"


def test_item_9_point_file_with_a_utf8_bom_is_read(tmp_path):
    file = tmp_path / "point.json"
    file.write_bytes(b"\xef\xbb\xbf" + json.dumps(POINT).encode())
    ok("grad", "--point", str(file), "--layers", "2,2,1", *CONCRETE)


@pytest.mark.parametrize("text", ["", "\n  \n", "\ufeff"])
def test_item_9_empty_spec_file_is_an_error(tmp_path, text):
    line = spec_refused(tmp_path, "net.toml", text)
    assert "net.toml" in line and "empty" in line and "layers" in line


@pytest.mark.parametrize("name", ["W2_01_02", "W02_1_2", "b1_01", "W2_1_02"])
def test_item_9_entry_with_leading_zeros_is_refused(tmp_path, name):
    line = refused(tmp_path, "derive", name)
    assert repr(name) in line and "leading zero" in line and "W2_1_2" in line


@pytest.mark.parametrize("name", ["W\uff12_1_2", "W\u0662_\u0661_\u0662", "W2_\u00b9_2", "b\u09e7_1"])
def test_item_9_entry_with_non_ascii_digits_is_refused(tmp_path, name):
    line = refused(tmp_path, "derive", name)
    assert "ASCII digits" in line and "W2_1_2" in line


@pytest.mark.parametrize("sizes", ["\uff13,2,1", "3,\u0662,1", "3_0,2,1", "+3,2,1"])
def test_item_9_layers_with_non_ascii_digits_or_underscores_are_refused(tmp_path, sizes):
    line = refused(tmp_path, "derive", "--layers", sizes)
    assert "is not an integer" in line and "3,2,2,1" in line


@pytest.mark.parametrize("value, shown", [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf"), ("1e999", "inf")])
def test_item_9_nan_or_inf_in_a_point_file_is_refused(tmp_path, value, shown):
    line = grad_refuses(tmp_path, json.dumps(POINT).replace('"W2": [[0.5, 0.6]]', f'"W2": [[0.5, {value}]]'))
    assert "'W2'" in line and f"holds {shown} at index (0, 1)" in line and "finite" in line


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_item_9_nan_or_inf_refused_by_the_python_api(bad):
    with pytest.raises(SymbpError, match="'x' holds"):
        gradient_at(NET, point_with(x=np.array([1.0, bad])))


@pytest.mark.parametrize(
    "option, value, said",
    [
        ("--seed", "-1", "-1 is negative; give a seed of 0 or more"),
        ("--tol", "nan", "nan is not allowed; give a finite number of 0 or more"),
        ("--points", "99999999999999999999", "give a whole number from 1 to 10,000"),
    ],
)
def test_item_4_check_seed_minus_1_and_other_bad_numbers_are_one_line(tmp_path, option, value, said):
    line = refused(tmp_path, "check", "--layers", "2,2,1", *CONCRETE, option, value)
    assert said in line


def test_a_point_file_that_gives_a_key_twice_is_refused(tmp_path):
    """json.loads keeps the last of two "x" silently; the user meant one of them and must say which."""
    from test_cli import invoke

    point = tmp_path / "point.json"
    point.write_text('{"x": [1, 2], "x": [3, 4], "t": 0, "W1": [[0, 0]], "b1": [0]}')
    result = invoke("grad", "--point", str(point), "--layers", "2,1", "--activation", "sigmoid",
                    "--cost", "squared_error")
    assert result.exit_code == 2 and "'x' twice in one object" in result.stderr, result.stderr
