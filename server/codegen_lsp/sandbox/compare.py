"""Judging an example's outcome, in the parent process, out of the candidate's reach.

The worker sends returned values as tagged JSON (see ``_worker.encode``); this module rebuilds
them as plain builtin objects and compares them with the expected value, so a candidate that
returns an object whose ``__eq__`` always says True, or that patches builtins, gains nothing:
neither its objects nor its patches exist here.

Equality rules: ints, strings, bytes, booleans and None compare exactly (a bool only equals a
bool, unlike Python's ``True == 1``); an int equals a float of the same value, except in a
doctest's expected output (doctest compares the text: ``850.0`` is not ``850``); floats are equal
within ``rel_tol=1e-6, abs_tol=1e-9`` (docstrings print rounded values; HumanEval's own checks
use ``abs(a - b) < 1e-6``); NaN equals NaN; lists, tuples, sets and dicts compare element by
element with these rules, and a list never equals a tuple. Objects that are not builtin data are
"opaque": they only match a doctest's expected *text*.
"""

from __future__ import annotations

import doctest
import json
import math
from typing import Any

REL_TOL = 1e-6
ABS_TOL = 1e-9
FLOAT_DIGITS = 9
"""Significant digits a float keeps in :func:`canonical` (grouping values, not judging them)."""


class Opaque:
    """A value the worker could not encode as builtin data."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<opaque {self.type_name}>"


_TAG_TYPES = {
    "none": "NoneType",
    "bool": "bool",
    "int": "int",
    "float": "float",
    "complex": "complex",
    "str": "str",
    "bytes": "bytes",
    "list": "list",
    "tuple": "tuple",
    "set": "set",
    "frozenset": "frozenset",
    "dict": "dict",
}
"""The type a value of each tag of the worker's encoding has, named as ``type_name`` names it."""


MAX_ITEMS = 20
"""A returned container's first this many items have their types read."""


DICT_KEY = "{key}"
DICT_VALUE = "{value}"
"""The names a returned dict's keys and values are read under (:func:`field_types`)."""


def field_types(encoded: Any) -> tuple[tuple[str, str], ...]:
    """Return each field of an encoded object (a dataclass, a plain object) and its value's type.

    A dict's string keys count as its fields (what a TypedDict's values hold), and its first
    :data:`MAX_ITEMS` keys and values as fields named :data:`DICT_KEY` and :data:`DICT_VALUE`;
    a list's, tuple's or set's first :data:`MAX_ITEMS` items as fields named ``[0]``, ``[1]``...

    ``(("cents", "float"), ("currency", "ledger.Currency"))`` for a ``Money`` whose cents are a
    float; ``()`` for anything that is no object. What is compared with the class's own field
    annotations: a body that builds ``Money(cents * rate)`` returns the right class, wrongly
    filled.
    """
    if isinstance(encoded, list) and len(encoded) == 2 and encoded[0] == "dict":
        items = [p for p in encoded[1] if isinstance(p, list) and len(p) == 2]
        # A TypedDict's fields are its keys: the string ones, as names.
        pairs = [
            [key[1], value]
            for key, value in items
            if isinstance(key, list) and len(key) == 2 and key[0] == "str"
        ]
        # And every key and value, as what `dict[str, int]` says of them.
        for key, value in items[:MAX_ITEMS]:
            pairs += [[DICT_KEY, key], [DICT_VALUE, value]]
    elif isinstance(encoded, list) and len(encoded) == 3 and encoded[0] == "object":
        pairs = encoded[2] if isinstance(encoded[2], list) else []
    elif (
        isinstance(encoded, list)
        and len(encoded) == 2
        and encoded[0] in ("list", "tuple", "set", "frozenset")
        and isinstance(encoded[1], list)
    ):
        # A container's items, by position: `[0]`, `[1]`... (what `list[tuple[str, int]]` and
        # `tuple[str, int]` say of them).
        pairs = [[f"[{index}]", item] for index, item in enumerate(encoded[1][:MAX_ITEMS])]
    else:
        return ()
    found = []
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            continue
        value = pair[1]
        tag = value[0] if isinstance(value, list) and value else None
        if tag in ("object", "opaque") and len(value) > 1:
            found.append((pair[0], str(value[1])))
        elif isinstance(tag, str) and tag in _TAG_TYPES:
            found.append((pair[0], _TAG_TYPES[tag]))
    return tuple(found)


