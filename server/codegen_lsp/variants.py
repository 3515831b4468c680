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
import copy
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
LARGER_BY = 25
"""The example's call with the largest small whole-number argument (0 to :data:`SMALL_INT`) is
also run with them this much larger: ``fib4(8)`` becomes ``fib4(33)``, which a body that recurses
without memory does not finish in its time (``inputs.PROBE_CALL_TIMEOUT_S``) while a loop
finishes at once. Such a body passes every example, and HumanEval+'s larger inputs fail it."""
SMALL_INT = 50
"""The largest argument :data:`LARGER_BY` grows (a bigger one is already large)."""


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
    found.extend(_reordered(value))
    if value:
        found.extend([[*value[:-1], near] for near in mutations(value[-1])[:3]])
    with contextlib.suppress(TypeError):  # items that do not compare: no sorted variant
        found.append(sorted(value))
    return found


def _reordered(items: list[Any]) -> list[list[Any]]:
    """Return the items in another order, neighbours parted, and with the first one repeated.

    A body that compares only neighbours (a close pair, a repeat, a run) passes examples whose
    pair happens to sit side by side, and a reversed or sorted copy keeps neighbours together:
    every other item first (``[a, c, e, b, d]``) parts them. The first item again at the end
    is a repeat that is not next to its twin.
    """
    found = []
    if len(items) >= 3:
        found.append([*items[::2], *items[1::2]])
    if len(items) >= 2:
        found.append([*items, items[0]])
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


def passes_empty(call: str) -> bool:
    """Tell whether ``call`` passes an empty list, tuple, string or dict, and no other such.

    The edge that a docstring's examples most often leave out and stricter tests most often
    try (``rolling_max([])``); unlike a negative number, one the hints plainly allow. With a
    non-empty one beside it (``string_xor('', '010')``) the arguments may simply not fit
    together (strings of one length), so that call does not count.
    """
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return False
    if not isinstance(node, ast.Call):
        return False
    empty = False
    for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
        try:
            value = ast.literal_eval(argument)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(value, list | tuple | str | dict):
            if value:
                return False
            empty = True
    return empty


def mutations(value: Any) -> list[Any]:
    """Return values of the same type near ``value`` (empty, smaller, reversed, off by one...).

    A value of another type (None, a set, a nested object) has none.
    """
    for kind, mutate in _MUTATORS:
        if type(value) is kind:
            return [found for found in mutate(value) if found != value]
    return []


def _as_node(value: Any) -> ast.expr | None:
    """Return the literal's source as a node; None when its repr does not read back (nan)."""
    try:
        node = ast.parse(repr(value), mode="eval").body
    except SyntaxError:
        return None
    return node if inputs.literal_value(node) is not inputs.NOT_LITERAL else None


def node_mutations(node: ast.expr, constructors: frozenset[str]) -> list[ast.expr]:
    """Return argument nodes near ``node``.

    A literal's :func:`mutations`; a list of the project's objects made shorter, longer or
    reversed; a call of one of ``constructors`` with one of its arguments changed.
    """
    value = inputs.literal_value(node)
    if value is not inputs.NOT_LITERAL:
        return [n for n in (_as_node(near) for near in mutations(value)) if n is not None]
    if isinstance(node, ast.List | ast.Tuple):
        items = list(node.elts)
        shapes = [[], items[:1], items[::-1], [*items, *items[-1:]], items[1:], *_reordered(items)]
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


def _seed(
    call: ast.expr, name: str, constructors: frozenset[str], reached: tuple[str, str]
) -> ast.Call | ast.Attribute | None:
    """Return ``call`` when it calls the function with data only (:func:`inputs.data_call`).

    Data: literals and the project's objects built through their constructors. A method is
    called on an object built so (``Tally(['a']).count('a')``), a static or class method on its
    class, and a property read on such an object (``Tally(['a']).size``: the seed is then an
    attribute, not a call).
    """
    kind, owner = reached
    if kind == "property":
        if not isinstance(call, ast.Attribute) or call.attr != name:
            return None
        if inputs.data_call(call, name, constructors, reached) is not None:
            return call
        return call if _filled_by_data(call.value, [], owner, constructors) else None
    if not isinstance(call, ast.Call) or any(keyword.arg is None for keyword in call.keywords):
        return None
    if inputs.data_call(call, name, constructors, reached) is not None:
        return call
    if kind != "method" or not isinstance(call.func, ast.Attribute) or call.func.attr != name:
        return None
    arguments = [*call.args, *_values(call.keywords)]
    return call if _filled_by_data(call.func.value, arguments, owner, constructors) else None


