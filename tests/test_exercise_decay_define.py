"""symbp exercise with weight decay (--l2), defined non-linearities (--define) and a spec file (--spec).

Oracle: sympy.diff of the cost written out here (the defined formula and the decay typed in
the test, not taken from symbp), at a point; each answer in the grade notation is evaluated
at that point by a small reader of the notation written here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symbp.exercise import exercises, render_sheet, sheet_data
from test_cli import invoke, ok

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

SWISH = "x/(1+exp(-x))"
LAM = 0.1
GOLDEN = Path(__file__).parent / "golden" / "exercise-seed7.json"


def swish(z):
    return z / (1 + sp.exp(-z))


def sigma_of(name):
    return {"sw": swish, "tanh": sp.tanh, "sigmoid": lambda z: 1 / (1 + sp.exp(-z))}[name]


def oracle(network: dict, x, t):
    """Symbols W, b; the cost C = 1/2 sum (a - t)^2 + lambda/2 sum W^2 written out; forward values by name."""
    layers, names, lam = network["layers"], network["activations"], network.get("l2", 0.0)
    W = {m: sp.Matrix(layers[m], layers[m - 1], lambda i, j: sp.Symbol(f"W{m}_{i + 1}_{j + 1}"))
         for m in range(1, len(layers))}
    b = {m: sp.Matrix(layers[m], 1, lambda i, j: sp.Symbol(f"b{m}_{i + 1}")) for m in range(1, len(layers))}
    a, z = {0: sp.Matrix(x)}, {}
    for m in range(1, len(layers)):
        z[m] = W[m] * a[m - 1] + b[m]
        a[m] = z[m].applyfunc(sigma_of(names[m - 1]))
    L = len(layers) - 1
    assert network["cost"] == "squared_error"
    C = sum((a[L][k] - t[k]) ** 2 for k in range(layers[L])) / 2
    C += sp.Rational(repr(lam)) / 2 * sum(w**2 for m in W for w in W[m])
    return W, b, a, z, C


def evaluate_answer(text: str, network: dict, values: dict, a, z) -> float:
    """The answer text (grade notation, no deltas) as a number: each name replaced by its value here."""
    L = len(network["layers"]) - 1
    x = sp.Symbol("x")

    def index(layer: str, unit: str | None) -> tuple[int, int]:
        return int(layer), int(unit) - 1 if unit else 0

    def value(match: re.Match) -> str:
        token = match.group(0)
        if token == "lambda":
            return repr(network.get("l2", 0.0))
        if m := re.fullmatch(r"dC/da(\d+)(?:_(\d+))?", token):
            n, k = index(*m.groups())
            assert n == L
            return f"({a[L][k]} - {TARGET[k]})"
        if m := re.fullmatch(r"sigma(\d+)'\(z(\d+)(?:_(\d+))?\)", token):
            n, _, k = (int(m.group(1)), m.group(2), int(m.group(3) or 1) - 1)
            derivative = sp.diff(sigma_of(network["activations"][n - 1])(x), x)
            return f"({float(derivative.subs(x, z[n][k]))!r})"
        if m := re.fullmatch(r"w(\d+)_(\d+)", token):  # the lecture's w of a one-unit layer: W_{1j}
            return repr(values[sp.Symbol(f"W{m.group(1)}_1_{m.group(2)}")])
        if m := re.fullmatch(r"W(\d+)_(\d+)_(\d+)", token):
            return repr(values[sp.Symbol(token)])
        if m := re.fullmatch(r"a(\d+)(?:_(\d+))?", token):
            n, k = index(*m.groups())
            return f"({float(a[n][k])!r})"
        raise AssertionError(f"unknown name {token!r} in {text!r}")

    pattern = r"dC/da\d+(?:_\d+)?|sigma\d+'\(z\d+(?:_\d+)?\)|lambda|[wW]\d+(?:_\d+)+|a\d+(?:_\d+)?"
    return float(sp.sympify(re.sub(pattern, value, text)))


TARGET = (0.3, -0.2)


def point(network: dict, seed: int):
    rng = np.random.default_rng(seed)
    layers = network["layers"]
    x = [float(v) for v in rng.uniform(-1, 1, layers[0])]
    values = {}
    for m in range(1, len(layers)):
        for i in range(layers[m]):
            values[sp.Symbol(f"b{m}_{i + 1}")] = float(rng.uniform(-0.5, 0.5))
            for j in range(layers[m - 1]):
                values[sp.Symbol(f"W{m}_{i + 1}_{j + 1}")] = float(rng.uniform(-1, 1))
    return x, values


@pytest.mark.parametrize("knobs", [
    {"l2": LAM, "activations": "tanh"},
    {"define": {"sw": SWISH}, "activations": "sw"},
    {"define": {"sw": SWISH}, "activations": "sw", "l2": LAM},
], ids=["l2", "define", "both"])
@pytest.mark.parametrize("seed", range(3))
def test_chain_and_spot_the_error_answers_equal_sympy_diff_of_the_cost(knobs, seed):
    items = sheet_data(exercises(seed, 4, ("chain", "spot-the-error"), layers="2-3,2,1-2",
                                 costs="squared_error", **knobs))["exercises"]
    for item in items:
        network = item["network"]
        assert network.get("l2", 0.0) == knobs.get("l2", 0.0)
        assert network.get("define", {}) == knobs.get("define", {})
        x, values = point(network, seed)
        W, b, a, z, C = oracle(network, x, TARGET)
        a = {m: v.subs(values) for m, v in a.items()}
        z = {m: v.subs(values) for m, v in z.items()}
        entry = sp.Symbol(item["entry"] if item["entry"].startswith(("W", "b")) else "")
        expected = float(sp.diff(C, entry).subs(values))
        got = evaluate_answer(item["answer"], network, values, a, z)
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), (item["answer"], got, expected)
        if item["kind"] == "spot-the-error":  # the planted derivation is wrong by the oracle too
            planted = evaluate_answer(item["mistake"]["planted"], network, values, a, z)
            assert planted != pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("knobs", [{"l2": LAM, "activations": "tanh"}, {"define": {"sw": SWISH}, "activations": "sw"}],
                         ids=["l2", "define"])
def test_numeric_answers_equal_sympy_diff_of_the_cost(knobs):
    for item in sheet_data(exercises(5, 2, ("numeric",), layers="2,2,1-2", costs="squared_error", **knobs))["exercises"]:
        network, given = item["network"], item["point"]
        t = given["t"] if isinstance(given["t"], list) else [given["t"]]
        W, b, a, z, C = oracle(network, given["x"], t)
        values = {sp.Symbol(f"{kind}{m}_{i + 1}" + (f"_{j + 1}" if kind == "W" else "")): (
            given[f"W{m}"][i][j] if kind == "W" else given[f"b{m}"][i])
            for m in range(1, len(network["layers"])) for i in range(network["layers"][m])
            for kind in "Wb" for j in range(network["layers"][m - 1] if kind == "W" else 1)}
        assert float(C.subs(values)) == pytest.approx(item["answer"]["C"], rel=1e-9)
        for key, grad in item["answer"]["gradients"].items():
            m = int(key[1:])
            for index in np.ndindex(np.shape(grad)):
                name = f"{key[0]}{m}_{index[0] + 1}" + (f"_{index[1] + 1}" if key[0] == "W" else "")
                expected = float(sp.diff(C, sp.Symbol(name)).subs(values))
                assert np.asarray(grad)[index] == pytest.approx(expected, rel=1e-9, abs=1e-12), name


def test_the_sheets_show_the_decay_term_and_the_defined_sigma_prime():
    sheet = exercises(2, 5, layers="2-3,2,1", activations="sw", costs="squared_error", define={"sw": SWISH}, l2=LAM)
    for solutions in (False, True):
        text = render_sheet(sheet, "latex", solutions=solutions)
        assert r"\lambda = 0.1" in text and r"\mathrm{sw}" in text
        # sigma'(x) of x/(1+e^-x), written out here: x e^-x/(1+e^-x)^2 + 1/(1+e^-x)
        assert r"\sigma'(x) = \frac{x e^{- x}}{\left(1 + e^{- x}\right)^{2}} + \frac{1}{1 + e^{- x}}" in text
    solutions = render_sheet(sheet, "latex", solutions=True)
    assert re.search(r"\+ \\lambda W\^\{\(\d\)\}_\{\d\d\}", solutions)  # the decay's term in a worked solution
    assert "--l2 0.1" in solutions and "--define 'sw=x/(1+exp(-x))'" in solutions.replace("\\textquotesingle{}", "'")


def test_a_seed_still_gives_the_same_sheet_byte_for_byte():
    """Without --l2 and --define, a seed's sheet is what it was before they existed (the file was written then)."""
    assert render_sheet(exercises(7, 6, layers="2-3,2-3,1-2"), "json") == GOLDEN.read_text(encoding="utf-8")


