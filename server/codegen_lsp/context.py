"""Find the function under the cursor and everything the model should see to write its body.

The user puts the cursor anywhere in a function (its decorators, signature, docstring or body).
This module finds that function with parso, which keeps working when the rest of the file does
not parse, and returns a :class:`FunctionContext`: the signature and docstring, the file's
imports, the signatures and docstrings of the helpers the module defines (within a character
budget), the class header of a method, the body's indentation (tabs or spaces, any width), and
the exact range a new body replaces. Positions are 0-based (line, column) pairs, as in LSP.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field

from parso.python import tree as ptree
from parso.tree import BaseNode, NodeOrLeaf

from codegen_lsp import newer_syntax, summaries

DEFAULT_HELPER_BUDGET_CHARS = 2000
"""Roughly 500 tokens of helper signatures and docstrings."""


class NoFunctionError(ValueError):
    """Raised when there is no function at the requested position."""


@dataclass
class FunctionContext:
    """The function under the cursor and its surroundings, ready for a prompt."""

    name: str
    qualified_name: str
    """``Class.method`` for a method, ``outer.inner`` for a nested function."""
    def_line: int
    """0-based line of the ``def`` keyword (after any decorators)."""
    header: str
    """Decorators and the ``def`` line(s) up to the colon, with their original indentation."""
    docstring: str | None
    """The docstring's value (unindented), or None."""
    docstring_source: str
    """The docstring literal as written (indented), with any imports written before it, or ""
    when there is none."""
    docstring_line: int | None
    """0-based line of the docstring's opening quotes."""
    def_indent: str
    body_indent: str
    has_body: bool
    """True when the function has statements besides its docstring, ``pass``, ``...`` and
    ``raise NotImplementedError``."""
    body_source: str
    """The current body after the docstring, as written ("" when there is none)."""
    replace_start: tuple[int, int]
    replace_end: tuple[int, int]
    """A new body replaces the text between these positions; it is inserted as "\\n" + body."""
    raw_docstring: str | None = None
    """The docstring's value as written (not dedented): its line 1 is the opening quotes' line,
    so line numbers within it map back to the file from ``docstring_line``."""
    is_async: bool = False
    class_header: str | None = None
    """For a method: the class's decorators, ``class`` line and docstring."""
    enclosing_headers: list[str] = field(default_factory=list)
    """Headers of every enclosing class/function, outermost first (each with its indentation)."""
    imports: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    """Signatures and docstrings of other module-level functions and classes, within budget."""
    prefix: str = ""
    """The whole source up to the end of the docstring line (or the header), for FIM."""
    suffix: str = ""
    """The whole source after the function, for FIM."""
    module_source: str = ""
    """A runnable module around the function with ``{BODY}`` where the body goes."""
    definitions: list[str] = field(default_factory=list)
    """Definitions from other files of the project that the function uses (jedi), each a short
    summary headed by a comment naming its module; filled by the pipeline, not by
    find_function."""
    definitions_not_tried: list[str] = field(default_factory=list)
    """The names whose definitions the time box left unasked when ``definitions`` was
    filled: the prompt may lack what the function needs, and the user is told so."""

    @property
    def is_top_level(self) -> bool:
        """Whether the function is a module-level name (not a method or a nested function)."""
        return not self.enclosing_headers

    @property
    def function_head(self) -> str:
        """The header and docstring, as written: what the body continues."""
        if self.docstring_source:
            return f"{self.header}\n{self.docstring_source}"
        return self.header

    def function_with_body(self, body: str) -> str:
        """Return the function's source with ``body`` (already indented) as its body."""
        return f"{self.function_head}\n{body}"

    def module_with_body(self, body: str) -> str:
        """Return a runnable module (imports, helpers, this function) with ``body`` in place."""
        return self.module_source.replace(BODY_MARKER, body, 1)


BODY_MARKER = "\x00CODEGEN_LSP_BODY\x00"

_FUNCTION_TYPES = ("funcdef",)
_STUB_RAISE = re.compile(r"^raise\s+NotImplementedError\b")


