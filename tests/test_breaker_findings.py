"""What an attack on every command found, each a test: inputs that blocked, tracebacks, API errors of the wrong type."""

from __future__ import annotations

import os

import pytest

import symbp
from symbp.printers.base import format_number
from test_cli import invoke
from test_input_strict import refused

CONCRETE = ("--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error")


@pytest.mark.parametrize("option", ["--spec", "--point"])
def test_a_fifo_as_an_input_file_is_refused_instead_of_blocking(tmp_path, option):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    command = ("derive", option, str(fifo)) if option == "--spec" else ("grad", option, str(fifo), *CONCRETE)
    assert "is not a regular file (a FIFO, device or socket)" in refused(tmp_path, *command)


def test_a_template_that_is_not_utf8_is_one_line(tmp_path):
    template = tmp_path / "bad.tex.jinja"
    template.write_bytes(b"\xff\xfe<%= title %>")
    assert "is not UTF-8 text" in refused(tmp_path, "render", "--template", str(template))


def test_an_answer_whose_value_overflows_is_graded_incorrect_without_a_traceback():
    result = invoke("grade", "--entry", "W2_1_2", "--answer", "exp(exp(exp(exp(exp(1000)))))")
    assert result.exit_code == 1 and "Traceback" not in result.stderr + result.stdout
    assert "W2_1_2: incorrect" in result.stdout and "the answer is nan" in result.stdout


@pytest.mark.parametrize("value, shown", [(float("inf"), "inf"), (float("-inf"), "-inf"), (float("nan"), "nan"),
                                          (1e308, "1e+308")])
def test_numbers_out_of_decimals_range_still_print(value, shown):
    assert format_number(value, 4) == shown


def test_asking_a_derivation_for_what_it_does_not_hold_is_a_symbp_error():
    bp = symbp.backprop(symbp.Network(), ["W2_1_2"])
    with pytest.raises(symbp.SymbpError, match="W9_9_9"):
        bp.gradient("W9_9_9")
    with pytest.raises(symbp.SymbpError, match="layers are 1..3"):
        bp.delta(0, 1)


def test_train_epochs_are_bounded(tmp_path):
    assert "from 1 to 1,000,000" in refused(tmp_path, "train", "--data", "xor", "--epochs", "1000000000")


# Newer click (bundled with Typer) reads '' as the current folder and says "file '' is a directory".
@pytest.mark.parametrize("option", [["derive", "W2_1_2", "--out"], ["grad", "--point"], ["derive", "--spec"]])
def test_an_empty_path_is_called_empty_not_a_directory(option: list[str]):
    result = invoke(*option, "")
    assert result.exit_code == 2 and "an empty path; give a file name" in result.stderr, result.stderr