def _filled_by_data(
    receiver: ast.expr, arguments: list[ast.expr], owner: str, constructors: frozenset[str]
) -> bool:
    """Tell whether a filled object (:func:`_recipe`) and ``arguments`` hold data only.

    The object must be built by its own class's constructor and filled by calls of its methods
    with data; ``arguments`` are the call's own.
    """
    parts = _recipe_parts(receiver)
    if parts is None or not isinstance(parts[1], ast.Call):
        return False
    built = parts[1]
    for step in parts[2]:
        arguments = [*arguments, *step.args, *_values(step.keywords)]
    return (
        isinstance(built.func, ast.Name)
        and built.func.id == owner
        and inputs.is_data(built, constructors | {owner})
        and all(inputs.is_data(argument, constructors) for argument in arguments)
    )


class _Inline(ast.NodeTransformer):
    """Put each bound name's data in its place (``f(item)`` -> ``f(Item('a', 3))``)."""

    def __init__(self, bindings: dict[str, ast.expr]) -> None:
        self.bindings = bindings

    def visit_Name(self, node: ast.Name) -> ast.expr:
        bound = self.bindings.get(node.id)
        if isinstance(node.ctx, ast.Load) and bound is not None:
            return copy.deepcopy(bound)
        return node


def _inlined(node: ast.expr, bindings: dict[str, ast.expr]) -> ast.expr:
    """Return a copy of ``node`` with the bound names replaced by their data."""
    inlined: ast.expr = _Inline(bindings).visit(copy.deepcopy(node))
    return inlined


def _forget(node: ast.AST, bindings: dict[str, ast.expr]) -> None:
    """Drop the bindings of every name ``node`` uses, binds, imports or defines."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    names |= {
        (a.asname or a.name).split(".")[0] for a in ast.walk(node) if isinstance(a, ast.alias)
    }
    defined = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    names |= {n.name for n in ast.walk(node) if isinstance(n, defined)}
    for name in names:
        bindings.pop(name, None)


def bind_setup(source: str, bindings: dict[str, ast.expr], constructors: frozenset[str]) -> None:
    """Record the data that ``source``'s plain assignments bind (``item = Item('a', 3)``).

    A doctest's names live on from one example to the next, so ``bindings`` is carried across
    them. A name that any other statement touches (``items.append(...)``, a loop, an import) is
    forgotten: its data may have changed, and a call that uses it then seeds nothing.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        bindings.clear()
        return
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            value = _inlined(statement.value, bindings)
            if inputs.is_data(value, constructors):
                bindings[statement.targets[0].id] = value
                continue
        if isinstance(statement, ast.Expr) and _filled(statement.value, bindings, constructors):
            continue
        _forget(statement, bindings)


def _filled(node: ast.expr, bindings: dict[str, ast.expr], constructors: frozenset[str]) -> bool:
    """Record a method call that fills a bound object with data (``cart.add(Item('a', 2))``).

    The object's binding becomes its recipe, the constructor's call then the calls that filled
    it, as one expression (:func:`_recipe`); False (nothing recorded) for another statement.
    """
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and not any(keyword.arg is None for keyword in node.keywords)
    ):
        return False
    name = node.func.value.id
    bound = bindings.get(name)
    parts = _recipe_parts(bound) if bound is not None else None
    if parts is None and isinstance(bound, ast.Call):
        parts = (name, bound, [])
    if parts is None:
        return False
    call = ast.Call(
        func=ast.Attribute(value=ast.Name(name, ast.Load()), attr=node.func.attr, ctx=ast.Load()),
        args=[_inlined(argument, bindings) for argument in node.args],
        keywords=[ast.keyword(k.arg, _inlined(k.value, bindings)) for k in node.keywords],
    )
    if not all(inputs.is_data(v, constructors) for v in [*call.args, *_values(call.keywords)]):
        return False
    bindings[name] = _recipe(name, parts[1], [*parts[2], call])
    return True


