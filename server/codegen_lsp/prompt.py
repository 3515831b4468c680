"""Turn a function's context into what the model reads: raw completion, chat, or fill-in-the-middle.

Three formats, chosen by ``sampling.prompt_format``:

- ``raw``: Codex-style completion; the model continues the file right after the docstring.
- ``chat``: the model's chat template asks it to complete the function, and the answer is
  started for it with a ```python fence and the function's signature and docstring, so its reply
  is the body (the post-processor also copes with a reply that restates the whole function).
- ``fim``: fill-in-the-middle with the model's FIM tokens; it sees the rest of the file too.

``auto`` picks the format that ranked best in this project's evaluation (see docs/evaluation.md).
"""

from __future__ import annotations

import ast
import functools
import logging
import re
from dataclasses import dataclass
from typing import Literal, Protocol

from codegen_lsp import newer_syntax, summaries
from codegen_lsp.context import FunctionContext

log = logging.getLogger(__name__)

Format = Literal["raw", "chat", "fim"]

AUTO_FORMAT: Format = "chat"
"""What ``auto`` means when the model has a chat template.

Chosen by `codegen-lsp eval` on HumanEval tasks 0-19 with the default model (n=5, T=0.8):
pass@1 / combined top-1 were chat 65% / 85%, raw 47% / 80%, FIM 32% / 70%.
"""

END_TOKENS = (
    "<|endoftext|>",
    "<|im_end|>",
    "<|im_start|>",
    "<|fim_pad|>",
    "<|file_sep|>",
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
    "<|repo_name|>",
    "</s>",
    "<|EOT|>",
)

SYSTEM_MESSAGE = (
    "You are an expert Python programmer. You write correct, simple, idiomatic code that "
    "satisfies the docstring exactly, including its examples."
)

FIM_CONTEXT_CHARS = 6000
"""How much of the file before and after the function a FIM prompt may carry."""


class PromptEngine(Protocol):
    """The two engine capabilities prompts need (see ``engine.types.Engine``)."""

    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        """Render chat messages, or None for a base model."""
        ...

    def fim_tokens(self) -> tuple[str, str, str] | None:
        """Return the (prefix, suffix, middle) FIM tokens, or None."""
        ...


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt and how to read what comes back."""

    text: str
    format: Format
    stop: tuple[str, ...]


@dataclass(frozen=True)
class Feedback:
    """What went wrong with the current body, for a repair prompt."""

    current_body: str
    failure: str | None
    """E.g. "add(1, 2) returned 4, expected 3"; None when nothing failed."""
    note: str | None = None
    show_body: bool = True
    """Show the model the body that failed. The repair round after a first round where nothing
    passed does not: shown its own failed sample, the 0.5B model mostly writes it again."""


def resolve_format(requested: str, engine: PromptEngine) -> Format:
    """Return the concrete format for ``requested``, falling back when the model lacks it."""
    has_chat = _has_chat(engine)
    if requested == "auto":
        return AUTO_FORMAT if (AUTO_FORMAT != "chat" or has_chat) else "raw"
    if requested == "chat" and not has_chat:
        log.warning("the model has no chat template; using raw completion")
        return "raw"
    if requested == "fim" and engine.fim_tokens() is None:
        log.warning("the model has no fill-in-the-middle tokens; using raw completion")
        return "raw"
    return "raw" if requested not in ("raw", "chat", "fim") else requested  # type: ignore[return-value]


def _has_chat(engine: PromptEngine) -> bool:
    try:
        return engine.chat_prompt([{"role": "user", "content": "x"}]) is not None
    except Exception:  # a template that cannot render is no template
        log.debug("chat template unavailable", exc_info=True)
        return False


def context_block(ctx: FunctionContext) -> str:
    """Return other files' definitions, imports, helpers, enclosing headers, the function head.

    The definitions (from :mod:`codegen_lsp.crossfile`) come first, as the files they belong to
    would come before this one: each is headed by a comment naming its module.
    """
    parts: list[str] = []
    if ctx.definitions:
        parts.append(definitions_block(ctx))
    if ctx.imports:
        parts.append("\n".join(ctx.imports))
    if ctx.helpers:
        parts.append("\n\n".join(ctx.helpers))
    head = "\n".join([*ctx.enclosing_headers, ctx.function_head])
    parts.append(head)
    return "\n\n\n".join(parts)


def reference_block(ctx: FunctionContext) -> str:
    """Return what the function may use, bodies omitted: other files' definitions, helpers."""
    parts = [definitions_block(ctx)] if ctx.definitions else []
    if ctx.helpers:
        parts.append("\n\n".join(ctx.helpers))
    return "\n\n\n".join(parts)


