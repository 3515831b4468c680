"""A function's docstring examples against the body it already has: check and explain.

Neither writes a body. :func:`check` runs a function's own examples on its current body (no
model): the editor's "Check examples" and ``codegen-lsp check``. :func:`explain` has the model
write a docstring with examples (Codex-D) and keeps only what the body makes true
(:func:`check_docstring`): an example that holds stays, a doctest whose expected value is wrong
shows the function's actual output, and the rest is dropped, each with a note.
``docstrings.py`` does the text surgery; the sandbox runs the examples.

The parts come in as arguments: ``get_engine`` and ``get_sandbox`` are called only when they are
needed, so a function without a body loads no model and a call that runs no example starts no
sandbox (:class:`~codegen_lsp.pipeline.Pipeline` passes its own, loaded on first use).
"""

from __future__ import annotations

import ast
import difflib
import inspect
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from codegen_lsp import context as context_mod
from codegen_lsp import docstrings, postprocess
from codegen_lsp import prompt as prompt_mod
from codegen_lsp.context import FunctionContext
from codegen_lsp.engine.types import Engine, GenerationRequest
from codegen_lsp.example_forms import changed_attributes, example_shape
from codegen_lsp.execution import describe_failure, docstring_examples, run_current_body
from codegen_lsp.outcomes import (
    CheckResult,
    ExplainResult,
    ProgressFn,
    TextReplacement,
    check_cancel,
    report,
)
from codegen_lsp.sandbox.compare import REL_TOL
from codegen_lsp.sandbox.examples import extract_examples
from codegen_lsp.sandbox.types import CandidateRun, Example
from codegen_lsp.settings import SamplingSettings

if TYPE_CHECKING:
    from codegen_lsp.sandbox.runner import Sandbox


def check(
    source: str,
    get_sandbox: Callable[[], Sandbox],
    package: str = "",
    line: int | None = None,
    stubs: bool = False,
) -> list[CheckResult]:
    """Run functions' own docstring examples against their current bodies (no model).

    With ``line`` (0-based) the function there is checked, and reported even when its
    docstring has no examples (raises ``NoFunctionError`` when there is none). Without it,
    every function with examples and a body is; ``stubs`` adds those whose body is only a
    placeholder (``pass``, ``...``, ``raise NotImplementedError``), which fail as written.
    """
    if line is None:
        contexts = [c for c in context_mod.all_functions(source) if c.has_body or stubs]
    else:
        contexts = [context_mod.find_function(source, line)]
    results = []
    for ctx in contexts:
        examples = docstring_examples(ctx)
        if not examples and line is None:
            continue
        if examples:
            run = run_current_body(ctx, examples, get_sandbox(), package)
        else:
            run = CandidateRun(results=[], isolation=get_sandbox().isolation)
        results.append(
            CheckResult(
                ctx.qualified_name,
                ctx.def_line,
                ctx.def_line if ctx.docstring_line is None else ctx.docstring_line,
                run,
                has_docstring=ctx.docstring_line is not None,
                doctest_notes={
                    index: _doctest_differs(shown, result.example.expected or "")
                    for index, result in enumerate(run.results)
                    if (shown := docstrings.doctest_shows(result)) is not None
                },
            )
        )
    return results


DOCTEST_SHOWS_NO_NONE = (
    "returns None as expected, but `python -m doctest` fails it: doctest shows nothing for "
    "None, so leave the `None` line out"
)
"""Said of a user's example that expects ``None``: it passes here, where values are compared."""


def _doctest_differs(shown: str, expected: str) -> str:
    """Say why a user's passing example fails ``python -m doctest`` (:func:`doctest_shows`)."""
    if not shown:
        return DOCTEST_SHOWS_NO_NONE
    if _holds_a_float(expected):
        # The check compares floats within a tolerance (docstrings print them rounded), and
        # says so: doctest would fail what passed here.
        return (
            f"is within {REL_TOL:g} of the value expected, but `python -m doctest` compares "
            f"the text and shows {shown}: write that, or round the value in the example"
        )
    return (
        f"returns the value expected, but `python -m doctest` compares the text and shows "
        f"{shown}: write that"
    )


