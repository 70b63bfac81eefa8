"""The README's sample sessions are what the tool prints today.

Oracle: the README itself. Each code block with ``$ symbp ...`` lines is replayed in a fresh
folder; every output line the README shows (``...`` elides) must appear in the command's
output, in the README's order. A ``$ cat FILE`` whose file does not exist yet writes the
shown content first, as the reader would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

README = (Path(__file__).parent.parent / "README.md").read_text()


@dataclass
class Step:
    command: str
    shown: list[str] = field(default_factory=list)


def sessions() -> list[list[Step]]:
    """Every fenced block that holds at least one ``$ `` command, as its commands and shown lines."""
    found = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", README, flags=re.M | re.S):
        steps: list[Step] = []
        for line in block.splitlines():
            if steps and steps[-1].command.endswith("\\") and not steps[-1].shown:
                steps[-1].command += "\n" + line  # a command continued on the next line
            elif line.startswith("$ "):
                steps.append(Step(line[2:]))
            elif steps:
                steps[-1].shown.append(line)
        if steps:
            found.append(steps)
    return found


SESSIONS = [s for s in sessions() if any(step.shown for step in s)]


def appears_in_order(shown: list[str], output: str) -> str | None:
    """The first shown line missing from output (after the previous one), or None."""
    lines = [line.rstrip() for line in output.splitlines()]
    at = 0
    for expected in (line.rstrip() for line in shown):
        if expected in ("", "..."):
            continue
        while at < len(lines) and lines[at] != expected:
            at += 1
        if at == len(lines):
            return expected
        at += 1
    return None


def test_the_readme_has_sample_sessions_to_replay():
    commands = [step.command for session in SESSIONS for step in session]
    assert any(c.startswith("symbp grade") for c in commands) and any(c.startswith("symbp grad ") for c in commands)


@pytest.mark.slow  # a dozen subprocesses: .ci/run runs it (pytest -m slow)
@pytest.mark.parametrize("session", SESSIONS, ids=lambda s: s[0].command.split("\n")[0][:60])
def test_a_readme_session_prints_what_the_readme_shows(session, tmp_path):
    if shutil.which("symbp") is None:
        pytest.fail("the symbp command is not on PATH: install the package (pip install .)")
    environment = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    for step in session:
        cat = re.fullmatch(r"cat (\S+)", step.command)
        if cat and not (tmp_path / cat.group(1)).exists():
            (tmp_path / cat.group(1)).write_text("\n".join(step.shown) + "\n")
            continue
        result = subprocess.run(["bash", "-c", step.command], cwd=tmp_path, env=environment,
                                capture_output=True, text=True, timeout=120)
        missing = appears_in_order(step.shown, result.stdout + result.stderr)
        assert missing is None, f"$ {step.command}\nthe README shows {missing!r}; the tool printed:\n{result.stdout}{result.stderr}"
