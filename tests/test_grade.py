"""symbp.grade: correct rewritings grade correct, planted mistakes grade incorrect with the mistake named.

The oracle is the lecture's chain rule written out here from the path structure
(one path per choice of a unit in every layer above the entry), never symbp's
naive expansion; the mutations are planted in that independent list of paths.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from dataclasses import dataclass

import pytest
import sympy as sp

import symbp

grade = symbp.grade

from symbp.answer import parse_answer  # noqa: E402
from symbp.printers.text import text  # noqa: E402

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

MUTATIONS = ("drop_path", "drop_factor", "swap_indices", "sigma_layer", "flip_sign", "double_term")


# The lecture's formula, written independently ---------------------------------------------------------------


def lecture_paths(net: symbp.Network, entry: str) -> list[tuple[tuple[int, ...], list[str]]]:
    """(units k_m..k_L, factors from C down) for every path of dC/d(entry), by the chain rule."""
    kind, m, i, *rest = entry[0], *map(int, entry[1:].split("_"))
    L = net.L
    paths = []
    for above in itertools.product(*[range(1, net.D(layer) + 1) for layer in range(m + 1, L + 1)]):
        units = (i, *above)  # units[l - m] is the unit of layer l
        factors = [f"dC/da{L}_{units[-1]}"]
        for layer in range(L, m, -1):
            k, below = units[layer - m], units[layer - m - 1]
            factors += [f"sigma{layer}'(z{layer}_{k})", f"W{layer}_{k}_{below}"]
        factors.append(f"sigma{m}'(z{m}_{i})")
        if kind == "W":
            factors.append(f"a{m - 1}_{rest[0]}")
        paths.append((units, factors))
    return paths


def written(paths: list[list[str]], coefficients: list[str] | None = None) -> str:
    terms = [" * ".join(factors) for factors in paths] or ["0"]
    if coefficients:
        terms = [f"{c}{t}" for c, t in zip(coefficients, terms)]
    return " + ".join(terms)


def grouped(paths: list[list[str]]) -> str:
    """The lecture's grouping: the factors every path shares, times the sum of what is left."""
    common = [f for f in paths[0] if all(f in p for p in paths)]
    rests = [[f for f in p if f not in common] or ["1"] for p in paths]
    return " * ".join([*common, "(" + " + ".join(" * ".join(r) for r in rests) + ")"])


def shuffled(paths: list[list[str]], rng: random.Random) -> str:
    order = [rng.sample(p, len(p)) for p in paths]
    return written(rng.sample(order, len(order)))


def delta_form(entry: str) -> str:
    kind, m, i, *rest = entry[0], *map(int, entry[1:].split("_"))
    return f"a{m - 1}_{rest[0]} * delta{m}_{i}" if kind == "W" else f"delta{m}_{i}"


def random_network(rng: random.Random, activations=("abstract",), costs=("abstract",)) -> symbp.Network:
    L = rng.randint(1, 3)
    layers = [rng.randint(1, 3) for _ in range(L + 1)]
    return symbp.Network(layers, [rng.choice(activations) for _ in range(L)], rng.choice(costs))


def random_entry(net: symbp.Network, rng: random.Random) -> str:
    return rng.choice([e.name for e in net.entries(("W", "b"))])


# Correct rewritings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_equivalent_rewritings_grade_correct(seed: int) -> None:
    rng = random.Random(seed)
    net = random_network(rng)
    entry = random_entry(net, rng)
    paths = [factors for _, factors in lecture_paths(net, entry)]
    derivation = symbp.naive(net, entry)
    rewritings = {
        "as written": written(paths),
        "shuffled": shuffled(paths, rng),
        "grouped": grouped(paths),
        "delta": delta_form(entry),
        "symbp latex": symbp.latex(derivation),
        "symbp text": text(derivation).split("\n\nWork")[0],
    }
    for how, answer in rewritings.items():
        result = grade(net, entry, answer)
        assert result.verdict == "correct", (how, answer, result.lines())
        assert not result.feedback


def test_delta_can_be_refused() -> None:
    result = grade(symbp.Network(), "W2_1_2", "delta2_1 * a1_2", allow_delta=False)
    assert result.verdict == "incorrect"
    assert result.feedback[0].kind == "delta_not_allowed"


CONCRETE_FORMS = {
    "sigmoid": "a{l}_{k} * (1 - a{l}_{k})",
    "tanh": "(1 - a{l}_{k}^2)",
    "identity": "1",
    "relu": "[z{l}_{k} > 0]",
    "leaky_relu": "{{1 if z{l}_{k} > 0; 1/100 otherwise}}",
}


