"""Non-linearities the user writes as formulas (--define NAME=FORMULA, [define], Network(define=...)).

Oracles: PyTorch float64 autograd on the same network (silu, gelu, softplus, relu);
derivatives written out by hand below; math.erf and mpmath for the NumPy erf; a
hand-written NumPy backward pass for verify. None of them reads symbp's output.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symbp import Network, SymbpError, check
from symbp.codegen import gradient_function as compile_network
from symbp.codegen import module_source
from symbp.erf import erf
from symbp.numeric import FD_STEP, gradient_at, random_point
from oracle import need_torch
from test_cli import invoke, ok

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

SWISH = "x/(1+exp(-x))"
GELU = "x*(1+erf(x/sqrt(2)))/2"
SOFTPLUS = "log(1+exp(x))"
RELU = "max(0, x)"
MISH = "x*tanh(log(1+exp(x)))"


def torch_functions():
    torch = need_torch()
    F = torch.nn.functional
    return {SWISH: F.silu, GELU: F.gelu, SOFTPLUS: F.softplus, RELU: F.relu, "abs(x)": torch.abs, MISH: F.mish}


# PyTorch as the oracle ----------------------------------------------------------------------------


def torch_loss_and_gradients(formulas, params, x, t):
    """Mean squared-error cost over the rows and its gradients, by PyTorch autograd in float64."""
    torch = need_torch()
    functions = torch_functions()
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    a = torch.tensor(x, dtype=torch.float64)
    for m, formula in enumerate(formulas, 1):
        a = functions[formula](a @ tensors[f"W{m}"].T + tensors[f"b{m}"])
    cost = 0.5 * ((a - torch.tensor(t, dtype=torch.float64)) ** 2).sum() / x.shape[0]
    cost.backward()
    return float(cost.detach()), {k: v.grad.numpy() for k, v in tensors.items()}


def random_case(layers, rng, rows):
    params = {}
    for m in range(1, len(layers)):
        params[f"W{m}"] = rng.normal(0, 1, (layers[m], layers[m - 1]))
        params[f"b{m}"] = rng.normal(0, 0.5, layers[m])
    return params, rng.normal(0, 1.5, (rows, layers[0])), rng.normal(0, 1, (rows, layers[-1]))


def named(formulas):
    """A Network whose layer m uses the m-th formula, each under a name of its own."""
    names = {f: f"f{i}" for i, f in enumerate(dict.fromkeys(formulas))}
    return names, {name: f for f, name in names.items()}


def assert_close(received, expected, rtol=1e-9):
    scale = max(np.max(np.abs(expected)), 1e-12)  # relative to the array's largest entry: entries near 0 are not noise
    assert np.max(np.abs(np.asarray(received) - expected)) <= rtol * scale, (received, expected)


CASES = [
    ([3, 4, 2], [SWISH, SWISH]),
    ([2, 5, 3, 1], [GELU, GELU, GELU]),
    ([3, 4, 3, 2], [SWISH, GELU, SOFTPLUS]),
    ([2, 6, 1], [RELU, GELU]),
    ([2, 3, 2], ["abs(x)", SWISH]),
]


@pytest.mark.parametrize("layers, formulas", CASES, ids=["swish", "gelu", "mixed", "relu-gelu", "abs-swish"])
def test_generated_code_and_backprop_match_pytorch_on_random_networks(layers, formulas):
    rng = np.random.default_rng(len(layers) * 7 + len(set(formulas)))
    names, define = named(formulas)
    network = Network(layers, [names[f] for f in formulas], "squared_error", define=define)
    params, x, t = random_case(layers, rng, rows=7)
    expected_cost, expected = torch_loss_and_gradients(formulas, params, x, t)

    cost, grads = compile_network(network)(params, x, t)
    assert cost == pytest.approx(expected_cost, rel=1e-9)
    for key, value in expected.items():
        assert_close(grads[key], value)

    # One row through the numeric backprop behind `symbp grad` (PyTorch again, on that row alone).
    point = {**params, "x": x[0], "t": t[0]}
    _, expected = torch_loss_and_gradients(formulas, params, x[:1], t[:1])
    result = gradient_at(network, point)
    for key, value in expected.items():
        assert_close(result.gradients[key], value)


@pytest.mark.parametrize("formula", [SWISH, GELU, SOFTPLUS, MISH])
def test_saturated_units_give_finite_gradients_like_pytorchs(formula):
    # z = +-800: exp(800) overflows, and SymPy's derivative of swish, z e^{-z}/(1 + e^{-z})^2, would be inf/inf.
    network = Network([1, 4], "f", "squared_error", define={"f": formula})
    params = {"W1": np.ones((4, 1)), "b1": np.array([-800.0, -30.0, 30.0, 800.0])}
    x, t = np.array([[0.0]]), np.array([[0.5, 0.5, 0.5, 0.5]])
    _, expected = torch_loss_and_gradients([formula], params, x, t)
    _, grads = compile_network(network)(params, x, t)
    by_backprop = gradient_at(network, {**params, "x": x[0], "t": t[0]}).gradients
    for received in (grads["b1"], by_backprop["b1"]):
        assert np.all(np.isfinite(received))
        assert_close(received, expected["b1"])


@pytest.mark.parametrize("formula", [RELU, "abs(x)"])
def test_the_derivative_at_the_kink_is_pinned_to_pytorchs(formula):
    # z = 0 exactly: max(0, x)'(0) = 0 as relu'(0), abs'(0) = 0; PyTorch's autograd says the same.
    network = Network([1, 1], "f", "squared_error", define={"f": formula})
    params = {"W1": np.array([[0.0]]), "b1": np.array([0.0])}
    x, t = np.array([[1.0]]), np.array([[3.0]])
    _, expected = torch_loss_and_gradients([formula], params, x, t)
    _, grads = compile_network(network)(params, x, t)
    assert grads["b1"][0] == expected["b1"][0] == 0.0


# What a definition means: value and derivative, written out by hand ----------------------------

x = sp.Symbol("x", real=True)
z = sp.Symbol("z", real=True)
_sigmoid = 1 / (1 + sp.exp(-x))
_Phi = (1 + sp.erf(x / sp.sqrt(2))) / 2

ACCEPTED = [
    # formula, sigma(x), sigma'(x) as a textbook writes them
    (SWISH, x * _sigmoid, _sigmoid * (1 + x * (1 - _sigmoid))),
    (GELU, x * _Phi, _Phi + x * sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)),
    (SOFTPLUS, sp.log(1 + sp.exp(x)), _sigmoid),
    ("x^3", x**3, 3 * x**2),
    (RELU, sp.Piecewise((x, x > 0), (0, True)), sp.Piecewise((1, x > 0), (0, True))),
    ("min(x, 1)", sp.Piecewise((x, x < 1), (1, True)), sp.Piecewise((1, x < 1), (0, True))),
    ("abs(x) + 2*tanh(x)", sp.Abs(x) + 2 * sp.tanh(x), sp.sign(x) + 2 * (1 - sp.tanh(x) ** 2)),
    ("sqrt(x^2 + 1) - 1", sp.sqrt(x**2 + 1) - 1, x / sp.sqrt(x**2 + 1)),
    ("sigmoid(2*x)*x", x / (1 + sp.exp(-2 * x)), 1 / (1 + sp.exp(-2 * x)) + 2 * x * sp.exp(-2 * x) / (1 + sp.exp(-2 * x)) ** 2),
    # the constants e and pi (GELU's tanh approximation is written with pi)
    ("e*x + pi", sp.E * x + sp.pi, sp.E),
    ("x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))/2",
     x * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (x + sp.Rational(44715, 10**6) * x**3))) / 2,
     (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (x + sp.Rational(44715, 10**6) * x**3))) / 2
     + x * (1 - sp.tanh(sp.sqrt(2 / sp.pi) * (x + sp.Rational(44715, 10**6) * x**3)) ** 2)
     * sp.sqrt(2 / sp.pi) * (1 + 3 * sp.Rational(44715, 10**6) * x**2) / 2),
]


@pytest.mark.parametrize("formula, value, derivative", ACCEPTED, ids=[f for f, _, _ in ACCEPTED])
def test_a_definition_has_the_value_and_the_derivative_written_out(formula, value, derivative):
    activation = Network([1, 1], "f", "squared_error", define={"f": formula}).activation(1)
    for number in (-2.5, -0.75, 0.0, 0.4, 1.0, 1.3, 3.0):
        at = {z: sp.Float(number, 30)}
        expected = {x: sp.Float(number, 30)}
        assert float(activation.value(z).evalf(20, subs=at)) == pytest.approx(float(value.evalf(20, subs=expected)), abs=1e-14)
        computed = activation.derivative(z, activation.value(z))
        if number == 1.0 and formula == "min(x, 1)":
            continue  # the kink of min(x, 1): pinned as Heaviside(0) = 0, which the textbook leaves open
        assert float(computed.evalf(20, subs=at)) == pytest.approx(float(derivative.evalf(20, subs=expected)), abs=1e-14)


def test_the_derivation_prints_sigma_prime_and_the_definition():
    text = ok("derive", "W1_1_1", "--layers", "2,2,1", "--define", f"swish={SWISH}", "--activation", "swish",
              "--cost", "squared_error", "--method", "backprop").stdout
    assert "swish(x) = x/(1+exp(-x))" in text.splitlines()[0]
    assert "σ⁽¹⁾′(z⁽¹⁾ⱼ)" in text and "exp(-z⁽¹⁾ⱼ)" in text


def test_the_cli_takes_e_and_pi_and_prints_e_as_e():
    text = ok("derive", "W1_1_1", "--layers", "2,1", "--define", "f=e*x + pi*tanh(x)", "--activation", "f",
              "--cost", "squared_error", "--method", "backprop").stdout
    assert "σ⁽¹⁾′(z⁽¹⁾)" in text and "+ e" in text and "pi · " in text and "E" not in text.split("network")[1]


@pytest.mark.slow  # seconds: .ci/run runs it (pytest -m slow); the README's command stays fast
def test_check_proves_or_verifies_every_entry_of_defined_networks():
    # log(x) has no value for x <= 0: the random points must avoid that, not call NaN a disagreement.
    for formula in (SWISH, GELU, RELU, "min(max(x, -1), 1)", "log(x)"):
        counts = check(Network([2, 1, 1], "f", "squared_error", define={"f": formula}), points=1).counts
        assert counts["disagree"] == counts["skipped"] == 0 and counts["proved"] > 0, (formula, counts)


def test_check_of_a_high_power_stays_bounded():
    # (x+1)^20 nested in two layers would expand to ~10^8 terms: the proof is not tried, numbers decide.
    counts = check(Network([2, 2, 1], "f", "squared_error", define={"f": "(x+1)^20"}), points=1).counts
    assert counts["disagree"] == 0 and counts["verified"] > 0


def test_random_points_keep_away_from_a_kink_that_is_not_at_zero():
    # abs(x - 0.3) has its kink at z = 0.3; finite differences across it would disagree with the derivative.
    network = Network([1, 1], "f", "squared_error", define={"f": "abs(x - 0.3)"})
    rng = np.random.default_rng(0)
    for _ in range(500):  # uniform points would land within 0.01 of the kink about 1 time in 150
        point = random_point(network, rng)
        z = point["W1"][0, 0] * point["x"][0] + point["b1"][0]
        assert abs(z - 0.3) > 10 * FD_STEP


# The Python API and spec files ----------------------------------------------------------------------


def test_network_with_definitions_is_hashable_and_independent_of_their_order():
    one = Network([2, 1], "a", "squared_error", define={"a": "x^3", "b": "x"})
    two = Network([2, 1], "a", "squared_error", define=[("b", "x"), ("a", "x^3")])
    assert one == two and hash(one) == hash(two) and one.define == (("a", "x^3"), ("b", "x"))
    with pytest.raises(AttributeError):
        one.define = ()  # type: ignore[misc]


def test_spec_files_take_a_define_table(tmp_path):
    toml = tmp_path / "net.toml"
    toml.write_text(f'layers = [2, 2, 1]\nactivations = ["gelu", "sigmoid"]\ncost = "squared_error"\n\n[define]\ngelu = "{GELU}"\n')
    first = ok("grad", "--spec", str(toml), "--point", str(point_file(tmp_path)), "--format", "json").stdout
    spec = {"layers": [2, 2, 1], "activations": ["gelu", "sigmoid"], "cost": "squared_error", "define": {"gelu": GELU}}
    (tmp_path / "net.json").write_text(json.dumps(spec))
    second = ok("grad", "--spec", str(tmp_path / "net.json"), "--point", str(point_file(tmp_path)), "--format", "json").stdout
    assert first == second and json.loads(first)
    # --define replaces the spec file's formula of the same name
    third = ok("grad", "--spec", str(toml), "--define", "gelu=x", "--point", str(point_file(tmp_path)), "--format", "json")
    assert third.stdout != first


@pytest.mark.parametrize("define", ['define = "x"', 'define = ["x"]', "[define]\nf = 3", "[define]\nsigmoid = \"x\"",
                                    "[define]\nf = \"x.real\""])
def test_a_bad_define_table_is_one_line(tmp_path, define):
    spec = tmp_path / "net.toml"
    spec.write_text(f"layers = [2, 1]\n{define}\n")
    assert_refused(invoke("derive", "--spec", str(spec)))


def point_file(tmp_path):
    path = tmp_path / "point.json"
    path.write_text(json.dumps({"x": [0.5, -0.2], "t": [0.3], "W1": [[0.1, 0.2], [0.3, -0.4]], "b1": [0.1, 0.2],
                                "W2": [[0.5, -0.6]], "b2": [0.1]}))
    return path


# Every command ---------------------------------------------------------------------------------------

NETWORK = ("--layers", "2,3,1", "--define", f"swish={SWISH}", "--define", f"gelu={GELU}",
           "--activations", "gelu,swish", "--cost", "squared_error")


@pytest.mark.parametrize("command", [
    ["derive", "W1_1_1", "--method", "all"], ["algorithm"], ["cost"], ["codegen"], ["picture", "--format", "dot"],
    ["example", "--seed", "1"], ["render", "--template", "notes.md"], ["check", "--points", "1", "--entries", "W2"],
])
def test_every_command_takes_definitions(command):
    assert ok(*command, *NETWORK).stdout


def test_notes_and_json_show_the_definitions(tmp_path):
    notes = ok("render", "--template", "notes.md", "--layers", "2,1", "--define", "f=abs(x)+x^3", "--activation", "f",
               "--cost", "squared_error").stdout
    row = next(line for line in notes.splitlines() if "non-linearity of layer m" in line)
    assert row.count("|") == 4 and r"\operatorname{f}(x) = x^{3} + \left\vert x\right\vert" in row.replace("{x}", "x")
    data = json.loads(ok("derive", "W1_1_1", "--format", "json", *NETWORK).stdout)
    assert data["network"]["define"] == {"gelu": GELU, "swish": SWISH}


def test_train_with_a_defined_non_linearity():
    assert "accuracy" in ok("train", "--data", "xor", "--layers", "2,4,1", "--define", f"swish={SWISH}",
                            "--activations", "swish,sigmoid", "--cost", "squared_error", "--epochs", "5").stdout


STUDENT = """
import numpy as np

