"""Inputs for functions without examples: drawn from type hints, proposed by the model, run."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
from codegen_lsp import builds, execution, inputs, quoted
from codegen_lsp.context import FunctionContext, find_function
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.sandbox.types import ExampleResult
from codegen_lsp.settings import SandboxSettings, Settings
from codegen_lsp.spellings import module_spellings, respelled
from support.probing import behaviours
from support.scripted_model import Reply, body, implement_scripted, implementing, proposing


def function(source: str) -> FunctionContext:
    lines = source.splitlines()
    line = next(
        i for i, text in enumerate(lines) if text.lstrip().startswith(("def ", "async def "))
    )
    return find_function(source, line)


TYPED = '''from typing import Dict, List, Optional, Tuple


def pick(xs: List[int], key: str, limit: Optional[int], pair: Tuple[int, str],
         table: Dict[str, float], strict: bool = False) -> List[int]:
    """Pick things."""
'''


def arguments(call: str) -> list[object]:
    node = ast.parse(call, mode="eval").body
    assert isinstance(node, ast.Call)
    return [ast.literal_eval(argument) for argument in node.args]


def test_drawn_calls_follow_the_hints_with_bounded_sizes() -> None:
    calls = inputs.signature_calls(function(TYPED), count=12)
    assert len(calls) == 12 and len(set(calls)) == 12
    # `strict` is left to its default in half of them, drawn in the others.
    assert sum(len(arguments(call)) == 6 for call in calls) == 6
    for call in calls:
        assert call.startswith("pick(")
        xs, key, limit, pair, table, *strict = arguments(call)
        assert strict in ([], [True], [False])
        assert isinstance(xs, list) and all(isinstance(x, int) and -5 <= x <= 20 for x in xs)
        assert len(xs) <= 6 and isinstance(key, str) and len(key) <= 10
        assert limit is None or isinstance(limit, int)
        assert isinstance(pair, tuple) and isinstance(pair[0], int) and isinstance(pair[1], str)
        assert isinstance(table, dict) and all(isinstance(v, float) for v in table.values())
    # The same signature and seed give the same inputs (rankings can be reproduced).
    assert inputs.signature_calls(function(TYPED), count=12) == calls
    assert inputs.signature_calls(function(TYPED), count=12, seed_value=7) != calls


@pytest.mark.parametrize(
    "header",
    [
        "def f(x):",  # no hint
        "def f(shape: Shape) -> int:",  # a project class: built only from its source, not here
        "def f(g: Callable[[int], int]) -> int:",
        "def f(*, x: int) -> int:",  # keyword-only: the calls are positional
    ],
)
def test_no_drawn_calls_where_the_hints_cannot_be_built(header: str) -> None:
    assert inputs.signature_calls(function(f'{header}\n    """Doc."""\n')) == []


def test_a_method_needs_its_class_built_and_string_hints_are_read() -> None:
    method = function('class A:\n    def f(self, x: int) -> int:\n        """Doc."""\n')
    assert inputs.signature_calls(method) == []  # nothing builds an A
    built = inputs.signature_calls(method, classes=builds.class_builds(method))
    assert built and all(call.startswith("A().f(") for call in built)
    calls = inputs.signature_calls(function('def f(x: "list[str]") -> int:\n    """D."""\n'))
    assert calls and all(isinstance(arguments(c)[0], list) for c in calls)


def test_proposed_calls_keep_literal_arguments_and_drop_the_guessed_results() -> None:
    reply = """assert total([1, 2], 3) == 6
total([], 0) == 0
>>> total((4,), -1)
print(total([1] * 3, 2))
total(__import__('os').system('x'), 1)
total(*[1, 2])
assert other(1) == 2
this is not python
assert total([1, 2], 3) == 7
"""
    calls = inputs.proposed_calls(reply, "total")
    assert calls == ["total([1, 2], 3)", "total([], 0)", "total((4,), -1)"]
    assert inputs.proposed_calls(reply, "total", limit=2) == calls[:2]


@pytest.mark.parametrize(
    ("annotation", "allowed"),
    [
        ("int", {"int", "bool"}),
        ("List[str]", {"list"}),
        ("Optional[str]", {"str", "NoneType"}),
        ("int | None", {"int", "bool", "NoneType"}),
        ("Iterable[int]", None),
        ("Generator[int, None, None]", {"generator"}),
        ("Shape", None),
        ("Decimal", {"decimal.Decimal"}),  # late_fee's money: a float there is the wrong type
        ("date | None", {"datetime.date", "datetime.datetime", "NoneType"}),
        ("Union[str, None]", {"str", "NoneType"}),
        ("typing.Union[int, Optional[str]]", {"int", "bool", "str", "NoneType"}),
        ("Union[int, Shape]", None),
    ],
)
def test_return_types_read_simple_annotations_only(
    annotation: str, allowed: set[str] | None
) -> None:
    ctx = function(f'def f(x: int) -> {annotation}:\n    """Doc."""\n')
    found = inputs.return_types(ctx)
    assert (None if found is None else set(found)) == allowed


def test_candidates_run_on_the_calls_and_their_behaviour_is_compared() -> None:
    ctx = function('def half(n: int) -> int:\n    """Half of n, rounded down."""\n')
    calls = ["half(4)", "half(5)", "half(0)"]
    probes = inputs.probe_examples(calls)
    bodies = {
        "floor": "def half(n):\n    return n // 2\n",
        "shift": "def half(n):\n    return n >> 1\n",
        "float": "def half(n):\n    return n / 2\n",
        "crash": "def half(n):\n    return 10 // n\n",
    }
    allowed = inputs.return_types(ctx)
    with Sandbox(SandboxSettings(timeout_s=3.0, memory_mb=512)) as sandbox:
        found = {
            name: inputs.behaviour(sandbox.run(code, "half", probes).results, allowed)
            for name, code in bodies.items()
        }
    assert found["floor"] == found["shift"]  # equal values on every input: one behaviour
    # 2.0 is not 2: a float where the annotation says int is another behaviour, and wrong.
    assert all(a != b for a, b in zip(found["floor"][0], found["float"][0], strict=True))
    assert found["float"][1] == pytest.approx(1.0)
    assert found["floor"][1] == 0.0
    crash = found["crash"][0]
    assert crash[2] == "!ZeroDivisionError" and all(k.startswith("=") for k in crash[:2])


PROJECT_FILE = '''from dataclasses import dataclass

from shapes.geometry import Vec


@dataclass
class Pt:
    east: float
    north: float


def move(p: Pt, v: Vec) -> Pt:
    """Move p by v."""
'''


def test_proposed_calls_may_build_the_projects_classes_and_nothing_else() -> None:
    ctx = function(PROJECT_FILE)
    ctx.definitions = ["# shapes/geometry.py\nclass Vec:\n    def __init__(self, dx, dy): ..."]
    known = inputs.constructors(ctx)
    assert known == {"Pt", "Vec"}
    reply = """assert move(Pt(1.0, 2.0), Vec(dx=0.5, dy=1)) == Pt(1.5, 3.0)
