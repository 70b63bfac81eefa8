"""A student's answer, read into SymPy: symbp's own grammar for derivations, never eval or sympify.

Three spellings of the same notation are read, and may be mixed:

    ASCII    dC/da3 * sigma3'(z3) * w3_1 * sigma2'(z2_1) * a1_2
    Unicode  ∂C/∂a⁽³⁾ · σ⁽³⁾′(z⁽³⁾) · w⁽³⁾₁ · σ⁽²⁾′(z⁽²⁾₁) · a⁽¹⁾₂          (what ``symbp derive`` prints)
    LaTeX    \\frac{\\partial C}{\\partial a^{(3)}} \\cdot \\sigma^{(3)\\prime}(z^{(3)}) \\cdot w^{(3)}_{1} ...

Names are the CLI's entry names (``W2_1_2``, ``b2_1``, ``z2_1``, ``a1_2``, ``a0_3`` or
``x_3`` for an input, ``t_1``), ``w3_1`` for the weights of a single output unit,
``delta2_1``, ``dC/da3_1``, ``sigma2'(z2_1)`` and ``sigma2(z2_1)``, and with weight decay
``lambda`` (``λ``, ``\\lambda``) or its number; an index may be
left out where the layer has one unit (``z3``, ``t``, ``delta3``). In a batch example n's
z, a, delta, t, x, sigma' and dC/da carry ``_n`` and its number (``a1_2_n1``, ``dC/da3_n2``,
``sigma2'(z2_1_n1)``; a⁽¹⁾⁽²⁾₂ and ``a^{(1),(2)}_{2}``, the layer then the example, as symbp prints them;
``dC/da3_n1`` is example 1's cost's partial); W, b and sigma are every example's. A Leibniz factor
``da3/dz3`` (∂a⁽³⁾/∂z⁽³⁾) is its local derivative. Operators are ``+ - * / ^``,
parentheses, and juxtaposition for a product; the functions of ``formula.FUNCTIONS``
and ``e``. An answer written as an equation chain ``dC/dW2_1_2 = ... = ...`` is read
from its last ``=``.

The grammar is ``formula``'s (precedence climbing, the same depth and number limits),
with juxtaposition as a product and with LaTeX groups ``{...}`` and ``\\frac{..}{..}``:

    answer   := sum
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/")? unary)*
    unary    := ("-" | "+") unary | power
    power    := atom ("^" unary)?
    atom     := NUMBER | UNIT | PARTIAL | "lambda" | FUNCTION "(" sum ")" | "(" sum ")" | "{" sum "}"
              | "\\frac" "{" sum "}" "{" sum "}" | "{" sum "if" condition ";"? sum "otherwise" "}"
              | "[" condition "]"                 relu' as symbp prints it: 1 where it holds, else 0
    condition := sum (">" | "<") sum
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

import sympy as sp

from .errors import SymbpError
from .formula import FUNCTIONS, Token, _Parser, _quoted
from .graph import Graph, build_graph
from .spec import Network

MAX_ANSWER_LENGTH = 20_000
"""Characters an answer may have: the LaTeX of a 16-path derivation is about 8,000."""

_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"
_FROM_SCRIPT = str.maketrans(_SUPERSCRIPT_DIGITS + _SUBSCRIPT_DIGITS, "0123456789" * 2)

_ASCII_UNIT = r"[Wwazb]\d+(?:_\d+)*(?:_n\d+)?"
_LATEX_UNIT = (
    r"(?P<base>\\sigma|\\delta|[Wwazbtx])\s*"
    r"(?:(?:_\{\s*(?P<subfirst>[\d,\s]+?)\s*\}|_(?P<subfirst1>\d))\s*(?=\^\{\s*\())?"  # the lecture's w_1^{(3)}
    r"(?:\^\{\s*\(\s*(?P<layer>\d+)\s*\)\s*(?:,?\s*\(\s*(?P<example>\d+)\s*\)\s*)?(?P<prime>\\prime|')?\s*\})?\s*"
    r"(?:_\{\s*(?P<sub>[\d,\s]+?)\s*\}|_(?P<sub1>\d))?(?P<tick>')?"
)
_UNICODE_UNIT = (
    rf"(?P<base>[WwazbtxCσδ])(?P<subfirst>[{_SUBSCRIPT_DIGITS},]+(?=⁽))?(?:⁽(?P<layer>[{_SUPERSCRIPT_DIGITS}]+)⁾)?"
    rf"(?:⁽(?P<example>[{_SUPERSCRIPT_DIGITS}]+)⁾)?"
    rf"(?P<sub>[{_SUBSCRIPT_DIGITS},]*)(?P<prime>′)?"
)

# Tried in this order at each position; the first match wins.
_LEXICON: list[tuple[str, re.Pattern[str]]] = [
    ("iverson", re.compile(r"\\mathbf\{1\}\s*(?:\\left)?\[|\[|(?:\\right)?\]")),
    ("cases", re.compile(r"\\begin\{cases\}|\\end\{cases\}")),
    ("linebreak", re.compile(r"\\\\")),
    ("keyword", re.compile(r"\\text\{\s*(?:for|if|otherwise)\s*\}(?:\\[:,;! ])?")),
    ("space", re.compile(
        r"(?:\s|\\[,;:! ]|\\q?quad\b|&|\\displaystyle\b|\$|\\(?:begin|end)\{(?!cases\})[a-z*]+\}"
        r"|\\(?:left|right|[bB]igg?[lr]?)\.)+")),
    ("partial", re.compile(rf"d(?P<of>C(?:_n\d+)?|{_ASCII_UNIT})\s*/\s*d(?P<wrt>{_ASCII_UNIT})")),
    ("partial", re.compile(rf"∂\s*(?P<of>C|{_UNICODE_UNIT.replace('?P<', '?P<of_')})\s*/\s*∂\s*"
                           rf"(?P<wrt>{_UNICODE_UNIT.replace('?P<', '?P<wrt_')})")),
    ("partial", re.compile(rf"\\frac\s*\{{\s*\\partial\s*"
                           rf"(?P<of>C(?:\^\{{\s*\(\s*(?P<of_cexample>\d+)\s*\)\s*\}})?|{_LATEX_UNIT.replace('?P<', '?P<of_')})\s*\}}\s*"
                           rf"\{{\s*\\partial\s*(?P<wrt>{_LATEX_UNIT.replace('?P<', '?P<wrt_')})\s*\}}")),
    ("latex", re.compile(r"(?=\\sigma|\\delta|[Wwazbtx]\s*(?:\^\{|_\{|_\d\s*\^\{))" + _LATEX_UNIT)),
    ("unicode", re.compile(rf"(?=[σδ]|[WwazbtxC][⁽{_SUBSCRIPT_DIGITS}′])" + _UNICODE_UNIT)),
    ("decay", re.compile(r"\\lambda\b|λ|lambda\b")),
    ("word", re.compile(r"[A-Za-z][A-Za-z0-9_]*'?")),
    # 1e-4 and 2.5E+3 are numbers (formula's spelling): scientific notation wins over e·x, so ``2*e`` or ``2 e``
    # is Euler's number and ``1e-4`` is 0.0001, never 1·e − 4
    ("number", re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")),
    ("power", re.compile(rf"[{_SUPERSCRIPT_DIGITS}]+")),
    ("open", re.compile(r"\\(?:left|[bB]igg?l?)\s*\(|\(")),
    ("close", re.compile(r"\\(?:right|[bB]igg?r?)\s*\)|\)")),
    ("frac", re.compile(r"\\frac\b|\\dfrac\b|\\tfrac\b")),
    ("function", re.compile(r"\\(?:exp|log|ln|tanh)\b")),
    ("power_op", re.compile(r"\*\*")),
    ("times", re.compile(r"\\cdot\b|\\times\b|[*·×⋅]")),
    ("op", re.compile(r"[-+/^{}=;<>]|−")),
]

_SPELLINGS = "ASCII names such as W2_1_2, a1_2, sigma2'(z2_1), dC/da3, delta2_1, + - * / ^ and parentheses, or symbp's LaTeX or Unicode"


@dataclass(frozen=True)
class Unit:
    """A name as written: ``W``, layer 2, indices (1, 2); ``prime`` for sigma'."""

    base: str  # W w a z b t x delta sigma C
    layer: int | None
    indices: tuple[int, ...]
    prime: bool = False
    example: int | None = None
    """Which example of a batch (``a1_2_n1``, a⁽¹⁾⁽¹⁾₂, a^{(1),(1)}_{2}); None when not written."""


