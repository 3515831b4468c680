"""Inputs for a function whose docstring has no examples: drawn from its type hints or proposed.

Most real docstrings have no ``>>>`` lines, so nothing says what a right answer is. What can still
be done (MBR-exec, Shi et al. 2022) is to call every candidate on the same inputs and see which
behave alike: the model's probability mass that lands on one behaviour backs each candidate in
it. This module writes those calls, as Python source (``f([1, 2], 'ab')``), so the sandbox worker
needs nothing beyond the standard library and runs under any project interpreter:

- :func:`signature_calls` draws the arguments from the parameters' type hints with Hypothesis
  (bounded sizes and a fixed seed, so the same function gets the same inputs every time);
  parameters with a default are left to it; a hint it cannot build (a project class, a
  ``Callable``) means no drawn inputs for that function;
- :func:`proposed_calls` reads the calls the model wrote when asked for a few (CodeT style, Chen
  et al. 2022) and keeps only their arguments, never the results it predicted, and only
  arguments that are literals (nothing that could run code of the model's choosing outside the
  sandbox: they are parsed here, and run only there).
"""

from __future__ import annotations

import ast
import functools
import logging
import re
import textwrap
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, NamedTuple

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from codegen_lsp import functional_classes, newer_syntax, summaries
from codegen_lsp.context import BODY_MARKER, FunctionContext
from codegen_lsp.engine.models import cache_root
from codegen_lsp.ranking.candidate import (
    OBJECT_MISUSE,
    OPERAND_MISUSE,
    TIMED_OUT,
    UNCOMPARABLE,
)
from codegen_lsp.sandbox.compare import DICT_KEY, DICT_VALUE
from codegen_lsp.sandbox.types import Example
from codegen_lsp.spellings import STANDARD_HOMES, module_spellings, respelled

log = logging.getLogger(__name__)


DRAWN_CALLS = 16
"""Calls drawn from the type hints per function."""
PROPOSED_CALLS = 8
"""At most this many of the model's calls are kept."""
PROBE_CALL_TIMEOUT_S = 1.0
"""Each probe call (drawn, proposed, near the examples) gets at most this long, so that a
candidate that loops on one input is still compared on the others, and the mark can tell a body
that takes exponential time near the examples (``sandbox.timeoutS`` bounds the whole run)."""
CALL_CHARS = 300
"""A call of the model's longer than this (a huge literal) is not kept: its repr would swamp
the records."""
DRAWN_CALL_CHARS = 600
"""A drawn call longer than this is not kept. Objects that hold objects are long to write: at
300, a ride log's ``longest_streak(rides)`` was drawn with one ride at most (a ride and its
rider take 170 characters), so a streak was never seen; at 600, with up to three."""

_COMMON_TEXTS = ("a", "b", "ab")
"""Strings drawn often, so that two drawn strings are often equal: a key looked up in a drawn
dict, a SKU searched among drawn items (``cart.remove_sku('a')`` where an item's sku is
``'a'``). Drawn independently from the whole alphabet, they almost never are, and every
candidate takes its "not found" path on every input."""
_FEW_TEXTS = "codegen-lsp: a call of few strings"
_CALL_TEXTS = "codegen-lsp: the few strings of a call"
"""The keys of ``st.shared`` draws, one per call: in half of the calls every string is one of
the same two. Where an argument's strings must name another's (the skus of the movements in
``apply_movements(items: dict[str, Item], movements: list[Movement])``, keys of ``items``),
strings drawn one by one, common ones included, seldom all do: 6 of 320 drawn calls reached
a body's found path, the rest raised KeyError in every body alike; with this, 41."""
_QUOTED_TEXTS: ContextVar[tuple[str, ...]] = ContextVar("quoted_texts", default=())
"""The strings the docstring of the function being drawn for quotes (:func:`signature_calls`)."""
_FILE_HEADER: ContextVar[tuple[str, ...]] = ContextVar("file_header", default=())
"""The separator and the cells of the header its docstring names for a file the function reads
(:func:`codegen_lsp.quoted.file_header`), or ()."""


def _text() -> st.SearchStrategy[str]:
    """Return the strategy for a string: in half of the calls, one of the call's own two.

    :data:`_FEW_TEXTS`; otherwise as :func:`_any_text`.
    """
    usual = _any_text()
    # Two strings, not one: a tally filled with one word alone has no most common word.
    few = st.lists(usual, min_size=1, max_size=2, unique=True)
    alike = st.shared(few, key=_CALL_TEXTS).flatmap(st.sampled_from)
    return st.shared(st.booleans(), key=_FEW_TEXTS).flatmap(lambda few: alike if few else usual)


def _any_text() -> st.SearchStrategy[str]:
    """Return the strategy for a string drawn on its own: often a common or a quoted one.

    Made when a function's strategies are (:func:`signature_calls` sets the quoted ones first):
    a dict's keys and a ``kind: str`` are then often ``"debit"`` where the docstring says "the
    "debit" entries", and a body that looks them up takes its found path.
    """
    # The empty string first: the simplest call drawn is then the empty string, where bodies
    # that index `text.split()[0]` break; it was "a", and "" came by chance or not at all (a
    # user's parse_quantity, 21 inputs without it).
    common = st.sampled_from(("", *_COMMON_TEXTS, *_QUOTED_TEXTS.get()))
    return st.one_of(common, st.text(alphabet="abcxyzABC 019,.!-_()", max_size=10))


_RELATED_INTS: ContextVar[bool] = ContextVar("related_ints", default=False)
"""Whether the function being drawn for takes the project's objects (:func:`signature_calls`)."""
_FEW_INTS = "codegen-lsp: a call of few ints"
_CALL_INTS = "codegen-lsp: the few ints of a call"
"""As :data:`_FEW_TEXTS` for ints, where the project's objects name each other by number: a
user's ``Ledger(rooms=[Room(number=...)])`` and ``ledger.price(Booking(room=...))``, whose
booking's room was among the ledger's rooms in 1 drawn call of 10; every body raised
KeyError alike on the rest."""


def _int() -> st.SearchStrategy[int]:
    """Return the strategy for an int: where objects are drawn, in half of the calls one of two.

    The two are small (0 to 3). A function of plain values (HumanEval's) draws as before.
    """
    usual = st.integers(-5, 20)
    if not _RELATED_INTS.get():
        return usual
    few = st.lists(st.integers(0, 3), min_size=1, max_size=2, unique=True)
    alike = st.shared(few, key=_CALL_INTS).flatmap(st.sampled_from)
    return st.shared(st.booleans(), key=_FEW_INTS).flatmap(lambda few: alike if few else usual)


_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    # Small ranges: a candidate that loops n times, or recurses, must finish on every input,
    # and small values are where implementations differ (zero, one, negatives, empties).
    "int": st.integers(-5, 20),
    "float": st.floats(-20, 20, allow_nan=False, allow_infinity=False, allow_subnormal=False),
    "bool": st.booleans(),
    "bytes": st.binary(max_size=8),
    "None": st.none(),
    "NoneType": st.none(),
}


def _any() -> st.SearchStrategy[Any]:
    # A value of no hinted type names nothing another argument holds: drawn on its own.
    return st.one_of(st.integers(-5, 20), _any_text(), st.lists(st.integers(-5, 20), max_size=4))


_LISTS = {"list", "List", "Sequence", "Iterable", "Collection", "MutableSequence", "Iterator"}
_SETS = {"set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet"}
_DICTS = {"dict", "Dict", "Mapping", "MutableMapping"}
_TUPLES = {"tuple", "Tuple"}
_ANY_NAMES = {"Any", "object"}
_WRAPPERS = {"Annotated", "Required", "NotRequired", "ReadOnly", "Final"}
"""Hints that say something of a value of their first argument's type, drawn as that type."""


class Written:
    """A drawn value of a type only the sandbox builds, kept as its source: ``date(2021, 3, 4)``."""

    __slots__ = ("source",)

    def __init__(self, source: str) -> None:
        self.source = source

    def __repr__(self) -> str:
        return self.source

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Written) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)


NEAR_DAYS = (date(2024, 5, 1), date(2024, 5, 21))
"""The three weeks most drawn dates fall in. Drawn across fifty years, two rides were never on
neighbouring days, in the same week or on the same day: every body of a ride log's
``longest_streak`` and ``weekly_distance`` agreed on every input, right or wrong."""


def _dates(spelled: str) -> st.SearchStrategy[Written]:
    anywhen = st.dates(date(1990, 1, 1), date(2040, 12, 31))
    days = st.one_of(st.dates(*NEAR_DAYS), anywhen)
    return days.map(lambda d: Written(f"{spelled}({d.year}, {d.month}, {d.day})"))


def _datetimes(spelled: str) -> st.SearchStrategy[Written]:
    near = st.datetimes(
        datetime.combine(NEAR_DAYS[0], time()), datetime.combine(NEAR_DAYS[1], time())
    )
    moments = st.one_of(near, st.datetimes(datetime(1990, 1, 1), datetime(2040, 12, 31)))
    return moments.map(
        lambda t: Written(
            f"{spelled}({t.year}, {t.month}, {t.day}, {t.hour}, {t.minute}, {t.second})"
        )
    )


def _times(spelled: str) -> st.SearchStrategy[Written]:
    return st.times().map(lambda t: Written(f"{spelled}({t.hour}, {t.minute}, {t.second})"))


