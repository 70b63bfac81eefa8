"""``symbp verify FILE.py:FUNCTION``: exit 0 on a match, 1 on a mismatch or a crash in the user's code
(with the user's traceback, not symbp's), 2 with one line for an unusable file, function or output.

The oracles are the hand-written students of tests/students/ and the mistakes planted in them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_cli import invoke

STUDENTS = Path(__file__).parent / "students"
NET = ("--layers", "3,4,2", "--activation", "sigmoid", "--cost", "squared_error")
SYMBP = str(Path(__file__).parent.parent / "symbp")


def verify(target: str, *args: str):
    return invoke("verify", target, *args)


def test_a_correct_function_matches():
    result = verify(f"{STUDENTS / 'correct_vectorised.py'}:backward", *NET, "--batch", "8")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("✓ your gradients match symbp's")


def test_a_buggy_function_fails_and_the_report_names_its_mistake():
    result = verify(f"{STUDENTS / 'bug_sigma_prime_missing_hidden.py'}:backward",
                    "--layers", "3,3,3,2", "--activation", "sigmoid", "--cost", "squared_error")
    assert result.exit_code == 1
    assert "σ′ is missing in layer 1" in result.stdout
    assert "Layer 3: W3 and b3 match." in result.stdout


def test_json_output_holds_the_diagnosis():
    result = verify(f"{STUDENTS / 'bug_bias_summed.py'}:backward", *NET, "--batch", "8", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert not data["passed"] and data["batch"] == 8
    assert data["diagnosis"]["explanations"] == [[
        {"kind": "bias_summed_not_averaged", "layers": [], "source": None,
         "description": "the bias gradients are summed over the batch, not averaged: N times the true ∂C/∂b"}]]
    assert {m["entry"] for m in data["mismatches"]} == {"b1_1", "b1_2", "b1_3", "b1_4", "b2_1", "b2_2"}


def test_a_function_that_raises_shows_the_users_traceback_without_symbps_frames():
    result = verify(f"{STUDENTS / 'raises.py'}:backward", *NET)
    assert result.exit_code == 1
    err = result.stderr
    assert err.startswith("Traceback (most recent call last):")
    assert 'raises.py", line 12, in backward' in err and 'raises.py", line 7, in helper' in err
    assert "ValueError: matmul" in err
    assert SYMBP not in err and "importlib" not in err
    assert err.rstrip().splitlines()[-1].startswith("symbp: verify:")


def test_a_file_that_raises_while_imported_shows_its_traceback(tmp_path):
    crashing = tmp_path / "crashing.py"
    crashing.write_text("import numpy\n\nLAYERS = numpy.zeros(3)[5]\n\n\ndef backward(params, x, t):\n    pass\n")
    result = verify(f"{crashing}:backward", *NET)
    assert result.exit_code == 1
    assert 'crashing.py", line 3, in <module>' in result.stderr and "IndexError" in result.stderr
    assert SYMBP not in result.stderr and "<frozen" not in result.stderr


def _one_line_error(result, *parts: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("symbp: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in result.stderr


@pytest.mark.parametrize("function,says", [
    ("missing_key", "grads is missing 'b1'; expected keys W1, b1, W2, b2"),
    ("transposed_shape", "grads['W1'] has shape (3, 4), expected (4, 3)"),
    ("nan_entry", "grads['W2'] holds nan at W2_1_2"),
])
def test_contract_errors_are_one_line_and_exit_2(function, says):
    _one_line_error(verify(f"{STUDENTS / 'contract_errors.py'}:{function}", *NET, "--batch", "8"), says)


def test_bad_targets_are_one_line_and_exit_2(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def backward(params, x, t)\n    return 0\n")
    _one_line_error(verify(f"{broken}:backward", *NET), "broken.py line 1: syntax error")
    _one_line_error(verify(f"{tmp_path / 'absent.py'}:backward", *NET), "absent.py", "does not exist")
    _one_line_error(verify(f"{STUDENTS / 'README.md'}:backward", *NET), "README.md", "not a Python file")
    _one_line_error(verify(f"{STUDENTS / 'raises.py'}:forward", *NET), "no function 'forward'", "backward, helper")
    _one_line_error(verify(str(STUDENTS / "raises.py"), *NET), "FILE.py:FUNCTION")
    _one_line_error(verify(f"{STUDENTS / 'raises.py'}:backward"), "abstract")  # no concrete network


@pytest.mark.parametrize("code", ["0", "3", "'bye'"])
def test_a_function_that_calls_sys_exit_never_passes(tmp_path, code):
    (tmp_path / "quits.py").write_text(f"import sys\n\n\ndef backward(params, x, t):\n    sys.exit({code})\n")
    result = invoke("verify", f"{tmp_path / 'quits.py'}:backward", "--layers", "2,2,1", "--activation", "sigmoid",
                    "--cost", "squared_error")
    assert result.exit_code == 1
    assert f"called sys.exit({code})" in result.stderr and result.stdout == ""


def test_a_function_of_the_wrong_signature_or_a_huge_cost_is_one_line(tmp_path):
    odd = tmp_path / "odd.py"
    odd.write_text("import numpy as np\n"
                   "def one_argument(params):\n    return 0.0, {}\n"
                   "def huge_cost(params, x, t):\n"
                   "    return 10**400, {k: np.zeros_like(v) for k, v in params.items()}\n")
    _one_line_error(verify(f"{odd}:one_argument", *NET), "one_argument(params)", "(params, x, t)")
    _one_line_error(verify(f"{odd}:huge_cost", *NET), "C must be a number", "an int of about 401 digits")