def find_function(
    source: str,
    line: int,
    column: int = 0,
    helper_budget_chars: int = DEFAULT_HELPER_BUDGET_CHARS,
) -> FunctionContext:
    """Return the innermost function containing the 0-based position ``(line, column)``.

    A position on a blank line just below a function belongs to that function, so a cursor
    resting in an empty body works. Raises :class:`NoFunctionError` with a clear message when
    there is none.
    """
    lines = source.splitlines(keepends=True)
    if not 0 <= line <= len(lines):
        raise NoFunctionError(f"line {line + 1} is past the end of the file ({len(lines)} lines)")
    file = _File(source)
    funcs = list(_iter_functions(file.module))
    target = _innermost(funcs, line + 1, column)
    if target is None:
        target = _function_above_blank(funcs, lines, line + 1)
    if target is None:
        raise NoFunctionError(
            f"no function at line {line + 1}: put the cursor inside a `def` (its signature, "
            "docstring or body)"
        )
    return _build_context(file, target, helper_budget_chars)


def functions_without_body(source: str) -> list[FunctionContext]:
    """Return every function that has a docstring and no real body, in file order."""
    file = _File(source)
    found = []
    for func in _iter_functions(file.module):
        if _has_real_body(func):
            continue
        ctx = _build_context(file, func, DEFAULT_HELPER_BUDGET_CHARS)
        if ctx.docstring is not None:
            found.append(ctx)
    return found


def all_functions(source: str) -> list[FunctionContext]:
    """Return every function of the source, in file order."""
    file = _File(source)
    return [
        _build_context(file, func, DEFAULT_HELPER_BUDGET_CHARS)
        for func in _iter_functions(file.module)
    ]


def _iter_functions(node: NodeOrLeaf) -> list[ptree.Function]:
    found: list[ptree.Function] = []
    stack: list[NodeOrLeaf] = [node]
    while stack:
        current = stack.pop()
        if current.type == "funcdef":
            found.append(current)  # type: ignore[arg-type]
        if isinstance(current, BaseNode):
            stack.extend(reversed(current.children))
    found.sort(key=lambda f: f.start_pos)
    return found


def _outer_node(func: ptree.Function) -> NodeOrLeaf:
    """Return the function node including ``async`` and its decorators."""
    node: NodeOrLeaf = func
    parent = node.parent
    if parent is not None and parent.type in ("async_funcdef", "async_stmt"):
        node = parent
        parent = node.parent
    if parent is not None and parent.type == "decorated":
        node = parent
    return node


def _innermost(funcs: list[ptree.Function], line: int, column: int) -> ptree.Function | None:
    best: ptree.Function | None = None
    for func in funcs:
        outer = _outer_node(func)
        start = outer.start_pos
        end = _last_code_pos(func)
        # Whole lines count: a cursor anywhere on the def's or body's lines is inside.
        inside = start[0] <= line <= end[0]
        if inside and (best is None or outer.start_pos >= _outer_node(best).start_pos):
            best = func
    return best


def _function_above_blank(
    funcs: list[ptree.Function], lines: list[str], line: int
) -> ptree.Function | None:
    """Return the function whose last line is followed only by blank lines up to ``line``."""
    best: ptree.Function | None = None
    for func in funcs:
        end_line = _last_code_pos(func)[0]
        blank_between = all(not lines[i].strip() for i in range(end_line, min(line, len(lines))))
        if end_line < line and blank_between and (best is None or func.start_pos > best.start_pos):
            best = func
    return best


def _last_code_pos(node: NodeOrLeaf) -> tuple[int, int]:
    """End of the node's last non-newline leaf (excludes the trailing newline and comments)."""
    leaf = node.get_last_leaf()
    while leaf is not None and leaf.type in ("newline", "endmarker", "dedent", "indent"):
        leaf = leaf.get_previous_leaf()
    if leaf is None:
        return node.end_pos
    return leaf.end_pos


def _line_indent(lines: list[str], line_1based: int) -> str:
    text = lines[line_1based - 1] if 0 < line_1based <= len(lines) else ""
    return text[: len(text) - len(text.lstrip(" \t"))]


def _indent_unit(lines: list[str]) -> str:
    """Return the file's indentation step, from the first block opener and the line after it."""
    for i, text in enumerate(lines[:-1]):
        if not text.rstrip().endswith(":"):
            continue
        outer = text[: len(text) - len(text.lstrip(" \t"))]
        for following in lines[i + 1 :]:
            if following.strip():
                inner = following[: len(following) - len(following.lstrip(" \t"))]
                if len(inner) > len(outer) and inner.startswith(outer):
                    return inner[len(outer) :]
                break
    return "    "


