r"""Whole documents from Jinja templates: notes (A4 article), slides (beamer, 16:9) and Markdown notes.

>>> import symbp
>>> tex = symbp.document(symbp.Network([3, 2, 2, 1], "sigmoid", "squared_error"), "notes.tex", title="Week 5")
>>> tex.startswith(r"\documentclass")
True

Templates are ``<name>.jinja`` files: ``notes.tex.jinja``, ``slides.tex.jinja`` and
``notes.md.jinja`` ship with symbp; ``template_dir`` puts a folder of your own in
front of them (so yours can also ``<% extends "notes.tex.jinja" %>``). The name
says the output format: ``*.tex`` escapes plain strings for LaTeX, ``*.md`` for Markdown.

Delimiters, chosen not to clash with LaTeX braces (as Sphinx does):
``<%= value %>``, ``<% for ... %>`` ... ``<% endfor %>``, ``<# comment #>``.
Undefined variables are errors. Every plain string is escaped on output; values
marked LaTeX below are math-mode LaTeX and are written as they are. In LaTeX, Greek
letters in plain strings are set as math (``δ`` becomes ``\(\delta\)``), and a title,
author or course with a character the fonts lack is refused, naming it. Templates run in
Jinja's immutable sandbox: they read the context and cannot call into Python; any error
in one is a ``SymbpError`` naming the template and its line.

Context variables (``math rows``: rows of an ``align*``/``aligned`` body, ``&`` marks
the alignment point, rows end with ``\\``):

- ``title``, ``author``, ``course``: plain text.
- ``network``: ``layers`` ("3, 2, 2, 1"), ``L`` (int), ``activations`` ("sigmoid, tanh"),
  ``cost`` ("squared error"), ``parameters`` (int), ``is_abstract`` (bool), all plain.
- ``notation``: list of ``symbol`` (LaTeX), ``meaning`` (plain) and ``value`` (this network's value:
  text, with any math already inside ``$...$``; may be empty).
- ``forward``: math rows, the forward pass in index form.
- ``entries``: list, one per chosen entry, of ``name`` ("W2_1_2"), ``derivative`` (LaTeX,
  ``\partial C / \partial W^{(2)}_{12}``), ``paths`` (int), ``naive`` (math rows: Leibniz chain with the repeated
  work marked, then values), ``naive_plain`` (the same without marks) and ``leibniz`` (only the
  marked Leibniz form).
- ``repeated``: list of ``delta`` (LaTeX) and ``times`` (int: how often the naive expansions
  compute its terms); ``repeated_rows``: math rows, each delta's terms in Leibniz form (empty
  when nothing repeats).
- ``backprop``: list of steps, each ``title`` (plain) and ``rows`` (math rows).
- ``vectorized``: math rows, the matrix form.
- ``backward``: math rows, the backward pass in index form (base case, recursive case, gradients).
- ``algorithm``: math rows, the "Truly Complete Version" for this network's L: ``forward`` and
  ``backward`` under two headings, in one block (for ``aligned``, where text between rows is not possible).
- ``counts``: ``entries`` (list of ``name``, ``derivative``, ``paths``, ``naive``: multiplications), ``naive``
  and ``backprop`` (multiplications for the chosen entries), ``all_naive``, ``all_backprop``
  and ``all_count`` (the same for every weight and bias).
- ``summary``: ``weight`` and ``bias`` (LaTeX, inline math without ``$``): every dC/dW^{(m)}_{ij} and
  dC/db^{(m)}_i from the deltas, in this network's form: with a batch (1/N) sum_n over the examples'
  delta^{(m),(n)} and a^{(m-1),(n)}, with weight decay + lambda W^{(m)}_{ij}; ``batch`` (int N) and ``l2`` (plain: lambda as
  printed, empty without decay).
- ``example``: None, or (``symbp render --point``) a worked example: ``note`` (plain: how numbers are
  rounded) and ``parts``, a list of ``title`` (plain) and ``rows`` (math rows: formula = numbers = value).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import jinja2
import jinja2.sandbox
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..counts import backprop_count, naive_count
from ..derive.backprop import backprop
from ..derive import default_entries
from ..derive.naive import naive
from ..derive.repeated import RepeatedWork, repeated_work
from ..errors import SymbpError
from ..graph import build_graph
from ..spec import Entry, Network, budget, require_network, require_text, selected_entries
from ..printers import line_width
from ..printers.base import count_up
from ..printers.latex import (
    DEFAULT_WIDTH,
    LatexDocumentPrinter,
    escape_latex,
    latex,
    latex_algorithm,
    latex_backprop_steps,
    latex_backward,
    latex_forward,
    latex_repeated,
    latex_vectorized,
)
from ..printers.markdown import escape_markdown

TEMPLATES = ("notes.tex", "slides.tex", "notes.md", "explorer.html")
"""The templates symbp ships."""

DOCUMENT_MAX_PATHS = 64
"""A document writes out every path of every chosen entry; more than this would run to many pages."""

WIDTHS = {"slides.tex": 39.0}
"""Line width in em per template, where it is not an A4 page: a 16:9 beamer frame at 10 pt has about 42 em."""


class Tex(str):
    """LaTeX that goes into the output as it is (everything else is escaped)."""


def find_template(template: str) -> tuple[str, Path | None]:
    """A shipped template's name (folder None), or a template file split into its name and folder."""
    if template.removesuffix(".jinja") in TEMPLATES:
        return template, None
    path = Path(template)
    if not path.is_file():
        raise SymbpError(f"template {template!r} is neither shipped ({', '.join(TEMPLATES)}) nor an existing file")
    if not (path.name.endswith(".tex.jinja") or path.name.endswith(".md.jinja")):
        raise SymbpError(f"template file {template!r} must be named <name>.tex.jinja or <name>.md.jinja")
    return path.name, path.parent


