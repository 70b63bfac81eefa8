r"""Grade a class's answers to an exercise sheet: each row's exercise id picks that exercise's network and entry.

The sheet is the JSON ``symbp exercise --format json`` writes. The ``answer`` cell of a row is read by kind:

- ``chain``: the derivative in ``symbp grade``'s text notation, graded by :func:`symbp.grade`.
- ``backprop``: ``ENTRY: EXPRESSION`` parts separated by ``;`` or new lines, one per asked quantity
  (``z2_1`` or ``delta2_1`` for a delta, ``W2_1_2``, ``b2_1``), each graded by :func:`symbp.grade`.
- ``count``: the four counts in the order asked, ``paths, factors, multiplications, backprop``, as whole
  numbers separated by commas, or named: ``paths = 4, factors = 7, multiplications = 24, backprop = 9``.
- ``numeric``: ``NAME = NUMBER`` parts separated by ``;`` or new lines: ``C``, every gradient
  ``dC/dW2_1_2`` and every parameter after the step ``W2_1_2+`` (canonical entry names). A number is right
  within one unit of its last printed decimal plus half a percent (hand work rounds as it goes).
- ``spot-the-error``: ``missing path: PRODUCT`` (the left-out path, its factors in the text notation),
  ``missing factor: FACTOR`` (e.g. ``sigma2'(z2_1)``) or ``wrong factor: WEIGHT`` (the weight as the
  sheet writes it, optionally ``... should be WEIGHT``); an answer without a label is read as the corrected
  derivation and graded as a chain-rule answer.

Every row gets a ``symbp.grade.BatchResult``, so the report and summary are those of ``symbp grade --answers``.
An exercise id the sheet does not hold is the teacher's input, not a student's: ``SymbpError``.

>>> from symbp.exercise import exercises
>>> sheet = exercises(seed=3, count=1, kinds=("count",), layers="2,2,2,1", depth="1")
>>> [r.verdict for r in grade_sheet(sheet, [{"student": "ann", "exercise": "ex1", "answer": "4, 7, 12, 7"}])]
['incorrect']
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

import sympy as sp

from .errors import SymbpError
from .spec import Network

COUNTS = ("paths", "factors_per_path", "multiplications", "backprop_multiplications")
COUNT_NAMES = {"paths": "paths", "factors": "factors_per_path", "factors_per_path": "factors_per_path",
               "multiplications": "multiplications", "naive": "multiplications", "backprop": "backprop_multiplications",
               "backprop_multiplications": "backprop_multiplications"}
COUNT_HINTS = {"paths": "count one unit per layer above the entry's",
               "factors_per_path": "dC/da, then sigma' and a weight per layer crossed, then sigma' and a at the entry",
               "multiplications": "a product of k factors takes k - 1 multiplications, once per path",
               "backprop_multiplications": "count only the deltas this one gradient needs, then delta * a"}
MISTAKE_LABELS = {"missing path": "missing_path", "missing factor": "missing_sigma_prime",
                  "wrong factor": "wrong_index", "wrong weight": "wrong_index"}
RELATIVE_SLACK = 0.005

_PARTS = re.compile(r"[;\n]")
_NAMED = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*[=:]\s*(.*?)\s*", re.S)
_INTEGER = re.compile(r"\s*([+-]?[0-9]+)\s*")
_NUMBER = re.compile(r"\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*")
_LABELLED = re.compile(r"\s*(missing path|missing factor|wrong factor|wrong weight)\s*:\s*(.*?)\s*"
                       r"(?:\bshould be\b\s*(.*?)\s*)?", re.S | re.I)


# The answer forms, as a sheet's solutions print them ---------------------------------------------------------------


def count_answer_text(answer: Mapping[str, int]) -> str:
    return ", ".join(f"{name.split('_')[0]} = {answer[name]}" for name in COUNTS)


def numeric_answer_text(network: Network, answer: Mapping[str, Any], digits: int) -> str:
    from .printers.base import format_number

    parts = [f"C = {format_number(answer['C'], digits)}"]
    parts += [f"dC/d{name} = {format_number(value, digits)}" for name, value in _parameters(network, answer["gradients"])]
    parts += [f"{name}+ = {format_number(value, digits)}" for name, value in _parameters(network, answer["updated"])]
    return "; ".join(parts)


def mistake_answer_text(mistake: Mapping[str, str]) -> str:
    if mistake["kind"] == "missing_path":
        return f"missing path: {mistake['path']}"
    if mistake["kind"] == "missing_sigma_prime":
        return f"missing factor: {mistake['expected']}"
    return f"wrong factor: {mistake['found']} should be {mistake['expected']}"


def _parameters(network: Network, arrays: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(canonical entry name, value) of every parameter, in the network's order."""
    import numpy as np

    out = []
    for entry in network.entries(("W", "b")):
        array = np.asarray(arrays[f"{entry.kind}{entry.layer}"], dtype=float)
        out.append((entry.name, float(array[(entry.row - 1, entry.col - 1)] if entry.kind == "W" else array[entry.row - 1])))
    return out


