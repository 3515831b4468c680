"""Check examples: run a function's docstring examples and mark the ones that fail.

Each failing example becomes a diagnostic on its own line of the docstring, saying what was
expected and what the function returned. The results also unlock "Fix with failing example" for
that function. No model is involved, only the sandbox.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types

from codegen_lsp.execution import describe_failure
from codegen_lsp.lsp.projects import project_finder
from codegen_lsp.lsp.server import CodegenServer

SOURCE = "codegen-lsp"
CODE = "example-failed"
DOCTEST_CODE = "doctest-differs"
"""An example that passes by value but that ``python -m doctest`` would fail."""


def _example_range(lines: Any, result: Any, example_result: Any) -> types.Range:
    """Return the example's ``>>>`` line, from its first character to its last."""
    line = result.docstring_line + max(example_result.example.line - 1, 0)
    text = lines[line] if line < len(lines) else ""
    start = len(text) - len(text.lstrip())
    return types.Range(
        start=types.Position(line=line, character=start),
        end=types.Position(line=line, character=len(text.rstrip("\r\n"))),
    )


def _failure(where: types.Range, message: str, function: str, note: str) -> types.Diagnostic:
    """Return a warning that unlocks "Fix with failing example" for ``function``."""
    return types.Diagnostic(
        range=where,
        message=message,
        severity=types.DiagnosticSeverity.Warning,
        source=SOURCE,
        code=CODE,
        data={"function": function, "note": note},
    )


def _diagnostics(lines: Any, result: Any) -> list[types.Diagnostic]:
    found = []
    for index, example_result in enumerate(result.run.results):
        where = _example_range(lines, result, example_result)
        doctest_note = result.doctest_notes.get(index)
        if example_result.status == "passed":
            if doctest_note:
                # It passes here, but not under `python -m doctest`: said, not a failure.
                information = types.DiagnosticSeverity.Information
                found.append(
                    types.Diagnostic(
                        where, f"example {doctest_note}", information, DOCTEST_CODE, source=SOURCE
                    )
                )
            continue
        note = describe_failure(example_result)
        found.append(_failure(where, f"example fails: {note}", result.function_name, note))
    if result.run.error:
        start = types.Position(line=result.function_line, character=0)
        message = f"examples could not run: {result.run.error}"
        found.append(
            _failure(
                types.Range(start=start, end=start), message, result.function_name, result.run.error
            )
        )
    return found


async def check_document(
    ls: CodegenServer, uri: str, line: int | None, tell: bool = False
) -> list[Any]:
    """Run the examples of the function at ``line`` (or of every function) and publish them."""
    document = ls.workspace.get_text_document(uri)
    version = document.version
    source = document.source
    pipeline = ls.pipeline()
    find_project = project_finder(ls.workspace, ls.settings.project, uri)

    def check() -> list[Any]:
        return pipeline.check(source, line, file=find_project())

    try:
        results = await asyncio.to_thread(check)
    except Exception as error:
        ls.report_pipeline_failure("check examples", error, tell=tell)
        return []
    if document.version != version:
        return results  # outdated lines: the next check will publish
    per_function = ls.check_diagnostics.setdefault(uri, {})
    if line is None:
        per_function.clear()
    lines = ls.lines(document)
    for result in results:
        per_function[result.function_name] = _diagnostics(lines, result)
        ls.results.put(uri, version or 0, check_key(result.function_line), "check", result)
    ls.checked_documents.add(uri)
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(
            uri=uri,
            version=version,
            diagnostics=[d for found in per_function.values() for d in found],
        )
    )
    return results


def check_message(name: str, examples: int, passed: int, error: str | None = None) -> str:
    """Say what a check found, success included (a silent success looks like nothing ran)."""
    if error is not None:
        return f"{name} does not run: {error}"
    if examples == 0:
        return f"{name}: no examples to check (add `>>> {name}(...)` lines to its docstring)"
    if passed == examples:
        return (
            f"{name}: all {examples} examples pass" if examples > 1 else f"{name}: 1 example passes"
        )
    return f"{name}: {passed} of {examples} examples pass; the failing ones are marked"


def check_key(def_line: int) -> str:
    """Key check results by the function's ``def`` line (names may be qualified or not)."""
    return f"def@{def_line}"


def failing_note(ls: CodegenServer, uri: str, version: int, def_line: int) -> str | None:
    """Describe the first failing example of the function at ``def_line`` in the last check."""
    result = ls.results.get(uri, version, check_key(def_line), "check")
    if result is None:
        return None
    for example_result in result.run.results:
        if example_result.status != "passed":
            return describe_failure(example_result)
    return result.run.error
