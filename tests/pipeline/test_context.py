"""Finding the function under the cursor in awkward files."""

from __future__ import annotations

import ast
import textwrap

import pytest
from codegen_lsp.context import NoFunctionError, find_function, functions_without_body

BROKEN_ELSEWHERE = '''import os
from typing import (List,
    Dict)

def broken(:
    pass

def add(a: int, b: int) -> int:
    """Add two numbers.

    >>> add(1, 2)
    3
    """

x = [1, 2
'''


def line_of(source: str, needle: str) -> int:
    return next(i for i, text in enumerate(source.splitlines()) if needle in text)


def apply(source: str, start: tuple[int, int], end: tuple[int, int], text: str) -> str:
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    a = offsets[start[0]] + start[1]
    b = offsets[end[0]] + end[1]
    return source[:a] + text + source[b:]


def test_syntax_errors_elsewhere_do_not_hide_the_function() -> None:
    ctx = find_function(BROKEN_ELSEWHERE, line_of(BROKEN_ELSEWHERE, ">>> add"))
    assert ctx.name == "add"
    assert ctx.docstring is not None and ctx.docstring.startswith("Add two numbers.")
    assert not ctx.has_body
    assert ctx.body_indent == "    "
    assert ctx.imports == ["import os", "from typing import (List,\n    Dict)"]
    # The runnable module leaves out what does not compile, keeps the function.
    module = ctx.module_with_body("    return a + b")
    ast.parse(module)
    assert "def broken" not in module and "return a + b" in module


@pytest.mark.parametrize("needle", ["def add", ">>> add", "Add two", '    """'])
def test_any_line_of_the_function_finds_it(needle: str) -> None:
    ctx = find_function(BROKEN_ELSEWHERE, line_of(BROKEN_ELSEWHERE, needle))
    assert ctx.name == "add"


def test_blank_line_below_the_docstring_belongs_to_the_function() -> None:
    source = 'def f(x):\n    """Double x."""\n\n    \n'
    assert find_function(source, 3, 4).name == "f"


def test_outside_any_function_is_a_clear_error() -> None:
    with pytest.raises(NoFunctionError, match="put the cursor inside"):
        find_function("import os\n\nx = 1\n", 2)


def test_method_carries_its_class_header() -> None:
    source = textwrap.dedent(
        '''
        class Stack:
            """A LIFO stack."""

            def __init__(self):
                self.items = []

            @property
            def top(self) -> int:
                """Return the top item."""
                ...
        '''
    )
    ctx = find_function(source, line_of(source, "Return the top"))
    assert ctx.qualified_name == "Stack.top"
    assert ctx.class_header == 'class Stack:\n    """A LIFO stack."""'
    assert ctx.header == "    @property\n    def top(self) -> int:"
    assert ctx.body_indent == "        "
    assert not ctx.has_body
    new = apply(source, ctx.replace_start, ctx.replace_end, "\n        return self.items[-1]")
    tree = ast.parse(new)
    assert "..." not in new and "return self.items[-1]" in new
    assert isinstance(tree.body[0], ast.ClassDef)


def test_nested_async_decorated_with_tabs() -> None:
    source = (
        "import functools\n\n"
        "def outer(n):\n"
        '\t"""Outer."""\n'
        "\t@functools.lru_cache\n"
        "\tasync def inner(k: int) -> list[int]:\n"
        '\t\t"""Return k copies of n."""\n'
        "\t\traise NotImplementedError\n"
        "\treturn inner\n"
    )
    ctx = find_function(source, line_of(source, "k copies"))
    assert ctx.qualified_name == "outer.inner"
    assert ctx.is_async
    assert ctx.def_indent == "\t" and ctx.body_indent == "\t\t"
    assert ctx.header == "\t@functools.lru_cache\n\tasync def inner(k: int) -> list[int]:"
    assert not ctx.has_body
    assert ctx.enclosing_headers == ["def outer(n):"]
    # The stub `raise NotImplementedError` is what a new body replaces.
    new = apply(source, ctx.replace_start, ctx.replace_end, "\n\t\treturn [n] * k")
    assert "NotImplementedError" not in new and "\treturn inner" in new
    ast.parse(new)


@pytest.mark.parametrize("stub", ["pass", "...", "raise NotImplementedError()", ""])
def test_stub_bodies_count_as_no_body(stub: str) -> None:
    body = f"\n    {stub}" if stub else ""
    source = f'def f():\n    """Doc."""{body}\n'
    ctx = find_function(source, 0)
    assert not ctx.has_body
    assert ctx.replace_start == (1, len('    """Doc."""'))


