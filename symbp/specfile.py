"""The network a command works on: a ``--spec`` TOML/JSON file, overridden by command-line options.

A spec file holds up to six keys (``define`` is a table), the arguments of ``Network``::

    layers = [3, 2, 2, 1]
    activations = "sigmoid"        # or one name per layer: ["tanh", "swish", "sigmoid"]
    cost = "squared_error"
    batch = 4                      # optional: a batch of 4 examples (default 1)
    l2 = 0.01                      # optional: weight decay lambda (default 0; biases are not decayed)

    [define]                       # non-linearities written as formulas in x
    swish = "x/(1+exp(-x))"

Nothing here imports SymPy, so the CLI can parse its options before deciding
whether any work needs it; ``Network`` itself validates the values.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from .errors import SymbpError, shown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - tomli is a declared dependency on 3.10
    import tomli as tomllib

SPEC_KEYS = ("layers", "activations", "cost", "define", "batch", "l2")
MAX_SIZE_DIGITS = 100
"""Layer sizes longer than this are refused as text, before they become integers."""
"""The keys a spec file may hold, in the order ``Network`` takes them."""


def refuse_special_file(path: Path, what: str) -> None:
    """A FIFO, device or socket would block or never end a read: only regular files are read."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return  # the read that follows says what is wrong
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise SymbpError(f"{what} {str(path)!r} is not a regular file (a FIFO, device or socket); give a file")


