"""LaTeX of the derivations, against the lecture (../shared/reference/backprop-lecture.md).

Expected factors and formulas are written out by hand from the lecture's slides, or
from the issue's statement of the vectorized form; none is copied from symbp's output,
except the golden files, which a person reviewed (see ``test_golden_files``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import symbp
from symbp.derive.repeated import repeated_work
from symbp.graph import build_graph
from symbp.printers.latex import (
    escape_latex,
    latex,
    latex_algorithm,
    latex_backprop_steps,
    latex_vectorized,
)
from symbp.printers.lines import estimate_width
from symbp.printers.markdown import escape_markdown, markdown

GOLDEN = Path(__file__).parent / "golden"
NET = symbp.DEFAULT_NETWORK
SIGMOID = symbp.Network([3, 2, 2, 1], "sigmoid", "squared_error")


def braced(text: str, start: int) -> tuple[str, int]:
    """The balanced ``{...}`` group opening at ``start`` and the index after it."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1 : i], i + 1
    raise AssertionError(f"unbalanced braces in {text!r}")


def fractions(row: str) -> list[tuple[str, str]]:
    """Every ``\\frac{\\partial X}{\\partial Y}`` of a row as (X, Y), left to right."""
    found = []
    for match in re.finditer(r"\\frac\{\\partial ", row):
        top, after = braced(row, match.start() + len(r"\frac"))
        bottom, _ = braced(row, after)
        found.append((top.removeprefix(r"\partial "), bottom.removeprefix(r"\partial ")))
    return found


def rows(tex: str) -> list[str]:
    body = tex.removeprefix("\\begin{aligned}\n").removesuffix("\n\\end{aligned}")
    return re.split(r" \\\\(?:\[1ex\])?\n", body)


def test_golden_files():
    """The lecture's two exercises in abstract mode, naive (shared work marked across both) then backprop.

    tests/golden/W2_1_2.tex and W1_2_3.tex were compiled and read by eye against the
    slides "Solution: Loss Derivative with respect to W_12^(2)", "... W_23^(1)",
    "Notice any inefficiency" (dC/dz^(3) and dC/dz_1^(2) marked), and "Backprop Step
    1-3" before they were committed: same factors in the same order, C' written
    dC/da^(3), sums over D^(2) = 2 units. To change them, set SYMBP_UPDATE_GOLDEN=1,
    then compile and read them again before committing.
    """
    work = repeated_work([symbp.naive(NET, e) for e in symbp.LECTURE_ENTRIES])
    for entry in symbp.LECTURE_ENTRIES:
        text = f"% naive\n{latex(symbp.naive(NET, entry), repeated=work)}\n% backprop\n{latex(symbp.backprop(NET, [entry]))}\n"
        path = GOLDEN / f"{entry}.tex"
        if os.environ.get("SYMBP_UPDATE_GOLDEN") == "1":
            path.write_text(text)
        assert text == path.read_text(), f"{path} differs; review the change by eye, then update"


def test_dC_dW2_12_chain_in_the_lecture_order():
    # dC/dW^{(2)}_{12} = dC/da^{(3)} da^{(3)}/dz^{(3)} dz^{(3)}/da_1^{(2)} da_1^{(2)}/dz_1^{(2)} dz_1^{(2)}/dW_12^{(2)}
    #                 = C' sigma^{(3)'}(z^{(3)}) w_1^{(3)} sigma^{(2)'}(z_1^{(2)}) a_2^{(1)}
    leibniz, values = rows(latex(symbp.naive(NET, "W2_1_2")))
    assert fractions(leibniz) == [
        ("C", "W^{(2)}_{12}"),  # the left-hand side
        ("C", "a^{(3)}"),
        ("a^{(3)}", "z^{(3)}"),
        ("z^{(3)}", "a^{(2)}_{1}"),
        ("a^{(2)}_{1}", "z^{(2)}_{1}"),
        ("z^{(2)}_{1}", "W^{(2)}_{12}"),
    ]
    assert values.split(r" \cdot ") == [
        r"&= \frac{\partial C}{\partial a^{(3)}}",
        r"\sigma^{(3)\prime}(z^{(3)})",
        r"w^{(3)}_{1}",
        r"\sigma^{(2)\prime}(z^{(2)}_{1})",
        r"a^{(1)}_{2}",
    ]


