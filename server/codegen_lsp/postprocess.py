"""Turn the model's raw text into a body that can be inserted: cut, cleaned, re-indented, parsed.

A sample is cut at the end of the function (the first line indented no deeper than the ``def``),
at stop sequences and at end tokens; a reply that restates the whole function (in a ```python
fence or not) gives up its body. Empty bodies are dropped, and the body is re-indented to the
user's indentation (tabs or spaces, any width). Exact duplicates are counted by the pipeline:
a body many samples agree on is more likely right.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from dataclasses import dataclass

from codegen_lsp import libraries, summaries
from codegen_lsp.context import FunctionContext, NoFunctionError, all_functions, is_placeholder
from codegen_lsp.prompt import END_TOKENS

# Standard-library modules a body may use without the file importing them. A list, not all of
# the standard library: `numbers`, `types` or `this` read as misnamed variables more often
# than as modules, and an import of one would only turn a NameError into a stranger error.
USUAL_MODULES = frozenset(
    [
        "base64",
        "bisect",
        "calendar",
        "cmath",
        "collections",
        "copy",
        "csv",
        "datetime",
        "decimal",
        "enum",
        "fractions",
        "functools",
        "hashlib",
        "heapq",
        "itertools",
        "json",
        "math",
        "operator",
        "os",
        "random",
        "re",
        "statistics",
        "string",
        "struct",
        "sys",
        "textwrap",
        "time",
        "unicodedata",
        "uuid",
        "zlib",
    ]
)
_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:\n[ \t]*```|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Body:
    """One cleaned body."""

    text: str
    """Indented to the function's body indentation; no trailing newline."""
    parses: bool
    """Whether the whole function (header, docstring, body) parses."""


def cut_at(text: str, markers: tuple[str, ...]) -> str:
    """Return ``text`` up to the earliest of ``markers``."""
    cut = len(text)
    for marker in markers:
        index = text.find(marker)
        if index != -1:
            cut = min(cut, index)
    return text[:cut]


def _width(indent: str) -> int:
    return len(indent.expandtabs(8))