def _holds_a_float(written: str) -> bool:
    """Tell whether an expected value, as written, holds a float literal (``0.3``, ``[1.5]``)."""
    try:
        tree = ast.parse(written.strip(), mode="eval")
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Constant) and isinstance(n.value, float) for n in ast.walk(tree))


def explain(
    ctx: FunctionContext,
    get_engine: Callable[[], Engine],
    get_sandbox: Callable[[], Sandbox],
    sampling: SamplingSettings,
    package: str = "",
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    rewrite: bool = False,
) -> ExplainResult:
    """Write a docstring with examples for a function and check them against its body.

    A docstring the user wrote is kept as written, and the model only adds examples after
    it; ``rewrite`` lets the model write the whole docstring anew (Codex-D). ``sampling``
    gives the reply's length and whether prompt lookup drafts tokens.
    """
    if not ctx.has_body:
        raise ValueError(f"`{ctx.name}` has no body to explain: write it first")
    engine = get_engine()
    shape = example_shape(ctx)
    rendered = prompt_mod.docstring_prompt(ctx, engine, shape.asked)
    if rendered is None:
        raise ValueError("explain needs a model with a chat template")
    own = "" if rewrite else inspect.cleandoc(ctx.docstring or "").strip()
    report(progress, "sampling", 0, 2)
    # A lead ends at ">>>" or at a word's end, never inside the call: a token cut in two there
    # (``(`` without the ``"`` the model would write with it) made the model drop a quote.
    if own:
        # The user's words stay; the model continues after them with examples only.
        has_examples = bool(extract_examples(own, ctx.name))
        lead = f"{own}\n\n>>>" if has_examples else f"{own}\n\nExamples:\n>>>{shape.begun}"
        text = _docstring_text(engine, rendered, lead, sampling, cancel)
    else:
        text = _docstring_text(engine, rendered, "", sampling, cancel)
        if not extract_examples(text, ctx.name):
            # The model closed the docstring before its examples (it often writes them
            # after the quotes): start the examples inside the docstring and let it go on.
            heading = "Examples\n--------" if re.search(r"\n\s*-{3,}\n", text) else "Examples:"
            lead = f"{text.rstrip()}\n\n{heading}\n>>>{shape.begun}"
            text = _docstring_text(engine, rendered, lead, sampling, cancel)
    report(progress, "sampling", 2, 2)
    docstring = inspect.cleandoc(text.strip("\n"))
    # Only what the model added is checked: the user's own examples are theirs to fix.
    fixed = len(own.splitlines()) if own else 0
    result = check_docstring(
        ctx, docstring, get_sandbox, package, cancel, progress, fixed_lines=fixed
    )
    if shape.variable and result.examples_kept:
        generated = _GeneratedExamples(ctx, get_sandbox, package, cancel, fixed)
        _show_what_changed(generated, result, shape.variable)
    if own and result.examples_kept == 0:
        result.notes.append("no generated example held: the docstring is left as it was")
        result.docstring = own
        result.replacement = _docstring_replacement(ctx, own)
    return result


@dataclass(frozen=True)
class _GeneratedExamples:
    """Runs the examples of a docstring that the model wrote (after the user's own lines)."""

    ctx: FunctionContext
    get_sandbox: Callable[[], Sandbox]
    package: str
    cancel: threading.Event | None
    fixed_lines: int

    def of(self, docstring: str) -> list[Example]:
        """Return the docstring's examples after the user's own lines."""
        return [e for e in extract_examples(docstring, self.ctx.name) if e.line > self.fixed_lines]

    def run(self, examples: list[Example]) -> CandidateRun:
        """Run ``examples`` in order, in one namespace, on the function as written."""
        return run_current_body(self.ctx, examples, self.get_sandbox(), self.package, self.cancel)


