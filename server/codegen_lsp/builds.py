"""The project's own classes as drawn inputs: built through their constructors, written as source.

Real functions take the project's types: ``invoice_total(items: list[Item])``. To compare
candidates on drawn inputs there, Hypothesis must make an ``Item``. The value itself never
exists here: the server does not import the user's code, and the sandbox worker stays standard
library only. What is drawn is the constructor call as source, ``Item(sku='a', qty=2)``, run only
inside the sandbox with the candidate's module, where the name is bound as the file binds it
(or, for a class the prompt showed from a module the file does not import it from, as the
probe's own import binds it: ``from shop.items import Item`` before the call).

Read from the class's definition (the file's own, or the one cross-file context put in the
prompt), a class is built

- for an Enum, as one of its members (``Colour.RED``);
- for a class with annotated fields and no ``__init__`` of its own (a dataclass, a NamedTuple,
  attrs, pydantic), from those fields (defaults too: ``qty: int = 1`` is where candidates part
  ways), by keyword; a field with a default whose type cannot be built (an Enum the function's
  module does not import) keeps its default;
- for a class with an ``__init__``, from that method's parameters, by keyword, when each one
  without a default carries a type hint (one with a default is drawn when hinted); then the
  attributes ``__init__`` declares with a type but fills from no parameter
  (``self.lines: list[Item] = []``) are drawn too and set on the new object,
  ``(lambda o: setattr(o, 'lines', [...]) or o)(Cart(owner='a'))``: a cart is otherwise always
  empty when built, and every candidate agrees on empty carts;
- then, for a class with filling methods of its own (public, undecorated, ``-> None``, every
  required parameter hinted, a body already written), up to :data:`MAX_FILLS` calls of them
  on the new object, as one expression:
  ``[(_tally1 := Tally(owner='a')), _tally1.add('b', 2), _tally1][-1]``: an ``__init__`` that
  leaves ``self.counts = {}`` untyped gives nothing else to draw.

Anything else (a class whose constructor comes from a base, a parameter without a hint, a class
that contains itself deeper than :data:`MAX_DEPTH`) cannot be built, and the function then gets
no drawn inputs, as before.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from codegen_lsp import inputs, newer_syntax, quoted, summaries
from codegen_lsp.context import FunctionContext, is_placeholder

FLAG_BASES = frozenset({"Flag", "IntFlag"})
"""Enum bases whose members combine with ``|``."""
MAX_DEPTH = 3
"""How deep one class's fields may build another class (a tree of nodes stops here)."""
MAX_FILLS = 3
"""At most this many calls of a class's own filling methods follow its constructor."""


@dataclass(frozen=True)
class Built:
    """A value drawn for a project class: only its source, which the sandbox evaluates."""

    source: str

    def __repr__(self) -> str:
        return self.source


def _enum_members(node: ast.ClassDef) -> list[str]:
    members = []
    for stmt in node.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else []
        for target in targets:
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                members.append(target.id)
    return members