def concrete(factor: str, net: symbp.Network) -> str:
    """A factor written out as a teacher would for a concrete sigma or squared error."""
    if factor.startswith("sigma"):
        layer, k = factor[len("sigma"):].split("'")[0], factor.split("_")[-1].rstrip(")")
        form = CONCRETE_FORMS.get(net.activations[int(layer) - 1])
        return f"({form.format(l=layer, k=k)})" if form else factor
    if factor.startswith("dC/da") and net.cost == "squared_error":
        k = factor.split("_")[-1]
        return f"(a{net.L}_{k} - t_{k})"
    return factor


@pytest.mark.parametrize("seed", range(8))
def test_concrete_forms_grade_correct_and_mistakes_do_not(seed: int) -> None:
    rng = random.Random(100 + seed)
    net = random_network(rng, ("sigmoid", "tanh", "identity"), ("squared_error",))
    entry = random_entry(net, rng)
    paths = [[concrete(f, net) for f in factors] for _, factors in lecture_paths(net, entry)]
    assert grade(net, entry, written(paths)).verdict == "correct"
    assert grade(net, entry, grouped(paths)).verdict == "correct"
    assert grade(net, entry, symbp.latex(symbp.naive(net, entry))).verdict == "correct"
    wrong = grade(net, entry, written(paths[1:]) if len(paths) > 1 else f"2 * {written(paths)}")
    assert wrong.verdict == "incorrect" and wrong.counterexample is not None
    assert wrong.counterexample.answer != pytest.approx(wrong.counterexample.truth)


def test_sigmoid_derivative_in_z_is_proved_numerically() -> None:
    net = symbp.Network(activations="sigmoid", cost="squared_error")
    answer = "(a3 - t) * exp(-z3)/(1 + exp(-z3))^2 * w3_1 * a2_1 * (1 - a2_1) * a1_2"
    result = grade(net, "W2_1_2", answer)
    assert result.verdict == "correct" and result.method.startswith("numeric")


# Planted mistakes ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    kind: str
    answer: str
    path: frozenset[str]  # the activations the mutated path passes, e.g. {"a2_1", "a3_1"}
    expected: str = ""  # the factor that should be there
    found: str = ""  # the factor written instead


def plant(net: symbp.Network, entry: str, kind: str, rng: random.Random) -> Mutation | None:
    """One mistake of ``kind`` in the lecture's answer, or None when this entry has no place for it."""
    paths = lecture_paths(net, entry)
    m = int(entry[1:].split("_")[0])
    p = rng.randrange(len(paths))
    units, factors = paths[p]
    where = frozenset(f"a{m + n}_{k}" for n, k in enumerate(units))
    others = [f for q, (_, f) in enumerate(paths) if q != p]
    if kind == "drop_path":
        return Mutation(kind, written(others), where)
    if kind == "drop_factor":
        dropped = rng.choice(factors)
        return Mutation(kind, written(others + [[f for f in factors if f != dropped]]), where, expected=dropped)
    if kind == "swap_indices":
        weights = [f for f in factors if f.startswith("W") and len(set(f.split("_")[1:])) == 2]
        swappable = [w for w in weights if _swap(w) and _exists(net, _swap(w))]
        if not swappable:
            return None
        weight = rng.choice(swappable)
        changed = [_swap(weight) if f == weight else f for f in factors]
        return Mutation(kind, written(others + [changed]), where, expected=weight, found=_swap(weight))
    if kind == "sigma_layer":
        if net.L < 2:
            return None
        sigma = rng.choice([f for f in factors if f.startswith("sigma")])
        layer = int(sigma[len("sigma"):].split("'")[0])
        other = rng.choice([n for n in range(1, net.L + 1) if n != layer])
        wrong = f"sigma{other}'" + sigma.split("'", 1)[1]
        changed = [wrong if f == sigma else f for f in factors]
        return Mutation(kind, written(others + [changed]), where, expected=sigma, found=wrong)
    if kind == "flip_sign":
        return Mutation(kind, f"-({written([f for _, f in paths])})", frozenset())
    if kind == "double_term":
        coefficients = ["2 * " if q == p else "" for q in range(len(paths))]
        return Mutation(kind, written([f for _, f in paths], coefficients), where if len(paths) > 1 else frozenset())
    raise ValueError(kind)


