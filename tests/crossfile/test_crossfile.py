"""Definitions from other files of a project, found by jedi and summarised for the prompt."""

from __future__ import annotations

import ast
import dataclasses
import logging
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from codegen_lsp import crossfile, newer_syntax, summaries
from codegen_lsp.context import FunctionContext, find_function
from codegen_lsp.crossfile import (
    RELEVANCE_BASE,
    RELEVANCE_DOCSTRING,
    RELEVANCE_EXAMPLE,
    RELEVANCE_FIELD_TYPE,
    RELEVANCE_IMPORTED,
    RELEVANCE_OWN_CLASS,
    RELEVANCE_PROSE,
    RELEVANCE_SIGNATURE,
    CrossFileContext,
    Definition,
    cross_file_context,
    estimate_tokens,
)
from codegen_lsp.prompt import build_prompt, context_block
from support.projects import bare_venv

Write = Callable[[dict[str, str]], Path]

SHAPES = {
    "shapes/__init__.py": "",
    "shapes/geometry.py": '''
        """Points and vectors on a map."""

        from dataclasses import dataclass


        @dataclass
        class Pt:
            """A point on the map, in metres from the origin.

            Points are immutable in spirit: move them with shifted().
            """

            east: float
            north: float  # metres

            def shifted(self, v: "Vec") -> "Pt":
                SECRET_PT_BODY = Pt(self.east + v.dx, self.north + v.dy)
                return SECRET_PT_BODY


        class Vec:
            """A displacement."""

            def __init__(self, dx: float, dy: float) -> None:
                self.dx = dx
                self.dy: float = dy

            def length(self) -> float:
                SECRET_VEC_BODY = (self.dx**2 + self.dy**2) ** 0.5
                return SECRET_VEC_BODY
        ''',
    "shapes/ops.py": '''
        from shapes.geometry import Pt, Vec


        def move_all(points: list[Pt], v: Vec) -> list[Pt]:
            """Move every point by v.

            >>> move_all([Pt(1, 2)], Vec(1, 1))
            [Pt(east=2, north=3)]
            """
        ''',
}


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write ``{relative path: source}`` under a fresh project root and return the root."""
    root = tmp_path / "project"

    def write_files(files: dict[str, str]) -> Path:
        for name, text in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write_files


# Generous: the first lookup of a project starts jedi's interpreter process, and the test
# machines are shared. The time box has a test of its own.
SLOW_OK = 60.0


def function_at(source: str, needle: str) -> FunctionContext:
    line = next(i for i, text in enumerate(source.splitlines()) if needle in text)
    return find_function(source, line)


def lookup(root: Path, relative: str, needle: str, **kwargs: Any) -> CrossFileContext:
    """Run the cross-file context for the function whose line holds ``needle``."""
    path = root / relative
    source = path.read_text(encoding="utf-8")
    kwargs.setdefault("timeout_s", SLOW_OK)
    return cross_file_context(
        source, str(path), function_at(source, needle), project_root=str(root), **kwargs
    )


def by_name(result: CrossFileContext) -> dict[str, Definition]:
    return {d.name: d for d in result.definitions}


def test_a_dataclass_and_a_class_in_the_signature(write: Write) -> None:
    root = write(SHAPES)
    result = lookup(root, "shapes/ops.py", "def move_all")
    found = by_name(result)
    assert list(found) == ["Pt", "Vec"], result
    pt, vec = found["Pt"], found["Vec"]
    assert (pt.module, pt.kind, pt.relevance) == ("shapes.geometry", "class", RELEVANCE_SIGNATURE)
    assert Path(pt.path) == (root / "shapes/geometry.py").resolve()
    assert pt.text.startswith("# from shapes.geometry\n@dataclass\nclass Pt:\n")
    # The fields as written (with their comments), the docstring's first paragraph only, and
    # the methods' signatures, never their bodies.
    assert "    east: float\n" in pt.text and "    north: float  # metres" in pt.text
    assert "A point on the map, in metres" in pt.text and "immutable in spirit" not in pt.text
    assert "def shifted(self, v: 'Vec') -> 'Pt': ..." in pt.text
    assert "self.dx" in vec.text and "self.dy: float" in vec.text
    assert "def __init__(self, dx: float, dy: float) -> None:" in vec.text
    assert "def length(self) -> float: ..." in vec.text
    for text in result.texts():
        assert "SECRET" not in text and "return" not in text
    # Used in the signature and again in the example: looked up and shown once.
    assert result.looked_up.count("Pt") == 1 and len(result.definitions) == 2
    assert "move_all" in result.looked_up  # the example's call resolves to this file: left out
    assert not result.unresolved and not result.timed_out
    assert result.tokens == sum(estimate_tokens(t) for t in result.texts())
    assert result.seconds > 0


def test_an_enum_in_an_annotation_lists_its_members(write: Write) -> None:
    root = write(
        {
            "paint/__init__.py": "",
            "paint/colours.py": '''
                import enum


                class Colour(enum.Enum):
                    """Colours the printer has ink for."""

                    RED = "r"
                    GREEN = "g"
                    BLUE = "b"

                    @property
                    def ink(self) -> str:
                        return "INK_" + self.value
                ''',
            "paint/brush.py": '''
                from typing import Optional

                from paint.colours import Colour


                def label(colour: Optional[Colour] = None) -> str:
                    """Return a label for the colour."""
                ''',
        }
    )
    result = lookup(root, "paint/brush.py", "def label")
    (colour,) = result.definitions
    assert colour.kind == "class" and "class Colour(enum.Enum):" in colour.text
    for member in ('RED = "r"', 'GREEN = "g"', 'BLUE = "b"'):
        assert f"    {member}\n" in colour.text + "\n"
    assert "@property\n    def ink(self) -> str: ..." in colour.text
    assert "INK_" not in colour.text
    # The standard library's names are not even asked of jedi: the model knows them.
    assert result.unresolved == [] and "Optional" not in result.looked_up
    # After the members, how one reads: shown only `RED = "r"`, the model takes a member for
    # its value (`colour.upper()`).
    assert "    BLUE = \"b\"\n    # Colour.RED.value == 'r'\n" in colour.text


@pytest.mark.parametrize(
    ("source", "reading"),
    [
        ("class Level(IntEnum):\n    _ignore_ = []\n    LOW = 1\n", "Level.LOW.value == 1"),
        ("class Mode(enum.Flag):\n    R = 4\n    W = 2\n", "# Mode.R.value == 4"),
        ("class Level(Enum):\n    LOW = auto()\n", None),  # no literal value to show
        ("class Pt:\n    X = 1\n", None),  # no Enum
        ("class Empty(Enum):\n    pass\n", None),
    ],
)
def test_an_enums_reading_shows_a_members_name_and_value(source: str, reading: str | None) -> None:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.ClassDef)
    found = summaries.enum_reading(node)
    assert (found is None) if reading is None else (found is not None and reading in found)
    assert (reading is None) or any(
        reading in line for line in summaries.class_lines(node, source, None)
    )


def test_a_field_typed_by_another_shown_class_says_how_it_reads(write: Write) -> None:
    # Shown `amount: Money` and Money's own summary, the default model compares the object
    # (`entry.amount < 0`, a TypeError); the field's comment shows the path to a number.
    root = write(
        {
            "till/__init__.py": "",
            "till/units.py": """
                import enum
                from dataclasses import dataclass


                class Currency(enum.Enum):
                    EUR = "EUR"


                @dataclass(frozen=True)
                class Money:
                    cents: int
                    currency: Currency = Currency.EUR
                    _cache: dict | None = None


                class Weight:
                    def __init__(self, grams: int, label: str = "") -> None:
                        self.grams = grams
                        self._raw = label
                """,
            "till/models.py": """
                from dataclasses import dataclass

                from till.units import Currency, Money, Weight


                @dataclass
                class LineItem:
                    memo: str
                    amount: Money
                    refund: "Money | None" = None
                    weight: Weight | None = None
                    tax: Money = Money(0)  # already explained
                    currency: Currency = Currency.EUR
                    lines: list[Money] | None = None
                """,
            "till/ops.py": """
                from till.models import LineItem


                def biggest(items: list[LineItem]) -> LineItem:
                    '''Return the item with the largest amount.'''
                """,
        }
    )
    result = lookup(root, "till/ops.py", "def biggest")
    found = by_name(result)
    assert {"LineItem", "Money", "Weight", "Currency"} <= set(found), result
    text = found["LineItem"].text + "\n"
    reading = "# line_item.amount.cents: int, line_item.amount.currency: Currency"
    assert f"    amount: Money  {reading}\n" in text
    assert 'refund: "Money | None" = None  # line_item.refund.cents: int, ' in text
    # A plain class reads by what its __init__ types; private attributes are left out.
    assert "weight: Weight | None = None  # line_item.weight.grams: int\n" in text
    assert "tax: Money = Money(0)  # already explained\n" in text  # the author's comment stays
    assert "    currency: Currency = Currency.EUR\n" in text  # an Enum reads otherwise
    assert "    lines: list[Money] | None = None\n" in text  # a list of them: no reading
    assert "Currency.EUR.value == 'EUR'" in found["Currency"].text
    assert "#" not in found["Money"].text.split("\n", 1)[1]  # nothing typed by a shown class


def test_a_typed_dict_says_it_is_read_by_key(write: Write) -> None:
    # Shown only `class Entry(TypedDict)` and its fields, the default model writes
    # `entry.kind`: an AttributeError on every dict the function is given.
    root = write(
        {
            "ledger/__init__.py": "",
            "ledger/models.py": """
                from dataclasses import dataclass
                from typing import Literal, TypedDict

                Kind = Literal["debit", "credit"]


                class Money(TypedDict):
                    cents: int
                    currency: str


                class Entry(TypedDict):
                    '''One line of a bank statement.'''

                    day: str
                    amount: Money
                    kind: Kind
                    memo: str


                @dataclass
                class Statement:
                    first: Entry
                    total: Money
                """,
            "ledger/report.py": """
                from ledger.models import Entry, Statement


                def signed(entry: Entry, statement: Statement) -> int:
                    '''Return the entry's amount in cents, negative for a debit.'''
                """,
        }
    )
    result = lookup(root, "ledger/report.py", "def signed")
    found = by_name(result)
    entry = found["Entry"].text + "\n"
    reading = '# Entry is a dict: entry["day"], entry["amount"], entry["kind"]'
    assert f"    memo: str\n    {reading}\n" in entry
    # A field typed by another TypedDict reads by key at both levels; a dataclass's field by
    # attribute, then by key.
    nested = 'amount: Money  # entry["amount"]["cents"]: int, entry["amount"]["currency"]: str'
    assert nested in entry
    statement = found["Statement"].text
    assert 'first: Entry  # statement.first["day"]: str' in statement
    assert 'total: Money  # statement.total["cents"]: int' in statement
    assert "is a dict" not in statement
    # A Literal alias says how its values compare: the model wrote `Kind.debit`.
    assert found["Kind"].text.endswith('Kind = Literal["debit", "credit"]  # kind == "debit"')
    # The chat request says it in words, for the TypedDicts the signature names and those
    # that a class it names holds (the comment alone moved the model little).
    ctx = function_at((root / "ledger/report.py").read_text(), "def signed")
    shown = dataclasses.replace(ctx, definitions=result.texts())
    request = build_prompt(shown, "chat", PromptEngine()).text.split("<assistant>")[0]
    entry_note = 'Each `Entry` is a plain dict: read its values by key, as in entry["day"] and'
    money_note = "Each `Money` is a plain dict: read its values by key, as in money["
    assert entry_note in request and money_note in request
    alone = dataclasses.replace(shown, header="def signed(statement: Statement) -> int:")
    assert entry_note in build_prompt(alone, "chat", PromptEngine()).text
    unrelated = dataclasses.replace(shown, header="def signed(day: str) -> int:")
    assert "plain dict" not in build_prompt(unrelated, "chat", PromptEngine()).text


def test_a_module_in_pythons_newer_syntax_is_still_read(write: Write) -> None:
    # Python 3.12's `type` statement and type parameters do not parse on the server's own
    # Python: before, every definition of such a module was silently left out (a user's
    # `Item` shown nowhere, the model wrote `item.quantity`).
    root = write(
        {
            "inv/__init__.py": "",
            "inv/models.py": """
                from dataclasses import dataclass
                from typing import Literal

                type Unit = Literal["kg", "piece"]


                @dataclass
                class Item:
                    sku: str
                    qty: int
                    unit: Unit


                class Shelf[T: (int, str)]:
                    def __init__(self, things: list[T]) -> None:
                        self.things = things

                    def first[D](self, default: D) -> T | D:
                        return self.things[0] if self.things else default
                """,
            "inv/ops.py": """
                from inv.models import Item, Shelf, Unit


                def total_of(items: list[Item], shelf: Shelf[int], unit: Unit) -> int:
                    '''Return the total quantity of the items measured in that unit.'''
                """,
        }
    )
    result = lookup(root, "inv/ops.py", "def total_of")
    found = by_name(result)
    assert "    qty: int\n    unit: Unit" in found["Item"].text
    assert 'Unit = Literal["kg", "piece"]  # unit == "kg"' in found["Unit"].text
    # (Shelf itself is for jedi to find: under a 3.12 interpreter it does; the server's own
    # here does not parse its header.)


def test_a_file_in_pythons_newer_syntax_keeps_its_classes_whole() -> None:
    # parso read with the server's own Python's grammar made `class Shelf[T]:` a run of
    # errors: its methods were lifted to the module's level, in the runnable module and
    # among the helpers.
    source = textwrap.dedent(
        '''\
        from typing import Literal

        type Unit = Literal["kg", "piece"]


        class Shelf[T]:
            """A shelf of things."""

            def __init__(self, things: list[T]) -> None:
                self.things = things


        def count(shelf: Shelf[int], unit: Unit) -> int:
            """Count the things on the shelf."""
        '''
    )
    ctx = function_at(source, "def count")
    assert "class Shelf[T]:\n" in ctx.module_source
    assert "\ndef __init__" not in ctx.module_source
    assert [h.splitlines()[0] for h in ctx.helpers] == ["class Shelf:"], ctx.helpers
    assert 'Unit = Literal["kg", "piece"]' in ctx.module_source


def test_newer_syntax_is_rewritten_line_for_line() -> None:
    source = textwrap.dedent(
        """\
        type Pair[K, V] = tuple[K, V]
        class Box[T: dict[str, int]](Base, metaclass=M):
            type Inner = list[int]
            async def get[D](self, d: D) -> T | D: ...
        def first[T](items: list[T]) -> T: ...
        typed = type(x)
        """
    )
    assert newer_syntax.downgrade(source).splitlines() == [
        "Pair = tuple[K, V]",
        "class Box(Base, metaclass=M):",
        "    Inner = list[int]",
        "    async def get(self, d: D) -> T | D: ...",
        "def first(items: list[T]) -> T: ...",
        "typed = type(x)",
    ]
    tree, text = newer_syntax.parse_text(source)
    assert text.startswith("Pair = ") and isinstance(tree.body[1], ast.ClassDef)
    assert newer_syntax.parse_text("x = 1\n")[1] == "x = 1\n"  # as written when it parses
    with pytest.raises(SyntaxError):
        newer_syntax.parse("def broken(:\n")


def test_a_field_typed_by_a_class_not_shown_gets_no_reading() -> None:
    source = "@dataclass\nclass Entry:\n    amount: Money\n"
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.ClassDef)
    assert "    amount: Money" in summaries.class_lines(node, source, None)
    other = {"Other": [("x", "int")]}
    assert "    amount: Money" in summaries.class_lines(node, source, None, other)
    # Nor one typed by its own class (a tree's parent): the reading would say nothing new.
    source = "@dataclass\nclass Node:\n    parent: Node | None\n"
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.ClassDef)
    fields = {"Node": summaries.readable_fields(node)}
    assert fields == {"Node": [("parent", "Node | None")]}
    assert "    parent: Node | None" in summaries.class_lines(node, source, None, fields)


def test_the_types_of_a_shown_classs_fields_come_one_level_deep(write: Write) -> None:
    # skus.py imports Item only; Item's fields are typed with classes from other modules.
    root = write(
        {
            "shop/__init__.py": "",
            "shop/kinds.py": """
                from enum import Enum


                class Category(Enum):
                    FOOD = "food"
                    TOOLS = "tools"


                class Unused(Enum):
                    NEVER = 0
                """,
            "shop/items.py": """
                from dataclasses import dataclass

                from shop.kinds import Category


                @dataclass
                class Tag:
                    label: str


                @dataclass
                class Item:
                    sku: str
                    tags: list[Tag]
                    category: Category = Category.TOOLS
                """,
            "shop/skus.py": """
                from shop.items import Item


                def common_sku_prefix(items: list[Item]) -> str:
                    '''Return the longest prefix that every item's SKU starts with.'''
                """,
        }
    )
    result = lookup(root, "shop/skus.py", "def common_sku_prefix")
    found = by_name(result)
    assert list(found) == ["Item", "Tag", "Category"], result
    assert found["Item"].relevance == RELEVANCE_SIGNATURE
    assert {found["Tag"].relevance, found["Category"].relevance} == {RELEVANCE_FIELD_TYPE}
    assert 'FOOD = "food"' in found["Category"].text and found["Category"].module == "shop.kinds"
    assert "Unused" not in result.looked_up  # only what the fields name
    assert not result.unresolved and not result.timed_out


def test_a_plain_classs_field_types_come_from_its_init(write: Write) -> None:
    # No class-level annotations: __init__'s parameters and `self.x: T` say what the fields are.
    root = write(
        {
            "yard/__init__.py": "",
            "yard/kinds.py": """
                from enum import Enum


                class Zone(Enum):
                    COLD = 1
                    DRY = 2


                class Seal(Enum):
                    OPEN = 0
                    SHUT = 1


                class Unused(Enum):
                    NEVER = 0
                """,
            "yard/bins.py": """
                from yard.kinds import Seal, Unused, Zone


                class Bin:
                    def __init__(self, code: str, zone: Zone) -> None:
                        self.code = code
                        self.zone = zone
                        self.seal: Seal = Seal.OPEN
                        spare: Unused | None = None
                """,
            "yard/moves.py": """
                from yard.bins import Bin


                def cold_codes(bins: list[Bin]) -> list[str]:
                    '''Return the codes of the bins kept cold.'''
                """,
        }
    )
    result = lookup(root, "yard/moves.py", "def cold_codes")
    found = by_name(result)
    assert list(found) == ["Bin", "Zone", "Seal"], result
    assert {found["Zone"].relevance, found["Seal"].relevance} == {RELEVANCE_FIELD_TYPE}
    assert "COLD = 1" in found["Zone"].text and "SHUT = 1" in found["Seal"].text
    assert "Unused" not in result.looked_up  # a local's annotation types no field


def test_the_types_a_filling_method_takes_are_shown(write: Write) -> None:
    # An order is filled after it is built, through `add(stock: list[Item])`: a test of a
    # function that takes one writes `Item(...)` calls, and the model must know Item's fields.
    # A method that returns something, or a private one, fills nothing: its types stay out.
    root = write(
        {
            "shop/__init__.py": "",
            "shop/items.py": """
                from dataclasses import dataclass


                @dataclass
                class Item:
                    sku: str
                    price_cents: int


                class Coupon:
                    code: str


                class Ledger:
                    pass
                """,
            "shop/orders.py": """
                from shop.items import Coupon, Item, Ledger


                class Order:
                    def __init__(self, customer: str) -> None:
                        self.customer = customer
                        self.lines = []

                    def add(self, wanted: dict[str, int], stock: list[Item]) -> None:
                        for item in stock:
                            self.lines.append((item.sku, wanted.get(item.sku, 0)))

                    def best(self, coupon: Coupon) -> int:
                        return 0

                    def _log(self, ledger: Ledger) -> None:
                        pass
                """,
            "shop/invoice.py": """
                from shop.orders import Order


                def units_ordered(order: Order, sku: str) -> int:
                    '''Return how many units of the SKU the order holds.'''
                """,
        }
    )
    result = lookup(root, "shop/invoice.py", "def units_ordered")
    found = by_name(result)
    assert list(found) == ["Order", "Item"], result
    assert found["Item"].relevance == RELEVANCE_FIELD_TYPE
    assert "price_cents: int" in found["Item"].text
    assert "Coupon" not in result.looked_up and "Ledger" not in result.looked_up


def test_field_types_are_followed_down_to_the_depth_limit(write: Write) -> None:
    # Shelf -> Bin -> Item -> Category -> Origin: the function names only Shelf, yet a body
    # reads `shelf.bins[0].items[0].qty`; three levels of field types are shown, not four.
    root = write(
        {
            "depot/__init__.py": "",
            "depot/origins.py": """
                from enum import Enum


                class Origin(Enum):
                    LOCAL = 1
                """,
            "depot/kinds.py": """
                from dataclasses import dataclass

                from depot.origins import Origin


                @dataclass
                class Category:
                    name: str
                    origin: Origin
                """,
            "depot/items.py": """
                from dataclasses import dataclass

                from depot.kinds import Category


                @dataclass
                class Item:
                    sku: str
                    qty: int
                    category: Category
                """,
            "depot/storage.py": """
                from dataclasses import dataclass, field

                from depot.items import Item


                @dataclass
                class Bin:
                    code: str
                    items: list[Item] = field(default_factory=list)


                @dataclass
                class Shelf:
                    name: str
                    bins: list[Bin] = field(default_factory=list)
                """,
            "depot/audit.py": """
                from depot.storage import Shelf


                def low_stock(shelf: Shelf, below: int) -> list[str]:
                    '''Return the SKUs on the shelf whose quantity is below the limit.'''
                """,
        }
    )
    result = lookup(root, "depot/audit.py", "def low_stock")
    found = by_name(result)
    assert list(found) == ["Shelf", "Bin", "Item", "Category"], result
    assert "qty: int" in found["Item"].text and found["Item"].module == "depot.items"
    deeper = {found[name].relevance for name in ("Bin", "Item", "Category")}
    assert deeper == {RELEVANCE_FIELD_TYPE}
    assert "Origin" not in result.looked_up  # a fourth level is not followed
    assert not result.unresolved and not result.timed_out


def test_an_imported_classs_field_types_are_shown(write: Write) -> None:
    # The file imports Item for its own code; the function's docstring never names it. A body
    # that reads items needs Category too, which the file does not import.
    root = write(
        {
            "shop/__init__.py": "",
            "shop/kinds.py": """
                from enum import Enum


                class Category(Enum):
                    FOOD = "food"
                """,
            "shop/items.py": """
                from dataclasses import dataclass

                from shop.kinds import Category


                @dataclass
                class Item:
                    sku: str
                    category: Category
                """,
            "shop/report.py": """
                from shop.items import Item

                ALL: list[Item] = []


                def food_count() -> int:
                    '''Return how many of ALL are food.'''
                """,
        }
    )
    result = lookup(root, "shop/report.py", "def food_count")
    found = by_name(result)
    assert list(found) == ["Item", "Category"], result
    assert found["Item"].relevance == RELEVANCE_IMPORTED
    assert found["Category"].relevance == RELEVANCE_FIELD_TYPE


def test_a_helper_called_in_the_docstring_example(write: Write) -> None:
    root = write(
        {
            "survey/__init__.py": "",
            "survey/units.py": '''
                FEET_IN_A_METRE = 3.28084


                def to_metres(feet: float, *, rounding: int = 2) -> float:
                    """Convert a length in feet to metres.

                    Rounds to ``rounding`` decimals.
                    """
                    SECRET_UNITS_BODY = feet / FEET_IN_A_METRE
                    return round(SECRET_UNITS_BODY, rounding)
                ''',
            "survey/walk.py": '''
                from survey import units
                from survey.units import to_metres


                def walked(steps: list[float]) -> float:
                    """Return the distance walked, in feet.

                    >>> to_metres(walked([1.5,
                    ...                   2.5]))
                    1.22
                    >>> units.FEET_IN_A_METRE > 3
                    True
                    """
                ''',
        }
    )
    result = lookup(root, "survey/walk.py", "def walked")
    found = by_name(result)
    helper = found["to_metres"]
    assert (helper.kind, helper.relevance) == ("function", RELEVANCE_EXAMPLE)
    assert helper.text == (
        "# from survey.units\n"
        "def to_metres(feet: float, *, rounding: int=2) -> float:\n"
        '    """Convert a length in feet to metres.\n'
        "\n"
        "    Rounds to ``rounding`` decimals.\n"
        '    """\n'
        "    ..."
    )
    # Through a module attribute in the example, and a constant shown as its assignment.
    constant = found["units.FEET_IN_A_METRE"]
    assert constant.kind == "constant" and constant.text.endswith("\nFEET_IN_A_METRE = 3.28084")


