"""The CLI works on every dependency version we declare, and the floors we declare are the ones CI tests.

``ci/matrix`` runs the suite on the lowest and the newest versions on Python 3.10 and 3.13; these
tests are what would fail there first (with Typer 0.12 and click 8.3, ``--version`` fired on every call).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.version import Version
from typer.main import get_command
from typer.testing import CliRunner

from symbp.cli import app
from test_cli import make_runner

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which("symbp")
COMMAND = [SCRIPT] if SCRIPT else [sys.executable, "-m", "symbp.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, encoding="utf-8", timeout=120,
                          check=False)


def test_derive_with_no_arguments_prints_the_lecture_derivations_not_the_version():
    result = run("derive")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # The lecture's network: 3 inputs, two hidden layers of 2, one output; its two exercises.
    assert lines[0].startswith("network 3,2,2,1 (L = 3)"), lines[:3]
    assert "∂C/∂W⁽²⁾₁₂" in result.stdout and "∂C/∂W⁽¹⁾₂₃" in result.stdout
    assert not any(line.startswith("symbp ") for line in lines)


def test_version_option_prints_the_installed_version_and_nothing_else():
    result = run("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"symbp {version('symbp')}\n", "")


def test_no_command_runs_the_version_option_unless_given():
    group = get_command(app)
    for name in group.commands:
        result = make_runner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert result.output.startswith(f"Usage: symbp {name} "), (name, result.output[:80])


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
def test_importing_a_submodule_leaves_the_function_of_the_same_name():
    # No function shares its name with a module (check lives in symbp.checking, grade in symbp.grading).
    code = (
        "import symbp, symbp.checking, symbp.grading, symbp.render.documents;"
        " print(callable(symbp.check), callable(symbp.grade), callable(symbp.render))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.stdout.split() == ["True", "True", "False"], result.stderr


def _floors(python: str, *extras: str) -> dict[str, Version]:
    """The ``>=`` floor of each runtime dependency (and of each extra named) in pyproject.toml, on one Python."""
    environment = {**default_environment(), "python_version": python, "python_full_version": f"{python}.0"}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    floors = {}
    for line in [*project["dependencies"], *(line for extra in extras for line in project["optional-dependencies"][extra])]:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            (floor,) = [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
            floors[requirement.name.lower()] = floor
    return floors


def _pins(path: Path) -> dict[str, Version]:
    lines = (line.split("#")[0].strip() for line in path.read_text("utf-8").splitlines())
    return {name.lower(): Version(pinned) for name, pinned in (line.split("==") for line in lines if line)}


def test_the_lowest_constraints_pin_exactly_the_declared_floors():
    # 3.10 pins the test tools too; on 3.13 pip takes test tools new enough for it.
    floors = _floors("3.10", "test")
    del floors["build"]  # not installed by the tests: the wheel test builds with pip
    assert _pins(ROOT / "ci" / "lowest-py310.txt") == floors
    assert _pins(ROOT / "ci" / "lowest-py313.txt") == _floors("3.13")
    assert _pins(ROOT / "ci" / "click-oldest.txt") == {"click": Version("8.0.0")}  # typer 0.15.4: click>=8.0.0,<8.2