def _swap(weight: str) -> str:
    m, i, j = weight[1:].split("_")
    return f"W{m}_{j}_{i}"


def _exists(net: symbp.Network, weight: str) -> bool:
    m, i, j = map(int, weight[1:].split("_"))
    return i <= net.D(m) and j <= net.D(m - 1)


EXPECTED_KIND = {
    "drop_path": "missing_path", "drop_factor": "missing_factor", "swap_indices": "swapped_indices",
    "sigma_layer": "wrong_layer", "flip_sign": "sign", "double_term": "scale",
}


def named(net: symbp.Network, mutation: Mutation, result) -> bool:
    """True when the feedback is one item naming exactly the planted mistake."""
    if result.verdict != "incorrect" or len(result.feedback) != 1:
        return False
    item = result.feedback[0]

    def same(a: str, b: str) -> bool:
        return parse_answer(a, net) == parse_answer(b, net) if a and b else a == b

    passes = frozenset(str(parse_answer(name, net)) for name in item.path[1:-1])
    return (
        item.kind == EXPECTED_KIND[mutation.kind]
        and passes == frozenset(str(parse_answer(a, net)) for a in mutation.path)
        and same(item.expected, mutation.expected)
        and same(item.found, mutation.found)
    )


def seeded_mutations(count: int, seed: int = 0, concrete_forms: bool = False):
    """``count`` (network, entry, mutation) triples on tiny networks, every kind in turn.

    With ``concrete_forms`` some layers are sigmoid or tanh and C may be squared error, and the answer
    writes their sigma' and dC/da out (a2_1 * (1 - a2_1), (a3_1 - t_1)) as a student would.
    """
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        kind = MUTATIONS[len(out) % len(MUTATIONS)]
        if concrete_forms:
            net = random_network(rng, ("sigmoid", "tanh", "abstract"), ("squared_error", "abstract"))
        else:
            net = random_network(rng)
        entry = random_entry(net, rng)
        mutation = plant(net, entry, kind, rng)
        if mutation is None or (concrete_forms and kind == "sigma_layer" and _same_sigma(net, mutation)):
            continue
        if concrete_forms:
            answer = mutation.answer
            for factor in {f for _, factors in lecture_paths(net, entry) for f in factors}:
                answer = answer.replace(factor, concrete(factor, net))
            mutation = dataclasses.replace(mutation, answer=answer)
        out.append((net, entry, mutation))
    return out


def _same_sigma(net: symbp.Network, mutation: Mutation) -> bool:
    """sigma1' in place of sigma2' is no mistake when both layers have the same concrete non-linearity."""
    first, second = (int(f[len("sigma"):].split("'")[0]) for f in (mutation.expected, mutation.found))
    return net.activations[first - 1] == net.activations[second - 1] != "abstract"


def feedback_hit_rate(count: int, seed: int = 0, concrete_forms: bool = False) -> tuple[int, int, list[str]]:
    """(mutations whose feedback names them, mutations graded incorrect, the misses described)."""
    hits = incorrect = 0
    misses = []
    for net, entry, mutation in seeded_mutations(count, seed, concrete_forms):
        result = grade(net, entry, mutation.answer)
        incorrect += result.verdict == "incorrect"
        if named(net, mutation, result):
            hits += 1
        else:
            misses.append(f"{net.describe()} {entry} {mutation.kind}: {mutation.answer} -> {result.lines()}")
    return hits, incorrect, misses


def test_each_kind_of_mistake_is_named_on_the_lecture_network() -> None:
    net = symbp.Network()
    for entry in ("W2_1_2", "W1_2_3"):
        for kind in MUTATIONS:
            mutation = plant(net, entry, kind, random.Random(3))
            if mutation is None:
                continue
            result = grade(net, entry, mutation.answer)
            assert named(net, mutation, result), (entry, kind, mutation, result.lines())


def test_feedback_names_the_planted_mistake_in_at_least_95_percent() -> None:
    hits, incorrect, misses = feedback_hit_rate(96, seed=1)
    assert incorrect == 96
    assert hits >= 0.95 * 96, misses[:5]


def test_feedback_names_the_planted_mistake_in_concrete_forms() -> None:
    hits, incorrect, misses = feedback_hit_rate(48, seed=2, concrete_forms=True)
    assert incorrect == 48
    assert hits >= 0.95 * 48, misses[:5]


