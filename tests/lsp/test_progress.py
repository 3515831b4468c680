"""Progress for a job: a request cancelled while its progress starts ends cancelled, quietly."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from codegen_lsp.lsp.jobs import Job
from codegen_lsp.lsp.progress import JobProgress
from codegen_lsp.lsp.server import CodegenServer


def _job(loop: asyncio.AbstractEventLoop) -> Job:
    return Job("key", "file:///m.py", 1, lambda cancel, progress: None, True, loop.create_future())


async def test_a_cancel_that_meets_a_failed_token_request_still_cancels() -> None:
    # When the client hangs up, the server's request for a progress token fails in the same
    # moment as asyncio cancels the command that asked. The cancel must win: a command that
    # reads the failure as "no progress, go on" ends with an error instead, which asyncio
    # logs as an unhandled exception at shutdown (what the quit-mid-generation test saw).
    loop = asyncio.get_running_loop()
    server = CodegenServer()
    server.features = dataclasses.replace(server.features, shows_progress=True)
    token_answer: asyncio.Future[None] = loop.create_future()
    server.work_done_progress.create_async = lambda token: token_answer  # type: ignore[method-assign]
    started = asyncio.ensure_future(JobProgress.start(server, "Implementing add", _job(loop)))
    await asyncio.sleep(0)  # the start now waits for the client's answer
    token_answer.set_exception(ConnectionError("the client is gone"))
    started.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await started
    assert started.cancelled()


async def test_a_refused_token_means_no_progress_and_the_job_goes_on() -> None:
    loop = asyncio.get_running_loop()
    server = CodegenServer()
    server.features = dataclasses.replace(server.features, shows_progress=True)
    token_answer: asyncio.Future[None] = loop.create_future()
    token_answer.set_exception(RuntimeError("no progress here"))
    server.work_done_progress.create_async = lambda token: token_answer  # type: ignore[method-assign]
    assert await JobProgress.start(server, "Implementing add", _job(loop)) is None
