"""The project's classes as drawn inputs: constructor calls as source, run in the sandbox."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from codegen_lsp import builds, execution, inputs
from codegen_lsp.context import FunctionContext, find_function
from codegen_lsp.outcomes import GenerationResult
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.project import find_project
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.settings import SandboxSettings, Settings
from support.probing import behaviours
from support.scripted_model import (
    Reply,
    ScriptedModel,
    asking_for_tests,
    body,
    implement_scripted,
    implementing,
    proposing,
    proposing_method,
)

SHOP = '''from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar


class Colour(Enum):
    RED = 1
    BLUE = 2


@dataclass
class Item:
    sku: str
    unit_price_cents: int
    qty: int = 1
    colour: Colour = Colour.RED
    kind: ClassVar[str] = "item"
    cached: int = field(default=0, init=False)


class Basket:
    def __init__(self, owner: str, items: list[Item], note: str = "") -> None:
        self.owner = owner
        self.items = items


def invoice_total(items: list[Item], basket: Basket, colour: Colour) -> int:
    """Total price of the items of this colour, in cents."""
'''


def function(source: str) -> FunctionContext:
    lines = source.splitlines()
    line = next(i for i, text in enumerate(lines) if text.startswith(("def ", "async def ")))
    return find_function(source, line)


def constructed(call: str) -> list[ast.Call]:
    return [n for n in ast.walk(ast.parse(call)) if isinstance(n, ast.Call)]


def test_dataclasses_enums_and_init_classes_are_built_through_their_constructors() -> None:
    ctx = function(SHOP)
    calls = inputs.signature_calls(ctx, count=12, classes=builds.class_builds(ctx))
    assert len(calls) == 12
    built = [c for call in calls for c in constructed(call)[1:]]
    items = [c for c in built if ast.unparse(c.func) == "Item"]
    baskets = [c for c in built if ast.unparse(c.func) == "Basket"]
    assert items and baskets
    # By keyword; a ClassVar and an init=False field are not the constructor's to take.
    assert {k.arg for c in items for k in c.keywords} == {
        "sku",
        "unit_price_cents",
        "qty",
        "colour",
    }
    # A hinted __init__ parameter with a default is drawn too, as a defaulted field is.
    assert {k.arg for c in baskets for k in c.keywords} == {"owner", "items", "note"}
    assert all(call.rsplit(", ", 1)[1] in ("Colour.RED)", "Colour.BLUE)") for call in calls)
    # Deterministic: the same function and seed draw the same calls.
    assert inputs.signature_calls(ctx, count=12, classes=builds.class_builds(ctx)) == calls


def test_the_drawn_constructor_calls_run_in_the_sandbox() -> None:
    ctx = function(SHOP)
    calls = execution.probe_calls(ctx, _drawn_only(), lambda: [])[0]
    assert calls, "the project's classes were not built"
    body = (
        "    return sum(i.unit_price_cents * i.qty for i in items if i.colour == colour)"
        " + len(basket.items)\n"
    )
    assert returned_types(ctx, body, calls) == {"int"}


def returned_types(ctx: FunctionContext, body: str, calls: list[str]) -> set[str]:
    """Run ``body`` on ``calls`` in the sandbox; assert none raised; return the types returned."""
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        run = sandbox.run(ctx.module_with_body(body), ctx.name, inputs.probe_examples(calls))
    assert run.error is None
    assert [r.exception for r in run.results] == [None] * len(calls)
    return {r.actual_type for r in run.results if r.actual_type is not None}


LEDGER = '''from decimal import Decimal
from typing import Annotated, Literal, NewType, NotRequired, TypeAlias, TypedDict

Kind = Literal["debit", "credit"]
Cents: TypeAlias = "int"
AccountId = NewType("AccountId", int)
Tags = list[str] | None


class Entry(TypedDict):
    day: str
    amount: Decimal
    kind: Kind
    account: AccountId
    memo: NotRequired[Annotated[str, "free text"]]
    tags: Tags


def signed(entry: Entry, floor: Cents) -> Decimal:
    """Return the entry's amount, negative for a debit."""
'''


def test_type_aliases_and_typed_dicts_are_drawn_and_run_in_the_sandbox() -> None:
    # `kind: Kind` where `Kind = Literal[...]`: without the alias read, Entry could not be
    # built, and a function taking entries got no drawn inputs at all.
    ctx = function(LEDGER)
    calls = execution.probe_calls(ctx, _drawn_only(), lambda: [])[0]
    assert calls, "the aliases were not read"
    entries = [c for call in calls for c in constructed(call) if ast.unparse(c.func) == "Entry"]
    kinds = {ast.literal_eval(k.value) for c in entries for k in c.keywords if k.arg == "kind"}
    assert kinds == {"debit", "credit"}
    floors = [ast.literal_eval(constructed(call)[0].args[1]) for call in calls]
    assert all(isinstance(floor, int) for floor in floors)
    body = (
        '    assert isinstance(entry, dict) and isinstance(entry["account"], int)\n'
        '    assert entry["tags"] is None or all(isinstance(t, str) for t in entry["tags"])\n'
        '    return -entry["amount"] if entry["kind"] == "debit" else entry["amount"]\n'
    )
    assert returned_types(ctx, body, calls) == {"decimal.Decimal"}


def test_an_alias_shown_from_another_file_is_drawn_as_its_value() -> None:
    source = (
        "from ledger.models import Entry\n\n\n"
        'def signed(entry: Entry) -> int:\n    """Return the amount."""\n'
    )
    shown = [
        "# from ledger.models\nclass Entry(TypedDict):\n    amount: int\n    kind: Kind",
        '# from ledger.models\nKind = Literal["debit", "credit"]',
    ]
    ctx = dataclasses.replace(function(source), definitions=shown)
    calls = inputs.signature_calls(ctx, count=6, classes=builds.class_builds(ctx))
    assert calls and all("kind='debit'" in c or "kind='credit'" in c for c in calls)
    # Not a type: a plain constant or a call stays unread, and the class cannot be built.
    for value in ("'debit'", "make_kind()", "Literal[Colour.RED]"):
        other = dataclasses.replace(ctx, definitions=[shown[0], f"Kind = {value}"])
        assert inputs.signature_calls(other, classes=builds.class_builds(other)) == []
    # A field with a default whose hint cannot be drawn keeps its default; the rest is drawn.
    source = (
        "from dataclasses import dataclass\nfrom enum import Enum\nfrom typing import Literal\n"
        "\n\nclass Colour(Enum):\n    RED = 1\n\n\n@dataclass\nclass Tag:\n    name: str\n"
        "    colour: Literal[Colour.RED] = Colour.RED\n\n\n"
        'def label(tag: Tag) -> str:\n    """Name the tag."""\n'
    )
    ctx = function(source)
    calls = inputs.signature_calls(ctx, count=4, classes=builds.class_builds(ctx))
    assert calls and all(c.startswith("label(Tag(name=") and "colour" not in c for c in calls)


PARSED = '''from decimal import Decimal
from typing import TypedDict


class Entry(TypedDict):
    day: str
    amount: Decimal


def parse(line: str) -> Entry:
    """Parse "2024-03-01;12.50" into an entry."""