def _values(keywords: list[ast.keyword]) -> list[ast.expr]:
    return [keyword.value for keyword in keywords]


def _recipe(name: str, built: ast.expr, calls: list[ast.Call]) -> ast.Subscript:
    """Write an object built and then filled by its methods as one expression.

    ``[cart := Cart('ann'), cart.add(Item('a', 2)), cart][-1]``: a call near the examples is one
    expression, so the doctest's lines that filled the object travel inside it.
    """
    steps: list[ast.expr] = [ast.NamedExpr(ast.Name(name, ast.Store()), built), *calls]
    listed = ast.List([*steps, ast.Name(name, ast.Load())], ast.Load())
    return ast.Subscript(listed, ast.Constant(-1), ast.Load())


def _recipe_parts(node: ast.expr) -> tuple[str, ast.expr, list[ast.Call]] | None:
    """Return a recipe's (name, constructor's call, filling calls), or None (:func:`_recipe`)."""
    if not (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.List)
        and len(node.value.elts) >= 3
        and isinstance(node.value.elts[0], ast.NamedExpr)
        and isinstance(node.value.elts[0].target, ast.Name)
        and all(isinstance(step, ast.Call) for step in node.value.elts[1:-1])
    ):
        return None
    first = node.value.elts[0]
    calls = [step for step in node.value.elts[1:-1] if isinstance(step, ast.Call)]
    return first.target.id, first.value, calls


def _source(node: ast.expr) -> str | None:
    text = ast.unparse(ast.fix_missing_locations(node))
    return text if len(text) <= LITERAL_CHARS else None


def _larger(seed: ast.Call | ast.Attribute) -> tuple[int, str] | None:
    """Return the call with its small whole numbers larger, and the largest of them.

    None when it has none (:data:`LARGER_BY`), and for a property (nothing of its own to grow).
    """
    if not isinstance(seed, ast.Call):
        return None
    largest = -1

    def grown(node: ast.expr) -> ast.expr:
        nonlocal largest
        value = node.value if isinstance(node, ast.Constant) else None
        if type(value) is int and 0 <= value <= SMALL_INT:
            largest = max(largest, value + LARGER_BY)
            return ast.Constant(value + LARGER_BY)
        return node

    arguments = [grown(argument) for argument in seed.args]
    keywords = [ast.keyword(arg=k.arg, value=grown(k.value)) for k in seed.keywords]
    if largest < 0:  # no small whole number to grow
        return None
    text = _source(ast.Call(seed.func, arguments, keywords))
    return None if text is None else (largest, text)


def _variants_of(
    seed: ast.Call | ast.Attribute, constructors: frozenset[str], reached: tuple[str, str]
) -> Iterator[list[str | None]]:
    """Yield, per argument, the calls with that argument changed (in the mutations' order).

    A method's object counts as one more argument: built with one of its constructor's
    arguments changed (``Tally(['a', 'a']).count('a')`` near ``Tally(['a']).count('a')``); a
    property's object is all there is to change (``Tally(['a', 'a']).size``).
    """
    kind, owner = reached
    if isinstance(seed, ast.Attribute):
        for receivers in _receivers_near(seed.value, constructors | {owner}):
            yield [_source(ast.Attribute(near, seed.attr, ast.Load())) for near in receivers]
        return
    if kind == "method" and isinstance(seed.func, ast.Attribute):
        attribute = seed.func
        for receivers in _receivers_near(attribute.value, constructors | {owner}):
            yield [
                _source(
                    ast.Call(
                        ast.Attribute(near, attribute.attr, ast.Load()), seed.args, seed.keywords
                    )
                )
                for near in receivers
            ]
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


