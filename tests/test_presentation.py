"""What a newcomer sees of softmax, batch, decay and defined non-linearities: pages that fit, pictures in order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import symbp
from symbp.render.documents import document as render
from symbp.render.pdf import compile_pdf

from test_templates import overfull, require_pdflatex

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

BEYOND_THE_LECTURE = {
    "softmax-ce": symbp.Network([4, 3, 3], ["sigmoid", "softmax"], "cross_entropy"),
    "softmax-batch": symbp.Network([4, 3, 3], ["sigmoid", "softmax"], "cross_entropy", batch=2),
    "l2": symbp.Network([2, 2, 2], "sigmoid", "squared_error", l2=0.1),
    "define": symbp.Network([2, 2, 1], ["gelu", "swish"], "squared_error",
                            define={"gelu": "x*(1+erf(x/sqrt(2)))/2", "swish": "x/(1+exp(-x))"}),
}


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[tuple[str, str], str]:
    require_pdflatex()
    folder = tmp_path_factory.mktemp("beyond")
    jobs = [(name, template) for name in BEYOND_THE_LECTURE for template in ("notes.tex", "slides.tex")]

    def build(job: tuple[str, str]) -> str:
        name, template = job
        pdf = compile_pdf(render(BEYOND_THE_LECTURE[name], template), folder / f"{name}-{template}.pdf", keep_log=True)
        return Path(pdf).with_suffix(".log").read_text()

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(jobs, pool.map(build, jobs)))


@pytest.mark.parametrize("template", ["notes.tex", "slides.tex"])
@pytest.mark.parametrize("network", list(BEYOND_THE_LECTURE))
def test_notes_and_slides_fit_the_page_beyond_the_lecture(logs, network, template):
    # TeX's own measure: the long softmax note ran 158-188 pt off the frame before it wrapped.
    assert not overfull(logs[(network, template)]), "a row runs off the page or frame"


SOFTMAX = BEYOND_THE_LECTURE["softmax-ce"]
COLUMNS = {"a0": 4, "z1": 3, "a1": 3, "z2": 3, "a2": 3}  # the 4,3,3 network's units, column by column


def test_the_picture_chains_each_column_in_index_order_under_the_sigma_C_title():
    from symbp.render.dot import computation_graph_dot

    dot = computation_graph_dot(SOFTMAX)
    for column, width in COLUMNS.items():
        chain = " -> ".join(f'"{column}_{i}"' for i in range(1, width + 1))
        assert f"{{ rank=same; {chain} [style=invis]; }}" in dot, column
    assert 'label="network 4,3,3 (L = 2) · σ: sigmoid, softmax · C: cross_entropy' in dot and "sigma:" not in dot


def test_the_drawn_picture_stacks_each_layers_units_top_to_bottom():
    import re
    import shutil

    from symbp.render.dot import computation_graph_dot, draw

    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    svg = draw(computation_graph_dot(SOFTMAX), "svg").decode()
    y = {m.group(1): float(m.group(2))
         for m in re.finditer(r'<g id="([az]\d_\d)" class="node">.*?<text[^>]*y="([-\d.]+)"', svg, re.S)}
    for column, width in COLUMNS.items():
        heights = [y[f"{column}_{i}"] for i in range(1, width + 1)]
        assert heights == sorted(heights), (column, heights)  # SVG y grows downwards


README = (Path(__file__).parent.parent / "README.md").read_text()


def test_the_readmes_sample_errors_are_what_the_tool_says():
    import re
    import subprocess
    import sys

    samples = re.findall(r"^\$ (symbp .*)\n(symbp: error: .*)$", README, flags=re.M)
    assert len(samples) >= 2
    for command, error in samples:
        args = command.split()[1:]
        symbp_command = Path(sys.executable).with_name("symbp")
        done = subprocess.run([str(symbp_command), *args], capture_output=True, text=True)
        assert done.returncode == 2 and done.stderr.strip() == error, command


def test_the_readme_says_a_batch_multiplies_the_softmax_paths():
    from symbp.counts import naive_paths

    # W1_1_1 of 2,2,2 through the softmax Jacobian, three examples: N · D(2) · D(2) = 3 · 2 · 2.
    assert "3 · 2 · 2 = 12 paths" in README
    network = symbp.Network([2, 2, 2], ["sigmoid", "softmax"], "cross_entropy", batch=3)
    assert naive_paths(network, network.entry("W1_1_1")) == 3 * 2 * 2


def _cli_error(*args: str, cwd: Path | None = None) -> str:
    import subprocess
    import sys

    done = subprocess.run([str(Path(sys.executable).with_name("symbp")), *args], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    return done.stderr


def test_a_point_file_of_three_rows_without_batch_suggests_batch_3(tmp_path):
    (tmp_path / "p.json").write_text('{"x": [[1, 2], [3, 4], [5, 6]], "t": [1, 0, 1]}')
    error = _cli_error("grad", "--layers", "2,2,1", "--activation", "sigmoid", "--cost", "squared_error",
                       "--point", "p.json", cwd=tmp_path)
    assert "--batch 3" in error


def test_the_hidden_layer_error_lists_the_users_defined_names():
    error = _cli_error("derive", "W1_1_1", "--layers", "2,2,2", "--define", "swish=x/(1+exp(-x))",
                       "--activations", "softmax,swish")
    accepted = error.split("hidden layers accept:")[1]
    assert "swish" in accepted and "sigmoid" in accepted


def test_the_text_batch_sum_is_written_with_a_subscript_n_as_in_the_readme():
    import subprocess
    import sys

    done = subprocess.run([str(Path(sys.executable).with_name("symbp")), "derive", "W2_1_1", "--layers", "2,2,1",
                           "--activation", "sigmoid", "--cost", "squared_error", "--batch", "2", "-m", "backprop"],
                          capture_output=True, text=True, check=True)
    assert "Σₙ₌₁²" in done.stdout and "Σn₌" not in done.stdout