'''


def test_a_typed_dict_return_is_a_dict_whose_keys_are_its_fields() -> None:
    # `-> Entry` where Entry is a TypedDict: a dict at run time. A tuple is the wrong type; a
    # dict whose amount is a float is wrongly filled, as a dataclass's field would be.
    ctx = function(PARSED)
    assert builds.return_types(ctx) == {"dict"}
    fields = builds.return_fields(ctx)
    assert fields[:3] == ("Entry", {"day": {"str"}, "amount": {"decimal.Decimal"}}, "dict")
    split = "    day, amount = line.split(';')\n"
    bodies = {
        "right": split + "    return {'day': day, 'amount': Decimal(amount)}\n",
        "tuple": split + "    return (day, Decimal(amount))\n",
        "float": split + "    return {'day': day, 'amount': float(amount)}\n",
    }
    calls = ["parse('2024-03-01;12.50')", "parse('x;1')"]
    ran = behaviours(ctx, bodies, calls, builds.return_types(ctx), fields)
    assert {name: share for name, (_, share) in ran.items()} == {
        "right": 0.0,
        "tuple": 1.0,
        "float": 1.0,
    }
    # Optional: None is allowed too; a plain dict annotation is read as before.
    optional = function(PARSED.replace("-> Entry:", "-> Entry | None:"))
    assert builds.return_types(optional) == {"dict", "NoneType"}
    assert builds.return_types(function(PARSED.replace("-> Entry:", "-> dict:"))) == {"dict"}


def _write_project(root: Path, name: str, files: dict[str, str]) -> None:
    """Write a project named ``name`` with ``files`` (relative path to text) under ``root``."""
    (root / "pyproject.toml").write_text(f"[project]\nname = '{name}'\n", encoding="utf-8")
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")


def _drawn_only() -> Settings:
    settings = Settings()
    settings.ranking.proposed_inputs = False
    return settings


@pytest.mark.parametrize(
    "source",
    [
        # The constructor comes from a base this file does not show.
        "class Special(dict):\n    pass\n",
        # A constructor parameter without a hint.
        "class Pair:\n    def __init__(self, left, right: int) -> None:\n        self.x = left\n",
        # An Enum without members.
        "from enum import Enum\n\n\nclass Empty(Enum):\n    pass\n",
        # A class that holds itself, deeper than MAX_DEPTH.
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Node:\n    child: 'Node'\n",
    ],
)
def test_a_class_that_cannot_be_built_means_no_drawn_calls(source: str) -> None:
    name = next(n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef))
    ctx = function(f'{source}\n\ndef use(value: {name}) -> int:\n    """Use it."""\n')
    assert inputs.signature_calls(ctx, classes=builds.class_builds(ctx)) == []


def test_only_classes_the_module_can_name_are_built() -> None:
    ctx = function('def move(p: Pt) -> Pt:\n    """Move p."""\n')
    assert inputs.signature_calls(ctx, classes=builds.class_builds(ctx)) == []
    # Shown by cross-file context: the module names it in the annotation (which is evaluated
    # when the function is defined, so the module must bind it), and so it is built.
    shown = dataclasses.replace(
        ctx, definitions=["@dataclass\nclass Pt:\n    east: float\n    north: float"]
    )
    assert shown.module_source.count("Pt") and inputs.signature_calls(
        shown, classes=builds.class_builds(shown)
    )
    # A class the module never names is not built, even when the prompt showed it.
    hidden = dataclasses.replace(shown, definitions=["@dataclass\nclass Other:\n    east: float\n"])
    assert inputs.signature_calls(hidden, classes=builds.class_builds(hidden)) == []


def test_a_class_from_another_module_is_built_from_the_definition_the_prompt_showed() -> None:
    source = (
        'from shapes.geometry import Pt\n\n\ndef norm(p: Pt) -> float:\n    """Length of p."""\n'
    )
    ctx = dataclasses.replace(
        function(source),
        definitions=["@dataclass\nclass Pt:\n    east: float\n    north: float"],
    )
    calls = inputs.signature_calls(ctx, count=5, classes=builds.class_builds(ctx))
    assert calls and all(call.startswith("norm(Pt(east=") and "north=" in call for call in calls)


CART = '''from dataclasses import dataclass


@dataclass
class Item:
    sku: str
    qty: int = 1


class Cart:
    def __init__(self, owner: str) -> None:
        self.owner: str = owner
        self.lines: list[Item] = []
        self._seen: set[str] = set()
        self.note = ""

    def add(self, item: Item) -> None:
        self.lines.append(item)


def units(cart: Cart) -> int:
    """How many units the cart holds."""
'''


def test_attributes_init_declares_but_takes_no_parameter_for_are_drawn_too() -> None:
    # Built through the constructor alone, every cart is empty and every candidate agrees on it.
    ctx = function(CART)
    calls = inputs.signature_calls(ctx, count=12, classes=builds.class_builds(ctx))
    assert calls and all("setattr(o, 'lines', [" in call for call in calls)
    assert not any("owner'" in call or "_seen" in call or "'note'" in call for call in calls)
    carts = [c for call in calls for c in constructed(call) if ast.unparse(c.func) == "Cart"]
    assert {k.arg for c in carts for k in c.keywords} == {"owner"}
    assert any("Item(sku=" in call for call in calls), "no cart holds an item"
    body = "    return sum(line.qty for line in cart.lines) + len(cart.owner) * 0\n"
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        run = sandbox.run(ctx.module_with_body(body), "units", inputs.probe_examples(calls))
    assert run.error is None and [r.exception for r in run.results] == [None] * len(calls)
    assert len({r.actual_repr for r in run.results}) > 1, "the drawn carts all hold the same units"


PREFIX = (
    'from shop.items import Item\n\n\ndef prefix(items: list[Item]) -> str:\n    """Common."""\n'
)
"""A module that imports Item, but not the Enum its defaulted field is typed with."""


def test_a_defaulted_field_of_a_type_the_module_cannot_name_keeps_its_default() -> None:
    # As in a real shop: `category: Category = Category.TOOLS`, where the function's module
    # imports Item but not Category. The rest of Item is still drawn; category stays default.
    item = (
        "@dataclass\nclass Item:\n    sku: str\n    unit_price_cents: int\n    qty: int = 1\n"
        "    category: Category = Category.TOOLS"
    )
    ctx = dataclasses.replace(function(PREFIX), definitions=[item])
    calls = inputs.signature_calls(ctx, count=8, classes=builds.class_builds(ctx))
    built = [c for call in calls for c in constructed(call)[1:]]
    assert built, calls
    assert {k.arg for c in built for k in c.keywords} == {"sku", "unit_price_cents", "qty"}
    # A field without a default that cannot be built still means no drawn calls.
    required = item.replace(" = Category.TOOLS", "")
    ctx = dataclasses.replace(function(PREFIX), definitions=[required])
    assert inputs.signature_calls(ctx, classes=builds.class_builds(ctx)) == []


def test_a_proposed_call_that_spells_out_an_unnameable_default_is_kept_without_it() -> None:
    item = (
        "@dataclass\nclass Item:\n    sku: str\n    qty: int = 1\n"
        "    category: Category = Category.TOOLS\n    tags: list = field(default_factory=list)"
    )
    ctx = dataclasses.replace(function(PREFIX), definitions=[item])
    reply = (
        "assert prefix([Item(sku='ab', qty=1, category=Category.TOOLS)]) == 'ab'\n"
        "assert prefix([Item(sku='ab', category=Category.FOOD)]) == 'ab'\n"
    )
    defaults = builds.field_defaults(ctx)
    assert defaults == {"Item": {"qty": "1", "category": "Category.TOOLS"}}
    found = inputs.proposed_calls(
        reply, "prefix", constructors=frozenset({"Item"}), defaults=defaults
    )
    # The default is left out (the constructor fills it in); `qty=1` is data and stays. Another
    # member than the default cannot be left out, and the module cannot name it: not kept.
    assert found == ["prefix([Item(sku='ab', qty=1)])"]
    assert inputs.proposed_calls(reply, "prefix", constructors=frozenset({"Item"})) == []
    # The pipeline asks the model and reads its reply this way.
    model = ScriptedModel()
    try:
        # The reply continues the answer's lead, `assert prefix(`.
        model.script(proposing("prefix"), [Reply(reply.removeprefix("assert prefix(") + "```")])
        settings = _drawn_only()
        settings.ranking.proposed_inputs = True
        settings.ranking.drawn_inputs = False
        settings.model.remote_url = model.url
        settings.model.remote_retries = 0
        assert Pipeline(settings).probe_calls(ctx) == ([], ["prefix([Item(sku='ab', qty=1)])"])
    finally:
        model.close()


SHELF = (
    "from shop.storage import Shelf\n\n\ndef low_stock(shelf: Shelf, below: int) -> list[str]:\n"
    '    """The SKUs below the limit."""\n'
)
"""A module that names Shelf only: its bins and their items come from modules it never names."""


def test_a_proposed_call_may_build_the_classes_the_prompt_showed_from_other_modules() -> None:
    shown = (
        "# from shop.storage\n@dataclass\nclass Shelf:\n    name: str\n    bins: list[Bin]\n\n"
        "@dataclass\nclass Bin:\n    code: str\n    items: list[Item]",
        "# from shop.items\n@dataclass\nclass Item:\n    sku: str\n    qty: int = 1",
    )
    ctx = dataclasses.replace(function(SHELF), definitions=list(shown))
    assert inputs.buildable(ctx) == {"Shelf", "Bin", "Item"}
    # As the model wrote it in a user's project: a comma for `==`, a bracket left open.
    reply = 'Shelf("a", [Bin("b", [Item("x", qty=2)]]), below=3), ["x"])\n```'
    model = ScriptedModel()
    try:
        model.script(proposing("low_stock"), [Reply(reply)])
        settings = _drawn_only()
        settings.ranking.proposed_inputs = True
        settings.ranking.drawn_inputs = False
        settings.model.remote_url = model.url
        settings.model.remote_retries = 0
        expected = "low_stock(Shelf('a', [Bin('b', [Item('x', qty=2)])]), below=3)"
        assert Pipeline(settings).probe_calls(ctx) == ([], [expected])
    finally:
        model.close()
    # The probe imports what the module does not (as a doctest would) before the call.
    (probe,) = inputs.probe_examples([expected], inputs.importable_classes(ctx))
    assert "from shop.items import Item" in probe.setup


def _scripted(model: ScriptedModel, n: int) -> Settings:
    """Drawn inputs only, from ``model``: ``n`` rows in one request, so every scripted body."""
    settings = _drawn_only()
    settings.sampling.n = n
    settings.sampling.greedy_first = False  # one request for every row
    settings.ranking.verifier = False
    settings.model.remote_url = model.url
    settings.model.remote_retries = 0
    return settings


CART_PROJECT = {
    "shop/__init__.py": "",
    "shop/items.py": (
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Item:\n"
        "    sku: str\n    unit_price_cents: int\n    qty: int = 1\n"
    ),
    "shop/carts.py": (
        "from shop.items import Item\n\n\nclass Cart:\n"
        "    def __init__(self, owner: str) -> None:\n"
        "        self.owner = owner\n"
        "        self.lines: list[Item] = []\n"
    ),
    "shop/review.py": (
        "from shop.carts import Cart\n\n\ndef biggest_line(cart: Cart) -> str | None:\n"
        '    """Return the SKU of the line with the highest total, or None for an empty cart."""\n'
    ),
}


def test_a_class_the_file_never_imports_is_drawn_with_its_own_import(tmp_path: Path) -> None:
    # review.py imports Cart only; a cart's lines are Items. Before, no Item could be drawn, so
    # every cart was empty, a body that breaks on a full cart agreed with the right one, and
    # the title said "2/2 agree".
    _write_project(tmp_path, "shop", CART_PROJECT)
    path = tmp_path / "shop" / "review.py"
    source = path.read_text(encoding="utf-8")
    right = (
        "if not cart.lines:\n    return None\n"
        "return max(cart.lines, key=lambda line: line.unit_price_cents * line.qty).sku"
    )
    last = "return cart.lines[-1].sku if cart.lines else None"
    model = ScriptedModel()
    try:
        model.script(implementing("biggest_line"), [body(right), body(last)])
        settings = _scripted(model, 2)
        settings.sampling.seed = 3
        pipeline = Pipeline(settings)
        try:
            result = pipeline.implement(source, 4, file=find_project(path))
        finally:
            pipeline.close()
    finally:
        model.close()
    assert "class Item" in "\n".join(result.definitions)  # a field's type, one level deep
    assert any("Item(sku=" in call and "setattr(o, 'lines'" in call for call in result.inputs)
    assert len(result.candidates) == 2
    for candidate in result.candidates:
        assert candidate.score_parts["agreement"] == 1, candidate.score_parts
        assert candidate.score_parts["crashes"] == 0, candidate.score_parts  # no NameError


METHODS = '''import functools
from enum import Enum


