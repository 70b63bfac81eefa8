"""What render, picture, train and grade do is library work, callable from Python; the commands only write it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import symbp
from symbp.cli import app
from symbp.grading import check_grade_options, grade_answers
from symbp.render.output import picture_file, render_file
from symbp.train import train_on

SIGMOID = symbp.Network([3, 2, 2, 1], "sigmoid", "squared_error")
NETWORK_OPTIONS = ["--activation", "sigmoid", "--cost", "squared_error"]


def stdout(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_render_and_picture_write_what_the_library_returns():
    assert render_file(SIGMOID, "notes.md", ["W2_1_2"]) == stdout("render", "--template", "notes.md", "-e", "W2_1_2",
                                                                   *NETWORK_OPTIONS)
    assert picture_file(SIGMOID, "W1_2_3") == stdout("picture", "W1_2_3", *NETWORK_OPTIONS)
    with pytest.raises(symbp.SymbpError, match="--format png writes a binary file"):
        picture_file(SIGMOID, format="png")


def test_training_from_python_gives_the_commands_report_and_point_file():
    training = train_on("xor", epochs=3, seed=1)
    data = json.loads(training.report("json"))
    # Three epochs: the cost before training and after each of them.
    assert len(data["costs"]) == 4 and data["final_cost"] == data["costs"][-1]
    point = json.loads(training.point_file())
    assert point["x"] == [0.0, 0.0] and set(point) == {"x", "t", "W1", "b1", "W2", "b2"}
    assert training.report("text").splitlines()[1] == "3 epochs, learning rate 0.5, batch size 4, seed 1"


def test_grading_one_answer_from_python():
    net = symbp.Network()
    check_grade_options(net, entry="W2_1_2", answer="delta2_1 * a1_2", answers=None, report=None, sheet=None)
    # The lecture: dC/dW^{(2)}_{12} = delta^{(2)}_1 a^{(1)}_2.
    assert grade_answers(net, entry="W2_1_2", answer="delta2_1 * a1_2").status == 0
    assert grade_answers(net, entry="W2_1_2", answer="delta2_1 * a1_1").status == 1
    with pytest.raises(symbp.SymbpError, match="--answer needs --entry"):
        check_grade_options(net, entry=None, answer="delta2_1 * a1_2", answers=None, report=None, sheet=None)
