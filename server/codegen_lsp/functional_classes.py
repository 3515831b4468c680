"""Classes made by a call, read as the class statements they stand for.

Projects define records without a ``class`` statement: ``Entry = NamedTuple("Entry", [("payer",
str), ("amount_cents", int)])``, ``Rate = namedtuple("Rate", "code per_euro")``, ``Payment =
TypedDict("Payment", {"debtor": str, "cents": int})``. Everything that reads the project's
classes (the inputs drawn for a ``list[Entry]``, the checks of the model's calls, the fields a
returned object must have) read only ``class`` statements: a user's ``total_paid(entries:
list[Entry], payer: str)`` got no drawn input at all, and a body that read ``entry.weight`` on
an ``Entry`` was never run.

:func:`as_class` turns such an assignment into the ``class`` statement with the same fields
(``class Entry(NamedTuple):`` with ``payer: str``), which every reader already understands;
:func:`class_names` finds the names such assignments bind in a text. A ``namedtuple``'s fields
have no types: its class gets an ``__init__`` of unhinted parameters, so its calls are checked
for what they pass, and nothing is drawn for it (there is no type to draw from). Nothing here
runs the code.
"""

from __future__ import annotations

import ast
import re

_MAKERS = frozenset({"NamedTuple", "namedtuple", "TypedDict"})
FUNCTIONAL_CLASS = re.compile(
    r"^([ \t]*)([A-Za-z_]\w*)[ \t]*=[ \t]*(?:typing\.|typing_extensions\.|collections\.)?"
    r"(?:NamedTuple|namedtuple|TypedDict)\(",
    re.MULTILINE,
)
"""An assignment whose value is a call that makes a class: ``Entry = NamedTuple(...``."""


def class_names(text: str, top_level_only: bool = False) -> list[str]:
    """Return the names that calls making a class bind in ``text``, in order."""
    return [
        match.group(2)
        for match in FUNCTIONAL_CLASS.finditer(text)
        if not (top_level_only and match.group(1))
    ]


def _maker(call: ast.expr) -> str | None:
    if not isinstance(call, ast.Call):
        return None
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name if name in _MAKERS else None


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _typed_fields(maker: str, call: ast.Call) -> list[tuple[str, ast.expr]] | None:
    """Return the fields of a ``NamedTuple`` or ``TypedDict`` call, with their hints."""
    spec = call.args[1] if len(call.args) > 1 else None
    if maker == "NamedTuple" and isinstance(spec, ast.List | ast.Tuple):
        fields = []
        for pair in spec.elts:
            if not (isinstance(pair, ast.Tuple) and len(pair.elts) == 2):
                return None
            name = _text(pair.elts[0])
            if name is None:
                return None
            fields.append((name, pair.elts[1]))
        return fields
    if maker == "TypedDict" and isinstance(spec, ast.Dict):
        named = [
            (_text(key) if key is not None else None, value)
            for key, value in zip(spec.keys, spec.values, strict=True)
        ]
        if any(name is None or not name.isidentifier() for name, _ in named):
            return None  # `{"first-name": str}` has no attribute form
        return [(name, value) for name, value in named if name is not None]
    if spec is None:
        return [(k.arg, k.value) for k in call.keywords if k.arg not in (None, "total")]
    return None


def _untyped_fields(call: ast.Call) -> list[str] | None:
    """Return a ``namedtuple``'s field names: ``"a b"``, ``"a, b"`` or ``["a", "b"]``."""
    spec = call.args[1] if len(call.args) > 1 else None
    if spec is None:
        spec = next((k.value for k in call.keywords if k.arg == "field_names"), None)
    text = _text(spec) if spec is not None else None
    if text is not None:
        names = text.replace(",", " ").split()
    elif isinstance(spec, ast.List | ast.Tuple):
        found = [_text(item) for item in spec.elts]
        if any(name is None for name in found):
            return None
        names = [name for name in found if name is not None]
    else:
        return None
    return names if all(name.isidentifier() for name in names) else None


def _defaults(call: ast.Call) -> int:
    """How many trailing fields a ``namedtuple(..., defaults=(...))`` gives defaults."""
    given = next((k.value for k in call.keywords if k.arg == "defaults"), None)
    return len(given.elts) if isinstance(given, ast.List | ast.Tuple) else 0


def as_class(node: ast.stmt) -> ast.stmt:
    """Return the ``class`` statement a class-making assignment stands for; else ``node``.

    The statement and every part of it take ``node``'s position, so what reads a position
    (the lines a summary shows) points at the assignment, never at lines that do not exist.
    """
    if not (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
    ):
        return node
    maker = _maker(node.value)
    call = node.value
    if maker is None or not isinstance(call, ast.Call):
        return node
    name = node.targets[0].id
    if maker == "namedtuple":
        names = _untyped_fields(call)
        if names is None:
            return node
        required = len(names) - _defaults(call)
        parameters = ", ".join(
            name if index < required else f"{name}=None" for index, name in enumerate(names)
        )
        lines = [f"class {name}(NamedTuple):", f"    def __init__(self, {parameters}): ..."]
    else:
        fields = _typed_fields(maker, call)
        if fields is None:
            return node
        total = next((k.value for k in call.keywords if k.arg == "total"), None)
        bases = maker if total is None else f"{maker}, total={ast.unparse(total)}"
        lines = [f"class {name}({bases}):"]
        lines += [f"    {field}: {ast.unparse(hint)}" for field, hint in fields] or ["    pass"]
    made = ast.parse("\n".join(lines)).body[0]
    for part in ast.walk(made):
        ast.copy_location(part, node)  # all of it at the assignment: no position of its own
    return made