def test_real_body_is_kept_as_body_source() -> None:
    source = 'def f(x):\n    """Doc."""\n    y = x + 1\n    return y\n\n\ndef g():\n    pass\n'
    ctx = find_function(source, 0)
    assert ctx.has_body
    assert ctx.body_source == "    y = x + 1\n    return y"
    assert ctx.replace_end == (3, len("    return y"))


def test_helpers_within_budget_and_mentioned_first() -> None:
    helpers = "\n\n".join(
        f'def helper{i}(x):\n    """Helper number {i} {"x" * 200}."""\n    return x\n'
        for i in range(20)
    )
    source = helpers + '\n\ndef main(x):\n    """Combine with helper17."""\n'
    ctx = find_function(source, line_of(source, "def main"), helper_budget_chars=1000)
    assert 0 < len(ctx.helpers) < 20
    assert sum(len(h) for h in ctx.helpers) <= 1000
    assert any("def helper17(x):" in h for h in ctx.helpers)
    assert all(h.rstrip().endswith("...") for h in ctx.helpers)


def test_module_source_skips_script_side_effects() -> None:
    source = 'import sys\nLIMIT = 3\n\ndef f():\n    """Doc."""\n\nmain()\nsys.exit(1)\n'
    ctx = find_function(source, 3)
    module = ctx.module_with_body("    return LIMIT")
    assert "LIMIT = 3" in module and "main()" not in module and "sys.exit" not in module


def test_module_source_keeps_conditional_definitions_but_not_the_main_guard() -> None:
    source = (
        "try:\n    from fastlib import make_sentinel\n    _UNSET = make_sentinel()\n"
        "except ImportError:\n    _UNSET = object()\n\n"
        "if True:\n    LIMIT = 3\n\n"
        'def f():\n    """Doc."""\n\n'
        'if __name__ == "__main__":\n    main()\n'
    )
    ctx = find_function(source, 10)
    module = ctx.module_with_body("    return _UNSET, LIMIT")
    assert "_UNSET = object()" in module and "LIMIT = 3" in module
    assert "main()" not in module
    namespace: dict[str, object] = {}
    exec(compile(module, "<m>", "exec"), namespace)
    assert namespace["f"]() == (namespace["_UNSET"], 3)  # type: ignore[operator]


def test_header_without_docstring_or_body_is_not_found_but_one_line_def_is() -> None:
    source = "def f(x): return x\n"
    ctx = find_function(source, 0)
    assert ctx.has_body and ctx.body_indent == "    "


def test_functions_without_body_lists_only_stubs_with_docstrings() -> None:
    source = (
        'def a():\n    """A."""\n\n'
        'def b():\n    """B."""\n    return 1\n\n'
        "def c():\n    pass\n\n"
        'class K:\n    def d(self):\n        """D."""\n        ...\n'
    )
    assert [c.qualified_name for c in functions_without_body(source)] == ["a", "K.d"]


def test_stub_functions_are_not_offered_as_helpers() -> None:
    source = (
        "def done(x):\n"
        '    """Already written."""\n'
        "    return x\n\n\n"
        "def todo_later(word):\n"
        '    """Count the vowels in word."""\n'
        "    ...\n\n\n"
        "def main(x):\n"
        '    """Use done."""\n'
    )
    ctx = find_function(source, line_of(source, "def main"))
    assert any("def done(x):" in h for h in ctx.helpers)
    assert not any("todo_later" in h for h in ctx.helpers)


def _helpers_shown(source: str, function: str) -> str:
    """Return what the prompt for ``function`` shows of the file's other definitions."""
    ctx = find_function(source, line_of(source, f"def {function}"))
    return "\n\n".join(ctx.helpers)


