"""Every format carries the same content: network line, step titles, repeated work, one product rule.

Expectations come from the lecture (/work/shared/reference/backprop-lecture.md): for W2_1_2 and
W1_2_3 on 3,2,2,1 the naive paths are 1 + 2, so dC/da^(3) da^(3)/dz^(3) (delta^(3)) is computed 3
times and the prefix of delta^(2)_1 twice; the recursive case writes "dC/dz_i^(m+1) . W_ij^(m+1)"
with a dot.
"""

from __future__ import annotations

import json
import re

import symbp
from symbp.printers import print_derivations

LECTURE = symbp.Network()
BATCH = symbp.Network([2, 2, 1], batch=3, l2=0.5)


def _items(network, entries):
    return [*(symbp.naive(network, e) for e in entries), symbp.backprop(network, entries)]


def _outputs(network=LECTURE, entries=("W2_1_2", "W1_2_3")):
    items = _items(network, list(entries))
    return {f: print_derivations(network, items, f) for f in ("text", "latex", "markdown", "json")}


def test_every_format_lists_the_work_the_naive_expansions_repeat():
    outputs = _outputs()
    for name, out in outputs.items():
        assert "naive: 3 times; backprop: once" in out, name
        assert "naive: 2 times; backprop: once" in out, name
    repeated = json.loads(outputs["json"])["repeated_work"]
    assert [(r["delta"], r["note"]) for r in repeated] == [
        ("delta3_1", "naive: 3 times; backprop: once"), ("delta2_1", "naive: 2 times; backprop: once")]


def test_latex_and_markdown_carry_the_network_line_and_latex_the_step_titles():
    outputs = _outputs(BATCH, ["W1_1_2"])
    for name in ("latex", "markdown"):
        assert "network 2,2,1 (L = 2)" in outputs[name] and "N = 3" in outputs[name] and "λ = 0.5" in outputs[name], name
    assert outputs["latex"].startswith("% network 2,2,1")
    titles = re.findall(r"^% (Step \d+):", outputs["latex"], re.M)
    assert titles == ["Step 1", "Step 2", "Step 3"]  # output layer, hidden layer 1, the gradients


def test_delta_times_weight_has_a_dot_in_every_format_as_in_the_lecture():
    outputs = _outputs()
    assert r"\delta^{(3)} \cdot w^{(3)}_{1}" in outputs["latex"]
    assert r"\delta^{(2)}_{i} \cdot W^{(2)}_{ij}" in outputs["latex"]
    assert "δ⁽³⁾ · w⁽³⁾₁" in outputs["text"]
    assert not re.search(r"\\delta\^\{\(\d\)\}(_\{\w\})? [wW]\^", outputs["latex"] + outputs["markdown"])


def test_json_delta_formula_latex_is_the_lectures_sum_then_sigma_prime():
    deltas = json.loads(_outputs()["json"])["backprop"][0]["deltas"]
    by_name = {d["delta"]: d["formula_latex"] for d in deltas}
    # (delta_1^(2) W_12^(2) + delta_2^(2) W_22^(2)) sigma^(1)'(z_2^(1)): the sum first, as the lecture orders it.
    assert by_name["delta1_2"] == (r"\Bigl(\delta^{(2)}_{1} \cdot W^{(2)}_{12} + \delta^{(2)}_{2} \cdot W^{(2)}_{22}\Bigr)"
                                   r" \cdot \sigma^{(1)\prime}(z^{(1)}_{2})")


def test_backprop_json_entry_does_not_grow_with_the_paths_and_unrolls_only_when_asked():
    """dC/dW1_1_1 sums D(2) * D(3) paths (9 at width 3, 36 at width 6); its JSON entry must not grow with them."""
    from symbp.docmodel import derivations_document
    from symbp.printers.json import JsonDocumentPrinter

    def entry_size(width: int, **settings: bool) -> int:
        network = symbp.Network([2, width, width, width, 1], activations="sigmoid", cost="squared_error")
        document = derivations_document(network, [symbp.backprop(network, ["W1_1_1"])])
        (entry,) = json.loads(JsonDocumentPrinter(network=network, **settings).doprint(document))["entries"]
        return len(json.dumps(entry))

    assert entry_size(6) < 1.2 * entry_size(3)
    assert entry_size(6, unrolled=True) > 2 * entry_size(3, unrolled=True)  # what the default leaves out


def test_latex_header_names_the_packages_it_needs():
    naive_and_backprop = _outputs()["latex"]
    assert "\\color{" in naive_and_backprop  # the repeated-work marks: xcolor
    assert "% needs \\usepackage{amsmath, xcolor}" in naive_and_backprop.splitlines()[:3]
    backprop_only = print_derivations(LECTURE, [symbp.backprop(LECTURE, ["W2_1_2"])], "latex")
    assert "\\color{" not in backprop_only and "% needs \\usepackage{amsmath}" in backprop_only.splitlines()[:3]