def _timedeltas(spelled: str) -> st.SearchStrategy[Written]:
    spans = st.tuples(st.integers(-400, 400), st.integers(0, 86399))
    return spans.map(lambda span: Written(f"{spelled}(days={span[0]}, seconds={span[1]})"))


def _decimals(spelled: str) -> st.SearchStrategy[Written]:
    amounts = st.decimals(-10_000, 10_000, places=2, allow_nan=False, allow_infinity=False)
    return amounts.map(lambda amount: Written(f"{spelled}({str(amount)!r})"))


def _fractions(spelled: str) -> st.SearchStrategy[Written]:
    parts = st.tuples(st.integers(-20, 20), st.integers(1, 12))
    return parts.map(lambda part: Written(f"{spelled}({part[0]}, {part[1]})"))


_ROW_SHAPES = ("{word},{number}", "{word} = {number}", "{word}\t{number}", "{word} {number}", "{n}")
"""The shapes of a drawn file's rows; one shape per file, as a real file keeps to one."""
_PATH_KINDS = ("file", "file", "file", "file", "folder", "missing")
"""What a drawn ``Path`` is, in these proportions: mostly a file, made with its content."""
_ROW_WORDS = ("ann", "bob", "a", "b", "x y")
"""Words drawn into a file's rows, few, so that a reader that groups by them finds repeats."""


def _file_text() -> st.SearchStrategy[str]:
    """Return the strategy for a small text file's content: a few lines, each ended.

    Rows of one shape (``ann,3.5``; the file's lines, or a line the docstring quotes:
    ``"2024-03-01;-12.50;coffee"``), with blank lines and ``#`` comments among them, now
    and then a line of anything. Random lines alone made every parser raise alike on every
    file; a reader that skips comments and one that does not then agreed.
    """
    words = st.sampled_from(_ROW_WORDS)
    numbers = st.one_of(
        st.integers(-5, 100).map(str), st.integers(0, 999).map(lambda n: f"{n / 10:.1f}")
    )
    quoted = [text.replace("\n", " ") for text in _QUOTED_TEXTS.get()]

    def lines_shaped(shape: str) -> st.SearchStrategy[str]:
        row = st.tuples(words, numbers).map(lambda p: shape.format(word=p[0], number=p[1], n=p[1]))
        junk = _any_text().map(lambda text: text.replace("\n", " "))
        rows = [*[row] * 6, *([st.sampled_from(quoted)] if quoted else []), junk]
        # After a row, now and then a blank line or a comment: where readers part ways.
        after = st.sampled_from(["", "", "\n", "# a comment\n"])
        lines = st.lists(st.tuples(st.one_of(*rows), after), min_size=1, max_size=4)
        return lines.map(lambda drawn: "".join(f"{line}\n{extra}" for line, extra in drawn))

    shaped = st.sampled_from((*_ROW_SHAPES, "")).flatmap(
        lambda shape: lines_shaped(shape) if shape else st.just("")
    )
    header = _FILE_HEADER.get()
    if not header:
        return shaped
    # Chosen first, not by `one_of`, which leans to its first branch in a seeded draw.
    return st.booleans().flatmap(lambda headed: _headed_text(header) if headed else shaped)


_NUMBER_CELLS = re.compile(
    r"(?i)(amount|cents|count|qty|quantity|price|total|number|num|age|score|size|year|id)$"
)
"""A header cell whose name says it holds a number (``amount_cents``, ``qty``)."""


