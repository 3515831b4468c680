"""Finds the functions in a Python file and their docstrings, for checking their examples.

A docstring here is the function's first statement when it is a string literal, as Python
defines it, or else the first string literal after leading imports (``def f():  import math;
'''doc'''`` keeps its examples; HumanEval has such prompts).
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FunctionDoc:
    """A function and its docstring as written in the source."""

    name: str
    qualified_name: str
    line: int
    """1-based line of the ``def``."""
    end_line: int
    docstring: str | None
    """The raw docstring (not dedented), so its line numbers map back to the file."""
    docstring_line: int
    """1-based line of the docstring's opening quotes (0 without a docstring)."""
    top_level: bool


def find_functions(source: str) -> list[FunctionDoc]:
    """Every function and method in ``source``, in source order.

    Raises ``SyntaxError`` when the source does not parse.
    """
    tree = ast.parse(source)
    found: list[FunctionDoc] = []

    def visit(node: ast.AST, prefix: str, top_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                docstring, doc_line = _docstring(child)
                found.append(
                    FunctionDoc(
                        name=child.name,
                        qualified_name=prefix + child.name,
                        line=child.lineno,
                        end_line=child.end_lineno or child.lineno,
                        docstring=docstring,
                        docstring_line=doc_line,
                        top_level=top_level,
                    )
                )
                visit(child, f"{prefix}{child.name}.<locals>.", False)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.", False)
            else:
                visit(child, prefix, top_level)

    visit(tree, "", True)
    found.sort(key=lambda function: function.line)
    return found


def function_at(functions: list[FunctionDoc], line: int) -> FunctionDoc | None:
    """Return the innermost function whose lines contain ``line`` (1-based)."""
    containing = [f for f in functions if f.line <= line <= f.end_line]
    return max(containing, key=lambda f: f.line) if containing else None


def _docstring(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str | None, int]:
    for statement in node.body:
        if (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            return statement.value.value, statement.lineno
        if not isinstance(statement, (ast.Import, ast.ImportFrom)):
            break
    return None, 0