class Discount(Enum):
    NONE = 0
    STAFF = 10


class Till:
    def __init__(self, owner: str, discount: Discount = Discount.NONE) -> None:
        self.owner = owner
        self.discount = discount
        self.prices: list[int] = []

    def total(self) -> int:
        """Sum of the prices less the discount's percent, rounded down."""

    def with_tip(self, tip: int) -> int:
        """The total plus a tip."""

    @property
    def count(self) -> int:
        """How many prices."""

    @functools.cached_property
    def spent(self) -> int:
        """Everything rung up."""

    @staticmethod
    def cents(euros: int) -> int:
        """Euros in cents."""

    @classmethod
    def empty(cls, owner: str) -> "Till":
        """A till with nothing rung up."""

    @functools.cache
    def cached(self) -> int:
        """Some decorator nothing outside can see through."""

    class Drawer:
        def coins(self) -> int:
            """Nested: no call reaches it."""
'''


@pytest.mark.parametrize(
    ("method", "shape"),
    [
        (
            "total",
            r"^(?:\(lambda o: .*\))?\(?Till\(owner=.*discount=Discount\.\w+\)\)?\.total\(\)$",
        ),
        ("with_tip", r"^.*Till\(owner=.*\)\)?\.with_tip\(-?\d+\)$"),
        ("count", r"^.*Till\(owner=.*\)\)?\.count$"),
        ("spent", r"^.*Till\(owner=.*\)\)?\.spent$"),
        ("cents", r"^Till\.cents\(-?\d+\)$"),
        ("empty", r"^Till\.empty\('.*'\)$"),
    ],
)
def test_a_method_is_called_on_a_drawn_instance_or_on_its_class(method: str, shape: str) -> None:
    lines = METHODS.splitlines()
    line = next(i for i, text in enumerate(lines) if f"def {method}(" in text)
    ctx = find_function(METHODS, line + 1)
    calls = inputs.signature_calls(ctx, count=8, classes=builds.class_builds(ctx))
    assert calls, method
    assert all(re.match(shape, call) for call in calls), calls
    if method == "total":  # the instance's state is drawn: prices and the defaulted discount
        assert any("setattr(o, 'prices', [" in call and "STAFF" in call for call in calls)


@pytest.mark.parametrize("method", ["cached", "coins"])
def test_a_method_no_call_can_reach_gets_no_drawn_calls(method: str) -> None:
    lines = METHODS.splitlines()
    line = next(i for i, text in enumerate(lines) if f"def {method}(" in text)
    ctx = find_function(METHODS, line + 1)
    assert inputs.callee(ctx) is None
    assert inputs.signature_calls(ctx, classes=builds.class_builds(ctx)) == []


def _implement_total(bodies: list[str], proposed: str | None = None) -> Any:
    """Implement ``Till.total`` in METHODS with a scripted model that writes ``bodies``.

    With ``proposed``, the model is asked for calls too and replies with it.
    """
    line = next(i for i, text in enumerate(METHODS.splitlines()) if "def total(" in text)
    model = ScriptedModel()
    try:
        # A method's body is indented twice.
        model.script(r"def total\(self\)", [Reply(f"        {code}\n```") for code in bodies])
        settings = _scripted(model, len(bodies))
        if proposed is not None:
            model.script(proposing_method("Till", "total"), [Reply(proposed)])
            settings.ranking.proposed_inputs = True
        pipeline = Pipeline(settings)
        try:
            result = pipeline.implement(METHODS, line + 1)
        finally:
            pipeline.close()
    finally:
        model.close()
    asked = [prompt for prompt in model.prompts if "different calls of" in prompt]
    assert len(asked) == (proposed is not None), asked
    # The answer is begun with the call's shape: on a new object, which says what it holds.
    assert all(prompt.endswith("```python\nassert Till(") for prompt in asked), asked
    # The constructor as it is called, so that the calls build a Till it takes.
    form = "`assert Till(owner=..., discount=...).total() == <expected>`"
    assert all(form in prompt for prompt in asked), asked
    # The file's own classes are shown, as to the body's prompt: the calls build them.
    assert all("    STAFF = 10" in prompt for prompt in asked), asked
    return result


def test_a_methods_candidates_are_compared_on_drawn_instances() -> None:
    # Before, a method without examples was compared on nothing: "no examples to check".
    right = "return sum(self.prices) * (100 - self.discount.value) // 100"
    result = _implement_total([right, "return sum(self.prices)"])
    assert result.inputs and all(call.endswith(".total()") for call in result.inputs)
    assert any("compared on" in note for note in result.notes), result.notes
    for candidate in result.candidates:  # they part ways on a staff till with prices
        assert candidate.score_parts["agreement"] == 1, candidate.score_parts
        assert candidate.score_parts["crashes"] == 0, candidate.score_parts


TALLY = '''class Tally:
    """Counts of words, added one call at a time."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.counts = {}

    def add(self, word: str, times: int = 1) -> None:
        """Count word times more."""
        self.counts[word] = self.counts.get(word, 0) + times

    def reset(self, word: str) -> None:
        """Not written yet: no filling method."""

    @staticmethod
    def merge(word: str) -> None:
        self.counts[word] = 0

    def top(self) -> str:
        """Return the word added most often, or "" when none was."""
'''


def test_an_object_is_filled_through_its_own_methods_before_a_method_runs() -> None:
    # The constructor leaves `self.counts = {}` untyped: before, every drawn tally was empty,
    # and every candidate of `top` agreed on "" everywhere. Now a drawn tally is filled by its
    # own methods that return None, as a doctest fills one.
    ctx = find_function(TALLY, TALLY.splitlines().index("    def top(self) -> str:"))
    calls = inputs.signature_calls(ctx, classes=builds.class_builds(ctx))
    filled = [call for call in calls if ".add(" in call]
    assert filled and all(re.match(r"^\[\(_tally\d+ := Tally\(owner=", call) for call in filled)
    # Never a placeholder body, a decorated method, or the method being written.
    assert not any(".reset(" in call or ".merge(" in call or ".top()," in call for call in calls)
    bodies = {
        "right": "        return max(self.counts, key=self.counts.get, default='')\n",
        "first": "        return min(self.counts, default='')\n",  # alphabetically
    }
    empty = [call for call in calls if ".add(" not in call]
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        for probed, parted in ((calls, True), (empty, False)):
            runs = execution.run_probes(ctx, list(bodies.values()), probed, sandbox)
            right, first = (inputs.behaviour(run.results, None)[0] for run in runs)
            assert all(key.startswith("=") for key in right), right  # every call ran
            assert (right != first) is parted  # only a filled tally tells them apart


def test_a_method_is_compared_on_the_calls_the_model_proposes_too() -> None:
    # Before, the model was asked for calls of module-level functions only.
    proposed = (
        "'ann', Discount.STAFF).total() == 0\n"  # continues the lead `assert Till(`
        "assert Till('bo').total() == 0\n"
        "assert till.total() == 5\n"  # an object built elsewhere: nothing says what it holds
        "assert Till('cy').total(3) == 5\n"  # more arguments than the method takes
        "assert Receipt('dee').total() == 0\n"  # not the method's class\n"
        "assert Till(name='eve').total() == 0\n"  # Till's constructor takes no `name`\n"
        "```"
    )
    right = "return sum(self.prices) * (100 - self.discount.value) // 100"
    result = _implement_total([right, "return sum(self.prices)"], proposed)
    kept = ["Till('ann', Discount.STAFF).total()", "Till('bo').total()"]
    proposed = [call for call in result.inputs if "owner=" not in call]  # drawn: by keyword
    assert proposed == kept, result.inputs
    assert any("and 2 proposed by the model" in note for note in result.notes), result.notes


def test_the_models_calls_are_kept_only_where_the_constructors_take_what_they_pass() -> None:
    # A call whose constructor raises TypeError makes every candidate "raise" on it; refused
    # as it is read, it never reaches the sandbox.
    ctx = find_function(METHODS, METHODS.splitlines().index("    def total(self) -> int:"))
    reply = (
        "assert Till('ann', Discount.STAFF).total() == 0\n"
        "assert Till(name='eve').total() == 0\n"  # no `name`
        "assert Till(owner=3).total() == 1\n"  # an owner is a str
        "assert Till('bo', 'STAFF').total() == 1\n"  # an Enum's value is no member
        "```"
    )
    assert execution.read_proposals(ctx, reply) == ["Till('ann', Discount.STAFF).total()"]


def _tally_top(source: str = TALLY) -> FunctionContext:
    return find_function(source, source.splitlines().index("    def top(self) -> str:"))


def test_the_model_is_asked_for_tests_that_fill_the_object_through_its_methods() -> None:
    # Asked for one call on a new object, the model could only propose an empty tally
    # (`Tally('ann').top()`): nothing says what it holds, and every candidate returns "".
    ctx = _tally_top()
    assert builds.filling_methods(ctx, "Tally") == ["add(...)"]  # `times` has a default
    assert execution._call_form(ctx, ("method", "Tally")) == (
        "tally = Tally(owner=...)\ntally.add(...)\ntally.add(...)\n"
        "assert tally.top() == <expected>\n\n"
        "tally = Tally(owner=...)\nassert tally.top() == <expected>"
    )
    # A class filled by nothing but its constructor keeps the one-line call.
    till = find_function(METHODS, METHODS.splitlines().index("    def total(self) -> int:"))
    assert builds.filling_methods(till, "Till") == []
    assert "\n" not in execution._call_form(till, ("method", "Till"))


RECORDS = (
    "from dataclasses import dataclass\n\n\n@dataclass\nclass Item:\n    sku: str\n\n\n"
    + TALLY.replace(
        "    def reset(self, word: str) -> None:",
        "    def record(self, item: Item, units: int) -> None:\n"
        "        self.counts[item.sku] = units\n\n"
        "    def reset(self, word: str) -> None:",
    )
)


def test_the_fillers_shape_names_the_project_classes_they_take() -> None:
    assert builds.filling_methods(_tally_top(RECORDS), "Tally") == [
        "add(...)",
        "record(Item(...), ...)",
    ]


@pytest.mark.parametrize(
    ("call", "completed"),
    [
        # The default model left out `units` on every filling call it wrote.
        (
            "[(t := Tally('a')), t.record(Item('x')), t.record(Item('y')), t][-1].top()",
            "[(t := Tally('a')), t.record(Item('x'), units=1), t.record(Item('y'), units=2), "
            "t][-1].top()",
        ),
        (
            "[(t := Tally('a')), t.add(), t][-1].top()",
            "[(t := Tally('a')), t.add(word='a'), t][-1].top()",
        ),
        # Nothing left out; or what is left out is not a plain value (an `Item`): as it was.
        ("[(t := Tally('a')), t.record(Item('x'), 5), t][-1].top()", None),
        ("[(t := Tally('a')), t.record(units=5), t][-1].top()", None),
        ("Tally('a').top()", None),
    ],
)
def test_a_filling_call_that_leaves_out_a_plain_argument_is_given_one(
    call: str, completed: str | None
) -> None:
    ctx = _tally_top(RECORDS)
    assert builds.completed_fillers(ctx, call) == (completed or call)
    assert builds.fillers_fit(ctx, builds.completed_fillers(ctx, call)) is (
        completed is not None or "record(units" not in call
    )


SESSIONS = """tally = Tally('ann')
tally.add('b')
tally.add('a', 2)
assert tally.top() == 'a'