def builtin_template_dir() -> Path:
    """Where the shipped templates are: the ``symbp.templates`` package, or ``templates/`` of a checkout."""
    try:
        # A namespace package in the wheel (no __init__.py): its one folder is the path.
        return Path(import_module("symbp.templates").__path__[0])
    except ModuleNotFoundError:  # running from the source tree: templates/ sits beside symbp/
        return Path(__file__).resolve().parents[2] / "templates"


# Measured with pdflatex (TeX Live 2022, pdfTeX 1.40.24) in the shipped templates' font set-up (utf8 input,
# OT1 fonts, article and beamer): one line per code point of U+00A0-U+024F and U+2000-U+21FF under
# \tracinglostchars=3, so a missing glyph is an error too; these compiled. tests/test_pdf.py compiles them all.
_LATEX_TEXT_RANGES = (
    (0x20, 0x7E), (0xA0, 0xAA), (0xAC, 0xAC), (0xAE, 0xBA), (0xBC, 0xCF), (0xD1, 0xDD), (0xDF, 0xEF),
    (0xF1, 0xFD), (0xFF, 0x103), (0x106, 0x10F), (0x112, 0x117), (0x11A, 0x125), (0x128, 0x12D), (0x130, 0x137),
    (0x139, 0x13E), (0x141, 0x148), (0x14C, 0x165), (0x168, 0x171), (0x174, 0x17E), (0x192, 0x192),
    (0x1C4, 0x1D4), (0x1E2, 0x1E3), (0x1E6, 0x1E9), (0x1F0, 0x1F0), (0x1F4, 0x1F5), (0x218, 0x21B),
    (0x232, 0x233), (0x237, 0x237), (0x2010, 0x2016), (0x2018, 0x2019), (0x201C, 0x201D), (0x2020, 0x2022),
    (0x2026, 0x2026), (0x2030, 0x2031), (0x203B, 0x203B), (0x203D, 0x203D), (0x2044, 0x2044), (0x204E, 0x204E),
    (0x2052, 0x2052), (0x20A1, 0x20A1), (0x20A4, 0x20A4), (0x20A6, 0x20A6), (0x20A9, 0x20A9), (0x20AB, 0x20AC),
    (0x20B1, 0x20B1), (0x2103, 0x2103), (0x2116, 0x2117), (0x211E, 0x211E), (0x2120, 0x2120), (0x2122, 0x2122),
    (0x2126, 0x2127), (0x212E, 0x212E), (0x2190, 0x2193),
)
LATEX_TEXT_CHARACTERS = frozenset(
    "\t\n" + "".join(chr(c) for low, high in _LATEX_TEXT_RANGES for c in range(low, high + 1))
)
"""Characters a plain string may hold in a LaTeX document, besides the Greek letters of ``GREEK_MATH``."""

