"""Grading a batch of N examples (``--batch N``): example n's quantities carry ``_n`` and its number
(``a1_2_n1``, ``delta2_1_n2``, ``sigma2'(z2_n1)``, ``dC/da2_n1``), W and b carry none, and
dC/dW^{(m)}_{ij} = (1/N) sum_n delta^{(m),(n)}_i a^{(m-1),(n)}_j (+ lambda W^{(m)}_{ij} with --l2).

The right answers are written out here by hand from that formula of the lecture, and each is checked
against sympy.diff of the batch cost C = (1/N) sum_n C^{(n)} (+ (lambda/2) sum W^2) built below from
scratch (nothing of symbp's graph or derivations). The wrong answers plant one batch mistake each: the
1/N left out, one example's term alone, an example's index mixed, a sigma' left out of one path.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import sympy as sp

import symbp
from symbp.errors import SymbpError
from test_cli import invoke

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command


def sig(v):
    return 1 / (1 + sp.exp(-v))


class Oracle:
    """A sigmoid network with squared error over N examples, written out with SymPy (the lecture's forward
    pass), at a random point; ``value(answer)`` evaluates an answer's names there, ``diff(name)`` is
    sympy.diff of the batch cost."""

    def __init__(self, layers: list[int], batch: int, l2: float = 0.0, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        L = len(layers) - 1
        self.layers, self.N, self.lam = layers, batch, sp.Rational(repr(l2))
        self.W = {m: sp.Matrix(layers[m], layers[m - 1], lambda i, j: sp.Symbol(f"W{m}_{i + 1}_{j + 1}"))
                  for m in range(1, L + 1)}
        self.b = {m: [sp.Symbol(f"b{m}_{i + 1}") for i in range(layers[m])] for m in range(1, L + 1)}
        self.point = {s: sp.Float(rng.uniform(-1, 1)) for m in self.W for s in [*self.W[m], *self.b[m]]}
        self.names: dict[str, sp.Expr] = {}
        costs = []
        for n in range(1, batch + 1):
            a = [[sp.Float(rng.uniform(-1, 1)) for _ in range(layers[0])]]
            t = [sp.Float(rng.uniform(0.1, 0.9)) for _ in range(layers[L])]
            for m in range(1, L + 1):
                z = [sum(self.W[m][i, j] * a[m - 1][j] for j in range(layers[m - 1])) + self.b[m][i]
                     for i in range(layers[m])]
                a.append([sig(v) for v in z])
            costs.append(sum((a[L][k] - t[k]) ** 2 for k in range(layers[L])) / 2)
            # The lecture's deltas: delta^{(L)} = (a - t) a (1 - a); delta^{(m)}_j = a (1 - a) sum_k W_kj delta_k
            delta = {L: [(a[L][k] - t[k]) * a[L][k] * (1 - a[L][k]) for k in range(layers[L])]}
            for m in range(L - 1, 0, -1):
                delta[m] = [a[m][j] * (1 - a[m][j]) * sum(self.W[m + 1][k, j] * delta[m + 1][k]
                                                           for k in range(layers[m + 1])) for j in range(layers[m])]
            for m in range(L + 1):
                for i in range(layers[m]):
                    self.names[f"a{m}_{i + 1}_n{n}"] = a[m][i]
                    if m:
                        self.names[f"delta{m}_{i + 1}_n{n}"] = delta[m][i]
                        self.names[f"dsigma{m}_{i + 1}_n{n}"] = a[m][i] * (1 - a[m][i])
            for k in range(layers[L]):
                self.names[f"dCda{L}_{k + 1}_n{n}"] = a[L][k] - t[k]
        squares = sum(w**2 for m in self.W for w in self.W[m])
        self.cost = sp.Add(*costs) / batch + self.lam / 2 * squares
        self.names["lambda"] = self.lam
        self.names.update({str(s): s for s in self.point})

    def diff(self, entry: str) -> float:
        return float(sp.diff(self.cost, sp.Symbol(entry)).xreplace(self.point))

    def value(self, answer: str) -> float:
        """The answer's value at the point: its sigma'(z..) and dC/da.. read as this file's names."""
        text = re.sub(r"sigma(\d)'\(z\d(?:_(\d))?_n(\d)\)", lambda m: f"dsigma{m[1]}_{m[2] or 1}_n{m[3]}", answer)
        text = text.replace("dC/da", "dCda").replace("lambda", "lam").replace("x_", "a0_")
        text = re.sub(r"\b(dCda|a|delta)(\d)_n", r"\1\2_1_n", text)  # the one output unit: a2_n1 is a2_1_n1
        return float(sp.sympify(text, locals={**self.names, "lam": self.lam}).xreplace(self.point))


