"""Warm-up: start generating while the user is still reading their docstring.

When the cursor rests (no edit, no new request for ``server.warmupDelayMs``) in a function that
has a docstring and no body, the server starts sampling candidates for it in the background, so
that by the time the user asks for code actions the ranked candidates are already there. In a
function with a body and docstring examples, the rest runs "Check examples" instead. Any edit
restarts the wait and stops the warm-up computed on the old text. Switch it off with
``server.warmup: false``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from codegen_lsp.lsp import checks
from codegen_lsp.lsp.functions import function_at
from codegen_lsp.lsp.implement import start_implement
from codegen_lsp.lsp.progress import follow_warmup
from codegen_lsp.lsp.server import CodegenServer

log = logging.getLogger(__name__)


def schedule(ls: CodegenServer, uri: str, line: int) -> None:
    """(Re)start the rest timer for ``uri`` with the cursor on ``line``."""
    if not ls.settings.server.warmup:
        return
    timers = ls.warmup_timers
    previous = timers.pop(uri, None)
    if previous is not None:
        previous.cancel()
    try:
        document = ls.workspace.get_text_document(uri)
    except Exception:
        return
    loop = asyncio.get_running_loop()
    delay = ls.settings.server.warmup_delay_ms / 1000
    timers[uri] = loop.call_later(delay, _rested, ls, uri, document.version, line)


def _rested(ls: CodegenServer, uri: str, version: int | None, line: int) -> None:
    ls.warmup_timers.pop(uri, None)
    try:
        document = ls.workspace.get_text_document(uri)
        if document.version != version:
            return
        function = function_at(ls.lines(document), line)
        if function is None:
            return
        version_number = version or 0
        if function.wants_body:
            if ls.results.get(uri, version_number, function.key, "implement") is None:
                job = start_implement(ls, document, function, explicit=False)
                if not job.explicit and not job.listeners:  # not already shown for a request
                    task = asyncio.ensure_future(follow_warmup(ls, function.name, job))
                    task.add_done_callback(_log_failure)
        elif (
            function.has_examples
            and ls.results.get(uri, version_number, checks.check_key(function.def_line), "check")
            is None
        ):
            checking = asyncio.ensure_future(checks.check_document(ls, uri, function.def_line))
            checking.add_done_callback(_log_failure)
    except Exception as error:  # warm-up is a courtesy: it never disturbs the user
        log.warning("warm-up failed: %s: %s", type(error).__name__, error)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("warm-up task failed: %s", task.exception())
