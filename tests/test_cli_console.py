"""The installed ``symbp`` console script, run as a user runs it: in a subprocess, output piped."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from tools import require_programs

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

SCRIPT = shutil.which("symbp")
COMMAND = [SCRIPT] if SCRIPT else [sys.executable, "-m", "symbp.cli"]


def run(*args: str, command: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(command or COMMAND), *args], capture_output=True, text=True, encoding="utf-8",
                          timeout=120, check=False)


def test_console_script_is_installed_and_answers_help():
    require_programs("symbp", hint="pip install -e .")
    result = run("--help", command=[SCRIPT])
    assert result.returncode == 0 and "derive" in result.stdout and result.stderr == ""


def test_module_entry_point_runs_too():
    result = run("--version", command=[sys.executable, "-m", "symbp.cli"])
    assert result.returncode == 0 and result.stdout.startswith("symbp ")


def test_help_loads_neither_sympy_nor_numpy():
    # What makes `symbp --help` fast: the heavy libraries load inside the commands only.
    code = (
        "import sys\n"
        "from symbp.cli import main\n"
        "sys.argv = ['symbp', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('sympy', 'numpy', 'jinja2') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_derive_default_piped_is_plain_text_with_no_progress_output():
    result = run("derive")
    assert result.returncode == 0 and result.stderr == ""
    assert "∂C/∂W⁽²⁾₁₂ = ∂C/∂a⁽³⁾ · ∂a⁽³⁾/∂z⁽³⁾ · ∂z⁽³⁾/∂a⁽²⁾₁ · ∂a⁽²⁾₁/∂z⁽²⁾₁ · ∂z⁽²⁾₁/∂W⁽²⁾₁₂" in result.stdout
    assert "\x1b[" not in result.stdout  # no terminal escapes when piped


def test_usage_error_is_one_line_without_a_box_or_traceback():
    result = run("derive", "--no-such-option")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("symbp: error: No such option")
    assert "╭" not in result.stderr and "Traceback" not in result.stderr


def test_library_error_is_one_line():
    result = run("derive", "W9_1_1")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "W9_1_1" in result.stderr


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
def test_check_exit_status_from_the_shell():
    passing = run("check", "--layers", "2,1", "--activation", "tanh", "--cost", "squared_error",
                  "--points", "2", "--format", "json")
    assert passing.returncode == 0 and json.loads(passing.stdout)["passed"] is True
    assert passing.stderr == ""  # no progress bar when piped
    # --tol 0 is no disagreement: finite differences are judged by their own error estimate,
    # and a disagreement needs a counterexample (exit 1 is tested with a planted wrong derivative).
    strict = run("check", "--layers", "2,1", "--activation", "tanh", "--cost", "squared_error",
                 "--points", "2", "--tol", "0")
    assert strict.returncode == 0 and "check failed" not in strict.stderr
