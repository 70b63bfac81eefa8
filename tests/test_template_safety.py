"""Issue 8, items 4 and 9 (templates): a teacher's template fails in one line naming its file and line,
and cannot run Python.

Oracles: the line numbers are those of the template text written here; a sandbox escape is shown
(or not) by a marker file the attack would create and by ``id``'s output.
"""

from __future__ import annotations

import pytest

from test_cli import invoke

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command


def render_template(tmp_path, text: str, name: str = "mine.tex.jinja", *extra: str):
    template = tmp_path / name
    template.write_text(text)
    return invoke("render", "--template", str(template), *extra)


def assert_one_line(result, *says: str) -> None:
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("symbp: error: template ") and result.stderr.count("\n") == 1, result.stderr
    for part in says:
        assert part in result.stderr, (part, result.stderr)


def test_a_template_syntax_error_names_the_file_and_line(tmp_path):
    result = render_template(tmp_path, "\\section*{<%= title %>}\n<% for entry in entries %>\n<% if %>\n")
    assert_one_line(result, "'mine.tex.jinja', line 3", "syntax error")


def test_a_template_runtime_error_names_the_file_and_line(tmp_path):
    result = render_template(tmp_path, "ok\n<% for entry in entries %>\n<%= entry.nmae %>\n<% endfor %>\n")
    assert_one_line(result, "'mine.tex.jinja', line 3", "nmae")


def test_an_undefined_variable_names_the_file_and_line(tmp_path):
    assert_one_line(render_template(tmp_path, "ok\n\n<%= entires %>\n"), "'mine.tex.jinja', line 3", "'entires'")


def test_a_python_error_in_a_template_is_one_line(tmp_path):
    assert_one_line(render_template(tmp_path, "<%= network.L / 0 %>\n"), "line 1", "ZeroDivisionError")


def test_a_missing_include_names_the_including_line_and_the_missing_name(tmp_path):
    result = render_template(tmp_path, "one\ntwo\n<% include 'nope.tex.jinja' %>\n")
    assert_one_line(result, "'mine.tex.jinja', line 3", "'nope.tex.jinja'")


def test_an_error_in_an_extended_template_names_that_template(tmp_path):
    (tmp_path / "base.tex.jinja").write_text("top\n<% block body %><% endblock %>\n<%= nothing_here %>\n")
    result = render_template(tmp_path, "<% extends 'base.tex.jinja' %>\n<% block body %>x<% endblock %>\n")
    assert_one_line(result, "'base.tex.jinja', line 3", "nothing_here")


ATTACKS = {
    "the issue's: cycler's globals": "<%= cycler.__init__.__globals__.os.popen('{command}').read() %>",
    "joiner's globals": "<%= joiner.__init__.__globals__.os.popen('{command}').read() %>",
    "a string's subclasses": "<%= ''.__class__.__mro__[1].__subclasses__() %>",
    "lipsum's globals": "<%= lipsum.__globals__['os'].popen('{command}').read() %>",
    "changing the context": "<% set _ = entries.append(1) %><%= entries | length %>",
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_template_cannot_run_python(tmp_path, attack):
    marker = tmp_path / "pwned"
    result = render_template(tmp_path, ATTACKS[attack].format(command=f"id; touch {marker}") + "\n")
    assert_one_line(result, "'mine.tex.jinja', line 1", "unsafe", "sandbox")
    assert not marker.exists() and "uid=" not in result.output


def test_render_suggests_its_own_max_paths_and_it_works(tmp_path):
    # W1_1_1 of 1,1,9,9,1: z1_1 feeds 9 units, each of them 9: 9 x 9 = 81 paths, over the document budget of 64.
    network = ["--layers", "1,1,9,9,1", "--entries", "W1_1_1"]
    refused = invoke("render", *network)
    assert refused.exit_code == 2 and "--max-paths 81" in refused.stderr
    out = tmp_path / "notes.tex"
    assert invoke("render", *network, "--max-paths", "81", "--out", str(out)).exit_code == 0
    assert "81" in out.read_text()
