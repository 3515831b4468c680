"""Find the function under the cursor cheaply enough for every code-action request.

Editors ask for code actions on every cursor move, so this never parses the whole document: it
walks up from the cursor to the nearest enclosing ``def`` by indentation and parses only that
function's lines. A file that is not valid Python elsewhere, or a 1 MB file, costs the same as a
small one. The result says whether the function has a docstring and whether its body is still
empty (only ``pass``, ``...`` or ``raise NotImplementedError``), which decides what the server
offers.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

_DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?def[ \t]+(?P<name>\w+)")
_EXAMPLE_MARKERS = (">>>", "==")
# How far up the cursor may be from its function's ``def``; beyond it nothing is offered.
_MAX_SCAN_LINES = 2000


@dataclass(frozen=True)
class FunctionAtCursor:
    """The function that encloses a position, as far as its own lines tell."""

    name: str
    def_line: int
    """0-based line of the ``def`` keyword."""
    end_line: int
    """0-based line after the function's last line."""
    docstring: str | None
    empty_body: bool
    """True when the body (after the docstring) is nothing but a placeholder."""
    text: str
    """The function's source lines, joined: a change to them changes this value."""

    @property
    def has_examples(self) -> bool:
        """Whether the docstring looks like it carries runnable examples."""
        return self.docstring is not None and any(m in self.docstring for m in _EXAMPLE_MARKERS)

    @property
    def wants_body(self) -> bool:
        """A docstring and no real body: the case the server writes a body for."""
        return self.docstring is not None and self.empty_body

    @property
    def key(self) -> str:
        """Identifies the function within one document version."""
        return f"{self.name}@{self.def_line}"


def _indent_width(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _block_end(lines: Sequence[str], def_line: int, indent: int) -> int:
    """Return the line after the function starting at ``def_line`` (indentation based)."""
    # A signature may span lines until the colon; its continuation lines can be dedented.
    depth = 0
    line = def_line
    while line < len(lines):
        stripped = lines[line].split("#", 1)[0]
        depth += (
            stripped.count("(") + stripped.count("[") - stripped.count(")") - stripped.count("]")
        )
        line += 1
        if depth <= 0 and stripped.rstrip().endswith(":"):
            break
        if line - def_line > 50:
            break
    end = line
    while end < len(lines):
        text = lines[end]
        if text.strip() and _indent_width(text) <= indent:
            break
        end += 1
    # Trailing blank lines belong to whatever follows.
    while end > line and not lines[end - 1].strip():
        end -= 1
    return end


def _is_placeholder(node: ast.stmt) -> bool:
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return node.value.value is Ellipsis
    if isinstance(node, ast.Raise) and node.exc is not None:
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(target, ast.Name) and target.id == "NotImplementedError"
    return False


def _parse_function(lines: Sequence[str], def_line: int, end_line: int, indent: int):
    chunk = [line[indent:] if line.strip() else "\n" for line in lines[def_line:end_line]]
    source = "".join(chunk)
    if not source.endswith("\n"):
        source += "\n"
    # A def with no body yet ("def f(x):" on its own) is still a function to write.
    try:
        module = ast.parse(source)
    except SyntaxError:
        try:
            module = ast.parse(source + " " * 4 + "pass\n")
        except SyntaxError:
            return None, source
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node, source
    return None, source


def function_at(lines: Sequence[str], line: int) -> FunctionAtCursor | None:
    """Return the innermost function whose lines contain ``line``, or None."""
    if not 0 <= line < len(lines):
        return None
    for candidate in range(line, max(-1, line - _MAX_SCAN_LINES), -1):
        match = _DEF.match(lines[candidate])
        if match is None:
            continue
        indent = len(match.group("indent"))
        end = _block_end(lines, candidate, indent)
        if not candidate <= line < max(end, candidate + 1):
            continue
        node, text = _parse_function(lines, candidate, end, indent)
        if node is None:
            return None
        docstring = ast.get_docstring(node, clean=True)
        body = node.body[1:] if docstring is not None else node.body
        empty = all(_is_placeholder(statement) for statement in body)
        return FunctionAtCursor(
            name=node.name,
            def_line=candidate,
            end_line=end,
            docstring=docstring,
            empty_body=empty,
            text=text,
        )
    return None