tally = Tally(owner='bo')
assert tally.top() == ''

tally = Tally('cy')
tally.add('c', 1, 2)
assert tally.top() == 'c'

tally = Tally('dee')
tally.push('d')
assert tally.top() == 'd'

other = Tally('eve')
other.add('e'
assert other.top() == 'e'

tally = Tally('fay')
tally.add('f')
assert tally.top() == 'f' = 'f'
"""


def test_the_tests_the_model_writes_are_read_as_one_expression_each() -> None:
    ctx = _tally_top()
    kept = execution.read_proposals(ctx, SESSIONS)
    assert kept == [
        # Its filling calls travel with the call; the result the model predicted does not.
        "[(tally := Tally('ann')), tally.add('b'), tally.add('a', 2), tally][-1].top()",
        "Tally(owner='bo').top()",
        # `add` given three arguments, a `push` the class lacks: every candidate would raise
        # the same error before its own code ran. A broken line fills nothing.
        "Tally('eve').top()",
        # The result the model wrote is broken, the call before it is not.
        "[(tally := Tally('fay')), tally.add('f'), tally][-1].top()",
    ], kept


def test_a_test_whose_filling_calls_leave_out_a_plain_argument_is_kept_completed() -> None:
    reply = "tally = Tally('a')\ntally.record(Item('x'))\ntally.record(Item('y'))\n"
    reply += "assert tally.top() == 'x'\n"
    assert execution.read_proposals(_tally_top(RECORDS), reply) == [
        "[(tally := Tally('a')), tally.record(Item('x'), units=1), "
        "tally.record(Item('y'), units=2), tally][-1].top()"
    ]


REPORT = '''from shop.tally import Tally


def summary(limit: int, tally: Tally) -> str:
    """The words added more than limit times, comma-separated."""
'''
SHOWN_TALLY = (
    "# from shop.tally\nclass Tally:\n    def __init__(self, owner: str) -> None:\n"
    "        self.owner\n        self.counts\n"
    "    def add(self, word: str, times: int=1) -> None: ...\n"
    "    def top(self) -> str: ..."
)


def _summary() -> FunctionContext:
    return dataclasses.replace(function(REPORT), definitions=[SHOWN_TALLY])


def test_a_class_shown_from_another_file_is_filled_through_its_methods() -> None:
    # Another file's class is shown summarised, every body `...`: its methods count as
    # written (in the function's own file a placeholder is a method not written yet).
    ctx = _summary()
    assert builds.filling_methods(ctx, "Tally") == ["add(...)"]
    calls = inputs.signature_calls(ctx, classes=builds.class_builds(ctx))
    assert any(".add(" in call for call in calls), calls


def test_a_function_taking_a_filled_object_is_proposed_tests_that_fill_it() -> None:
    ctx = _summary()
    assert execution._call_form(ctx, inputs.FUNCTION) == (
        "tally = Tally(owner=...)\ntally.add(...)\ntally.add(...)\n"
        "assert summary(..., tally) == <expected>\n\n"
        "tally = Tally(owner=...)\nassert summary(..., tally) == <expected>"
    )
    reply = "tally = Tally('a')\ntally.add('x', 3)\nassert summary(2, tally) == 'x'\n"
    reply += "assert summary(2, Tally('b')) == ''\n"
    assert execution.read_proposals(ctx, reply) == [
        "summary(2, Tally('b'))",  # a one-line call, read as before
        "summary(2, [(tally := Tally('a')), tally.add('x', 3), tally][-1])",
    ]


@pytest.mark.parametrize(
    ("argument", "data"),
    [
        ("[(t := Tally('a')), t.add('b', 2), t][-1]", True),
        ("[(t := Tally('a')), t][-1]", True),
        ("[(t := Tally('a')), t.add(word), t][-1]", False),  # not data
        ("[(t := Tally('a')), u.add('b'), t][-1]", False),  # another object
        ("[(t := Tally('a')), t.add('b'), u][-1]", False),
        ("[(t := Tally('a')), t.add('b'), t][0]", False),
        ("[(t := Basket('a')), t.add('b'), t][-1]", False),  # not a project class
        ("[(t := Tally(open('f'))), t][-1]", False),
    ],
)
def test_an_object_filled_by_its_methods_with_data_is_data(argument: str, data: bool) -> None:
    node = ast.parse(argument, mode="eval").body
    assert inputs.is_data(node, frozenset({"Tally"})) is data


@pytest.mark.parametrize(
    ("call", "fits"),
    [
        ("[(t := Tally('a')), t.add('b', 2), t][-1].top()", True),
        ("[(t := Tally('a')), t.add(word='b'), t][-1].top()", True),
        ("[(t := Tally('a')), t.add(), t][-1].top()", False),  # word missing
        ("[(t := Tally('a')), t.add('b', 2, 3), t][-1].top()", False),
        ("[(t := Tally('a')), t.push('b'), t][-1].top()", False),  # no such method
        ("Tally('a').top()", True),
    ],
)
def test_a_proposed_filled_object_calls_its_methods_as_they_take(call: str, fits: bool) -> None:
    assert builds.fillers_fit(_tally_top(), call) is fits


def test_a_method_is_compared_on_objects_the_models_tests_filled() -> None:
    # The whole path: asked for tests, the model's filled tallies become inputs that part a
    # right `top` from one that returns the first word added.
    line = TALLY.splitlines().index("    def top(self) -> str:")
    bodies = [
        "return max(self.counts, key=self.counts.get, default='')",
        "return next(iter(self.counts), '')",
    ]
    tests = SESSIONS.removeprefix("tally = Tally(") + "```"
    result, prompts = implement_scripted(
        TALLY,
        line + 1,
        [
            (r"def top\(self\)", [Reply(f"        {code}\n```") for code in bodies]),
            (asking_for_tests("Tally", "top"), [Reply(tests)]),
        ],
        n=len(bodies),
    )
    asked = [prompt for prompt in prompts if "different short tests of" in prompt]
    assert len(asked) == 1 and asked[0].endswith("```python\ntally = Tally("), asked
    assert "\ntally.add(...)\n" in asked[0]
    filled = "[(tally := Tally('ann')), tally.add('b'), tally.add('a', 2), tally][-1].top()"
    assert filled in result.inputs, result.inputs
    assert any("and 4 proposed by the model" in note for note in result.notes), result.notes
    for candidate in result.candidates:  # they part ways on the filled tallies
        assert candidate.score_parts["agreement"] == 1, candidate.score_parts


def test_candidates_that_raise_on_every_input_say_what_they_raised() -> None:
    # Every sample reads a `percent` the Enum does not have: they agree, and the title says
    # "raises on 16"; the note says why, so the user can add it or say so in the docstring.
    percent = "return sum(self.prices) * (100 - self.discount.percent) // 100"
    # Two samples that differ only in a comment: two bodies, one behaviour.
    result = _implement_total([percent, f"{percent}  # off"])
    assert len(result.candidates) == 2
    top = result.candidates[0]
    assert top.score_parts["crashes"] == top.score_parts["inputs"] == len(result.inputs)
    expected = (
        f"the top candidate raised on all {len(result.inputs)} inputs: "
        "AttributeError: 'Discount' object has no attribute 'percent'"
    )
    assert expected in result.notes, result.notes


def test_candidates_that_return_another_type_than_the_hint_say_so() -> None:
    # Every sample takes a tenth as a float for an `-> int`: they agree and rank first
    # together, as the ranking weighs them all alike; the note says what they return.
    tenth = "return sum(self.prices) * 0.9"
    result = _implement_total([tenth, f"{tenth}  # less 10%"])
    returned = len(result.inputs)
    expected = (
        f"the top candidate returned float on {returned} of {returned} inputs, "
        "where its hint says int"
    )
    assert expected in result.notes, result.notes
    # A body that returns an int says nothing of the kind.
    right = _implement_total(["return sum(self.prices) * 9 // 10"])
    assert not any("where its hint says" in note for note in right.notes), right.notes


MUTATORS = '''from dataclasses import dataclass


@dataclass
class Item:
    sku: str
    qty: int = 0


class Tray:
    def __init__(self) -> None:
        self.items: list[int] = []

    def add(self, item: int) -> None:
        """Put item on top of the tray."""

    def take_top(self) -> int:
        """Remove the top item and return it, or 0 for an empty tray."""


def restock_all(items: list[Item], extra: int) -> None:
    """Raise every item's quantity by extra."""
'''


@pytest.mark.parametrize(
    ("function", "right", "wrong"),
    [
        (
            "restock_all",
            "for i in items:\n    i.qty += extra",
            "for i in items[1:]:\n    i.qty += extra",
        ),
        ("add", "self.items.append(item)", "self.items.insert(0, item)"),
    ],
)
def test_a_function_returning_none_is_compared_by_what_it_changes(
    function: str, right: str, wrong: str
) -> None:
    # Every body returns None: compared on their results alone, they all agreed.
    lines = MUTATORS.splitlines()
    ctx = find_function(
        MUTATORS, next(i for i, t in enumerate(lines) if f"def {function}(" in t) + 1
    )
    calls = inputs.signature_calls(ctx, count=12, classes=builds.class_builds(ctx))
    assert calls and inputs.observes(ctx)
    indent = ctx.body_indent
    bodies = [
        "".join(f"{indent}{line}\n" for line in text.splitlines())
        for text in (right, right + "  # the same", wrong, "pass")
    ]
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        runs = execution.run_probes(ctx, bodies, calls, sandbox)
    keys = [inputs.behaviour(run.results, inputs.return_types(ctx))[0] for run in runs]
    assert all(run.error is None for run in runs)
    assert all(key.startswith("=") for key in keys[0])
    assert keys[0] == keys[1]  # the same change, however written
    assert keys[0] != keys[2] and keys[0] != keys[3]  # another change, or none


def test_a_method_is_compared_by_what_it_returns_and_what_it_changes() -> None:
    # Peeking returns what popping returns; only the tray after the call tells them apart.
    lines = MUTATORS.splitlines()
    ctx = find_function(MUTATORS, next(i for i, t in enumerate(lines) if "def take_top(" in t) + 1)
    calls = inputs.signature_calls(ctx, count=12, classes=builds.class_builds(ctx))
    assert calls and inputs.observes(ctx)
    guard = "if not self.items:\n    return 0\n"
    texts = {
        "pop": guard + "return self.items.pop()",
        "pop again": guard + "top = self.items.pop()\nreturn top",
        "peek": guard + "return self.items[-1]",
        "text": guard + "return str(self.items.pop())",
        # An attribute the body adds is how it works, not what the method does.
        "pop, remembered": guard + "self.last_taken = self.items.pop()\nreturn self.last_taken",
        "peek, remembered": guard + "self.last_taken = self.items[-1]\nreturn self.last_taken",
    }
    indent = ctx.body_indent
    bodies = ["".join(f"{indent}{line}\n" for line in text.splitlines()) for text in texts.values()]
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        runs = execution.run_probes(ctx, bodies, calls, sandbox)
    allowed = inputs.return_types(ctx)
    found = {
        name: inputs.behaviour(run.results, allowed) for name, run in zip(texts, runs, strict=True)
    }
    assert all(run.error is None for run in runs)
    assert found["pop"][0] == found["pop again"][0] == found["pop, remembered"][0]
    assert found["peek"][0] == found["peek, remembered"][0]
    assert found["pop"][0] != found["peek"][0]  # the same results, another tray after
    # The annotation is checked against the result, not the list that carries the state.
    assert found["pop"][1] == 0.0 and found["peek"][1] == 0.0
    assert found["text"][1] > 0.0


SLOTTED = '''from dataclasses import dataclass, field


@dataclass(slots=True)
class Stack:
    items: list[int] = field(default_factory=list)

    def take_top(self) -> int:
        """Remove the top item and return it, or 0 for an empty stack."""
'''


def test_an_object_without_a_dict_is_still_observed_whole() -> None:
    # Its attributes live in slots: `vars()` cannot list them, so it is compared as it was.
    ctx = find_function(SLOTTED, SLOTTED.splitlines().index("    def take_top(self) -> int:"))
    calls = inputs.signature_calls(ctx, count=12, classes=builds.class_builds(ctx))
    assert calls and inputs.observes(ctx)
    guard = "if not self.items:\n    return 0\n"
    texts = [guard + "return self.items.pop()", guard + "return self.items[-1]"]
    bodies = ["".join(f"{ctx.body_indent}{line}\n" for line in text.splitlines()) for text in texts]
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        runs = execution.run_probes(ctx, bodies, calls, sandbox)
    keys = [inputs.behaviour(run.results, inputs.return_types(ctx))[0] for run in runs]
    assert not any(key.startswith("!") for key in keys[0]), keys[0]  # nothing raised
    assert keys[0] != keys[1]  # the same results, another stack after


CONSTRUCTORS = '''from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    A = 1


@dataclass
class Item:
    sku: str
    unit_price_cents: int
    qty: int = 1


class Cart:
    def __init__(self, owner: str, kind: Kind = Kind.A, *, note: str = "") -> None:
        self.owner = owner
        self.lines: list[Item] = []


class Special(dict):
    pass


def f(cart: Cart, items: list[Item]) -> int:
    """Doc."""
'''


@pytest.mark.parametrize(
    ("call", "fits"),
    [
        ("f(Cart('a'), [Item('x', 3)])", True),
        (
            "f(Cart(owner='a', kind=Kind.A, note='n'), [Item(sku='x', unit_price_cents=3, qty=2)])",
            True,
        ),
        ("f(Cart('a'), [Special(a=1)])", True),  # its constructor comes from a base: unchecked
        ("f(Cart(Owner='a'), [])", False),  # no such parameter
        ("f(Cart(), [])", False),  # owner missing
        ("f(Cart('a', Kind.A, 'n'), [])", False),  # note is keyword-only
        ("f(Cart('a'), [Item('x')])", False),  # a dataclass field without a default missing
        ("f(Cart('a'), [Item('x', 3, 1, 2)])", False),  # one field too many
        ("f(Cart('a'), [Item(sku='x', price=3)])", False),
    ],
)
def test_a_proposed_call_must_build_the_projects_classes_as_their_constructors_take(
    call: str, fits: bool
) -> None:
    # A constructor that raises TypeError makes every candidate "raise" on the call.
    ctx = find_function(
        CONSTRUCTORS,
        CONSTRUCTORS.splitlines().index("def f(cart: Cart, items: list[Item]) -> int:"),
    )
    assert builds.constructors_fit(ctx, call) is fits


STAYS = '''from dataclasses import dataclass
from datetime import date

from shop import Kind


@dataclass
class Stay:
    room: int
    guest: str
    check_in: date
    kind: Kind | None = None


class Desk:
    def __init__(self, opened: date, rooms: list[int]) -> None:
        self.opened = opened


def nights(stay: Stay) -> int:
    """Doc."""
'''


@pytest.mark.parametrize(
    ("call", "fits"),
    [
        ("nights(Stay(1, 'ada', date(2026, 3, 1)))", True),
        ("nights(Stay(room=1, guest='ada', check_in=date(2026, 3, 1), kind=None))", True),
        ("nights(Stay(room=1, guest='ada', check_in=date(2026, 3, 1), kind=Kind.A))", True),
        # A date is no string, a guest's name no number, an enum member no string:
        ("nights(Stay(1, 'ada', '2026-03-01'))", False),
        ("nights(Stay(room=1, guest='ada', check_in='2026-03-01'))", False),
        ("nights(Stay(room=1, guest=7, check_in=date(2026, 3, 1)))", False),
        ("nights(Stay(room='1', guest='ada', check_in=date(2026, 3, 1)))", False),
        ("nights(Stay(1, 'ada', date(2026, 3, 1), kind='a'))", False),
        ("nights(Desk('2026-03-01', [1]))", False),  # an __init__'s hints alike
        ("nights(Desk(date(2026, 3, 1), [1]))", True),
    ],
)
def test_a_proposed_call_must_give_a_constructor_values_its_fields_hints_allow(
    call: str, fits: bool
) -> None:
    # Every candidate's `check_out - check_in` raised the same TypeError on a string date: a
    # call the hints rule out says nothing of the candidates and counted as broken code.
    ctx = find_function(STAYS, STAYS.splitlines().index("def nights(stay: Stay) -> int:"))
    ctx.definitions = ["# from shop\nclass Kind(Enum):\n    A = 1"]
    assert builds.constructors_fit(ctx, call) is fits


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("Cart", "owner=..., kind=..."),  # the keyword-only `note` is left to its default
        ("Item", "sku=..., unit_price_cents=..., qty=..."),
        ("Special", "..."),  # its constructor comes from a base
        ("Kind", "..."),  # an Enum's members are named, not built
        ("Unknown", "..."),
    ],
)
def test_the_model_is_shown_how_the_object_it_calls_a_method_on_is_built(
    name: str, shape: str
) -> None:
    line = CONSTRUCTORS.splitlines().index("def f(cart: Cart, items: list[Item]) -> int:")
    ctx = find_function(CONSTRUCTORS, line)
    assert builds.constructor_arguments(ctx, name) == shape


CONVERSIONS = '''from dataclasses import dataclass


@dataclass(frozen=True)
class Money:
    cents: int
    currency: str = "EUR"


def convert(amount: Money, rate: float) -> Money:
    """Convert at the rate, rounding to whole cents."""
'''


def test_a_class_returned_with_a_field_of_another_type_counts_as_a_wrong_return_type() -> None:
    # `-> Money` allows any Money, but `Money.cents: int` does not allow a float in it: the
    # right class, wrongly filled, is counted as a wrong return type and the note says so.
    line = CONVERSIONS.splitlines().index("def convert(amount: Money, rate: float) -> Money:")
    bodies = [
        "return Money(amount.cents * rate, amount.currency)",
        "return Money(round(amount.cents * rate), amount.currency)",
    ]
    result, _ = implement_scripted(
        CONVERSIONS,
        line + 1,
        [(r"def convert\(", [Reply(f"    {code}\n```") for code in bodies])],
        n=len(bodies),
    )
    by_body = {c.body.strip(): c for c in result.candidates}
    floated, rounded = (by_body[code] for code in bodies)
    assert rounded.rank < floated.rank, [c.body for c in result.candidates]
    assert rounded.score > floated.score, (rounded.score_parts, floated.score_parts)
    returned = len(result.inputs)
    assert returned > 0 and not floated.score_parts.get("crashes"), floated.score_parts
    assert builds.return_fields(find_function(CONVERSIONS, line + 1))[:3] == (
        "Money",
        {"cents": frozenset({"int", "bool"}), "currency": frozenset({"str"})},
        "",
    )
    # The note speaks of the top candidate: the rounded one returns what Money says.
    assert not any("where Money types" in note for note in result.notes), result.notes
    # Two samples that differ only in a comment: one behaviour, first together.
    twice = [bodies[0], f"{bodies[0]}  # at the rate"]
    floated_only, _ = implement_scripted(
        CONVERSIONS,
        line + 1,
        [(r"def convert\(", [Reply(f"    {code}\n```") for code in twice])],
        n=len(twice),
    )
    expected = (
        f"the top candidate returned a Money with cents a float on {returned} of {returned} "
        "inputs, where Money types cents as int"
    )
    assert expected in floated_only.notes, floated_only.notes


VALIDATED = '''from dataclasses import dataclass


@dataclass
class Line:
    sku: str
    qty: int

    def __post_init__(self) -> None:
        if self.qty <= 0:
            raise ValueError("qty must be positive")


def units(lines: list[Line], floor: int) -> int:
    """Count the units of the lines."""
'''


def test_calls_whose_arguments_cannot_be_built_are_left_out() -> None:
    # A user's pydantic `qty: int = Field(gt=0)`: a drawn Line(qty=-3) raises before any
    # candidate runs, and the title said the top candidate raises on inputs it never saw.
    ctx = function(VALIDATED)
    drawn = inputs.signature_calls(ctx, classes=builds.class_builds(ctx))
    invalid = [c for c in drawn if re.search(r"qty=(-\d+|0)\b", c)]
    assert invalid and len(invalid) < len(drawn)
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        kept = execution.buildable_calls(ctx, [*drawn, "units([], 1)"], sandbox)
    assert kept == [c for c in drawn if c not in invalid] + ["units([], 1)"]
    # Through the pipeline: the inputs compared on are the buildable ones, and the top
    # candidate raises on none of them.
    scripts = [
        (
            implementing("units"),
            [
                body("return sum(line.qty for line in lines)", -0.2),
                body("return len(lines)", -0.3),
            ],
        ),
        (proposing("units"), [Reply("[Line('a', -1)], 2) == 0\nassert units([], 30) == 0\n```")]),
    ]
    result, _ = implement_scripted(VALIDATED, VALIDATED.count("\n") - 2, scripts, n=2)
    assert result.inputs and not any(c in result.inputs for c in invalid)
    assert "units([Line('a', -1)], 2)" not in result.inputs and "units([], 30)" in result.inputs
    # As many drawn as before: more were drawn to make up for those refused.
    assert len(result.inputs) - 1 == inputs.DRAWN_CALLS, result.inputs
    assert not result.candidates[0].score_parts.get("crashes"), result.candidates[0].score_parts


GENERIC = '''from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
N = TypeVar("N", bound=int)
S = TypeVar("S", int, str)


@dataclass
class Stack(Generic[T]):
    items: list[T]


@dataclass
class Tally(Generic[N, S]):
    count: N
    label: S


def top(stack: Stack[int], tally: Tally[int, str]) -> int | None:
    """Return the top of the stack, or None when it is empty."""
'''


def test_a_generic_class_is_built_and_its_type_variables_drawn_as_they_allow() -> None:
    # `Stack[int]` made the parameter undrawable: no drawn inputs for a function over a
    # generic container of the project.
    ctx = function(GENERIC)
    calls = inputs.signature_calls(ctx, count=12, classes=builds.class_builds(ctx))
    assert calls and all(c.startswith("top(Stack(items=") for c in calls), calls
    tallies = [c for call in calls for c in constructed(call) if ast.unparse(c.func) == "Tally"]
    drawn = [(k.arg, ast.literal_eval(k.value)) for c in tallies for k in c.keywords]
    assert all(isinstance(v, int) for arg, v in drawn if arg == "count")  # bound=int
    assert all(isinstance(v, int | str) for arg, v in drawn if arg == "label")  # int or str
    assert returned_types(ctx, "    return stack.items[-1] if stack.items else None\n", calls)


SITTINGS_PROJECT = {
    "tally/__init__.py": "",
    "tally/records.py": (
        "from datetime import date\nfrom enum import Enum\nfrom typing import NamedTuple\n\n\n"
        "class Term(Enum):\n    AUTUMN = 'autumn'\n    SPRING = 'spring'\n\n\n"
        "class Sitting(NamedTuple):\n    student: str\n    day: date\n    mark: int\n"
        "    term: Term = Term.AUTUMN\n"
    ),
    "tally/stats.py": (
        "from tally.records import Sitting, Term\n\n\n"
        "def in_term(sittings: list[Sitting], term: Term) -> list[Sitting]:\n"
        '    """Return the sittings of the given term, in the order given."""\n'
    ),
}


def test_a_shown_class_holding_a_date_is_drawn_where_the_module_never_imports_date(
    tmp_path: Path,
) -> None:
    # stats.py imports Sitting, not `date`: a drawn `Sitting(day=date(2024, 3, 1), ...)` raised
    # NameError while being built, every such call was refused, and a user's `in_term` was
    # compared on empty lists only. The probe imports `date` first, as a doctest would.
    _write_project(tmp_path, "tally", SITTINGS_PROJECT)
    path = tmp_path / "tally" / "stats.py"
    source = path.read_text(encoding="utf-8")
    pipeline = Pipeline(_drawn_only())
    try:
        file = find_project(path)
        ctx = pipeline.in_project(find_function(source, 3), source, file)
        assert any("class Sitting" in text for text in ctx.definitions)
        drawn, _ = pipeline.probe_calls(ctx, file=file)
    finally:
        pipeline.close()
    full = [call for call in drawn if "Sitting(" in call]
    assert full and all("day=date(" in call for call in full), drawn
    assert len(drawn) == inputs.DRAWN_CALLS


WORDS = '''from collections import Counter


def top_words(text: str, n: int) -> list[tuple[str, int]]:
    """Return the n most common words with their counts, most common first."""
'''


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        ("list[tuple[str, int]]", ("list", {"[]": frozenset({"tuple"})}, "list")),
        ("Optional[set[int]]", ("set", {"[]": frozenset({"int", "bool"})}, "set")),
        ("Union[list[str], None]", ("list", {"[]": frozenset({"str"})}, "list")),
        ("list[str] | tuple[str, ...]", None),  # which of two containers is not known
        (
            "tuple[str, int]",
            ("tuple", {"[0]": frozenset({"str"}), "[1]": frozenset({"int", "bool"})}, "tuple"),
        ),
        ("tuple[str, ...]", ("tuple", {"[]": frozenset({"str"})}, "tuple")),
        ("list[Token]", None),  # nothing to check its items against
        (
            "dict[str, int]",
            ("dict", {"{key}": frozenset({"str"}), "{value}": frozenset({"int", "bool"})}, "dict"),
        ),
        ("Dict[Kind, float]", ("dict", {"{value}": frozenset({"float", "int", "bool"})}, "dict")),
        ("dict[Kind, Item]", None),  # nothing to check its keys or values against
    ],
)
def test_a_container_return_says_what_its_items_are(annotation: str, expected: object) -> None:
    found = inputs.return_items(ast.parse(annotation, mode="eval").body)
    assert (tuple(found)[:3] if found else None) == expected


def _ranked_and_alone(
    source: str, header: str, wrong: str, right: str
) -> tuple[GenerationResult, GenerationResult]:
    """Rank a likelier wrong body against a right one; then the wrong one alone, twice."""
    line = source.splitlines().index(header)
    pattern = rf"{re.escape(header.split('(')[0])}\("
    result, _ = implement_scripted(
        source,
        line,
        [(pattern, [Reply(f"    {wrong}\n```", -0.1), Reply(f"    {right}\n```")])],
        n=2,
    )
    twice = [wrong, f"{wrong}  # again"]
    alone, _ = implement_scripted(
        source, line, [(pattern, [Reply(f"    {code}\n```") for code in twice])], n=2
    )
    return result, alone


def _told(notes: list[str], pattern: str) -> bool:
    return any(re.fullmatch(pattern, note) for note in notes)


def test_a_list_of_the_wrong_items_counts_as_a_wrong_return_type() -> None:
    # A user's `top_words(...) -> list[tuple[str, int]]`: the top body returned the words alone
    # (a list, as the hint's outer type says) and agreed with two others.
    words = "return [w for w, _ in Counter(text.split()).most_common(n)]"
    pairs = "return Counter(text.split()).most_common(n)"
    header = "def top_words(text: str, n: int) -> list[tuple[str, int]]:"
    result, alone = _ranked_and_alone(WORDS, header, words, pairs)
    assert result.candidates[0].body.strip() == pairs, [c.score_parts for c in result.candidates]
    worded = result.candidates[1]
    assert worded.body.strip() == words
    # Only inputs with some words return items to judge; on those it is wrong.
    assert 0 < worded.score_parts["score"] < result.candidates[0].score_parts["score"]
    # Alone, it is told: the note names the item and what the hint says.
    note = (
        r"the top candidate returned a list with item \[0\] a str on \d+ of \d+ inputs, "
        r"where the hint says tuple"
    )
    assert _told(alone.notes, note), alone.notes


GUESTS = '''from dataclasses import dataclass


@dataclass
class Stay:
    guest: str
    room: int
    nights: int


def nights_per_guest(stays: list[Stay]) -> dict[str, int]:
    """Return each guest's total nights."""
'''


def test_a_dict_of_the_wrong_keys_counts_as_a_wrong_return_type() -> None:
    # A user's `nights_per_guest(...) -> dict[str, int]`: all three top bodies keyed the counts
    # by room number, agreed, and ranked first.
    header = "def nights_per_guest(stays: list[Stay]) -> dict[str, int]:"
    by_room = "return {s.room: s.nights for s in stays}"
    by_guest = "return {s.guest: s.nights for s in stays}"
    result, alone = _ranked_and_alone(GUESTS, header, by_room, by_guest)
    assert result.candidates[0].body.strip() == by_guest, [c.score_parts for c in result.candidates]
    note = (
        r"the top candidate returned a dict with a key a int on \d+ of \d+ inputs, "
        r"where the hint says str"
    )
    assert _told(alone.notes, note), alone.notes


ROOMS_LEDGER = '''from dataclasses import dataclass


@dataclass
class Room:
    number: int
    nightly_cents: int


@dataclass
class Booking:
    room: int
    nights: int


class Ledger:
    def __init__(self, rooms: list[Room]) -> None:
        self.rooms = {room.number: room for room in rooms}

    def price(self, booking: Booking) -> int:
        """The booking's nights times its room's nightly price."""


def total(rooms: list[Room], room: int) -> int:
    """The nightly price of the room with that number."""
'''


def _room_found(call: str) -> bool:
    tree = ast.parse(call, mode="eval")
    numbers = {
        k.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "Room"
        for k in node.keywords
        if k.arg == "number" and isinstance(k.value, ast.Constant)
    }
    wanted = [
        k.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "Booking"
        for k in node.keywords
        if k.arg == "room" and isinstance(k.value, ast.Constant)
    ]
    wanted += [a.value for a in tree.body.args if isinstance(a, ast.Constant)]  # type: ignore[attr-defined]
    return bool(wanted) and all(number in numbers for number in wanted)


@pytest.mark.parametrize("name", ["price", "total"])
def test_objects_that_name_each_other_by_number_often_do(name: str) -> None:
    # A user's `Ledger.price(booking)` looks up `self.rooms[booking.room]`: in 1 drawn call of
    # 10 was the booking's room among the ledger's rooms, and every body raised KeyError alike.
    line = next(i for i, text in enumerate(ROOMS_LEDGER.splitlines()) if f"def {name}(" in text)
    ctx = find_function(ROOMS_LEDGER, line)
    found = drawn = 0
    for seed_value in range(4):
        calls = inputs.signature_calls(ctx, seed_value=seed_value, classes=builds.class_builds(ctx))
        drawn += len(calls)
        found += sum(_room_found(call) for call in calls)
    assert found >= drawn // 4, (found, drawn)


def test_an_attribute_that_does_not_exist_is_told_with_those_that_do() -> None:
    # Every sample of a user's `price(booking)` read `booking.nights`; the repair round, told
    # only the AttributeError, read it again.
    ledger = ROOMS_LEDGER.replace(
        "        self.rooms = {room.number: room for room in rooms}\n",
        "        self.rooms = {room.number: room for room in rooms}\n"
        "        self.bookings: list[Booking] = []\n\n"
        "    def nights(self, booking: Booking) -> int:\n"
        "        return booking.nights\n\n"
        "    def _cache(self) -> None:\n"
        "        pass\n",
    )
    line = next(i for i, text in enumerate(ledger.splitlines()) if "def price(" in text)
    ctx = find_function(ledger, line)
    failure = "`f(1)` raised AttributeError: 'Booking' object has no attribute 'cost'"
    assert builds.with_attributes(failure, ctx) == f"{failure}; `Booking` has: room, nights"
    own = "raised AttributeError: 'Ledger' object has no attribute 'room_of'"
    # Its attributes, its public methods but the one being written.
    assert builds.with_attributes(own, ctx) == f"{own}; `Ledger` has: bookings, rooms, nights()"
    for other in (
        "raised AttributeError: 'str' object has no attribute 'cost'",
        "raised NameError: name 'Booking' is not defined",
    ):
        assert builds.with_attributes(other, ctx) == other


RIDES = '''from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Rider:
    name: str
    weight_kg: float


@dataclass
class Ride:
    rider: Rider
    distance_km: float
    coach: Optional[Rider] = None


def calories_burned(ride: Ride) -> float:
    """Scale the rider's weight by the distance."""
'''


def test_an_attribute_of_a_field_s_class_is_told_where_it_is() -> None:
    # "the rider's weight": every sample of a ride log's `calories_burned(ride)` read
    # `ride.weight_kg`, and so did the repair round told only what `Ride` has.
    ctx = find_function(
        RIDES, RIDES.splitlines().index("def calories_burned(ride: Ride) -> float:")
    )
    failure = "raised AttributeError: 'Ride' object has no attribute 'weight_kg'"
    assert builds.with_attributes(failure, ctx) == (
        f"{failure}; `Ride` has: rider, distance_km, coach; `weight_kg` is on its `rider`"
        " (a `Rider`): `ride.rider.weight_kg`"
    )
    absent = "raised AttributeError: 'Ride' object has no attribute 'height'"
    assert builds.with_attributes(absent, ctx) == f"{absent}; `Ride` has: rider, distance_km, coach"


MADE_BY_CALLS = '''from collections import namedtuple
from typing import NamedTuple, TypedDict

Rate = namedtuple("Rate", "code per_euro")
Entry = NamedTuple("Entry", [("payer", str), ("amount_cents", int)])
Payment = TypedDict("Payment", {"debtor": str, "cents": int})


def total_paid(entries: list[Entry], payment: Payment) -> int:
    """Return the cents paid over all entries and the payment."""


def in_currency(cents: int, rate: Rate) -> float:
    """Return the amount in the rate's currency."""
'''


def test_classes_made_by_a_call_are_built_and_run_in_the_sandbox() -> None:
    # A user's tally: `Entry = NamedTuple("Entry", [...])` was no class to anything that
    # draws, and `total_paid(entries: list[Entry], ...)` got no drawn input at all.
    ctx = function(MADE_BY_CALLS)
    calls = execution.probe_calls(ctx, _drawn_only(), lambda: [])[0]
    assert calls, "the classes made by a call were not read"
    built = [c for call in calls for c in constructed(call)[1:]]
    assert {ast.unparse(c.func) for c in built} == {"Entry", "Payment"}
    assert {k.arg for c in built if ast.unparse(c.func) == "Entry" for k in c.keywords} == {
        "payer",
        "amount_cents",
    }
    body = (
        "    assert all(isinstance(e, tuple) and isinstance(e.amount_cents, int)"
        " for e in entries)\n"
        '    return sum(e.amount_cents for e in entries) + payment["cents"]\n'
    )
    assert returned_types(ctx, body, calls) == {"int"}


def test_a_namedtuples_calls_are_checked_for_what_they_pass_and_nothing_is_drawn() -> None:
    # Its fields have no types: nothing to draw from, but a call passing three fields to a
    # two-field record would make every candidate raise alike.
    lines = MADE_BY_CALLS.splitlines()
    ctx = find_function(
        MADE_BY_CALLS, lines.index("def in_currency(cents: int, rate: Rate) -> float:")
    )
    assert inputs.signature_calls(ctx, classes=builds.class_builds(ctx)) == []
    assert builds.constructors_fit(ctx, "in_currency(100, Rate('USD', 1.1))")
    assert builds.constructors_fit(ctx, "in_currency(100, Rate(code='USD', per_euro=1.1))")
    assert not builds.constructors_fit(ctx, "in_currency(100, Rate('USD', 1.1, 2))")
    assert not builds.constructors_fit(ctx, "in_currency(100, Rate(code='USD'))")


KINDS_OF_CLASSES = '''from dataclasses import dataclass
from typing import NamedTuple, TypedDict

import attrs

Entry = NamedTuple("Entry", [("payer", str), ("cents", int)])


class Payment(TypedDict):
    debtor: str
    cents: int


@dataclass
class Money:
    cents: int


@attrs.define
class Member:
    name: str


@dataclass
class Base:
    size: int


@dataclass
class Derived(Base):
    extra: int = 0


class Shape:
    pass


def use(entries: list[Entry], cents: int) -> int:
    """Use them."""
'''


@pytest.mark.parametrize(
    ("annotation", "wrong", "right"),
    [
        # A dataclass's value is of its own class: a float where the hint says Money is not.
        ("Money", "cents / 100", "Money(cents)"),
        ("Money | None", "str(cents)", "None if cents < 0 else Money(cents)"),
        ("Member", "{'name': 'a'}", "Member('a')"),
        # Items of the project's classes: a NamedTuple's are tuples, a TypedDict's dicts.
        ("list[Entry]", "[e._asdict() for e in entries]", "list(entries)"),
        (
            "list[Payment]",
            "[(e.payer, e.cents) for e in entries]",
            "[Payment(debtor='a', cents=cents)]",
        ),
        (
            "dict[str, Money]",
            "{e.payer: e.cents for e in entries}",
            "{e.payer: Money(e.cents) for e in entries}",
        ),
    ],
)
def test_a_value_of_another_type_than_the_projects_class_the_hint_names_is_a_wrong_type(
    annotation: str, wrong: str, right: str
) -> None:
    # A user's tally: `settle(...) -> list[Payment]` built tuples where Payment is a TypedDict,
    # and nothing said so; for `-> Money` a float said nothing either.
    source = KINDS_OF_CLASSES.replace("-> int:", f"-> {annotation}:")
    ctx = function(source)
    calls = execution.probe_calls(ctx, _drawn_only(), lambda: [])[0]
    assert calls
    allowed, fields = builds.return_types(ctx), builds.return_fields(ctx)
    found = behaviours(
        ctx,
        {"wrong": f"    return {wrong}\n", "right": f"    return {right}\n"},
        calls,
        allowed,
        fields,
    )
    assert found["wrong"][1] > 0.5, found["wrong"]
    assert found["right"][1] == 0.0, found["right"]


@pytest.mark.parametrize("annotation", ["Shape", "Base", "list[Shape]", "list[Base]"])
def test_a_class_that_may_stand_for_a_subclass_allows_anything(annotation: str) -> None:
    # A plain class, or a dataclass another class derives from: `-> Shape` may return a
    # Circle the file never shows.
    ctx = function(KINDS_OF_CLASSES.replace("-> int:", f"-> {annotation}:"))
    assert builds.return_types(ctx) in (None, frozenset({"list"}))
    if annotation.startswith("list"):
        assert builds.return_fields(ctx) is None  # its items are not checked


def test_a_class_from_another_module_is_the_right_type_whatever_module_it_is_named_in(
    tmp_path: Path,
) -> None:
    # The sandbox names an imported class by its module (`shop.items.Item`), the hint by its
    # name alone: a right body must not read as returning a wrong type.
    files = dict(CART_PROJECT)
    files["shop/review.py"] = (
        "from shop.items import Item\n\n\n"
        "def cheapest(items: list[Item]) -> Item | None:\n"
        '    """Return the item with the lowest unit price, or None when there is none."""\n'
    )
    _write_project(tmp_path, "shop", files)
    path = tmp_path / "shop" / "review.py"
    right = "return min(items, key=lambda item: item.unit_price_cents, default=None)"
    wrong = "return min((item.unit_price_cents for item in items), default=None)"
    model = ScriptedModel()
    try:
        model.script(implementing("cheapest"), [body(right, -0.4), body(wrong, -0.2)])
        pipeline = Pipeline(_scripted(model, 2))
        try:
            result = pipeline.implement(
                path.read_text(encoding="utf-8"), 3, file=find_project(path)
            )
        finally:
            pipeline.close()
    finally:
        model.close()
    assert result.candidates[0].body.strip() == right, result.notes
    assert not any("where its hint says" in note for note in result.notes), result.notes


DOTTED_DATES_PROJECT = {
    "tally/__init__.py": "",
    "tally/records.py": (
        "import datetime\nfrom typing import NamedTuple\n\n\n"
        "class Sitting(NamedTuple):\n    student: str\n    day: datetime.date\n    mark: int\n"
    ),
}


@pytest.mark.parametrize(
    ("imports", "spelled"),
    [
        ("", "day=date("),  # binds nothing: the probe imports `date`
        ("from datetime import datetime\n", "day=date("),  # `datetime.date` is a method here
        ("import datetime\n", "day=datetime.date("),
    ],
)
def test_a_shown_class_s_dotted_date_is_written_as_the_function_s_module_names_it(
    tmp_path: Path, imports: str, spelled: str
) -> None:
    # records.py reads `day: datetime.date`; a ride log's units.py imported the class and not
    # `datetime`, so every drawn `Sitting(day=datetime.date(...))` failed to build there and a
    # user's function of one such object was compared on no input at all.
    files = dict(DOTTED_DATES_PROJECT)
    files["tally/stats.py"] = (
        f"{imports}from tally.records import Sitting\n\n\n"
        "def late(sitting: Sitting) -> bool:\n"
        '    """Tell a sitting after the first of March 2024."""\n'
    )
    _write_project(tmp_path, "tally", files)
    path = tmp_path / "tally" / "stats.py"
    source = path.read_text(encoding="utf-8")
    line = source.splitlines().index("def late(sitting: Sitting) -> bool:")
    pipeline = Pipeline(_drawn_only())
    try:
        file = find_project(path)
        ctx = pipeline.in_project(find_function(source, line), source, file)
        drawn, _ = pipeline.probe_calls(ctx, file=file)
    finally:
        pipeline.close()
    assert len(drawn) == inputs.DRAWN_CALLS, drawn
    assert all(spelled in call for call in drawn), drawn
