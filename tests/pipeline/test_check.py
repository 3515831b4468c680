"""``Pipeline.check``: a file's own docstring examples against its code, for the CLI and the LSP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from codegen_lsp.context import NoFunctionError, find_function
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.settings import Settings

SOURCE = '''import math


def area(r):
    """
    Area of a circle (the docstring opens on its own line).

    >>> round(area(1), 2)
    3.14
    >>> area(0)
    1
    """
    return math.pi * r * r


class Counter:
    """Counts."""

    def double(self, x):
        """Twice x.

        >>> Counter().double(4)
        8
        """
        return 2 * x


def outer():
    def inner(x):
        """>>> inner(1)
        1
        """
        return x

    return inner


def todo(x):
    """Not written yet.

    >>> todo(2)
    4
    """
    ...


def plain(x):
    return x


def late_docstring(n):
    import math
    """Square root, HumanEval/115 style: the docstring follows an import.

    >>> late_docstring(9)
    3.0
    """
    return math.sqrt(n)


raise SystemExit("a script's side effect: a check never runs it")
'''


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    p = Pipeline(Settings())
    yield p
    p.close()


def line_of(needle: str) -> int:
    return next(i for i, text in enumerate(SOURCE.splitlines()) if needle in text)


def test_every_function_with_examples_and_a_body(pipeline: Pipeline) -> None:
    results = pipeline.check(SOURCE)
    summary = {r.function_name: (r.run.passed, r.run.total, r.run.error) for r in results}
    # The method runs through its class and the nested function through nothing it can reach:
    # neither is mistaken for a module-level name that is missing.
    assert summary == {
        "area": (1, 2, None),
        "Counter.double": (1, 1, None),
        "outer.inner": (0, 1, None),
        "late_docstring": (1, 1, None),
    }
    inner = next(r for r in results if r.function_name == "outer.inner")
    assert inner.run.results[0].exception.startswith("NameError")  # type: ignore[union-attr]


def test_stubs_are_checked_only_when_asked(pipeline: Pipeline) -> None:
    assert "todo" not in [r.function_name for r in pipeline.check(SOURCE)]
    [todo] = [r for r in pipeline.check(SOURCE, stubs=True) if r.function_name == "todo"]
    assert (todo.run.passed, todo.run.total) == (0, 1)


def test_example_lines_map_back_to_the_file(pipeline: Pipeline) -> None:
    """A docstring opening on its own line must not shift the examples' lines by one."""
    lines = SOURCE.splitlines()
    for result in pipeline.check(SOURCE):
        for example_result in result.run.results:
            line = result.docstring_line + example_result.example.line - 1
            assert example_result.example.call.split("(")[0] in lines[line], (result, line)
    [area] = pipeline.check(SOURCE, line_of("def area"))
    assert area.docstring_line == line_of("def area") + 1 and area.has_docstring
    failing = [r for r in area.run.results if r.status != "passed"]
    assert area.docstring_line + failing[0].example.line - 1 == line_of(">>> area(0)")


def test_a_line_without_examples_is_still_reported(pipeline: Pipeline) -> None:
    [plain] = pipeline.check(SOURCE, line_of("def plain"))
    assert plain.function_name == "plain" and plain.run.total == 0
    assert not plain.has_docstring and plain.docstring_line == plain.function_line


def test_no_function_at_the_line(pipeline: Pipeline) -> None:
    with pytest.raises(NoFunctionError):
        pipeline.check(SOURCE, 0)


def test_the_docstring_after_imports_is_the_docstring() -> None:
    ctx = find_function(SOURCE, line_of("def late_docstring"))
    assert ctx.docstring is not None and ctx.docstring.startswith("Square root")
    assert ctx.has_body and ctx.body_source.strip() == "return math.sqrt(n)"
    # The import stays ahead of a new body, with the docstring.
    assert ctx.function_head.endswith('    """') and "    import math" in ctx.function_head
    assert ctx.docstring_line == line_of("Square root")