assert move(Pt(0, 0), Vec(*[1, 2])) == 0
assert move(Pt(0, 0), Other(1)) == 0
assert move(Pt(0, 0), Vec(x, 1)) == 0
assert move([Pt(0, 0), {'a': Pt(1, 1)}], Vec(0, 0)) == 0
"""
    assert inputs.proposed_calls(reply, "move", constructors=known) == [
        "move(Pt(1.0, 2.0), Vec(dx=0.5, dy=1))",
        "move([Pt(0, 0), {'a': Pt(1, 1)}], Vec(0, 0))",
    ]
    assert inputs.proposed_calls(reply, "move") == []  # without the classes: literals only
    assert inputs.fits_signature(ctx, "move(Pt(1.0, 2.0), Vec(0.5, 1))")


@pytest.mark.parametrize(
    ("reached", "form"),
    [
        (("function", ""), "total(...)"),
        (("method", "Till"), "Till(...).total(...)"),
        (("property", "Till"), "Till(...).total"),
        (("static", "Till"), "Till.total(...)"),
        (("classmethod", "Till"), "Till.total(...)"),
    ],
)
def test_the_model_is_asked_for_calls_in_the_shape_that_reaches_the_function(
    reached: tuple[str, str], form: str
) -> None:
    assert inputs.call_form("total", reached) == form


def test_the_call_shape_says_how_the_object_is_built_and_what_the_function_takes() -> None:
    method = ("method", "Till")
    assert inputs.call_form("total", method, "owner=...", "") == "Till(owner=...).total()"
    assert inputs.call_form("total", ("property", "Till"), "") == "Till().total"
    assert inputs.call_form("now", ("function", ""), taking="") == "now()"
    source = (
        "class Till:\n"
        "    def total(self) -> int:\n"
        '        """Doc."""\n\n'
        "    def tip(self, cents: int) -> int:\n"
        '        """Doc."""\n'
    )
    assert not inputs.takes_arguments(find_function(source, 1))
    tip = find_function(source, 4)
    assert tip.name == "tip" and inputs.takes_arguments(tip)
    assert not inputs.takes_arguments(function('def now() -> int:\n    """Doc."""\n'))
    assert inputs.takes_arguments(function('def f(*values: int) -> int:\n    """Doc."""\n'))


def test_proposed_calls_of_a_method_build_its_object_or_name_its_class() -> None:
    known = frozenset({"Till", "Discount", "Receipt"})
    reply = """assert Till('ann', Discount.STAFF).total() == 0
