"""The CLI through Typer's CliRunner: every command, checked against oracles written here.

Expected values come from the lecture (factor lists, path counts), from formulas
written out in the tests (product of widths), or from a NumPy backprop written
out below; never from symbp's own output.
"""

from __future__ import annotations

import json
import math
import random
import re
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
from tools import require_programs
import sympy as sp
from typer.testing import CliRunner

from symbp.cli import app


def make_runner() -> CliRunner:
    try:  # click < 8.2 mixes stderr into stdout unless told not to
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


RUNNER = make_runner()


def invoke(*args: str):
    return RUNNER.invoke(app, list(args))


def ok(*args: str):
    """Run a command that must succeed; show its stderr when it does not."""
    result = invoke(*args)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result


CONCRETE = ("--activation", "sigmoid", "--cost", "squared_error")


# derive ---------------------------------------------------------------------------------------------


def test_derive_without_arguments_prints_the_lecture_exercises_naive_and_backprop():
    out = ok("derive").stdout
    # The lecture's solution slides, written out by hand in symbp's Unicode notation.
    assert "∂C/∂W⁽²⁾₁₂ = ∂C/∂a⁽³⁾ · ∂a⁽³⁾/∂z⁽³⁾ · ∂z⁽³⁾/∂a⁽²⁾₁ · ∂a⁽²⁾₁/∂z⁽²⁾₁ · ∂z⁽²⁾₁/∂W⁽²⁾₁₂" in out
    assert "= ∂C/∂a⁽³⁾ · σ⁽³⁾′(z⁽³⁾) · w⁽³⁾₁ · σ⁽²⁾′(z⁽²⁾₁) · a⁽¹⁾₂" in out
    assert "1 path of 5 factors" in out and "2 paths of 7 factors" in out
    assert "(base case)" in out and "(recursive case)" in out
    assert "δ⁽¹⁾₂ = (δ⁽²⁾₁ · W⁽²⁾₁₂ + δ⁽²⁾₂ · W⁽²⁾₂₂) · σ⁽¹⁾′(z⁽¹⁾₂)" in out
    assert "δ⁽²⁾₁ · a⁽¹⁾₂" in out and "δ⁽¹⁾₂ · a⁽⁰⁾₃" in out
    assert "reference" not in out.lower() and "sympy.diff" not in out


def _entries(stdout: str) -> list[dict]:
    return json.loads(stdout)["entries"]


def test_derive_json_has_the_lecture_paths_and_factors():
    data = json.loads(ok("derive", "--format", "json").stdout)
    entries = data["entries"]
    naive = {e["entry"]: e for e in entries if e["method"] == "naive"}
    assert set(naive) == {"W2_1_2", "W1_2_3"}
    assert {e["entry"] for e in entries if e["method"] == "backprop"} == {"W2_1_2", "W1_2_3"}
    # The lecture: one path of five factors, two paths of seven.
    assert [len(p) for p in naive["W2_1_2"]["paths"]] == [5]
    assert [len(p) for p in naive["W1_2_3"]["paths"]] == [7, 7]
    for entry in entries:
        assert {"entry", "method", "latex", "expression" if entry["method"] == "naive" else "formula"} <= set(entry)
        for path in entry.get("paths", []):
            assert all(isinstance(f["latex"], str) and f["latex"] for f in path)
    # C' · σ⁽³⁾'(z⁽³⁾) · w⁽³⁾₁ · σ⁽²⁾'(z⁽²⁾₁) · a⁽¹⁾₂, in symbp's symbol names.
    lecture = sp.sympify("dC_da3_1 * dsigma3_1 * W3_1_1 * dsigma2_1 * a1_2")
    assert sp.sympify(naive["W2_1_2"]["expression"]) == lecture
    assert [sp.sympify(f["expression"]) for f in naive["W2_1_2"]["paths"][0]] == list(
        sp.sympify(["dC_da3_1", "dsigma3_1", "W3_1_1", "dsigma2_1", "a1_2"])
    )
    backprop = {e["entry"]: e for e in entries if e["method"] == "backprop"}
    # Backprop's JSON keeps each delta once: substitute them back into the formula.
    deltas = {sp.Symbol(d["delta"]): sp.sympify(d["formula"]) for d in data["backprop"][0]["deltas"]}
    unrolled = sp.sympify(backprop["W2_1_2"]["formula"])
    while unrolled.free_symbols & set(deltas):
        unrolled = unrolled.subs(deltas)
    assert sp.expand(unrolled - lecture) == 0
    assert sp.sympify(backprop["W1_2_3"]["formula"]) == sp.sympify("delta1_2 * a0_3")


