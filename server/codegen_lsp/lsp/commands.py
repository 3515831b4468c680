"""The slow work behind the code actions, as ``workspace/executeCommand``.

"Generate implementations…" samples candidate bodies, runs the docstring's examples on each and
ranks them, showing each stage in the editor's progress UI (cancellable there, or by cancelling
the request); then it applies the best candidate that passes, through ``workspace/applyEdit``
pinned to the document version the candidates were computed on. When nothing passes it says so
and applies nothing; the code actions then list the candidates with their failures.
"Fix with failing example" does the same from a failing example, "Explain code" writes a
docstring whose examples were checked against the function, and "Check examples" publishes the
function's failing examples as diagnostics.

A request whose document changes underneath fails with ContentModified and applies nothing.
Each command's argument and reply is typed in ``payloads.py``; pygls writes the reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.workspace import TextDocument

from codegen_lsp.lsp import checks
from codegen_lsp.lsp.actions import CHECK, EXPLAIN, GENERATE, REPAIR
from codegen_lsp.lsp.cancellation import wait_for
from codegen_lsp.lsp.edits import apply_edit
from codegen_lsp.lsp.evidence import (
    candidate_data,
    candidate_title,
    evidence,
    explain_evidence,
    explain_message,
    first_failure,
    passes,
)
from codegen_lsp.lsp.functions import FunctionAtCursor, function_at
from codegen_lsp.lsp.implement import start_implement, start_pipeline_job
from codegen_lsp.lsp.jobs import Job, JobCancelled
from codegen_lsp.lsp.payloads import (
    CheckReply,
    CommandReply,
    CommandTarget,
    ExplainReply,
    ImplementReply,
    NotApplied,
    PromptContext,
    Started,
)
from codegen_lsp.lsp.progress import JobProgress
from codegen_lsp.lsp.protocol import request_work_done_token
from codegen_lsp.lsp.server import CodegenServer
from codegen_lsp.outcomes import GenerationResult

log = logging.getLogger(__name__)


async def _with_progress(ls: CodegenServer, title: str, job: Job) -> Any:
    """Wait for ``job`` on behalf of this request while showing its stages as progress."""
    progress = await JobProgress.start(ls, title, job, request_work_done_token.get())
    outcome = "cancelled"
    try:
        result = await wait_for(ls.codegen_protocol, job)
        outcome = "done"
        return result
    finally:
        if progress is not None:
            progress.end(outcome)


async def _run(ls: CodegenServer, title: str, job: Job, kind: str) -> tuple[Any, NotApplied | None]:
    """Wait for ``job`` with progress; a pipeline failure becomes (None, a reply saying so)."""
    try:
        return await _with_progress(ls, title, job), None
    except JsonRpcException:
        raise  # cancelled or outdated: the request's reply says so
    except Exception as error:
        ls.report_pipeline_failure(kind, error, tell=True)
        return None, NotApplied.because(str(error))


def _target(
    ls: CodegenServer, args: tuple[Any, ...]
) -> tuple[TextDocument, FunctionAtCursor, CommandTarget]:
    """Read a command's argument: the document version and function the action was made for."""
    target = CommandTarget.from_arguments(ls.converter, args)
    document = ls.current_document(target.uri, target.version)
    function = function_at(ls.lines(document), target.line)
    if function is None:
        raise JsonRpcInvalidParams(f"no function at line {target.line} of {target.uri}")
    return document, function, target


async def _apply_best(
    ls: CodegenServer,
    document: TextDocument,
    function: FunctionAtCursor,
    result: GenerationResult,
    verb: str,
) -> ImplementReply:
    """Apply the best passing candidate of ``result``, or say honestly that none passed."""
    passing = [c for c in result.candidates if passes(c)]
    summary = ImplementReply(
        function=function.name,
        candidates=len(result.candidates),
        passing=len(passing),
        notes=list(result.notes),
        applied=False,
        # What the model saw of the project and where the examples ran, for clients to show.
        context=PromptContext(
            definitions=list(result.definitions),
            tokens=result.context_tokens,
            interpreter=result.interpreter,
            not_looked_up=list(result.not_looked_up),
        ),
    )
    if not passing:
        best = result.candidates[0] if result.candidates else None
        detail = (
            f" The best has {evidence(best)}; {first_failure(best.run) or ''}".rstrip("; ")
            if best is not None
            else " " + "; ".join(result.notes)
        )
        message = f"{verb} {function.name}: no candidate passed the examples.{detail}"
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Info, message=message)
        )
        summary.message = message
        return summary
    best = passing[0]
    title = candidate_title(best, verb)
    summary.title = title
    summary.evidence = candidate_data(best)
    summary.applied = await apply_edit(
        ls, document.uri, document.version or 0, best.file_edits, label=title
    )
    for note in result.notes:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Info, message=note))
    return summary