def _statements(suite: NodeOrLeaf) -> list[NodeOrLeaf]:
    if suite.type != "suite":
        return [suite]  # `def f(): pass` on one line
    assert isinstance(suite, BaseNode)
    return [c for c in suite.children if c.type not in ("newline", "indent", "dedent")]


def _is_docstring(stmt: NodeOrLeaf) -> bool:
    if stmt.type != "simple_stmt" or not isinstance(stmt, BaseNode):
        return False
    first = stmt.children[0]
    return first.type == "string" or (
        first.type == "strings" and all(c.type == "string" for c in first.children)
    )


def is_placeholder(code: str) -> bool:
    """Tell whether a statement only holds a body's place (pass, ..., NotImplementedError)."""
    code = code.strip()
    return code in ("pass", "...") or bool(_STUB_RAISE.match(code))


def _is_stub(stmt: NodeOrLeaf) -> bool:
    return is_placeholder(stmt.get_code(include_prefix=False))


def _is_import(stmt: NodeOrLeaf) -> bool:
    return (
        stmt.type == "simple_stmt"
        and isinstance(stmt, BaseNode)
        and stmt.children[0].type in ("import_name", "import_from")
    )


def _docstring_index(stmts: list[NodeOrLeaf]) -> int | None:
    """Return the index of the docstring among a body's statements, or None.

    The docstring is the first statement when it is a string literal, as Python defines it, or
    else the first string literal after leading imports: a reader takes ``import math`` and then
    a string as the function's documentation (HumanEval/115 is written so).
    """
    for index, stmt in enumerate(stmts):
        if _is_docstring(stmt):
            return index
        if not _is_import(stmt):
            return None
    return None


def _body_after_docstring(stmts: list[NodeOrLeaf]) -> list[NodeOrLeaf]:
    index = _docstring_index(stmts)
    return stmts if index is None else stmts[index + 1 :]


def _has_real_body(func: BaseNode) -> bool:
    """Tell whether a function has code beyond its docstring and a placeholder."""
    rest = _body_after_docstring(_statements(func.children[-1]))
    return not (not rest or (len(rest) == 1 and _is_stub(rest[0])))


def _literal_text(literal: str) -> str | None:
    """Return a string literal's value as written (None for bytes and broken literals)."""
    try:
        value = ast.literal_eval(literal.strip())
    except (ValueError, SyntaxError):
        return None
    return None if isinstance(value, bytes) else str(value)


def _header_text(outer: NodeOrLeaf, func: ptree.Function, lines: list[str]) -> str:
    """Source lines from the first decorator to the line holding the def's colon."""
    start_line = outer.start_pos[0]
    colon = func.children[-2]  # funcdef: 'def' name parameters ['->' test] ':' suite
    end_line = colon.end_pos[0]
    text = "".join(lines[start_line - 1 : end_line])
    if func.children[-1].type != "suite":
        # One-line function: keep the header only, up to the colon.
        col = colon.end_pos[1]
        last = lines[end_line - 1][:col]
        text = "".join(lines[start_line - 1 : end_line - 1]) + last
    return text.rstrip("\r\n").rstrip()


def _node_header(node: NodeOrLeaf, lines: list[str]) -> str:
    """Return a class or function's decorators and header (to the colon), plus docstring."""
    if node.type == "funcdef":
        func: ptree.Function = node  # type: ignore[assignment]
        outer = _outer_node(func)
        return _header_text(outer, func, lines)
    assert isinstance(node, ptree.Class)
    start: NodeOrLeaf = node
    if node.parent is not None and node.parent.type == "decorated":
        start = node.parent
    colon = node.children[-2]
    text = "".join(lines[start.start_pos[0] - 1 : colon.end_pos[0]]).rstrip()
    suite = node.children[-1]
    stmts = _statements(suite)
    if stmts and _is_docstring(stmts[0]):
        text += "\n" + "".join(
            lines[stmts[0].start_pos[0] - 1 : _last_code_pos(stmts[0])[0]]
        ).rstrip("\r\n")
    return text