def test_a_src_layout_needs_the_extra_import_dir(write: Write) -> None:
    root = write(
        {
            "src/ledger/__init__.py": "",
            "src/ledger/accounts.py": '''
                class Account:
                    """A customer account."""

                    def __init__(self, owner: str) -> None:
                        self.owner = owner
                        self.balance_cents = 0
                        if owner:
                            self.history: list[int] = []

                    def deposit(self, cents: int) -> None:
                        self.balance_cents += cents
                ''',
            "scripts/report.py": '''
                from ledger.accounts import Account


                def summary(account: Account) -> str:
                    """One line about the account."""
                ''',
        }
    )
    result = lookup(root, "scripts/report.py", "def summary", sys_path=[str(root / "src")])
    (account,) = result.definitions
    assert account.module == "ledger.accounts"
    assert "self.owner: str\n" in account.text and "self.balance_cents" in account.text
    assert "self.history: list[int]" in account.text  # assigned under an `if`, annotated
    # A method that writes untyped state shows its writes: they say what the state holds.
    assert "def deposit(self, cents: int) -> None:\n        self.balance_cents += cents" in (
        account.text
    )
    # Without it, jedi cannot import the package from the script's folder.
    assert lookup(root, "scripts/report.py", "def summary").unresolved == ["Account"]


