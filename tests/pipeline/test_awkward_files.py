"""Issue 4's awkward files, end to end through context, prompt and post-processing.

Each case is a file a user really has open: a method in a tab-indented class under a broken line,
two- and three-space indentation, async static methods with decorators and type hints, stubs
written in every usual way. The prompt must hold the imports, the helpers' signatures and
docstrings (never their bodies, within the budget), the class header, then the function.
"""

from __future__ import annotations

import ast
import contextlib
import threading
import time

import pytest
from codegen_lsp.context import find_function
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.postprocess import extract_body
from codegen_lsp.prompt import build_prompt, context_block
from codegen_lsp.settings import Settings

TABBED = (
    "import math\n"
    "from typing import Iterable\n\n\n"
    "def norm(values: Iterable[float]) -> float:\n"
    '\t"""Euclidean norm of values."""\n'
    "\tSECRET_HELPER_BODY = sum(v * v for v in values)\n"
    "\treturn math.sqrt(SECRET_HELPER_BODY)\n\n\n"
    "@dataclass_like\n"
    "class Vector:\n"
    '\t"""A vector of floats."""\n\n'
    "\tdef length(self) -> float:\n"
    '\t\t"""Return the norm of this vector.\n\n'
    "\t\t>>> Vector().length()\n"
    "\t\t0.0\n"
    '\t\t"""\n\n\n'
    "broken = (1,\n"
)


def line_of(source: str, needle: str) -> int:
    return next(i for i, text in enumerate(source.splitlines()) if needle in text)


class ChatEngine:
    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        return "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>"

    def fim_tokens(self) -> tuple[str, str, str] | None:
        return None


def test_method_prompt_in_a_tabbed_file_with_a_syntax_error_below() -> None:
    ctx = find_function(TABBED, line_of(TABBED, "Return the norm"))
    assert ctx.qualified_name == "Vector.length" and not ctx.has_body
    block = context_block(ctx)
    # Imports, then the helper's signature and docstring without its body, then the class
    # header (decorator, class line, docstring), then the method as written, tabs kept.
    order = [
        "import math\nfrom typing import Iterable",
        'def norm(values: Iterable[float]) -> float:\n\t"""Euclidean norm of values."""\n\t...',
        '@dataclass_like\nclass Vector:\n\t"""A vector of floats."""',
        '\tdef length(self) -> float:\n\t\t"""Return the norm of this vector.',
    ]
    positions = [block.index(part) for part in order]
    assert positions == sorted(positions), block
    assert "SECRET_HELPER_BODY" not in block and "broken" not in block
    assert block.endswith('\t\t"""')
    raw = build_prompt(ctx, "raw", ChatEngine())
    assert "\n\tdef " in raw.stop  # stop at the method's own level, not at column 0
    # A sample written with four spaces lands in the file's tabs, and the file still parses
    # (up to the broken line, which the user has not finished).
    for spaces in ("    ", "        "):  # body-relative or file-relative, as models write it
        sample = (
            f"{spaces}total = 0.0\n{spaces}if self:\n{spaces}    total = 1.0\n{spaces}return total"
        )
        body = extract_body(sample, ctx)
        assert body is not None
        assert body.text == "\t\ttotal = 0.0\n\t\tif self:\n\t\t\ttotal = 1.0\n\t\treturn total"
    assert body is not None
    module = ctx.module_with_body(body.text)
    ast.parse(module)
    assert "broken" not in module


@pytest.mark.parametrize("unit", ["  ", "   "])
def test_two_and_three_space_files_keep_their_width(unit: str) -> None:
    source = (
        f'class Box:\n{unit}size = 1\n\ndef documented(x):\n{unit}"""Doc."""\n\ndef bare(x): ...\n'
    )
    documented = find_function(source, line_of(source, "def documented"))
    assert documented.body_indent == unit
    bare = find_function(source, line_of(source, "def bare"))
    assert not bare.has_body and bare.body_indent == unit
    body = extract_body("    if x:\n        return 1\n    return 2\n", documented)
    assert body is not None
    assert body.text == f"{unit}if x:\n{unit * 2}return 1\n{unit}return 2"


def test_async_static_method_with_decorators_and_type_hints() -> None:
    source = (
        "import asyncio\n\n\n"
        "class Fetcher:\n"
        "    @staticmethod\n"
        "    @some.decorator(retries=3)\n"
        "    async def fetch(\n"
        "        url: str,\n"
        "        timeout: float = 1.0,\n"
        "    ) -> dict[str, list[int]]:\n"
        '        """Fetch url."""\n'
        '        raise NotImplementedError("later")\n'
    )
    for needle in ("@staticmethod", "url: str", ") -> dict", "Fetch url", "NotImplementedError"):
        ctx = find_function(source, line_of(source, needle))
        assert ctx.qualified_name == "Fetcher.fetch" and ctx.is_async
    assert ctx.header.startswith("    @staticmethod\n    @some.decorator(retries=3)\n")
    assert ctx.header.endswith(") -> dict[str, list[int]]:")
    assert not ctx.has_body  # a NotImplementedError with a message is still a placeholder
    assert ctx.class_header == "class Fetcher:"


@pytest.mark.parametrize(
    "placeholder",
    ["pass", "...", "raise NotImplementedError", 'raise NotImplementedError("todo")'],
)
def test_a_sample_that_only_holds_the_place_is_dropped(placeholder: str) -> None:
    ctx = find_function('def f(x):\n    """Doc."""\n', 0)
    assert extract_body(f"    {placeholder}\n", ctx) is None
    assert extract_body(f"    # thinking\n    {placeholder}\n", ctx) is None


def test_a_check_does_not_wait_for_the_model_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The editor's check needs only the sandbox; a model loading for minutes must not block it."""
    from codegen_lsp.engine import loader

    loading = threading.Event()
    release = threading.Event()

    def slow_load(settings: object, progress: object = None) -> object:
        loading.set()
        release.wait(30)
        raise RuntimeError("no model in this test")

    monkeypatch.setattr(loader, "load_engine", slow_load)
    pipeline = Pipeline(Settings())
    loader_thread = threading.Thread(target=lambda: _swallow(pipeline.engine), daemon=True)
    loader_thread.start()
    try:
        assert loading.wait(10)
        started = time.monotonic()
        [result] = pipeline.check('def f():\n    """>>> f()\n    1\n    """\n    return 1\n')
        assert result.run.passed == 1
        assert not release.is_set() and time.monotonic() - started < 20
    finally:
        release.set()
        loader_thread.join(10)
        pipeline.close()


def _swallow(call: object) -> None:
    with contextlib.suppress(RuntimeError):
        call()  # type: ignore[operator]