def _build_context(file: _File, func: ptree.Function, helper_budget_chars: int) -> FunctionContext:
    lines = file.lines
    outer = _outer_node(func)
    def_indent = _line_indent(lines, outer.start_pos[0])
    header = _header_text(outer, func, lines)
    suite = func.children[-1]
    stmts = _statements(suite)
    doc_index = _docstring_index(stmts)
    rest = _body_after_docstring(stmts)
    has_body = _has_real_body(func)

    colon = func.children[-2]
    raw_docstring = docstring = None
    if doc_index is not None:
        docstring_stmt = stmts[doc_index]
        doc_start = docstring_stmt.start_pos[0]
        doc_end = _last_code_pos(docstring_stmt)[0]
        # Imports written before the docstring stay with it, ahead of the body.
        docstring_source = "".join(lines[stmts[0].start_pos[0] - 1 : doc_end]).rstrip("\r\n")
        raw_docstring = _literal_text(docstring_stmt.get_code(include_prefix=False))
        if raw_docstring is not None:
            docstring = inspect.cleandoc(raw_docstring)
        body_indent = _line_indent(lines, doc_start)
        replace_start = (doc_end - 1, len(lines[doc_end - 1].rstrip("\r\n")))
        docstring_line: int | None = doc_start - 1
    else:
        docstring_source, docstring_line = "", None
        if rest and rest[0].start_pos[0] > colon.end_pos[0]:
            body_indent = _line_indent(lines, rest[0].start_pos[0])
        else:
            body_indent = def_indent + file.indent_unit
        if suite.type == "suite":
            replace_start = (colon.end_pos[0] - 1, len(lines[colon.end_pos[0] - 1].rstrip("\r\n")))
        else:
            replace_start = (colon.end_pos[0] - 1, colon.end_pos[1])
    if rest:
        end = _last_code_pos(rest[-1])
        replace_end = (end[0] - 1, end[1])
    else:
        replace_end = replace_start
    body_source = ""
    if rest:
        body_source = _slice(lines, (rest[0].start_pos[0] - 1, 0), replace_end)
        if rest[0].start_pos[0] - 1 == replace_start[0]:
            body_source = body_indent + body_source.strip()

    enclosing = _enclosing(func)
    class_header = None
    if enclosing and enclosing[-1].type == "classdef":
        class_header = _node_header(enclosing[-1], lines)
    qualified = ".".join([_name(n) for n in enclosing] + [func.name.value])

    top = enclosing[0] if enclosing else func
    top_outer = _outer_node(top) if top.type == "funcdef" else _decorated(top)  # type: ignore[arg-type]

    ctx = FunctionContext(
        name=func.name.value,
        qualified_name=qualified,
        def_line=func.start_pos[0] - 1,
        header=header,
        docstring=docstring,
        docstring_source=docstring_source,
        docstring_line=docstring_line,
        raw_docstring=raw_docstring,
        def_indent=def_indent,
        body_indent=body_indent,
        has_body=has_body,
        body_source=body_source,
        replace_start=replace_start,
        replace_end=replace_end,
        is_async=func.parent is not None and func.parent.type in ("async_funcdef", "async_stmt"),
        class_header=class_header,
        enclosing_headers=[_node_header(n, lines) for n in enclosing],
        imports=file.imports,
        helpers=_helpers(file, top_outer, helper_budget_chars, docstring or ""),
        prefix=_slice(lines, (0, 0), replace_start),
        suffix=_slice(lines, replace_end, (len(lines), 0)),
    )
    ctx.module_source = _module_source(file, top_outer, ctx)
    return ctx


