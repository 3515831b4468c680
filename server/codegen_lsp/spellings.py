"""Name the standard value types in a drawn call the way the function's own module can.

A drawn ``Ride`` from ``ridelog/model.py``, where ``import datetime`` lets the field read
``day: datetime.date``, is written ``Ride(..., day=datetime.date(2024, 3, 1))``. The call runs
in the module of the function under test, ``ridelog/units.py``, which never imports
``datetime``: every such call failed to build and was dropped, so a user's
``calories_burned(ride: Ride)`` was compared on no input at all. Where ``datetime`` is bound to
the class (``from datetime import datetime``), ``datetime.date(2024, 3, 1)`` is even a call of
the method ``datetime.date``, which raises.

So each call naming a standard value type is written as its module names it: ``date(...)``
where the module imports ``date`` or binds nothing of that name (the probe then imports it,
:func:`codegen_lsp.inputs.probe_imports`), ``datetime.date(...)`` where the module does
``import datetime`` instead.
"""

from __future__ import annotations

import ast

from codegen_lsp import newer_syntax

STANDARD_HOMES = {
    "date": "datetime",
    "datetime": "datetime",
    "time": "datetime",
    "timedelta": "datetime",
    "Decimal": "decimal",
    "Fraction": "fractions",
    "Path": "pathlib",
    "PurePath": "pathlib",
    "PurePosixPath": "pathlib",
}
"""The module each standard value type drawn as an input is imported from, by its name."""


def module_spellings(module: str) -> dict[str, str]:
    """Return how ``module`` can name each standard value type: ``date`` or ``datetime.date``.

    The bare name where the module imports it from its home or leaves the name unbound (a
    probe imports it); the dotted one where the module imports the home module under its own
    name and not the type. A name the module binds to something else keeps the bare spelling,
    which is what a call drawn from this module's own annotations says anyway.
    """
    try:
        tree = newer_syntax.parse(module)
    except SyntaxError:
        return {}
    from_imported: set[tuple[str, str]] = set()
    modules: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            from_imported.update(
                (node.module, alias.name)
                for alias in node.names
                if alias.asname in (None, alias.name)
            )
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names if alias.asname is None)
    spellings = {}
    for name, home in STANDARD_HOMES.items():
        dotted = home in modules and (home, name) not in from_imported
        spellings[name] = f"{home}.{name}" if dotted else name
    return spellings


def respelled(call: str, spellings: dict[str, str]) -> str:
    """Return ``call`` with every constructor of a standard value type named per ``spellings``.

    Only a one-line call is rewritten, and only the callee's text: the rest stays as drawn.
    """
    # Most drawn calls name no standard type at all: those are not parsed.
    if "\n" in call or not any(name in call for name in spellings):
        return call
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return call
    encoded = call.encode()  # ast offsets count UTF-8 bytes
    changes: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _standard_name(node.func)
        if name is None or name not in spellings:
            continue
        wanted = spellings[name]
        start, end = node.func.col_offset, node.func.end_col_offset
        if end is not None and encoded[start:end].decode() != wanted:
            changes.append((start, end, wanted))
    for start, end, wanted in sorted(changes, reverse=True):
        encoded = encoded[:start] + wanted.encode() + encoded[end:]
    return encoded.decode()


def _standard_name(func: ast.expr) -> str | None:
    """Return the standard type a callee names (``date``, ``datetime.date``), else None."""
    if isinstance(func, ast.Name) and func.id in STANDARD_HOMES:
        return func.id
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and STANDARD_HOMES.get(func.attr) == func.value.id
    ):
        return func.attr
    return None
