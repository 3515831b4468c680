"""Project code written for a newer Python than the server's, read by the server's own ``ast``.

The server runs on its own interpreter (3.11 here); a project may use Python 3.12's type
parameter syntax (PEP 695): ``type Unit = Literal["kg", "piece"]``, ``class Shelf[T]:``,
``def first[T](items: list[T]) -> T:``. ``ast.parse`` of such a module raises ``SyntaxError``,
and before this module every definition in it was silently left out of the prompt and of the
drawn inputs (a user's ``Item`` shown nowhere; the model wrote ``item.quantity``).

:func:`parse` tries the text as written first; only when that fails does it parse a rewrite
that keeps every line where it was: a ``type`` statement becomes a plain alias
(``Unit = Literal["kg", "piece"]``, which is how the rest of the server reads aliases anyway),
and a class's or function's type parameters are dropped (``class Shelf:``). Nothing here runs
the code; the sandbox runs the project's own text under its own interpreter.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

import parso
from parso.grammar import Grammar
from parso.python.tree import Module

from codegen_lsp import functional_classes

_TYPE_STATEMENT = re.compile(r"^(?P<indent>[ \t]*)type[ \t]+(?P<name>[A-Za-z_]\w*)[ \t]*(?=[\[=])")
_GENERIC_HEAD = re.compile(
    r"^(?P<head>[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+[A-Za-z_]\w*)[ \t]*\["
)


_GRAMMAR_VERSIONS = ("3.14", "3.13", "3.12")


@functools.cache
def newest_grammar() -> Grammar[Any]:
    """Return parso's grammar for the newest Python it knows (3.12's ``class C[T]:`` too).

    For reading project files: the server's own Python's grammar would make a
    ``class Shelf[T]:`` a run of errors and lift its methods to the module's level. (parso
    knows no ``type`` statement yet; its error recovery leaves ``Unit = ...``, a plain alias.)
    Loaded on first use, not at import.
    """
    for version in _GRAMMAR_VERSIONS:
        try:
            return parso.load_grammar(version=version)
        except (NotImplementedError, FileNotFoundError, ValueError):
            continue
    return parso.load_grammar()


def parse_module(source: str) -> Module:
    """Parse a project file with parso, as the newest Python it knows reads it."""
    return newest_grammar().parse(source, error_recovery=True)


def parse(text: str) -> ast.Module:
    """Parse ``text`` as :func:`ast.parse` does, or its rewrite without PEP 695 syntax.

    Raises ``SyntaxError`` (the original one) when neither parses.
    """
    return parse_text(text)[0]


def parse_text(text: str) -> tuple[ast.Module, str]:
    """Return :func:`parse`'s tree and the text it was parsed from (its nodes' positions)."""
    try:
        return ast.parse(text), text
    except SyntaxError as error:
        rewritten = downgrade(text)
        if rewritten == text:
            raise
        try:
            return ast.parse(rewritten), rewritten
        except SyntaxError:
            raise error from None


def top_level(texts: Iterable[str]) -> Iterator[tuple[ast.stmt, str]]:
    """Yield each module-level statement of ``texts`` with the text that holds it.

    A text that does not parse is skipped: a definition cut short, or a snippet in a syntax
    that nothing here reads. A class made by a call (``Entry = NamedTuple("Entry", ...)``)
    comes as the ``class`` statement it stands for (:func:`functional_classes.as_class`).
    """
    for text in texts:
        try:
            tree = parse(text)
        except SyntaxError:
            continue
        for node in tree.body:
            yield functional_classes.as_class(node), text


def downgrade(text: str) -> str:
    """Return ``text`` with PEP 695 type parameters and ``type`` statements rewritten.

    Line by line, keeping lines and their numbers: ``type X[T] = ...`` becomes ``X = ...``;
    ``class C[T: int](Base):`` becomes ``class C(Base):``; ``def f[T](x: T):`` becomes
    ``def f(x: T):``. A line inside a string that looks like one of these is rewritten too,
    which changes only what a summary shows of that string.
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        alias = _TYPE_STATEMENT.match(line)
        if alias is not None:
            rest = line[alias.end() :]
            if rest.startswith("["):
                rest = rest[_bracket_end(rest) :].lstrip(" \t")
            if rest.startswith("="):
                lines[index] = f"{alias.group('indent')}{alias.group('name')} {rest}"
            continue
        generic = _GENERIC_HEAD.match(line)
        if generic is not None:
            rest = line[generic.end() - 1 :]
            end = _bracket_end(rest)
            if end:
                lines[index] = generic.group("head") + rest[end:]
    return "\n".join(lines)


def _bracket_end(text: str) -> int:
    """Return the index just past the bracket that closes ``text``'s opening ``[`` (0: none)."""
    depth = 0
    for index, char in enumerate(text):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth == 0:
                return index + 1
    return 0
