"""How explain's examples reach a function, and what a method's examples should show.

A function is called (``>>> total(...)``); a method's examples build its object first
(``>>> order = Order(customer=...)``, then ``>>> order.add(...)``), a property is read on a new
object, a static or class method is called on its class. A method that returns nothing says
what it did only through its object, so the attributes its body changes are read after its
examples when they show nothing (``as_written.explain``). Pure: no model, no sandbox.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

from codegen_lsp import builds, inputs
from codegen_lsp.context import FunctionContext


@dataclass(frozen=True)
class ExampleShape:
    """How the examples of a docstring that explain writes call the function."""

    asked: str
    """What the prompt asks for: `` `>>> total(...)` doctest examples``."""
    variable: str = ""
    """A method's object, as its examples name it (``order``); "" for the rest."""

    @property
    def begun(self) -> str:
        """Return how the first example begins after ``>>>`` when the model is led into it.

        A method's begins by building its object (`` order =``); the rest's with nothing.
        """
        return f" {self.variable} =" if self.variable else ""


def example_shape(ctx: FunctionContext) -> ExampleShape:
    """Return how the examples reach ``ctx``: a call, or for a method its object built first.

    Asked for ``>>> add(...)`` examples of a method, the model wrote ``order.add(...)`` on an
    ``order`` it never built, and every example failed on the name. A method's examples now
    build the object (``>>> order = Order(customer=...)``; the first one is begun for the
    model), call the method on it, and show what a method returning nothing changed.
    """
    reached = inputs.callee(ctx)
    kind, owner = reached if reached is not None else ("function", "")
    # A generator's call shows `<generator object ...>`: its examples collect what it yields.
    opened, closed = ("list(", ")") if is_generator(ctx) else ("", "")
    collected = " (a generator: collect what it yields with `list(...)`)" if opened else ""
    if kind == "method":
        variable = owner.lower()
        building = builds.constructor_arguments(ctx, owner)
        return ExampleShape(
            f"doctest examples that build a `{owner}` (`>>> {variable} = {owner}({building})`), "
            f"call `>>> {opened}{variable}.{ctx.name}(...){closed}` on it{collected} and, when "
            f"it returns nothing, show what it changed (`>>> {variable}.<attribute>`)",
            variable,
        )
    if kind == "property":
        return ExampleShape(f"`>>> {owner}(...).{ctx.name}` doctest examples")
    call = f"{owner}.{ctx.name}(...)" if kind in ("static", "classmethod") else f"{ctx.name}(...)"
    changed = changed_argument(ctx)
    if changed is not None and not opened:
        # Called on a literal, a function that changes its argument shows nothing at all.
        shown = call.replace("(...)", f"({changed}, ...)")
        return ExampleShape(
            f"doctest examples; it returns nothing, so each binds the `{changed}` it changes to "
            f"a name first (`>>> {changed} = ...`), calls `>>> {shown}` and then shows it "
            f"(`>>> {changed}`)"
        )
    return ExampleShape(f"`>>> {opened}{call}{closed}` doctest examples{collected}")


def changed_argument(ctx: FunctionContext) -> str | None:
    """Return the first parameter of a function that returns nothing, or None.

    Such a function does its work on what it is given (``restock_all(items, units)`` adds to
    each item): its examples must keep that argument in a name to show it afterwards.
    """
    function = _parsed(ctx)
    if function is None or is_generator(ctx) or not function.args.args:
        return None
    returned = [n.value for n in ast.walk(function) if isinstance(n, ast.Return) and n.value]
    if any(not isinstance(value, ast.Constant) or value.value is not None for value in returned):
        return None  # it returns something: its examples show that
    first = function.args.args[0].arg
    return None if first in ("self", "cls") else first


def _parsed(ctx: FunctionContext) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """Return the function's own definition, parsed from its header and body."""
    source = textwrap.dedent("\n".join([ctx.header, ctx.body_source]))
    try:
        function = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return None
    return function if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) else None


def is_generator(ctx: FunctionContext) -> bool:
    """Tell whether the function's own body yields (not a function or class nested in it)."""
    function = _parsed(ctx)
    if function is None:
        return False
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    pending = list(ast.iter_child_nodes(function))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return True
        if not isinstance(node, nested):
            pending.extend(ast.iter_child_nodes(node))
    return False


MUTATING_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "extend",
        "extendleft",
        "insert",
        "add",
        "update",
        "setdefault",
        "pop",
        "popleft",
        "popitem",
        "remove",
        "discard",
        "clear",
        "sort",
        "reverse",
    }
)
"""Methods that change the container they are called on (``self.items.append(item)``)."""
SHOWN_ATTRIBUTES = 2
"""At most this many attributes a method changes are shown after its examples."""


def changed_attributes(ctx: FunctionContext) -> list[str]:
    """Return the attributes of its object that a method's body changes, in order, at most 2.

    ``self.total = ...``, ``self.total += ...``, ``self.sold[sku] = ...``, and a container
    changed in place (``self.items.append(item)``).
    """
    function = _parsed(ctx)
    if function is None or not function.args.args:
        return []
    own = function.args.args[0].arg

    def attribute_of_own(node: ast.expr) -> str | None:
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return node.attr if node.value.id == own else None
        return None

    found: list[tuple[int, int, str]] = []
    for node in ast.walk(function):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATING_METHODS
        ):
            targets = [node.func.value]
        for target in targets:
            name = attribute_of_own(target)
            if name is not None and not name.startswith("_"):
                found.append((target.lineno, target.col_offset, name))
    in_order = [name for _, _, name in sorted(found)]  # ast.walk goes breadth first
    return list(dict.fromkeys(in_order))[:SHOWN_ATTRIBUTES]
