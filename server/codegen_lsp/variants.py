"""Inputs near the docstring's examples, to tell apart candidates that pass every example.

A docstring's few examples leave most of a function's behaviour open: an empty list, a zero, a
string with one character. Candidates that all pass the examples often differ there, and one of
them is then wrong on inputs the user will meet (EvalPlus, Liu et al. 2023, found a fifth to a
third of "passing" solutions wrong this way). EvalPlus grows its inputs by type-aware mutation of
the seed inputs; this module does the same to the examples' calls, one argument at a time:

    >>> from codegen_lsp.sandbox.types import Example
    >>> calls = example_variants("add", [Example(call="add([1, 2], 'ab')", expected="3", line=1)])
    >>> calls[:4]
    ["add([], 'ab')", "add([1, 2], '')", "add([1], 'ab')", "add([1, 2], 'a')"]

The calls are Python source, built from literals only (nothing of the model's choosing runs
outside the sandbox), so the standard-library worker runs them under any project interpreter.
Their results are never judged right or wrong: the candidates' runs on them are compared, and the
ranking's agreement groups split where candidates that agreed on the examples part ways.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable, Iterator
from itertools import zip_longest
from typing import Any

from codegen_lsp.sandbox.types import Example

VARIANT_CALLS = 24
"""At most this many calls per function (every distinct candidate runs each once)."""
LITERAL_CHARS = 300
"""A variant whose source is longer than this is not kept (its repr would swamp the records)."""
_BIG = 10**6
"""Integers past this are not made bigger (a loop to n must still finish on every input)."""


def _ints(value: int) -> list[Any]:
    found = [0, 1, -value, value + 1, value - 1]
    if abs(value) < _BIG:
        found.append(value * 2)
    return found


def _floats(value: float) -> list[Any]:
    return [0.0, -value, value + 1.0, value / 2]


def _texts(value: str) -> list[Any]:
    return [
        "",
        value[:1],
        value[::-1],
        value + value[-1:],
        value.upper(),
        value.lower(),
        " " + value,
    ]


def _sequences(value: list[Any]) -> list[Any]:
    found: list[Any] = [[], value[:1], value[::-1], value + value[-1:], value[1:]]
    if value:
        found.extend([[*value[:-1], near] for near in mutations(value[-1])[:3]])
    with contextlib.suppress(TypeError):  # items that do not compare: no sorted variant
        found.append(sorted(value))
    return found


def _dicts(value: dict[Any, Any]) -> list[Any]:
    items = list(value.items())
    return [{}, dict(items[:1]), dict(items[1:])]


_MUTATORS: list[tuple[type, Callable[[Any], list[Any]]]] = [
    (bool, lambda value: [not value]),
    (int, _ints),
    (float, _floats),
    (str, _texts),
    (list, _sequences),
    (tuple, lambda value: [tuple(found) for found in _sequences(list(value))]),
    (dict, _dicts),
]


def mutations(value: Any) -> list[Any]:
    """Return values of the same type near ``value`` (empty, smaller, reversed, off by one...).

    A value of another type (None, a set, a nested object) has none.
    """
    for kind, mutate in _MUTATORS:
        if type(value) is kind:
            return [found for found in mutate(value) if found != value]
    return []


def _literal_call(call: str, name: str) -> tuple[list[Any], list[tuple[str, Any]]] | None:
    """Return the positional and keyword values of ``name(...)`` when all are literals."""
    try:
        node = ast.parse(call.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    if node.func.id != name or any(keyword.arg is None for keyword in node.keywords):
        return None
    try:
        positional = [ast.literal_eval(argument) for argument in node.args]
        keywords = [(str(k.arg), ast.literal_eval(k.value)) for k in node.keywords]
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None  # a name, a call or a starred argument: not a literal
    return positional, keywords


def _source(name: str, positional: list[Any], keywords: list[tuple[str, Any]]) -> str | None:
    parts = [repr(value) for value in positional]
    parts += [f"{key}={value!r}" for key, value in keywords]
    call = f"{name}({', '.join(parts)})"
    if len(call) > LITERAL_CHARS:
        return None
    # A repr that does not read back as a literal (nan, inf) is not kept.
    return call if _literal_call(call, name) is not None else None


def _variants_of(
    name: str, positional: list[Any], keywords: list[tuple[str, Any]]
) -> Iterator[list[str | None]]:
    """Yield, per argument, the calls with that argument mutated (in the mutations' order)."""
    for index, value in enumerate(positional):
        yield [
            _source(name, [*positional[:index], near, *positional[index + 1 :]], keywords)
            for near in mutations(value)
        ]
    for index, (key, value) in enumerate(keywords):
        yield [
            _source(name, positional, [*keywords[:index], (key, near), *keywords[index + 1 :]])
            for near in mutations(value)
        ]


def example_variants(
    name: str,
    examples: list[Example],
    keep: Callable[[str], bool] | None = None,
    limit: int = VARIANT_CALLS,
) -> list[str]:
    """Return up to ``limit`` calls of ``name`` near the examples' calls, in a fixed order.

    Only examples that call ``name`` directly with literal arguments seed variants; the calls
    are interleaved (the first mutation of every argument of every example, then the second...)
    so that a small limit still reaches every argument. ``keep`` filters calls (the signature's
    type hints); the examples' own calls are never repeated.
    """
    seen = {" ".join(example.call.split()) for example in examples}
    columns: list[list[str | None]] = []
    for example in examples:
        if example.kind == "probe" or example.setup:
            continue
        parsed = _literal_call(example.call, name)
        if parsed is not None:
            columns.extend(_variants_of(name, *parsed))
    found: list[str] = []
    for row in zip_longest(*columns):
        for call in row:
            if call is None or call in seen or (keep is not None and not keep(call)):
                continue
            seen.add(call)
            found.append(call)
            if len(found) >= limit:
                return found
    return found