def test_derive_reference_json_is_sympy_diff_of_the_written_out_cost():
    entries = _entries(ok("derive", "b1_1", "W1_1_1", "--method", "reference", "--format", "json",
                          "--layers", "1,1", "--activation", "identity", "--cost", "squared_error").stdout)
    x, w, b, t = sp.symbols("a0_1 W1_1_1 b1_1 t_1")
    cost = (w * x + b - t) ** 2 / 2
    got = {e["entry"]: sp.sympify(e["expression"]) for e in entries}
    assert [e["method"] for e in entries] == ["reference", "reference"]
    assert sp.expand(got["W1_1_1"] - sp.diff(cost, w)) == 0
    assert sp.expand(got["b1_1"] - sp.diff(cost, b)) == 0


def test_derive_method_all_gives_three_methods_per_entry_and_a_group_expands():
    entries = _entries(ok("derive", "W2", "--method", "all", "--format", "json").stdout)
    names = ["W2_1_1", "W2_1_2", "W2_2_1", "W2_2_2"]
    for method in ("naive", "backprop", "reference"):
        assert [e["entry"] for e in entries if e["method"] == method] == names


def test_derive_formats_latex_and_markdown():
    latex = ok("derive", "W2_1_2", "--method", "naive", "--format", "latex").stdout
    assert r"\begin{align*}" in latex and r"W^{(2)}_{12}" in latex
    markdown = ok("derive", "W2_1_2", "--format", "markdown").stdout
    assert markdown.count("$$") >= 4 and r"\delta^{(2)}_{1}" in markdown


def test_derive_max_paths_budget_and_raising_it():
    net = ("--layers", "2,3,4,3,1")  # W1_1_1 has 4 * 3 * 1 = 12 paths
    refused = invoke("derive", "W1_1_1", "--method", "naive", *net, "--max-paths", "11")
    assert refused.exit_code == 2 and "12" in refused.stderr and "--max-paths" in refused.stderr
    entries = _entries(ok("derive", "W1_1_1", "--method", "naive", "--format", "json", *net,
                          "--max-paths", "12").stdout)
    # Each path: dC/da⁽⁴⁾, then (da/dz, dz/da) for each of three layers, then da/dz, dz/dW: 9 factors.
    assert [len(p) for p in entries[0]["paths"]] == [9] * 12


def test_derive_help_states_the_library_budget():
    from symbp.derive import DEFAULT_MAX_PATHS

    text = " ".join(ok("derive", "--help").stdout.split())
    assert f"default {DEFAULT_MAX_PATHS})" in text


def test_derive_defaults_to_existing_entries_on_another_network():
    entries = _entries(ok("derive", "--layers", "4,2", "--format", "json").stdout)
    assert entries and all(e["entry"].startswith("W1_") for e in entries)


# check ----------------------------------------------------------------------------------------------


def _entry_count(layers: list[int]) -> int:
    """W, b, z and a entries: D(m) D(m-1) weights and three D(m)-vectors per layer."""
    return sum(layers[m] * layers[m - 1] + 3 * layers[m] for m in range(1, len(layers)))