_GREEK_NAMES = (
    "alpha beta gamma delta varepsilon zeta eta theta iota kappa lambda mu nu xi o pi rho varsigma sigma tau "
    "upsilon varphi chi psi omega"
).split()
_GREEK_CAPITALS = "A B Gamma Delta E Z H Theta I K Lambda M N Xi O Pi P _ Sigma T Upsilon Phi X Psi Omega".split()
GREEK_MATH = {
    **{chr(0x3B1 + i): ("o" if name == "o" else f"\\{name}") for i, name in enumerate(_GREEK_NAMES)},
    **{chr(0x391 + i): (f"\\mathrm{{{name}}}" if len(name) == 1 else f"\\{name}")
       for i, name in enumerate(_GREEK_CAPITALS) if name != "_"},
    "\u03d1": r"\vartheta", "\u03d5": r"\phi", "\u03d6": r"\varpi", "\u03f1": r"\varrho", "\u03f5": r"\epsilon",
}
"""Greek letters in plain strings of a LaTeX document, as math (U+03B5 and U+03C6 are the curly forms)."""


def check_latex_text(what: str, text: str) -> None:
    """Refuse, naming it, a character of ``text`` that the LaTeX documents cannot typeset."""
    for character in text:
        if character not in LATEX_TEXT_CHARACTERS and character not in GREEK_MATH:
            raise SymbpError(
                f"{what} has character {character!r} (U+{ord(character):04X}) that the LaTeX fonts cannot typeset; "
                "use Latin letters (with accents), Greek letters (set as math) and common punctuation"
            )


def escape_latex_text(text: str) -> str:
    r"""Plain text for a LaTeX document: specials escaped, Greek letters as math.

    >>> escape_latex_text("δ and σ, 50%")
    '\\(\\delta\\) and \\(\\sigma\\), 50\\%'
    """
    check_latex_text("text", text)
    return "".join(rf"\({GREEK_MATH[c]}\)" if c in GREEK_MATH else escape_latex(c) for c in text)


def _escaper(template: str) -> Callable[[str], str]:
    template = template.removesuffix(".jinja")
    if template.endswith(".tex"):
        return escape_latex_text
    if template.endswith(".md"):
        return escape_markdown
    raise SymbpError(f"template {template!r} must be named <name>.tex or <name>.md (the output format)")


def environment(template: str, template_dir: str | Path | None = None) -> ImmutableSandboxedEnvironment:
    """The Jinja environment for ``template`` (its format picks the escaping)."""
    escape = _escaper(template)

    def finalize(value: Any) -> str:
        if isinstance(value, Tex):
            return str(value)
        if isinstance(value, str):
            return escape(value)
        return str(value)

    folders = [Path(template_dir)] if template_dir is not None else []
    folders.append(builtin_template_dir())
    # Sandboxed: a template is a document, not a program; it reads the context and cannot reach Python.
    return ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<%=",
        variable_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=finalize,
    )