# Grading --------------------------------------------------------------------------------------------------------------


def sheet_items(sheet: Any) -> dict[str, dict[str, Any]]:
    """The exercises of a sheet (an ``ExerciseSheet`` or the JSON ``symbp exercise`` writes, loaded), by id."""
    from .exercise import ExerciseSheet, sheet_data

    data = sheet_data(sheet) if isinstance(sheet, ExerciseSheet) else sheet
    items = data.get("exercises") if isinstance(data, Mapping) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, Mapping) and "id" in i for i in items):
        raise SymbpError("the sheet holds no exercises; give the JSON that symbp exercise --format json writes")
    by_id = {str(item["id"]): item for item in items}
    for item in items:
        _check_item(item)
    return by_id


_ANSWER_TYPES = {"chain": str, "backprop": Mapping, "count": Mapping, "numeric": Mapping, "spot-the-error": str}


def _check_item(item: Mapping[str, Any]) -> None:
    """Refuse an exercise that is not as ``symbp exercise`` writes it (a hand-edited sheet), naming it."""
    kind, answer = item.get("kind"), item.get("answer")
    problem = None
    if kind not in _GRADERS:
        problem = f"kind {kind!r} is not one of {', '.join(_GRADERS)}"
    elif not isinstance(answer, _ANSWER_TYPES[kind]) or not isinstance(item.get("entry"), str):
        problem = "its entry or answer is missing"
    elif kind == "count" and not all(isinstance(answer.get(k), int) for k in COUNTS):
        problem = f"its answer does not hold the counts {', '.join(COUNTS)}"
    elif kind == "numeric" and not all(isinstance(answer.get(k), t) for k, t in (("C", (int, float)), ("gradients", Mapping),
                                                                                ("updated", Mapping))):
        problem = "its answer does not hold C, gradients and updated"
    elif kind == "spot-the-error" and not (isinstance(item.get("mistake"), Mapping)
                                           and all(isinstance(item["mistake"].get(k), str)
                                                   for k in ("kind", "path", "expected", "found"))):
        problem = "its mistake (kind, path, expected, found) is missing"
    if problem is None:
        network = _network(item)
        try:
            if kind == "numeric":
                _parameters(network, answer["gradients"])
                _parameters(network, answer["updated"])
        except (KeyError, IndexError, TypeError, ValueError):
            problem = "its numbers do not fit its network"
    if problem is not None:
        raise SymbpError(f"exercise {item.get('id')!r} of the sheet is not as symbp exercise writes it: {problem}; "
                         "give the JSON that symbp exercise --format json writes")