def test_dC_dW1_23_writes_both_paths_then_groups_them():
    text = latex(symbp.naive(NET, "W1_2_3"))
    all_rows = rows(text)
    assert len([r for r in all_rows if r.startswith("&\\quad + ")]) == 2  # second path, Leibniz and values
    # The lecture's grouping: sum_i (through z_i^{(2)}) W_i2^{(2)}, then sigma^{(1)'}(z_2^{(1)}) a_3^{(0)} outside.
    grouped = " ".join(all_rows[-2:])
    inside = grouped[grouped.index(r"\Bigl(") : grouped.index(r"\Bigr)")]
    assert r"W^{(2)}_{12}" in inside and r"W^{(2)}_{22}" in inside
    assert r"\sigma^{(1)\prime}(z^{(1)}_{2})" not in inside and r"a^{(0)}_{3}" not in inside


def test_backprop_writes_the_lecture_steps():
    steps = latex_backprop_steps(symbp.backprop(NET, ["W1_2_3", "b2_1"]))
    assert [s.title.split(":")[0] for s in steps] == ["Step 1", "Step 2", "Step 3", "Step 4"]
    step1, step2, step3, step4 = (s.latex for s in steps)
    # Step 1: dC/dz^{(3)} = dC/da^{(3)} da^{(3)}/dz^{(3)} = dC/da^{(3)} sigma^{(3)'}(z^{(3)})
    assert fractions(step1)[:4] == [("C", "z^{(3)}"), ("C", "a^{(3)}"), ("a^{(3)}", "z^{(3)}"), ("C", "a^{(3)}")]
    assert r"\sigma^{(3)\prime}(z^{(3)})" in step1 and "base case" in step1
    # Step 2: dC/dz_j^{(2)} = dC/dz^{(3)} w_j^{(3)} sigma^{(2)'}(z_j^{(2)}), then each unit.
    assert r"\delta^{(3)} \cdot w^{(3)}_{j} \cdot \sigma^{(2)\prime}(z^{(2)}_{j})" in step2 and "recursive case" in step2
    assert r"\delta^{(2)}_{2} &= \delta^{(3)} \cdot w^{(3)}_{2} \cdot \sigma^{(2)\prime}(z^{(2)}_{2})" in step2
    # Step 3: (sum_{i=1}^{D^{(2)}} delta_i^{(2)} W_ij^{(2)}) sigma^{(1)'}(z_j^{(1)}), unit 2 written out.
    assert r"\Bigl(\sum_{i=1}^{2} \delta^{(2)}_{i} \cdot W^{(2)}_{ij}\Bigr) \cdot \sigma^{(1)\prime}(z^{(1)}_{j})" in step3
    assert r"\Bigl(\delta^{(2)}_{1} \cdot W^{(2)}_{12} + \delta^{(2)}_{2} \cdot W^{(2)}_{22}\Bigr) \cdot \sigma^{(1)\prime}(z^{(1)}_{2})" in step3
    # The weights: dC/dW_ij^{(m)} = dC/dz_i^{(m)} dz_i^{(m)}/dW_ij^{(m)} = delta_i^{(m)} a_j^{(m-1)}; the bias is delta.
    assert r"= \delta^{(1)}_{2} \cdot a^{(0)}_{3}" in step4
    assert re.search(r"\\frac\{\\partial C\}\{\\partial b\^\{\(2\)\}_\{1\}\} &= .* = \\delta\^\{\(2\)\}_\{1\}$", step4, re.M)