def test_the_files_own_classes_show_their_fields_members_and_attributes() -> None:
    # Before, a class of the same file showed its header and method signatures only: the
    # model never saw `STAFF = 10`, and wrote `self.discount.percent`.
    source = (
        "from dataclasses import dataclass\n"
        "from enum import Enum\n\n\n"
        "class Discount(Enum):\n"
        '    """How much comes off."""\n\n'
        "    NONE = 0\n"
        "    STAFF = 10  # percent\n\n\n"
        "@dataclass\n"
        "class Item:\n"
        "    sku: str\n"
        "    qty: int = 1\n\n"
        "    def total(self) -> int:\n"
        "        return self.qty\n\n\n"
        "class Cart:\n"
        "    def __init__(self, owner: str) -> None:\n"
        "        self.owner = owner\n"
        "        self.lines: list[Item] = []\n\n\n"
        "def price(cart: Cart, discount: Discount) -> int:\n"
        '    """The total less the discount."""\n'
    )
    shown = _helpers_shown(source, "price")
    for line in [
        "class Discount(Enum):",
        "    NONE = 0",
        "    STAFF = 10  # percent",
        "@dataclass",
        "    sku: str",
        "    qty: int = 1",
        "    def total(self) -> int: ...",
        "    def __init__(self, owner: str) -> None:",
        "        self.lines: list[Item]",
    ]:
        assert line in shown.splitlines(), (line, shown)
    assert "return self.qty" not in shown  # bodies stay out


def test_a_field_typed_by_another_class_of_the_file_says_how_it_reads() -> None:
    # As in other files' summaries (tests/crossfile): `parcel.weight > limit` compares objects.
    source = (
        "from dataclasses import dataclass\n\n\n"
        "@dataclass(frozen=True)\n"
        "class Weight:\n"
        "    grams: int\n\n\n"
        "@dataclass\n"
        "class Parcel:\n"
        "    ref: str\n"
        "    weight: Weight\n\n\n"
        "def over(parcels: list[Parcel], limit: Weight) -> list[str]:\n"
        '    """The refs of the parcels heavier than the limit."""\n'
    )
    shown = _helpers_shown(source, "over").splitlines()
    assert "    weight: Weight  # parcel.weight.grams: int" in shown, shown
    assert "    grams: int" in shown and "    ref: str" in shown


def test_a_short_method_that_fills_untyped_state_is_shown_whole() -> None:
    # `self.sales = []` says nothing of what a sale is; only `ring`'s body does. Shown its
    # signature alone, the default model read the sales as snacks in every sample.
    source = (
        "class Till:\n"
        "    def __init__(self, cashier: str) -> None:\n"
        "        self.cashier = cashier\n"
        "        self.sales = []\n"
        "        self.refunded = 0\n"
        "        self.log = open('x')\n\n"
        "    def ring(self, snack: str, quantity: int) -> None:\n"
        '        """Ring up a sale."""\n'
        "        self.sales.append((snack, quantity))\n\n"
        "    def refund(self, cents: int) -> None:\n"
        "        self.refunded += cents\n\n"
        "    def busy(self) -> bool:\n"
        "        return len(self.sales) > 10\n\n"
        "    def void(self, index: int) -> None:\n"
        "        if index < len(self.sales):\n"
        "            del self.sales[index]\n\n"
        "    def long(self) -> None:\n"
        "        a = 1\n        b = 2\n        c = 3\n        self.sales = [a, b]\n\n\n"
        "def report(till: Till) -> str:\n"
        '    """The sales, one per line."""\n'
    )
    shown = _helpers_shown(source, "report").splitlines()
    for line in [
        "        self.cashier: str",  # from a hinted parameter: its hint
        "        self.sales = []",
        "        self.refunded = 0",
        "        self.log",  # not a literal: its value stays out
        "    def ring(self, snack: str, quantity: int) -> None:",
        "        self.sales.append((snack, quantity))",
        "    def refund(self, cents: int) -> None:",
        "        self.refunded += cents",
        # Reads only, a statement that is not plain (`del` says nothing of what a sale is):
        # signatures only.
        "    def busy(self) -> bool: ...",
        "    def void(self, index: int) -> None: ...",
        # Too many statements: the write and the names it reads, the rest elided.
        "    def long(self) -> None:",
        "        a = 1",
        "        b = 2",
        "        ...",
        "        self.sales = [a, b]",
    ]:
        assert line in shown, (line, shown)
    assert "        c = 3" not in shown