def _show_what_changed(generated: _GeneratedExamples, result: ExplainResult, variable: str) -> None:
    """After a method's examples that show nothing, show what it changed (``>>> shelf.items``).

    The model often writes only calls of a method that returns None (four ``shelf.put(...)``);
    the attributes its body changes are read after them, in the same run, and shown when
    their values can be (short, and reading back as Python).
    """
    ctx = generated.ctx
    if docstrings.shows_a_value(result.docstring, ctx.name, generated.fixed_lines):
        return
    names = changed_attributes(ctx)
    if not names:
        return
    examples = generated.of(result.docstring)
    after = len(result.docstring.splitlines())
    # Each attribute, and its length for when its value is too long to show (five items).
    reads = [read for name in names for read in (f"{variable}.{name}", f"len({variable}.{name})")]
    probes = [
        Example(call=read, expected=None, line=after + index + 1, kind="probe")
        for index, read in enumerate(reads)
    ]
    run = generated.run([*examples, *probes])
    values = {
        r.example.call: docstrings.showable(r)
        for r in run.results
        if r.example.kind == "probe" and r.status == "passed"
    }
    shown: list[tuple[str, str]] = []
    for name in names:
        for read in (f"{variable}.{name}", f"len({variable}.{name})"):
            value = values.get(read)
            if value is not None:
                shown.append((read, value))
                break
    if not shown:
        return
    result.docstring = docstrings.append_examples(result.docstring, shown)
    result.replacement = _docstring_replacement(ctx, result.docstring)
    # Run and kept alike: "5/10 examples kept", never more kept than were checked.
    result.examples_kept += len(shown)
    result.examples_checked += len(shown)
    calls = ", ".join(f"`{call}`" for call, _ in shown)
    result.notes.append(f"added {calls}: the examples showed nothing of what `{ctx.name}` changes")


def _docstring_text(
    engine: Engine,
    rendered: prompt_mod.Prompt,
    lead: str,
    sampling: SamplingSettings,
    cancel: threading.Event | None,
) -> str:
    """Return the docstring the model writes after ``lead``, up to its closing quotes."""
    sample = engine.generate(
        GenerationRequest(
            prompt=rendered.text + lead,
            n=1,
            temperature=0.0,
            max_new_tokens=sampling.max_new_tokens,
            stop=rendered.stop,
            prompt_lookup=sampling.prompt_lookup,
        ),
        cancel,
    )[0]
    check_cancel(cancel)
    text = lead + postprocess.cut_at(sample.text, (*prompt_mod.END_TOKENS, '"""'))
    if sample.finish_reason == "length" and ">>>" in text:
        # The docstring never closed: its last example may be cut mid-line.
        text = text[: text.rindex(">>>")].rstrip()
    return text