def test_check_passes_on_a_concrete_network_with_a_row_per_entry():
    result = ok("check", "--layers", "2,2,1", *CONCRETE, "--points", "2", "--format", "json")
    data = json.loads(result.stdout)
    assert data["passed"] is True and data["failures"] == []
    assert len({row["entry"] for row in data["rows"]}) == _entry_count([2, 2, 1])
    assert {"naive", "backprop", "reference"} <= {row["method"] for row in data["rows"]}


def test_check_text_table_and_exit_status_one_when_methods_disagree(monkeypatch):
    # A real disagreement: tanh' planted as 1 - a (not 1 - a^2) where naive and backprop read it.
    from symbp import activations
    from symbp.graph import build_graph
    from symbp.numeric import evaluator_for

    monkeypatch.setitem(activations.ACTIVATIONS, "tanh", activations.Activation("tanh", sp.tanh, lambda z, a: 1 - a))
    build_graph.cache_clear()
    evaluator_for.cache_clear()
    try:
        result = invoke("check", "--layers", "2,1", "--activation", "tanh", "--cost", "squared_error",
                        "--points", "2")
    finally:
        build_graph.cache_clear()
        evaluator_for.cache_clear()
    assert result.exit_code == 1
    assert "counterexample to W1_1_1 backprop: backprop = " in result.stdout and "finite difference = " in result.stdout
    assert "symbp: check failed" in result.stderr and "W1_1_1" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_on_the_abstract_lecture_network_is_a_symbolic_proof():
    result = ok("check", "--entries", "W2_1_2,W1_2_3")
    assert "proved symbolically" in result.stdout and "4 comparisons: 4 proved" in result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith(("W2_1_2", "W1_2_3"))]
    assert len(lines) == 2 and all(line.split()[1:] == ["proved", "proved"] for line in lines)


# grad -----------------------------------------------------------------------------------------------

SIGMA = {
    "tanh": (np.tanh, lambda a: 1 - a**2),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
    "identity": (lambda z: z, lambda a: np.ones_like(a)),
}
COST = {
    "squared_error": (lambda a, t: 0.5 * np.sum((a - t) ** 2), lambda a, t: a - t),
    "binary_cross_entropy": (
        lambda a, t: -np.sum(t * np.log(a) + (1 - t) * np.log(1 - a)),
        lambda a, t: -t / a + (1 - t) / (1 - a),
    ),
}


def numpy_backprop(point: dict, activations: list[str], cost: str) -> tuple[float, dict]:
    """The lecture's algorithm written out in NumPy: forward pass, then deltas from the output down."""
    L = len(activations)
    a = [np.asarray(point["x"], dtype=float)]
    for m in range(1, L + 1):
        z = np.asarray(point[f"W{m}"]) @ a[-1] + np.asarray(point[f"b{m}"])
        a.append(SIGMA[activations[m - 1]][0](z))
    t = np.atleast_1d(np.asarray(point["t"], dtype=float))
    value, dC_da = COST[cost]
    grads: dict[str, np.ndarray] = {}
    delta = dC_da(a[L], t) * SIGMA[activations[L - 1]][1](a[L])
    for m in range(L, 0, -1):
        grads[f"W{m}"] = np.outer(delta, a[m - 1])
        grads[f"b{m}"] = delta
        if m > 1:
            delta = (np.asarray(point[f"W{m}"]).T @ delta) * SIGMA[activations[m - 2]][1](a[m - 1])
    return float(value(a[L], t)), grads


def random_point(layers: list[int], seed: int, unit_targets: bool) -> dict:
    rng = np.random.default_rng(seed)
    point = {"x": rng.uniform(-1, 1, layers[0]).tolist()}
    point["t"] = rng.uniform(0.1, 0.9, layers[-1]).tolist() if unit_targets else rng.uniform(-1, 1, layers[-1]).tolist()
    for m in range(1, len(layers)):
        point[f"W{m}"] = rng.uniform(-1, 1, (layers[m], layers[m - 1])).tolist()
        point[f"b{m}"] = rng.uniform(-1, 1, layers[m]).tolist()
    return point