def test_a_method_sees_its_own_class(write: Write) -> None:
    root = write(
        {
            "shop/__init__.py": "",
            "shop/basket.py": '''
                class Basket:
                    """Items a customer is about to buy."""

                    TAX = 0.2

                    def __init__(self, customer: str) -> None:
                        self.customer = customer
                        self.items: dict[str, int] = {}
                        self.prices = {}

                    def add(self, sku: str, count: int = 1) -> None:
                        SECRET_ADD_BODY = self.items.get(sku, 0) + count
                        self.items[sku] = SECRET_ADD_BODY

                    def total(self) -> float:
                        """Price of everything, with tax."""


                def unrelated() -> None:
                    pass
                ''',
        }
    )
    result = lookup(root, "shop/basket.py", "def total")
    (own,) = result.definitions
    assert (own.name, own.kind, own.relevance) == ("Basket", "class", RELEVANCE_OWN_CLASS)
    assert own.module == "shop.basket" and own.text.startswith("# from shop.basket\n")
    assert "    TAX = 0.2\n" in own.text
    assert "        self.customer: str\n        self.items: dict[str, int]\n" in own.text
    assert "self.prices" in own.text
    assert "def add(self, sku: str, count: int=1) -> None: ..." in own.text
    assert "SECRET_ADD_BODY" not in own.text
    assert "def total" not in own.text  # the method being written is shown by itself


