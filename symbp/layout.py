"""The arrangement of a network's numbers: keys ``x``, ``t``, ``W1``, ``b1``, ..., their shapes.

One ``Layout`` says which arrays a point (or a parameter set) holds and how they
flatten to one vector, and ``validate`` is the one gate every number passes on
its way in: point files, ``gradient_at``, random points, generated code.

>>> from symbp import Network
>>> layout = point_layout(Network(layers=[2, 2, 1]))
>>> layout.keys
('x', 't', 'W1', 'b1', 'W2', 'b2')
>>> layout.validate({"x": [1, 2], "t": 0.5, "W1": [[0, 0], [0, 0]], "b1": [0, 0], "W2": [[0, 0]], "b2": [0]})["t"]
array([0.5])
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass
from numbers import Real
from typing import Mapping

import numpy as np

from .errors import SymbpError
from .spec import Network

Arrays = dict[str, np.ndarray]

_SCALAR_KEYS = ("t",)
"""Keys that may be one bare number when their shape is (1,): a single output's target."""

_MAX_NESTING = 2
"""The deepest array of any layout (a weight matrix); deeper lists are refused before walking them."""


@dataclass(frozen=True)
class Layout:
    """Named arrays of fixed shapes, in a fixed order (the order of files and of ``flatten``)."""

    what: str
    """What the arrays form, for messages: ``point`` or ``params``."""
    shapes: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.shapes)

    def shape(self, key: str) -> tuple[int, ...]:
        return dict(self.shapes)[key]

    @property
    def size(self) -> int:
        """How many numbers the layout holds (the length of ``flatten``)."""
        return sum(math.prod(shape) for _, shape in self.shapes)

    def validate(self, data: object) -> Arrays:
        """Float64 copies of every array of ``data``, after checking keys, shapes and finiteness.

        Accepts NumPy arrays, nested lists or tuples of numbers, and for ``t`` of a single
        output one number. Raises ``SymbpError`` naming the key, the shape needed and the
        shape given, or the first value that is not a finite number.
        """
        accepted = ", ".join(self.keys)
        if not isinstance(data, Mapping):
            raise SymbpError(f"a {self.what} must be a mapping with keys {accepted}, got {_describe(data)}")
        unknown = [key for key in data if key not in self.keys]
        if unknown:
            raise SymbpError(f"unknown key {_describe(unknown[0])} in {self.what}; accepted keys: {accepted}")
        arrays: Arrays = {}
        for key, shape in self.shapes:
            if key not in data:
                raise SymbpError(f"{self.what} is missing {key!r}; a {self.what} needs {accepted}")
            arrays[key] = self._array(key, data[key], shape)
        return arrays

    def flatten(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """One vector of every number, key by key in order, each array row-major (validated first)."""
        valid = self.validate(arrays)
        if not valid:
            return np.zeros(0)
        return np.concatenate([valid[key].ravel() for key in self.keys])

    def unflatten(self, vector: object) -> Arrays:
        """The arrays of a vector ``flatten`` made."""
        flat = _as_float_array(vector, f"{self.what} vector")
        if flat.shape != (self.size,):
            raise SymbpError(f"a {self.what} vector needs shape ({self.size},), got {flat.shape}")
        arrays: Arrays = {}
        start = 0
        for key, shape in self.shapes:
            stop = start + math.prod(shape)
            arrays[key] = flat[start:stop].reshape(shape).copy()
            start = stop
        return self.validate(arrays)

    def _array(self, key: str, raw: object, shape: tuple[int, ...]) -> np.ndarray:
        if key in _SCALAR_KEYS and shape == (1,) and _is_number(raw):
            raw = [raw]
        array = _as_float_array(raw, f"{self.what} {key!r}")
        if key in _SCALAR_KEYS and len(shape) == 2 and shape[1] == 1 and array.shape == shape[:1]:
            array = array.reshape(shape)  # a batch's targets of one output: one number per example
        if array.shape != shape:
            rows = array.shape[0] if key in ("x", "t") and len(shape) == 1 and array.ndim == 2 else 0
            hint = f"; its {rows} rows are a batch: add --batch {rows}" if rows > 1 else _hint(key, shape)
            raise SymbpError(f"{self.what} {key!r} has shape {array.shape}, the network needs {shape}{hint}")
        bad = np.argwhere(~np.isfinite(array))
        if bad.size:
            index = tuple(int(i) for i in bad[0])
            raise SymbpError(
                f"{self.what} {key!r} holds {array[index]} at index {index}; give finite numbers only"
            )
        return array


def learning_rate(lr: object) -> float:
    """``lr`` as a float when it is a positive finite number (a step of gradient descent), else SymbpError."""
    if isinstance(lr, bool) or not isinstance(lr, Real) or not (math.isfinite(lr) and lr > 0):
        raise SymbpError(f"learning rate {_describe(lr)} must be a positive number, e.g. 0.5")
    return float(lr)


def point_layout(network: Network) -> Layout:
    """What a point holds: ``x`` (D(0),), ``t`` (D(L),), then ``W1``, ``b1``, ..., ``WL``, ``bL``.

    With a batch of N examples, ``x`` and ``t`` are N rows: (N, D(0)) and (N, D(L)).
    """
    rows = () if network.batch == 1 else (network.batch,)
    inputs = (("x", (*rows, network.D(0))), ("t", (*rows, network.D(network.L))))
    return Layout("point", inputs + _parameter_shapes(network))


def parameter_layout(network: Network) -> Layout:
    """The weights and biases alone, ``W1``, ``b1``, ..., in the order of ``Graph.parameters``."""
    return Layout("params", _parameter_shapes(network))


def _parameter_shapes(network: Network) -> tuple[tuple[str, tuple[int, ...]], ...]:
    shapes: list[tuple[str, tuple[int, ...]]] = []
    for m in range(1, network.L + 1):
        shapes += [(f"W{m}", (network.D(m), network.D(m - 1))), (f"b{m}", (network.D(m),))]
    return tuple(shapes)


def _hint(key: str, shape: tuple[int, ...]) -> str:
    if key.startswith("W"):
        m = int(key[1:])
        return f" (D({m}) = {shape[0]} rows of D({m - 1}) = {shape[1]} numbers)"
    if key in ("x", "t") and len(shape) == 2:
        return f" (one row of {shape[1]} numbers for each of the batch's {shape[0]} examples)"
    return ""


def _is_number(value: object) -> bool:
    return isinstance(value, (Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _as_float_array(raw: object, name: str) -> np.ndarray:
    """``raw`` as a float64 array, or ``SymbpError`` saying what in it is not a number."""
    if isinstance(raw, np.ndarray):
        if raw.dtype.kind not in "iuf":
            raise SymbpError(f"{name} must hold real numbers, got an array of dtype {raw.dtype}")
        if raw.ndim > _MAX_NESTING:
            raise SymbpError(f"{name} has shape {raw.shape}; give at most a matrix")
        return raw.astype(float)  # astype copies: the caller's array is never shared
    shape = _nested_shape(raw, name)
    leaves = _leaves(raw, len(shape))
    try:
        values = [float(v) for v in leaves]
    except OverflowError:
        raise SymbpError(f"{name} holds an integer too large for a float (about 1.8e308 at most)") from None
    return np.array(values, dtype=float).reshape(shape)


def _nested_shape(raw: object, name: str) -> tuple[int, ...]:
    """The shape of a number or a rectangular nested list of numbers, walked level by level (no recursion)."""
    shape: list[int] = []
    level = [raw]
    while all(isinstance(item, (list, tuple)) for item in level) and level:
        lengths = {len(item) for item in level}
        if len(lengths) > 1:
            raise SymbpError(f"{name} is ragged: rows of lengths {sorted(lengths)}; give rows of equal length")
        if len(shape) == _MAX_NESTING:
            raise SymbpError(f"{name} is nested deeper than a matrix; give a list of numbers or a list of rows")
        shape.append(lengths.pop())
        level = [value for item in level for value in item]
    for item in level:
        if not _is_number(item):
            raise SymbpError(f"{name} must hold numbers only, got {_describe(item)}")
    return tuple(shape)


def _leaves(raw: object, depth: int) -> list[object]:
    level = [raw]
    for _ in range(depth):
        level = [value for item in level for value in item]  # type: ignore[attr-defined]
    return level


_short = reprlib.Repr()
_short.maxstring = 40
_short.maxother = 40


def _describe(value: object) -> str:
    """A short repr, safe for any value (deep lists, integers of 5,000 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    try:
        return _short.repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__}"