@pytest.mark.parametrize("method", ["naive", "backprop", "reference"])
@pytest.mark.parametrize(
    "layers, activations, cost",
    [([2, 3, 2], ["tanh", "sigmoid"], "binary_cross_entropy"), ([3, 2, 1], ["sigmoid", "identity"], "squared_error")],
    ids=["2-3-2-bce", "3-2-1-se"],
)
def test_grad_matches_a_numpy_backprop_written_in_the_test(tmp_path, method, layers, activations, cost):
    point = random_point(layers, seed=len(layers) + layers[0], unit_targets=cost == "binary_cross_entropy")
    if layers[-1] == 1:
        point["t"] = point["t"][0]  # one number when D(L) = 1, as the issue allows
    file = tmp_path / "point.json"
    file.write_text(json.dumps(point))
    result = ok("grad", "--point", str(file), "--method", method, "--format", "json",
                "--layers", ",".join(map(str, layers)), "--activations", ",".join(activations), "--cost", cost)
    data = json.loads(result.stdout)
    expected_cost, expected = numpy_backprop(point, activations, cost)
    assert data["method"] == method
    assert math.isclose(data["C"], expected_cost, rel_tol=1e-12)
    assert set(data["grad"]) == set(expected)
    for key, value in expected.items():
        assert np.asarray(data["grad"][key]).shape == value.shape  # the point file's layout
        np.testing.assert_allclose(data["grad"][key], value, rtol=1e-10, atol=1e-13)


def test_grad_text_shows_cost_gradients_and_deltas(tmp_path):
    point = random_point([2, 2, 1], seed=3, unit_targets=False)
    file = tmp_path / "point.json"
    file.write_text(json.dumps(point))
    out = ok("grad", "--point", str(file), "--layers", "2,2,1", *CONCRETE).stdout
    expected_cost, expected = numpy_backprop(point, ["sigmoid", "sigmoid"], "squared_error")
    assert f"C = {expected_cost:.10g}" in out
    assert "∂C/∂W⁽¹⁾ = [[" in out and "δ⁽¹⁾ = [" in out
    assert f"{expected['b2'][0]:.6g}" in out


# cost -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_cost_paths_are_the_product_of_the_widths_above(seed):
    rng = random.Random(seed)
    layers = [rng.randint(1, 6) for _ in range(rng.randint(2, 6))]
    L = len(layers) - 1
    groups = [f"{kind}{m}" for m in range(1, L + 1) for kind in "Wb"]
    data = json.loads(ok("cost", *groups, "--layers", ",".join(map(str, layers)), "--format", "json").stdout)
    by_layer = json.loads(ok("cost", "--layers", ",".join(map(str, layers)), "--format", "json").stdout)
    expected = {}
    for m in range(1, L + 1):
        paths = math.prod(layers[m + 1 :])  # one path through each choice of unit in every layer above
        for i in range(1, layers[m] + 1):
            expected.update({f"W{m}_{i}_{j}": paths for j in range(1, layers[m - 1] + 1)})
            expected[f"b{m}_{i}"] = paths
    assert {name: e["paths"] for name, e in data["entries"].items()} == expected
    assert data["totals"]["paths"] == sum(expected.values())
    # Without entries named, the same counts come by layer, with no row per entry.
    assert "entries" not in by_layer and by_layer["totals"]["paths"] == sum(expected.values())
    for m in range(1, L + 1):
        assert by_layer["layers"][str(m)]["paths"] == sum(p for n, p in expected.items() if int(n[1:].split("_")[0]) == m)
    for name, entry in data["entries"].items():
        m = int(re.match(r"[Wb](\d+)", name).group(1))
        factors = 2 * (L - m) + 3  # the lecture: 5 factors at layer L - 1, 7 at layer L - 2
        assert entry["naive"]["multiplications"] == entry["paths"] * (factors - 1)
        assert entry["naive"]["additions"] == entry["paths"] - 1