def _notation(network: Network) -> list[dict[str, str]]:
    """The lecture's notation table, with this network's values (text with inline math)."""
    L = network.L
    shapes = ", ".join(rf"${network.D(m)} \times {network.D(m - 1)}$" for m in range(1, L + 1))
    rows = [
        ("L", "number of layers", str(L)),
        ("m", "index of a layer", Tex(f"${count_up(L, LatexDocumentPrinter.ellipsis)}$")),
        ("D^{(m)}", "number of units in layer m", ", ".join(map(str, network.layers))),
        (r"\mathbf{a}^{(0)}", "input to the model (x)", Tex(rf"$\mathbb{{R}}^{{{network.D(0)}}}$")),
        (r"W^{(m)} \in \mathbb{R}^{D^{(m)} \times D^{(m-1)}}", "weight matrix going to layer m", Tex(shapes)),
        (r"\mathbf{b}^{(m)} \in \mathbb{R}^{D^{(m)}}", "bias vector of layer m", ""),
        (r"\mathbf{t}", "target output", Tex(rf"$\mathbb{{R}}^{{{network.D(L)}}}$")),
        (r"\sigma^{(m)}", "non-linearity of layer m", _activations_value(network)),
        (rf"C(\mathbf{{a}}^{{({L})}}, \mathbf{{t}})", "cost (loss) function", network.cost.replace("_", " ")),
        (r"\mathbf{z}^{(m)}", "pre-activations of layer m", ""),
        (r"\mathbf{a}^{(m)}", "activations of layer m", ""),
        (r"\delta^{(m)}_{j} = \partial C / \partial z^{(m)}_{j}", "what backprop computes once and stores", ""),
    ]
    if network.batch > 1:  # the course's later notation: superscript (n) for example n
        rows.append(("N", Tex(r"examples in the batch; $z$, $a$, $\delta$, $x$, $t$ of example $n$ carry ${}^{(n)}$"),
                     str(network.batch)))
    if network.l2:
        rows.append((r"\lambda", Tex(r"weight decay: $C$ gains $\frac{\lambda}{2} \sum_m \sum_{ij} (W^{(m)}_{ij})^2$ "
                                     r"(biases are not decayed)"),
                     f"{network.l2:g}"))
    return [{"symbol": Tex(symbol), "meaning": meaning, "value": value} for symbol, meaning, value in rows]


def _activations_value(network: Network) -> str:
    """The layers' non-linearities; a defined one's formula after them, as math (its name is letters and digits)."""
    names = ", ".join(a.replace("_", " ") for a in network.activations)
    if not network.formulas:
        return names
    import sympy as sp

    from ..activations import FORMULA_VARIABLE

    used = dict.fromkeys(name for name, _ in network.define if name in network.activations)
    formulas = [
        rf"$\operatorname{{{name}}}(x) = {sp.latex(network.activation(network.activations.index(name) + 1).value(FORMULA_VARIABLE))}$"
        for name in used
    ]
    return Tex(f"{names}; {', '.join(formulas)}".replace("|", r"\vert "))  # abs's bars would split a Markdown table row


def _counts(network: Network, entries: Sequence[Entry], derivatives: Sequence[Tex]) -> dict[str, Any]:
    every = tuple(network.entries(("W", "b")))
    naive_counts = [naive_count(network, e) for e in entries]
    return {
        "entries": [
            {"name": e.name, "derivative": d, "paths": count.paths, "naive": count.multiplications}
            for e, d, count in zip(entries, derivatives, naive_counts)
        ],
        "naive": sum(count.multiplications for count in naive_counts),
        "backprop": backprop_count(network, tuple(entries)).multiplications,
        "all_count": len(every),
        "all_naive": sum(naive_count(network, e).multiplications for e in every),
        "all_backprop": backprop_count(network, every).multiplications,
    }