def grade_sheet(sheet: Any, rows: Iterable[Any], **options: Any) -> tuple[Any, ...]:
    """Grade every row (``AnswerRow`` or mapping of student, exercise, answer) against its exercise on ``sheet``.

    ``options`` go to :func:`symbp.grade` (``allow_delta``, ``points``, ``seed``). Raises ``SymbpError`` naming the
    sheet's ids when a row's exercise is not on it."""
    from .grade import BatchResult, _answer_row

    items = sheet_items(sheet)
    rows = [_answer_row(row, n, None) if isinstance(row, Mapping) else row for n, row in enumerate(rows, 1)]
    for number, row in enumerate(rows, 1):
        if row.item not in items:
            raise SymbpError(f"answers row {number} names exercise {row.item!r}, which is not on the sheet; "
                             f"its exercises: {', '.join(items)}")
    results = []
    for row in rows:
        item = items[row.item]
        try:
            verdict, feedback, kinds = _GRADERS[item["kind"]](item, row.answer, options)
        except SymbpError as error:
            verdict, feedback, kinds = "unreadable", (str(error),), ("unreadable",)
        results.append(BatchResult(row, verdict, tuple(feedback), tuple(kinds)))
    return tuple(results)


Verdict = tuple[str, list[str], list[str]]


def _network(item: Mapping[str, Any]) -> Network:
    network = item.get("network")
    try:
        return Network(**network)  # type: ignore[arg-type]
    except (KeyError, TypeError) as error:
        raise SymbpError(f"exercise {item.get('id')!r} of the sheet has no readable network ({error})") from None


def _verdict(feedback: list[str], kinds: list[str]) -> Verdict:
    return ("correct" if not feedback else "incorrect"), feedback, kinds


def _grade_expression(network: Network, entry: str, answer: str, options: Mapping[str, Any]) -> Verdict:
    from . import grade

    result = grade(network, entry, answer, **options)
    messages = [item.message for item in result.feedback]
    if result.counterexample is not None:
        messages.append(f"counterexample: {result.counterexample.describe()}")
    return result.verdict, messages, [item.kind for item in result.feedback]


def _chain(item: Mapping[str, Any], answer: str, options: Mapping[str, Any]) -> Verdict:
    return _grade_expression(_network(item), item["entry"], answer, options)