assert Till('bo', [Receipt(1)]).total() == 1
assert till.total() == 0
assert Receipt('x').total() == 0
assert Till(owner()).total() == 0
assert Till('cy').empty == True
assert Till.cents(3) == 300
assert Receipt.cents(3) == 300
"""
    method = inputs.proposed_calls(reply, "total", constructors=known, reached=("method", "Till"))
    assert method == ["Till('ann', Discount.STAFF).total()", "Till('bo', [Receipt(1)]).total()"]
    # A property is read, not called; a static or class method is called on its class.
    assert inputs.proposed_calls(
        reply, "empty", constructors=known, reached=("property", "Till")
    ) == ["Till('cy').empty"]
    for kind in ("static", "classmethod"):
        found = inputs.proposed_calls(reply, "cents", constructors=known, reached=(kind, "Till"))
        assert found == ["Till.cents(3)"]
    # As a function's, the calls must name it: none of these does.
    assert inputs.proposed_calls(reply, "total", constructors=known) == []
    # An Enum's member is data only when its class is one the module names.
    reply = "assert Till('ann', Discount.STAFF).total() == 0"
    found = inputs.proposed_calls(
        reply, "total", constructors=frozenset({"Till"}), reached=("method", "Till")
    )
    assert found == []


OBJECTS = '''from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Optional, TypedDict, Union


@dataclass
class Money:
    cents: int


class Level(IntEnum):
    LOW = 1


class Colour(Enum):
    RED = "red"


class Entry(TypedDict):
    cents: int


def split(total: Money, parts: int, level: Level, colour: Colour, entry: Entry,
          spare: Optional[Money] = None, other: Money | int = 0,
          last: Union[Money, None] = None) -> list[Money]:
    """Split the total."""
'''


@pytest.mark.parametrize(
    ("call", "kept"),
    [
        ("split(Money(100), 3, 1, Colour.RED, {'cents': 1})", True),
        # A model's `split_evenly(123456, 3)` for a `total: Money`: every candidate raised
        # AttributeError on the int, the input's fault, and a repair round was drawn for it.
        ("split(123456, 3, 1, Colour.RED, {'cents': 1})", False),
        ("split(None, 3, 1, Colour.RED, {'cents': 1})", False),
        ("split(Money(1), 3, 1, 'red', {'cents': 1})", False),  # an Enum's value is no member
        ("split(Money(1), 3, 1, Colour.RED, {'cents': 1}, None)", True),  # Optional takes None
        ("split(Money(1), 3, 1, Colour.RED, {'cents': 1}, 5)", False),
        ("split(Money(1), 3, 1, Colour.RED, {'cents': 1}, other=5)", True),  # `| int` takes it
        ("split(Money(1), 3, 1, Colour.RED, {'cents': 1}, last=5)", False),  # Union, as Optional
        ("split(Money(1), 3, 1, Colour.RED, {'cents': 1}, last=None)", True),
    ],
)
def test_a_literal_is_not_kept_where_the_hint_names_a_class_of_objects(
    call: str, kept: bool
) -> None:
    assert inputs.fits_signature(function(OBJECTS), call) is kept


@pytest.mark.parametrize(
    ("call", "kept"),
    [
        ("occupancy(date(2026, 3, 4), Decimal('0.5'))", True),
        ("occupancy(datetime(2026, 3, 4, 12), Decimal(1))", True),  # a datetime is a date
        ("occupancy('2026-03-04', Decimal('0.5'))", False),
        ("occupancy(date(2026, 3, 4), 0.5)", False),
        ("occupancy(Decimal(1), Decimal(1))", False),
        ("occupancy(date(2026, 3, 4), date(2026, 3, 4))", False),
    ],
)
def test_a_standard_value_is_kept_where_its_hint_names_its_type(call: str, kept: bool) -> None:
    # Every proposed `occupancy(date(2026, 3, 4))` of a user's ledger was refused: the call's
    # type was unknown, so not among those the hint allows, and only drawn inputs were left.
    ctx = function(
        "from datetime import date, datetime\nfrom decimal import Decimal\n\n\n"
        'def occupancy(night: date, share: Decimal) -> float:\n    """Doc."""\n'
    )
    assert inputs.fits_signature(ctx, call) is kept


def test_calls_that_the_signature_cannot_take_are_not_kept() -> None:
    ctx = function(
        "class Till:\n"
        "    def add(self, price: int, times: int = 1, *, note: str = '') -> int:\n"
        '        """Doc."""\n'
    )
    assert inputs.callee(ctx) == ("method", "Till")
    for call in ["Till().add(3)", "Till().add(3, 2)", "Till().add(price=3, note='x')"]:
        assert inputs.fits_signature(ctx, call), call
    for call in [
        "Till().add()",  # price missing
        "Till().add(3, 2, 1)",  # one too many
        "Till().add(3, colour='red')",  # no such parameter
        "Till().add('3')",  # a str where the hint says int
    ]:
        assert not inputs.fits_signature(ctx, call), call
    rest = function('def f(*values: int, **named: str) -> int:\n    """Doc."""\n')
    assert inputs.fits_signature(rest, "f(1, 2, 3, x='a')")


def test_dataclass_results_are_compared_by_their_fields() -> None:
    module = PROJECT_FILE.replace("from shapes.geometry import Vec\n", "Vec = tuple\n")
    probes = inputs.probe_examples(
        ["move(Pt(1.0, 2.0), (1.0, 1.0))", "move(Pt(0.0, 0.0), (0.0, 3.0))"]
    )
    bodies = {
        "right": "    return Pt(p.east + v[0], p.north + v[1])\n",
        "also-right": "    return Pt(north=p.north + v[1], east=p.east + v[0])\n",
        "swapped": "    return Pt(p.north + v[1], p.east + v[0])\n",
    }
    with Sandbox(SandboxSettings(timeout_s=3.0, memory_mb=512)) as sandbox:
        found = {
            name: inputs.behaviour(sandbox.run(module + code, "move", probes).results, None)[0]
            for name, code in bodies.items()
        }
    assert found["right"] == found["also-right"]
    assert found["right"][0] != found["swapped"][0] and found["right"][1] != found["swapped"][1]


def test_drawing_writes_nothing_into_the_working_directory(tmp_path: Path) -> None:
    # The server usually runs in the user's project: Hypothesis's cache must go elsewhere.
    script = (
        "from codegen_lsp.context import find_function\n"
        "from codegen_lsp import inputs\n"
        'ctx = find_function(\'def f(s: str, xs: list[str]) -> int:\\n    """D."""\\n\', 0)\n'
        "assert inputs.signature_calls(ctx)\n"
    )
    cache = tmp_path / "cache"
    env = {**os.environ, "CODEGEN_LSP_CACHE": str(cache)}
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run([sys.executable, "-c", script], cwd=project, env=env, check=True, timeout=120)
    assert list(project.iterdir()) == []
    assert (cache / "hypothesis").is_dir()


def test_proposed_asserts_keep_the_predicted_result_only_when_it_is_a_literal() -> None:
    text = (
        "assert add(1, 2) == 3\n"
        "assert add([1], [2]) == [1, 2]\n"
        "assert add(1, 2) == 4\n"  # the same call again: the first is kept
        "assert add(x, 2) == 3\n"  # an argument that is not data
        "assert add(1, 5) == y\n"  # a result that is not a literal
        "assert add(1, 6) != 3\n"  # not an equality
        "add(2, 2) == 4\n"  # not an assert
        "assert other(1) == 1\n"
    )
    assert inputs.proposed_asserts(text, "add") == [("add(1, 2)", "3"), ("add([1], [2])", "[1, 2]")]
    assert inputs.proposed_asserts("assert add(Pt(1, 2), 3) == 4", "add") == []
    found = inputs.proposed_asserts(
        "assert add(Pt(1, 2), 3) == 4", "add", constructors=frozenset({"Pt"})
    )
    assert found == [("add(Pt(1, 2), 3)", "4")]
    assert (
        len(inputs.proposed_asserts("\n".join(f"assert add({i}) == {i}" for i in range(20)), "add"))
        == inputs.PROPOSED_CALLS
    )


def test_a_call_is_kept_when_the_model_broke_the_brackets_around_its_result() -> None:
    text = (
        "assert sort_third( [3, 1, 2] == [1, 2, 3]  # the closing bracket went missing\n"
        'assert sort_third([5, 4]) == [4, 5], "a message")\n'  # one bracket too many
        "assert sort_third([[1] == 2\n"  # a broken list: nothing to keep
    )
    assert inputs.proposed_calls(text, "sort_third") == [
        "sort_third([3, 1, 2])",
        "sort_third([5, 4])",
    ]
    # A comma for `` == `` and a bracket closed that was never opened: the call before the comma.
    text = (
        'assert low_stock(Shelf([Bin("a, b)", [])]), below=15), ["Apple", "Banana"])\n'
        "assert low_stock(Shelf([]), 3), [])\n"
        'assert low_stock(Shelf([Bin("b", [Item("x", 1)]]), 4), ["x"])\n'  # Bin( never closed
        "assert low_stock(Shelf([], 4)]\n"  # a bracket that closes nothing it opened
    )
    assert inputs.proposed_calls(
        text, "low_stock", constructors=frozenset({"Shelf", "Bin", "Item"})
    ) == [
        "low_stock(Shelf([Bin('a, b)', [])]), below=15)",
        "low_stock(Shelf([]), 3)",
        "low_stock(Shelf([Bin('b', [Item('x', 1)])]), 4)",
    ]
    # The asserts keep only lines that parse as written: their result is what they are for.
    assert inputs.proposed_asserts(text, "sort_third") == []


DATED = '''import datetime as dt
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path


def due(start: date, at: dt.datetime, grace: timedelta, fee: Decimal, where: Path) -> bool:
    """Whether the bill is due."""
'''


def test_standard_value_types_are_drawn_as_the_module_spells_them() -> None:
    # Real code takes dates and money; before, such a function got no drawn inputs at all.
    calls = inputs.signature_calls(function(DATED), count=10)
    assert len(calls) == 10
    for call in calls:
        start, at, grace, fee, where = ast.parse(call, mode="eval").body.args  # type: ignore[attr-defined]
        assert ast.unparse(start.func) == "date" and len(start.args) == 3
        assert ast.unparse(at.func) == "dt.datetime" and len(at.args) == 6
        assert ast.unparse(grace.func) == "timedelta" and {k.arg for k in grace.keywords} == {
            "days",
            "seconds",
        }
        assert ast.unparse(fee.func) == "Decimal" and isinstance(fee.args[0].value, str)
        # A path, or one made on the spot: `(lambda p: ...)(Path('a.csv'))`.
        named = where if isinstance(where.func, ast.Name) else where.args[0]
        assert ast.unparse(named.func) == "Path"
    body = "    return start + grace < at.date() and fee > 0 and where.suffix != '.py'\n"
    ctx = function(DATED)
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        run = sandbox.run(ctx.module_with_body(body), "due", inputs.probe_examples(calls))
    assert run.error is None and [r.exception for r in run.results] == [None] * len(calls)
    assert {r.actual_repr for r in run.results} == {"True", "False"}


def test_proposed_calls_may_build_the_standard_values_the_module_imports() -> None:
    ctx = function(DATED)
    known = inputs.constructors(ctx)
    assert {"date", "timedelta", "Decimal", "Path"} <= known and "datetime" not in known
    reply = (
        "assert due(date(2024, 1, 31), dt.datetime(2024, 2, 1), timedelta(days=1),"
        " Decimal('1.50'), Path('a.txt'))\n"
        "assert due(date(2024, 1, 31), None, timedelta(days=1), Decimal(x), Path('a'))\n"
    )
    # `dt.datetime(...)` is no plain name the module imports: the first call is not kept
    # whole, and `Decimal(x)` is no data.
    assert inputs.proposed_calls(reply, "due", constructors=known) == []
    simple = "assert due(date(2024, 1, 31), None, timedelta(days=1), Decimal('1.5'), Path('a'))\n"
    assert inputs.proposed_calls(simple, "due", constructors=known) == [
        "due(date(2024, 1, 31), None, timedelta(days=1), Decimal('1.5'), Path('a'))"
    ]
    assert inputs.proposed_calls(simple, "due") == []  # literals only, as before


def test_a_float_where_the_annotation_says_decimal_is_the_wrong_type() -> None:
    source = (
        "from datetime import date\nfrom decimal import Decimal\n\n\n"
        "def fee(due: date, amount: Decimal) -> Decimal:\n"
        '    """One percent of the amount."""\n'
    )
    ctx = function(source)
    calls = inputs.signature_calls(ctx, count=4)
    allowed = inputs.return_types(ctx)
    bodies = {"exact": "    return amount / 100\n", "float": "    return float(amount) / 100\n"}
    found = behaviours(ctx, bodies, calls, allowed)
    assert found["exact"][1] == 0.0 and found["float"][1] == pytest.approx(1.0)


VALUES = '''from decimal import Decimal
from enum import Enum


class Standing(Enum):
    OK = 1
    OVERDRAWN = 2


class Account:
    def __init__(self, owner: str, cents: int) -> None:
        self.owner = owner
        self.cents = cents


def judge(cents: int) -> Standing:
    """Standing of a balance."""


def fee(cents: int) -> Decimal:
    """One percent, in euros."""


def opened(cents: int) -> Account:
    """A new account holding cents."""
'''


@pytest.mark.parametrize(
    ("function", "alike", "different"),
    [
        # Before, every Enum member, Decimal and plain object looked alike: opaque.
        (
            "judge",
            [
                "return Standing.OK if cents >= 0 else Standing.OVERDRAWN",
                "return Standing.OVERDRAWN if cents < 0 else Standing.OK",
            ],
            "return Standing.OK",
        ),
        (
            "fee",
            [
                "return Decimal(cents) / 100",
                "return (Decimal(cents) / 100).quantize(Decimal('0.01'))",
            ],
            "return Decimal(cents) / 1000",
        ),
        (
            "opened",
            ["return Account('me', cents)", "return Account(owner='me', cents=cents)"],
            "return Account('me', -cents)",
        ),
    ],
)
def test_enum_members_exact_numbers_and_plain_objects_are_compared_by_value(
    function: str, alike: list[str], different: str
) -> None:
    ctx = function_named(VALUES, function)
    calls = [f"{function}({cents})" for cents in (-250, 0, 1999)]
    bodies = {f"alike-{i}": f"    {text}\n" for i, text in enumerate(alike)}
    bodies["different"] = f"    {different}\n"
    found = {name: keys for name, (keys, _) in behaviours(ctx, bodies, calls).items()}
    assert all(key.startswith("=") for key in found["alike-0"]), found
    assert found["alike-0"] == found["alike-1"]
    assert found["different"] != found["alike-0"]


def function_named(source: str, name: str) -> FunctionContext:
    lines = source.splitlines()
    return find_function(source, next(i for i, t in enumerate(lines) if f"def {name}(" in t))


LOOKUPS = '''
def price_of(prices: dict[str, int], sku: str) -> int:
    """Return the price of sku, or 0 when it is not listed."""


def count_of(words: list[str], word: str) -> int:
    """Return how many times word occurs in words."""
'''


@pytest.mark.parametrize(
    ("function", "right", "never_found"),
    [
        ("price_of", "return prices.get(sku, 0)", "return 0"),
        ("count_of", "return words.count(word)", "return 0"),
    ],
)
def test_drawn_strings_often_meet_so_lookups_take_their_found_path(
    function: str, right: str, never_found: str
) -> None:
    # Drawn independently from the whole alphabet, the key was almost never in the dict, so a
    # body that never finds anything agreed with the right one on every input.
    ctx = function_named(LOOKUPS, function)
    calls = inputs.signature_calls(ctx)
    bodies = {"right": f"    {right}\n", "never found": f"    {never_found}\n"}
    found = {name: keys for name, (keys, _) in behaviours(ctx, bodies, calls).items()}
    assert len(calls) == inputs.DRAWN_CALLS
    differ = sum(a != b for a, b in zip(found["right"], found["never found"], strict=True))
    assert differ >= 2, calls


PAIRS = '''def pairs(arr, n, total):
    """Count the pairs among the first n numbers of arr that add up to total."""
'''
"""MBPP/527's shape: no type hints, and the model proposes ``n`` past the end of ``arr``."""


