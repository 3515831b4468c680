"""Candidate generation as a queued job: what "Generate implementations…" and warm-up share.

Both the generate command and warm-up (the cursor resting in a function without a body) start
the same job for a function on one document version, so that they share one generation.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pygls.workspace import TextDocument

from codegen_lsp.lsp.functions import FunctionAtCursor
from codegen_lsp.lsp.jobs import Job
from codegen_lsp.lsp.projects import project_finder
from codegen_lsp.lsp.server import CodegenServer
from codegen_lsp.outcomes import GenerationResult


def anchor(
    ls: CodegenServer, document: TextDocument, function: FunctionAtCursor
) -> tuple[int, int]:
    """Return a (line, column) the pipeline resolves to this function: its name."""
    line = ls.lines(document)[function.def_line]
    return function.def_line, max(line.find(function.name), 0)


def start_pipeline_job(
    ls: CodegenServer,
    kind: Literal["implement", "repair", "explain"],
    document: TextDocument,
    function: FunctionAtCursor,
    *,
    explicit: bool,
    key: str | None = None,
    **options: Any,
) -> Job:
    """Queue ``pipeline.<kind>`` for ``function`` on this version of ``document``.

    The project is placed inside the job (it may start the project's interpreter), never on
    the request path. ``options`` go to the pipeline call (a repair's ``note``); ``key`` tells
    jobs for the same function apart (default: the function).
    """
    source = document.source
    line, column = anchor(ls, document, function)
    call = getattr(ls.pipeline(), kind)
    find_project = project_finder(ls.workspace, ls.settings.project, document.uri)

    def work(cancel: Any, progress: Any) -> Any:
        file = find_project()
        return call(source, line, column, cancel=cancel, progress=progress, file=file, **options)

    return ls.submit(kind, document, key or function.key, work, explicit=explicit)


EARLY = "implement-early"
"""The results kind of the first wave's candidates, offered while the rest are drawn."""


def start_implement(
    ls: CodegenServer, document: TextDocument, function: FunctionAtCursor, *, explicit: bool
) -> Job:
    """Queue candidate generation for ``function`` on this version of ``document``.

    With ``sampling.firstWave``, candidates of the first wave that pass every example are kept
    as soon as they are ranked, under :data:`EARLY`: code actions offer them while the rest
    of the samples are drawn.
    """
    loop = asyncio.get_running_loop()
    uri, version = document.uri, document.version or 0

    def early(result: GenerationResult) -> None:  # called on the worker thread
        loop.call_soon_threadsafe(ls.results.put, uri, version, function.key, EARLY, result)

    return start_pipeline_job(ls, "implement", document, function, explicit=explicit, early=early)