def _slice(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    """Text between two 0-based positions."""
    if start[0] >= len(lines):
        return ""
    if start[0] == end[0]:
        return lines[start[0]][start[1] : end[1]]
    parts = [lines[start[0]][start[1] :]]
    parts.extend(lines[start[0] + 1 : end[0]])
    if end[0] < len(lines):
        parts.append(lines[end[0]][: end[1]])
    return "".join(parts)


def _decorated(node: NodeOrLeaf) -> NodeOrLeaf:
    parent = node.parent
    return parent if parent is not None and parent.type == "decorated" else node


def _name(node: NodeOrLeaf) -> str:
    return str(node.name.value)  # type: ignore[attr-defined]


def _enclosing(func: ptree.Function) -> list[NodeOrLeaf]:
    """Enclosing classes and functions, outermost first."""
    chain: list[NodeOrLeaf] = []
    node = func.parent
    while node is not None:
        if node.type in ("funcdef", "classdef"):
            chain.append(node)
        node = node.parent
    return list(reversed(chain))


def _imports(module: ptree.Module) -> list[str]:
    found = []
    for child in module.children:
        if child.type == "simple_stmt" and isinstance(child, BaseNode):
            first = child.children[0]
            if first.type in ("import_name", "import_from"):
                found.append(first.get_code(include_prefix=False).strip())
    return found


@dataclass
class _Helper:
    node: NodeOrLeaf
    """The module-level statement (with its decorators)."""
    inner: NodeOrLeaf
    """The ``def`` or ``class`` itself."""
    line: int
    name: str
    text: str


class _File:
    """One parse of a file and what every function in it shares, each computed once.

    Listing every function of a file builds one context per function; without sharing, each
    would re-read the whole module for its helpers and its runnable module (quadratic: minutes
    for a file of a thousand functions).
    """

    def __init__(self, source: str) -> None:
        self.module = newer_syntax.parse_module(source)
        self.lines = source.splitlines(keepends=True)
        self._imports: list[str] | None = None
        self._helpers: list[_Helper] | None = None
        self._parts: list[tuple[NodeOrLeaf, str | None]] | None = None
        self._indent_unit: str | None = None

    @property
    def indent_unit(self) -> str:
        if self._indent_unit is None:
            self._indent_unit = _indent_unit(self.lines)
        return self._indent_unit

    @property
    def imports(self) -> list[str]:
        if self._imports is None:
            self._imports = _imports(self.module)
        return list(self._imports)

    @property
    def helpers(self) -> list[_Helper]:
        if self._helpers is None:
            self._helpers = _helper_candidates(self)
        return self._helpers

    @property
    def parts(self) -> list[tuple[NodeOrLeaf, str | None]]:
        """Each top-level statement and its code when a runnable module keeps it."""
        if self._parts is None:
            self._parts = [
                (child, _kept_code(child))
                for child in self.module.children
                if child.type not in ("endmarker", "newline")
            ]
        return self._parts


def _helper_candidates(file: _File) -> list[_Helper]:
    """Module-level functions and classes as signature + docstring, in file order."""
    lines = file.lines
    candidates: list[_Helper] = []
    parsed = {id(c): node for c in file.module.children if (node := _parsed_class(c)) is not None}
    # A field typed by another class of the file says how it reads, as in other files' summaries.
    fields_of = {
        n.name: fields for n in parsed.values() if (fields := summaries.readable_fields(n))
    }
    keyed = frozenset(n.name for n in parsed.values() if summaries.is_typed_dict(n))
    for child in file.module.children:
        node = child.children[-1] if child.type == "decorated" else child
        if node.type in ("async_funcdef", "async_stmt"):
            node = node.children[-1]
        if node.type not in ("funcdef", "classdef"):
            continue
        if isinstance(node, BaseNode) and node.type == "funcdef" and not _has_real_body(node):
            # A stub cannot be called for help, and its docstring (another task) misleads the
            # model into solving that task instead of this one.
            continue
        text = _node_header(node, lines)
        if node.type == "funcdef":
            stmts = _statements(node.children[-1])
            doc_index = _docstring_index(stmts)
            if doc_index is not None:
                text += "\n" + "".join(
                    lines[stmts[0].start_pos[0] - 1 : _last_code_pos(stmts[doc_index])[0]]
                ).rstrip("\r\n")
            text += "\n" + _line_indent(lines, node.start_pos[0]) + file.indent_unit + "..."
        else:
            summary = _class_summary(child, parsed.get(id(child)), fields_of, keyed)
            text = summary or _class_outline(node, lines, text)
        candidates.append(_Helper(child, node, child.start_pos[0], _name(node), text))
    return candidates


def _class_summary(
    statement: NodeOrLeaf,
    node: ast.ClassDef | None,
    fields_of: dict[str, list[tuple[str, str]]],
    keyed: frozenset[str] = frozenset(),
) -> str | None:
    """Return a module-level class as its fields, members and method signatures (None: unparsed).

    As other files' classes are shown (:mod:`codegen_lsp.summaries`): a dataclass's fields, an
    Enum's members and the attributes ``__init__`` sets are what a body uses, and without them
    the model invents ``discount.percent`` for ``Discount.STAFF = 10``. ``fields_of``: the
    file's classes' fields, for the fields this class types with one of them (``keyed``: those
    of them that are TypedDicts); ``node`` the statement parsed (:func:`_parsed_class`).
    """
    if node is None:
        return None
    code = statement.get_code(include_prefix=False)
    return "\n".join(summaries.class_lines(node, code, None, fields_of, keyed))


def _parsed_class(statement: NodeOrLeaf) -> ast.ClassDef | None:
    """Return a module-level statement as a class's syntax tree, when it is one that parses."""
    if statement.type not in ("classdef", "decorated"):
        return None
    code = statement.get_code(include_prefix=False)
    try:
        tree = newer_syntax.parse(code)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.ClassDef):
        return None
    return tree.body[0]