def spelled_out(layers: list[int], batch: int, entry: str) -> str:
    """dC/dW1_i_j of a two-layer network, one product of local derivatives per path, for each example,
    divided by N: written from the lecture's chain rule, sigma' and dC/da by their names."""
    m, i, j = (int(v) for v in entry[1:].split("_"))
    assert m == 1 and len(layers) == 3
    terms = [f"dC/da2_{k}_n{n} * sigma2'(z2_{k}_n{n}) * W2_{k}_{i} * sigma1'(z1_{i}_n{n}) * a0_{j}_n{n}"
             for n in range(1, batch + 1) for k in range(1, layers[2] + 1)]
    return f"({' + '.join(terms)}) / {batch}"


def mean(terms: list[str], batch: int) -> str:
    return f"({' + '.join(terms)}) / {batch}"


NET = ["--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error"]
RIGHT_W2 = "(delta2_1_n1 * a1_2_n1 + delta2_1_n2 * a1_2_n2) / 2"  # (1/N) sum_n delta_1^(n) a_2^(n)


def network(layers: list[int], batch: int, l2: float = 0.0) -> symbp.Network:
    return symbp.Network(layers, "sigmoid", "squared_error", batch=batch, l2=l2)


# Right answers -------------------------------------------------------------------------------------------


RIGHT = [
    ([2, 2, 1], 2, "W2_1_2", RIGHT_W2),
    ([2, 2, 1], 2, "W2_1_2", "(dC/da2_n1 * sigma2'(z2_n1) * a1_2_n1 + dC/da2_n2 * sigma2'(z2_n2) * a1_2_n2) / 2"),
    ([2, 2, 1], 2, "b2_1", "(delta2_1_n1 + delta2_1_n2) / 2"),
    ([2, 2, 1], 3, "W2_1_1", mean([f"delta2_1_n{n} * a1_1_n{n}" for n in (1, 2, 3)], 3)),
    ([2, 2, 1], 3, "W1_2_1", mean([f"delta1_2_n{n} * a0_1_n{n}" for n in (1, 2, 3)], 3)),
    ([2, 2, 1], 3, "W1_2_1", "(delta1_2_n1 * x_1_n1 + delta1_2_n2 * x_1_n2 + delta1_2_n3 * x_1_n3) / 3"),
    ([2, 2, 2], 2, "W1_1_2", spelled_out([2, 2, 2], 2, "W1_1_2")),
    ([2, 2, 2], 3, "W1_2_1", spelled_out([2, 2, 2], 3, "W1_2_1")),
    ([2, 2, 2], 2, "W1_1_2", mean([f"sigma1'(z1_1_n{n}) * (W2_1_1 * delta2_1_n{n} + W2_2_1 * delta2_2_n{n}) * a0_2_n{n}"
                                   for n in (1, 2)], 2)),
]


@pytest.mark.parametrize("layers, batch, entry, answer", RIGHT)
def test_the_lecture_batch_formula_written_by_hand_is_graded_correct(layers, batch, entry, answer):
    oracle = Oracle(layers, batch)
    assert oracle.value(answer) == pytest.approx(oracle.diff(entry), rel=1e-10, abs=1e-14)  # the answer is right
    result = symbp.grade(network(layers, batch), entry, answer)
    assert result.correct, result.lines()


@pytest.mark.parametrize("entry, answer", [
    ("W2_1_2", RIGHT_W2 + " + lambda * W2_1_2"),
    ("W2_1_2", RIGHT_W2 + " + 0.1 * W2_1_2"),
    ("W1_2_1", "(delta1_2_n1 * a0_1_n1 + delta1_2_n2 * a0_1_n2) / 2 + lambda * W1_2_1"),
    ("b1_2", "(delta1_2_n1 + delta1_2_n2) / 2"),  # biases are not decayed
])
def test_with_weight_decay_the_mean_gains_lambda_w(entry, answer):
    oracle = Oracle([2, 2, 1], 2, l2=0.1)
    assert oracle.value(answer) == pytest.approx(oracle.diff(entry), rel=1e-10, abs=1e-14)
    assert symbp.grade(network([2, 2, 1], 2, 0.1), entry, answer).correct