def test_cost_text_and_entry_selection():
    out = ok("cost", "W1_2_3", "W2_1_2").stdout
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.startswith(("W1_2_3", "W2_1_2"))}
    assert rows == {"W1_2_3": "2", "W2_1_2": "1"}  # the lecture's path counts
    assert "total" in out


def test_cost_answers_at_once_for_a_large_network():
    data = json.loads(ok("cost", "W1_1_1", "--layers", "8,32,32,32,1", "--format", "json").stdout)
    assert data["entries"]["W1_1_1"]["paths"] == 32 * 32 * 1


# algorithm, render, codegen, version, help -------------------------------------------------------------


def test_algorithm_text_and_latex_for_a_concrete_network():
    args = ("--layers", "2,3,2", "--activations", "relu,sigmoid", "--cost", "binary_cross_entropy")
    out = ok("algorithm", *args).stdout
    assert "Forward pass" in out and "Backward pass" in out
    assert "max(0, z⁽¹⁾ᵢ)" in out  # relu filled in
    assert "δ⁽²⁾ₖ" in out and "(base case)" in out and "(recursive case)" in out
    latex = ok("algorithm", *args, "--format", "latex").stdout
    assert r"\begin{align*}" in latex and r"\delta^{(1)}_{j}" in latex
    data = json.loads(ok("algorithm", *args, "--format", "json").stdout)
    assert data["network"]["layers"] == [2, 3, 2] and r"\sum" in data["latex"]


def test_render_writes_a_latex_document(tmp_path):
    out = tmp_path / "notes.tex"
    result = ok("render", "--title", "Week 5 & more", "--out", str(out))
    text = out.read_text()
    assert text.startswith(r"\documentclass") and r"Week 5 \& more" in text
    assert result.stdout == ""


def test_render_markdown_template_to_stdout():
    out = ok("render", "--template", "notes.md", "--entries", "W2_1_2").stdout
    assert out.startswith("# ") and "$$" in out


def test_render_own_template_file(tmp_path):
    template = tmp_path / "handout.tex.jinja"
    template.write_text("Title: <%= title %>; L = <%= network.L %>\n")
    out = ok("render", "--template", str(template), "--title", "50%", "--layers", "2,2").stdout
    assert out == "Title: 50\\%; L = 1\n"


def test_render_pdf_without_pdflatex_says_so_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "notes.pdf"
    result = invoke("render", "--pdf", "--out", str(out))
    assert result.exit_code == 2 and "pdflatex" in result.stderr
    assert not out.exists()


def test_render_pdf_compiles(tmp_path):
    require_programs("pdflatex")
    out = tmp_path / "notes.pdf"
    ok("render", "--pdf", "--out", str(out))
    assert out.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.pdf"]  # no temporary left behind


def test_codegen_writes_a_module_that_agrees_with_numpy_backprop(tmp_path):
    module_file = tmp_path / "net_grad.py"
    ok("codegen", "--layers", "3,2,1", *CONCRETE, "--out", str(module_file))
    namespace: dict = {}
    exec(compile(module_file.read_text(), str(module_file), "exec"), namespace)
    point = random_point([3, 2, 1], seed=5, unit_targets=False)
    params = {k: np.asarray(v) for k, v in point.items() if k not in ("x", "t")}
    x, t = np.asarray(point["x"])[None, :], np.asarray(point["t"])[None, :]
    loss, grads = namespace["loss_and_gradients"](params, x, t)
    expected_cost, expected = numpy_backprop(point, ["sigmoid", "sigmoid"], "squared_error")
    assert math.isclose(float(loss), expected_cost, rel_tol=1e-10)
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-9, atol=1e-13)


def test_version_is_the_installed_package_version():
    assert ok("--version").stdout.strip() == f"symbp {version('symbp')}"