def test_a_method_sees_its_base_class_from_another_file(write: Write) -> None:
    root = write(
        {
            "shapes/__init__.py": "",
            "shapes/base.py": '''
                class Shape:
                    """Something with an outline."""

                    def __init__(self, name: str, sides: int) -> None:
                        self.name = name
                        self.sides = sides

                    def area(self) -> float:
                        raise NotImplementedError("SECRET_AREA_BODY")
                ''',
            "shapes/square.py": '''
                from .base import Shape


                class Square(Shape):
                    def __init__(self, side: float) -> None:
                        super().__init__("square", 4)
                        self.side = side

                    def describe(self) -> str:
                        """Say what this is, e.g. "square with 4 sides of 2.0"."""
                ''',
        }
    )
    result = lookup(root, "shapes/square.py", "def describe")
    own, base = result.definitions
    assert own.name == "Square" and "self.side" in own.text
    assert (base.name, base.module, base.relevance) == ("Shape", "shapes.base", RELEVANCE_BASE)
    assert "self.name" in base.text and "self.sides" in base.text
    assert "def area(self) -> float: ..." in base.text
    assert "SECRET_AREA_BODY" not in base.text


def test_relative_imports_and_module_attributes(write: Write) -> None:
    root = write(
        {
            **SHAPES,
            "shapes/ops.py": '''
                from typing import Literal

                from . import geometry
                from .geometry import Pt


                def centre(
                    points: "list[Pt]", how: Literal["mean", "Pt"] = "mean", label: str = "Pt"
                ) -> geometry.Vec:
                    """Return the vector from the origin to the middle of points."""
                ''',
        }
    )
    result = lookup(root, "shapes/ops.py", "def centre")
    found = by_name(result)
    assert set(found) == {"Pt", "geometry.Vec"}  # a forward reference, a dotted annotation
    assert found["geometry.Vec"].module == "shapes.geometry"
    assert "east: float" in found["Pt"].text
    assert "geometry" in result.looked_up and "geometry" not in result.unresolved
    # Literal values and string defaults are not names.
    assert result.looked_up == ["geometry", "geometry.Vec", "Pt"]  # not typing's Literal
    assert result.unresolved == []