def test_a_missing_concrete_factor_is_shown_with_its_formula() -> None:
    net = symbp.Network(activations="sigmoid", cost="squared_error")
    result = grade(net, "W2_1_2", "(a3 - t) * a3 * (1 - a3) * w3_1 * a1_2")
    assert result.feedback[0].kind == "missing_factor"
    assert result.feedback[0].message.startswith("sigma2'(z2_1) = a2_1*(1 - a2_1) is missing")


def test_messages_read_as_the_lecture_says_them() -> None:
    net = symbp.Network()
    swapped = grade(net, "W1_2_3", "dC/da3 * sigma3'(z3) * (w3_1 * sigma2'(z2_1) * W2_2_1"
                                   " + w3_2 * sigma2'(z2_2) * W2_2_2) * sigma1'(z1_2) * a0_3")
    assert "W2_2_1 should be W2_1_2: the indices are swapped" in swapped.feedback[0].message
    missing = grade(net, "W2_1_2", "dC/da3 * sigma3'(z3) * w3_1 * a1_2")
    assert missing.feedback[0].message.startswith("sigma2'(z2_1) is missing in the path W2_1_2 -> a2_1 -> a3")
    assert "-1 times" in grade(net, "W2_1_2", "-delta2_1 * a1_2").feedback[0].message
    assert "twice" in grade(net, "W2_1_2", "2 * delta2_1 * a1_2").feedback[0].message


def test_result_is_immutable_and_displays_in_jupyter() -> None:
    result = grade(symbp.Network(), "W2_1_2", "dC/da3 * sigma3'(z3) * w3_1 * a1_2")
    with pytest.raises(AttributeError):
        result.verdict = "correct"  # type: ignore[misc]
    shown = result._repr_markdown_()
    assert "incorrect" in shown and r"sigma2'(z2\_1) is missing" in shown


def test_unreadable_answer_raises_with_position() -> None:
    with pytest.raises(symbp.SymbpError, match="position 10"):
        grade(symbp.Network(), "W2_1_2", "delta2_1 ; a1_2")


EVERY_ACTIVATION = ("abstract", "identity", "sigmoid", "tanh", "relu", "softplus", "leaky_relu")


@pytest.mark.parametrize("seed", range(10))
def test_symbps_own_latex_and_text_grade_correct_for_every_nonlinearity_and_cost(seed: int) -> None:
    rng = random.Random(500 + seed)
    net = random_network(rng, EVERY_ACTIVATION, ("abstract", "squared_error"))
    if seed % 3 == 0:  # binary cross-entropy needs an output in (0, 1)
        net = symbp.Network(net.layers, [*net.activations[:-1], "sigmoid"], "binary_cross_entropy")
    entry = random_entry(net, rng)
    derivation, steps = symbp.naive(net, entry), symbp.backprop(net, [entry])
    # The backprop printouts end with dC/d(entry) = delta * a: graded from their last '='.
    for printed in (symbp.latex(derivation), text(derivation).split("\n\nWork")[0], symbp.latex(steps), text(steps)):
        assert grade(net, entry, printed).verdict == "correct", (net.describe(), entry, printed)
    paths = lecture_paths(net, entry)
    if len(paths) > 1:
        assert grade(net, entry, written([f for _, f in paths[1:]])).verdict == "incorrect"


def test_answers_too_large_to_expand_are_decided_by_numbers() -> None:
    result = grade(symbp.Network(), "W2_1_2", "((a1_2 + a1_1)^64)^64")  # 4,097 terms of 1,000-digit coefficients
    assert result.verdict == "incorrect" and result.method.startswith("numeric")
    assert [item.kind for item in result.feedback] == ["unmatched"]


def test_a_long_list_of_differences_is_cut_short() -> None:
    answer = " + ".join(f"{k} * a1_{j} * W1_1_{j}" for j in (1, 2) for k in range(1, 40))  # 2 terms after adding up
    many = " + ".join(f"a1_1 * W1_1_{j}^{k}" for j in (1, 2, 3) for k in range(1, 6))  # 15 terms, none a path
    for unlike_the_paths in (answer, many):  # one line, not a line per term
        assert [item.kind for item in grade(symbp.Network(), "W2_1_2", unlike_the_paths).feedback] == ["unmatched"]
    wide = symbp.Network([2, 2, 4, 4, 1])
    one_path = written([lecture_paths(wide, "W1_1_1")[0][1]])  # 15 of the 16 paths missing
    items = grade(wide, "W1_1_1", one_path).feedback
    assert len(items) == 10 and items[-1].message == "and 6 more differences"