def _unit_from_groups(groups: dict[str, str | None], prefix: str) -> Unit:
    base = groups[prefix + "base"] or ""
    base = {"\\sigma": "sigma", "σ": "sigma", "\\delta": "delta", "δ": "delta"}.get(base, base)
    layer_text = groups.get(prefix + "layer")
    layer = int(layer_text.translate(_FROM_SCRIPT)) if layer_text else None
    sub = next((groups[prefix + key] for key in ("subfirst", "subfirst1", "sub", "sub1") if groups.get(prefix + key)), "")
    sub = sub.translate(_FROM_SCRIPT)
    sub = re.sub(r"\s+", "", sub)
    if "," in sub:
        indices = tuple(int(part) for part in sub.split(",") if part)
    elif sub and base in ("W", "w") and len(sub) == 2:
        indices = (int(sub[0]), int(sub[1]))  # W^{(2)}_{12}: symbp runs digits together below width 10
    else:
        indices = (int(sub),) if sub else ()
    example_text = groups.get(prefix + "example")
    example = int(example_text.translate(_FROM_SCRIPT)) if example_text else None
    if base == "C" and example is None:  # C⁽¹⁾ is example 1's cost: C has no layer
        layer, example = None, layer
    return Unit(base, layer, indices, bool(groups.get(prefix + "prime") or groups.get(prefix + "tick")), example)