def test_sigmoid_and_squared_error_are_written_as_a_teacher_would():
    step1 = latex_backprop_steps(symbp.backprop(SIGMOID, ["W3_1_1"]))[0].latex
    # delta^{(3)} = (a^{(3)} - t) a^{(3)} (1 - a^{(3)}): the derivative in the stored activation, no exponentials.
    assert r"\left(a^{(3)} - t\right) \cdot a^{(3)} \left(1 - a^{(3)}\right)" in step1
    assert "e^{" not in step1
    algorithm = latex_algorithm(SIGMOID)
    assert r"\frac{1}{1 + e^{- z^{(1)}_{i}}}" in algorithm  # the forward pass keeps sigma's definition
    assert r"a^{(2)}_{j} \left(1 - a^{(2)}_{j}\right)" in algorithm


def test_relu_derivative_is_an_indicator_and_cases_are_bracketed():
    relu = symbp.Network([2, 2, 1], ["relu", "leaky_relu"], "squared_error")
    text = latex(symbp.naive(relu, "W1_1_1"))
    assert r"\mathbf{1}\left[z^{(1)}_{1} > 0\right]" in text
    # Leaky ReLU's derivative has two non-zero cases; as a factor it is bracketed so what follows is not read as a case.
    assert r"\left(\begin{cases}" in text


def test_vectorized_form_is_the_issue_s():
    # delta^{(L)} = grad_a C (.) sigma'(z^{(L)}); delta^{(m)} = ((W^{(m+1)})^T delta^{(m+1)}) (.) sigma'(z^{(m)});
    # dC/dW^{(m)} = delta^{(m)} (a^{(m-1)})^T; dC/db^{(m)} = delta^{(m)}.
    text = latex_vectorized(NET)
    d = r"\boldsymbol{\delta}"
    assert rf"{d}^{{(3)}} &= \nabla_{{\mathbf{{a}}^{{(3)}}}} C \odot \sigma^{{(3)\prime}}(\mathbf{{z}}^{{(3)}})" in text
    for m in (2, 1):
        assert rf"{d}^{{({m})}} &= \bigl((W^{{({m + 1})}})^{{\top}} {d}^{{({m + 1})}}\bigr) \odot \sigma^{{({m})\prime}}(\mathbf{{z}}^{{({m})}})" in text
    assert rf"\frac{{\partial C}}{{\partial W^{{(m)}}}} &= {d}^{{(m)}} \bigl(\mathbf{{a}}^{{(m-1)}}\bigr)^{{\top}}" in text
    assert rf"\frac{{\partial C}}{{\partial \mathbf{{b}}^{{(m)}}}} &= {d}^{{(m)}}" in text
    concrete = latex_vectorized(SIGMOID)
    assert r"\sigma^{(1)\prime}(\mathbf{z}^{(1)}) &= \mathbf{a}^{(1)} \left(1 - \mathbf{a}^{(1)}\right)" in concrete
    assert r"\nabla_{\mathbf{a}^{(3)}} C &= \mathbf{a}^{(3)} - \mathbf{t}" in concrete


def test_algorithm_has_one_recursive_case_per_hidden_layer():
    net = symbp.Network([3, 4, 3, 2, 2], ["tanh", "relu", "sigmoid", "identity"], "squared_error")
    text = latex_algorithm(net)
    assert text.count("(base case)") == 1 and text.count("(recursive case)") == 3
    for m in range(1, 5):  # the forward pass, every layer
        assert rf"z^{{({m})}}_{{i}} &= \sum_{{j=1}}^{{{net.D(m - 1)}}} W^{{({m})}}_{{ij}} a^{{({m - 1})}}_{{j}} + b^{{({m})}}_{{i}}" in text
    assert r"1 - \left(a^{(1)}_{j}\right)^{2}" in text  # tanh' = 1 - a^2


def test_long_sums_break_within_the_width():
    wide = symbp.Network([8, 8, 8, 2], "sigmoid", "squared_error")
    for width in (30.0, 40.0):
        text = latex(symbp.backprop(wide, ["W1_1_1"]), width=width)
        for row in rows(text):
            pieces = row.split("&", 1)
            # One piece may be wider than the room on its own; rows of several pieces are not.
            assert estimate_width(pieces[1]) <= width or " + " not in pieces[1], row