@pytest.mark.parametrize("answer", ["exp(" * 55 + "a1_2" + ")" * 55, "log(a1_2 - a1_2)", "sqrt(-1 - a1_2^2)"])
def test_answers_without_a_finite_value_grade_incorrect(answer: str) -> None:
    assert grade(symbp.Network(), "W2_1_2", answer).verdict == "incorrect"


@pytest.mark.parametrize("seed", range(6))
def test_expected_answer_is_the_lecture_formula_in_the_answer_notation(seed: int) -> None:
    rng = random.Random(900 + seed)
    net = random_network(rng, EVERY_ACTIVATION, ("abstract", "squared_error"))
    entry = random_entry(net, rng)
    from symbp.grading import expected_answer

    solution = expected_answer(net, entry)
    lecture = written([f for _, f in lecture_paths(net, entry)])
    assert sp.expand(parse_answer(solution, net) - parse_answer(lecture, net)) == 0
    assert grade(net, entry, solution).verdict == "correct"


def test_relu_answers_are_checked_on_both_sides_of_the_kink() -> None:
    """At random points every relu unit may be off, where 0 equals the truth; the points must cover both sides."""
    net = symbp.Network([2, 2, 1], ["relu", "identity"], "squared_error")
    right = "(a2 - t) * w2_1 * [z1_1 > 0] * a0_2"
    assert grade(net, "W1_1_2", right).verdict == "correct"
    for wrong in ("0", "(a2 - t) * w2_1 * a0_2", "(a2 - t) * w2_1 * [z1_2 > 0] * a0_2"):
        assert grade(net, "W1_1_2", wrong).verdict == "incorrect", wrong
    missing = grade(net, "W1_1_2", "(a2 - t) * w2_1 * a0_2").feedback[0].message
    assert missing.startswith("sigma1'(z1_1) = [z1_1 > 0] is missing")


KINKED = ("relu", "leaky_relu")