_EXAMPLE = r"(?:_n(?P<example>\d+))?"
_WORD_UNIT = re.compile(
    rf"(?P<base>W|w|a|z|b|delta|sigma)(?P<layer>\d+)?(?:_(?P<i>\d+))?(?:_(?P<j>\d+))?{_EXAMPLE}(?P<prime>')?")
_WORD_TARGET = re.compile(rf"(?P<base>t|x)(?:_?(?P<i>\d+))?{_EXAMPLE}")
_WORD_COST = re.compile(rf"C{_EXAMPLE}")


def _unit_from_word(word: str) -> Unit | None:
    if word == "C'":  # the lecture's C' is dC/da^{(L)} of a single output
        return Unit("C", None, (), prime=True)
    if cost := _WORD_COST.fullmatch(word):  # C_n1 is example 1's cost
        return Unit("C", None, (), example=int(cost["example"]) if cost["example"] else None)
    match = _WORD_UNIT.fullmatch(word) or _WORD_TARGET.fullmatch(word)
    if match is None:
        return None
    groups = match.groupdict()
    layer, example = groups.get("layer"), groups.get("example")
    indices = tuple(int(groups[k]) for k in ("i", "j") if groups.get(k))
    return Unit(groups["base"], int(layer) if layer else None, indices, bool(groups.get("prime")),
                int(example) if example else None)


@dataclass(frozen=True)
class AnswerToken(Token):
    """A token with what it means: a unit name, a partial d(of)/d(wrt), or nothing."""

    unit: Unit | None = None
    of: Unit | None = None