def test_without_type_hints_a_crash_on_a_proposed_input_is_not_held_against_a_body() -> None:
    assert not inputs.hinted(function(PAIRS))
    assert inputs.hinted(function(TYPED))
    method = "class Bag:\n    def size(self, floor: int) -> int:\n        ...\n"
    assert inputs.hinted(find_function(method, 1))  # self needs no hint
    right = (
        "count = 0\nfor i in range(n):\n    for j in range(i + 1, n):\n"
        "        if arr[i] + arr[j] == total:\n            count += 1\nreturn count"
    )
    # Reads every parameter (a body that ignores one would lose for that alone).
    wrong = "return sum(1 for a in arr[:n] if total - a in arr)"
    # Every proposed call passes n past the end of arr: the right body raises IndexError on
    # each, the wrong one returns. Nothing said those inputs were ones to accept.
    proposed = "[1, 5, 7, -1], 6, 6) == 2\nassert pairs([1, 2], 4, 3) == 1\n```"
    scripts = [
        (implementing("pairs"), [body(right, -0.30), body(wrong, -0.32)]),
        (proposing("pairs"), [Reply(proposed)]),
    ]
    result, _ = implement_scripted(PAIRS, 1, scripts, n=2)
    assert result.inputs == ["pairs([1, 5, 7, -1], 6, 6)", "pairs([1, 2], 4, 3)"]
    assert "range(n)" in result.candidates[0].body  # the likelier one, crashes excused


GENERATORS = '''from collections.abc import Iterator


def evens(numbers: list[int]) -> Iterator[int]:
    """Yield the even numbers, in order."""


class Queue:
    def __init__(self, items: list[int]) -> None:
        self.items = items

    def pop_all(self) -> Iterator[int]:
        """Yield each item, first to last, taking it out of the queue."""
'''


def test_a_returned_generator_is_read_so_generator_bodies_are_told_apart() -> None:
    # Found on a user's `decades(books) -> Iterator[tuple[int, int]]`: unread, every generator
    # body returned a generator object, so five bodies that call a function the library lacks
    # "agreed" on every input and crashed on none, and ranked first.
    ctx = function_named(GENERATORS, "evens")
    calls = ["evens([1, 2, 3, 4])", "evens([0, 5])", "evens([])"]
    loop = "    for n in numbers:\n        if {test}:\n            yield {value}\n"
    bodies = {
        "yield": loop.format(test="n % 2 == 0", value="n"),
        "filter": "    return filter(lambda n: n % 2 == 0, numbers)\n",
        "odd": loop.format(test="n % 2", value="n"),
        "crash": loop.format(test="10 // n", value="n"),
        "endless": "    while True:\n        yield 0\n",
        "list": "    return [n for n in numbers if n % 2 == 0]\n",
        "iter": "    return iter([n for n in numbers if n % 2 == 0])\n",
    }
    ran = behaviours(ctx, bodies, calls, inputs.return_types(ctx))
    found = {name: keys for name, (keys, _) in ran.items()}
    assert all(key.startswith("=") for key in found["yield"]), found
    assert found["yield"] == found["filter"]  # the same items: the same behaviour
    assert found["odd"] != found["yield"]
    assert found["crash"][1] == "!ZeroDivisionError"
    # Read to a bound, within the call's time: an endless generator is a value, not a hang.
    assert all(key.startswith("=") for key in found["endless"]), found
    # `-> Iterator[int]`: a list has no next(); any iterator of the builtins is right.
    assert ran["list"][1] == 1.0
    assert ran["yield"][1] == ran["filter"][1] == ran["iter"][1] == 0.0


def _observed_runs(
    ctx: FunctionContext, owner: str, bodies: dict[str, str], calls: list[str]
) -> dict[str, list[ExampleResult]]:
    """Run each body on ``calls``, observed for what they change; results by body's name."""
    probes = inputs.probe_examples(calls, observe=True)
    with Sandbox(SandboxSettings(timeout_s=3.0, memory_mb=512)) as sandbox:
        return {
            name: sandbox.run(ctx.module_with_body(body), owner, probes).results
            for name, body in bodies.items()
        }