def test_the_budget_keeps_the_most_relevant(write: Write) -> None:
    root = write(SHAPES)
    full = lookup(root, "shapes/ops.py", "def move_all")
    pt = by_name(full)["Pt"]
    tight = lookup(root, "shapes/ops.py", "def move_all", budget_tokens=estimate_tokens(pt.text))
    assert [d.name for d in tight.definitions] == ["Pt"]
    assert tight.tokens == estimate_tokens(pt.text)
    assert lookup(root, "shapes/ops.py", "def move_all", budget_tokens=10).definitions == []


def test_a_definition_too_big_for_the_budget_leaves_room_for_a_smaller_one(write: Write) -> None:
    fields = "".join(f"    field_{i}: int = {i}\n" for i in range(40))
    root = write(
        {
            "big/__init__.py": "",
            "big/models.py": "class Huge:\n" + fields + "\n\ndef tiny() -> int:\n    return 1\n",
            "big/use.py": '''
                from big.models import Huge, tiny


                def f(h: Huge) -> int:
                    """Use h.

                    >>> f(Huge()) == tiny()
                    True
                    """
                ''',
        }
    )
    full = lookup(root, "big/use.py", "def f")
    assert [(d.name, d.relevance) for d in full.definitions] == [
        ("Huge", RELEVANCE_SIGNATURE),
        ("tiny", RELEVANCE_EXAMPLE),
    ]
    small = estimate_tokens(full.definitions[1].text)
    assert small < estimate_tokens(full.definitions[0].text)
    squeezed = lookup(root, "big/use.py", "def f", budget_tokens=small)
    assert [d.name for d in squeezed.definitions] == ["tiny"]
    assert squeezed.tokens <= small