def tokenize_answer(text: str, what: str = "answer", start: int = 0) -> list[AnswerToken]:
    """The tokens of ``text``; the first character no rule reads is refused with its position."""
    if len(text) > MAX_ANSWER_LENGTH:
        raise SymbpError(
            f"{what} is {len(text):,} characters long; at most {MAX_ANSWER_LENGTH:,} are accepted "
            f"(nothing from position {MAX_ANSWER_LENGTH + 1:,} on is read)"
        )
    tokens: list[AnswerToken] = []
    at = start
    cases = 0  # inside LaTeX's cases a line break separates the cases; elsewhere it is layout
    while at < len(text):
        for kind, pattern in _LEXICON:
            match = pattern.match(text, at)
            if match and match.end() > at:
                break
        else:  # the parser refuses it when it gets there, so a misplaced token before it is named first
            run = re.match(r"[A-Za-z0-9_.\\]+|.", text[at:])
            tokens.append(AnswerToken("bad", run.group(0) if run else text[at], at + 1))
            break
        if kind == "cases":
            cases += 1 if "begin" in match.group(0) else -1
        if kind == "linebreak" and cases > 0:
            tokens.append(AnswerToken("op", ";", at + 1))
        elif kind not in ("space", "linebreak"):
            token = _token(kind, match, at)
            if token.kind == "name" and token.unit is None and token.text not in _FUNCTION_NAMES:
                tokens.append(AnswerToken("bad", token.text, at + 1))
                break
            tokens.append(token)
        at = match.end()
    tokens.append(AnswerToken("end", "", len(text) + 1))
    return tokens


_FUNCTION_NAMES = {"e", "if", "otherwise", *(name for name, f in FUNCTIONS.items() if f.arity == (1, 1))}


def _token(kind: str, match: re.Match[str], at: int) -> AnswerToken:
    text, position, groups = match.group(0), at + 1, match.groupdict()
    if kind == "partial":
        style = "latex" if text.startswith("\\") else "unicode" if text.startswith("∂") else "ascii"
        of, wrt = (_partial_side(groups, side, style) for side in ("of", "wrt"))
        return AnswerToken("partial", text, position, unit=wrt, of=of)
    if kind in ("latex", "unicode"):
        return AnswerToken("name", text, position, unit=_unit_from_groups(groups, ""))
    if kind == "keyword" or text in ("if", "otherwise"):
        return AnswerToken("keyword", "otherwise" if "otherwise" in text else "if", position)
    if kind == "word":
        return AnswerToken("name", text, position, unit=_unit_from_word(text))
    if kind == "decay":
        return AnswerToken("name", text, position, unit=Unit("lambda", None, ()))
    if kind == "iverson":
        return AnswerToken("op", "]" if text.endswith("]") else "[", position)
    if kind == "cases":
        return AnswerToken("op", "{" if "begin" in text else "}", position)
    if kind == "function":
        return AnswerToken("name", {"ln": "log"}.get(text[1:], text[1:]), position)
    canonical = {"times": "*", "power_op": "^", "open": "(", "close": ")", "frac": "\\frac"}.get(kind)
    if kind == "op" and text == "−":
        canonical = "-"
    return AnswerToken("op" if kind != "number" and kind != "power" else kind, canonical or text, position)


def _partial_side(groups: dict[str, str | None], side: str, style: str) -> Unit | None:
    if style == "ascii":
        return _unit_from_word(groups[side] or "")
    if style == "latex" and (groups[side] or "").startswith("C"):  # C^{(1)}: example 1's cost
        example = groups.get(side + "_cexample")
        return Unit("C", None, (), example=int(example) if example else None)
    if groups[side] == "C":
        return Unit("C", None, ())
    return _unit_from_groups(groups, side + "_")