def _class_outline(node: NodeOrLeaf, lines: list[str], header: str) -> str:
    """Return a class as its header and its methods' signatures (for one that does not parse)."""
    assert isinstance(node, BaseNode)
    methods = [
        _node_header(m, lines).strip("\n")
        for m in _statements(node.children[-1])
        if m.type == "funcdef"
    ]
    return header + "".join("\n" + m.split("\n")[-1] + " ..." for m in methods)


def _helpers(file: _File, exclude: NodeOrLeaf, budget: int, docstring: str) -> list[str]:
    """Return the helpers' signatures and docstrings (but ``exclude``'s), within ``budget``.

    Helpers the docstring mentions come first; the rest follow in file order until the budget
    is spent. They are returned in file order.
    """
    candidates = [h for h in file.helpers if h.node is not exclude and h.inner is not exclude]
    words = set(re.findall(r"\w+", docstring))
    mentioned = [h for h in candidates if h.name in words]
    chosen: list[_Helper] = []
    spent = 0
    for helper in mentioned + [h for h in candidates if h.name not in words]:
        if spent + len(helper.text) > budget:
            continue
        chosen.append(helper)
        spent += len(helper.text)
    return [h.text for h in sorted(chosen, key=lambda h: h.line)]


def _module_source(file: _File, top: NodeOrLeaf, ctx: FunctionContext) -> str:
    """Build a runnable module: imports, definitions that compile, the function with a marker.

    Top-level statements that are not definitions, imports, simple assignments, ``try`` blocks or
    ``if`` blocks (but an ``if __name__ == "__main__":`` guard) are left out (a script's
    ``main()`` call must not run with every example), and so is anything that does not compile
    by itself (the rest of the file may be mid-edit).
    """
    lines = file.lines
    parts: list[str] = []
    for child, code in file.parts:
        if child is top:
            before = _slice(lines, (child.start_pos[0] - 1, 0), ctx.replace_start)
            after = _slice(lines, ctx.replace_end, (_last_code_pos(child)[0], 10**9))
            parts.append(before + "\n" + BODY_MARKER + after)
        elif code is not None:
            parts.append(code)
    return "\n\n".join(parts) + "\n"


def _kept_code(node: NodeOrLeaf) -> str | None:
    """Return a top-level statement's code if a runnable module keeps it, else None."""
    if not _keep_statement(node):
        return None
    code = node.get_code(include_prefix=False)
    try:
        compile(code, "<module>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        try:
            # Written for a newer Python than the server's (`class Shelf[T]:`): the project's
            # interpreter runs it.
            newer_syntax.parse(code)
        except (SyntaxError, ValueError):
            return None
    return code.rstrip("\n")


def _keep_statement(node: NodeOrLeaf) -> bool:
    if node.type in ("funcdef", "classdef", "decorated", "async_stmt", "async_funcdef"):
        return True
    if node.type == "try_stmt":
        # Real modules define names under try/except (`try: from x import y` / `except
        # ImportError: y = None`, sentinels built by a helper): without them the code fails.
        return True
    if node.type == "if_stmt" and isinstance(node, BaseNode):
        # Conditional definitions (`if sys.version_info >= ...:`) run; a script's
        # `if __name__ == "__main__":` block does not.
        condition = node.children[1].get_code(include_prefix=False).replace(" ", "")
        return "__name__" not in condition
    if node.type == "simple_stmt" and isinstance(node, BaseNode):
        first = node.children[0]
        # expr_stmt is an assignment in parso; a bare call (a script's side effect) is not.
        return first.type in ("import_name", "import_from", "expr_stmt")
    return False