def test_symbp_printed_unicode_and_latex_batch_names_are_read():
    """The layer, then the example, as symbp's derivations print them: a⁽¹⁾⁽²⁾₂, a^{(1),(2)}_{2}, C⁽¹⁾, t⁽²⁾."""
    net = network([2, 2, 1], 2)
    unicode = "1/2 · (∂C⁽¹⁾/∂a⁽²⁾⁽¹⁾ · σ⁽²⁾′(z⁽²⁾⁽¹⁾) · a⁽¹⁾⁽¹⁾₂ + δ⁽²⁾⁽²⁾ · a⁽¹⁾⁽²⁾₂)"
    latex = (r"\frac{1}{2} \Bigl(\frac{\partial C^{(1)}}{\partial a^{(2),(1)}} \cdot "
             r"\sigma^{(2)\prime}(z^{(2),(1)}) \cdot a^{(1),(1)}_{2} + \delta^{(2),(2)} \cdot a^{(1),(2)}_{2}\Bigr)")
    targets = ("((a2_n1 - t_n1) * sigma2'(z2_n1) * a1_2_n1"
               " + (a⁽²⁾⁽²⁾ - t⁽²⁾) * sigma2'(z2_n2) * a1_2_n2) / 2")
    for answer in (unicode, latex, targets):
        assert symbp.grade(net, "W2_1_2", answer).correct, answer


# Planted batch mistakes ------------------------------------------------------------------------------------


def kinds(result) -> list[str]:
    return [item.kind for item in result.feedback]


def test_the_missing_one_over_n_is_named():
    oracle = Oracle([2, 2, 1], 2)
    answer = "delta2_1_n1 * a1_2_n1 + delta2_1_n2 * a1_2_n2"
    assert oracle.value(answer) == pytest.approx(2 * oracle.diff("W2_1_2"), rel=1e-10)  # the mistake planted
    result = symbp.grade(network([2, 2, 1], 2), "W2_1_2", answer)
    assert not result.correct and kinds(result) == ["batch_mean_missing"]
    assert "the 1/N is missing" in result.feedback[0].message and "2 times dC/dW2_1_2" in result.feedback[0].message


def test_the_missing_one_over_n_is_named_beside_weight_decay_and_in_a_spelled_out_sum():
    decayed = symbp.grade(network([2, 2, 1], 2, 0.1), "W2_1_2",
                          "delta2_1_n1 * a1_2_n1 + delta2_1_n2 * a1_2_n2 + lambda * W2_1_2")
    assert kinds(decayed) == ["batch_mean_missing"]
    answer = spelled_out([2, 2, 2], 3, "W1_1_2").removesuffix(" / 3")
    spelled = symbp.grade(network([2, 2, 2], 3), "W1_1_2", answer)
    assert kinds(spelled) == ["batch_mean_missing"] and "3 times" in spelled.feedback[0].message


@pytest.mark.parametrize("answer, example, scaled", [
    ("delta2_1_n1 * a1_2_n1 / 2", 1, False),
    ("delta2_1_n2 * a1_2_n2", 2, True),  # one example's gradient, as without a batch
])
def test_one_example_s_term_alone_is_named_with_its_example(answer, example, scaled):
    result = symbp.grade(network([2, 2, 1], 2), "W2_1_2", answer)
    assert kinds(result) == ["batch_one_example"]
    message = result.feedback[0].message
    assert f"example {example}'s term only" in message and ("without the 1/N" in message) == scaled


def test_an_example_s_index_mixed_is_named_with_both_examples_and_the_path_it_belongs_to():
    oracle = Oracle([2, 2, 1], 2)
    answer = "(delta2_1_n1 * a1_2_n2 + delta2_1_n2 * a1_2_n2) / 2"  # example 1's delta with example 2's a
    assert oracle.value(answer) != pytest.approx(oracle.diff("W2_1_2"), rel=1e-6)
    result = symbp.grade(network([2, 2, 1], 2), "W2_1_2", answer)
    assert not result.correct and kinds(result)[0] == "batch_mixed_examples"
    assert "mixes examples 1 and 2 (delta2_n1 of example 1; a1_2_n2 of example 2)" in result.feedback[0].message
    assert any(item.kind == "wrong_factor" and item.expected == "a1_2_n1" and item.found == "a1_2_n2"
               for item in result.feedback)


def test_a_sigma_prime_left_out_of_one_example_s_path_is_named_in_that_path():
    answer = "(dC/da2_n1 * a1_2_n1 + dC/da2_n2 * sigma2'(z2_n2) * a1_2_n2) / 2"
    result = symbp.grade(network([2, 2, 1], 2), "W2_1_2", answer)
    assert kinds(result) == ["missing_factor"]
    assert result.feedback[0].message == ("sigma2'(z2_n1) = a2_n1*(1 - a2_n1) is missing in the path "
                                          "w2_2 -> a2_n1 -> C")


def test_a_missing_decay_term_in_a_batch_is_named():
    result = symbp.grade(network([2, 2, 1], 2, 0.1), "W2_1_2", RIGHT_W2)
    assert kinds(result) == ["decay_missing"]