def document_context(
    network: Network,
    entries: Sequence[str] | None = None,
    *,
    title: str = "Backpropagation",
    author: str = "",
    course: str = "",
    width: float = DEFAULT_WIDTH,
    max_paths: int = DOCUMENT_MAX_PATHS,
    example: Any = None,
) -> dict[str, Any]:
    """The variables every template receives (see the module docstring); ``example`` a
    ``symbp.example.WorkedExample`` (then ``example`` holds its ``note`` and ``parts``, each a
    ``title`` and bare LaTeX ``rows``), else ``example`` is None."""
    chosen = network.select(list(entries) if entries is not None else list(default_entries(network)))
    if not chosen:
        raise SymbpError("no entries chosen; name at least one, e.g. W1_1_1")
    graph = build_graph(network)
    expansions = [naive(network, e, max_paths=max_paths) for e in chosen]
    work = repeated_work(expansions)
    derivation = backprop(network, chosen)
    # Slash form: it reads well in headings and table cells, where a fraction would be cramped.
    derivatives = [Tex(rf"\partial C / \partial {graph.latex_names[graph.symbol(e)]}") for e in chosen]

    return {
        "title": title,
        "author": author,
        "course": course,
        "network": {
            "layers": ", ".join(map(str, network.layers)),
            "L": network.L,
            "activations": ", ".join(a.replace("_", " ") for a in network.activations),
            "cost": network.cost.replace("_", " "),
            "parameters": network.parameter_count,
            "is_abstract": network.is_abstract,
        },
        "notation": _notation(network),
        "forward": Tex(latex_forward(network, env=None, width=width)),
        "entries": [
            {
                "name": d.entry.name,
                "derivative": derivative,
                "paths": len(d.paths),
                "naive": Tex(latex(d, env=None, width=width, repeated=work)),
                "naive_plain": Tex(latex(d, env=None, width=width, repeated=RepeatedWork(()))),
                "leibniz": Tex(latex(d, env=None, width=width, repeated=work, values=False)),
            }
            for d, derivative in zip(expansions, derivatives)
        ],
        "repeated": [
            {"delta": Tex(graph.latex_names[delta]), "times": len(work.prefixes_of(delta)[0].uses)}
            for delta in work.deltas
        ],
        "repeated_rows": Tex(latex_repeated(work, network, env=None, width=width) if work.shared else ""),
        "backprop": [
            {"title": s.title, "rows": Tex(s.latex)} for s in latex_backprop_steps(derivation, env=None, width=width)
        ],
        "vectorized": Tex(latex_vectorized(network, env=None, width=width)),
        "backward": Tex(latex_backward(network, env=None, width=width)),
        "algorithm": Tex(latex_algorithm(network, env=None, width=width)),
        "counts": _counts(network, chosen, derivatives),
        "example": _example(example, width),
        "summary": _summary(network),
    }


def _summary(network: Network) -> dict[str, Any]:
    """The gradients from the deltas as the summary states them: one product, or a batch's mean, plus the decay."""
    if network.batch > 1:
        mean, n = r"\frac{1}{N} \sum_{n=1}^{N} ", ",(n)"
    else:
        mean, n = "", ""
    decay = r" + \lambda W^{(m)}_{ij}" if network.l2 else ""
    return {
        "weight": Tex(rf"\partial C / \partial W^{{(m)}}_{{ij}} = {mean}\delta^{{(m){n}}}_{{i}} \, a^{{(m-1){n}}}_{{j}}{decay}"),
        "bias": Tex(rf"\partial C / \partial b^{{(m)}}_{{i}} = {mean}\delta^{{(m){n}}}_{{i}}"),
        "batch": network.batch,
        "l2": f"{network.l2:g}" if network.l2 else "",
    }


def _example(example: Any, width: float) -> dict[str, Any] | None:
    if example is None:
        return None
    from ..printers.latex import latex_example_parts

    note = ("every intermediate is rounded to {d} decimals before it is used, as by hand" if example.round_intermediates
            else "full precision is carried; values are shown to {d} decimals").format(d=example.digits)
    return {"note": note,
            "parts": [{"title": title, "rows": Tex(rows)} for title, rows in latex_example_parts(example, width=width)]}