def seeded_missing_sigmas(count: int, seed: int = 0):
    """``count`` (network, entry, mutation) triples: one sigma' left out of one path, on networks whose layers
    are relu, leaky relu (at least one) or sigmoid, C squared error or abstract; every other odd triple
    writes sigma' and dC/da out as their formulas ([z1_1 > 0], (a2_1 - t_1))."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        net = random_network(rng, (*KINKED, "sigmoid"), ("squared_error", "abstract"))
        if not set(KINKED) & set(net.activations):
            continue
        entry = random_entry(net, rng)
        paths = lecture_paths(net, entry)
        m = int(entry[1:].split("_")[0])
        p = rng.randrange(len(paths))
        units, factors = paths[p]
        kinked_sigmas = [f for f in factors if f.startswith("sigma") and net.activations[int(f[5]) - 1] in KINKED]
        if not kinked_sigmas:
            continue
        dropped = rng.choice(kinked_sigmas)
        others = [f for q, (_, f) in enumerate(paths) if q != p]
        answer = written(others + [[f for f in factors if f != dropped]])
        if len(out) % 2:
            for factor in {f for _, fs in paths for f in fs}:
                answer = answer.replace(factor, concrete(factor, net))
        where = frozenset(f"a{m + n}_{k}" for n, k in enumerate(units))
        out.append((net, entry, Mutation("drop_factor", answer, where, expected=dropped)))
    return out


def test_a_missing_relu_sigma_prime_is_always_named() -> None:
    """relu' is 0 or 1 and leaky relu' 1/100 or 1: at points where every unit is on, the answer without it
    equals the truth, so the points must also turn units off."""
    misses = []
    for net, entry, mutation in seeded_missing_sigmas(40, seed=4):
        result = grade(net, entry, mutation.answer)
        if not named(net, mutation, result):
            misses.append((net.describe(), entry, mutation.answer, result.lines()))
    assert not misses, misses[:3]


def test_the_reported_relu_answer_without_sigma_prime_is_incorrect() -> None:
    net = symbp.Network([2, 2, 1], "relu", "squared_error")
    result = grade(net, "W2_1_2", "(a2 - t) * a1_2")
    assert result.verdict == "incorrect"
    assert result.feedback[0].message.startswith("sigma2'(z2) = [z2 > 0] is missing")
    assert grade(net, "W2_1_2", "(a2 - t) * [z2 > 0] * a1_2").verdict == "correct"


@pytest.mark.parametrize("formula, kink", [("max(x, x/10)", 0), ("max(x, 2)", 2), ("abs(x - 3)", 3)])
def test_a_defined_kinked_nonlinearity_is_checked_on_both_sides_of_its_kink(formula: str, kink: float) -> None:
    """sigma' jumps at the kink (1 or 1/10, 0 or 1, -1 or 1): dropping it, or writing 0, is a mistake seen only
    with the unit on each side of it, wherever the kink is."""
    net = symbp.Network([2, 2, 1], ["kink", "identity"], "squared_error", define={"kink": formula})
    x = sp.Symbol("x", real=True)
    slope = sp.diff(sp.sympify(formula.replace("max", "Max").replace("abs", "Abs"), {"x": x}), x)  # oracle: sympy's own derivative
    assert float(slope.subs(x, kink + 0.5)) != float(slope.subs(x, kink - 0.5))
    for seed in range(4):
        assert grade(net, "W1_1_2", "(a2 - t) * w2_1 * sigma1'(z1_1) * a0_2", seed=seed).verdict == "correct"
        assert grade(net, "W1_1_2", "0", seed=seed).verdict == "incorrect"
        result = grade(net, "W1_1_2", "(a2 - t) * w2_1 * a0_2", seed=seed)
        assert result.verdict == "incorrect", (formula, seed)
        assert result.feedback[0].kind == "missing_factor" and result.feedback[0].expected == "sigma1'(z1_1)"


@pytest.mark.parametrize("seed", range(8))
def test_a_factor_left_out_of_the_grouped_form_is_named_once(seed: int) -> None:
    rng = random.Random(700 + seed)
    net = random_network(rng)
    entry = random_entry(net, rng)
    while len(lecture_paths(net, entry)) < 2:
        net = random_network(rng)
        entry = random_entry(net, rng)
    paths = [f for _, f in lecture_paths(net, entry)]
    common = [f for f in paths[0] if all(f in p for p in paths)]
    dropped = rng.choice(common)
    answer = grouped([[f for f in p if f != dropped] for p in paths])
    result = grade(net, entry, answer)
    assert len(result.feedback) == 1, result.lines()
    item = result.feedback[0]
    assert item.kind == "missing_factor" and item.path == ()
    assert parse_answer(item.expected, net) == parse_answer(dropped, net)
    assert f"missing in all {len(paths)} paths" in item.message


def test_a_defined_nonlinearity_grades_with_its_derivative_written_out() -> None:
    net = symbp.Network([2, 2, 1], ["swish", "identity"], "squared_error", define={"swish": "x/(1+exp(-x))"})
    x, z = sp.Symbol("x"), sp.Symbol("z1_1")
    slope = sp.diff(x / (1 + sp.exp(-x)), x).subs(x, z)  # the oracle: sympy's derivative of the formula
    written_out = str(slope).replace("**", "^")
    assert grade(net, "W1_1_2", f"(a2 - t) * w2_1 * ({written_out}) * a0_2").verdict == "correct"
    assert grade(net, "W1_1_2", "(a2 - t) * w2_1 * sigma1'(z1_1) * a0_2").verdict == "correct"
    left_out = grade(net, "W1_1_2", "(a2 - t) * w2_1 * a0_2")
    assert left_out.verdict == "incorrect" and left_out.feedback[0].expected == "sigma1'(z1_1)"


def test_a_softmax_output_is_refused_naming_what_grading_accepts() -> None:
    net = symbp.Network([2, 2, 2], ["sigmoid", "softmax"], "cross_entropy")
    from symbp.grading import expected_answer

    for attempt in (lambda: grade(net, "W1_1_2", "a0_2"), lambda: expected_answer(net, "W1_1_2")):
        with pytest.raises(symbp.SymbpError, match="'softmax'.*accepts element-wise non-linearities: .*sigmoid"):
            attempt()


def test_a_batch_network_is_graded_and_a_name_without_its_example_is_refused() -> None:
    """A batch is graded (tests/test_grade_batch.py); an answer naming a1_2 without its example is refused,
    naming the _n spelling, and the expected answer is the mean of the examples' paths."""
    from symbp.grading import expected_answer

    net = symbp.Network([2, 2, 1], "sigmoid", "squared_error", batch=2)
    with pytest.raises(symbp.SymbpError, match="in a batch of 2 examples every a is one example's: add _n1 .. _n2"):
        grade(net, "W2_1_2", "a1_2")
    assert expected_answer(net, "W2_1_2").endswith(") / 2")
    assert grade(net, "W2_1_2", expected_answer(net, "W2_1_2")).correct