def test_a_long_class_and_constant_are_cut(write: Write) -> None:
    methods = "".join(f"    def m{i}(self) -> int:\n        return {i}\n" for i in range(100))
    root = write(
        {
            "lots/__init__.py": "",
            "lots/defs.py": (
                "class Many:\n"
                + methods
                + "\n\nTABLE = ["
                + ", ".join(map(str, range(300)))
                + "]\n"
            ),
            "lots/use.py": '''
                from lots.defs import TABLE, Many


                def f(m: Many, table: list[int] = TABLE) -> int:
                    """Sum."""
                ''',
        }
    )
    found = by_name(lookup(root, "lots/use.py", "def f", budget_tokens=10_000))
    many = found["Many"].text.splitlines()
    assert many[-1] == f"    # ... {100 - summaries.MAX_CLASS_MEMBERS} more lines"
    table = found["TABLE"]
    assert table.kind == "constant" and table.text.endswith(" ...  # (value cut)")
    assert len(table.text.splitlines()[1]) < summaries.MAX_LINE_CHARS + 20


def test_the_time_box(write: Write, caplog: pytest.LogCaptureFixture) -> None:
    root = write(SHAPES)
    caplog.set_level(logging.INFO, logger="codegen_lsp.crossfile")
    started = time.monotonic()
    result = lookup(root, "shapes/ops.py", "def move_all", timeout_s=0)
    assert time.monotonic() - started < 1.0
    assert result.timed_out and result.definitions == [] and result.looked_up == []
    assert "not tried: Pt, Vec" in caplog.text
    assert result.not_tried == ["Pt", "Vec", "move_all"]  # the signature's, then the example's


def test_standard_library_and_third_party_names_are_left_out(write: Write) -> None:
    pytest.importorskip("numpy")
    root = write(
        {
            **SHAPES,
            "shapes/io.py": '''
                import json
                from pathlib import Path

                import numpy as np
                from numpy import ndarray

                from shapes.geometry import Pt


                def load(path: Path, grid: ndarray, scale: np.float64) -> list[Pt]:
                    """Read points from a JSON file, as json.load and Path.open do."""
                ''',
        }
    )
    result = lookup(root, "shapes/io.py", "def load")
    assert [d.name for d in result.definitions] == ["Pt"]
    assert {"ndarray", "np.float64"} <= set(result.unresolved)  # jedi places them outside
    assert "list" not in result.looked_up  # builtins are not even asked about
    # Nor are the standard library's names: `Path` in the signature, `json` in the docstring.
    assert "Path" not in result.looked_up and "json" not in result.looked_up


def test_a_project_module_named_as_a_standard_one_is_looked_up(write: Write) -> None:
    # The project's own `calendar` package shadows the standard one on its sys.path.
    root = write(
        {
            "calendar/__init__.py": "",
            "calendar/events.py": """
                import datetime
                from dataclasses import dataclass


                @dataclass
                class Event:
                    title: str
                    day: datetime.date
                """,
            "app/__init__.py": "",
            "app/plan.py": """
                from datetime import date

                from calendar.events import Event


                def earliest(events: list[Event], day: date) -> Event:
                    '''Return the earliest event.'''
                """,
        }
    )
    result = lookup(root, "app/plan.py", "def earliest")
    assert [d.name for d in result.definitions] == ["Event"], result
    assert "date" not in result.looked_up  # datetime is no project folder
    assert "datetime" not in result.looked_up  # nor in Event's file, where a field uses it


def test_names_from_the_current_file_are_left_out(write: Write) -> None:
    root = write(
        {
            "one.py": '''
                class Local:
                    x: int


                def helper(v: Local) -> int:
                    return v.x


                def f(v: Local) -> int:
                    """Double helper's result.

                    >>> f(Local())
                    """
                ''',
        }
    )
    result = lookup(root, "one.py", "def f(")
    assert result.definitions == [] and result.unresolved == []
    assert result.looked_up == ["Local", "f"]


