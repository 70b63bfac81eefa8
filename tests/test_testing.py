"""symbp.testing against hand-written student code (tests/students/) and finite differences.

Oracles: the correct students are hand-written NumPy, and their gradients are checked
here against central finite differences of their own cost, and against symbp's truth.
Each buggy student has its mistake planted by hand in the code (PLANTED names it); the
diagnosis must name exactly that. Run this file as a script to print the hit rate.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
import pytest

import symbp.testing
from symbp import Network
from symbp.diagnosis import Mistake, candidate_mistakes, mistaken_backprop
from symbp.testing import GradientContractError, GradientMismatch, compare_gradients, describe_mistake, load_function

STUDENTS = Path(__file__).parent / "students"
SINGLE = sorted(STUDENTS.glob("bug_*.py"))
DOUBLE = sorted(STUDENTS.glob("bug2_*.py"))

NETWORKS = [  # (activation, cost) as the correct students accept them; BCE has a sigmoid output layer
    ("sigmoid", "squared_error"),
    ("tanh", "squared_error"),
    ("relu", "squared_error"),
    ("sigmoid", "binary_cross_entropy"),
    ("tanh", "binary_cross_entropy"),
    ("relu", "binary_cross_entropy"),
]


def network(activation: str, cost: str, layers=(3, 4, 2)) -> Network:
    L = len(layers) - 1
    last = "sigmoid" if cost == "binary_cross_entropy" else activation
    return Network(list(layers), [activation] * (L - 1) + [last], cost)


def student(name: str, function: str = "backward"):
    return load_function(f"{STUDENTS / name}:{function}")


def random_point(net: Network, batch: int, rng: np.random.Generator):
    params = {}
    for m in range(1, net.L + 1):
        params[f"W{m}"] = rng.normal(size=(net.D(m), net.D(m - 1)))
        params[f"b{m}"] = rng.normal(size=net.D(m))
    x = rng.normal(size=(batch, net.D(0)))
    t = rng.uniform(0.1, 0.9, size=(batch, net.D(net.L)))
    return params, x, t


def finite_differences(cost, params, step=1e-5):
    """Central differences of cost(params) for every entry of every array."""
    grads = {}
    for key, value in params.items():
        grads[key] = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus, minus = ({k: v.copy() for k, v in params.items()} for _ in range(2))
            plus[key][index] += step
            minus[key][index] -= step
            grads[key][index] = (cost(plus) - cost(minus)) / (2 * step)
    return grads


def assert_close(received, expected, rtol):
    for key in expected:
        np.testing.assert_allclose(received[key], expected[key], rtol=rtol, atol=rtol * 1e-3, err_msg=key)


# The truth, and the mistake-free backprop the diagnosis builds on, against independent oracles -------------


@pytest.mark.parametrize("activation,cost", NETWORKS)
def test_symbps_truth_and_the_diagnosis_reference_equal_hand_written_numpy_and_finite_differences(activation, cost):
    net = network(activation, cost)
    correct = functools.partial(student("correct_vectorised.py"), activation=activation, cost=cost)
    params, x, t = random_point(net, 5, np.random.default_rng(1))
    C, grads = correct(params, x, t)
    assert_close(grads, finite_differences(lambda p: correct(p, x, t)[0], params), rtol=1e-6)
    truth_C, truth = symbp.gradient_function(net)(params, x, t)
    assert truth_C == pytest.approx(C, rel=1e-12)
    assert_close(truth, grads, rtol=1e-10)
    assert_close(mistaken_backprop(net, params, x, t), grads, rtol=1e-10)


# Correct students pass --------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 8])
@pytest.mark.parametrize("activation,cost", NETWORKS)
@pytest.mark.parametrize("name", ["correct_vectorised.py", "correct_loops.py"])
def test_correct_implementations_pass(name, activation, cost, batch):
    fn = functools.partial(student(name), activation=activation, cost=cost)
    layers = (3, 4, 2) if batch == 1 else (2, 3, 2)  # the loops are slow: a smaller network for the batch
    symbp.testing.assert_gradients_match(fn, network(activation, cost, layers), batch=batch, points=3)


@pytest.mark.parametrize("batch", [1, 4])
def test_a_function_of_one_example_is_detected_and_passes(batch):
    report = compare_gradients(student("correct_one_example.py"), layers=[3, 5, 2], activations="sigmoid",
                               cost="squared_error", batch=batch)
    assert report.passed and report.per_example
    assert "one example per call" in str(report)


def test_the_network_may_be_given_as_options_or_as_a_network():
    fn = student("correct_vectorised.py")
    symbp.testing.assert_gradients_match(fn, Network([2, 2, 1], "sigmoid", "squared_error"))
    symbp.testing.assert_gradients_match(fn, layers=[2, 2, 1], activations="sigmoid", cost="squared_error")


def test_tensors_are_converted_by_duck_typing():
    """A stand-in for PyTorch tensors (PyTorch is not installed here): anything with detach().cpu().numpy()."""

    class Tensor:
        def __init__(self, value):
            self.value = np.asarray(value)

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.value

    correct = student("correct_vectorised.py")

    def backward(params, x, t):
        C, grads = correct(params, x, t)
        return Tensor(C), {key: Tensor(value) for key, value in grads.items()}

    symbp.testing.assert_gradients_match(backward, layers=[2, 3, 1], activations="sigmoid", cost="squared_error")


# Buggy students: the diagnosis names the planted mistake -----------------------------------------------------


def diagnosed(path: Path):
    """The student's planted mistakes and the explanations the diagnosis gives, each as a set of (kind, layer)."""
    fn = load_function(f"{path}:backward")
    module = sys.modules[f"_symbp_verify_{path.stem}"]
    with pytest.raises(GradientMismatch) as raised:
        symbp.testing.assert_gradients_match(fn, batch=8, **module.NETWORK)
    report = raised.value.report
    explanations = [{(k.kind, k.layer) for k in e} for e in report.diagnosis.explanations]
    return set(map(tuple, module.PLANTED)), explanations, report