def test_an_attribute_computed_from_the_constructors_parameters_is_shown_with_its_value() -> None:
    # A user's ledger kept `self.rooms = {room.number: room for room in rooms}`; shown
    # `self.rooms` alone, every sample of `price(booking)` read `booking.room.nightly_cents`.
    source = (
        "class Ledger:\n"
        "    def __init__(self, rooms: list, path: str, *, limit: int = 3) -> None:\n"
        "        self.rooms = {room.number: room for room in rooms}\n"
        "        self.order = sorted(rooms, key=len)\n"
        "        self.limit = limit\n"
        "        self.handle = open(path)\n"
        "        self.loaded = self.load(path)\n"
        "        self.cache = {key: value for key, value in GLOBAL.items()}\n"
        "        self.long = [room for room in rooms if room.number > 0 and room.beds < 10]\n\n"
        "    def load(self, path: str) -> list:\n"
        "        return []\n\n\n"
        "def price(ledger: Ledger, room: int) -> int:\n"
        '    """The price of a room."""\n'
    )
    shown = _helpers_shown(source, "price").splitlines()
    for line in [
        "        self.rooms = {room.number: room for room in rooms}",
        "        self.order = sorted(rooms, key=len)",
        "        self.limit: int",
        # It opens a file, calls a method, reads a global, is too long: the name alone.
        "        self.handle",
        "        self.loaded",
        "        self.cache",
        "        self.long",
    ]:
        assert line in shown, (line, shown)


def test_a_long_method_that_fills_untyped_state_shows_its_writes_in_their_loops() -> None:
    # A method that fills state in a loop, past a guard and a log line: what `self.sales`
    # holds is said only by its writes, the loop they sit in and where what they read is from.
    source = (
        "class Till:\n"
        "    def __init__(self) -> None:\n"
        "        self.sales = []\n"
        "        self.voided = 0\n"
        "        self.total: int = 0\n\n"
        "    def ring_all(self, lines: list[tuple[str, int]], log: bool) -> None:\n"
        '        """Ring up many sales."""\n'
        "        if not lines:\n"
        "            return\n"
        "        for snack, quantity in lines:\n"
        "            raw = snack.lower()\n"
        "            label = raw.strip()\n"
        "            name = label.title()\n"
        "            shout = snack.upper()\n"
        "            if quantity > 0:\n"
        "                self.sales.append((name, quantity))\n"
        "                self.total += quantity\n"
        "            else:\n"
        "                self.voided += 1\n"
        "            print(snack)\n"
        "        self.voided += 100\n"
        "        self.sales.sort()\n\n\n"
        "def report(till: Till) -> str:\n"
        '    """The sales, one per line."""\n'
    )
    shown = _helpers_shown(source, "report")
    excerpt = (
        "    def ring_all(self, lines: list[tuple[str, int]], log: bool) -> None:\n"
        "        ...\n"
        "        for snack, quantity in lines:\n"
        "            ...\n"
        "            label = raw.strip()\n"
        "            name = label.title()\n"
        "            ...\n"
        "            if quantity > 0:\n"
        "                self.sales.append((name, quantity))\n"
        "                ...\n"
        "            else:\n"
        "                self.voided += 1\n"
        "            ...\n"
        "        self.voided += 100\n"
        "        ...\n"
    )
    # `self.total` is typed (its annotation says what it holds): not a write worth a line;
    # the third write ends the excerpt, so `sort()` stays out. What the write reads is
    # followed two assignments back (`name`, then `label`), not three (`raw`).
    assert excerpt in shown + "\n", shown
    compile(excerpt.replace("    ", "", 1).replace("\n    ", "\n"), "excerpt", "exec")


def test_a_class_that_does_not_parse_still_shows_its_methods() -> None:
    source = (
        "class Broken:\n"
        "    def ok(self) -> int:\n"
        "        return 1\n"
        "    def bad(self):\n"
        "        return )\n\n\n"
        "def main(x):\n"
        '    """Use Broken."""\n'
    )
    ctx = find_function(source, line_of(source, "def main"))
    shown = "\n".join(ctx.helpers)
    assert "class Broken:" in shown and "    def ok(self) -> int: ..." in shown, shown


def test_listing_every_function_reads_the_module_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each function's runnable module and helpers share one reading of the file.

    Built per function, a file of a thousand functions took minutes to list (the language server
    lists them to check examples when a document opens).
    """
    from codegen_lsp import context

    compiled: list[str] = []

    def counting_compile(code: str, *args: object, **kwargs: object) -> object:
        compiled.append(code)
        return compile(code, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(context, "compile", counting_compile, raising=False)
    source = "import os\n\n" + "".join(
        f'def f{i}(x):\n    """Doc {i}, see f{i - 1}."""\n    return x\n\n\n' for i in range(40)
    )
    found = context.all_functions(source)
    assert len(found) == 40
    assert len(compiled) == 41  # the import and each function, once
    assert found[5].module_source.count(context.BODY_MARKER) == 1
    assert found[5].module_source.count("def f") == 40
    assert any("def f4(x):" in helper for helper in found[5].helpers)  # mentioned: first
