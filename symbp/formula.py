"""symbp's own small grammar for formulas a user types, e.g. a non-linearity ``x/(1+exp(-x))``.

The text is never handed to ``eval``, ``sympify`` or ``parse_expr``: it is split
into tokens here and built into SymPy by a precedence-climbing parser, so the only
things a formula can mean are the ones listed below.

    formula  := sum
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/") unary)*
    unary    := ("-" | "+") unary | power
    power    := atom (("^" | "**") unary)?        right-associative: 2^3^2 = 2^9
    atom     := NUMBER | NAME | NAME "(" sum ("," sum)* ")" | "(" sum ")"

Names are the variables the caller allows (``x`` for a non-linearity), the
constants ``e`` and ``pi`` (as in grade's answers) and the functions of ``FUNCTIONS``. Every error is a ``SymbpError`` naming the offending
token and its 1-based position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

import sympy as sp

from .errors import SymbpError, shown_number

MAX_LENGTH = 1000
"""Characters a formula may have; a non-linearity is a line, not a program."""

MAX_DEPTH = 60
"""Nesting of parentheses, calls and unary signs; bounds the parser's recursion."""

MAX_NUMBER_DIGITS = 30
MAX_NUMBER_EXPONENT = 330
"""A number literal is exact (a Rational), so 1e999999999 would be a billion-digit integer; 330 covers
float64's range (1e308, and 5e-324 the least subnormal)."""

MAX_CONSTANT_EXPONENT = 64
MAX_CONSTANT_BITS = 4096
"""|n| of a number exponent, and the size of a power of two numbers: keeps 9^9^9 or
((9^64)^64)^64 from making SymPy compute a huge integer."""


MAX_MINMAX_ARGUMENTS = 8
"""Arguments of one max or min, nested ones counted (SymPy flattens max(max(a, b), c) into one Max): SymPy orders
the arguments pairwise, so building and deriving a 2,2,1 network with max of n terms x*k takes about 0.2 s at 8,
1 s at 12 and minutes at 40 (measured under load)."""


def _sigmoid(x: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-x))


@dataclass(frozen=True)
class FormulaFunction:
    """A function a formula may call: how many arguments it takes and what it is in SymPy."""

    name: str
    arity: tuple[int, int | None]
    """Fewest and most arguments (None: no limit)."""
    build: Callable[..., sp.Expr]


FUNCTIONS: Mapping[str, FormulaFunction] = {
    f.name: f
    for f in [
        FormulaFunction("exp", (1, 1), sp.exp),
        FormulaFunction("log", (1, 1), sp.log),
        FormulaFunction("sqrt", (1, 1), sp.sqrt),
        FormulaFunction("tanh", (1, 1), sp.tanh),
        FormulaFunction("sigmoid", (1, 1), _sigmoid),
        FormulaFunction("erf", (1, 1), sp.erf),
        FormulaFunction("abs", (1, 1), sp.Abs),
        FormulaFunction("max", (2, MAX_MINMAX_ARGUMENTS), sp.Max),
        FormulaFunction("min", (2, MAX_MINMAX_ARGUMENTS), sp.Min),
    ]
}

CONSTANTS: Mapping[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}
"""Names of numbers a formula may use; a caller's variable of the same name wins."""

_TOKEN = re.compile(
    r"(?P<space>[ \t]+)"
    r"|(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z][A-Za-z0-9]*)"
    r"|(?P<op>\*\*|[-+*/^(),])"
)


@dataclass(frozen=True)
class Token:
    kind: str  # number, name, op, end
    text: str
    position: int  # 1-based column of its first character


def tokenize(text: str, what: str = "formula", names: str = "x") -> list[Token]:
    """The tokens of ``text``; anything outside the grammar is refused with its position."""
    if len(text) > MAX_LENGTH:
        raise SymbpError(f"{what} is {len(text):,} characters long; at most {MAX_LENGTH:,} are accepted")
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            bad = text[at]
            # Name a whole run such as "__import__" or "lambda:", not only its first character.
            run = re.match(r"[A-Za-z0-9_.]+", text[at:])
            shown = run.group(0) if run and "_" in run.group(0) else bad
            raise SymbpError(
                f"{what} {_quoted(text)}: {_describe(shown)} at position {at + 1} is not accepted; "
                f"a formula has numbers, {names}, e, pi, + - * / ^, parentheses and {', '.join(FUNCTIONS)}"
            )
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup or "", match.group(0), at + 1))
        at = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _describe(text: str) -> str:
    if len(text) == 1 and not text.isprintable():
        return f"character U+{ord(text):04X}"
    return f"{text!r}"


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