def check_docstring(
    ctx: FunctionContext,
    docstring: str,
    get_sandbox: Callable[[], Sandbox],
    package: str = "",
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    fixed_lines: int = 0,
) -> ExplainResult:
    """Run a docstring's examples against the existing body; keep only those that hold.

    An example written twice (the same call and the same expected result) is kept once.
    Every other example that does not pass is removed, and a note says what it returned.
    Examples on the first ``fixed_lines`` lines (the user's own) are neither run nor touched.
    """
    # A bracket the model left out (`f([Item(1))`) is put back: the example then runs, and
    # stays only if it holds, as any other.
    docstring = docstrings.with_brackets_closed(docstring, fixed_lines)
    found = [e for e in extract_examples(docstring, ctx.name) if e.line > fixed_lines]
    examples, repeated = docstrings.unique_examples(found)
    notes: list[str] = []
    # A generated ``>>>`` line that is no example (not Python: a quote left out) goes too.
    broken = docstrings.broken_doctests(docstring, fixed_lines)
    for example in broken:
        notes.append(f"dropped a line that is no runnable example: {example.call}")
    kept = corrected = 0
    drop = list(broken)
    rewrites: dict[int, str] = {}
    if examples:
        run = run_current_body(ctx, examples, get_sandbox(), package, cancel, progress)
        if run.error:
            notes.append(f"the function could not run its examples: {run.error}")
        passed = [r.example for r in run.results if r.status == "passed"]
        # Passing by value, failing `python -m doctest`, which compares text: an expected
        # "None" (doctest shows nothing: its output line goes), or u'abc' for 'abc'. What is
        # written is what doctest shows.
        rewrites.update(
            (r.example.line - 1, doctest_text)
            for r in run.results
            if (doctest_text := docstrings.doctest_shows(r)) is not None
        )
        shown = {docstrings.example_key(example) for example in passed}
        corrections: list[tuple[Example, str, str]] = []  # example, its actual value, why
        for result in run.results:
            if result.status == "passed":
                continue
            actual = docstrings.shown_value(result)
            if actual is None:
                notes.append(f"dropped an example that does not hold: {describe_failure(result)}")
                continue
            key = docstrings.example_key(replace(result.example, expected=actual))
            if key in shown:
                continue  # corrected, it would repeat an example already shown: dropped
            shown.add(key)
            corrections.append((result.example, actual, describe_failure(result)))
        few = _fewest_that_show_most(passed, [(e, actual) for e, actual, _ in corrections])
        for example, actual, why in corrections:
            if id(example) in few:
                rewrites[example.line - 1] = "" if actual == "None" else actual
                notes.append(f"corrected an example to the function's actual output: {why}")
        corrected = sum(id(example) in few for example, _, _ in corrections)
        held = len(passed) + len(corrections)
        # A run that stopped early leaves examples without a result: they did not pass.
        drop += [e for e in examples if id(e) not in few] + repeated
        kept = len(few)
        if repeated:
            notes.append(f"removed {len(repeated)} repeated examples")
        if held > kept:
            notes.append(
                f"kept {kept} of the {held} examples that hold, those with the most different "
                "results (a docstring shows a few, not a test suite)"
            )
        notes.append(
            f"checked {len(examples)} examples against the existing body: {kept} kept"
            + (f" ({corrected} corrected to its actual output)" if corrected else "")
        )
    else:
        notes.append("the generated docstring has no runnable examples: nothing was checked")
    if examples:
        # The setup of an example left out (``>>> xs = [4]``) goes with it, unless a kept one
        # reads what it binds (compared by identity: a repeated example equals its twin).
        gone = {id(e) for e in drop}
        left = [e for e in examples if id(e) not in gone]
        dropped = [e for e in [*examples, *repeated] if id(e) in gone]
        drop += docstrings.unused_setup(docstring, dropped, left)
    docstring = docstrings.edit_examples(docstring, drop, rewrites)
    if drop and kept:
        # The examples share one namespace, as in doctest: one left out may have changed what a
        # later one shows (`c.add(0)` kept 0 in `c.items`, then raised, and was dropped), so
        # what is written is run again and made true.
        generated = _GeneratedExamples(ctx, get_sandbox, package, cancel, fixed_lines)
        docstring, recorrected, lost = _as_written_holds(generated, docstring)
        if recorrected or lost:
            corrected += recorrected
            kept -= lost
            notes.append(
                f"with the others left out, {recorrected + lost} of the examples kept showed "
                f"something else: {recorrected} corrected, {lost} dropped"
            )
    return ExplainResult(
        function_name=ctx.qualified_name,
        docstring=docstring,
        replacement=_docstring_replacement(ctx, docstring),
        examples_checked=len(examples),
        examples_kept=kept,
        notes=notes,
        examples_corrected=corrected,
    )


RECHECKS = 2
"""Rounds of corrections to a docstring's kept examples before the ones that still fail are cut
from the first on (one round nearly always settles them)."""


def _as_written_holds(generated: _GeneratedExamples, docstring: str) -> tuple[str, int, int]:
    """Run the docstring's examples as written; correct or drop those that no longer hold.

    Return the docstring, how many examples were corrected and how many dropped.
    """
    corrected = dropped = 0
    for attempt in range(RECHECKS + 1):
        examples = generated.of(docstring)
        run = generated.run(examples)
        passed = {id(r.example) for r in run.results if r.status == "passed"}
        if len(passed) == len(examples):
            break
        fixes: dict[int, str] = {}
        gone: list[Example] = []
        if attempt == RECHECKS:
            # Still moving: keep only what comes before the first example that fails (a
            # later example cannot change an earlier one's result).
            first = next(i for i, e in enumerate(examples) if id(e) not in passed)
            gone = examples[first:]
        else:
            for result in run.results:
                value = None if result.status == "passed" else docstrings.shown_value(result)
                if value is not None:
                    fixes[result.example.line - 1] = "" if value == "None" else value
            # A run that stopped early leaves examples without a result: they go too.
            gone = [e for e in examples if id(e) not in passed and e.line - 1 not in fixes]
        corrected, dropped = corrected + len(fixes), dropped + len(gone)
        docstring = docstrings.edit_examples(docstring, gone, fixes)
    return docstring, corrected, dropped