class _AnswerParser(_Parser):
    """``formula``'s parser over answer tokens, with units, sigma, partials, juxtaposition and LaTeX groups."""

    def __init__(self, text: str, graph: Graph, what: str, start: int = 0) -> None:
        self.text = text
        self.what = what
        self.variables = {}
        self.graph = graph
        self.names = _Names(graph, self)
        self.tokens = _expand_powers(tokenize_answer(text, what, start))
        self.index = 0
        self.depth = 0

    def fail(self, token: Token, message: str) -> SymbpError:
        if token.kind == "bad":
            shown = "character U+%04X" % ord(token.text) if not token.text.isprintable() else repr(token.text)
            return SymbpError(f"{self.what} {_quoted(self.text)}: {shown} at position {token.position} "
                              f"cannot be read; an answer is written with {_SPELLINGS}")
        return super().fail(token, message)

    def product(self) -> sp.Expr:
        value = self.unary()
        while True:
            token = self.current
            if token.kind == "op" and token.text in ("*", "/"):
                self.take()
                right = self.unary()
                if token.text == "/" and right == 0:
                    raise self.fail(token, "division by zero")
                value = value * right if token.text == "*" else value / right
            elif self._starts_atom(token):  # juxtaposition: a^{(3)} \left(1 - a^{(3)}\right)
                value = value * self.power()
            else:
                return value

    @staticmethod
    def _starts_atom(token: Token) -> bool:
        return token.kind in ("name", "number", "partial") or (token.kind == "op" and token.text in ("(", "{", "[", "\\frac"))

    def atom(self) -> sp.Expr:
        token = self.current
        if token.kind == "number":
            self.take()
            return self.number(token)
        if token.kind == "partial":
            self.take()
            return self.names.partial(token)
        if token.kind == "name":
            self.take()
            return self.name(token)
        if token.kind == "op" and token.text in ("(", "{"):
            return self.group()
        if token.kind == "op" and token.text == "[":
            return self.iverson()
        if token.kind == "op" and token.text == "\\frac":
            self.take()
            numerator = self.braced()
            denominator = self.braced()
            if denominator == 0:
                raise self.fail(token, "division by zero")
            return numerator / denominator
        if token.kind == "end":
            raise self.fail(token, "the answer ends where a name, a number or '(' is expected")
        raise self.fail(token, "expected a name, a number or '('")

    def group(self) -> sp.Expr:
        opening = self.take()
        closing = ")" if opening.text == "(" else "}"
        self.deeper()
        value = self.sum()
        if closing == "}" and self.current.kind == "keyword" and self.current.text == "if":
            value = self.cases(value)
        self.depth -= 1
        if self.current.kind != "op" or self.current.text != closing:
            raise self.fail(self.current, f"unbalanced parenthesis: expected {closing!r}")
        self.take()
        return value

    def cases(self, then: sp.Expr) -> sp.Expr:
        """The rest of ``{then if x > 0; otherwise_value otherwise}`` (text) or LaTeX's cases, as relu' prints."""
        self.take()
        condition = self.condition()
        if self.current.kind == "op" and self.current.text == ";":
            self.take()
        otherwise = self.sum()
        if self.current.kind != "keyword" or self.current.text != "otherwise":
            raise self.fail(self.current, "a case is written {1 if z1_1 > 0; 0 otherwise}")
        ending = self.take()
        return self.real(ending, lambda: sp.Piecewise((then, condition), (otherwise, True)))

    def condition(self) -> sp.Basic:
        left = self.sum()
        relation = self.current
        if relation.kind != "op" or relation.text not in ("<", ">"):
            raise self.fail(relation, "a condition is written z1_1 > 0, as in {1 if z1_1 > 0; 0 otherwise} or [z1_1 > 0]")
        self.take()
        right = self.sum()
        return self.real(relation, lambda: left > right if relation.text == ">" else left < right)

    def real(self, token: Token, build: Callable[[], sp.Basic]) -> sp.Basic:
        try:
            return build()
        except TypeError:  # sympy refuses to order complex numbers or NaN
            raise self.fail(token, "a condition compares real quantities") from None

    def iverson(self) -> sp.Expr:
        """[z1_1 > 0]: 1 where the condition holds, else 0 (relu's derivative as symbp prints it)."""
        self.take()
        self.deeper()
        condition = self.condition()
        self.depth -= 1
        if self.current.kind != "op" or self.current.text != "]":
            raise self.fail(self.current, "unbalanced bracket: expected ']'")
        ending = self.take()
        return self.real(ending, lambda: sp.Piecewise((1, condition), (0, True)))

    def braced(self) -> sp.Expr:
        if self.current.kind != "op" or self.current.text != "{":
            raise self.fail(self.current, "\\frac takes two groups: \\frac{...}{...}")
        return self.group()

    def argument(self, name: Token) -> sp.Expr:
        if self.current.kind != "op" or self.current.text not in ("(", "{"):
            raise self.fail(name, f"{name.text} is a function: write {name.text}(...)")
        return self.group()

    def name(self, token: AnswerToken) -> sp.Expr:
        unit = token.unit
        if unit is not None and unit.base == "sigma":
            return self.names.sigma(token, self.argument(token))
        if unit is not None:
            return self.names.unit(token)
        if token.text == "e":
            return sp.E
        function = FUNCTIONS.get(token.text)
        if function is None or function.arity != (1, 1):
            raise self.fail(token, f"unknown name; accepted: {_SPELLINGS}")
        return function.build(self.argument(token))