SHOWN_DICT_NOTES = 2
"""At most this many TypedDicts get a sentence of their own in the request."""
_WORD = re.compile(r"[A-Za-z_]\w*")


@functools.lru_cache(maxsize=16)
def _shown_classes(texts: tuple[str, ...]) -> dict[str, tuple[ast.ClassDef, str]]:
    """Return each class the shown ``texts`` define, with the text that defines it.

    Cached: the same definitions are shown in every prompt of a request (each wave, the probe
    calls, a repair), and parsing them once is enough.
    """
    classes: dict[str, tuple[ast.ClassDef, str]] = {}
    for node, text in newer_syntax.top_level(texts):
        if isinstance(node, ast.ClassDef):
            classes.setdefault(node.name, (node, text))
    return classes


def typed_dict_note(ctx: FunctionContext) -> str:
    """Say, for each TypedDict the signature names, that its values are dicts read by key.

    ``Each `Entry` is a plain dict: read its values by key, as in entry["day"] and
    entry["amount"].`` Shown ``class Entry(TypedDict)`` with its fields, the default model
    reads them as attributes (``entry.amount``, an AttributeError on every dict): 0 of 12
    distinct samples of ``signed(entry: Entry)`` read by key (seeds 1-2), 2 of 12 with the
    class's own comment (:func:`summaries.typed_dict_reading`), 13 of 13 with this sentence
    in the request (``total(entries: list[Entry])``: 0, 0 and 4 of 15). A sentence that
    also named ``entry.amount`` as what not to write did worse than none. "" when no shown
    TypedDict is named in the signature, or in a shown class that the signature names.
    """
    classes = _shown_classes((*ctx.definitions, *ctx.helpers))
    named = set(_WORD.findall(ctx.header))
    # One hop: `balance(account: Account)` where `Account` holds `entries: list[Entry]`.
    reached = named.union(*[_WORD.findall(classes[n][1]) for n in named if n in classes])
    sentences = []
    for name, (node, _) in classes.items():
        if name not in reached or not summaries.is_typed_dict(node):
            continue
        keys = [key for key, _ in summaries.readable_fields(node)[:2]]
        if keys:
            variable = summaries.snake_case(name)
            read = " and ".join(f'{variable}["{key}"]' for key in keys)
            sentences.append(
                f"Each `{name}` is a plain dict: read its values by key, as in {read}."
            )
    return " ".join(sentences[:SHOWN_DICT_NOTES])


def answer_block(ctx: FunctionContext) -> str:
    """Return the imports, the enclosing headers and the function head: the chat answer's start."""
    head = "\n".join([*ctx.enclosing_headers, ctx.function_head])
    imports = "\n".join(ctx.imports)
    return f"{imports}\n\n\n{head}" if imports else head


def definitions_block(ctx: FunctionContext) -> str:
    """Return the definitions from other files, separated as helpers are ("" when none)."""
    return "\n\n".join(ctx.definitions)


def stop_sequences(ctx: FunctionContext) -> tuple[str, ...]:
    """Codex's stop sequences, at the function's own indentation."""
    indent = ctx.def_indent
    stops = [f"\n{indent}def ", f"\n{indent}class ", f"\n{indent}@", f"\n{indent}async def "]
    if not indent:
        stops += ["\nif __name__", "\nprint(", "\n#", "\nassert "]
    return tuple(stops)