def _named_parts(answer: str, what: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in filter(str.strip, _PARTS.split(answer)):
        match = _NAMED.fullmatch(part)
        if match is None:
            raise SymbpError(f"{what} part {part.strip()[:40]!r} is not NAME: VALUE (parts separated by ; or new lines)")
        parts[match.group(1).strip()] = match.group(2)
    if not parts:
        raise SymbpError(f"the answer is empty; give {what} parts NAME: VALUE separated by ; or new lines")
    return parts


def _backprop(item: Mapping[str, Any], answer: str, options: Mapping[str, Any]) -> Verdict:
    network, asked = _network(item), dict(item["answer"])
    given = {re.sub(r"^delta(?=\d)", "z", name): text for name, text in _named_parts(answer, "backprop").items()}
    feedback, kinds = [], []
    for name in given:
        if name not in asked:
            raise SymbpError(f"{name!r} is not asked in this exercise; asked: {', '.join(asked)}")
    for name in asked:
        if name not in given:
            feedback.append(f"{name}: no answer")
            kinds.append("missing_answer")
            continue
        verdict, messages, found = _grade_expression(network, name, given[name], options)
        if verdict != "correct":
            feedback += [f"{name}: {m}" for m in messages] or [f"{name}: incorrect"]
            kinds += found or ["incorrect"]
    return _verdict(feedback, kinds)


def _count(item: Mapping[str, Any], answer: str, options: Mapping[str, Any]) -> Verdict:
    parts = [p for p in re.split(r"[,;\n]", answer) if p.strip()]
    given: dict[str, int] = {}
    for position, part in enumerate(parts):
        named = _NAMED.fullmatch(part)
        name, text = (named.group(1).strip().lower().replace(" ", "_"), named.group(2)) if named else (None, part)
        number = _INTEGER.fullmatch(text)
        if number is None:
            raise SymbpError(f"count {text.strip()[:20]!r} is not a whole number; give e.g. 4, 7, 24, 9 "
                             "(paths, factors, multiplications, backprop)")
        if name is None:
            if position >= len(COUNTS):
                raise SymbpError(f"the answer gives {len(parts)} counts; give the {len(COUNTS)} asked: "
                                 "paths, factors, multiplications, backprop")
            key = COUNTS[position]
        elif name in COUNT_NAMES:
            key = COUNT_NAMES[name]
        else:
            raise SymbpError(f"count name {name!r} is unknown; give paths, factors, multiplications, backprop")
        given[key] = int(number.group(1))
    truth = item["answer"]
    feedback, kinds = [], []
    for key in COUNTS:
        label = key.replace("_", " ")
        if key not in given:
            feedback.append(f"{label}: no answer")
            kinds.append("missing_answer")
        elif given[key] != truth[key]:
            feedback.append(f"{label}: {given[key]} is off ({COUNT_HINTS[key]})")
            kinds.append("wrong_count")
    return _verdict(feedback, kinds)


def _numeric(item: Mapping[str, Any], answer: str, options: Mapping[str, Any]) -> Verdict:
    network, truth = _network(item), item["answer"]
    digits = int(item.get("digits", 4))
    expected = {"C": float(truth["C"])}
    expected.update((f"dC/d{name}", value) for name, value in _parameters(network, truth["gradients"]))
    expected.update((f"{name}+", value) for name, value in _parameters(network, truth["updated"]))
    given: dict[str, float] = {}
    for part in filter(str.strip, _PARTS.split(answer)):
        name, _, text = part.partition("=")
        name = name.strip()
        number = _NUMBER.fullmatch(text)
        if not _ or number is None:
            raise SymbpError(f"numeric part {part.strip()[:40]!r} is not NAME = NUMBER, e.g. dC/dW1_1_1 = -0.0123")
        if name not in expected:
            raise SymbpError(f"{name!r} is not a quantity of this exercise; give C, dC/d<entry> and <entry>+ "
                             f"with canonical entries such as {network.entries(('W',))[0].name}")
        given[name] = float(number.group(1))
    tolerance = 10.0**-digits
    wrong = [n for n in expected if n in given and abs(given[n] - expected[n]) > tolerance + RELATIVE_SLACK * abs(expected[n])]
    missing = [n for n in expected if n not in given]
    feedback, kinds = [], []
    if wrong:
        others = f" ({len(wrong) - 1} more wrong after it)" if len(wrong) > 1 else ""
        feedback.append(f"{wrong[0]} = {given[wrong[0]]:g} is wrong: the first wrong quantity{others}")
        kinds.append("wrong_number")
    if missing:
        feedback.append(f"no answer for {missing[0]}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
        kinds.append("missing_answer")
    return _verdict(feedback, kinds)


def _same(network: Network, text: str, reference: str) -> bool:
    from .answer import parse_answer

    return sp.simplify(parse_answer(text, network) - parse_answer(reference, network)) == 0


def _spot_the_error(item: Mapping[str, Any], answer: str, options: Mapping[str, Any]) -> Verdict:
    network, mistake = _network(item), item["mistake"]
    match = _LABELLED.fullmatch(answer)
    if match is None:  # the corrected derivation
        return _grade_expression(network, item["entry"], answer, options)
    label, named, should_be = match.group(1).lower(), match.group(2), match.group(3)
    kind = MISTAKE_LABELS[label]
    if kind != mistake["kind"]:
        where = "a factor or a path is left out" if mistake["kind"] != "wrong_index" else "nothing is left out"
        return _verdict([f"the mistake is not a {label}: {where}"], ["wrong_mistake"])
    reference = {"missing_path": mistake.get("path", ""), "missing_sigma_prime": mistake["expected"],
                 "wrong_index": mistake["found"]}[kind]
    if not _same(network, named, reference):
        what = {"missing_path": "that path is in the derivation or not one of its paths",
                "missing_sigma_prime": f"{named.strip()} is not the missing factor",
                "wrong_index": f"{named.strip()} is not the wrong factor"}[kind]
        return _verdict([what], ["wrong_place"])
    if should_be and kind == "wrong_index" and not _same(network, should_be, mistake["expected"]):
        return _verdict([f"{named.strip()} is the wrong factor, but it should not be {should_be.strip()}"],
                        ["wrong_correction"])
    return _verdict([], [])


_GRADERS = {"chain": _chain, "backprop": _backprop, "count": _count, "numeric": _numeric,
            "spot-the-error": _spot_the_error}