class _Parser:
    def __init__(self, text: str, variables: Mapping[str, sp.Symbol], what: str) -> None:
        self.text = text
        self.what = what
        self.variables = variables
        self.tokens = tokenize(text, what, ", ".join(variables))
        self.index = 0
        self.depth = 0

    # Token access ------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: Token, message: str) -> SymbpError:
        shown = "the end" if token.kind == "end" else repr(token.text)
        return SymbpError(f"{self.what} {_quoted(self.text)}: {shown} at position {token.position}: {message}")

    def expect(self, text: str) -> Token:
        if self.current.text != text or self.current.kind != "op":
            raise self.fail(self.current, f"expected {text!r}")
        return self.take()

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(self.current, f"nested more than {MAX_DEPTH} deep")

    # Grammar -----------------------------------------------------------

    def formula(self) -> sp.Expr:
        if self.current.kind == "end":
            raise self.fail(self.current, "the formula is empty")
        value = self.sum()
        if self.current.kind != "end":
            raise self.fail(self.current, "expected an operator (+ - * / ^) or the end")
        return value

    def sum(self) -> sp.Expr:
        value = self.product()
        while self.current.text in ("+", "-") and self.current.kind == "op":
            sign = self.take().text
            right = self.product()
            value = value + right if sign == "+" else value - right
        return value

    def product(self) -> sp.Expr:
        value = self.unary()
        while self.current.text in ("*", "/") and self.current.kind == "op":
            operator = self.take()
            right = self.unary()
            if operator.text == "/" and right == 0:
                raise self.fail(operator, "division by zero")
            value = value * right if operator.text == "*" else value / right
        return value

    def unary(self) -> sp.Expr:
        if self.current.text in ("-", "+") and self.current.kind == "op":
            sign = self.take().text
            self.deeper()
            operand = self.unary()
            self.depth -= 1
            return -operand if sign == "-" else operand
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        if self.current.text in ("^", "**") and self.current.kind == "op":
            operator = self.take()
            self.deeper()
            exponent = self.unary()
            self.depth -= 1
            if exponent.is_Number and abs(exponent) > MAX_CONSTANT_EXPONENT:
                raise self.fail(operator, f"exponent {shown_number(exponent)} is too large; at most {MAX_CONSTANT_EXPONENT} in absolute value")
            if base == 0 and exponent.is_Number and exponent < 0:
                raise self.fail(operator, "0 to a negative power")
            if base.is_Number and exponent.is_Number and _bits(base) * abs(exponent) > MAX_CONSTANT_BITS:
                raise self.fail(operator, f"{shown_number(base)}^{shown_number(exponent)} is too large a number")
            return base**exponent
        return base

    def atom(self) -> sp.Expr:
        token = self.current
        if token.kind == "number":
            self.take()
            return self.number(token)
        if token.kind == "name":
            self.take()
            if self.current.text == "(" and self.current.kind == "op":
                return self.call(token)
            if token.text in self.variables:
                return self.variables[token.text]
            if token.text in CONSTANTS:
                return CONSTANTS[token.text]
            if token.text in FUNCTIONS:
                raise self.fail(token, f"{token.text} is a function: write {token.text}(...)")
            raise self.fail(token, f"unknown name; accepted: {self._accepted_names()}")
        if token.text == "(" and token.kind == "op":
            self.take()
            self.deeper()
            value = self.sum()
            self.depth -= 1
            if self.current.text != ")":
                raise self.fail(self.current, "unbalanced parenthesis: expected ')'")
            self.take()
            return value
        if token.kind == "end":
            raise self.fail(token, "the formula ends where a number, name or '(' is expected")
        raise self.fail(token, "expected a number, a name or '('")

    def call(self, name: Token) -> sp.Expr:
        function = FUNCTIONS.get(name.text)
        if function is None:
            raise self.fail(name, f"unknown function; accepted: {', '.join(FUNCTIONS)}")
        self.expect("(")
        self.deeper()
        arguments = [self.sum()]
        while self.current.text == "," and self.current.kind == "op":
            self.take()
            arguments.append(self.sum())
        self.depth -= 1
        if self.current.text != ")":
            raise self.fail(self.current, "unbalanced parenthesis: expected ')' or ','")
        self.take()
        fewest, most = function.arity
        count = sum(len(a.args) if a.func is function.build else 1 for a in arguments)  # max(max(a, b), c) is one Max
        if len(arguments) < fewest or (most is not None and count > most):
            wanted = f"{fewest}" if fewest == most else f"at least {fewest}" if most is None else f"{fewest} to {most}"
            nested = f" (nested {name.text} counted)" if count > len(arguments) else ""
            raise self.fail(name, f"{name.text} takes {wanted} argument{'s' if most != 1 else ''}, got {count}{nested}")
        return function.build(*arguments)

    def _accepted_names(self) -> str:
        constants = [name for name in CONSTANTS if name not in self.variables]
        return ", ".join([*self.variables, *constants, *(f"{f}(...)" for f in FUNCTIONS)])

    def number(self, token: Token) -> sp.Expr:
        mantissa, _, exponent = token.text.lower().partition("e")
        if len(mantissa) > MAX_NUMBER_DIGITS or (exponent and abs(int(exponent)) > MAX_NUMBER_EXPONENT):
            raise self.fail(token, f"numbers are limited to {MAX_NUMBER_DIGITS} digits and exponents "
                                   f"of at most {MAX_NUMBER_EXPONENT} in size")
        return sp.Rational(token.text)


def _bits(number: sp.Number) -> float:
    """About how many bits the numerator or denominator of ``number`` has."""
    p, q = sp.fraction(sp.Rational(number)) if number.is_Rational else (number, 1)
    return float(max(abs(int(p)), abs(int(q)), 2).bit_length())


def parse_formula(text: object, variables: Mapping[str, sp.Symbol], what: str = "formula") -> sp.Expr:
    """The SymPy expression a formula means; only ``variables`` and ``FUNCTIONS`` are names in it.

    >>> x = sp.Symbol("x", real=True)
    >>> parse_formula("x/(1+exp(-x))", {"x": x})
    x/(1 + exp(-x))
    >>> parse_formula("x^3 - 2*x", {"x": x})
    x**3 - 2*x
    """
    if not isinstance(text, str):
        raise SymbpError(f"{what} {text!r} must be text, e.g. \"x/(1+exp(-x))\"")
    return _Parser(text, variables, what).formula()
