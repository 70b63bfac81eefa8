"""Elementwise formulas as NumPy statements that write into arrays allocated once.

``a1*dC_da1*(1 - a1)`` in NumPy allocates an array for each of its three operations;
in the generated module's loop over blocks of rows, that is three fresh arrays per
block and layer, each faulted in and freed. ``InPlaceWriter`` writes the same
formula as one NumPy call per operation, each with ``out=``: the first into the
result's preallocated array, the rest in place on it, and parts that must be
computed on their own (the ``1 - a1`` above) into scratch arrays the caller
allocates once::

    delta1 = numpy.subtract(1, a1, out=delta1_block[:n])
    delta1 *= a1
    delta1 *= dC_da1

Whatever it has no NumPy operation for (Piecewise, an unknown function) it prints
whole through the caller's printer and copies in: correct, not in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import sympy as sp

Print = Callable[[sp.Expr], str]


@dataclass(frozen=True)
class Target:
    """Where a formula's value goes: bound to ``name``, written into the preallocated ``storage``."""

    name: str
    storage: str


@dataclass
class Scratch:
    """Scratch arrays shared by formulas of one shape: ``<prefix>0``, ``<prefix>1``, ..., each stored in
    ``<prefix>k_block[:n]`` (the block's first n rows)."""

    prefix: str
    used: int = 0
    """The most the formulas written so far needed at once: the caller allocates that many."""
    _live: int = field(default=0, repr=False)

    def take(self) -> Target:
        name = f"{self.prefix}{self._live}"
        self._live += 1
        self.used = max(self.used, self._live)
        return Target(name, f"{name}_block[:n]")

    def give_back(self) -> None:
        self._live -= 1