def test_a_method_returning_a_generator_is_observed_after_it_is_read() -> None:
    ctx = function_named(GENERATORS, "pop_all")
    bodies = {
        "takes": "        while self.items:\n            yield self.items.pop(0)\n",
        "leaves": "        yield from self.items\n",
    }
    runs = _observed_runs(ctx, "Queue", bodies, ["Queue([1, 2]).pop_all()", "Queue([]).pop_all()"])
    found = {name: inputs.behaviour(results, None)[0] for name, results in runs.items()}
    # Alike on the empty queue; on [1, 2] the same items, but only one body empties the queue.
    assert found["takes"][1] == found["leaves"][1]
    assert found["takes"][0] != found["leaves"][0]
    assert runs["takes"][0].actual_type == "generator"
    shown = runs["takes"][0].actual_repr
    assert shown is not None and "yielding 1, 2" in shown


DRAINED_LOG = '''class Log:
    def __init__(self) -> None:
        self.pairs: list[tuple[str, int]] = [("a", 1), ("b", 2)]

    def drain(self) -> list[tuple[str, int]]:
        """Return the pairs and empty the log."""
'''


def test_an_observed_call_s_fields_are_its_result_s() -> None:
    # An observed call returns [result, what it changed]: a club's `leave -> list[Ride]` was
    # read as a list whose first item is a list, and counted against as the wrong type.
    ctx = function_named(DRAINED_LOG, "drain")
    fields = builds.return_fields(ctx)
    assert fields is not None
    bodies = {
        "right": "        pairs, self.pairs = self.pairs, []\n        return pairs\n",
        "wrong": "        self.pairs = []\n        return [['a', 1]]\n",
    }
    runs = _observed_runs(ctx, "Log", bodies, ["Log().drain()"])
    assert runs["right"][0].field_types == (("[0]", "tuple"), ("[1]", "tuple"))
    assert inputs.behaviour(runs["right"], inputs.return_types(ctx), fields)[1] == 0.0
    assert inputs.behaviour(runs["wrong"], inputs.return_types(ctx), fields)[1] == 1.0


CONTAINERS = '''from collections import deque


def recent(words: list[str]) -> deque:
    """The last two words, oldest first."""


def keys_of(counts: dict[str, int]):
    """The words counted."""


def steps(n: int) -> range:
    """Every other number below n, from 0."""
'''


@pytest.mark.parametrize(
    ("function", "right", "wrong"),
    [
        ("recent", "return deque(words[-2:])", "return deque(words[:2])"),
        ("keys_of", "return counts.keys()", "return {w: 0 for w in counts if w != 'a'}.keys()"),
        ("steps", "return range(0, n, 2)", "return range(0, n, 3)"),
    ],
)
def test_standard_containers_are_compared_by_what_they_hold(
    function: str, right: str, wrong: str
) -> None:
    # Encoded as opaque objects, every body returning a deque (or dict view, or range) agreed.
    ctx = function_named(CONTAINERS, function)
    calls = {
        "recent": ["recent(['a', 'b', 'c'])", "recent(['x'])"],
        "keys_of": ["keys_of({'a': 1, 'b': 2})", "keys_of({})"],
        "steps": ["steps(7)", "steps(0)"],
    }[function]
    bodies = {"right": f"    {right}\n", "again": f"    {right}\n", "wrong": f"    {wrong}\n"}
    found = {name: keys for name, (keys, _) in behaviours(ctx, bodies, calls).items()}
    assert all(key.startswith("=") for key in found["right"]), found
    assert found["right"] == found["again"]
    assert found["wrong"] != found["right"]


ASYNC = '''import asyncio


async def total_length(words: list[str]) -> int:
    """The total number of characters over all the words."""
'''


def test_an_async_function_is_called_and_its_coroutine_run() -> None:
    # Before, an `async def` got no drawn inputs at all: ranked by likelihood alone.
    ctx = function_named(ASYNC, "total_length")
    calls = inputs.signature_calls(ctx)
    assert calls and all(call.startswith("total_length(") for call in calls)
    bodies = {
        "sum": "    return sum(len(word) for word in words)\n",
        "loop": "    await asyncio.sleep(0)\n    return sum(map(len, words))\n",  # awaits a loop
        "count": "    return len(words)\n",
        "first": "    return len(words[0])\n",
        "float": "    return float(sum(len(word) for word in words))\n",
    }
    allowed = inputs.return_types(ctx)
    found = behaviours(ctx, bodies, calls, allowed)
    assert all(key.startswith("=") for key in found["sum"][0]), found
    assert found["sum"][0] == found["loop"][0]
    assert found["count"][0] != found["sum"][0]
    assert "!IndexError" in found["first"][0]  # the empty list: a crash, counted as one
    # The awaited value's type is judged, not the coroutine's: an int is right, a float wrong.
    assert found["sum"][1] == 0.0 and found["float"][1] == pytest.approx(1.0)


ASYNC_GENERATOR = '''from collections.abc import AsyncIterator


async def lengths(words: list[str]) -> AsyncIterator[int]:
    """Yield the length of each word."""
'''


def test_an_async_generator_is_read_in_an_event_loop() -> None:
    ctx = function_named(ASYNC_GENERATOR, "lengths")
    calls = ["lengths(['ab', 'c'])", "lengths([])", "lengths(['', 'xyz'])"]
    bodies = {
        "yield": "    for word in words:\n        yield len(word)\n",
        "again": "    for n in map(len, words):\n        yield n\n",
        "first": "    yield len(words[0])\n",
        "list": "    return [len(word) for word in words]\n",  # no async generator at all
    }
    found = behaviours(ctx, bodies, calls, inputs.return_types(ctx))
    assert all(key.startswith("=") for key in found["yield"][0]), found
    assert found["yield"][0] == found["again"][0]
    assert found["first"][0][1] == "!IndexError"
    assert found["yield"][1] == 0.0 and found["list"][1] == 1.0


PARSE = '''def parse_line(line: str) -> tuple[str, float, str]:
    """Parse "2024-03-01;-12.50;coffee" into its day, amount and memo.

    Raise ValueError when the line does not have three fields, as a 'signed' one has not.
    """
'''


def test_the_strings_a_docstring_quotes_are_inputs() -> None:
    # Found on a user's ledger: every drawn string (`'A)_'`) has no three fields, so every
    # parser raised the documented ValueError on every input and all "agreed"; the one line
    # the user wrote in the docstring is where a body that reads a fourth field breaks.
    ctx = function(PARSE)
    assert quoted.quoted_calls(ctx) == [
        "parse_line('2024-03-01;-12.50;coffee')",
        "parse_line('signed')",
    ]
    split = (
        "fields = line.split(';')\nif len(fields) != 3:\n    raise ValueError(line)\n"
        "return fields[0], float(fields[1]), fields[{memo}]"
    )
    # Splitting on ':' raises the documented ValueError on every input, the user's line too:
    # that line is one the docstring presents as taken, so there it is a crash.
    colon = split.replace("';'", "':'").format(memo=2)
    scripts = [
        (
            implementing("parse_line"),
            [
                body(split.format(memo=3), -0.20),
                body(split.format(memo=2), -0.40),
                body(colon, -0.10),
            ],
        ),
        (proposing("parse_line"), [Reply("```")]),
    ]
    result, _ = implement_scripted(PARSE, 1, scripts, n=3)
    assert result.inputs[:2] == quoted.quoted_calls(ctx)
    assert quoted.accepted_count(ctx) == 1  # 'signed' is in the clause that speaks of raising
    assert "fields[2]" in result.candidates[0].body and "';'" in result.candidates[0].body
    on_colons = next(c for c in result.candidates if "':'" in c.body)
    assert on_colons.score_parts["crashes"] == 1, on_colons.score_parts
    drawn = len(result.inputs) - 2
    assert result.notes[0].startswith(
        f"candidates were compared on {drawn + 2} inputs (2 quoted in the docstring and "
        f"{drawn} drawn from the type hints)"
    )