@pytest.mark.parametrize("path", SINGLE + DOUBLE, ids=lambda p: p.stem)
def test_each_buggy_student_fails_and_the_diagnosis_names_exactly_the_planted_mistakes(path):
    planted, explanations, report = diagnosed(path)
    assert explanations == [planted]
    for mistake in report.diagnosis.explanations[0]:
        assert describe_mistake(mistake, report.network) in str(report)


def test_the_library_covers_every_kind_of_mistake():
    from symbp.diagnosis import KINDS

    planted = {kind for path in SINGLE for kind, _ in diagnosed(path)[0]}
    assert planted == set(KINDS) == set(symbp.testing.DESCRIPTIONS)
    assert len(SINGLE) >= 10 and len(DOUBLE) >= 3


@pytest.mark.parametrize("layers,activation", [((3, 3, 3, 2), "sigmoid"), ((2, 3, 3, 3), "tanh")])
def test_every_mistake_the_shapes_allow_gives_valid_gradients_and_is_told_apart_from_the_others(layers, activation):
    """Students simulated by the mistaken backprop itself, one per candidate: the check here is that every
    candidate keeps the contract's shapes (a mistake "in every layer" only where the sizes allow it) and
    that no two candidates give the same numbers. The planted files above are the independent test."""
    net = Network(list(layers), activation, "squared_error")
    truth = symbp.gradient_function(net)
    for mistake in candidate_mistakes(net, batch=8):
        def student_fn(params, x, t, mistake=mistake):
            return truth(params, x, t)[0], mistaken_backprop(net, params, x, t, (mistake,))

        report = compare_gradients(student_fn, net, batch=8, points=3)
        assert [list(e) for e in report.diagnosis.explanations] == [[mistake]], mistake


def hit_rate(paths) -> tuple[int, int]:
    hits = 0
    for path in paths:
        planted, explanations, _ = diagnosed(path)
        hits += explanations == [planted]
    return hits, len(paths)