def _feedback_text(ctx: FunctionContext, feedback: Feedback) -> str:
    if not feedback.show_body and feedback.failure:
        return (
            f"An earlier attempt at `{ctx.name}` was wrong: it fails this example: "
            f"{feedback.failure}. Write a correct body."
        )
    lines = [
        f"The current body of `{ctx.name}` is wrong.",
        "Current body:",
        "```python",
        feedback.current_body.rstrip(),
        "```",
    ]
    if feedback.failure:
        lines.append(f"It fails this example: {feedback.failure}.")
    if feedback.note:
        lines.append(f"The user says: {feedback.note}")
    lines.append("Write a corrected body.")
    return "\n".join(lines)


def build_prompt(
    ctx: FunctionContext,
    fmt: Format,
    engine: PromptEngine,
    feedback: Feedback | None = None,
) -> Prompt:
    """Render the prompt for ``ctx`` in ``fmt`` (already resolved with :func:`resolve_format`)."""
    block = context_block(ctx)
    stops = stop_sequences(ctx)
    if fmt == "chat":
        request = (
            f"Complete the Python function `{ctx.name}` below. Keep its signature and docstring; "
            "write only the body. Use only the imports shown and the standard library."
        )
        reference = reference_block(ctx)
        if reference:
            # Apart from the function: in one block, a file of `...` stubs taught the model to
            # answer with one more stub (measured on real packages: every sample was empty).
            request += (
                " It may use these definitions from the project (bodies omitted):"
                f"\n\n```python\n{reference}\n```"
            )
        dicts = typed_dict_note(ctx)
        if dicts:
            request += "\n\n" + dicts
        if feedback is not None:
            request += "\n\n" + _feedback_text(ctx, feedback)
        answer = answer_block(ctx)
        messages = [
            {"role": "system", "content": SYSTEM_MESSAGE},
            {"role": "user", "content": f"{request}\n\n```python\n{answer}\n```"},
        ]
        rendered = engine.chat_prompt(messages)
        if rendered is not None:
            return Prompt(rendered + f"```python\n{answer}\n", "chat", ("\n```", *stops))
        fmt = "raw"
    if fmt == "fim":
        tokens = engine.fim_tokens()
        if tokens is not None and feedback is None:
            pre, suf, mid = tokens
            prefix = ctx.prefix[-FIM_CONTEXT_CHARS:] + "\n"
            if ctx.definitions:
                # A leading block, before the file: the model reads other files' definitions
                # first, as in a repository-level prompt. They have a budget of their own.
                prefix = f"{definitions_block(ctx)}\n\n\n{prefix}"
            suffix = ctx.suffix[:FIM_CONTEXT_CHARS]
            return Prompt(f"{pre}{prefix}{suf}{suffix}{mid}", "fim", stops)
        fmt = "raw"
    text = block
    if feedback is not None:
        commented = "\n".join("# " + line for line in _feedback_text(ctx, feedback).splitlines())
        text = f"{commented}\n\n{block}"
    return Prompt(text + "\n", "raw", stops)


def _ask_about_code(ctx: FunctionContext, engine: PromptEngine, ask: str, code: str) -> str | None:
    """Render a chat turn that asks ``ask`` about ``code``, or None for a base model."""
    if ctx.definitions:
        # Calls and examples build the project's own types: show how (fields, constructors).
        code = f"{definitions_block(ctx)}\n\n\n{code}"
    messages = [
        {"role": "system", "content": SYSTEM_MESSAGE},
        {"role": "user", "content": f"{ask}\n\n```python\n{code}\n```"},
    ]
    return engine.chat_prompt(messages)


def docstring_prompt(
    ctx: FunctionContext, engine: PromptEngine, examples: str | None = None
) -> Prompt | None:
    """Return a chat prompt asking for a docstring with examples (Codex-D); None without chat.

    ``examples`` says what the examples look like (default: `` `>>> name(...)` doctest
    examples``); a method's build its object first (``as_written.example_shape``).
    """
    style = _docstring_style(ctx)
    code = "\n".join([*ctx.enclosing_headers, ctx.header, ctx.body_source])
    wanted = examples or f"`>>> {ctx.name}(...)` doctest examples"
    rendered = _ask_about_code(
        ctx,
        engine,
        f"Write a docstring for the Python function `{ctx.name}` below. Say what it returns and "
        f"include two or three {wanted} with their exact results, "
        f"inside the docstring (an Examples section before the closing quotes). {style} Reply "
        f"with the docstring only, in triple quotes.",
        code,
    )
    if rendered is None:
        return None
    return Prompt(rendered + '"""', "chat", ('"""', "<|im_end|>"))