def test_a_file_being_edited(write: Write) -> None:
    root = write(SHAPES)
    source = (
        "from shapes.geometry import Pt, Vec\n\n\n"
        "class Path:\n"
        "    def __init__(self) -> None:\n"
        "        self.points: list[Pt] = []\n\n"
        "    def moved(self, v: Vec) -> 'Path':\n"
        '        """A copy moved by v."""\n\n\n'
        "broken = (1,\n"
    )
    path = root / "shapes/track.py"
    ctx = function_at(source, "def moved")
    result = cross_file_context(source, str(path), ctx, project_root=str(root), timeout_s=SLOW_OK)
    found = by_name(result)
    assert "self.points: list[Pt]" in found["Path"].text
    assert "dy: float" in found["Vec"].text


def test_the_docstring_names_imports(write: Write) -> None:
    root = write(
        {
            **SHAPES,
            "shapes/ops.py": '''
                from shapes.geometry import Pt, Vec


                def far(points):
                    """Return the Pt furthest north, ignoring Vec and Unknown."""
                ''',
        }
    )
    result = lookup(root, "shapes/ops.py", "def far")
    assert [(d.name, d.relevance) for d in result.definitions] == [
        ("Pt", RELEVANCE_DOCSTRING),
        ("Vec", RELEVANCE_DOCSTRING),
    ]
    assert result.looked_up == ["Pt", "Vec"]  # only words the file imports


def test_helpers_the_file_imports_come_last_even_when_nothing_names_them(write: Write) -> None:
    # The stub names its types; the helper its body should call is only in the file's imports.
    root = write(
        {
            **SHAPES,
            "shapes/money.py": '''
                VAT_RATE = 0.2


                def with_vat(cents: int) -> int:
                    """Add VAT to a price in cents, rounding half up."""
                    SECRET_VAT_BODY = cents + (cents * 2 + 5) // 10
                    return SECRET_VAT_BODY
            ''',
            "shapes/ops.py": '''
                import math

                from shapes.geometry import Pt
                from shapes.money import VAT_RATE, with_vat


                def toll(start: Pt, end: Pt) -> int:
                    """The toll in cents, VAT included, for the distance from start to end."""
                ''',
        }
    )
    result = lookup(root, "shapes/ops.py", "def toll")
    assert [(d.name, d.relevance) for d in result.definitions] == [
        ("Pt", RELEVANCE_SIGNATURE),
        ("VAT_RATE", RELEVANCE_IMPORTED),
        ("with_vat", RELEVANCE_IMPORTED),
    ]  # math is the standard library's: the model knows it
    helper = by_name(result)["with_vat"].text
    assert "def with_vat(cents: int) -> int:" in helper and "rounding half up" in helper
    assert "SECRET_VAT_BODY" not in helper  # a signature and docstring, never the body


def test_names_the_prose_marks_as_code_are_searched_in_the_project(write: Write) -> None:
    # Real libraries cross-reference siblings they never import into the file (more-itertools'
    # "Like :func:`roundrobin`"); the project's search finds them.
    root = write(
        {
            **SHAPES,
            "shapes/recipes.py": '''
                def roundrobin(*iterables):
                    """Visit the iterables in turn, one item from each."""
                    return []


                def _private_helper():
                    """Not mentioned anywhere."""
            ''',
            "shapes/ops.py": '''
                def interleave(*iterables):
                    """Like :func:`roundrobin`, but stops at the shortest; see ``Pt`` and `Vec`.

                    Also mentions `nothing_by_that_name` and plain words like roundrobin.
                    """
                ''',
        }
    )
    result = lookup(root, "shapes/ops.py", "def interleave")
    assert [(d.name, d.relevance) for d in result.definitions] == [
        ("roundrobin", RELEVANCE_PROSE),
        ("Pt", RELEVANCE_PROSE),
        ("Vec", RELEVANCE_PROSE),
    ]
    assert "def roundrobin(*iterables):" in by_name(result)["roundrobin"].text
    assert "return []" not in by_name(result)["roundrobin"].text  # never a body
    assert result.unresolved == ["nothing_by_that_name"]


def test_the_projects_own_interpreter(write: Write) -> None:
    root = write(
        {
            "lib_src/inventory/__init__.py": "",
            "lib_src/inventory/items.py": """
                from typing import NamedTuple


                class Item(NamedTuple):
                    sku: str
                    grams: int
                """,
            "scripts/weigh.py": '''
                from inventory.items import Item
                from thirdlib import Widget


                def weigh(items: list[Item], scale: Widget) -> int:
                    """Total grams."""
                ''',
        }
    )
    python, purelib = bare_venv(root / ".venv")
    # An editable install of the project's library, as pip writes it, and a third-party
    # package installed in the venv (inside the project root, but a library all the same).
    (Path(purelib) / "inventory.pth").write_text(str(root / "lib_src") + "\n")
    (Path(purelib) / "thirdlib").mkdir()
    (Path(purelib) / "thirdlib" / "__init__.py").write_text("class Widget:\n    size: int\n")

    result = lookup(root, "scripts/weigh.py", "def weigh", interpreter=str(python))
    (item,) = result.definitions
    assert item.module == "inventory.items" and "sku: str\n    grams: int" in item.text
    assert result.unresolved == ["Widget"]
    # The server's own interpreter knows neither.
    plain = lookup(root, "scripts/weigh.py", "def weigh")
    assert plain.definitions == [] and plain.unresolved == ["Item", "Widget"]