def _leading(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _restated_body(code: str, ctx: FunctionContext) -> str | None:
    """When ``code`` defines the function again, return its body (after its docstring)."""
    if not re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(ctx.name)}\s*\(", code, re.MULTILINE):
        return None
    try:
        found = [f for f in all_functions(textwrap.dedent(code)) if f.name == ctx.name]
    except NoFunctionError:
        return None
    if not found:
        return None
    restated = found[0]
    if not restated.body_source.strip():
        return ""
    return reindent(restated.body_source, restated.body_indent, ctx)


def _cut_at_dedent(text: str, def_indent: str) -> str:
    """Keep lines until the function ends: a line dedented below the body's first line.

    Such a line is at the ``def``'s level or beyond (there is no level in between); a first
    line no deeper than the ``def`` means the sample wrote no body at all.
    """
    lines = text.split("\n")
    first = next((line for line in lines if line.strip()), "")
    body_width = _width(_leading(first))
    # A tab has no fixed width: in a tab-indented file a sample indented with spaces (or the
    # other way round) cannot be compared with the def, and only needs to be indented at all.
    mixed = bool(def_indent) and ("\t" in def_indent) != ("\t" in _leading(first))
    if body_width <= (0 if mixed else _width(def_indent)):
        return ""
    kept: list[str] = []
    for line in lines:
        if line.strip() and _width(_leading(line)) < body_width:
            break
        kept.append(line)
    return "\n".join(kept)


def reindent(body: str, source_indent: str, ctx: FunctionContext) -> str:
    """Re-indent ``body`` from its own indentation to the function's body indentation."""
    target = ctx.body_indent
    target_unit = target[len(ctx.def_indent) :] if target.startswith(ctx.def_indent) else "    "
    target_unit = target_unit or "    "
    if source_indent == target:
        return body
    dedented = textwrap.dedent(body).split("\n")
    widths = sorted(
        {_width(_leading(line)) for line in dedented if line.strip() and _leading(line)}
    )
    source_unit = widths[0] if widths else 4
    out: list[str] = []
    for line in dedented:
        if not line.strip():
            out.append("")
            continue
        width = _width(_leading(line))
        levels, rest = divmod(width, source_unit)
        out.append(target + target_unit * levels + " " * rest + line.lstrip(" \t"))
    return "\n".join(out)


def extract_body(text: str, ctx: FunctionContext, stop: tuple[str, ...] = ()) -> Body | None:
    """Clean one sample's text into a body; None when nothing usable is left."""
    text = cut_at(text, END_TOKENS)
    stripped = text.lstrip()
    if stripped.startswith("```"):
        match = _FENCE.search(stripped)
        text = match.group(1) if match else ""
    elif "```" in text:
        text = text[: text.index("```")]
    body = _restated_body(text, ctx)
    if body is None:
        text = cut_at(text, tuple(s for s in stop if s.strip()))
        text = text.lstrip("\n")
        body_lines = _cut_at_dedent(text, ctx.def_indent).rstrip().split("\n")
        first = next((line for line in body_lines if line.strip()), None)
        if first is None:
            return None
        body = reindent("\n".join(body_lines), _leading(first), ctx)
    body = "\n".join(line.rstrip() for line in body.rstrip().split("\n")).strip("\n")
    body = _without_echoed_listing(body, ctx)
    meaningful = [
        line.strip()
        for line in body.split("\n")
        if line.strip() and not line.strip().startswith("#")
    ]
    if not meaningful or (len(meaningful) == 1 and is_placeholder(meaningful[0])):
        return None
    parses = function_parses(ctx, body)
    return Body(with_missing_imports(body, ctx) if parses else body, parses)


def _without_echoed_listing(body: str, ctx: FunctionContext) -> str:
    """Drop the body's first comment lines where they copy a library block of the prompt.

    Seen at rank 1: a body that began with three lines of the ``inflection`` listing, which
    the user would have had inserted into their file.
    """
    names = libraries.named_in_blocks(ctx.definitions)
    if not names:
        return body
    lines = body.split("\n")
    start = 0
    while start < len(lines) and libraries.echoes_a_block(lines[start], names):
        start += 1
    return "\n".join(lines[start:])


def with_missing_imports(body: str, ctx: FunctionContext) -> str:
    """Import, at the top of the body, what it uses from elsewhere that nothing binds.

    The model continues a function whose file it never finishes: a body that calls
    ``math.gcd`` in a file without ``import math`` fails with NameError, which the model would
    have avoided by writing the import above the function. A name used as ``name.attr`` that
    is one of the :data:`USUAL_MODULES` is imported; so is a name the prompt showed defined in
    another file of the project (``from lodge.models import Status``): shown ``Booking``'s
    ``status: Status = Status.HELD``, every sample of a user's ``nights_per_guest`` compared
    with ``Status.CANCELLED`` in a file that imported only ``Booking``, a NameError on every
    input. Nothing that the module binds (an import, a definition, an assignment, a
    parameter) or that is a builtin is imported.
    """
    try:
        tree = ast.parse(ctx.module_with_body(body))
    except (SyntaxError, ValueError):
        return body
    bound: set[str] = set()
    used_as_module: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            used_as_module.append(node.value.id)
    missing = sorted({name for name in used_as_module if name in USUAL_MODULES} - bound)
    imports = [f"import {name}" for name in missing]
    try:  # the names the function reads, not the rest of the file
        function = ast.parse(textwrap.dedent(ctx.function_with_body(body)))
    except (SyntaxError, ValueError):
        function = ast.Module(body=[], type_ignores=[])
    read = {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    elsewhere = summaries.defined_where(ctx.definitions)
    unbound = sorted(read - bound - _BUILTINS - set(missing))
    by_module: dict[str, list[str]] = {}
    for name in unbound:
        if name in elsewhere:
            by_module.setdefault(elsewhere[name], []).append(name)
    imports += [
        f"from {module} import {', '.join(by_module[module])}" for module in sorted(by_module)
    ]
    if not imports:
        return body
    return "\n".join(f"{ctx.body_indent}{line}" for line in imports) + f"\n{body}"


_BUILTINS = frozenset(dir(builtins))


def function_parses(ctx: FunctionContext, body: str) -> bool:
    """Whether the function, with ``body``, is valid Python on its own."""
    source = textwrap.dedent(ctx.function_with_body(body))
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True