def test_a_sympy_expression_prints_with_the_lecture_names():
    g = build_graph(NET)
    assert latex(g.W[2][0, 1], NET) == "W^{(2)}_{12}"
    assert set(latex(g.W[3][0, 0] * g.a[2][0], NET).split()) == {"a^{(2)}_{1}", "w^{(3)}_{1}"}
    assert latex(g.a_definition[1][0], NET) == r"\sigma^{(1)}\left(z^{(1)}_{1}\right)"


def test_reference_is_dC_dw_equals_the_diff():
    # C = (w a + b - t)^2 / 2 for one unit, so dC/dw = a (w a + b - t).
    text = latex(symbp.reference(symbp.Network([1, 1], "identity", "squared_error"), "W1_1_1"))
    lhs, rhs = rows(text)[0].split(" &= ")
    assert lhs == r"\frac{\partial C}{\partial w^{(1)}_{1}}"
    assert rhs == r"a^{(0)}_{1} \left(w^{(1)}_{1} a^{(0)}_{1} + b^{(1)} - t\right)"


def test_a_long_reference_breaks_over_rows():
    text = latex(symbp.reference(SIGMOID, "W1_1_1"), width=40)
    assert len(rows(text)) > 3


def test_repr_latex_is_display_math():
    for obj in (symbp.naive(NET, "W2_1_2"), symbp.backprop(NET, ["W2_1_2"]), symbp.reference(NET, "b3_1")):
        shown = obj._repr_latex_()
        assert shown.startswith("$$\n\\begin{aligned}") and shown.endswith("\\end{aligned}\n$$")


def test_repr_latex_of_the_lecture_exercise_is_the_lecture_s_chain():
    """The lecture's dC/dW^{(2)}_{12}, written out here by hand: Leibniz chain, then the local derivatives."""
    d = lambda of, wrt: rf"\frac{{\partial {of}}}{{\partial {wrt}}}"  # noqa: E731
    chain = [d("C", "a^{(3)}"), d("a^{(3)}", "z^{(3)}"), d("z^{(3)}", "a^{(2)}_{1}"), d("a^{(2)}_{1}", "z^{(2)}_{1}"),
             d("z^{(2)}_{1}", "W^{(2)}_{12}")]
    values = [d("C", "a^{(3)}"), r"\sigma^{(3)\prime}(z^{(3)})", "w^{(3)}_{1}", r"\sigma^{(2)\prime}(z^{(2)}_{1})",
              "a^{(1)}_{2}"]
    dot = r" \cdot "
    lhs = d("C", "W^{(2)}_{12}")
    expected = "$$\n\\begin{aligned}\n" + lhs + " &= " + dot.join(chain) + " \\\\\n&= " + dot.join(values) + "\n\\end{aligned}\n$$"
    assert symbp.naive(NET, "W2_1_2")._repr_latex_() == expected


def test_markdown_blocks_are_balanced_and_apart():
    text = markdown([symbp.naive(NET, "W2_1_2"), symbp.naive(NET, "W1_2_3"), symbp.backprop(NET, ["W1_2_3"])])
    lines = text.splitlines()
    fences = [i for i, line in enumerate(lines) if line == "$$"]
    assert fences and len(fences) % 2 == 0
    for start in fences[::2]:
        assert lines[start - 1] == "" and lines[start + 1] == "\\begin{aligned}"
    assert r"_{\delta^{(2)}_{1}}" in text  # shared across the two expansions, so marked


def test_escaping_plain_text():
    # Each LaTeX special written with the text-mode command that prints it literally.
    assert escape_latex(r"_%&#${}\~^<>|") == (
        r"\_\%\&\#\$\{\}\textbackslash{}\textasciitilde{}\textasciicircum{}\textless{}\textgreater{}\textbar{}"
    )
    assert escape_latex(r"\input{/etc/passwd}") == r"\textbackslash{}input\{/etc/passwd\}"
    assert escape_markdown("a_b*c $x$") == r"a\_b\*c \$x\$"


def test_bad_input_is_one_error():
    with pytest.raises(symbp.SymbpError, match="cannot print"):
        latex(object())
    with pytest.raises(symbp.SymbpError, match="environment"):
        latex(symbp.naive(NET, "W2_1_2"), env="equation")
