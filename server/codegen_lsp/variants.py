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

The calls are Python source, built from literals and calls of the project's own classes as the
example wrote them (``cheapest([Item('a', 300), Item('b', 0)])``: one constructor argument
changed, a list of objects made shorter or longer); nothing is evaluated here, they run only in
the sandbox, and the standard-library worker runs them under any project interpreter.
Their results are never judged right or wrong: the candidates' runs on them are compared, and the
ranking's agreement groups split where candidates that agreed on the examples part ways.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable, Iterator
from itertools import zip_longest
from typing import Any

from codegen_lsp import inputs
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


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _as_node(value: Any) -> ast.expr | None:
    """Return the literal's source as a node; None when its repr does not read back (nan)."""
    try:
        node = ast.parse(repr(value), mode="eval").body
    except SyntaxError:
        return None
    return node if _literal(node) is not _NOT_LITERAL else None


def node_mutations(node: ast.expr, constructors: frozenset[str]) -> list[ast.expr]:
    """Return argument nodes near ``node``.

    A literal's :func:`mutations`; a list of the project's objects made shorter, longer or
    reversed; a call of one of ``constructors`` with one of its arguments changed.
    """
    value = _literal(node)
    if value is not _NOT_LITERAL:
        return [n for n in (_as_node(near) for near in mutations(value)) if n is not None]
    if isinstance(node, ast.List | ast.Tuple):
        items = list(node.elts)
        shapes = [[], items[:1], items[::-1], [*items, *items[-1:]], items[1:]]
        if items:
            shapes += [[*items[:-1], near] for near in node_mutations(items[-1], constructors)[:3]]
        kind = type(node)
        found = [kind(elts=shape, ctx=ast.Load()) for shape in shapes]
        return [n for n in found if ast.dump(n) != ast.dump(node)]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in constructors
        and not any(k.arg is None for k in node.keywords)
    ):
        # A project object built in the example: change one of its constructor's arguments.
        return [
            ast.Call(func=node.func, args=args, keywords=keywords)
            for args, keywords in _changed_arguments(node.args, node.keywords, constructors, 3)
        ]
    return []


def _changed_arguments(
    args: list[ast.expr],
    keywords: list[ast.keyword],
    constructors: frozenset[str],
    per_argument: int | None = None,
) -> Iterator[tuple[list[ast.expr], list[ast.keyword]]]:
    """Yield the arguments with one of them changed.

    Each argument's first change comes first, then each one's second..., so that the first few
    reach every field of a constructor.
    """
    columns: list[list[tuple[list[ast.expr], list[ast.keyword]]]] = []
    for index, argument in enumerate(args):
        columns.append(
            [
                ([*args[:index], near, *args[index + 1 :]], keywords)
                for near in node_mutations(argument, constructors)[:per_argument]
            ]
        )
    for index, keyword in enumerate(keywords):
        columns.append(
            [
                (
                    args,
                    [
                        *keywords[:index],
                        ast.keyword(arg=keyword.arg, value=near),
                        *keywords[index + 1 :],
                    ],
                )
                for near in node_mutations(keyword.value, constructors)[:per_argument]
            ]
        )
    for row in zip_longest(*columns):
        yield from (changed for changed in row if changed is not None)


def _seed(call: str, name: str, constructors: frozenset[str]) -> ast.Call | None:
    """Return ``name(...)`` parsed when every argument is data (literals, the project's objects)."""
    try:
        node = ast.parse(call.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    if node.func.id != name or any(keyword.arg is None for keyword in node.keywords):
        return None
    values = [*node.args, *[keyword.value for keyword in node.keywords]]
    if not all(inputs.is_data(value, constructors) for value in values):
        return None  # a name, a starred argument, a call of something else
    return node


def _source(call: ast.Call) -> str | None:
    text = ast.unparse(ast.fix_missing_locations(call))
    return text if len(text) <= LITERAL_CHARS else None


def _variants_of(seed: ast.Call, constructors: frozenset[str]) -> Iterator[list[str | None]]:
    """Yield, per argument, the calls with that argument changed (in the mutations' order)."""
    for index, argument in enumerate(seed.args):
        yield [
            _source(
                ast.Call(
                    seed.func, [*seed.args[:index], near, *seed.args[index + 1 :]], seed.keywords
                )
            )
            for near in node_mutations(argument, constructors)
        ]
    for index, keyword in enumerate(seed.keywords):
        yield [
            _source(
                ast.Call(
                    seed.func,
                    seed.args,
                    [
                        *seed.keywords[:index],
                        ast.keyword(arg=keyword.arg, value=near),
                        *seed.keywords[index + 1 :],
                    ],
                )
            )
            for near in node_mutations(keyword.value, constructors)
        ]


def example_variants(
    name: str,
    examples: list[Example],
    keep: Callable[[str], bool] | None = None,
    limit: int = VARIANT_CALLS,
    constructors: frozenset[str] = frozenset(),
) -> list[str]:
    """Return up to ``limit`` calls of ``name`` near the examples' calls, in a fixed order.

    Only examples that call ``name`` directly with data arguments (literals, and calls of
    ``constructors``: the project's classes, built with one argument changed) seed variants;
    the calls
    are interleaved (the first mutation of every argument of every example, then the second...)
    so that a small limit still reaches every argument. ``keep`` filters calls (the signature's
    type hints); the examples' own calls are never repeated.
    """
    seen = {" ".join(example.call.split()) for example in examples}
    columns: list[list[str | None]] = []
    for example in examples:
        if example.kind == "probe" or example.setup:
            continue
        seed = _seed(example.call, name, constructors)
        if seed is not None:
            columns.extend(_variants_of(seed, constructors))
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