def decode(encoded: Any) -> Any:
    """Rebuild a value from the worker's tagged encoding (no code runs)."""
    if not isinstance(encoded, list) or not encoded:
        return Opaque("malformed")
    tag = encoded[0]
    if tag == "none":
        return None
    if tag == "bool":
        return bool(encoded[1])
    if tag == "int":
        return int(str(encoded[1]), 16)
    if tag == "float":
        return float.fromhex(str(encoded[1]))
    if tag == "complex":
        return complex(float.fromhex(str(encoded[1])), float.fromhex(str(encoded[2])))
    if tag == "str":
        return str(encoded[1])
    if tag == "bytes":
        return bytes.fromhex(str(encoded[1]))
    if tag in ("list", "tuple", "set", "frozenset"):
        items = [decode(item) for item in encoded[1]]
        if tag == "list":
            return items
        if tag == "tuple":
            return tuple(items)
        try:
            return set(items) if tag == "set" else frozenset(items)
        except TypeError:
            return Opaque(tag)
    if tag == "iterator":  # what a drawn call's iterator yielded: compared, never judged
        return Opaque("iterator")
    if tag == "dict":
        try:
            return {decode(k): decode(v) for k, v in encoded[1]}
        except TypeError:
            return Opaque("dict")
    return Opaque(str(encoded[1]) if len(encoded) > 1 else "object")


def canonical(encoded: Any) -> str:
    """Return a stable text for an encoded value: sets and dicts sorted, so equal values agree."""
    return json.dumps(_canonical(encoded), sort_keys=True, separators=(",", ":"))


def _canonical(encoded: Any) -> Any:
    if not isinstance(encoded, list) or not encoded:
        return encoded
    tag = encoded[0]
    if tag == "float" and len(encoded) == 2 and isinstance(encoded[1], str):
        # Equal up to rounding: two right ways to compute a mean may differ in the last bit.
        try:
            value = float.fromhex(encoded[1])
        except ValueError:
            return encoded
        return [tag, float(f"{value:.{FLOAT_DIGITS}g}").hex()] if math.isfinite(value) else encoded
    if tag in ("list", "tuple", "iterator") and len(encoded) > 1 and isinstance(encoded[1], list):
        return [tag, [_canonical(item) for item in encoded[1]], *encoded[2:]]
    if tag in ("set", "frozenset"):
        items = [_canonical(item) for item in encoded[1]]
        return [tag, sorted(items, key=lambda item: json.dumps(item, sort_keys=True))]
    if (
        tag == "object"
        and len(encoded) == 3
        and isinstance(encoded[2], list)
        and all(isinstance(pair, list) and len(pair) == 2 for pair in encoded[2])
    ):
        return [tag, encoded[1], [[name, _canonical(value)] for name, value in encoded[2]]]
    if tag == "dict":
        pairs = [[_canonical(k), _canonical(v)] for k, v in encoded[1]]
        return [tag, sorted(pairs, key=lambda pair: json.dumps(pair[0], sort_keys=True))]
    return encoded


def equal(actual: Any, expected: Any, as_written: bool = False) -> bool:
    """Compare two decoded values with the rules in the module docstring.

    ``as_written`` (a doctest's expected output): an int never equals a float, anywhere in the
    value, as doctest compares the text (``850.0`` is not ``850``).
    """
    if isinstance(actual, Opaque) or isinstance(expected, Opaque):
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
        if isinstance(actual, int) and isinstance(expected, int):
            return actual == expected
        if as_written and type(actual) is not type(expected):
            return False
        a, e = float(actual), float(expected)
        if math.isnan(a) or math.isnan(e):
            return math.isnan(a) and math.isnan(e)
        return math.isclose(a, e, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(actual, complex) or isinstance(expected, complex):
        if not isinstance(actual, (int, float, complex)) or not isinstance(
            expected, (int, float, complex)
        ):
            return False
        return equal(complex(actual).real, complex(expected).real, as_written) and equal(
            complex(actual).imag, complex(expected).imag, as_written
        )
    if type(actual) is not type(expected):
        return False
    if isinstance(actual, (list, tuple)):
        return len(actual) == len(expected) and all(
            equal(a, e, as_written) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(actual, dict):
        if actual.keys() != expected.keys():
            return False
        return all(equal(actual[key], expected[key], as_written) for key in actual)
    return bool(actual == expected)


def output_matches(got: str, want: str, options: tuple[str, ...]) -> bool:
    """Doctest's textual comparison, honouring the example's option flags."""
    flags = 0
    for name in options:
        flags |= doctest.OPTIONFLAGS_BY_NAME.get(name, 0)
    return doctest.OutputChecker().check_output(want, got, flags)