def _headed_text(header: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Return the strategy for a file under the header its docstring names, rows that fit it.

    Each cell a word, or a number where its name says so (:data:`_NUMBER_CELLS`); no rows at
    times, as a file that holds only its header.
    """
    separator, *names = header
    cells = [
        st.integers(0, 5000).map(str) if _NUMBER_CELLS.search(name) else st.sampled_from(_ROW_WORDS)
        for name in names
    ]
    rows = st.lists(st.tuples(*cells).map(separator.join), max_size=4)
    first = separator.join(names)
    return rows.map(lambda drawn: "".join(f"{line}\n" for line in (first, *drawn)))


def _paths(spelled: str, as_text: bool = False) -> st.SearchStrategy[Written]:
    r"""Return the strategy for a path: one that does not exist, a file, or a folder of files.

    Only paths that do not exist were drawn before, and every body that reads a file raised
    the same FileNotFoundError on every input (a user's ``count_lines(path: Path)``): the
    candidates agreed on nothing else. A ``Path`` is now also made on the spot, in the
    sandbox's own empty working folder, by the call itself:
    ``(lambda p: (p.write_text('a,1\n'), p)[1])(Path('ab.csv'))``, mostly a file. A
    pure path cannot be written, and stays a name. ``as_text``: a ``str`` that names a path
    (:data:`_PATH_NAMES`), drawn the same way and passed as ``str(p)``.
    """
    segment = st.text(alphabet="abcxyz_-", min_size=1, max_size=6)
    suffix = st.sampled_from(["", ".txt", ".py", ".tar.gz", ".csv"])
    names = st.tuples(st.lists(segment, min_size=1, max_size=3), suffix).map(
        lambda name: "/".join(name[0]) + name[1]
    )
    if as_text:
        missing = names.map(lambda name: Written(repr(name)))
    else:
        missing = names.map(lambda name: Written(f"{spelled}({name!r})"))
    if spelled.rpartition(".")[2] != "Path":
        return missing
    made = "str(p)" if as_text else "p"
    file_name = st.tuples(segment, st.sampled_from([".txt", ".csv", ".py", ""])).map("".join)
    files = st.tuples(file_name, _file_text()).map(
        lambda file: Written(
            f"(lambda p: (p.write_text({file[1]!r}), {made})[1])({spelled}({file[0]!r}))"
        )
    )
    contents = st.lists(st.tuples(file_name, _file_text()), max_size=3, unique_by=lambda f: f[0])
    folders = st.tuples(segment, contents).map(
        lambda folder: Written(
            "(lambda p: (p.mkdir(exist_ok=True), [(p / name).write_text(text) for name, text"
            f" in {tuple(folder[1])!r}], {made})[-1])({spelled}({folder[0]!r}))"
        )
    )
    # Chosen by kind first: `one_of` leans to its first branches in a seeded draw.
    kinds = {"file": files, "folder": folders, "missing": missing}
    return st.sampled_from(_PATH_KINDS).flatmap(kinds.__getitem__)


_STANDARD_VALUES: dict[str, Callable[[str], st.SearchStrategy[Written]]] = {
    "date": _dates,
    "datetime": _datetimes,
    "time": _times,
    "timedelta": _timedeltas,
    "Decimal": _decimals,
    "Fraction": _fractions,
    "Path": _paths,
    "PurePath": _paths,
    "PurePosixPath": _paths,
}
"""Standard-library value types drawn as constructor calls (bounded, as the scalars are)."""


class Unsupported(ValueError):
    """A type hint this module cannot draw values for."""


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # typing.List, t.Optional
        return node.attr
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value  # a string annotation: "int"
    raise Unsupported(ast.unparse(node))


ClassLookup = Callable[[str], st.SearchStrategy[Any]]
"""The strategy for a class of the project by name (:mod:`codegen_lsp.builds`); raises
:class:`Unsupported` for a name it cannot build."""


def _no_classes(name: str) -> st.SearchStrategy[Any]:
    raise Unsupported(name)


def strategy_for(node: ast.expr, classes: ClassLookup = _no_classes) -> st.SearchStrategy[Any]:
    """Return a bounded strategy for the annotation ``node``; :class:`Unsupported` if none.

    A name that is no builtin or typing hint is asked of ``classes`` (the project's classes).
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError as error:
            raise Unsupported(text) from error
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return st.one_of(strategy_for(node.left, classes), strategy_for(node.right, classes))
    if isinstance(node, ast.Subscript):
        return _generic(_name(node.value), node.slice, classes)
    name = _name(node)
    if name == "str":
        return _text()
    if name == "int":
        return _int()
    if name in _SCALARS:
        return _SCALARS[name]
    if name in _ANY_NAMES:
        return _any()
    if name in _LISTS:
        return st.lists(_any(), max_size=5)
    if name in _SETS:
        return st.sets(st.integers(-5, 20), max_size=5)
    if name in _DICTS:
        return st.dictionaries(_text(), st.integers(-5, 20), max_size=4)
    if name in _TUPLES:
        return st.lists(_any(), max_size=4).map(tuple)
    try:
        return classes(name)
    except Unsupported:
        if name not in _STANDARD_VALUES:
            raise
        # Written the way the annotation spells it (`date`, `datetime.date`); a call is then
        # written as the function's own module names the type (`spellings`).
        return _STANDARD_VALUES[name](ast.unparse(node))


def _generic(name: str, arguments: ast.expr, classes: ClassLookup) -> st.SearchStrategy[Any]:
    items = list(arguments.elts) if isinstance(arguments, ast.Tuple) else [arguments]
    if name == "Optional":
        return st.one_of(st.none(), strategy_for(items[0], classes))
    if name == "Union":
        return st.one_of(*[strategy_for(item, classes) for item in items])
    if name == "Literal":
        try:
            values = [ast.literal_eval(item) for item in items]
        except ValueError as error:  # `Literal[Colour.RED]`: a member, no literal
            raise Unsupported(ast.unparse(arguments)) from error
        return st.sampled_from(values)
    if name in _WRAPPERS:
        return strategy_for(items[0], classes)
    if name in _LISTS:
        return st.lists(strategy_for(items[0], classes), max_size=6)
    if name in _SETS:
        return st.sets(_hashable(strategy_for(items[0], classes)), max_size=6).map(
            frozenset if name in ("frozenset", "FrozenSet") else set
        )
    if name in _DICTS and len(items) == 2:
        keys = _hashable(strategy_for(items[0], classes))
        return st.dictionaries(keys, strategy_for(items[1], classes), max_size=4)
    if name in _TUPLES:
        if len(items) == 2 and isinstance(items[1], ast.Constant) and items[1].value is ...:
            return st.lists(strategy_for(items[0], classes), max_size=5).map(tuple)
        return st.tuples(*[strategy_for(item, classes) for item in items])
    # A generic class of the project (`Stack[int]`): drawn as the class, its type arguments
    # unread (its TypeVars are drawn as what they allow: `codegen_lsp.builds.type_aliases`).
    return classes(name)


def _hashable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy.filter(_is_hashable)


def _is_hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _signature(ctx: FunctionContext) -> ast.FunctionDef | ast.AsyncFunctionDef:
    header = textwrap.dedent(ctx.header)
    tree = newer_syntax.parse(f"{header}\n    ...\n")
    node = tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise Unsupported("not a function")
    return node


def required_parameters(ctx: FunctionContext) -> list[ast.arg]:
    """Return the parameters a call must pass (no default, not ``*args``/``**kwargs``).

    :class:`Unsupported` for a required keyword-only parameter (the calls are positional).
    """
    arguments = _signature(ctx).args
    if any(default is None for default in arguments.kw_defaults):
        raise Unsupported("a required keyword-only parameter")
    positional = [*arguments.posonlyargs, *arguments.args]
    return positional[: len(positional) - len(arguments.defaults)]


def parameter_names(ctx: FunctionContext) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the names of the parameters a call may pass by position, and by keyword only.

    Empty when the header cannot be read.
    """
    try:
        arguments = _signature(ctx).args
    except (Unsupported, SyntaxError):
        return (), ()
    positional = tuple(a.arg for a in [*arguments.posonlyargs, *arguments.args])
    return positional, tuple(a.arg for a in arguments.kwonlyargs)


_CLASS_HEADER = re.compile(r"^\s*class\s+([A-Za-z_]\w*)", re.MULTILINE)


def callee(ctx: FunctionContext) -> tuple[str, str] | None:
    """Return how a call reaches ``ctx``: (kind, class name), or None when no call can.

    Kinds: ``function`` (module level, class ""), and for a method of a module-level class
    ``method`` (on an instance), ``property``, ``static`` and ``classmethod`` (on the class).
    A method under any other decorator, or nested deeper, cannot be called from outside.
    An ``async def`` is called the same way: the sandbox runs the coroutine a drawn call
    returns (:attr:`codegen_lsp.sandbox.types.Example.drain`).
    """
    if ctx.is_top_level:
        return "function", ""
    if len(ctx.enclosing_headers) != 1:
        return None
    owner = _CLASS_HEADER.search(ctx.enclosing_headers[0])
    if owner is None:
        return None
    decorators = [
        line.strip().removeprefix("@")
        for line in textwrap.dedent(ctx.header).splitlines()
        if line.startswith("@")
    ]
    kinds = {
        "property": "property",
        "cached_property": "property",
        "functools.cached_property": "property",
        "staticmethod": "static",
        "classmethod": "classmethod",
    }
    if not decorators:
        return "method", owner.group(1)
    if len(decorators) == 1 and decorators[0] in kinds:
        return kinds[decorators[0]], owner.group(1)
    return None


def signature_calls(
    ctx: FunctionContext,
    count: int = DRAWN_CALLS,
    seed_value: int = 0,
    classes: ClassLookup = _no_classes,
    texts: tuple[str, ...] = (),
    header: tuple[str, ...] = (),
) -> list[str]:
    """Draw up to ``count`` distinct calls of ``ctx`` from its type hints (none if it can't).

    ``texts`` (the strings its docstring quotes) are drawn often wherever a string is: a
    ``kind: str``, a dict's keys. ``header`` (the header its docstring names for a file it
    reads) heads half of the files drawn for a ``Path``.

    A module-level function is called by name; a method of a module-level class on an instance
    built through ``classes`` like any argument (``Cart(owner='a').total_cents()``), a static
    or class method on its class (:func:`callee`). Deterministic: the same signature and seed
    give the same calls. A hint naming one of the project's classes is drawn through
    ``classes`` (its constructor, written as source).
    """
    reached = callee(ctx)
    if reached is None:
        return []
    token = _QUOTED_TEXTS.set(tuple(texts))
    headed = _FILE_HEADER.set(tuple(header))
    related = _RELATED_INTS.set(_takes_objects(ctx, reached))
    try:
        return _signature_calls(ctx, count, seed_value, classes, reached)
    finally:
        _RELATED_INTS.reset(related)
        _FILE_HEADER.reset(headed)
        _QUOTED_TEXTS.reset(token)


def _takes_objects(ctx: FunctionContext, reached: tuple[str, str]) -> bool:
    """Tell a method of an object, or a function a hint of which names a project class."""
    if reached[0] in ("method", "property"):
        return True
    objects = object_classes(ctx)
    try:
        hints = [a.annotation for a in required_parameters(ctx) if a.annotation is not None]
    except (Unsupported, SyntaxError, ValueError):
        return False  # no calls are drawn either
    return any(
        isinstance(node, ast.Name) and node.id in objects
        for hint in hints
        for node in ast.walk(hint)
    )


MORE_POSITIONAL = 3
"""At most this many values are drawn for a hinted ``*args``."""


def _more_positional(ctx: FunctionContext, classes: ClassLookup) -> st.SearchStrategy[Any] | None:
    """Return the strategy for a hinted ``*args``'s values (a list), else None.

    ``merge(*groups: list[Token])`` was only ever called as ``merge()``: one input, on which
    every body agreed. Not drawn after a positional parameter with a default, which the first
    extra value would fill instead.
    """
    arguments = _signature(ctx).args
    vararg = arguments.vararg
    if vararg is None or vararg.annotation is None or arguments.defaults:
        return None
    return st.lists(strategy_for(vararg.annotation, classes), max_size=MORE_POSITIONAL)


_PATH_NAMES = re.compile(r"(?:^|_)(?:path|file|filename|fname|filepath|infile)$", re.IGNORECASE)
"""Names of a ``str`` parameter that holds a path (``filename: str``, ``config_path: str``)."""


def _parameter_strategy(parameter: ast.arg, classes: ClassLookup) -> st.SearchStrategy[Any]:
    """Return the strategy for a hinted parameter: its hint's, or a path for a path's name.

    ``load(filename: str)`` drawn as random strings raised FileNotFoundError in every body on
    every input; drawn as a file made in the sandbox (:func:`_paths`), the bodies are compared.
    """
    hint = parameter.annotation
    if hint is None:
        raise Unsupported(parameter.arg)
    if _PATH_NAMES.search(parameter.arg) and ast.unparse(hint) == "str":
        return _paths("Path", as_text=True)
    return strategy_for(hint, classes)


def _signature_calls(
    ctx: FunctionContext,
    count: int,
    seed_value: int,
    classes: ClassLookup,
    reached: tuple[str, str],
) -> list[str]:
    kind, owner = reached
    try:
        parameters = required_parameters(ctx)
        if kind in ("method", "property", "classmethod"):
            parameters = parameters[1:]  # self or cls: the call supplies it
        if any(p.annotation is None for p in parameters):
            return []
        strategies = [_parameter_strategy(p, classes) for p in parameters]
        if kind in ("method", "property"):
            strategies.insert(0, classes(owner))
        more = _more_positional(ctx, classes)
        optional = _optional_parameters(ctx, classes)
    except (Unsupported, SyntaxError, ValueError) as error:
        log.debug("inputs: no drawn calls for %s: %s", ctx.qualified_name, error)
        return []
    if more is not None:
        strategies.append(more)
    if not strategies and not optional:
        return [f"{owner}.{ctx.name}()" if owner else f"{ctx.name}()"]
    calls: list[str] = []
    # The values of another module's classes are written as that module names their types.
    spellings = module_spellings(ctx.module_source.replace(BODY_MARKER, ""))

    def keep_up_to(limit: int, passed: list[str]) -> Callable[[tuple[Any, ...]], None]:
        def keep(values: tuple[Any, ...]) -> None:
            given = values[: len(strategies)]
            spread = [*given[:-1], *given[-1]] if more is not None else list(given)
            texts = [repr(v) for v in spread]
            texts += [f"{k}{v!r}" for k, v in zip(passed, values[len(strategies) :], strict=True)]
            call = respelled(call_text(kind, owner, ctx.name, texts), spellings)
            if call not in calls and len(call) <= DRAWN_CALL_CHARS and len(calls) < limit:
                calls.append(call)

        return keep

    # Half the calls leave the parameters with defaults alone, half pass them too: compared
    # only on `total_distance(rides)`, six bodies agreed, and the top one raised TypeError on
    # every call that passed its `terrain: Terrain | None = None`.
    alone = count - count // 2 if optional else count
    if strategies:
        _draw(st.tuples(*strategies), keep_up_to(alone, []), alone, seed_value)
    else:
        calls.append(call_text(kind, owner, ctx.name, []))
    if optional:
        prefixes = [prefix for prefix, _ in optional]
        every = st.tuples(*strategies, *(strategy for _, strategy in optional))
        _draw(every, keep_up_to(count, prefixes), count - len(calls), seed_value)
    return calls


def _optional_parameters(
    ctx: FunctionContext, classes: ClassLookup
) -> list[tuple[str, st.SearchStrategy[Any]]]:
    """Return the hinted parameters with defaults a call may pass, with how it passes each.

    Positional ones in order, while each has a hint that can be drawn (``""``: by position),
    then keyword-only ones that can (``"name="``). Not after a variadic parameter, whose
    values the positional ones would become.
    """
    arguments = _signature(ctx).args
    found: list[tuple[str, st.SearchStrategy[Any]]] = []
    positional = [*arguments.posonlyargs, *arguments.args]
    defaulted = positional[len(positional) - len(arguments.defaults) :]
    for parameter in defaulted if arguments.vararg is None else []:
        try:
            found.append(("", _parameter_strategy(parameter, classes)))
        except Unsupported:
            break  # a later one cannot be passed by position without this one
    for parameter, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if default is None or parameter.annotation is None:
            continue
        keyword = f"{parameter.arg}="
        try:
            found.append((keyword, _parameter_strategy(parameter, classes)))
        except Unsupported:
            continue
    return found


def call_text(kind: str, owner: str, name: str, values: list[str]) -> str:
    """Write the call: by name, on the drawn instance (the first value), or on the class."""
    if kind == "function":
        return f"{name}({', '.join(values)})"
    if kind == "property":
        return f"{values[0]}.{name}"
    if kind == "method":
        return f"{values[0]}.{name}({', '.join(values[1:])})"
    return f"{owner}.{name}({', '.join(values)})"


def call_form(
    name: str, reached: tuple[str, str], building: str = "...", taking: str = "..."
) -> str:
    """Return the shape of a call, as the model is asked to write it (:func:`callee`'s kinds).

    ``f(...)``; for a method on a new object, ``Cart(...).total(...)`` (a property:
    ``Cart(...).total``); for a static or class method, ``Cart.parse(...)``. ``building`` is
    what the object's constructor is shown taking (``owner=..., discount=...``), ``taking``
    what the function is ("" for none: ``total()``).
    """
    kind, owner = reached
    if kind == "property":
        return call_text(kind, owner, name, [f"{owner}({building})"])
    receiver = [f"{owner}({building})"] if kind == "method" else []
    return call_text(kind, owner, name, [*receiver, *([taking] if taking else [])])


SESSION_FILLERS = 3
"""At most this many filling calls are shown in the shape of a test (:func:`session_form`)."""


def session_form(
    checked: str, variable: str, owner: str, fillers: list[str], building: str = "..."
) -> str:
    """Return the shape of a short test that fills an object through its methods, then calls.

    ``tray = Tray(owner=...)``, a line per filling method as ``fillers`` spell its call, the
    first once more (``tray.put(Snack(...))`` twice: shown once, the small model fills with one
    item, on which most candidates agree), then ``assert <checked> == <expected>``, where
    ``checked`` is the call with the object's ``variable`` in place (``tray.heaviest()`` for a
    method of ``Tray``, ``dearest(tray)`` for a function that takes one); then a second test
    that fills nothing (shown one test, the small model writes one). The model is asked for
    such tests where one call (:func:`call_form`) could only propose the object empty. Read
    back as one expression each (``variants.session_calls``).
    """
    shown = [*fillers, fillers[0]][:SESSION_FILLERS] if fillers else []
    built = f"{variable} = {owner}({building})"
    check = f"assert {checked} == <expected>"
    # Two tests, the second with nothing filled: shown one, the model writes one and stops.
    return "\n".join(
        [built, *(f"{variable}.{filler}" for filler in shown), check, "", built, check]
    )


def hinted(ctx: FunctionContext) -> bool:
    """Tell whether every parameter a call can pass carries a type hint (past ``self``/``cls``).

    Then the inputs compared on are ones the function accepts (drawn from its hints, or proposed
    and checked by :func:`fits_signature`), and a crash on one is the body's fault. Without
    hints nothing says a proposed input is one it should accept: MBPP's
    ``get_pairs_count(arr, n, sum)`` is proposed ``n`` past the end of ``arr``, and the bodies
    that index ``arr[i]`` for ``i < n`` crash where a wrong one that loops over ``arr`` does not.
    """
    found = _call_parameters(ctx)
    return found is not None and all(parameter.annotation is not None for parameter in found[1])


def takes_arguments(ctx: FunctionContext) -> bool:
    """Tell whether a call of ``ctx`` can pass anything (past a method's ``self`` or ``cls``)."""
    found = _call_parameters(ctx)
    if found is None:
        return True
    arguments, named = found
    return bool(named) or arguments.vararg is not None or arguments.kwarg is not None


def _call_parameters(ctx: FunctionContext) -> tuple[ast.arguments, list[ast.arg]] | None:
    """Return the signature's arguments and the named parameters a call passes, or None.

    A method's ``self`` or ``cls`` is left out: the call supplies it. None when the header
    cannot be read.
    """
    try:
        arguments = _signature(ctx).args
    except (SyntaxError, Unsupported):
        return None
    named = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    reached = callee(ctx)
    if reached is not None and reached[0] in ("method", "property", "classmethod"):
        named = named[1:]
    return arguments, named


def _draw(
    strategy: st.SearchStrategy[Any], keep: Callable[[Any], None], count: int, seed_value: int
) -> None:
    # Drawn from fewer ints, objects repeat more often: more tries make up for the repeats.
    tries = count * (4 if _RELATED_INTS.get() else 3)

    @seed(seed_value)
    @settings(
        max_examples=tries,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        keep(value)

    # Hypothesis keeps a cache under ./.hypothesis by default: the server's working directory
    # is often the user's project, and nothing may be written there.
    set_hypothesis_home_dir(cache_root() / "hypothesis")
    try:
        collect()
    except Exception:  # Hypothesis could not draw (an unsatisfiable filter): keep what came
        log.debug("inputs: drawing stopped early", exc_info=True)


FUNCTION: tuple[str, str] = ("function", "")
"""What :func:`callee` returns for a module-level function."""


def proposed_calls(
    text: str,
    name: str,
    limit: int = PROPOSED_CALLS,
    constructors: frozenset[str] = frozenset(),
    defaults: dict[str, dict[str, str]] | None = None,
    reached: tuple[str, str] = FUNCTION,
) -> list[str]:
    """Return the calls of ``name`` in the model's text, with data arguments only, deduplicated.

    ``assert f(1) == 2``, ``f(1) == 2``, ``>>> f(1)`` and ``print(f(1))`` all give ``f(1)``: the
    predicted result is dropped (it is the model's guess, not evidence). An argument is data
    when it is a literal, or a call of one of ``constructors`` (the project's classes, e.g.
    ``Pt(1.0, 2.0)``) whose arguments are data, or a list, tuple, set or dict of data. A line
    whose brackets the model got wrong around the result (``assert f([1, 2] == 3``,
    ``assert f(1) == 2, "msg")``) still gives its call: only the part before `` == `` is read.
    A constructor's keyword that only repeats the field's default (``defaults``: class, field,
    source) is left out when it is not data itself (``category=Category.TOOLS``).

    ``reached`` (:func:`callee`) says how a call reaches the function: a method is called on an
    object its class builds from data (``Cart([Item('a', 2)]).total()``; a property is read,
    ``Cart([]).empty``), a static or class method on the class (``Cart.parse('a:2')``). A call
    on an object built elsewhere (``cart.total()``) is not kept: nothing says what it holds.
    """
    calls: list[str] = []
    for line in text.splitlines():
        line = line.strip().removeprefix(">>>").strip()
        if name not in line:
            continue
        tree = (
            _parsed(line) or _parsed(call_before_result(line)) or _parsed(_call_before_comma(line))
        )
        if tree is None:
            continue
        if defaults:
            _drop_spelled_defaults(tree, constructors, defaults)
        for node in ast.walk(tree):
            call = data_call(node, name, constructors, reached)
            if call is not None and call not in calls and len(call) <= CALL_CHARS:
                calls.append(call)
                break
        if len(calls) >= limit:
            break
    return calls


def _drop_spelled_defaults(
    tree: ast.AST, constructors: frozenset[str], defaults: dict[str, dict[str, str]]
) -> None:
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        known = defaults.get(node.func.id, {}) if node.func.id in constructors else {}
        node.keywords = [
            keyword
            for keyword in node.keywords
            if not (
                keyword.arg in known
                and ast.unparse(keyword.value) == known[keyword.arg]
                and not is_data(keyword.value, constructors)
            )
        ]


def _parsed(line: str) -> ast.Module | None:
    if not line.strip():  # a rescue that found nothing: an empty module would end the search
        return None
    try:
        return ast.parse(line)
    except SyntaxError:
        return None


def call_before_result(line: str) -> str:
    """Return the call part of an assert line the model broke: cut at `` == ``, close brackets.

    Small models misplace brackets around the predicted result; the call's arguments, the only
    part kept, usually stand before it.
    """
    head = line.removeprefix("assert").split(" == ", 1)[0].strip()
    missing = head.count("(") - head.count(")")
    if missing < 0 or head.count("[") != head.count("]"):
        return ""
    return head + ")" * missing


def _call_before_comma(line: str) -> str:
    """Return the call at the start of a line whose brackets the model got wrong, or "".

    For a line that writes its result after a comma instead of `` == `` and closes a bracket it
    never opened (``assert low_stock(Shelf([]), 15), ["Apple"])``): what stands before the comma
    is the call. A bracket left open inside it is closed where an outer one closes
    (``[Bin("a", [Item("x")]]`` reads as ``[Bin("a", [Item("x")])]``). Quotes are skipped, so a
    comma or bracket inside a string does not count.
    """
    opener = {")": "(", "]": "[", "}": "{"}
    closer = {"(": ")", "[": "]", "{": "}"}
    head = line.removeprefix("assert").strip()
    written: list[str] = []
    open_brackets: list[str] = []
    end, quote, escaped = 0, "", False
    for char in head:
        if quote:  # inside a string: only its closing quote matters
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in closer:
            open_brackets.append(char)
        elif char in opener:
            if opener[char] not in open_brackets:
                break  # it closes nothing that was opened: the call ended before it
            while open_brackets[-1] != opener[char]:
                written.append(closer[open_brackets.pop()])
            open_brackets.pop()
        elif char == "," and not open_brackets:
            break
        written.append(char)
        if char in opener and not open_brackets:
            end = len(written)
    return "".join(written[:end])


def proposed_asserts(
    text: str, name: str, limit: int = PROPOSED_CALLS, constructors: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """Return the model's ``assert name(...) == <literal>`` lines as (call, expected) sources.

    CodeT's tests (Chen et al. 2022): unlike :func:`proposed_calls`, the result the model
    predicted is kept, to be checked against what each candidate returns. Measured by
    ``eval --asserts``; only data arguments and a literal expected value are kept.
    """
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        try:
            tree = ast.parse(line.strip())
        except SyntaxError:
            continue
        statement = tree.body[0] if len(tree.body) == 1 else None
        if not isinstance(statement, ast.Assert):
            continue
        test = statement.test
        if not (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)
            and data_call(test.left, name, constructors) is not None
        ):
            continue
        if literal_value(test.comparators[0]) is NOT_LITERAL:
            continue
        pair = (ast.unparse(test.left), ast.unparse(test.comparators[0]))
        if pair[0] not in [call for call, _ in found]:
            found.append(pair)
        if len(found) >= limit:
            break
    return found


def data_call(
    node: ast.AST, name: str, constructors: frozenset[str], reached: tuple[str, str] = FUNCTION
) -> str | None:
    """Return ``node`` as source when it is a call of the function with data only, else None."""
    kind, owner = reached
    if kind == "property":
        if isinstance(node, ast.Attribute) and node.attr == name:
            return ast.unparse(node) if _built(node.value, owner, constructors) else None
        return None
    if not isinstance(node, ast.Call) or not _data_arguments(node, constructors):
        return None
    func = node.func
    if kind == "function":
        reaches = isinstance(func, ast.Name) and func.id == name
    elif kind == "method":
        reaches = (
            isinstance(func, ast.Attribute)
            and func.attr == name
            and _built(func.value, owner, constructors)
        )
    else:  # a static or class method, on its class
        reaches = (
            isinstance(func, ast.Attribute)
            and func.attr == name
            and isinstance(func.value, ast.Name)
            and func.value.id == owner
        )
    return ast.unparse(node) if reaches else None


def _built(node: ast.expr, owner: str, constructors: frozenset[str]) -> bool:
    """Tell an object of class ``owner`` built from data: ``Cart([Item('a', 2)])``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == owner
        and _data_arguments(node, constructors | {owner})
    )


def _data_arguments(call: ast.Call, constructors: frozenset[str]) -> bool:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return False
    values = [*call.args, *[k.value for k in call.keywords]]
    return all(is_data(value, constructors) for value in values)


def is_data(node: ast.expr, constructors: frozenset[str]) -> bool:
    """Tell a literal, a list/tuple/set/dict of data, or a call of one of ``constructors``.

    A member of one of those classes counts too (``Discount.STAFF``, an Enum's member, as the
    drawn calls write it): like a constructor's call, it is only ever evaluated in the sandbox.
    """
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id in constructors
    if isinstance(node, ast.Subscript):
        return _filled_object(node, constructors)
    if isinstance(node, ast.Call):
        # A project class built through its constructor: it runs only in the sandbox.
        return (
            isinstance(node.func, ast.Name)
            and node.func.id in constructors
            and _data_arguments(node, constructors)
        )
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(is_data(item, constructors) for item in node.elts)
    if isinstance(node, ast.Dict):
        return all(
            key is not None and is_data(key, constructors) and is_data(value, constructors)
            for key, value in zip(node.keys, node.values, strict=True)
        )
    return literal_value(node) is not NOT_LITERAL


def _filled_object(node: ast.Subscript, constructors: frozenset[str]) -> bool:
    """Tell an object built from data and filled by its methods with data, as one expression.

    ``[(cart := Cart('ann')), cart.add('a', 2), cart][-1]``: how a doctest's or a model's test
    lines that fill an object travel inside a call (``variants``), and how a drawn object is
    filled (``builds``). Like a constructor's call, it is only ever evaluated in the sandbox.
    """
    listed = node.value
    if not (
        isinstance(listed, ast.List)
        and len(listed.elts) >= 2
        and literal_value(node.slice) == -1
        and isinstance(listed.elts[0], ast.NamedExpr)
        and isinstance(listed.elts[-1], ast.Name)
    ):
        return False
    first, steps, last = listed.elts[0], listed.elts[1:-1], listed.elts[-1]
    name = first.target.id
    if last.id != name or not is_data(first.value, constructors):
        return False
    return all(
        isinstance(step, ast.Call)
        and isinstance(step.func, ast.Attribute)
        and isinstance(step.func.value, ast.Name)
        and step.func.value.id == name
        and _data_arguments(step, constructors)
        for step in steps
    )


NOT_LITERAL = object()
"""What :func:`literal_value` returns for a node that is not a plain literal."""


def literal_value(node: ast.expr) -> Any:
    """Return the literal's value, or :data:`NOT_LITERAL` (never evaluates anything else)."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_LITERAL


_CLASS = re.compile(r"^\s*class\s+([A-Za-z_]\w*)", re.MULTILINE)


def constructors(ctx: FunctionContext) -> frozenset[str]:
    """Return the classes a proposed call may build: the file's own and those the prompt showed.

    The file's classes run in the sandbox with the candidate's module; classes from other
    files of the project reach it through the module's own imports. The standard value types
    (``date``, ``Decimal``...) the file imports by name count too.
    """
    module = ctx.module_source.replace(BODY_MARKER, "")
    shown = "\n".join(ctx.definitions)
    names = set(_CLASS.findall(module)) | set(functional_classes.class_names(module))
    names.update(_CLASS.findall(shown), functional_classes.class_names(shown))
    found = {name for name in names if re.search(rf"\b{name}\b", module)}
    # The standard value types the module imports by name: `date(2021, 3, 4)` is data too.
    found.update(
        name
        for name in _STANDARD_VALUES
        if re.search(rf"^\s*from\s+[\w.]+\s+import\b[^\n]*\b{name}\b", module, re.MULTILINE)
    )
    return frozenset(found)


def buildable(ctx: FunctionContext) -> frozenset[str]:
    """Return every class a probe's call may build: those the module names and those it imports.

    :func:`constructors` and :func:`importable_classes` together: a shelf's bins hold items
    that the file never names, and a call building them still runs, since the probe imports
    them first (:func:`probe_examples`).
    """
    return constructors(ctx) | frozenset(importable_classes(ctx))


_SHOWN_FROM = re.compile(r"^# from ([A-Za-z_][\w.]*)$")
_TOP_CLASS = re.compile(r"^class\s+([A-Za-z_]\w*)", re.MULTILINE)


def importable_classes(ctx: FunctionContext) -> dict[str, str]:
    """Return the classes the prompt showed from other modules that the module never names.

    By name, with the module each came from. A cart's ``lines: list[Item]`` in a file that
    imports only ``Cart`` still needs an ``Item`` to be drawn: the probe imports it first
    (:func:`probe_examples`), as a doctest would.
    """
    module = ctx.module_source.replace(BODY_MARKER, "")
    found: dict[str, str] = {}
    for text in ctx.definitions:
        first, _, rest = text.partition("\n")
        shown_from = _SHOWN_FROM.match(first)
        if shown_from is None:
            continue
        for name in [*_TOP_CLASS.findall(rest), *functional_classes.class_names(rest, True)]:
            if not re.search(rf"\b{name}\b", module):
                found.setdefault(name, shown_from.group(1))
    return found


def probe_imports(ctx: FunctionContext) -> dict[str, str]:
    """Return what a probe may import before its call: name to module.

    The classes of :func:`importable_classes`, and the standard value types the module does
    not bind (``date`` from ``datetime``): a class shown from another file that holds
    ``day: date`` is drawn as ``Sitting(day=date(2024, 3, 1), ...)``, which a file that never
    imports ``date`` cannot evaluate (every such call was refused as unbuildable, and a user's
    ``in_term(sittings: list[Sitting], ...)`` was compared on empty lists only).
    """
    found = importable_classes(ctx)
    bound = _bound_names(ctx.module_source.replace(BODY_MARKER, ""))
    found.update((name, home) for name, home in STANDARD_HOMES.items() if name not in bound)
    return found


def _bound_names(module: str) -> frozenset[str]:
    """Return the names a module binds at its top level (imports, assignments, definitions)."""
    try:
        tree = newer_syntax.parse(module)
    except SyntaxError:
        return frozenset()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset(names)


def probe_examples(
    calls: list[str], imports: dict[str, str] | None = None, observe: bool = False
) -> list[Example]:
    """Return the sandbox's view of the calls: examples with no expected result (kind ``probe``).

    ``imports`` (:func:`probe_imports`): a call that builds one of these classes imports
    it first, in the example's setup. ``observe`` (:func:`observes`): each call is run so that
    it returns what it changed too (``Example.observed``); its type is still its result's.
    """
    examples = []
    for call in calls:
        setup: tuple[str, ...] = ()
        if imports:
            try:
                used = {n.id for n in ast.walk(ast.parse(call)) if isinstance(n, ast.Name)}
            except SyntaxError:
                used = set()
            setup = tuple(
                f"from {imports[name]} import {name}" for name in sorted(used & set(imports))
            )
        watched = _observing(call) if observe else None
        examples.append(
            Example(
                call=watched or call,
                expected=None,
                line=0,
                kind="probe",
                setup=setup,
                timeout_s=PROBE_CALL_TIMEOUT_S,
                observed=watched is not None,
                drain=True,
            )
        )
    return examples


_RETURN_TYPES: dict[str, frozenset[str]] = {
    "int": frozenset({"int", "bool"}),
    "float": frozenset({"float", "int", "bool"}),
    "str": frozenset({"str"}),
    "bool": frozenset({"bool"}),
    "bytes": frozenset({"bytes"}),
    "None": frozenset({"NoneType"}),
    "list": frozenset({"list"}),
    "List": frozenset({"list"}),
    "dict": frozenset({"dict"}),
    "Dict": frozenset({"dict"}),
    "tuple": frozenset({"tuple"}),
    "Tuple": frozenset({"tuple"}),
    "set": frozenset({"set"}),
    "Set": frozenset({"set"}),
    # The standard value types drawn as inputs, named as the sandbox names a value's type (a
    # datetime is a date too). Not Path: its class's module differs between Pythons.
    "Decimal": frozenset({"decimal.Decimal"}),
    "Fraction": frozenset({"fractions.Fraction"}),
    "date": frozenset({"datetime.date", "datetime.datetime"}),
    "datetime": frozenset({"datetime.datetime"}),
    "time": frozenset({"datetime.time"}),
    "timedelta": frozenset({"datetime.timedelta"}),
}


_ITERATOR_KINDS = frozenset(
    {
        "generator",
        "map",
        "filter",
        "zip",
        "enumerate",
        "reversed",
        "iterator",
        "callable_iterator",
        "list_iterator",
        "list_reverseiterator",
        "tuple_iterator",
        "range_iterator",
        "longrange_iterator",
        "set_iterator",
        "str_iterator",
        "str_ascii_iterator",
        "bytes_iterator",
        "dict_keyiterator",
        "dict_valueiterator",
        "dict_itemiterator",
        "dict_reversekeyiterator",
        "dict_reversevalueiterator",
        "dict_reverseitemiterator",
        "itertools.accumulate",
        "itertools.chain",
        "itertools.combinations",
        "itertools.combinations_with_replacement",
        "itertools.compress",
        "itertools.count",
        "itertools.cycle",
        "itertools.dropwhile",
        "itertools.filterfalse",
        "itertools.groupby",
        "itertools.islice",
        "itertools.pairwise",
        "itertools.permutations",
        "itertools.product",
        "itertools.repeat",
        "itertools.starmap",
        "itertools.takewhile",
        "itertools.zip_longest",
        "itertools.batched",
        "itertools._tee",
    }
)
"""The iterators of builtins and itertools, named as the sandbox names a value's type."""
_ITERATOR_RETURNS = {
    "Iterator": _ITERATOR_KINDS,
    "Generator": frozenset({"generator"}),
    "AsyncIterator": frozenset({"async_generator"}),
    "AsyncGenerator": frozenset({"async_generator"}),
}
"""Return annotations only an iterator satisfies: a list returned for ``-> Iterator[int]`` has
no ``next``. (Not for a parameter: a call may pass ``iter(...)``, whose type a proposed call's
source does not show.)"""


def return_types(
    ctx: FunctionContext, classes: ClassRuntimes | None = None
) -> frozenset[str] | None:
    """Return the type names the return annotation allows, or None when it is absent or not simple.

    Only plain builtins (``int``, ``list[str]``, ``Optional[str]``, ``int | None``) and the
    standard value types drawn as inputs (``Decimal``, ``date``...) are read, and
    ``Iterator[...]``, ``Generator[...]`` and their async kin, which only an iterator (an async
    generator) satisfies; anything else (a
    project class but those of ``classes``, ``Iterable``, a ``TypeVar``) allows everything. So
    does ``-> None``: its calls are compared through what they change (:func:`observes`), not
    what they return.
    """
    annotation = return_annotation(ctx)
    if annotation is None or _is_none(annotation):
        return None
    head = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(head, (ast.Name, ast.Attribute)) and _name(head) in _ITERATOR_RETURNS:
        return _ITERATOR_RETURNS[_name(head)]
    return allowed_types(annotation, classes)


def returns_none(ctx: FunctionContext) -> bool:
    """Tell whether the function is annotated ``-> None``: it works by changing its arguments."""
    annotation = return_annotation(ctx)
    return annotation is not None and _is_none(annotation)


def return_annotation(ctx: FunctionContext) -> ast.expr | None:
    """Return the function's return annotation, or None when it has none (or cannot be read)."""
    try:
        return _signature(ctx).returns
    except (Unsupported, SyntaxError):
        return None


def _is_none(annotation: ast.expr) -> bool:
    return isinstance(annotation, ast.Constant) and annotation.value is None


def observes(ctx: FunctionContext) -> bool:
    """Tell whether ``ctx``'s calls are compared by what they change, besides what they return.

    A ``-> None`` function works only by changing its arguments: every candidate of
    ``restock_all(items: list[Item]) -> None`` returns None, so its calls alone would make them
    all agree. A method called on an object (``cart.remove_sku('a')``) may change the object
    whatever it returns: a body that returns the right count but leaves the lines in the cart
    is not one that removes them. Other functions are compared on what they return: a body
    that sorts its list argument in place and one that sorts a copy are alike there.
    """
    if returns_none(ctx):
        return True
    found = callee(ctx)
    return found is not None and found[0] == "method"


def _plain_call(call: str) -> tuple[ast.Call, list[str]] | None:
    """Return ``call`` parsed and its arguments as text, or None for another shape.

    A call with no ``*args`` or ``**kwargs``: its arguments can be passed on one by one.
    """
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return None
    if (
        not isinstance(node, ast.Call)
        or any(isinstance(argument, ast.Starred) for argument in node.args)
        or any(keyword.arg is None for keyword in node.keywords)
    ):
        return None
    arguments = [ast.unparse(argument) for argument in node.args]
    arguments += [f"{keyword.arg}={ast.unparse(keyword.value)}" for keyword in node.keywords]
    return node, arguments


def _observing(call: str) -> str | None:
    """Return ``call`` run so that it returns what it changed too; None for another shape.

    The result, then the arguments (and, for a method, the object's attributes that it had
    before the call) after the call:
    ``(lambda *a, **k: [restock_all(*a, **k), a, k])([Item(...)])``.
    """
    parsed = _plain_call(call)
    if parsed is None:
        return None
    node, arguments = parsed
    func = node.func
    if isinstance(func, ast.Attribute) and not _names_a_class(func.value):
        # A method on an object: the object is observed too, as the attributes it had before
        # the call, with their values after it. One that a body adds (a cache, a memo) is how
        # that body works, not what the method does: it must not split bodies that agree.
        receiver = ast.unparse(func.value)
        lead = (
            f"(lambda o, *a, **k: (lambda kept: [o.{func.attr}(*a, **k), o if kept is None "
            "else {n: v for n, v in vars(o).items() if n in kept}, a, k])"
            "(set(vars(o)) if hasattr(o, '__dict__') else None))"
        )
        return f"{lead}({', '.join([receiver, *arguments])})"
    lead = f"(lambda *a, **k: [{ast.unparse(func)}(*a, **k), a, k])"
    return f"{lead}({', '.join(arguments)})"


def plain_call(example: Example) -> str:
    """Return the call an example makes as it was drawn, without :func:`_observing`'s wrapper.

    What a docstring says of the call's arguments (:mod:`codegen_lsp.raise_rules`) is told on
    this: ``Account(owner='a').deposit(-3)``, not the lambda that also returns the account.
    """
    if not example.observed:
        return example.call
    try:
        node = ast.parse(example.call, mode="eval").body
    except SyntaxError:
        return example.call
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Lambda)):
        return example.call
    wrapper = node.func
    inner = next(
        (
            call
            for call in ast.walk(wrapper.body)
            if isinstance(call, ast.Call)
            and any(isinstance(argument, ast.Starred) for argument in call.args)
        ),
        None,
    )
    if inner is None:
        return example.call
    arguments = list(node.args)
    if wrapper.args.args and isinstance(inner.func, ast.Attribute):  # (lambda o, *a, **k: ...)
        if not arguments:
            return example.call
        receiver = arguments.pop(0)
        callee: ast.expr = ast.Attribute(value=receiver, attr=inner.func.attr, ctx=ast.Load())
    else:
        callee = inner.func
    return ast.unparse(ast.Call(func=callee, args=arguments, keywords=node.keywords))


_MAY_CHANGE = re.compile(r"in[- ]place|modif|mutat|updat|\bappend|\bremove|\bclear|\bextend", re.I)


def may_change_arguments(ctx: FunctionContext) -> bool:
    """Tell whether the docstring lets the function change what it is given ("in place"...)."""
    return bool(_MAY_CHANGE.search(ctx.docstring or ""))


_STATE_DEPTH = 6
"""How deep :data:`_STATE` reads into an argument: a pantry's dict of items' quantities is 3."""
_STATE = (
    f"(lambda s: lambda v: s(s, v, {_STATE_DEPTH}))"
    "(lambda s, v, d: repr(v) if d <= 0 "
    "else [s(s, x, d - 1) for x in v.items()] if isinstance(v, dict) "
    "else [s(s, x, d - 1) for x in v] if isinstance(v, (list, tuple)) "
    "else sorted(map(repr, v)) if isinstance(v, (set, frozenset)) "
    "else (type(v).__name__, s(s, vars(v), d - 1)) "
    "if hasattr(v, '__dict__') and not isinstance(v, type) and not callable(v) "
    "else repr(v))"
)
"""An expression for a function that returns a value's state, to compare before and after a
call: containers by their items, an object with a ``__dict__`` by its attributes (its repr is
its address unless its class writes one), anything else by its repr; standard Python only, as
the sandbox's worker runs it under any project interpreter."""


def argument_check(call: str, function: str) -> str | None:
    """Return ``call`` run so that it returns whether it changed its arguments, else None.

    The arguments' state (:data:`_STATE`) before the call against after it: a list sorted in
    place, a dict popped from, a dataclass's field set, an item's quantity taken from a plain
    object's dict of items all show (before, the arguments' repr was compared, and an object
    whose class writes no ``__repr__`` never showed a change). Only a direct call of
    ``function`` with an argument that is not a constant is checked:
    ``(lambda st: (lambda *a, **k: (lambda before: (f(*a, **k), st((a, k)) != before)[1])
    (st((a, k)))))(<state>)([3, 1, 2])``.
    """
    parsed = _plain_call(call)
    if parsed is None:
        return None
    node, arguments = parsed
    if not isinstance(node.func, ast.Name) or node.func.id != function:
        return None
    values = [*node.args, *(keyword.value for keyword in node.keywords)]
    if all(isinstance(value, ast.Constant) for value in values):
        return None  # nothing the call could change
    check = (
        f"(lambda st: (lambda *a, **k: (lambda before: ({function}(*a, **k), st((a, k)) != "
        f"before)[1])(st((a, k)))))({_STATE})"
    )
    return f"{check}({', '.join(arguments)})"


def _names_a_class(node: ast.expr) -> bool:
    """Tell ``Cart`` (a static or class method's class) from an object such as ``Cart(...)``."""
    return isinstance(node, ast.Name) and node.id[:1].isupper()


def union_members(node: ast.expr) -> list[ast.expr]:
    """Return the members of a union annotation, flattened; a lone member for anything else.

    ``int | None``, ``Optional[int]`` and ``Union[int, None]`` alike give ``[int, None]`` (the
    ``None`` a constant), nested unions flattened, in the order written. The one reader of
    unions for :func:`allowed_types`, :func:`return_items` and the literal check of proposed
    calls, so that no spelling is read by one and missed by another.
    """
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return union_members(node.left) + union_members(node.right)
    if isinstance(node, ast.Subscript):
        try:
            name = _name(node.value)
        except Unsupported:
            return [node]
        if name == "Optional":
            return [*union_members(node.slice), ast.Constant(value=None)]
        if name == "Union":
            items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            return [member for item in items for member in union_members(item)]
    return [node]


def allowed_types(node: ast.expr, classes: ClassRuntimes | None = None) -> frozenset[str] | None:
    """Return the type names an annotation allows (None: anything), as :func:`return_types`.

    ``classes``: the project's classes whose values' types are known
    (:func:`codegen_lsp.builds.class_runtimes`); any other class allows anything.
    """
    members = union_members(node)
    if len(members) != 1 or members[0] is not node:  # a union, or `Union[int]`
        found = [allowed_types(member, classes) for member in members]
        if any(kinds is None for kinds in found):
            return None
        return frozenset().union(*[kinds for kinds in found if kinds is not None])
    named = node.id if isinstance(node, ast.Name) else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        named = node.value  # a forward reference, "Item"
    if classes and named is not None and named in classes:
        return classes[named]
    try:
        head = node.value if isinstance(node, ast.Subscript) else node
        return _RETURN_TYPES.get(_name(head))
    except Unsupported:
        return None


ClassRuntimes = Mapping[str, frozenset[str]]
"""Per project class name, the type names its values have at run time (a TypedDict's ``dict``)."""


def type_allowed(actual: str, allowed: frozenset[str]) -> bool:
    """Tell whether a returned value's type (as the sandbox names it) is one ``allowed`` names.

    A project class is allowed by its own name, whatever module the sandbox names it in
    (``tally.kinds.Member`` for ``Member``).
    """
    return actual in allowed or actual.rpartition(".")[2] in allowed


class ReturnFields(NamedTuple):
    """The project class a return annotation names, and the types each of its fields allows.

    :func:`codegen_lsp.builds.return_fields`.
    """

    owner: str
    """The class, as the annotation names it (``Money``)."""
    allowed: Mapping[str, frozenset[str]]
    """Per field, the type names it allows (``{"cents": {"int", "bool"}}``)."""
    runtime: str = ""
    """The type its values have at run time when that is not the class itself: ``dict`` for a
    TypedDict, whose fields are the dict's keys."""
    shape: re.Pattern[str] | None = None
    """For a returned ``str``: what it must match, whole, from a template the docstring
    quotes (:func:`codegen_lsp.quoted.return_template`); its field is :data:`SHAPE`."""
    template: str = ""
    """That template, as the docstring writes it (``<sku> <name>: <qty> units``)."""


SHAPE = "shape"
"""The :func:`wrong_fields` name of a returned string that does not fit its template."""


def wrong_fields(result: Any, fields: ReturnFields | None) -> list[tuple[str, str]]:
    """Return the fields of a returned object whose values have a type its class rules out.

    ``[("cents", "float")]`` for ``Money(cents * rate)`` where ``Money`` says ``cents: int``:
    the right class, wrongly filled. Empty for another class, or when nothing is known.
    """
    if fields is not None and fields.shape is not None:
        if result.actual_type != "str" or result.actual_repr is None:
            return []
        try:
            returned = ast.literal_eval(result.actual_repr)
        except (ValueError, SyntaxError):
            return []  # a repr cut short: nothing to tell
        fits = isinstance(returned, str) and fields.shape.fullmatch(returned) is not None
        return [] if fits else [(SHAPE, "str")]
    if fields is None or not result.field_types or result.actual_type is None:
        return []
    if result.actual_type.rsplit(".", 1)[-1] != (fields.runtime or fields.owner):
        return []
    wrong = []
    for name, kind in result.field_types:
        every = fields.allowed.get(EVERY_ITEM) if name.startswith("[") else None
        allowed = fields.allowed.get(name, every)
        if allowed is not None and not type_allowed(kind, allowed):
            wrong.append((name, kind))
    return wrong


EVERY_ITEM = "[]"
"""The :class:`ReturnFields` key for the type of every item of a list or set (``list[str]``)."""


def return_items(
    annotation: ast.expr | None, classes: ClassRuntimes | None = None
) -> ReturnFields | None:
    """Return what a container annotation says of its items, as :class:`ReturnFields`.

    ``list[tuple[str, int]]``: every item a tuple; ``tuple[str, int]``: a str then an int;
    ``set[int]``; ``dict[str, int]``: every key a str, every value an int. A body of
    ``top_words(text) -> list[tuple[str, int]]`` returned the words alone, and agreed with
    two others. Items of a project class whose values' types are known (``classes``:
    ``list[Entry]``, ``dict[str, Member]``) are checked by that. None for anything else, or
    items whose type cannot be checked (``list[Any]``). ``Optional`` and ``| None`` are read
    through.
    """
    if annotation is None:
        return None
    members = union_members(annotation)
    if len(members) != 1 or members[0] is not annotation:
        kept = [member for member in members if not _is_none(member)]
        return return_items(kept[0], classes) if len(kept) == 1 else None
    if not isinstance(annotation, ast.Subscript):
        return None
    try:
        name = _name(annotation.value)
    except Unsupported:
        return None
    slice_ = annotation.slice
    items = list(slice_.elts) if isinstance(slice_, ast.Tuple) else [slice_]
    runtime = {"list": "list", "List": "list", "set": "set", "Set": "set"}.get(name)
    if name in ("dict", "Dict") and len(items) == 2:
        # `dict[str, int]`: a user's `nights_per_guest` keyed its counts by room number.
        sides: dict[str, frozenset[str]] = {}
        for side, item in ((DICT_KEY, items[0]), (DICT_VALUE, items[1])):
            kinds = allowed_types(item, classes)
            if kinds is not None:
                sides[side] = kinds
        return ReturnFields("dict", sides, "dict") if sides else None
    if name in ("tuple", "Tuple"):
        if len(items) == 2 and isinstance(items[1], ast.Constant) and items[1].value is ...:
            runtime, items = "tuple", items[:1]
        else:
            known = {f"[{i}]": allowed_types(item, classes) for i, item in enumerate(items)}
            checked = {key: kinds for key, kinds in known.items() if kinds is not None}
            return ReturnFields("tuple", checked, "tuple") if checked else None
    if runtime is None or len(items) != 1:
        return None
    every = allowed_types(items[0], classes)
    return ReturnFields(runtime, {EVERY_ITEM: every}, runtime) if every is not None else None


_OBJECT_MISUSE = re.compile(
    r"^'(?!NoneType')(?:[A-Z]\w*|\w+(?:\.\w+)+)' object is not (?:iterable|subscriptable|callable)"
    r"|^[A-Z]\w*\.__(?:init|new)__\(\) (?:takes|missing|got an unexpected keyword)"
    r"|^dict expected at most 1 argument"
    r"|^unhashable type: '(?:[A-Z]\w*|\w+(?:\.\w+)+)'"
)
"""A class's object misused: a capitalised name, or a qualified one (``'datetime.date'``); or
a class called with arguments it does not take: ``Entry.__new__() missing 1 required
positional argument``, and a ``TypedDict`` called positionally (``dict expected at most 1
argument, got 3``); or an object of a class without a hash used as a key or a set's member
(``unhashable type: 'Member'``: a tally's ``balances`` keyed its sums by the member)."""


_OPERAND_MISUSE = re.compile(
    r"^(?:unsupported operand type"
    r"|can't multiply sequence by non-int"
    r"|can only concatenate \w+ \(not "
    r"|can't concat \w+ to "
    r"|bad operand type for unary "
    r"|'[<>]=?' not supported between instances of (?:'[^']*' and )?"
    r"'(?!NoneType')(?:[A-Z]\w*|\w+(?:\.\w+)+)')"
)
"""An operator given operands it does not take, in each way Python says it: ``1 + 'a'`` is
"unsupported operand type(s)", but ``'a' + 1`` is "can only concatenate str", and ``'g' *
2.5`` (a pantry's ``item.qty * unit.value``, the unit's value a str) is "can't multiply
sequence by non-int"; five bodies that multiplied so crashed alike on every item, and their
agreement outvoted the one body that summed the right quantities. An order comparison counts
only where a class's object is an operand (``'NoneType' and 'datetime.date'``): a bare
``list``'s drawn items may be of any builtin type, and sorting ``['a', 1]`` is the input's
fault (so keyed, HumanEval's ``median(l: list)`` and ``sort_third`` lost their right tops)."""


def error_key(exception: str) -> str:
    """Return the behaviour key of a raised exception, as ``"TypeError: ..."`` describes it."""
    name, _, message = exception.partition(":")
    if name == "TypeError" and _OPERAND_MISUSE.match(message.strip()):
        return OPERAND_MISUSE
    if name == "TypeError" and _OBJECT_MISUSE.match(message.strip()):
        return OBJECT_MISUSE
    return "!" + name


def behaviour(
    results: list[Any], allowed: frozenset[str] | None, fields: ReturnFields | None = None
) -> tuple[tuple[str, ...], float]:
    """Return per-input keys of a candidate's run on probes, and the share of wrong return types.

    ``results`` are the sandbox's ``ExampleResult`` for :func:`probe_examples`. A return is of
    a wrong type when the annotation rules out its type (``allowed``), or when it is an object
    of the class the annotation names with a field its class types otherwise (``fields``).
    """
    keys: list[str] = []
    wrong = 0
    for result in results:
        if result.status == "timeout":
            keys.append(TIMED_OUT)
        elif result.exception is not None:
            keys.append(error_key(result.exception))
        elif result.value_digest is None:
            keys.append(UNCOMPARABLE)  # ran but could not be compared: agrees with nothing
        else:
            keys.append("=" + result.value_digest)
            if (
                allowed is not None
                and (result.actual_type is None or not type_allowed(result.actual_type, allowed))
            ) or wrong_fields(result, fields):
                wrong += 1
    return tuple(keys), (wrong / len(keys) if keys else 0.0)


@dataclass(frozen=True)
class Takes:
    """What a function or a constructor takes, read from its definition."""

    positional: tuple[str, ...]
    keywords: frozenset[str]
    required: frozenset[str]
    more_positional: bool
    """``*args``: any number of positional arguments."""
    more_keywords: bool
    """``**kwargs``: any keyword."""

    @classmethod
    def of(cls, arguments: ast.arguments, skip: int = 0) -> Takes:
        """Read a signature, past its first ``skip`` parameters (a method's ``self``)."""
        positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args][skip:]]
        defaulted = len(arguments.defaults)
        required = set(positional[: len(positional) - defaulted])
        required |= {
            a.arg
            for a, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
            if default is None
        }
        by_keyword = [*arguments.args, *arguments.kwonlyargs]
        keywords = {a.arg for a in by_keyword[max(0, skip - len(arguments.posonlyargs)) :]}
        return cls(
            tuple(positional),
            frozenset(keywords),
            frozenset(required),
            arguments.vararg is not None,
            arguments.kwarg is not None,
        )

    def accepts(self, call: ast.Call) -> bool:
        """Tell whether ``call`` passes what this takes (no ``TypeError``)."""
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return True  # unpacked: nothing to count here
        if len(call.args) > len(self.positional) and not self.more_positional:
            return False
        named = {k.arg for k in call.keywords if k.arg is not None}
        if not self.more_keywords and not named <= self.keywords:
            return False
        given = set(self.positional[: len(call.args)]) | named
        return self.required <= given


def fits_signature(ctx: FunctionContext, call: str) -> bool:
    """Tell whether a proposed call passes values its parameters' simple type hints allow.

    Small models propose ``mean([1.0, 2.0])`` and, on the next line, ``mean(1.0)``; a call the
    hints rule out only tells which candidates crash the same way, so it is not kept, nor is one
    with too many or too few arguments. Parameters without a simple hint accept anything; a
    method's ``self`` or ``cls`` is the call's own.
    """
    reached = callee(ctx)
    try:
        node = ast.parse(call, mode="eval").body
        signature = _signature(ctx).args
    except (SyntaxError, Unsupported):
        return False
    if reached is not None and reached[0] == "property":
        return isinstance(node, ast.Attribute)  # read, not called: no arguments to check
    if not isinstance(node, ast.Call):
        return False
    skip = 1 if reached is not None and reached[0] in ("method", "classmethod") else 0
    # A call the signature cannot take makes every candidate raise the same TypeError.
    if not Takes.of(signature, skip).accepts(node):
        return False
    positional = [*signature.posonlyargs, *signature.args][skip:]  # self or cls: the call's
    by_name = {p.arg: p for p in [*positional, *signature.kwonlyargs]}
    passed = list(zip(positional, node.args, strict=False))
    passed += [(by_name[k.arg], k.value) for k in node.keywords if k.arg in by_name]
    objects = object_classes(ctx)
    return all(
        argument_fits(parameter.annotation, argument, objects)
        for parameter, argument in passed
        if parameter.annotation is not None
    )


def argument_fits(annotation: ast.expr, argument: ast.expr, objects: frozenset[str]) -> bool:
    """Tell whether a proposed argument's source may be a value of the hinted type.

    A literal passed where the hint names only classes no literal stands for (``objects``) is
    refused, as is a value a simple hint rules out (``check_in='2026-03-01'`` for a ``date``:
    every candidate's ``check_out - check_in`` raises the same TypeError).
    """
    if _literal_for_object(annotation, argument, objects):
        return False
    allowed = allowed_types(annotation)
    return allowed is None or _type_name(argument) in allowed


def object_classes(ctx: FunctionContext) -> frozenset[str]:
    """Return the classes of the function's module and context no literal stands for."""
    return _object_classes((ctx.module_source.replace(BODY_MARKER, ""), *ctx.definitions))


@functools.lru_cache(maxsize=16)
def _object_classes(texts: tuple[str, ...]) -> frozenset[str]:
    """Return the classes in ``texts`` that :func:`summaries.takes_no_literal` tells."""
    return frozenset(
        node.name
        for node, _ in newer_syntax.top_level(texts)
        if isinstance(node, ast.ClassDef) and summaries.takes_no_literal(node)
    )


def _literal_for_object(annotation: ast.expr, argument: ast.expr, objects: frozenset[str]) -> bool:
    """Tell a literal argument (``123456``) passed where the hint names only such classes.

    ``Money``, ``Money | None``, ``Optional[Money]`` and ``Union[Money, None]`` take no
    ``123456``; ``None`` is taken where the hint allows it. A hint that allows any other type
    (``Money | int``) takes it.
    """
    kind = _type_name(argument)
    if kind is None:
        return False  # a constructor's call, a name: what it builds is not known here
    parts = union_members(annotation)
    takes_none = any(isinstance(p, ast.Constant) and p.value is None for p in parts)
    classes = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
    if not classes or not all(isinstance(p, ast.Name) and p.id in objects for p in classes):
        return False
    return not (kind == "NoneType" and takes_none)


_CONTAINERS = {ast.List: "list", ast.Tuple: "tuple", ast.Set: "set", ast.Dict: "dict"}


def _type_name(node: ast.expr) -> str | None:
    """Return the type an argument's source builds, as the sandbox names it.

    A literal's builtin type, a container's, or a standard value type's constructor call
    (``datetime.date``); None for a project class's constructor or a name.
    """
    container = _CONTAINERS.get(type(node))
    if container is not None:
        return container  # its items may be the project's objects: literal_eval cannot tell
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        home = STANDARD_HOMES.get(node.func.id)
        if home is not None and home != "pathlib":  # a Path's class differs between Pythons
            return f"{home}.{node.func.id}"  # `date(2026, 3, 1)`, as the sandbox names it
    value = literal_value(node)
    return None if value is NOT_LITERAL else type(value).__name__