def test_the_cli_takes_define_l2_and_spec_and_the_same_seed_gives_the_same_bytes(tmp_path):
    options = ["--define", f"sw={SWISH}", "--activations", "sw", "--costs", "squared_error", "--l2", "0.1",
               "--layers", "2-3,2,1", "--seed", "4", "-n", "5", "-f", "json"]
    first, second = ok("exercise", *options).stdout, ok("exercise", *options).stdout
    assert first == second
    data = json.loads(first)
    assert {item["network"]["l2"] for item in data["exercises"]} == {0.1}
    assert all(item["network"]["define"] == {"sw": SWISH} for item in data["exercises"])
    spec = tmp_path / "net.toml"
    spec.write_text(f'layers = [2, 3, 1]\nactivations = "sw"\ncost = "squared_error"\nl2 = 0.05\n'
                    f'[define]\nsw = "{SWISH}"\n', encoding="utf-8")
    data = json.loads(ok("exercise", "--spec", str(spec), "-n", "5", "-f", "json").stdout)
    assert {json.dumps(item["network"]) for item in data["exercises"]} == {json.dumps(
        {"layers": [2, 3, 1], "activations": ["sw", "sw"], "cost": "squared_error", "define": {"sw": SWISH},
         "l2": 0.05})}
    overridden = json.loads(ok("exercise", "--spec", str(spec), "--l2", "0.2", "-n", "1", "-f", "json").stdout)
    assert overridden["exercises"][0]["network"]["l2"] == 0.2