def _expand_powers(tokens: list[AnswerToken]) -> list[AnswerToken]:
    """A superscript exponent (a⁽²⁾₁)² becomes ``^ 2``."""
    out: list[AnswerToken] = []
    for token in tokens:
        if token.kind == "power":
            out.append(AnswerToken("op", "^", token.position))
            out.append(AnswerToken("number", token.text.translate(_FROM_SCRIPT), token.position))
        else:
            out.append(token)
    return out


class _Names:
    """Unit names -> the network's symbols, with the lecture's shorthand for single units."""

    def __init__(self, graph: Graph, parser: _AnswerParser) -> None:
        self.graph = graph
        self.network = graph.network
        self.parser = parser

    def _index(self, token: AnswerToken, layer: int, indices: tuple[int, ...], width: int, what: str) -> int:
        if not indices:
            if width != 1:
                raise self.parser.fail(token, f"layer {layer} has {width} units: give the index of the {what}")
            return 0
        if len(indices) != 1 or not 1 <= indices[0] <= width:
            raise self.parser.fail(token, f"the {what} of layer {layer} is numbered 1..{width}")
        return indices[0] - 1

    def _layer(self, token: AnswerToken, unit: Unit, lowest: int) -> int:
        L = self.network.L
        if unit.layer is None or not lowest <= unit.layer <= L:
            example = "W2_1_2" if unit.base in ("W", "w") else f"{unit.base}{max(lowest, 1)}_1"
            raise self.parser.fail(token, f"{unit.base} needs a layer {lowest}..{L}, e.g. {example}")
        return unit.layer

    def example(self, token: AnswerToken, unit: Unit) -> Graph:
        """The graph of the example ``unit`` belongs to: a batch's z, a, delta, t, x, sigma' and dC/da carry
        ``_nK`` (example K); W, b and sigma are every example's."""
        batch = self.network.batch
        shared = unit.base in ("W", "w", "b", "sigma", "lambda")
        if unit.example is None:
            if batch == 1 or shared:
                return self.graph
            raise self.parser.fail(token, f"in a batch of {batch} examples every {unit.base} is one example's: "
                                          f"add _n1 .. _n{batch} to the name, e.g. {_example_name(self.network, unit)}")
        if batch == 1:
            raise self.parser.fail(token, "_n names an example of a batch, and this network has one example "
                                          "(add --batch N, or leave _n out)")
        if shared:
            raise self.parser.fail(token, f"{unit.base} is shared by every example of the batch: "
                                          f"leave _n{unit.example} out")
        if not 1 <= unit.example <= batch:
            raise self.parser.fail(token, f"the examples of the batch are numbered 1..{batch} (_n1 .. _n{batch})")
        return self.graph.examples[unit.example - 1]

    def unit(self, token: AnswerToken) -> sp.Expr:
        unit = token.unit
        assert unit is not None
        net = self.network
        if unit.base in ("t", "x") and unit.layer is not None and unit.example is None and net.batch > 1:
            unit = replace(unit, layer=None, example=unit.layer)  # t⁽¹⁾, t^{(1)}: example 1's target
        g = self.example(token, unit)
        if unit.base == "lambda":
            if g.decay is None:
                raise self.parser.fail(token, "lambda is the weight decay, and this network has none (add --l2 LAMBDA)")
            return g.decay
        if unit.base in ("t", "x"):
            layer = net.L if unit.base == "t" else 0
            vector = g.t if unit.base == "t" else g.a[0]
            return vector[self._index(token, layer, unit.indices, net.D(layer), "unit")]
        if unit.base == "C" and unit.prime:
            if net.D(net.L) != 1:
                raise self.parser.fail(token, f"C' is dC/da{net.L} of a single output; layer {net.L} has "
                                              f"{net.D(net.L)} units: write dC/da{net.L}_1")
            return g.dC_da[0]
        if unit.base == "C":
            raise self.parser.fail(token, "C alone is the cost, not a factor; write dC/da3_1 for its partial")
        if unit.prime:
            raise self.parser.fail(token, "a prime belongs to sigma: sigma2'(z2_1)")
        if unit.base in ("W", "w"):
            m = self._layer(token, unit, 1)
            indices = (unit.indices if len(unit.indices) == 2
                       else (1, *unit.indices) if net.D(m) == 1 and len(unit.indices) == 1 else None)
            if indices is None or not (1 <= indices[0] <= net.D(m) and 1 <= indices[1] <= net.D(m - 1)):
                raise self.parser.fail(token, f"W of layer {m} is W{m}_<i>_<j> with i in 1..{net.D(m)}, "
                                              f"j in 1..{net.D(m - 1)}")
            return g.W[m][indices[0] - 1, indices[1] - 1]
        m = self._layer(token, unit, 0 if unit.base == "a" else 1)
        vector = {"a": g.a, "z": g.z, "b": g.b, "delta": g.delta}[unit.base][m]
        return vector[self._index(token, m, unit.indices, net.D(m), "unit")]

    def sigma(self, token: AnswerToken, argument: sp.Expr) -> sp.Expr:
        """sigma^{(m)}(z) or sigma^{(m)'}(z); the layer may be left to the argument's z."""
        unit = token.unit
        assert unit is not None
        self.example(token, unit)  # sigma is every example's: sigma2'(z2_1_n1)
        z_unit = _z_position(example_of(self.graph, argument), argument)
        m = unit.layer if unit.layer is not None else z_unit[0] if z_unit else None
        if m is None or not 1 <= m <= self.network.L:
            raise self.parser.fail(token, f"sigma needs a layer 1..{self.network.L}: write sigma2'(z2_1)")
        return sigma_of(self.graph, m, argument, unit.prime)

    def partial(self, token: AnswerToken) -> sp.Expr:
        """d(of)/d(wrt): dC/da^{(L)}, dC/dz (a delta), dC/da below L (its sum over deltas), or a local step."""
        of, wrt = token.of, token.unit
        if of is None or wrt is None:
            raise self.parser.fail(token, "a partial is written dC/da3_1, da2_1/dz2_1 or dz2_1/dW2_1_2")
        wrt_value = self.unit(AnswerToken("name", token.text, token.position, unit=wrt))
        if of.base == "C" and of.example is not None:  # dC_n1/da2_1_n1; C^{(1)} has no term of example 2
            cost = self.example(token, of)
            if example_of(self.graph, wrt_value) not in (cost, self.graph):
                return sp.Integer(0)
        if of.base == "C":
            return dC_d(self.graph, wrt_value, lambda: self.parser.fail(token, "write dC/da, dC/dz or the entry's own derivative"))
        of_value = self.unit(AnswerToken("name", token.text, token.position, unit=of))
        return local_derivative(self.graph, of_value, wrt_value)


