"""Tiny data sets shipped with symbp, and the reader for the user's own (CSV or JSON rows).

A data set is rows of inputs and targets. CSV: a header naming the columns, inputs
``x1, x2, ...`` and targets ``t`` or ``t1, t2, ...``. JSON: a list of rows
``{"x": [...], "t": [...]}`` (``t`` may be one number).

- ``xor``: the four points of exclusive or, the classic problem no single layer solves.
- ``spiral``: two interleaved spiral arms of 50 points each (1.5 turns, radius 0.1 to 1,
  noise 0.02; generated once with NumPy's seed 0), classes 0 and 1.

>>> load("xor").x.tolist(), load("xor").t.ravel().tolist()
([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import SymbpError
from ..specfile import read_text_file

SHIPPED = ("xor", "spiral")


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` of shape (N, D(0)) and targets ``t`` of shape (N, D(L))."""

    name: str
    x: np.ndarray
    t: np.ndarray

    @property
    def is_classes(self) -> bool:
        """True when every target is 0 or 1 (then accuracy means something)."""
        return bool(np.all((self.t == 0) | (self.t == 1)))


def load(source: str) -> Dataset:
    """A shipped data set by name, or a ``.csv`` or ``.json`` file by path."""
    if source in SHIPPED:
        text = resources.files(__name__).joinpath(f"{source}.csv").read_text(encoding="utf-8")
        return _from_csv(source, text)
    path = Path(source)
    if path.suffix.lower() not in (".csv", ".json"):
        raise SymbpError(f"data {source!r} is neither a shipped set ({', '.join(SHIPPED)}) nor a .csv or .json file")
    text = read_text_file(path, "data file", f"shipped sets: {', '.join(SHIPPED)}")
    return _from_csv(source, text) if path.suffix.lower() == ".csv" else _from_json(source, text)


def _from_csv(name: str, text: str) -> Dataset:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if len(rows) < 2:
        raise SymbpError(f"data {name!r} needs a header (x1,x2,...,t) and at least one row")
    header = [h.strip() for h in rows[0]]
    inputs = [k for k, h in enumerate(header) if h.startswith("x")]
    targets = [k for k, h in enumerate(header) if h.startswith("t")]
    if not inputs or not targets or len(inputs) + len(targets) != len(header):
        raise SymbpError(f"data {name!r}: header {','.join(header)!r} must name inputs x1,x2,... and targets t or t1,t2,...")
    try:
        values = np.array([[float(v) for v in row] for row in rows[1:]])
    except ValueError as error:
        raise SymbpError(f"data {name!r} must hold numbers only: {error}") from None
    if values.ndim != 2 or values.shape[1] != len(header):
        raise SymbpError(f"data {name!r}: every row needs {len(header)} numbers, as the header names")
    return _checked(name, values[:, inputs], values[:, targets])


def _from_json(name: str, text: str) -> Dataset:
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as error:
        raise SymbpError(f"data {name!r} is not valid JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and set(r) == {"x", "t"} for r in rows):
        raise SymbpError(f'data {name!r} must be a JSON list of rows {{"x": [...], "t": [...]}}')
    try:
        x = np.array([np.atleast_1d(np.asarray(r["x"], dtype=float)) for r in rows])
        t = np.array([np.atleast_1d(np.asarray(r["t"], dtype=float)) for r in rows])
    except (TypeError, ValueError):
        raise SymbpError(f"data {name!r}: every row needs the same number of x and of t numbers") from None
    return _checked(name, x, t)


def _checked(name: str, x: np.ndarray, t: np.ndarray) -> Dataset:
    if x.ndim != 2 or t.ndim != 2 or not (np.all(np.isfinite(x)) and np.all(np.isfinite(t))):
        raise SymbpError(f"data {name!r}: every row needs the same number of finite x and t numbers")
    return Dataset(name, x, t)