@pytest.mark.parametrize(("arguments", "named"), [
    (["--batch", "2"], "batch 2 is not offered in exercises"),
    (["--l2", "-1"], "l2 -1"),
    (["--l2", "nan"], "l2 nan"),
    (["--define", "sw=x+$", "--activations", "sw"], "'$' at position 3"),
    (["--activations", "nope"], "'nope'"),
])
def test_bad_options_are_one_line_exit_2(arguments, named):
    result = invoke("exercise", *arguments)
    assert result.exit_code == 2, result.stdout
    assert named in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_spec_with_one_non_linearity_per_layer_of_several_kinds_is_refused(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('layers = [2, 3, 1]\nactivations = ["tanh", "sigmoid"]\ncost = "squared_error"\n')
    result = invoke("exercise", "--spec", str(spec))
    assert result.exit_code == 2 and "one in every layer" in result.stderr


def test_sheets_with_decay_and_a_defined_non_linearity_compile_with_pdflatex():
    from test_templates import require_pdflatex

    require_pdflatex()
    from symbp.render.pdf import latex_to_pdf

    # Numeric exercises on 2,2,1 networks: the worked example's row C = C_0 + (lambda/2)(sum of W^2) is one row, and
    # it overflows the page from about nine weights on (symbp example's LaTeX has the same limit).
    sheet = exercises(3, 5, layers="2,2,1", activations="sw,tanh", costs="squared_error", define={"sw": SWISH}, l2=LAM)
    for solutions in (False, True):
        pdf, log = latex_to_pdf(render_sheet(sheet, "latex", solutions=solutions))
        assert pdf.startswith(b"%PDF-")
        assert "Overfull \\hbox" not in log, re.findall(r"Overfull \\hbox.*", log)


def test_a_class_s_answers_to_a_decay_and_define_sheet_are_graded_from_its_json_and_its_printed_options(tmp_path):
    import csv
    import shlex

    from symbp import grade_sheet
    from symbp.exercise import grade_options

    sheet = exercises(2, 5, layers="2-3,2,1", activations="sw,tanh", costs="squared_error", define={"sw": SWISH}, l2=LAM)
    data = json.loads(json.dumps(sheet_data(sheet)))  # as symbp grade --sheet reads it back
    rows = [{"student": "right", "exercise": item["id"], "answer": item["answer_text"]} for item in data["exercises"]]
    assert [result.verdict for result in grade_sheet(data, rows)] == ["correct"] * 5
    chain = next(e for e in sheet.exercises if e.kind == "chain")
    item = next(i for i in data["exercises"] if i["id"] == chain.id)
    answers = tmp_path / "class.csv"
    with answers.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student", "entry", "answer"])
        writer.writeheader()
        writer.writerow({"student": "right", "entry": item["entry"], "answer": item["answer"]})
        writer.writerow({"student": "no-decay", "entry": item["entry"],
                         "answer": item["answer"].rsplit(" + lambda", 1)[0]})
    result = ok("grade", "--answers", str(answers), *shlex.split(grade_options(chain.network)))
    assert f"{item['entry']}: 1/2 correct" in result.stdout