def _example_name(network: Network, unit: Unit) -> str:
    """The ASCII name of ``unit`` in example 1 of a batch: a1_2_n1, t_1_n1, dC/da3_1_n1 for C'."""
    if unit.base == "C":
        return f"dC/da{network.L}{'' if network.D(network.L) == 1 else '_1'}_n1"
    indices = "".join(f"_{i}" for i in unit.indices)
    return f"{unit.base}{unit.layer if unit.layer is not None else ''}{indices}_n1"


def _z_position(graph: Graph, value: sp.Expr) -> tuple[int, int] | None:
    for m in range(1, graph.network.L + 1):
        if value in graph.z[m]:
            return m, graph.z[m].index(value)
    return None


def _position(graph: Graph, family: str, value: sp.Expr) -> tuple[int, int] | None:
    vectors = getattr(graph, family)
    for m, vector in enumerate(vectors):
        if value in vector:
            return m, vector.index(value)
    return None


def sigma_prime_function(layer: int) -> sp.FunctionClass:
    """sigma^{(layer)'} applied to some other layer's z (a student's wrong layer), kept as written."""
    return sp.Function(f"sigma{layer}_prime", real=True)


def example_of(graph: Graph, value: sp.Expr) -> Graph:
    """The graph of the batch's example whose z, a, delta, sigma', dC/da or t ``value`` is; else ``graph``
    (W and b are every example's; without a batch there is one graph)."""
    for example in graph.example_graphs:
        if any(value in vector for family in (example.z, example.a, example.delta, example.sigma_prime)
               for vector in family) or value in example.t or value in example.dC_da:
            return example
    return graph