def _receivers_near(receiver: ast.expr, constructors: frozenset[str]) -> list[list[ast.expr]]:
    """Return, per part of a method's object, the objects near it: one change each.

    An object built by its constructor: that call with one argument changed. One its examples
    filled through its methods (:func:`_recipe`): besides, each filling call with one argument
    changed, none of them, each left out, and the last made twice (an item added again).
    """
    parts = _recipe_parts(receiver)
    if parts is None:
        return [node_mutations(receiver, constructors)]
    name, built, calls = parts
    columns: list[list[ast.expr]] = [
        [_recipe(name, near, calls) for near in node_mutations(built, constructors)]
    ]
    for index, step in enumerate(calls):
        columns.append(
            [
                _recipe(
                    name,
                    built,
                    [*calls[:index], ast.Call(step.func, args, keywords), *calls[index + 1 :]],
                )
                for args, keywords in _changed_arguments(step.args, step.keywords, constructors, 3)
            ]
        )
    shapes = [[], *([*calls[:index], *calls[index + 1 :]] for index in range(len(calls)))]
    shapes.append([*calls, calls[-1]])
    columns.append([_recipe(name, built, shape) for shape in shapes])
    return columns


def example_variants(
    name: str,
    examples: list[Example],
    keep: Callable[[str], bool] | None = None,
    limit: int = VARIANT_CALLS,
    constructors: frozenset[str] = frozenset(),
    reached: tuple[str, str] = inputs.FUNCTION,
) -> list[str]:
    """Return up to ``limit`` calls of ``name`` near the examples' calls, in a fixed order.

    Only examples that call ``name`` directly with data arguments (literals, and calls of
    ``constructors``: the project's classes, built with one argument changed) seed variants; a
    name an earlier ``>>>`` line bound to such data stands for it (``f(item)`` after
    ``item = Item('a', 3)``: see :func:`bind_setup`), so every variant runs on its own. A
    method (``reached``, :func:`inputs.callee`) is seeded by a call on an object built from data
    (``tally.count('a')`` after ``tally = Tally(['a'])``), a static or class method by a call on
    its class; the object is varied like an argument. The calls
    are interleaved (the first mutation of every argument of every example, then the second...)
    so that a small limit still reaches every argument; first comes the example's call with the
    largest small whole number, its small whole numbers larger (:data:`LARGER_BY`). ``keep``
    filters calls (the signature's type hints); the examples' own calls are never repeated.
    """
    seeds = _seeds(name, examples, constructors, reached)
    seen = {" ".join(example.call.split()) for example in examples}
    seen.update(text for text in (_source(seed) for seed in seeds) if text is not None)
    columns = [column for seed in seeds for column in _variants_of(seed, constructors, reached)]
    found: list[str] = []
    largest = grown_call(seeds)
    for row in [[largest] if largest else [], *zip_longest(*columns)]:
        for call in row:
            if call is None or call in seen or (keep is not None and not keep(call)):
                continue
            seen.add(call)
            found.append(call)
            if len(found) >= limit:
                return found
    return found


def _seeds(
    name: str, examples: list[Example], constructors: frozenset[str], reached: tuple[str, str]
) -> list[ast.Call | ast.Attribute]:
    """Return the examples' calls of the function that seed variants, bound names inlined."""
    seeds: list[ast.Call | ast.Attribute] = []
    bindings: dict[str, ast.expr] = {}
    for example in examples:
        if example.kind == "probe":
            continue
        bind_setup("\n".join(example.setup), bindings, constructors)
        try:
            written = ast.parse(example.call.strip(), mode="eval").body
        except SyntaxError:
            bindings.clear()
            continue
        inlined = _inlined(written, bindings)
        seed = _seed(inlined, name, constructors, reached)
        read = _read_call(inlined)
        if seed is None and read is not None:
            # `best_segment([...]).name`: the call itself is varied, its whole result compared.
            seed = _seed(read, name, constructors, reached)
        if seed is None:
            # Another call: it may fill an object (cart.add(...)); whatever else it does may
            # change what its names hold, and they are forgotten.
            bind_setup(example.call.strip(), bindings, constructors)
            continue
        seeds.append(seed)
    return seeds


def _read_call(node: ast.expr) -> ast.Call | None:
    """Return the call whose result an example reads (``f(x).name``, ``f(x)[0]``), else None.

    One example of a ride log's ``best_segment`` read ``.name`` off the result: no variant was
    made, and the mark went to a body that picks the longest segment, not the steepest.
    """
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
        if isinstance(node, ast.Call):
            return node
    return None


