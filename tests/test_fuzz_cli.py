"""Issue 8: a Hypothesis fuzzer over the command line and over the bytes of spec and point files.

Whatever the input: no traceback, exit status 0, 1 or 2, and on exit 2 one line
``symbp: error: ...`` and no file written. Runs in-process with CliRunner on small
networks. ``SYMBP_FUZZ=long`` selects a long session (5,000 examples a test), e.g.
``SYMBP_FUZZ=long python -m pytest tests/test_fuzz_cli.py -n0 -p no:randomly``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from test_cli import invoke

LONG = os.environ.get("SYMBP_FUZZ") == "long"
FUZZ = settings(
    max_examples=5000 if LONG else 50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

COMMANDS = ["derive", "check", "grad", "cost", "algorithm", "codegen", "picture", "render", "frobnicate"]
ACTIVATIONS = ["abstract", "identity", "sigmoid", "tanh", "relu", "softplus", "leaky_relu", "swish", ""]
COSTS = ["abstract", "squared_error", "binary_cross_entropy", "hinge"]
ODD = ["", " ", "-", "--", "\x00", "é", "δ", "\u200b", "\ufeff", "\U0001f600", "\uff13", "\u0662", "¹", "\n"]

small_size = st.integers(min_value=-1, max_value=3).map(str)
layer_strings = st.one_of(
    st.lists(small_size, min_size=0, max_size=4).map(",".join),
    st.sampled_from(["1,,1", "2,1,", "３,1", "1_0,1", "+1,1", "9" * 30 + ",1", "9" * 5000 + ",1", "1e3,1", "0x2,1"]),
    st.text(max_size=8),
)
numbers = st.one_of(
    st.integers(min_value=-3, max_value=3).map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "0.5", "1e-300", "9" * 5000, "-0", "１"]),
)
entry_names = st.one_of(
    st.sampled_from(["W1_1_1", "W2_1_2", "W1", "b1", "z1", "a1", "all", "W2_01_02", "W２_1_2", "W0_1_1", "b1_1_1", "W1_1"]),
    st.from_regex(r"[Wbzaxq][0-9]{0,3}(_[0-9]{0,3}){0,3}", fullmatch=True),
    st.text(max_size=6),
)
names = st.one_of(st.sampled_from(ACTIVATIONS), st.sampled_from(COSTS), st.text(max_size=6))
METHODS = ["naive", "backprop", "reference", "all", "sympy"]
FORMATS = ["text", "json", "latex", "markdown", "dot", "svg", "png", "xml"]

# An option and a strategy for its value; None for flags.
OPTIONS: list[tuple[str, st.SearchStrategy[str] | None]] = [
    ("--layers", layer_strings),
    ("--activation", st.sampled_from(ACTIVATIONS)),
    ("--activations", st.lists(st.sampled_from(ACTIVATIONS), max_size=3).map(",".join)),
    ("--cost", st.sampled_from(COSTS)),
    ("--method", st.sampled_from(METHODS)),
    ("--format", st.sampled_from(FORMATS)),
    ("-e", entry_names),
    ("--points", numbers),
    ("--seed", numbers),
    ("--tol", numbers),
    ("--max-paths", numbers),
    ("--max-size", numbers),
    ("--title", st.text(max_size=8)),
    ("--template", st.sampled_from(["notes.tex", "slides.tex", "notes.md", "nope.tex", ""])),
    ("--force", None),
    ("--help", None),
    ("--version", None),
]


POSITIONAL_ENTRIES = ("derive", "cost", "picture")


@st.composite
def tokens(draw: st.DrawFn, command: str) -> list[str]:
    """Options with values (sometimes missing), entry names and odd strings; mostly well formed, so
    that most examples get past the parser into the commands."""
    out: list[str] = []
    if draw(st.booleans()):  # a concrete network, so numbers are tried
        out += ["--activation", draw(st.sampled_from(ACTIVATIONS[1:-1])), "--cost", draw(st.sampled_from(COSTS[1:-1]))]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 9))
        if kind < 6:
            option, values = draw(st.sampled_from(OPTIONS))
            out.append(option)
            if values is not None and draw(st.integers(0, 9)) > 0:  # sometimes the value is missing
                out.append(draw(values))
        elif kind < 8:
            out += [draw(entry_names)] if command in POSITIONAL_ENTRIES else ["-e", draw(entry_names)]
        else:
            out.append(draw(st.one_of(st.sampled_from(ODD), names, numbers)))
    return out


def small(command: str, args: list[str]) -> list[str]:
    """Keep the work small: a tiny network (and one point for check) unless the arguments chose otherwise."""
    extra = [] if "--layers" in args or command == "frobnicate" else ["--layers", "2,1"]
    if command == "check" and "--points" not in args:
        extra += ["--points", "1"]
    return extra


def assert_well_behaved(args: list[str], folder: Path) -> None:
    before = sorted(p.name for p in folder.iterdir())
    result = invoke(*args)
    stderr = result.stderr
    event(f"exit status {result.exit_code}")  # shown by --hypothesis-show-statistics
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, stderr, result.exception)
    assert "Traceback" not in stderr and "Traceback" not in result.stdout, (args, stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    if result.exit_code == 2:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("symbp: error: "), (args, stderr)
        assert sorted(p.name for p in folder.iterdir()) == before, (args, stderr)


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
@FUZZ
@given(command_args=st.sampled_from(COMMANDS).flatmap(lambda c: st.tuples(st.just(c), tokens(c))),
       to_file=st.booleans())
def test_fuzz_command_lines(command_args, to_file):
    command, args = command_args
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        out = ["--out", str(folder / "out.txt")] if to_file else []
        point = folder / "point.json"
        point.write_text(json.dumps({"x": [0.5, -1], "t": 0.25, "W1": [[0.1, 0.2]], "b1": [0.0]}))
        before_point = ["--point", str(point)] if command == "grad" else []
        # The fuzzed tokens come last, so they may override the defaults that keep the work small.
        assert_well_behaved([command, *small(command, args), *before_point, *out, *args], folder)


SPEC_SEEDS = [
    b'layers = [2, 1]\nactivations = "sigmoid"\ncost = "squared_error"\n',
    b'{"layers": [2, 2, 1], "activations": ["tanh", "sigmoid"], "cost": "binary_cross_entropy"}',
    b"layers = [1, 1]\n",
    b"",
]
POINT_SEED = json.dumps({"x": [0.5, -1], "t": 0.25, "W1": [[0.1, 0.2]], "b1": [0.0]}).encode()


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed file with a few bytes replaced, inserted or deleted; or random bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=64))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.one_of(
            st.binary(min_size=1, max_size=3),
            st.sampled_from([b"\xef\xbb\xbf", b"NaN", b"Infinity", b"1e999", b"9" * 500, b"9" * 4400, b"[" * 2000,
                             b"true", b"null", b'"', b"\xff", "δ".encode(), b"-0", b"0.0", b"[]", b"{}"]),
        ))
        cut = draw(st.integers(0, 3))
        data[at : at + cut] = piece
    return bytes(data)


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
@FUZZ
@given(data=mutated(SPEC_SEEDS), suffix=st.sampled_from([".toml", ".json", ".txt", ""]),
       command=st.sampled_from([["cost"], ["derive", "--method", "backprop"], ["algorithm"]]))
def test_fuzz_spec_file_bytes(data, suffix, command):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        spec = folder / f"net{suffix}"
        spec.write_bytes(data)
        assert_well_behaved([*command, "--spec", str(spec), "--max-size", "40", "--out", str(folder / "out.txt")], folder)


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
@FUZZ
@given(data=mutated([POINT_SEED]), method=st.sampled_from(["backprop", "naive"]),
       format=st.sampled_from(["text", "json"]))
def test_fuzz_point_file_bytes(data, method, format):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        point = folder / "point.json"
        point.write_bytes(data)
        args = ["grad", "--point", str(point), "--layers", "2,1", "--activation", "sigmoid", "--cost",
                "squared_error", "--method", method, "--format", format, "--out", str(folder / "out.txt")]
        assert_well_behaved(args, folder)