def _is_class_var(annotation: ast.expr) -> bool:
    text = ast.unparse(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar", "InitVar", "dataclasses.InitVar"))


def _required_fields(node: ast.ClassDef) -> list[tuple[str, ast.expr, bool]] | None:
    """(name, hint, has a default) of what the constructor takes; None when it cannot be read."""
    init = next(
        (s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is not None:
        arguments = init.args
        positional = [*arguments.posonlyargs, *arguments.args][1:]  # past `self`
        defaulted = len(arguments.defaults)
        required = positional[: len(positional) - defaulted]
        optional = positional[len(positional) - defaulted :] if defaulted else []
        for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
            (required if default is None else optional).append(argument)
        if arguments.posonlyargs[1:] or any(a.annotation is None for a in required):
            return None
        # A hinted parameter with a default is drawn too, as a dataclass field with one is
        # (`discount: Discount = Discount.NONE` is where candidates part ways); unhinted, it
        # keeps its default.
        return [(a.arg, a.annotation, False) for a in required if a.annotation is not None] + [
            (a.arg, a.annotation, True) for a in optional if a.annotation is not None
        ]
    fields = _init_fields(node)
    if not fields and node.bases:
        return None  # the constructor comes from a base this file does not show
    # Fields with a default are drawn too: `qty: int = 1` is where candidates differ.
    return fields


def _init_fields(node: ast.ClassDef) -> list[tuple[str, ast.expr, bool]]:
    """(name, hint, has a default) of each annotated field the generated constructor takes.

    A dataclass's (or NamedTuple's, attrs', pydantic's) fields, in order; a ``ClassVar`` and a
    ``field(init=False)`` are not among them.
    """
    return [
        (stmt.target.id, stmt.annotation, stmt.value is not None)
        for stmt in node.body
        if isinstance(stmt, ast.AnnAssign)
        and isinstance(stmt.target, ast.Name)
        and not _is_class_var(stmt.annotation)
        and not _not_in_init(stmt.value)
    ]


def _declared_attributes(node: ast.ClassDef) -> list[tuple[str, ast.expr]]:
    """(name, hint) of each ``self.x: T`` that ``__init__`` fills from none of its parameters.

    A cart's ``self.lines: list[Item] = []`` is state the constructor does not take but the
    annotation types; what the parameters fill (``self.owner: str = owner``) is drawn already.
    """
    init = next(
        (s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is None or not init.args.args:
        return []
    arguments = init.args
    me = arguments.args[0].arg
    parameters = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    found: dict[str, ast.expr] = {}
    for statement in ast.walk(init):
        if not (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Attribute)
            and isinstance(statement.target.value, ast.Name)
            and statement.target.value.id == me
        ):
            continue
        uses = {n.id for n in ast.walk(statement.value or ast.Pass()) if isinstance(n, ast.Name)}
        name = statement.target.attr
        if name not in parameters and not uses & parameters and not name.startswith("_"):
            found.setdefault(name, statement.annotation)
    return list(found.items())


def _fillers(
    node: ast.ClassDef, skip: str, summary: bool = False
) -> list[tuple[str, list[ast.arg]]]:
    """(name, parameters past ``self``) of the methods that fill an object of ``node``.

    A filling method is public, undecorated, annotated ``-> None``, takes plain positional
    parameters whose required ones are all hinted, and has a body, not a placeholder (in the
    function's own file, where a method not written yet would fill nothing); ``skip``, the
    function being written, never is one. A ``summary`` (another file's class as cross-file
    context showed it, every body ``...``) does not show its bodies: its methods count as
    written. A ``Tally`` built empty and then given ``tally.add("a", 2)`` is the state a
    ``top()`` works on; its ``__init__`` leaves ``self.counts = {}`` untyped, so nothing else
    fills it.
    """
    found = []
    for stmt in node.body:
        if (
            not isinstance(stmt, ast.FunctionDef)
            or stmt.name.startswith("_")
            or stmt.name == skip
            or stmt.decorator_list
            or not (isinstance(stmt.returns, ast.Constant) and stmt.returns.value is None)
        ):
            continue
        arguments = stmt.args
        if arguments.posonlyargs or arguments.kwonlyargs or arguments.vararg or arguments.kwarg:
            continue
        parameters = arguments.args[1:]
        required = parameters[: len(parameters) - len(arguments.defaults)]
        code = [s for s in stmt.body if not (isinstance(s, ast.Expr) and _is_text(s.value))]
        if any(p.annotation is None for p in required) or (
            not summary and all(is_placeholder(ast.unparse(s)) for s in code)
        ):
            continue
        found.append((stmt.name, required))
    return found


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _not_in_init(value: ast.expr | None) -> bool:
    """Tell a ``field(init=False)`` (the constructor does not take it)."""
    return isinstance(value, ast.Call) and any(
        k.arg == "init" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in value.keywords
    )


class ClassBuilds:
    """The strategies for the classes a function's module can name, made on first use."""

    def __init__(
        self,
        classes: dict[str, ast.ClassDef],
        skip: str = "",
        summaries: frozenset[str] = frozenset(),
        aliases: Mapping[str, ast.expr] | None = None,
    ) -> None:
        self._classes = classes
        self._depth = 0
        self._skip = skip
        self._summaries = summaries
        self._aliases = aliases or {}
        self._named = 0

    def __call__(self, name: str) -> st.SearchStrategy[Any]:
        """Return the strategy for the class ``name``; :class:`inputs.Unsupported` if none.

        A type alias (``Kind = Literal["debit", "credit"]``) is drawn as what it stands for.
        """
        if self._depth >= MAX_DEPTH:
            raise inputs.Unsupported(name)
        alias = self._aliases.get(name)
        if alias is not None and name not in self._classes:
            self._depth += 1
            try:
                return inputs.strategy_for(alias, self)
            finally:
                self._depth -= 1
        node = self._classes.get(name)
        if node is None:
            raise inputs.Unsupported(name)
        if summaries.is_enum(node):
            members = _enum_members(node)
            if not members:
                raise inputs.Unsupported(name)
            single = st.sampled_from([Built(f"{name}.{member}") for member in members])
            if not summaries.base_names(node) & FLAG_BASES or len(members) < 2:
                return single
            # A Flag's values are combinations too: `token.style == Style.BOLD` misses a
            # bold italic token, and only a combination shows it.
            pairs = st.lists(st.sampled_from(members), min_size=2, max_size=2, unique=True)
            combined = pairs.map(lambda pair: Built(" | ".join(f"{name}.{m}" for m in pair)))
            return st.one_of(single, combined)
        fields = _required_fields(node)
        if fields is None:
            raise inputs.Unsupported(name)
        names: list[str] = []
        strategies: list[st.SearchStrategy[Any]] = []
        self._depth += 1
        try:
            for field_name, hint, has_default in fields:
                try:
                    strategies.append(inputs.strategy_for(hint, self))
                except inputs.Unsupported:
                    if not has_default:
                        raise
                    # `category: Category = Category.TOOLS` where the function's module cannot
                    # name Category: the default stands, and the rest is still drawn.
                    continue
                names.append(field_name)
            settable: list[str] = []
            for attribute, hint in _declared_attributes(node):
                try:
                    strategies.append(inputs.strategy_for(hint, self))
                except inputs.Unsupported:
                    continue  # it stays as the constructor left it
                settable.append(attribute)
            fills = self._fills(node)
        finally:
            self._depth -= 1
        built = st.tuples(*strategies).map(lambda drawn: _construct(name, names, settable, drawn))
        if not fills:
            return built
        self._named += 1
        # Its own name per strategy: a filled object inside another's filling call must not
        # rebind the outer one's name.
        variable = f"_{name.lower()}{self._named}"
        calls = st.lists(st.one_of(*fills), max_size=MAX_FILLS)
        return st.tuples(built, calls).map(lambda drawn: _filled(variable, *drawn))

    def _fills(self, node: ast.ClassDef) -> list[st.SearchStrategy[tuple[str, tuple[Any, ...]]]]:
        """One strategy per filling method whose hints can be drawn: (name, arguments)."""
        found = []
        for method, parameters in _fillers(node, self._skip, node.name in self._summaries):
            try:
                drawn = [
                    inputs.strategy_for(p.annotation, self) for p in parameters if p.annotation
                ]
            except inputs.Unsupported:
                continue
            found.append(st.tuples(st.just(method), st.tuples(*drawn)))
        return found


def _filled(variable: str, built: Built, calls: list[tuple[str, tuple[Any, ...]]]) -> Built:
    """Write the object built, then filled by its methods, as one expression.

    ``[(_tally1 := Tally(owner='a')), _tally1.add('b', 2), _tally1][-1]``, the form the calls
    near a method's examples take (:mod:`codegen_lsp.variants`).
    """
    if not calls:
        return built
    steps = [f"{variable}.{method}({', '.join(map(repr, values))})" for method, values in calls]
    return Built(f"[({variable} := {built.source}), {', '.join(steps)}, {variable}][-1]")


def _construct(
    name: str, names: list[str], attributes: list[str], values: tuple[Any, ...]
) -> Built:
    """Write the constructor call, then (as one expression) set the drawn attributes on it."""
    given = zip(names, values[: len(names)], strict=True)
    call = f"{name}({', '.join(f'{field}={value!r}' for field, value in given)})"
    if not attributes:
        return Built(call)
    assigned = zip(attributes, values[len(names) :], strict=True)
    sets = " or ".join(f"setattr(o, {attribute!r}, {value!r})" for attribute, value in assigned)
    return Built(f"(lambda o: {sets} or o)({call})")


def class_builds(ctx: FunctionContext) -> Callable[[str], st.SearchStrategy[Any]]:
    """Return the lookup :func:`inputs.signature_calls` asks for the project's classes.

    Only classes the module can name at run time are built (:func:`inputs.constructors`): those
    the file defines or imports, read from the file or from the definitions the prompt showed;
    and the classes the prompt showed from another module (:func:`inputs.importable_classes`),
    which the probe imports before its call.
    """
    classes, summaries = _classes_and_summaries(ctx)
    module = ctx.module_with_body(ctx.body_source)
    aliases = type_aliases((module, *ctx.definitions))
    return ClassBuilds(classes, skip=ctx.name, summaries=summaries, aliases=aliases)


@functools.lru_cache(maxsize=16)
def type_aliases(texts: tuple[str, ...]) -> dict[str, ast.expr]:
    """Return the module-level type aliases of ``texts`` (the module, then what the prompt showed).

    ``Kind = Literal["debit", "credit"]`` (a plain assignment whose value is a generic type or a
    ``|`` of types), ``Kind: TypeAlias = ...``, ``UserId = NewType("UserId", int)`` (drawn
    as an ``int``: a NewType is its base at run time), and ``T = TypeVar("T", bound=Item)``
    (drawn as its bound, its constraints, or anything), so that a generic class of the project
    (``Stack(Generic[T])`` with ``items: list[T]``) is built too. A field typed ``kind: Kind``
    is drawn from the alias's value; without this the class holding it could not be built at
    all, and the function got no drawn inputs. The first definition of a name wins, the
    module's own before another file's.
    """
    found: dict[str, ast.expr] = {}
    for node, _ in newer_syntax.top_level(texts):
        named = summaries.type_alias(node)
        if named is not None:
            found.setdefault(*named)
    return found


_NO_SUCH_ATTRIBUTE = re.compile(r"'(\w+)' object has no attribute '(\w+)'")
_ATTRIBUTE = re.compile(r"\w+\.(\w+)")
LISTED_ATTRIBUTES = 20
"""A repair request names at most this many of a class's attributes."""


def with_attributes(failure: str, ctx: FunctionContext) -> str:
    """Add to an error of an attribute a project class lacks the attributes it has.

    ``'Booking' object has no attribute 'nights'``: every sample of a user's ledger's
    ``price(booking)`` read ``booking.nights``, and the repair round, told only that, read it
    again. Told ``Booking has: room, guest, check_in, check_out, status`` (and, for the
    method's own class, its other methods), the model can use what exists. ``failure`` as it
    is for another error, or a class the module and the prompt do not define.
    """
    match = _NO_SUCH_ATTRIBUTE.search(failure)
    node = _reachable_classes(ctx).get(match.group(1)) if match else None
    if match is None or node is None:
        return failure
    names = [name for name, _ in summaries.readable_fields(node)]
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef):  # `self.rooms = ...` in `__init__`
            shown = summaries.self_attributes(statement)
            names += [m.group(1) for line in shown if (m := _ATTRIBUTE.match(line))]
    names += [
        f"{statement.name}()"
        for statement in node.body
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef)
        and not statement.name.startswith("_")
        and statement.name != ctx.name
    ]
    if summaries.is_enum(node):
        names = _enum_members(node)
    listed = list(dict.fromkeys(name for name in names if name != match.group(2)))
    if not listed:
        return failure
    told = f"{failure}; `{match.group(1)}` has: {', '.join(listed[:LISTED_ATTRIBUTES])}"
    held = _held_by_field(node, match.group(2), _reachable_classes(ctx))
    if held is None:
        return told
    # "the rider's weight": every sample of a ride log's `calories_burned(ride)` read
    # `ride.weight_kg`, and so did the repair round told only what `Ride` has.
    holder, owner = held
    reading = f"{summaries.snake_case(match.group(1))}.{holder}.{match.group(2)}"
    return f"{told}; `{match.group(2)}` is on its `{holder}` (a `{owner}`): `{reading}`"


def _held_by_field(
    node: ast.ClassDef, attribute: str, classes: dict[str, ast.ClassDef]
) -> tuple[str, str] | None:
    """Return the field of ``node`` whose class has ``attribute``, and that class's name."""
    for name, annotation in summaries.readable_fields(node):
        try:
            hint = ast.parse(annotation, mode="eval")
        except SyntaxError:
            continue
        for named in ast.walk(hint):
            held = classes.get(named.id) if isinstance(named, ast.Name) else None
            if held is not None and attribute in dict(summaries.readable_fields(held)):
                return name, held.name
    return None


def return_fields(ctx: FunctionContext) -> inputs.ReturnFields | None:
    """Return the project class ``ctx``'s return annotation names and its fields' types.

    ``("Money", {"cents": {"int", "bool"}})`` for ``-> Money`` (or ``Money | None``) where
    ``Money`` says ``cents: int``: a body that returns ``Money(cents * rate)`` returns the
    right class with a float in it, which the ranking counts as a wrong return type. A
    TypedDict's fields are its keys, read from the dict it returns (``runtime`` ``dict``). A
    container's items otherwise (:func:`inputs.return_items`: ``list[tuple[str, int]]``). None
    when the annotation names no class a probe can build and no container whose items can be
    checked, or none of its fields has a type that can be checked (``currency: Currency``).
    """
    annotation = inputs.return_annotation(ctx)
    if annotation is not None and ast.unparse(annotation) == "str":
        found = quoted.return_template(ctx.docstring or "")
        if found is None:
            return None
        template, shape = found
        return inputs.ReturnFields("str", {}, "str", shape=shape, template=template)
    owner = summaries.single_class(annotation) if annotation is not None else None
    node = _reachable_classes(ctx).get(owner or "")
    runtimes = class_runtimes(ctx)
    if owner is None or node is None:
        return inputs.return_items(annotation, runtimes)
    allowed = {}
    for name, written in summaries.readable_fields(node):
        try:
            kinds = inputs.allowed_types(ast.parse(written, mode="eval").body, runtimes)
        except SyntaxError:
            continue
        if kinds is not None:
            allowed[name] = kinds
    if not allowed:
        return None
    return inputs.ReturnFields(owner, allowed, "dict" if summaries.is_typed_dict(node) else "")


def return_types(ctx: FunctionContext) -> frozenset[str] | None:
    """Return the type names the return annotation allows (:func:`inputs.return_types`).

    And for the project's classes whose values' types are known (:func:`class_runtimes`): a
    TypedDict (``-> Entry``, ``-> Entry | None``) is a dict at run time, a dataclass's value is
    of its own class. A body returning a tuple, or ``Money``, where the hint says ``Entry``
    returns a wrong type; so does one returning a float where it says ``-> Money``.
    """
    return inputs.return_types(ctx, class_runtimes(ctx))


_FINAL_KINDS_OF_BASE = {
    "NamedTuple": frozenset({"tuple"}),
    "TypedDict": frozenset({"dict"}),
    "IntEnum": frozenset({"int"}),
    "IntFlag": frozenset({"int"}),
    "StrEnum": frozenset({"str"}),
    "Enum": frozenset(),
    "Flag": frozenset(),
}
"""Bases whose classes' values are known by type at run time, and the builtin type the sandbox
sees them as besides their own (a NamedTuple's values are tuples to it)."""


def class_runtimes(ctx: FunctionContext) -> inputs.ClassRuntimes:
    """Return, per project class a return value's type can be checked against, its type names.

    Only classes whose values are of the class itself and no other: a dataclass or an attrs
    class with no base and no subclass among the classes known here, a NamedTuple, a
    TypedDict, an Enum. A plain class, a Protocol or one with a base may stand for a subclass
    (``-> Shape`` returning a ``Circle``) and allows anything, as before.
    """
    classes = _reachable_classes(ctx)
    return _class_runtimes(tuple(classes.items()))


@functools.lru_cache(maxsize=16)
def _class_runtimes(classes: tuple[tuple[str, ast.ClassDef], ...]) -> inputs.ClassRuntimes:
    bases = {base for _, node in classes for base in summaries.base_names(node)}
    found: dict[str, frozenset[str]] = {}
    for name, node in classes:
        own = summaries.base_names(node)
        known = [_FINAL_KINDS_OF_BASE[base] for base in own if base in _FINAL_KINDS_OF_BASE]
        if known and len(known) == len(own):
            # A TypedDict's values are plain dicts, never of the class itself.
            itself = frozenset() if "TypedDict" in own else frozenset({name})
            found[name] = itself.union(*known)
        elif not own and name not in bases and (_is_dataclass(node) or _is_attrs(node)):
            found[name] = frozenset({name})
    return found


def _is_attrs(node: ast.ClassDef) -> bool:
    """Tell a class under attrs' ``@define``, ``@frozen``, ``@attrs.define``, ``@attr.s``..."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) in _ATTRS_DECORATORS:
            return True
    return False


_ATTRS_DECORATORS = frozenset(
    {"define", "frozen", "mutable", "attrs.define", "attrs.frozen", "attrs.mutable"}
    | {"attr.s", "attr.attrs", "attr.define", "attr.frozen", "attr.mutable", "attrs"}
)


def _reachable_classes(ctx: FunctionContext) -> dict[str, ast.ClassDef]:
    """Return the definitions of the classes a probe can build (named or imported), by name."""
    return _classes_and_summaries(ctx)[0]


def _classes_and_summaries(ctx: FunctionContext) -> tuple[dict[str, ast.ClassDef], frozenset[str]]:
    """Return :func:`_reachable_classes`, and which of them are summaries from other files."""
    module = ctx.module_with_body(ctx.body_source)
    return _parsed_classes(module, tuple(ctx.definitions), inputs.buildable(ctx))


@functools.lru_cache(maxsize=16)
def _parsed_classes(
    module: str, definitions: tuple[str, ...], reachable: frozenset[str]
) -> tuple[dict[str, ast.ClassDef], frozenset[str]]:
    """Parse the module and the definitions once for every call that checks or builds them.

    Reading a model's proposals checks each call against the classes (constructors, filling
    methods): without this each check parsed the whole file again. Callers only read the
    result.
    """
    found: dict[str, ast.ClassDef] = {}
    summaries: set[str] = set()
    for node, text in newer_syntax.top_level([module, *definitions]):
        if isinstance(node, ast.ClassDef) and node.name in reachable:
            if node.name not in found and text is not module:
                summaries.add(node.name)
            found.setdefault(node.name, node)
    return found, frozenset(summaries)


def field_defaults(ctx: FunctionContext) -> dict[str, dict[str, str]]:
    """Per class the module can name, each field's default as source (``qty: int = 1``).

    The model, asked for calls, spells out defaults the function's module may not be able to
    name (``Item(..., category=Category.TOOLS)`` where only ``Item`` is imported); such an
    argument can be left out, since the constructor fills in the same value.
    """
    found: dict[str, dict[str, str]] = {}
    for name, node in _reachable_classes(ctx).items():
        defaults = {
            stmt.target.id: ast.unparse(stmt.value)
            for stmt in node.body
            if isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.value is not None
            and not isinstance(stmt.value, ast.Call)  # field(...): no plain default to compare
        }
        if defaults:
            found[name] = defaults
    return found


def _takes(node: ast.ClassDef) -> inputs.Takes | None:
    """Return what ``node``'s constructor takes; None when the definition does not say."""
    if summaries.is_enum(node):
        return None  # members are named, not built
    init = next(
        (s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is not None:
        return inputs.Takes.of(init.args, skip=1)  # past `self`
    if node.bases:
        return None  # the constructor, or some of its fields, come from a base
    fields = _init_fields(node)
    if fields and not _is_dataclass(node):
        return None  # attrs, pydantic, a NamedTuple: their own rules
    names = [name for name, _, _ in fields]
    required = {name for name, _, has_default in fields if not has_default}
    return inputs.Takes(tuple(names), frozenset(names), frozenset(required), False, False)


def _is_dataclass(node: ast.ClassDef) -> bool:
    """Tell a class under ``@dataclass`` or ``@dataclasses.dataclass(...)``."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) in ("dataclass", "dataclasses.dataclass"):
            return True
    return False


def constructors_fit(ctx: FunctionContext, call: str) -> bool:
    """Tell whether every project class that ``call`` builds is given what its constructor takes.

    A small model, asked for calls of ``Cart.remove_sku``, writes
    ``Cart(Owner='ann', Discount=Discount.NONE).remove_sku('a')``: the constructor raises
    ``TypeError`` before any candidate runs, so every candidate "raises" on it, which says
    nothing about them and counts against the top one in its title. A class whose definition
    does not say what it takes (a base's constructor, attrs, pydantic) is not checked.
    """
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return False
    classes = _reachable_classes(ctx)
    objects = inputs.object_classes(ctx)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        definition = classes.get(node.func.id)
        takes = _takes(definition) if definition is not None else None
        if definition is None or takes is None:
            continue
        if not takes.accepts(node) or not _fields_fit(definition, takes, node, objects):
            return False
    return True


def _fields_fit(
    definition: ast.ClassDef, takes: inputs.Takes, call: ast.Call, objects: frozenset[str]
) -> bool:
    """Tell whether a constructor's literal arguments fit its fields' hints.

    ``Booking(room=1, guest='ada', check_in='2026-03-01', ...)`` for a ``check_in: date``:
    proposed by the model for a user's ``nights(booking)``, every candidate's ``check_out -
    check_in`` raised the same TypeError, which counted as broken code for all of them.
    """
    hints = {name: hint for name, hint, _ in _required_fields(definition) or []}
    passed = list(zip(takes.positional, call.args, strict=False))
    passed += [(k.arg, k.value) for k in call.keywords if k.arg is not None]
    return all(
        inputs.argument_fits(hints[name], argument, objects)
        for name, argument in passed
        if name in hints
    )


def filling_methods(ctx: FunctionContext, owner: str) -> list[str]:
    """Return how the methods that fill an object of the class ``owner`` are called.

    The methods drawn objects are filled through (see the module's docstring), never the
    function being written, each with its required arguments, a project class's as its
    constructor's call: ``put(Snack(...))``, ``add(...)``. The model asked for calls of a
    method of such a class is asked for short tests that fill the object through them first:
    one call on a new ``Tray`` cannot say what it holds.
    """
    classes, summaries = _classes_and_summaries(ctx)
    definition = classes.get(owner)
    if definition is None:
        return []

    def shape(parameter: ast.arg) -> str:
        hint = parameter.annotation
        return f"{hint.id}(...)" if isinstance(hint, ast.Name) and hint.id in classes else "..."

    return [
        f"{name}({', '.join(shape(parameter) for parameter in required)})"
        for name, required in _fillers(definition, ctx.name, owner in summaries)
    ]


def filled_parameter(ctx: FunctionContext) -> tuple[int, int, str] | None:
    """Return where a call of ``ctx`` passes an object filled through its class's methods.

    (the parameter's place, how many parameters a call passes, the class): the first
    parameter hinted with a class that has filling methods (:func:`filling_methods`), as
    ``report(tally: Tally)``; None when none is.
    """
    try:
        parameters = inputs.required_parameters(ctx)
    except (inputs.Unsupported, SyntaxError):
        return None
    for place, parameter in enumerate(parameters):
        hint = parameter.annotation
        if isinstance(hint, ast.Name) and filling_methods(ctx, hint.id):
            return place, len(parameters), hint.id
    return None


def _calls_on_built(
    tree: ast.AST, classes: dict[str, ast.ClassDef]
) -> list[tuple[ast.Call, ast.ClassDef, ast.FunctionDef | None]]:
    """Return the method calls on objects ``tree`` builds and names (``tally := Tally('a')``).

    Each with the object's class and the method's definition (None when the class has none).
    """
    built: dict[str, ast.ClassDef] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.NamedExpr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in classes
        ):
            built[node.target.id] = classes[node.value.func.id]
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in built
        ):
            definition = built[node.func.value.id]
            method = next(
                (
                    statement
                    for statement in definition.body
                    if isinstance(statement, ast.FunctionDef) and statement.name == node.func.attr
                ),
                None,
            )
            found.append((node, definition, method))
    return found


def fillers_fit(ctx: FunctionContext, call: str) -> bool:
    """Tell whether every method ``call`` calls on an object it built is given what it takes.

    A filled object (``[(tally := Tally('a')), tally.add('b', 2), tally][-1].top()``) that a
    model proposed may call a method its class does not have (``tally.push('b')``) or pass it
    what it does not take: then every candidate raises the same error before its own code
    runs. A class whose definition does not say (one with a base) is not checked.
    """
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return False
    for node, definition, method in _calls_on_built(tree, _reachable_classes(ctx)):
        if method is None:
            if not definition.bases:
                return False  # no such method: AttributeError, whatever the body
            continue
        if not inputs.Takes.of(method.args, skip=1).accepts(node):
            return False
    return True


FILLED_IN: dict[str, tuple[Any, ...]] = {
    "int": (1, 2, 3),
    "float": (1.5, 2.0, 0.5),
    "str": ("a", "b", "c"),
    "bool": (True, False),
}
"""Values given, by their hint, to the arguments a filling call the model wrote left out: the
n-th such call gets each type's n-th value (in turn), so that the calls differ."""


def completed_fillers(ctx: FunctionContext, call: str) -> str:
    """Return ``call`` with the arguments its filling calls left out given, by keyword.

    Asked for tests of ``Tally.best_seller``, the default model wrote
    ``tally.record(Item('a', 10, 5))`` on every line, leaving out ``units: int`` however the
    shape showed it; such a call raises ``TypeError`` in every candidate and was dropped, with
    the items the model chose. A required parameter hinted ``int``, ``float``, ``str`` or
    ``bool`` is given a value of its type (:data:`FILLED_IN`; the results are compared between
    candidates, never judged, so any value the hint allows serves):
    ``tally.record(Item('a', 10, 5), units=1)``. ``call`` is returned as it was when nothing is
    left out or a missing parameter has another hint (or none).
    """
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return call
    completed = 0
    for node, _, method in _calls_on_built(tree, _reachable_classes(ctx)):
        if method is None:
            continue
        parameters = [*method.args.posonlyargs, *method.args.args][1:]  # past `self`
        required = parameters[: len(parameters) - len(method.args.defaults)]
        given = {p.arg for p in parameters[: len(node.args)]}
        given |= {k.arg for k in node.keywords if k.arg is not None}
        missing = [p for p in required if p.arg not in given]
        hints = [ast.unparse(p.annotation) if p.annotation else "" for p in missing]
        if not missing or not all(hint in FILLED_IN for hint in hints):
            continue
        for parameter, hint in zip(missing, hints, strict=True):
            values = FILLED_IN[hint]
            value = ast.Constant(values[completed % len(values)])
            node.keywords.append(ast.keyword(arg=parameter.arg, value=value))
        completed += 1
    return ast.unparse(tree) if completed else call


def constructor_arguments(ctx: FunctionContext, name: str) -> str:
    """Return how the class ``name`` is built, as a call's shape: ``owner=..., discount=...``.

    Shown to the model asked for calls of a method: told only ``Cart(...)``, a small model
    writes ``Cart(Owner='ann')``, which no constructor takes. ``...`` when the definition does
    not say (a base's constructor, attrs, pydantic).
    """
    definition = _reachable_classes(ctx).get(name)
    takes = _takes(definition) if definition is not None else None
    if takes is None or takes.more_positional or takes.more_keywords:
        return "..."
    return ", ".join(f"{keyword}=..." for keyword in takes.positional)