def test_the_report_lays_out_the_wrong_entries_by_layer_and_names_the_entries_that_differ():
    _, _, report = diagnosed(STUDENTS / "bug_wrong_delta.py")  # only dC/dW1 is wrong
    assert {e.name for e in report.mismatches} == {f"W1_{i}_{j}" for i in (1, 2, 3) for j in (1, 2, 3)}
    text = str(report)
    assert "Layer 3: W3 and b3 match." in text and "Layer 2: W2 and b2 match." in text
    assert "9 of 9 entries of W1 differ (b1 matches)" in text
    errors = [e.relative_error for e in report.mismatches]
    assert errors == sorted(errors, reverse=True)
    worst = report.mismatches[0]  # its numbers are those of the student's function at that point
    params, x, t = _point(report, worst.point)
    received = student("bug_wrong_delta.py")(params, x, t)[1]["W1"]
    i, j = (int(n) - 1 for n in worst.name.split("_")[1:])
    assert worst.received == pytest.approx(received[i, j], rel=1e-12)
    assert worst.expected == pytest.approx(student("correct_vectorised.py")(params, x, t)[1]["W1"][i, j], rel=1e-9)


def _point(report, point: int):
    """The report's point number ``point`` (1-based), drawn again the way compare_gradients draws them."""
    rng = np.random.default_rng(report.seed)
    drawn = [symbp.testing._draw(report.network, report.batch, rng) for _ in range(point)]
    return drawn[-1]


def test_an_unknown_mistake_is_said_so_and_the_first_wrong_layer_from_the_output_is_named():
    correct = student("correct_vectorised.py")

    def backward(params, x, t):  # delta^{(1)} halved: no mistake symbp knows
        C, grads = correct(params, x, t)
        return C, {**grads, "W1": grads["W1"] / 2, "b1": grads["b1"] / 2}

    report = compare_gradients(backward, layers=[3, 4, 2], activations="sigmoid", cost="squared_error", batch=4)
    assert report.diagnosis.explanations == () and report.diagnosis.first_wrong_layer == 1
    assert "No mistake symbp knows" in str(report)
    assert "first wrong gradient from the output down is in layer 1" in str(report)


def test_a_cost_missing_its_half_is_named():
    _, _, report = diagnosed(STUDENTS / "bug_half_forgotten.py")
    assert report.cost is not None and report.cost_ratio == pytest.approx(2)
    assert "the cost's ½ is missing" in str(report)


def test_mistakes_invisible_at_batch_1_are_not_offered_and_the_pass_says_so():
    report = compare_gradients(student("bug_bias_summed.py"), layers=[3, 4, 2], activations="sigmoid",
                               cost="squared_error", batch=1)
    assert report.passed and "batch of 8" in str(report)


def test_the_report_shows_in_jupyter_as_markdown_with_a_table():
    _, _, report = diagnosed(STUDENTS / "bug_sigma_prime_missing_hidden.py")
    markdown = report._repr_markdown_()
    assert "**Diagnosis:**" in markdown and "| entry | expected | received | rel. error | point |" in markdown
    assert describe_mistake(Mistake("sigma_prime_missing", (1,)), report.network) in markdown


# Contract errors: one line saying what was expected ---------------------------------------------------------


CONTRACT = {
    "missing_key": ("grads is missing 'b1'; expected keys W1, b1, W2, b2",),
    "transposed_shape": ("grads['W1'] has shape (3, 4), expected (4, 3)", "it is transposed"),
    "nan_entry": ("grads['W2'] holds nan at W2_1_2", "expected finite numbers"),
    "cost_is_sum": ("C is 8 times symbp's", "return the mean cost"),
    "cost_per_sample": ("C has shape (8,), expected a single number",),
    "bias_per_sample": ("grads['b1'] has shape (8, 4), expected (4,)", "average δ⁽¹⁾ over the samples"),
}


@pytest.mark.parametrize("function", CONTRACT)
def test_contract_errors_say_in_one_line_what_was_expected(function):
    fn = student("contract_errors.py", function)
    with pytest.raises(GradientContractError) as raised:
        symbp.testing.assert_gradients_match(fn, layers=[3, 4, 2], activations="sigmoid", cost="squared_error",
                                             batch=8)
    message = str(raised.value)
    assert "\n" not in message
    for part in CONTRACT[function]:
        assert part in message


def test_loading_leaves_sys_path_as_it_was():
    before = list(sys.path)
    student("bug_sign_flipped.py")  # imports _common from its own folder
    assert sys.path == before


if __name__ == "__main__":
    for label, paths in (("single", SINGLE), ("double", DOUBLE)):
        hits, total = hit_rate(paths)
        print(f"{label} mistakes: {hits} of {total} diagnosed exactly ({100 * hits / total:.0f}%)")
