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
    begun: str
    """How the first example begins after ``>>>``, when the model is led into it."""
    variable: str = ""
    """A method's object, as its examples name it (``order``); "" for the rest."""


def example_shape(ctx: FunctionContext) -> ExampleShape:
    """Return how the examples reach ``ctx``: a call, or for a method its object built first.

    Asked for ``>>> add(...)`` examples of a method, the model wrote ``order.add(...)`` on an
    ``order`` it never built, and every example failed on the name. A method's examples now
    build the object (``>>> order = Order(customer=...)``; the first one is begun for the
    model), call the method on it, and show what a method returning nothing changed.
    """
    reached = inputs.callee(ctx)
    kind, owner = reached if reached is not None else ("function", "")
    if kind == "method":
        variable = owner.lower()
        building = builds.constructor_arguments(ctx, owner)
        return ExampleShape(
            f"doctest examples that build a `{owner}` (`>>> {variable} = {owner}({building})`), "
            f"call `>>> {variable}.{ctx.name}(...)` on it and, when it returns nothing, show "
            f"what it changed (`>>> {variable}.<attribute>`)",
            f" {variable} =",
            variable,
        )
    if kind == "property":
        return ExampleShape(f"`>>> {owner}(...).{ctx.name}` doctest examples", "")
    if kind in ("static", "classmethod"):
        return ExampleShape(f"`>>> {owner}.{ctx.name}(...)` doctest examples", "")
    return ExampleShape(f"`>>> {ctx.name}(...)` doctest examples", "")


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
    source = textwrap.dedent("\n".join([ctx.header, ctx.body_source]))
    try:
        function = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return []
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or not function.args.args:
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