def calls_prompt(
    ctx: FunctionContext, engine: PromptEngine, form: str, count: int = 6
) -> Prompt | None:
    """Return a chat prompt asking for ``count`` calls of the function (CodeT's test inputs).

    ``form`` (``inputs.call_form``) is the call's shape: ``f(...)``, or for a method a call on
    an object built in the call (``Cart(...).total(...)``), so that each call says what the
    object holds. A form of several lines (``inputs.session_form``) asks instead for short
    tests that build an object, fill it through its methods and then call the method on it, or
    the function with it: there are ``count`` - 2 of them, each several lines long. The reply
    is read for the calls' arguments only (``inputs.proposed_calls``); None for a model without
    a chat template.
    """
    session = "\n" in form
    head = form.split("=", 1)[1].strip() if session else form
    owner = head.split("(")[0].split(".")[0]  # the class a test fills, or the method's
    if ctx.is_top_level:
        what, built = f"the Python function `{ctx.name}`", ""
    else:
        what = f"the method `{owner}.{ctx.name}`"
        on_object = head.startswith(f"{owner}(")
        built = f", each on a new `{owner}` built from literal arguments" if on_object else ""
    code = "\n".join([*ctx.enclosing_headers, ctx.function_head])
    if ctx.helpers:
        # The file's own classes and helpers: a call builds them (an Enum's members, a
        # dataclass's fields), as it builds those from other files.
        code = "\n\n".join(ctx.helpers) + f"\n\n\n{code}"
    if session:
        ask = (
            f"Write {count - 2} different short tests of {what} below: typical inputs and edge "
            f"cases, arguments written as literals. Each test builds a new `{owner}`, fills it "
            f"through its methods and checks one call, in this shape:\n\n{form}\n\n"
            "A blank line between tests. No other text."
        )
    else:
        ask = (
            f"Write {count} different calls of {what} below that a test would make{built}: "
            f"typical inputs and edge cases, arguments written as literals. One call per line, "
            f"each `assert {form} == <expected>`. No other text."
        )
    rendered = _ask_about_code(ctx, engine, ask, code)
    if rendered is None:
        return None
    # The answer is begun for the model: small models otherwise write the function itself, or
    # a unittest class, instead of calls.
    return Prompt(rendered + "```python\n" + calls_lead(form), "chat", ("```", "<|im_end|>"))


def calls_lead(form: str) -> str:
    """Return the start of the answer a :func:`calls_prompt` gives (the reply continues it).

    ``assert f(``, or for a test of several lines its first, up to the constructor's bracket
    (``tally = Tally(``).
    """
    if "\n" in form:
        return form[: form.index("(") + 1]
    return f"assert {form[: form.index('(') + 1]}"


def _docstring_style(ctx: FunctionContext) -> str:
    helpers = "\n".join(ctx.helpers)
    if "Args:" in helpers or "Returns:" in helpers:
        return "Use Google style (Args:, Returns:), as the rest of the file does."
    if "Parameters\n" in helpers or "-------" in helpers:
        return "Use numpydoc style (Parameters, Returns sections), as the rest of the file does."
    if ":param" in helpers or ":return" in helpers:
        return "Use reStructuredText fields (:param x:, :returns:), as the rest of the file does."
    return "Start with a one-line summary."


def reviewer_prompt(ctx: FunctionContext, body: str) -> tuple[str, str]:
    """(prompt, continuation) for Codex-D: the docstring scored after the code that implements it.

    The function is written without its docstring, then a comment introduces the docstring
    that the reviewer scores, so log P(docstring | code) measures how well the code explains it.
    """
    code = f"{ctx.header}\n{body}".rstrip()
    prompt = f"{code}\n\n# The docstring of `{ctx.name}` above:\n"
    return prompt, f'"""{ctx.docstring or ""}"""'