@pytest.mark.parametrize(
    "header",
    [
        "def f(line: str, sep: str) -> str:",  # two required parameters
        "def f(n: int) -> str:",  # not a string
        "def f(line) -> str:",  # no hint
        "class C:\n    def f(self, line: str) -> str:",  # called on an object
    ],
)
def test_quoted_strings_are_inputs_only_for_one_string_parameter(header: str) -> None:
    indent = " " * (header.splitlines()[-1].index("def") + 4)
    source = f'{header}\n{indent}"""Parse "a;b" or \'c\'."""\n'
    ctx = find_function(source, source.count("\n") - 1)
    assert quoted.quoted_calls(ctx) == []


def test_quoted_strings_come_from_prose_only() -> None:
    doc = (
        'Read "a;b" and \'c d\', not the entry\'s or `parse("code")`.\n'
        '>>> f("example")\n'
        'Repeated: "a;b".'
    )
    assert quoted.quoted_strings(doc) == ["a;b", "c d"]
    static = 'class C:\n    @staticmethod\n    def f(line: str = "x", *, n: int = 1) -> str:\n'
    source = static + '        """Parse "a;b"."""\n'
    assert quoted.quoted_calls(find_function(source, 3)) == []  # nothing required: no argument
    source = source.replace('line: str = "x"', "line: str")
    assert quoted.quoted_calls(find_function(source, 3)) == ["C.f('a;b')"]


@pytest.mark.parametrize(
    ("doc", "accepted"),
    [
        # A user's parse_quantity: the top body raised on " 7 units" and "3 pcs", and since
        # the line spoke of raising too, that counted as the documented ValueError.
        (
            'Read a quantity such as "12", " 7 units" or "3 pcs"; raise ValueError when there'
            " is no number.",
            ["12", " 7 units", "3 pcs"],
        ),
        (
            'Parse "2024-03-01;-12.50;coffee". Raise ValueError for "a;b".',
            ["2024-03-01;-12.50;coffee"],
        ),
        ('Raise ValueError for "a;b", as for any line without three fields.', []),
        ('Raise ValueError for bad input, e.g. "abc".', []),  # "e.g." ends no sentence
        ('Strings like "abc" raise ValueError.', []),
    ],
)
def test_a_quoted_string_is_taken_unless_its_own_clause_speaks_of_an_error(
    doc: str, accepted: list[str]
) -> None:
    assert quoted.accepted_strings(doc) == accepted


def test_strings_the_docstring_quotes_are_drawn_often_wherever_a_string_is() -> None:
    # A JSON-like record read by the keys the docstring names: drawn with random keys, every
    # body raised KeyError on every input, and all "agreed".
    source = (
        "def total_of(entries: list[dict[str, int]], kind: str) -> int:\n"
        '    """Sum the "amount" of the entries of that kind ("debit" or "credit")."""\n'
    )
    ctx = function(source)
    assert quoted.quoted_calls(ctx) == []  # two parameters: no call of its own
    calls = execution.probe_calls(ctx, Settings(), lambda: [])[0]
    kinds = [ast.literal_eval(constructed_call(c).args[1]) for c in calls]
    keys = {
        key
        for c in calls
        for entry in ast.literal_eval(constructed_call(c).args[0])
        for key in entry
    }
    quoted_words = {"amount", "debit", "credit"}
    assert quoted_words & set(kinds) and quoted_words & keys, calls
    off = Settings()
    off.ranking.quoted_inputs = False
    plain = execution.probe_calls(ctx, off, lambda: [])[0]
    assert not any("'debit'" in c or "'amount'" in c for c in plain), plain


def constructed_call(call: str) -> ast.Call:
    node = ast.parse(call, mode="eval").body
    assert isinstance(node, ast.Call)
    return node


READER = '''from pathlib import Path


def count_lines(path: Path) -> int:
    """Return how many non-blank lines the file at path has."""
'''


def test_a_path_is_drawn_as_a_file_or_folder_made_in_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only paths that did not exist were drawn: every reader raised FileNotFoundError alike,
    # and a body counting blank lines agreed with the right one on every input.
    monkeypatch.chdir(tmp_path)
    ctx = function(READER)
    calls = inputs.signature_calls(ctx)
    bodies = {
        "right": "    return sum(1 for line in path.read_text().splitlines() if line.strip())\n",
        "blank_too": "    return len(path.read_text().splitlines())\n",
        "no_comments": (
            "    lines = path.read_text().splitlines()\n"
            "    return sum(1 for line in lines if line.strip() and not line.startswith('#'))\n"
        ),
        "rows": (  # a reader of "name,score" rows: it takes some files, refuses others
            "    rows = [line.split(',') for line in path.read_text().splitlines() if line]\n"
            "    return sum(float(score) for _, score in rows)\n"
        ),
    }
    found = behaviours(ctx, bodies, calls)
    right, _ = found["right"]
    assert sum(key.startswith("=") for key in right) >= len(calls) // 2, right
    assert {"!FileNotFoundError", "!IsADirectoryError"} <= set(right)
    assert right != found["blank_too"][0] and right != found["no_comments"][0]
    # Files hold rows of one shape (`ann,3.5`), so a parser of them reads some and not others.
    rows, _ = found["rows"]
    assert any(key.startswith("=") for key in rows[1:]) and "!ValueError" in rows, rows
    # Made in the sandbox's own working folder, never in the one the server runs in.
    assert not list(tmp_path.iterdir())


HEADED = """import csv
from pathlib import Path


def total_cents(path: Path) -> int:
    \"\"\"Sum the amounts of a CSV file whose header is payer,amount_cents,note.\"\"\"
"""


def test_a_file_under_the_header_the_docstring_names_is_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user's `read_entries`: drawn files held `ann,3.5` rows under no header, and every
    # reader that looked its columns up raised KeyError alike on 14 of 16.
    monkeypatch.chdir(tmp_path)
    ctx = function(HEADED)
    calls = execution.probe_calls(ctx, Settings(), lambda: [])[0]
    assert any("payer,amount_cents,note\\n" in call for call in calls), calls
    bodies = {
        "reads": (
            "    with open(path, newline='') as f:\n"
            "        return sum(int(row['amount_cents']) for row in csv.DictReader(f))\n"
        ),
        "reads_amounts_as_first_column": (
            "    with open(path, newline='') as f:\n"
            "        return sum(int(row['payer'] or 0) for row in csv.DictReader(f))\n"
        ),
    }
    reads, _ = behaviours(ctx, bodies, calls)["reads"]
    summed = [key for key in reads if key.startswith("=")]
    assert len(set(summed)) > 2, reads  # sums of several files' rows, not one error alike
    assert reads != behaviours(ctx, bodies, calls)["reads_amounts_as_first_column"][0]