def register(server: CodegenServer) -> None:
    """Register the commands."""

    @server.command(GENERATE)
    async def generate(ls: CodegenServer, *args: Any) -> CommandReply:
        return await _reply(ls, _generate(ls, *_target(ls, args)))

    @server.command(REPAIR)
    async def repair(ls: CodegenServer, *args: Any) -> CommandReply:
        return await _reply(ls, _repair(ls, *_target(ls, args)))

    @server.command(EXPLAIN)
    async def explain(ls: CodegenServer, *args: Any) -> CommandReply:
        return await _reply(ls, _explain(ls, *_target(ls, args)))

    @server.command(CHECK)
    async def check(ls: CodegenServer, *args: Any) -> CheckReply:
        document, function, _ = _target(ls, args)
        results = await checks.check_document(ls, document.uri, function.def_line, tell=True)
        runs = [r.run for r in results]
        examples, passed = sum(run.total for run in runs), sum(run.passed for run in runs)
        error = next((run.error for run in runs if run.error), None)
        message = checks.check_message(function.name, examples, passed, error)
        if error is not None or passed == examples:
            # Failing examples are shown where they are, as diagnostics; a message on top of
            # them says it twice, and Neovim stops at "Press ENTER" when two messages meet.
            kind = types.MessageType.Info if error is None else types.MessageType.Warning
            ls.window_show_message(types.ShowMessageParams(type=kind, message=message))
        return CheckReply(function=function.name, examples=examples, passed=passed, message=message)


async def _reply(ls: CodegenServer, work: Coroutine[Any, Any, CommandReply]) -> CommandReply:
    """Answer when the work is done, or at once for clients that block while they wait.

    Eglot sends ``workspace/executeCommand`` as a blocking request that gives up after 10 s; for
    it the command answers "started" and the edit follows, with progress, when it is ready.
    """
    if not ls.features.blocks_on_commands:
        task = asyncio.current_task()
        if task is not None:
            # pygls drops a command task's outcome once the client cancelled the request;
            # fetch it here so that asyncio does not report it as never retrieved.
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await work

    async def detached() -> CommandReply:
        ls.codegen_protocol.detach_request()
        return await work

    task = asyncio.ensure_future(detached())
    task.add_done_callback(_log_detached)
    return Started(started=True, message="working on it; the edit follows when it is ready")


def _log_detached(task: asyncio.Task[CommandReply]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if isinstance(error, (JsonRpcException, JobCancelled)):
        log.info("detached command ended: %s", error)
    elif error is not None:
        log.warning("detached command failed: %s: %s", type(error).__name__, error)


async def _generate(
    ls: CodegenServer, document: TextDocument, function: FunctionAtCursor, target: CommandTarget
) -> NotApplied | ImplementReply:
    if not function.wants_body:
        return NotApplied.because(f"{function.name} already has a body")
    version = document.version or 0
    result = (
        None if target.fresh else ls.results.get(document.uri, version, function.key, "implement")
    )
    if result is None:
        job = start_implement(ls, document, function, explicit=True)
        result, failed = await _run(ls, f"Implementing {function.name}", job, "generate")
        if failed is not None:
            return failed
    document = ls.current_document(document.uri, version)
    return await _apply_best(ls, document, function, result, "Implement")


async def _repair(
    ls: CodegenServer, document: TextDocument, function: FunctionAtCursor, target: CommandTarget
) -> NotApplied | ImplementReply:
    version = document.version or 0
    note = target.note
    job = start_pipeline_job(
        ls, "repair", document, function, explicit=True, key=f"{function.key}:{note}", note=note
    )
    result, failed = await _run(ls, f"Fixing {function.name}", job, "repair")
    if failed is not None:
        return failed
    document = ls.current_document(document.uri, version)
    return await _apply_best(ls, document, function, result, "Fix")


async def _explain(
    ls: CodegenServer, document: TextDocument, function: FunctionAtCursor, target: CommandTarget
) -> NotApplied | ExplainReply:
    version = document.version or 0
    rewrite = target.rewrite
    job = start_pipeline_job(
        ls,
        "explain",
        document,
        function,
        explicit=True,
        key=f"{function.key}:rewrite" if rewrite else None,
        rewrite=rewrite,
    )
    result, failed = await _run(ls, f"Explaining {function.name}", job, "explain")
    if failed is not None:
        return failed
    label = f"Explain {function.name}: {explain_evidence(result)}"
    # Where the client can, the user sees the new docstring and confirms it before it lands.
    confirm = types.ChangeAnnotation(
        label=label, needs_confirmation=True, description="; ".join(result.notes)
    )
    applied = await apply_edit(
        ls, document.uri, version, [result.replacement], label=label, confirm=confirm
    )
    message = explain_message(label, result.notes)
    for note in result.notes:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Info, message=note))
    ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=message))
    return ExplainReply(
        applied=applied,
        function=function.name,
        docstring=result.docstring,
        examples_checked=result.examples_checked,
        examples_kept=result.examples_kept,
        notes=list(result.notes),
        message=message,
    )