def test_the_wrong_divisor_is_a_scale():
    result = symbp.grade(network([2, 2, 1], 3), "W2_1_1", mean([f"delta2_1_n{n} * a1_1_n{n}" for n in (1, 2, 3)], 2))
    assert kinds(result) == ["scale"] and "3/2 times" in result.feedback[0].message


# Names that are refused ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layers, batch, answer, message", [
    ([2, 2, 1], 2, "delta2_1 * a1_2", "'delta2_1' at position 1: in a batch of 2 examples every delta is one "
                                      "example's: add _n1 .. _n2 to the name, e.g. delta2_1_n1"),
    ([2, 2, 1], 2, "delta2_1_n1 * a1_2_n3", "'a1_2_n3' at position 15: the examples of the batch are numbered 1..2"),
    ([2, 2, 1], 2, "W2_1_2_n1", "W is shared by every example of the batch: leave _n1 out"),
    ([2, 2, 1], 2, "sigma2_n1'(z2_n1)", "sigma is shared by every example of the batch"),
    ([2, 2, 1], 1, "delta2_1_n1 * a1_2_n1", "_n names an example of a batch, and this network has one example"),
])
def test_a_name_without_or_with_a_wrong_example_is_one_line_and_exit_2(layers, batch, answer, message):
    result = invoke("grade", "--entry", "W2_1_2", "--answer", answer, "--layers", ",".join(map(str, layers)),
                    "--activation", "sigmoid", "--cost", "squared_error", "--batch", str(batch))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_library_refuses_the_same_with_symbp_error():
    with pytest.raises(SymbpError, match="every a is one example's"):
        symbp.grade(network([2, 2, 1], 2), "W2_1_2", "delta2_1_n1 * a1_2")


# The command line -----------------------------------------------------------------------------------------


def test_grade_entry_answer_batch_exits_0_correct_and_1_with_the_feedback():
    right = invoke("grade", "--entry", "W2_1_2", "--answer", RIGHT_W2, *NET, "--batch", "2")
    assert right.exit_code == 0 and right.stdout.startswith("W2_1_2: correct")
    wrong = invoke("grade", "--entry", "W2_1_2", "--answer", "delta2_1_n1 * a1_2_n1 + delta2_1_n2 * a1_2_n2",
                   *NET, "--batch", "2")
    assert wrong.exit_code == 1 and "the 1/N is missing" in wrong.stdout
    decayed = invoke("grade", "--entry", "W2_1_2", "--answer", RIGHT_W2 + " + lambda * W2_1_2", *NET,
                     "--batch", "2", "--l2", "0.01")
    assert decayed.exit_code == 0


def test_a_class_csv_with_batch_is_graded_row_by_row(tmp_path):
    answers = tmp_path / "class.csv"
    answers.write_text(
        "student,entry,answer\n"
        f'ann,W2_1_2,"{RIGHT_W2}"\n'
        'bob,W2_1_2,"delta2_1_n1 * a1_2_n1 + delta2_1_n2 * a1_2_n2"\n'
        'cid,W2_1_2,"delta2_1_n2 * a1_2_n2"\n'
        'dan,W2_1_2,"(delta2_1_n1 * a1_2_n2 + delta2_1_n2 * a1_2_n1) / 2"\n'
        'eve,W2_1_2,"delta2_1 * a1_2"\n'
        'fay,b2_1,"(delta2_1_n1 + delta2_1_n2) / 2"\n', encoding="utf-8")
    report = tmp_path / "report.json"
    result = invoke("grade", "--answers", str(answers), "--report", str(report), *NET, "--batch", "2")
    assert result.exit_code == 0, result.stderr
    rows = {row["student"]: row for row in json.loads(report.read_text())}
    assert [rows[s]["verdict"] for s in ("ann", "bob", "cid", "dan", "eve", "fay")] == [
        "correct", "incorrect", "incorrect", "incorrect", "unreadable", "correct"]
    assert "the 1/N is missing" in rows["bob"]["feedback"]
    assert "example 2's term only" in rows["cid"]["feedback"]
    assert "mixes examples 1 and 2" in rows["dan"]["feedback"]
    assert "every delta is one example's" in rows["eve"]["feedback"]
    assert "batch mean missing 1" in result.stdout and "batch mixed examples 2" in result.stdout


def test_the_expected_answer_of_a_batch_is_the_mean_of_every_example_s_paths():
    from symbp.grading import expected_answer

    oracle = Oracle([2, 2, 2], 2)
    text = expected_answer(network([2, 2, 2], 2), "W1_1_2")
    assert text.endswith(") / 2") and text.count(" + ") == 3  # 2 paths for each of 2 examples
    assert oracle.value(text) == pytest.approx(oracle.diff("W1_1_2"), rel=1e-10)