def read_text_file(path: Path, what: str, accepted: str) -> str:
    """The text of a user's input file, or one line saying why not (``accepted`` says what to give instead).

    utf-8-sig: a byte-order mark, as some editors and spreadsheets write, is not part of the text.
    """
    refuse_special_file(path, what)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SymbpError(f"{what} {str(path)!r} does not exist; {accepted}") from None
    except IsADirectoryError:
        raise SymbpError(f"{what} {str(path)!r} is a folder; {accepted}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SymbpError(f"{what} {str(path)!r} cannot be read: {error}") from None


def read_point(path: Path) -> dict[str, Any]:
    """A point file's JSON object (x, t, W1, b1, ...), as ``symbp grad``, ``example``, ``picture`` and ``render`` read it."""
    what = f"point file {str(path)!r}"
    data = load_json(read_text_file(path, "point file", "give a JSON file (see symbp grad --help)"), what)
    if not isinstance(data, dict):
        raise SymbpError(f"{what} must hold a JSON object with keys x, t, W1, b1, ...")
    return data


def read_spec(path: str | Path) -> dict[str, Any]:
    """The ``Network`` arguments a spec file gives (only the keys it has).

    ``*.json`` is read as JSON, ``*.toml`` as TOML, anything else as JSON when it
    starts with ``{`` and as TOML otherwise. Errors name the file, and the line for
    syntax errors.
    """
    path = Path(path)
    text = read_text_file(path, "spec file", "give a .toml or .json file")

    if not text.strip():
        raise SymbpError(
            f"spec file {str(path)!r} is empty; give at least one of the keys {', '.join(SPEC_KEYS)}, "
            "e.g. layers = [3, 2, 2, 1]"
        )
    suffix = path.suffix.lower()
    as_json = suffix == ".json" or (suffix != ".toml" and text.lstrip().startswith("{"))
    data = _parse_json(path, text) if as_json else _parse_toml(path, text)
    return _check_keys(path, data)


def _parse_json(path: Path, text: str) -> object:
    return load_json(text, f"spec file {str(path)!r}")


def load_json(text: str, what: str, shape: str = "a point or spec is at most a list of rows") -> object:
    """``json.loads``, with every way it fails (syntax, Python's int-conversion limit, nesting, a key given twice)
    as ``SymbpError``."""
    def refuse_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
        seen: dict[str, object] = {}
        for key, value in pairs:
            if key in seen:  # json.loads would keep the last silently: which one did the user mean?
                raise SymbpError(f"{what} gives {key!r} twice in one object; give each key once")
            seen[key] = value
        return seen

    try:
        return json.loads(text, object_pairs_hook=refuse_repeated_keys)
    except json.JSONDecodeError as error:
        raise SymbpError(f"{what} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise SymbpError(f"{what} is nested too deeply to read; {shape}") from None
    except SymbpError:
        raise
    except ValueError as error:  # an integer of more than sys.get_int_max_str_digits() digits
        raise SymbpError(f"{what} holds a number symbp cannot read: {error}") from None


def _parse_toml(path: Path, text: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # The message ends with "(at line N, column M)", or with "(at end of document)": name that line too.
        message = str(error).replace("at end of document", f"at end of document, line {len(text.splitlines()) or 1}")
        raise SymbpError(f"spec file {str(path)!r} is not valid TOML: {message}") from None
    except RecursionError:
        raise SymbpError(f"spec file {str(path)!r} is nested too deeply to read; layers is one list of sizes") from None
    except ValueError as error:  # an integer of more than sys.get_int_max_str_digits() digits
        raise SymbpError(f"spec file {str(path)!r} holds a number symbp cannot read: {error}") from None


def _check_keys(path: Path, data: object) -> dict[str, Any]:
    accepted = ", ".join(SPEC_KEYS)
    if not isinstance(data, dict):
        raise SymbpError(f"spec file {str(path)!r} must hold a table/object with keys {accepted}")
    unknown = [key for key in data if key not in SPEC_KEYS]
    if unknown:
        raise SymbpError(f"spec file {str(path)!r} has unknown key {unknown[0]!r}; accepted keys: {accepted}")
    # Network checks names against its registries with `in`, so a list or table here
    # would fail as unhashable instead of with a message: reject the wrong types first.
    if "cost" in data and not isinstance(data["cost"], str):
        raise SymbpError(f"spec file {str(path)!r}: cost {shown(data['cost'])} must be one name, e.g. \"squared_error\"")
    activations = data.get("activations", "")
    if not isinstance(activations, str) and not (
        isinstance(activations, list) and all(isinstance(a, str) for a in activations)
    ):
        raise SymbpError(
            f"spec file {str(path)!r}: activations {shown(activations)} must be one name or a list of names"
        )
    define = data.get("define", {})
    if not isinstance(define, dict):
        raise SymbpError(
            f"spec file {str(path)!r}: define {shown(define)} must be a table of names and formulas, "
            'e.g. [define] swish = "x/(1+exp(-x))"'
        )
    bad = next((name for name, formula in define.items() if not isinstance(formula, str)), None)
    if bad is not None:
        raise SymbpError(
            f"spec file {str(path)!r}: define {shown(bad, 40)} = {shown(define[bad])} must be a formula in quotes, "
            'e.g. [define] swish = "x/(1+exp(-x))"'
        )
    if "activations" in data and isinstance(activations, list):
        data["activations"] = tuple(activations)
    if "layers" in data and isinstance(data["layers"], list):
        data["layers"] = tuple(data["layers"])
        if any(isinstance(size, int) and size.bit_length() > MAX_SIZE_DIGITS * 10 // 3 for size in data["layers"]):
            raise SymbpError(
                f"spec file {str(path)!r}: a layer size of over {MAX_SIZE_DIGITS} digits is beyond any network; "
                "give sizes like layers = [3, 2, 2, 1]"
            )
    return dict(data)


def parse_layers(text: str) -> tuple[int, ...]:
    """``"3,2,2,1"`` -> ``(3, 2, 2, 1)``; sizes themselves are checked by ``Network``."""
    items = [item.strip() for item in text.split(",")]
    if items == [""]:
        raise SymbpError("--layers is empty; give two or more sizes, e.g. --layers 3,2,2,1")
    sizes = []
    for item in items:
        # int() alone would also take "3_000", "+3" or non-ASCII digits, and fail past 4,300 digits.
        if not re.fullmatch(r"-?[0-9]+", item, re.ASCII):
            raise SymbpError(f"--layers {text!r}: {item!r} is not an integer; give sizes like --layers 3,2,2,1")
        if len(item) > MAX_SIZE_DIGITS:
            raise SymbpError(
                f"--layers: a size of {len(item):,} digits is beyond any network; give sizes like --layers 3,2,2,1"
            )
        sizes.append(int(item))
    return tuple(sizes)


def parse_names(text: str) -> tuple[str, ...]:
    """``"tanh, sigmoid"`` -> ``("tanh", "sigmoid")``."""
    return tuple(item.strip() for item in text.split(","))


def parse_definition(text: str) -> tuple[str, str]:
    """``"swish=x/(1+exp(-x))"`` -> ``("swish", "x/(1+exp(-x))")``; ``Network`` checks the name and formula."""
    name, equals, formula = text.partition("=")
    if not equals:
        shown = repr(text if len(text) <= 60 else text[:57] + "...")
        raise SymbpError(f"--define {shown} has no '='; give NAME=FORMULA, e.g. --define swish='x/(1+exp(-x))'")
    return name.strip(), formula


def network_arguments(
    spec: str | Path | None = None,
    *,
    layers: str | None = None,
    activation: str | None = None,
    activations: str | None = None,
    cost: str | None = None,
    define: list[str] | None = None,
    batch: int | None = None,
    l2: float | None = None,
) -> dict[str, Any]:
    """``Network`` keyword arguments from a spec file and options (options win).

    ``activation`` names one non-linearity for every layer, ``activations`` one per
    layer separated by commas; giving both is an error. Keys neither gives are left
    out, so ``Network``'s defaults (the lecture's network) apply. Each ``define``
    is NAME=FORMULA, added to the spec file's ``[define]`` table.
    """
    if activation is not None and activations is not None:
        raise SymbpError(
            f"--activation {activation!r} and --activations {activations!r} both given; "
            "give one name for every layer or a list, not both"
        )
    arguments = read_spec(spec) if spec is not None else {}
    given: set[str] = set()  # names --define has given (they replace the spec file's)
    if layers is not None:
        arguments["layers"] = parse_layers(layers)
    if activation is not None:
        arguments["activations"] = activation.strip()
    if activations is not None:
        arguments["activations"] = parse_names(activations)
    if cost is not None:
        arguments["cost"] = cost.strip()
    if batch is not None:
        arguments["batch"] = batch
    if l2 is not None:
        arguments["l2"] = l2
    if define:
        definitions = dict(arguments.get("define", {}))
        for text in define:
            name, formula = parse_definition(text)
            if name in definitions and definitions[name] != formula and name in given:
                raise SymbpError(f"--define {name} given twice, as {definitions[name]!r} and {formula!r}; define it once")
            definitions[name] = formula
            given.add(name)
        arguments["define"] = definitions
    return arguments