def session_calls(
    text: str,
    name: str,
    constructors: frozenset[str] = frozenset(),
    reached: tuple[str, str] = inputs.FUNCTION,
) -> list[str]:
    """Return the calls of ``name`` in short tests the model wrote, each as one expression.

    The reply to a calls prompt of several lines (``inputs.session_form``) reads like a
    doctest: ``tally = Tally('ann')``, ``tally.add('a', 2)``, ``assert tally.top() == 'a'``.
    It is read as the examples are (:func:`_seeds`): each assert's call (its predicted result
    dropped) with the names bound before it inlined, the filling calls travelling with it:
    ``[(tally := Tally('ann')), tally.add('a', 2), tally][-1].top()``.
    """
    examples: list[Example] = []
    setup: list[str] = []
    for line in text.splitlines():
        line = line.strip().removeprefix(">>>").strip()
        try:
            statements = ast.parse(line).body
        except SyntaxError:
            # `assert cart.total == 3 + 4 = 7`: the result is broken, the call before it is not.
            rescued = inputs.call_before_result(line) if line.startswith("assert") else ""
            try:
                statements = ast.parse(f"assert {rescued}").body if rescued else []
            except SyntaxError:
                continue
        if len(statements) != 1:
            continue
        statement = statements[0]
        if isinstance(statement, ast.Assert):
            test = statement.test
            checked = (
                test.left
                if isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Eq)
                else test
            )
            call = ast.unparse(checked)
        elif isinstance(statement, ast.Expr):
            call = line
        else:
            setup.append(line)
            continue
        examples.append(Example(call=call, expected=None, line=0, setup=tuple(setup)))
        setup = []
    found: list[str] = []
    for seed in _seeds(name, examples, constructors, reached):
        source = _fitting(seed)
        if source is not None and source not in found:
            found.append(source)
    return found


def _fitting(seed: ast.expr) -> str | None:
    """Return the seed's source, its objects filled by fewer calls when it is too long.

    A test that fills an order three times with lists of items runs past
    :data:`LITERAL_CHARS`; its filling calls are kept from the first while the whole fits (an
    object filled once still parts the candidates that read its contents differently; nothing
    judges the result). None when even the constructor alone does not fit.
    """
    source = _source(seed)
    if source is not None:
        return source
    longest = max(
        (
            len(parts[2])
            for node in ast.walk(seed)
            if isinstance(node, ast.Subscript) and (parts := _recipe_parts(node)) is not None
        ),
        default=0,
    )
    for keep in range(longest - 1, -1, -1):
        shortened = copy.deepcopy(seed)
        for node in ast.walk(shortened):
            parts = _recipe_parts(node) if isinstance(node, ast.Subscript) else None
            if isinstance(node, ast.Subscript) and parts is not None and len(parts[2]) > keep:
                name, built, calls = parts
                node.value = _recipe(name, built, calls[:keep]).value
        source = _source(shortened)
        if source is not None:
            return source
    return None


def grown_call(seeds: list[ast.Call | ast.Attribute]) -> str | None:
    """Return the seed with the largest small whole number, its small whole numbers larger.

    One larger call is enough to tell a loop from a recursion without memory (the largest:
    fibfib(26) still finishes in time, fibfib(33) does not), and each costs a body that hangs
    on it a whole ``inputs.PROBE_CALL_TIMEOUT_S``. None when no seed has such a number.
    """
    larger = [grown for grown in (_larger(seed) for seed in seeds) if grown is not None]
    return max(larger)[1] if larger else None


def larger_call(
    name: str,
    examples: list[Example],
    constructors: frozenset[str] = frozenset(),
    reached: tuple[str, str] = inputs.FUNCTION,
) -> str | None:
    """Return the call near the examples that only a slow body fails to finish (:func:`grown_call`).

    A body that does not finish it in time is too slow; one that does not finish another call
    near the examples (``factorize(0)``) more likely never ends on an input outside its
    contract.
    """
    return grown_call(_seeds(name, examples, constructors, reached))