def test_the_projects_own_copy_is_shown_where_the_environment_imports_another_checkout(
    write: Write, tmp_path: Path
) -> None:
    # A user's venv had an editable install made in another checkout of the same project:
    # jedi found `tally.kinds` there, outside the project, nothing was shown, and every
    # sample guessed `entry.amount`. The sandbox imports the project's own copy (its folders
    # come first), so that is the one to show, wherever its lines are.
    root = write(
        {
            "src/tally/__init__.py": "",
            "src/tally/kinds.py": """
                from typing import NamedTuple


                class Entry(NamedTuple):
                    payer: str
                    amount_cents: int
                """,
            "src/tally/accounts.py": '''
                from tally.kinds import Entry


                def total(entries: list[Entry]) -> int:
                    """Sum the amounts."""
                ''',
        }
    )
    other = tmp_path / "other-checkout" / "src" / "tally"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("")
    (other / "kinds.py").write_text(
        '"""An older copy."""\n\nfrom __future__ import annotations\n\n\n'
        "class Entry:\n    payer: str\n    amount: int\n"
    )
    python, purelib = bare_venv(root / ".venv")
    (Path(purelib) / "__editable__.tally-0.1.0.pth").write_text(str(other.parent) + "\n")
    result = lookup(
        root,
        "src/tally/accounts.py",
        "def total",
        interpreter=str(python),
        sys_path=[str(root / "src")],
    )
    (entry,) = result.definitions
    assert entry.path == str((root / "src/tally/kinds.py").resolve())
    assert "amount_cents: int" in entry.text and "amount: int" not in entry.text


def test_a_missing_interpreter_falls_back(write: Write, caplog: pytest.LogCaptureFixture) -> None:
    root = write(SHAPES)
    missing = str(root / "no-such-venv" / "bin" / "python")
    with caplog.at_level(logging.WARNING, logger="codegen_lsp.crossfile"):
        result = lookup(root, "shapes/ops.py", "def move_all", interpreter=missing)
    assert [d.name for d in result.definitions] == ["Pt", "Vec"]
    assert any(
        r.levelno == logging.WARNING and missing in r.getMessage() for r in caplog.records
    ), caplog.text


def test_a_missing_project_root_yields_nothing(tmp_path: Path) -> None:
    source = "from shapes.geometry import Pt\n\n\ndef f(p: Pt) -> None:\n    '''Doc.'''\n"
    result = cross_file_context(
        source,
        str(tmp_path / "gone" / "f.py"),
        function_at(source, "def f"),
        project_root=str(tmp_path / "gone"),
        timeout_s=SLOW_OK,
    )
    assert result.definitions == [] and result.unresolved == ["Pt"]


class PromptEngine:
    """The two prompt capabilities of an engine, with plain-text templates."""

    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        return "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>"

    def fim_tokens(self) -> tuple[str, str, str] | None:
        return ("<PRE>", "<SUF>", "<MID>")


def test_the_definitions_come_first_in_every_prompt(write: Write) -> None:
    root = write(SHAPES)
    path = root / "shapes/ops.py"
    source = path.read_text()
    ctx = function_at(source, "def move_all")
    found = cross_file_context(source, str(path), ctx, project_root=str(root), timeout_s=SLOW_OK)
    with_definitions = dataclasses.replace(ctx, definitions=found.texts())
    block = context_block(with_definitions)
    assert block.startswith("# from shapes.geometry\n@dataclass\nclass Pt:")
    order = [
        "north: float",
        "self.dx",
        "from shapes.geometry import Pt, Vec",
        "def move_all(points: list[Pt], v: Vec) -> list[Pt]:",
    ]
    positions = [block.index(part) for part in order]
    assert positions == sorted(positions), block
    engine = PromptEngine()
    for fmt in ("raw", "chat", "fim"):
        text = build_prompt(with_definitions, fmt, engine).text
        assert text.index("east: float") < text.index("def move_all("), fmt
    assert build_prompt(with_definitions, "fim", engine).text.startswith(
        "<PRE># from shapes.geometry\n"
    )
    assert "# from" not in context_block(ctx)  # nothing when the pipeline found nothing


def test_a_hung_interpreter_falls_back(
    write: Write, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(SHAPES)
    hung = root / "python-wrapper"
    hung.write_text("#!/bin/sh\nsleep 5 &\nexec sleep 30\n")  # a child keeps running
    hung.chmod(0o755)
    monkeypatch.setattr(crossfile, "PROBE_TIMEOUT_S", 0.5)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="codegen_lsp.crossfile"):
        result = lookup(root, "shapes/ops.py", "def move_all", interpreter=str(hung))
    assert time.monotonic() - started < 10
    assert [d.name for d in result.definitions] == ["Pt", "Vec"]
    assert str(hung) in caplog.text and "timed out" in caplog.text


def test_concurrent_requests_share_one_jedi(write: Write) -> None:
    root = write(SHAPES)
    results: list[CrossFileContext] = []

    def one() -> None:
        results.append(lookup(root, "shapes/ops.py", "def move_all"))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SLOW_OK)
    assert len(results) == 4
    assert all([d.name for d in r.definitions] == ["Pt", "Vec"] for r in results)


def test_the_chat_answer_starts_with_the_function_alone(write: Write) -> None:
    # Reference material (other files' definitions, same-file helpers, all `...` stubs) goes in
    # the request; the answer the model continues holds the imports and the function only, so
    # that it does not continue the stubs' pattern with one more `...`.
    root = write(SHAPES)
    path = root / "shapes/ops.py"
    source = path.read_text() + '\n\ndef helper(x: int) -> int:\n    """Help."""\n    return x\n'
    ctx = function_at(source, "def move_all")
    found = cross_file_context(source, str(path), ctx, project_root=str(root), timeout_s=SLOW_OK)
    with_definitions = dataclasses.replace(ctx, definitions=found.texts())
    assert with_definitions.helpers
    text = build_prompt(with_definitions, "chat", PromptEngine()).text
    request, answer = text.split("<assistant>")
    assert "bodies omitted" in request and "class Pt" in request and "def helper(" in request
    assert answer.startswith("```python\nfrom shapes.geometry import Pt, Vec")
    assert "class Pt" not in answer and "def helper(" not in answer and "..." not in answer
    assert answer.rstrip().endswith('"""')