def swish(z):
    return z / (1 + np.exp(-z))

def swish_prime(z):
    s = 1 / (1 + np.exp(-z))
    return s + z * s * (1 - s)

def backward(params, x, t):
    N = x.shape[0]
    z1 = x @ params["W1"].T + params["b1"]; a1 = swish(z1)
    z2 = a1 @ params["W2"].T + params["b2"]; a2 = swish(z2)
    delta2 = (a2 - t) * swish_prime(z2)
    delta1 = (delta2 @ params["W2"]) * {PRIME}
    grads = {{"W2": delta2.T @ a1 / N, "b2": delta2.sum(0) / N, "W1": delta1.T @ x / N, "b1": delta1.sum(0) / N}}
    return 0.5 * np.sum((a2 - t) ** 2) / N, grads
"""


@pytest.mark.parametrize("prime, status", [("swish_prime(z1)", 0), ("1.0", 1)])
def test_verify_a_students_swish_network(tmp_path, prime, status):
    (tmp_path / "student.py").write_text(STUDENT.format(PRIME=prime))
    result = invoke("verify", f"{tmp_path / 'student.py'}:backward", "--layers", "2,3,1", "--define", f"swish={SWISH}",
                    "--activation", "swish", "--cost", "squared_error")
    assert result.exit_code == status, (result.stdout, result.stderr)


def test_grade_with_a_defined_non_linearity():
    # dC/dW^{(2)}_{11} = dC/da^{(2)} sigma^{(2)'}(z^{(2)}) a^{(1)}_1; with x^3, sigma' = 3 z^2
    common = ("grade", "--entry", "W2_1_1", "--layers", "2,2,1", "--define", "cube=x^3", "--activation", "cube",
              "--cost", "squared_error", "--answer")
    assert invoke(*common, "(a2 - t) * 3 * z2^2 * a1_1").exit_code == 0
    assert invoke(*common, "(a2 - t) * 2 * z2^2 * a1_1").exit_code == 1


# Refusals ------------------------------------------------------------------------------------------

HOSTILE = [
    "x.real", "x.__class__", "__import__('os')", "__import__", "__builtins__", "x.__dict__", "lambda: x", "lambda x: x",
    "x; import os", "x;", "exec('1')", "eval('x')", "open('/etc/passwd')", "os.system('id')", "getattr(x, 'a')",
    "x if x else 1", "[x for x in ()]", "x[0]", "{x}", "'x'", "x @ x", "x % 2", "x == 1", "x_1", "y", "x + y",
    "foo(x)", "Heaviside(x)", "sin(x)", "exp", "exp(x", "exp(x))", "((x)", "x)", "", "x +", "3x", "x\n+1",
    "max(x)", "exp(x, x)", "x/0", "9^9^9", "1e999999999", "x" * 100_000, "(" * 100_000 + "x" + ")" * 100_000,
    "-" * 500 + "x", "exp(" * 200 + "x" + ")" * 200, "ｘ", "x\x00",
]


def assert_refused(result):
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("symbp: error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout and not result.stdout
    return lines[0]


@pytest.mark.parametrize("formula", HOSTILE, ids=[repr(f[:20]) + str(len(f)) for f in HOSTILE])
def test_hostile_formulas_are_refused_by_the_cli_in_one_line(formula):
    line = assert_refused(invoke("derive", "--define", f"f={formula}", "--activation", "f"))
    assert "position" in line or "characters long" in line or "empty" in line, line


@pytest.mark.parametrize("definition, named", [
    ("sigmoid=x", "'sigmoid' at position 1 is a built-in"), ("relu=max(0,x)", "'relu' at position 1 is a built-in"),
    ("leaky_relu=x", "'leaky_relu' at position 1"), ("sw-ish=x", "'-' at position 3"), ("=x", "name ''"),
    ("1f=x", "'1' at position 1"), ("f" * 41 + "=x", "41 characters long"),
    ("f.g=x", "'.' at position 2"), ("__init__=x", "'_' at position 1"), ("swish", "has no '='"),
    ("ｆ=x", "at position 1"),
])
def test_bad_names_are_refused_naming_them(definition, named):
    assert named in assert_refused(invoke("derive", "--define", definition))


def test_the_formula_error_names_the_token_and_its_position():
    line = assert_refused(invoke("derive", "--define", "f=x + foo(x)", "--activation", "f"))
    assert "'foo' at position 5" in line


def test_an_unknown_name_lists_the_defined_ones():
    line = assert_refused(invoke("derive", "--define", "f=x", "--activation", "g"))
    assert "defined: f" in line and "--define NAME=FORMULA" in line


def test_a_name_defined_twice_differently_is_refused():
    assert "twice" in assert_refused(invoke("derive", "--define", "f=x", "--define", "f=x^2", "--activation", "f"))


_TEXT = st.text(alphabet="xX_=.,;()[]{}'\" +-*/^0123456789eabcdfghijklmnopqrstuvwyz\\\x00é", max_size=40)


@settings(max_examples=60, deadline=None)
@given(_TEXT, _TEXT)
def test_a_definition_raises_nothing_but_symbp_error(name, formula):
    try:
        network = Network([1, 1], "identity", "squared_error", define={name: formula})
    except SymbpError:
        return
    assert network.define == ((name, formula),)


# erf without SciPy ----------------------------------------------------------------------------------


def test_numpy_erf_matches_mpmath_to_a_few_ulps_over_the_whole_line():
    mpmath.mp.dps = 40
    points = np.concatenate([np.linspace(-8, 8, 1601), np.geomspace(1e-300, 30, 400), -np.geomspace(1e-12, 30, 200),
                             [0.46875, np.nextafter(0.46875, 1), 4.0, np.nextafter(4.0, 5), 26.5, 27.0, 1e300]])
    expected = np.array([float(mpmath.erf(mpmath.mpf(float(p)))) for p in points])
    relative = np.abs(erf(points) - expected) / np.abs(np.where(expected == 0, 1, expected))
    assert relative.max() <= 1e-15
    assert [math.erf(p) for p in (0.3, -2.2, 5.9)] == pytest.approx(erf(np.array([0.3, -2.2, 5.9])), rel=1e-15)


def test_numpy_erfc_matches_mpmath_into_the_tail():
    mpmath.mp.dps = 40
    points = np.concatenate([np.linspace(-8, 26, 681), np.geomspace(1e-300, 26, 100), -np.geomspace(1e-12, 30, 50)])
    expected = np.array([float(mpmath.erfc(mpmath.mpf(float(p)))) for p in points])
    assert np.max(np.abs(erf(points, complement=True) - expected) / expected) <= 1e-15


def test_gelu_keeps_its_relative_accuracy_far_left():
    # 1 + erf(z/sqrt(2)) cancels to 0 below z = -8.3; written as erfc(-z/sqrt(2)) it keeps every digit.
    # (PyTorch's gelu backward loses it there: mpmath is the oracle.)
    mpmath.mp.dps = 40
    network = Network([1, 1], "gelu", "squared_error", define={"gelu": GELU})
    for z in (-13.0, -9.5, -6.0):
        params, x, t = {"W1": np.array([[0.0]]), "b1": np.array([z])}, np.array([[0.0]]), np.array([[1.0]])
        u = mpmath.mpf(z)
        phi_cdf = mpmath.erfc(-u / mpmath.sqrt(2)) / 2
        prime = phi_cdf + u * mpmath.exp(-u * u / 2) / mpmath.sqrt(2 * mpmath.pi)
        expected = float((u * phi_cdf - 1) * prime)  # dC/db = (a - t) sigma'(z)
        assert compile_network(network)(params, x, t)[1]["b1"][0] == pytest.approx(expected, rel=1e-12)
        assert gradient_at(network, {**params, "x": x[0], "t": t[0]}).gradients["b1"][0] == pytest.approx(expected, rel=1e-12)


def test_numpy_erf_edges():
    values = erf(np.array([np.inf, -np.inf, np.nan, -0.0, 0.0]))
    assert values[0] == 1 and values[1] == -1 and np.isnan(values[2])
    assert values[3] == 0 and np.signbit(values[3]) and not np.signbit(values[4])
    assert erf(1e-200) == pytest.approx(2 / math.sqrt(math.pi) * 1e-200, rel=1e-15)


def test_generated_gelu_code_runs_with_numpy_alone(tmp_path):
    network = Network([2, 3, 1], "gelu", "squared_error", define={"gelu": GELU})
    source = module_source(network)
    assert "scipy" not in source and "math.erf" not in source and "def _erf(" in source
    (tmp_path / "gelu_net.py").write_text(source)
    program = textwrap.dedent(f"""
        import sys, json
        sys.modules["scipy"] = None  # importing SciPy would fail
        sys.path.insert(0, {str(tmp_path)!r})
        import numpy as np, gelu_net
        params = {{"W1": np.full((3, 2), 0.5), "b1": np.zeros(3), "W2": np.ones((1, 3)), "b2": np.zeros(1)}}
        cost, grads = gelu_net.loss_and_gradients(params, np.array([[1.0, 2.0]]), np.array([[0.0]]))
        print(json.dumps(float(cost)))
    """)
    cost = json.loads(subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout)
    z1 = 1.5  # every hidden unit: 0.5 * 1 + 0.5 * 2
    a2 = 3 * z1 * (1 + math.erf(z1 / math.sqrt(2))) / 2
    gelu = a2 * (1 + math.erf(a2 / math.sqrt(2))) / 2
    assert cost == pytest.approx(0.5 * gelu**2, rel=1e-14)


@pytest.mark.parametrize("formula, why", [
    ("log(0)+x", "infinite"),  # log(0) = -infinity
    ("log(x-x+0)", "infinite"),  # log(0) whatever x is
    ("x*log(0)^2", "infinite"),  # (-infinity)^2
    ("sqrt(-1)*x", "complex"),  # the imaginary unit
    ("x*log(-1)", "complex"),  # log(-1) = i pi
    ("x + (-8)^(1/3)", "complex"),  # the principal cube root of -8 is 1 + i sqrt(3)
])
def test_a_formula_with_no_real_finite_value_is_refused_at_definition(formula, why):
    with pytest.raises(SymbpError, match=f"non-linearity my = .*{why}"):
        Network([1, 1], "my", "squared_error", define={"my": formula})
    result = invoke("derive", "W1_1_1", "--layers", "1,1", "--define", f"my={formula}", "--activation", "my")
    assert result.exit_code == 2 and result.stderr.startswith("symbp: error:") and why in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "erf", "abs", "max", "min", "x", "sigmoid"])
def test_a_name_that_a_formula_already_uses_is_refused(name):
    """A formula may write exp(x) or x: a non-linearity of that name would print as exp(z) or x(z)."""
    with pytest.raises(SymbpError, match=f"non-linearity name '{name}' .*choose another name"):
        Network([1, 1], name, "squared_error", define={name: "x^2"})
    result = invoke("derive", "W1_1_1", "--layers", "1,1", "--define", f"{name}=x^2", "--activation", name)
    assert result.exit_code == 2 and f"'{name}'" in result.stderr and "Traceback" not in result.stderr