def test_help_lists_every_command_and_each_command_has_an_example():
    commands = ["derive", "check", "grad", "render", "cost", "algorithm", "codegen"]
    top = ok("--help").stdout
    assert all(re.search(rf"^\s+{c}\s", top, flags=re.MULTILINE) for c in commands)
    for command in commands:
        text = ok(command, "--help").stdout
        assert "Example" in text and f"symbp {command}" in text
        for option in ("--layers", "--activation", "--activations", "--cost", "--spec"):
            assert option in text  # the same network options everywhere


def test_no_command_prints_help():
    assert "Commands" in ok().stdout


# --out --------------------------------------------------------------------------------------------------


def test_out_refuses_to_overwrite_without_force_and_replaces_with_it(tmp_path):
    out = tmp_path / "cost.json"
    out.write_text("old")
    refused = invoke("cost", "--format", "json", "--out", str(out))
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert out.read_text() == "old"
    ok("cost", "--format", "json", "--out", str(out), "--force")
    assert json.loads(out.read_text())["totals"]["paths"] == 25  # 3,2,2,1: 16 + 6 + 3


def test_out_is_atomic_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    import errno

    import symbp.io

    out = tmp_path / "cost.txt"
    out.write_text("old")

    def crash(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(symbp.io.os, "replace", crash)
    result = invoke("cost", "--out", str(out), "--force")
    assert result.exit_code == 2 and result.stderr == f"symbp: error: cannot write --out {str(out)!r}: No space left on device\n"
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cost.txt"]


def test_progress_bar_only_on_a_terminal_and_only_for_long_work(monkeypatch):
    import io

    import symbp.cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(symbp.cli.sys, "stderr", terminal)
    quick = symbp.cli._Progress("work")
    quick(1, 2)
    assert terminal.getvalue() == ""  # under PROGRESS_DELAY: nothing
    monkeypatch.setattr(symbp.cli, "PROGRESS_DELAY", 0.0)
    slow = symbp.cli._Progress("work")
    slow(1, 2)
    slow.close()
    assert "work [" in terminal.getvalue() and "1/2" in terminal.getvalue()

    piped = io.StringIO()
    monkeypatch.setattr(symbp.cli.sys, "stderr", piped)
    silent = symbp.cli._Progress("work")
    silent(1, 2)
    silent.close()
    assert piped.getvalue() == ""


def test_spec_file_gives_the_network_and_options_override_it(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('layers = [2, 3, 1]\nactivations = ["tanh", "sigmoid"]\ncost = "squared_error"\n')
    data = json.loads(ok("cost", "--spec", str(spec), "--format", "json").stdout)
    assert data["network"] == {"layers": [2, 3, 1], "L": 2, "activations": ["tanh", "sigmoid"],
                               "cost": "squared_error", "parameters": 13}
    data = json.loads(ok("cost", "--spec", str(spec), "--layers", "2,4,1", "--activation", "relu",
                         "--format", "json").stdout)
    assert data["network"]["layers"] == [2, 4, 1] and data["network"]["activations"] == ["relu", "relu"]
    assert data["network"]["cost"] == "squared_error"
    as_json = tmp_path / "net.json"
    as_json.write_text(json.dumps({"layers": [1, 1], "activations": "identity"}))
    assert json.loads(ok("cost", "--spec", str(as_json), "--format", "json").stdout)["network"]["layers"] == [1, 1]


def test_written_files_are_the_same_as_stdout(tmp_path):
    out = tmp_path / "derive.txt"
    ok("derive", "--out", str(out))
    assert Path(out).read_text() == ok("derive").stdout


def test_help_names_every_activation_and_cost_the_library_knows():
    # The help cannot import the registries (they load SymPy), so it lists them by hand: keep it in step.
    from symbp.activations import ACTIVATIONS
    from symbp.costs import COSTS

    text = " ".join(ok("derive", "--help").stdout.split())
    assert f"every layer: {', '.join(ACTIVATIONS)}." in text
    assert f"The cost: {', '.join(COSTS)}." in text