@pytest.mark.parametrize(
    ("docstring", "header"),
    [
        (
            "Read a CSV file whose header is payer,amount_cents,note.",
            (",", "payer", "amount_cents", "note"),
        ),
        ("A file with columns `day; amount; memo`.", (";", "day", "amount", "memo")),
        ("Rows with columns name, qty and price.", (",", "name", "qty", "price")),
        (
            "Read a CSV with columns `payer`, `amount_cents` and `note`.",
            (",", "payer", "amount_cents", "note"),
        ),
        ('The header row is "day", "amount", "memo".', (",", "day", "amount", "memo")),
        ("Return the header of the table.", ()),
        ("The column is sorted.", ()),
    ],
)
def test_the_header_a_docstring_names(docstring: str, header: tuple[str, ...]) -> None:
    assert quoted.file_header(docstring) == header


def test_a_str_named_as_a_path_is_drawn_as_a_file_made_in_the_sandbox() -> None:
    # `words(filename: str)` drawn as random strings: every body raised FileNotFoundError on
    # every input. The file is made as a Path's is, and passed as its name.
    ctx = function(
        'def words(filename: str, limit: int) -> int:\n    """Count the words in the file."""\n'
    )
    calls = inputs.signature_calls(ctx)
    assert any("str(p)" in call for call in calls), calls
    assert (
        inputs.signature_calls(
            function(
                'def words(text: str, limit: int) -> int:\n    """Count the words in the text."""\n'
            )
        )
        != calls
    )  # a str of another name is drawn as text
    body = "    with open(filename) as f:\n        return len(f.read().split())\n"
    probes = inputs.probe_examples(calls, inputs.probe_imports(ctx))  # imports Path first
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        run = sandbox.run(ctx.module_with_body(body), "words", probes)
    counted = [r.actual_repr for r in run.results if r.exception is None]
    assert len(counted) >= len(calls) // 2 and len(set(counted)) > 1, run.results


def test_a_flag_is_drawn_as_its_members_and_their_combinations() -> None:
    # `token.style == Style.BOLD` misses a bold italic token; only a combination shows it.
    source = (
        "from enum import Flag, auto\n\n\nclass Style(Flag):\n    BOLD = auto()\n"
        "    ITALIC = auto()\n\n\n"
        'def is_bold(style: Style) -> bool:\n    """Whether the style is bold."""\n'
    )
    ctx = function(source)
    calls = inputs.signature_calls(ctx, classes=builds.class_builds(ctx))
    assert "is_bold(Style.BOLD)" in calls and "is_bold(Style.ITALIC)" in calls, calls
    assert any(re.fullmatch(r"is_bold\(Style\.\w+ \| Style\.\w+\)", call) for call in calls)
    found = behaviours(
        ctx,
        {"equal": "    return style == Style.BOLD\n", "has": "    return Style.BOLD in style\n"},
        calls,
    )
    assert found["equal"][0] != found["has"][0]


def test_a_hinted_star_args_is_drawn_with_a_few_values() -> None:
    # `merge(*groups)` was only ever called as `merge()`: every body agreed on that one input.
    merge = function('def merge(*groups: list[int]) -> list[int]:\n    """Merge them."""\n')
    calls = inputs.signature_calls(merge)
    counts = {len(ast.parse(call, mode="eval").body.args) for call in calls}  # type: ignore[attr-defined]
    assert 0 in counts and max(counts) >= 2, calls
    # After a parameter with a default, an extra value would fill that parameter instead.
    defaulted = function('def scale(x: int, by: int = 2, *rest: int) -> int:\n    """Scale x."""\n')
    assert all(
        len(ast.parse(call, mode="eval").body.args) == 1  # type: ignore[attr-defined]
        for call in inputs.signature_calls(defaulted)
    )


def test_one_argument_s_strings_often_name_another_s() -> None:
    # A user's `apply_movements(items: dict[str, Item], movements: list[Movement])` raised
    # KeyError in every body on nearly every drawn call: its skus, drawn one by one, were
    # seldom all keys of the dict, and the bodies' found path (where they differed) never ran.
    ctx = function(
        "def take_all(stock: dict[str, int], skus: list[str]) -> dict[str, int]:\n"
        '    """Take one unit for each sku."""\n'
    )
    found = 0
    for seed_value in range(5):
        for call in inputs.signature_calls(ctx, seed_value=seed_value):
            stock, skus = ast.parse(call, mode="eval").body.args  # type: ignore[attr-defined]
            keys = {key.value for key in stock.keys}
            found += bool(skus.elts) and all(sku.value in keys for sku in skus.elts)
    assert found >= 10  # of 80; 1 when each string was drawn on its own


PRICE = '''def format_price(cents: int) -> str:
    """Format a price in cents as euros with thousands separators, e.g. 1234567 as "€12,345.67"."""
'''


def test_a_value_and_its_result_in_prose_are_an_example() -> None:
    # A user's formatter had no other example: its candidates were compared on drawn prices
    # only, and the top one wrote "12345.67€".
    right = "return f'€{cents // 100:,}.{cents % 100:02d}'"
    wrong = "return f'{cents / 100:.2f}€'"
    scripts = [(implementing("format_price"), [body(wrong, -0.1), body(right, -0.9)])]
    result, _ = implement_scripted(PRICE, 0, scripts, n=2)
    top = result.candidates[0]
    assert "cents // 100:," in top.body, [c.score_parts for c in result.candidates]
    assert (top.run.passed, top.run.total) == (1, 1)
    assert result.candidates[1].run.passed == 0


@pytest.mark.parametrize(
    ("header", "calls"),
    [
        ("def format_price(cents: int) -> str:", ["format_price(1234567)"]),
        ("def format_price(cents) -> str:", ["format_price(1234567)"]),  # no hint: taken
        ("def format_price(cents: str) -> str:", []),  # an int where a str is asked
        ("def format_price(cents: int, sign: str) -> str:", []),  # two arguments
        ("def format_price(cents: Money) -> str:", []),  # a class: no literal
    ],
)
def test_a_prose_pair_is_an_example_only_for_one_argument_of_its_type(
    header: str, calls: list[str]
) -> None:
    ctx = function(PRICE.replace("def format_price(cents: int) -> str:", header))
    assert [example.call for example in quoted.literal_examples(ctx)] == calls


LINE = '''from dataclasses import dataclass


@dataclass
class Item:
    sku: str
    name: str
    qty: int


def stock_line(item: Item) -> str:
    """Return "<sku> <name>: <qty> units", the quantity with thousands separators."""
'''


def test_a_returned_string_must_fit_the_template_its_docstring_quotes() -> None:
    # A user's stock_line: all three samples of the first wave wrote "a1 saw: 3", agreed on
    # every input, and drawing stopped there.
    short = "return f'{item.sku} {item.name}: {item.qty:,}'"
    right = "return f'{item.sku} {item.name}: {item.qty:,} units'"
    scripts = [(implementing("stock_line"), [body(short, -0.1), body(right, -0.9)])]
    line = LINE.splitlines().index("def stock_line(item: Item) -> str:")
    result, _ = implement_scripted(LINE, line, scripts, n=2)
    top = result.candidates[0]
    assert "units" in top.body, [c.score_parts for c in result.candidates]
    assert result.candidates[1].score < top.score
    plain = "return f'{item.sku} {item.name}: {item.qty}'"
    scripts = [(implementing("stock_line"), [body(short, -0.1), body(plain, -0.9)])]
    result, _ = implement_scripted(LINE, line, scripts, n=2)
    assert any(
        note.startswith('the top candidate returned a string unlike "<sku> <name>: <qty> units"')
        for note in result.notes
    ), result.notes