def document(
    network: Network,
    template: str = "notes.tex",
    entries: Sequence[str] | None = None,
    *,
    title: str = "Backpropagation",
    author: str = "",
    course: str = "",
    template_dir: str | Path | None = None,
    width: float | None = None,
    max_paths: int = DOCUMENT_MAX_PATHS,
    point: Mapping[str, Any] | None = None,
    lr: float | None = None,
    digits: int = 4,
) -> str:
    """The text of a whole document for ``network``; writing it to a file is the caller's business.

    ``template`` is ``notes.tex``, ``slides.tex``, ``notes.md`` or the name of one of
    yours in ``template_dir`` (file ``<template>.jinja``). ``entries`` are the gradients
    whose naive expansions are written out (default: ``default_entries``); an entry with
    more than ``max_paths`` paths is refused, since every path is written out. ``width``
    is the line width in em that long equations are broken to. ``point`` (x, t, W1, b1, ...,
    as ``symbp grad`` reads it) and ``lr`` add numbers: a worked example section in notes,
    slides and Markdown (``digits`` decimals shown), the values on the page of ``explorer.html``
    (see ``symbp.explorer``).
    """
    require_network(network, "document", "\"notes.tex\"")
    entries = None if entries is None else selected_entries(network, entries)
    max_paths, width = budget(max_paths, "max_paths", DOCUMENT_MAX_PATHS), line_width(width)
    require_text(template=template, title=title, author=author, course=course)
    if template.removesuffix(".jinja") == "explorer.html":  # a page with its own script: see symbp.explorer
        from ..explorer import explorer_page

        return explorer_page(network, title=title, point=point, lr=lr)
    if lr is not None and point is None:
        raise SymbpError("a learning rate adds a gradient-descent step to the worked example: give the point too")
    example = None
    if point is not None:
        from ..example import worked_example
        from ..numeric import point_from_mapping

        if network.is_abstract:
            raise SymbpError(f"a worked example needs numbers, but network {network.describe()} has abstract parts")
        example = worked_example(network, point_from_mapping(network, point), lr=lr, digits=digits)
    env = environment(template, template_dir)
    name = template if template.endswith(".jinja") else f"{template}.jinja"
    if name.removesuffix(".jinja").endswith(".tex"):
        for what, text in (("title", title), ("author", author), ("course", course)):
            check_latex_text(what, text)
    try:
        loaded = env.get_template(name)
    except jinja2.TemplateNotFound:
        searched = ", ".join(str(p) for p in env.loader.searchpath)  # type: ignore[union-attr]
        raise SymbpError(f"template {name!r} not found in {searched}; shipped: {', '.join(TEMPLATES)}") from None
    except jinja2.TemplateSyntaxError as error:
        raise _template_error(error, name) from None
    except UnicodeDecodeError as error:
        raise SymbpError(f"template {name!r} is not UTF-8 text: {error.reason} at byte {error.start}") from None
    chosen_width = width if width is not None else WIDTHS.get(template.removesuffix(".jinja"), DEFAULT_WIDTH)
    context = document_context(
        network, entries, title=title, author=author, course=course, width=chosen_width, max_paths=max_paths,
        example=example,
    )
    try:
        return loaded.render(context)
    except SymbpError:
        raise
    except Exception as error:  # a template is the user's code: any failure in it is a bad input, said in one line
        raise _template_error(error, name) from None


def _template_error(error: Exception, name: str) -> SymbpError:
    """One line naming the template, its line and what went wrong there."""
    where = _template_line(error, name)
    if isinstance(error, jinja2.TemplateNotFound):
        what = f"includes {error.name!r}, which is neither beside it nor shipped ({', '.join(TEMPLATES)})"
    elif isinstance(error, jinja2.UndefinedError):
        what = f"uses a variable symbp does not provide: {error.message}"
    elif isinstance(error, jinja2.sandbox.SecurityError):
        what = f"{str(error).rstrip('.')}; templates run in a sandbox and cannot reach Python"
    elif isinstance(error, jinja2.TemplateSyntaxError):
        what = f"syntax error: {error.message}"
    else:
        what = f"{type(error).__name__}: {error}"
    return SymbpError(f"template {where}: {what}")


def _template_line(error: Exception, name: str) -> str:
    """``'x.tex.jinja', line 3``: from a syntax error itself, else from the innermost template frame."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return f"{error.name or name!r}, line {error.lineno}"
    # Jinja rewrites tracebacks so that template frames carry the template's file name and line.
    found = None
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith(".jinja"):
            found = f"{Path(filename).name!r}, line {traceback.tb_lineno}"
        traceback = traceback.tb_next
    return found or repr(name)