MOST_EXAMPLES_KEPT = 4
"""Most generated examples a docstring keeps: the model writes up to ten near-copies
(``with_vat(50, 0.02)``, ``with_vat(50, 0.03)``...), which read as a test suite."""


def _fewest_that_show_most(passed: list[Example], corrected: list[tuple[Example, str]]) -> set[int]:
    """Return the ids of the examples to keep: at most :data:`MOST_EXAMPLES_KEPT` results shown.

    The examples share a namespace, so a call that shows nothing (``restock_all(items, 3)``)
    goes with the next example that shows something (``items``): they are kept or left out
    together, and calls that show nothing at the end, at most the cap of them. Blocks whose
    results the model got right come before those corrected to the actual output, and results
    not shown yet, of calls unlike those kept, before repeats and near-copies
    (``book_slug("The Catcher in the Rye", 1952)`` after the same title in 1951).
    """
    shows = {id(e): e.expected or e.expected_output or e.expected_exception for e in passed}
    shows.update({id(e): value for e, value in corrected})
    fixed = {id(e) for e, _ in corrected}
    blocks: list[list[Example]] = [[]]
    for example in sorted([*passed, *(e for e, _ in corrected)], key=lambda e: e.line):
        blocks[-1].append(example)
        if shows[id(example)]:
            blocks.append([])
    trailing = blocks.pop()[:MOST_EXAMPLES_KEPT]
    # Right first, then corrected; the order of a kind is the docstring's.
    ordered = sorted(blocks, key=lambda block: any(id(e) in fixed for e in block))
    kept: list[list[Example]] = []
    seen: set[str | None] = set()
    for block in ordered:  # first the results not shown yet, of calls not nearly shown
        if (
            len(kept) < MOST_EXAMPLES_KEPT
            and shows[id(block[-1])] not in seen
            and not any(_near_copy(block[-1].call, other[-1].call) for other in kept)
        ):
            kept.append(block)
            seen.add(shows[id(block[-1])])
    for block in ordered:  # then any, up to the cap
        if len(kept) < MOST_EXAMPLES_KEPT and block not in kept:
            kept.append(block)
    if not kept:
        kept.append(trailing)
    return {id(example) for block in kept for example in block}


NEAR_COPY = 0.9
"""Calls whose arguments' texts are this similar (difflib's ratio) are near-copies..."""
NEAR_COPY_CHARS = 16
"""...when both are this long: long arguments a character or two apart. Short ones one apart
(``'ae'``, ``'aei'``) show different cases."""


def _near_copy(call: str, other: str) -> bool:
    """Tell whether two example calls differ so little that showing both says nothing more."""
    arguments, others = call.partition("(")[2], other.partition("(")[2]
    if min(len(arguments), len(others)) < NEAR_COPY_CHARS:
        return False
    return difflib.SequenceMatcher(None, arguments, others).ratio() >= NEAR_COPY


def _docstring_replacement(ctx: FunctionContext, docstring: str) -> TextReplacement:
    """Return the edit that puts ``docstring`` in place of the function's own (or adds it)."""
    indent = ctx.body_indent
    lines = docstring.split("\n")
    body = [lines[0]] + [(indent + line) if line.strip() else "" for line in lines[1:]]
    closing = f"\n{indent}" if len(lines) > 1 else ""
    text = f"{chr(10).join(body)}{closing}"
    # The text is the docstring's value, which doctest reads: `b'\x01'` must stay four
    # characters, so a docstring with a backslash is written raw (where a raw literal can
    # hold it: not one that ends with a backslash).
    raw = "\\" in text and '"""' not in text and not text.endswith("\\")
    prefix = "r" if raw else ""
    literal = f'{indent}{prefix}"""{text}"""'
    if ctx.docstring_line is not None:
        return TextReplacement(ctx.docstring_line, 0, *ctx.replace_start, literal)
    return TextReplacement(*ctx.replace_start, *ctx.replace_start, "\n" + literal)