def sigma_of(graph: Graph, m: int, argument: sp.Expr, prime: bool) -> sp.Expr:
    """sigma^{(m)}(argument) or its derivative: the named a or sigma' when argument is z^{(m)}_i."""
    graph = example_of(graph, argument)
    position = _z_position(graph, argument)
    if position and position[0] == m:
        return (graph.sigma_prime if prime else graph.a)[m][position[1]]
    if prime:
        return sigma_prime_function(m)(argument)
    function = graph.sigma_function[m]
    if function is not None:
        return function(argument)
    return graph.a_definition[m][0].xreplace({graph.z[m][0]: argument})


def dC_d(graph: Graph, wrt: sp.Expr, refuse: Callable[[], SymbpError]) -> sp.Expr:
    """dC/d(wrt); in a batch the cost is that of wrt's example, dC^{(n)}/da^{(m),(n)}, as symbp writes it."""
    L = graph.network.L
    graph = example_of(graph, wrt)
    if (at := _position(graph, "a", wrt)) is not None:
        m, j = at
        if m == L:
            return graph.dC_da[j]
        if m >= 1:
            return sp.Add(*[graph.delta[m + 1][k] * graph.W[m + 1][k, j] for k in range(graph.network.D(m + 1))])
    if (at := _position(graph, "z", wrt)) is not None:
        return graph.delta[at[0]][at[1]]
    raise refuse()


def local_derivative(graph: Graph, of: sp.Expr, wrt: sp.Expr) -> sp.Expr:
    """d(of)/d(wrt) between neighbours of the graph: sigma', a weight, an activation, 1, or 0."""
    graph = example_of(graph, of)
    if (at := _position(graph, "a", of)) is not None and at[0] >= 1:
        return graph.sigma_prime[at[0]][at[1]] if wrt == graph.z[at[0]][at[1]] else sp.Integer(0)
    if (at := _position(graph, "z", of)) is not None:
        return sp.diff(graph.z_definition[at[0]][at[1]], wrt)
    return sp.Integer(1) if of == wrt else sp.Integer(0)


def parse_answer(text: object, network: Network, what: str = "answer") -> sp.Expr:
    """The SymPy expression an answer means, over the network's named symbols.

    >>> from symbp import Network
    >>> parse_answer("dC/da3 * sigma3'(z3) * w3_1 * sigma2'(z2_1) * a1_2", Network())
    W3_1_1*a1_2*dC_da3_1*dsigma2_1*dsigma3_1
    """
    if not isinstance(text, str):
        raise SymbpError(f"{what} {text!r} must be text, e.g. \"dC/da3 * sigma3'(z3) * w3_1 * sigma2'(z2_1) * a1_2\"")
    return _AnswerParser(text, build_graph(network), what, start=_last_equals(text)).formula()


def _last_equals(text: str) -> int:
    """Where the answer starts: after the last '=' of an equation chain (0 when there is none)."""
    return text[:MAX_ANSWER_LENGTH + 1].rfind("=") + 1
