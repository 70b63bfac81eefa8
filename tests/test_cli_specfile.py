"""Reading --spec files and merging them with command-line options (symbp.specfile)."""

from __future__ import annotations

import json

import pytest

from symbp.errors import SymbpError
from symbp.specfile import network_arguments, parse_layers, read_spec
from test_cli import invoke


def test_toml_and_json_give_the_same_arguments(tmp_path):
    toml = tmp_path / "net.toml"
    toml.write_text('layers = [3, 2, 1]\nactivations = ["tanh", "sigmoid"]\ncost = "binary_cross_entropy"\n')
    as_json = tmp_path / "net.json"
    as_json.write_text(json.dumps({"layers": [3, 2, 1], "activations": ["tanh", "sigmoid"], "cost": "binary_cross_entropy"}))
    expected = {"layers": (3, 2, 1), "activations": ("tanh", "sigmoid"), "cost": "binary_cross_entropy"}
    assert read_spec(toml) == expected == read_spec(as_json)


def test_a_file_without_a_known_suffix_is_sniffed(tmp_path):
    spec = tmp_path / "network"
    spec.write_text('{"layers": [1, 1]}')
    assert read_spec(spec) == {"layers": (1, 1)}
    spec.write_text("layers = [1, 1]\n")
    assert read_spec(spec) == {"layers": (1, 1)}


def test_options_override_the_file_and_absent_keys_stay_absent(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('layers = [3, 2, 1]\nactivations = "tanh"\n')
    assert network_arguments(spec, cost="squared_error", activations="relu, identity") == {
        "layers": (3, 2, 1), "activations": ("relu", "identity"), "cost": "squared_error"}
    assert network_arguments() == {}


@pytest.mark.parametrize(
    "content, says",
    [
        ('cost = ["squared_error"]\n', "must be one name"),
        ("activations = 3\n", "one name or a list"),
        ('activations = ["tanh", 1]\n', "one name or a list"),
        ("[1, 2]", "must hold a table/object"),
    ],
)
def test_wrong_types_are_named(tmp_path, content, says):
    spec = tmp_path / ("net.json" if content.startswith("[") else "net.toml")
    spec.write_text(content)
    with pytest.raises(SymbpError, match=says):
        read_spec(spec)


def test_a_toml_error_at_the_end_still_names_a_line(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('cost = "squared_error"\nlayers = [3, 2, 1\n')
    with pytest.raises(SymbpError, match="line 2"):
        read_spec(spec)


def test_layers_parsing():
    assert parse_layers(" 3, 2 ,1") == (3, 2, 1)
    with pytest.raises(SymbpError, match="'x' is not an integer"):
        parse_layers("3,x")
    with pytest.raises(SymbpError, match="empty"):
        parse_layers("  ")


def test_activation_and_activations_together_are_refused_on_the_command_line():
    result = invoke("cost", "--activation", "tanh", "--activations", "tanh,tanh,tanh")
    assert result.exit_code == 2
    assert "--activation 'tanh' and --activations 'tanh,tanh,tanh' both given" in result.stderr


def test_a_wrong_type_in_a_spec_file_is_one_line_on_the_command_line(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text("[layers]\nsizes = [3, 1]\n")
    result = invoke("cost", "--spec", str(spec))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "layers" in result.stderr