class InPlaceWriter:
    """Statements computing an elementwise formula into a ``Target``, one NumPy call per operation.

    ``print_expr`` prints a whole formula (or a number) as NumPy source; ``unary``
    names the NumPy function, taking ``out=``, of each SymPy function it can apply
    in place (``sp.exp: "numpy.exp"``).
    """

    def __init__(self, print_expr: Print, unary: Mapping[type, str]) -> None:
        self._print = print_expr
        self._unary = dict(unary)

    def assign(self, target: Target, expr: sp.Expr, scratch: Scratch) -> list[str]:
        """Statements binding ``target.name`` to the value of ``expr``; a bare symbol is bound without a copy."""
        if isinstance(expr, sp.Symbol):
            return [f"{target.name} = {expr}"]
        lines: list[str] = []
        self._into(target, expr, scratch, lines)
        return lines

    # One method per kind of node; each writes its node into ``target`` -----------

    def _into(self, target: Target, expr: sp.Expr, scratch: Scratch, lines: list[str]) -> None:
        write = self._writer_for(expr)
        if write is None:  # no NumPy operation for it here: printed whole, then copied in
            lines += [f"{target.name} = {target.storage}", f"{target.name}[...] = {self._print(expr)}"]
        else:
            write(target, expr, scratch, lines)

    def _writer_for(self, expr: sp.Expr) -> Callable[[Target, sp.Expr, Scratch, list[str]], None] | None:
        """The method that writes ``expr`` as NumPy calls, or None when there is none."""
        if isinstance(expr, sp.Symbol) or expr.is_number:
            return None
        if expr.is_Add:
            return self._add
        if expr.is_Mul:
            return self._mul
        if expr.is_Pow and expr.exp.is_number:
            return self._pow
        if isinstance(expr, (sp.Max, sp.Min)) and len(expr.args) == 2:
            return self._extremum
        if type(expr) in self._unary and len(expr.args) == 1:
            return self._function
        return None

    def _operand(self, expr: sp.Expr) -> str | None:
        """``expr`` as an argument of a NumPy call, when that needs no statement of its own.

        Symbols and numbers are; so is what the writer has no NumPy operation for
        (left to NumPy's own evaluation, temporaries and all).
        """
        return None if self._writer_for(expr) is not None else self._print(expr)

    def _pow(self, target: Target, expr: sp.Pow, scratch: Scratch, lines: list[str]) -> None:
        if expr.exp == -1:  # 1/x: NumPy's divide is about twice as fast as its reciprocal
            operand = self._operand(expr.base)
            if operand is not None:
                lines.append(_first(target, f"numpy.divide(1, {operand}"))
            else:
                self._into(target, expr.base, scratch, lines)
                lines.append(f"numpy.divide(1, {target.name}, out={target.name})")
            return
        function = _POWER_FUNCTIONS.get(expr.exp)
        if function is not None:
            self._apply(target, function, expr.base, scratch, lines)
        else:
            self._binary(target, "numpy.power", expr.base, expr.exp, scratch, lines)

    def _extremum(self, target: Target, expr: sp.Expr, scratch: Scratch, lines: list[str]) -> None:
        function = "numpy.maximum" if isinstance(expr, sp.Max) else "numpy.minimum"
        self._binary(target, function, *_number_last(expr.args), scratch, lines)

    def _function(self, target: Target, expr: sp.Expr, scratch: Scratch, lines: list[str]) -> None:
        self._apply(target, self._unary[type(expr)], expr.args[0], scratch, lines)

    def _apply(self, target: Target, function: str, argument: sp.Expr, scratch: Scratch, lines: list[str]) -> None:
        """``function(argument)``: straight into the target, or in place once the argument is there."""
        operand = self._operand(argument)
        if operand is not None:
            lines.append(_first(target, f"{function}({operand}"))
        else:
            self._into(target, argument, scratch, lines)
            lines.append(f"{function}({target.name}, out={target.name})")

    def _binary(
        self, target: Target, function: str, left: sp.Expr, right: sp.Expr, scratch: Scratch, lines: list[str]
    ) -> None:
        """``function(left, right)``, with ``left`` built in the target when it is not an operand."""
        left_operand = self._operand(left)
        if left_operand is None:
            self._into(target, left, scratch, lines)
            self._with(right, scratch, lines, lambda r: f"{function}({target.name}, {r}, out={target.name})")
        else:
            self._with(right, scratch, lines, lambda r: _first(target, f"{function}({left_operand}, {r}"))

    def _with(self, expr: sp.Expr, scratch: Scratch, lines: list[str], statement: Callable[[str], str]) -> None:
        """``statement(argument)``, ``expr`` the argument: an operand, or first computed into a scratch array."""
        operand = self._operand(expr)
        if operand is not None:
            lines.append(statement(operand))
            return
        array = scratch.take()
        self._into(array, expr, scratch, lines)
        lines.append(statement(array.name))
        scratch.give_back()

    def _add(self, target: Target, expr: sp.Add, scratch: Scratch, lines: list[str]) -> None:
        constant, terms = expr.as_coeff_Add()
        signed = [_signed(term) for term in sp.Add.make_args(terms)]
        # Start from a positive term the writer has to build (it goes straight into the target),
        # else from a positive operand; a formula of negative terms only starts negated.
        signed.sort(key=lambda pair: (pair[0] < 0, self._operand(pair[1]) is not None))
        (sign, first), rest = signed[0], signed[1:]
        first_operand = self._operand(first)
        if first_operand is not None and sign > 0 and (constant != 0 or rest):
            if constant != 0:
                lines.append(_first(target, f"numpy.add({first_operand}, {self._print(constant)}"))
                constant = sp.S.Zero
            else:
                (other_sign, other), rest = rest[0], rest[1:]
                function = "numpy.add" if other_sign > 0 else "numpy.subtract"
                self._with(other, scratch, lines, lambda o: _first(target, f"{function}({first_operand}, {o}"))
        elif first_operand is not None and sign < 0 and constant != 0:  # c - x, as 1 - a is
            lines.append(_first(target, f"numpy.subtract({self._print(constant)}, {first_operand}"))
            constant = sp.S.Zero
        elif first_operand is not None:  # -x - ...
            lines.append(_first(target, f"numpy.negative({first_operand}"))
        else:
            self._into(target, first, scratch, lines)
            if sign < 0:
                lines.append(f"numpy.negative({target.name}, out={target.name})")
        for sign, term in rest:
            operator = "+=" if sign > 0 else "-="
            self._with(term, scratch, lines, lambda o: f"{target.name} {operator} {o}")
        if constant != 0:
            operator = "+=" if constant > 0 else "-="
            lines.append(f"{target.name} {operator} {self._print(abs(constant))}")

    def _mul(self, target: Target, expr: sp.Mul, scratch: Scratch, lines: list[str]) -> None:
        coefficient, factors = expr.as_coeff_Mul()
        parts = sp.Mul.make_args(factors)
        numerators = [f for f in parts if not (f.is_Pow and f.exp == -1)]
        divisors = [f.base for f in parts if f.is_Pow and f.exp == -1]
        if not numerators:  # c/x: start from the division
            numerators, coefficient = [coefficient], sp.S.One
        # Start from a factor the writer has to build (straight into the target), else from two operands.
        numerators.sort(key=lambda factor: self._operand(factor) is not None)
        first, rest = numerators[0], numerators[1:]
        first_operand = self._operand(first)
        if first_operand is not None and rest:
            second, rest = rest[0], rest[1:]
            lines.append(_first(target, f"numpy.multiply({first_operand}, {self._operand(second)}"))
        elif first_operand is not None and divisors:
            second, divisors = divisors[0], divisors[1:]
            self._with(second, scratch, lines, lambda o: _first(target, f"numpy.divide({first_operand}, {o}"))
        elif first_operand is not None and coefficient != 1:
            lines.append(_first(target, f"numpy.multiply({self._print(coefficient)}, {first_operand}"))
            coefficient = sp.S.One
        else:
            self._into(target, first, scratch, lines)
        for operator, factor_list in (("*=", rest), ("/=", divisors)):
            for factor in factor_list:
                self._with(factor, scratch, lines, lambda o: f"{target.name} {operator} {o}")
        if coefficient == -1:
            lines.append(f"numpy.negative({target.name}, out={target.name})")
        elif coefficient != 1:
            lines.append(f"{target.name} *= {self._print(coefficient)}")


def _first(target: Target, call: str) -> str:
    """The statement that binds the target: ``call`` (its arguments open) finished by ``out=`` its storage."""
    return f"{target.name} = {call}, out={target.storage})"


def _signed(term: sp.Expr) -> tuple[int, sp.Expr]:
    """(-1, x) for a term -x, else (1, term)."""
    coefficient, rest = term.as_coeff_Mul()
    if coefficient.is_negative:
        return -1, -coefficient * rest if coefficient != -1 else rest
    return 1, term


_POWER_FUNCTIONS = {sp.Integer(2): "numpy.square", sp.Rational(1, 2): "numpy.sqrt"}


def _number_last(args: tuple[sp.Expr, ...]) -> tuple[sp.Expr, sp.Expr]:
    """Max(0, z) and the like with the array first, so that the first call can write into the target."""
    left, right = args
    return (right, left) if left.is_number else (left, right)