@pytest.mark.parametrize(
    ("doc", "fits", "misfits"),
    [
        ('Return "<sku> <name>: <qty> units".', "x nail: 12,000 units", "a1 saw: 3"),
        # A drawn sku is often empty: a placeholder may stand for nothing.
        ('Return "<sku> <name>: <qty> units".', " nail: 3 units", "nail 3 units"),
        ('Say "Hello, {name}!" to them.', "Hello, Ann Lee!", "Hello Ann"),
        ('Return "{total:.2f} EUR" or "<a>".', "3.50 EUR", "EUR 3.50"),  # "<a>" is no template
    ],
)
def test_a_quoted_template_makes_a_pattern(doc: str, fits: str, misfits: str) -> None:
    found = quoted.return_template(doc)
    assert found is not None
    _, shape = found
    assert shape.fullmatch(fits) and not shape.fullmatch(misfits)
    assert all("<" not in text and "{" not in text for text in quoted.quoted_strings(doc))


def test_no_template_where_none_or_two_are_quoted() -> None:
    assert quoted.return_template('Parse "a;b" into parts.') is None
    assert quoted.return_template('Return "<a>: <b>" or "<a> (<b>)".') is None


QUANTITY = (
    "def parse_quantity(text: str) -> int:\n"
    '    """Read a quantity such as "12", " 7 units" or "3 pcs"; raise ValueError when there'
    ' is no number."""\n'
)


def test_refusing_the_inputs_the_docstring_presents_as_taken_weighs_among_those_few() -> None:
    # A user's parse_quantity: the likelier body raised on " 7 units" and "3 pcs"; 2 crashes
    # among 21 inputs weighed little, and it ranked first.
    digits_only = "if not text.strip().isdigit():\n    raise ValueError(text)\nreturn int(text)"
    searching = (
        "import re\nfound = re.search(r'\\d+', text)\nif not found:\n    raise ValueError(text)\n"
        "return int(found.group())"
    )
    scripts = [
        (implementing("parse_quantity"), [body(digits_only, -0.2), body(searching, -0.5)]),
        (proposing("parse_quantity"), [Reply("```")]),
    ]
    result, _ = implement_scripted(QUANTITY, 0, scripts, n=2)
    assert quoted.accepted_count(function(QUANTITY)) == 3
    assert "re.search" in result.candidates[0].body, [c.score_parts for c in result.candidates]


def test_the_empty_string_is_always_drawn() -> None:
    # A user's parse_quantity was compared on 21 inputs without "", where its top body's
    # `int(text.split()[0])` raised IndexError instead of the documented ValueError.
    ctx = function('def parse_quantity(text: str) -> int:\n    """Read a quantity."""\n')
    for seed_value in range(3):
        assert "parse_quantity('')" in inputs.signature_calls(ctx, seed_value=seed_value)


def test_a_respelled_call_keeps_the_rest_of_its_text_past_non_ascii_strings() -> None:
    # ast counts UTF-8 bytes: a name drawn as 'é' before the date once shifted the cut.
    spellings = module_spellings("from ridelog.model import Ride\n")
    call = "f(Ride(name='é', day=datetime.date(2000, 1, 1)), datetime.timedelta(days=1))"
    assert (
        respelled(call, spellings) == "f(Ride(name='é', day=date(2000, 1, 1)), timedelta(days=1))"
    )
    dotted = module_spellings("import datetime\n")
    assert respelled("f(date(2000, 1, 1))", dotted) == "f(datetime.date(2000, 1, 1))"
    assert respelled("f(Date(2000, 1, 1))", dotted) == "f(Date(2000, 1, 1))"


@pytest.mark.parametrize(
    ("header", "keyword", "most_positional"),
    [
        # Compared only without it, six bodies of a ride log's `total_distance` agreed, and the
        # top one raised TypeError on every call that passed a terrain.
        ("def total(xs: list[int], only: int | None = None, *, scale: float = 1.0)", True, 2),
        # An unhinted default ends what can be passed by position; keywords still are.
        ("def total(xs: list[int], only=None, *, scale: float = 1.0)", True, 1),
        # After `*xs` a positional value would be one more of those.
        ("def total(*xs: int, scale: float = 1.0)", True, None),
        ("def total(xs: list[int], only: int | None = None)", False, 2),
    ],
)
def test_parameters_with_defaults_are_passed_in_half_the_drawn_calls(
    header: str, keyword: bool, most_positional: int | None
) -> None:
    ctx = function(f'{header} -> float:\n    """Add them up."""\n')
    calls = inputs.signature_calls(ctx, count=16, seed_value=3)
    assert len(calls) == 16, calls
    parsed = [ast.parse(call, mode="eval").body for call in calls]
    assert all(isinstance(node, ast.Call) for node in parsed)
    nodes = [node for node in parsed if isinstance(node, ast.Call)]
    with_keywords = [node for node in nodes if node.keywords]
    assert (5 <= len(with_keywords) <= 11) if keyword else not with_keywords, calls
    if most_positional is not None:
        assert max(len(node.args) for node in nodes) == most_positional, calls
        if not keyword:
            assert 5 <= sum(len(node.args) == 2 for node in nodes) <= 11, calls


def test_a_function_of_defaults_only_is_called_bare_and_with_them() -> None:
    ctx = function('def pick(limit: int = 3) -> list[int]:\n    """Pick some."""\n')
    calls = inputs.signature_calls(ctx, count=8, seed_value=1)
    assert calls[0] == "pick()" and len(calls) > 3, calls


def test_drawn_dates_often_fall_on_neighbouring_days() -> None:
    # Drawn across fifty years, no two rides of a ride log were on neighbouring days, in one
    # week or on one day: every `longest_streak` body agreed on every input, right or wrong.
    ctx = function(
        'from datetime import date\n\n\ndef streak(days: list[date]) -> int:\n    """D."""\n'
    )
    calls = inputs.signature_calls(ctx, count=16, seed_value=1)
    near = 0
    for call in calls:
        days = sorted(
            date(*map(int, found)) for found in re.findall(r"date\((\d+), (\d+), (\d+)\)", call)
        )
        near += any((b - a).days <= 1 for a, b in pairwise(days))
    assert near >= 4, calls


NESTED = '''from dataclasses import dataclass


@dataclass(frozen=True)
class Rider:
    name: str
    weight_kg: float
    club: str


@dataclass
class Ride:
    rider: Rider
    distance_km: float
    climb_m: int
    minutes: int


def longest(rides: list[Ride]) -> float:
    """The longest ride's distance."""
'''


def test_objects_that_hold_objects_are_drawn_several_to_a_list() -> None:
    # At 300 characters a call, a ride log's `longest_streak(rides)` held one ride at most.
    ctx = function_named(NESTED, "longest")
    calls = inputs.signature_calls(ctx, count=16, seed_value=1, classes=builds.class_builds(ctx))
    assert max(call.count("Ride(") for call in calls) >= 3, calls


@pytest.mark.parametrize(
    "call",
    [
        "Account(owner='a').deposit(-3)",  # a method: the object rides in the wrapper's call
        "restock_all([Item(sku='a', qty=1)], by=2)",
        "Tally.from_counts({'a': 1})",  # a class method: called on the class, as drawn
        "(lambda o: setattr(o, 'lines', []) or o)(Cart(owner='a')).total()",
    ],
)
def test_an_observed_call_is_read_back_as_it_was_drawn(call: str) -> None:
    [observed] = inputs.probe_examples([call], observe=True)
    assert observed.observed and observed.call != call
    assert inputs.plain_call(observed) == call
    [plain] = inputs.probe_examples([call])
    assert inputs.plain_call(plain) == call
