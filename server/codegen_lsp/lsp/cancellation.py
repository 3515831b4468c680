"""A request that waits for a job: the client's cancel stops the job, the job's end is the reply.

Generation runs as a job on the model's queue (``jobs.py``), possibly shared by several
requests. A request waits for it through :func:`wait_for`: the client's ``$/cancelRequest``
stops the job once no other request waits for it, and a job that stops answers its requests
with the LSP error that says why (the document changed: ContentModified; the user cancelled:
RequestCancelled; a newer request took its place: ServerCancelled).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pygls.exceptions import JsonRpcContentModified, JsonRpcRequestCancelled

from codegen_lsp.lsp.jobs import Job, JobCancelled
from codegen_lsp.lsp.protocol import CodegenProtocol, ServerCancelled


async def wait_for(protocol: CodegenProtocol, job: Job) -> Any:
    """Wait for ``job`` on behalf of the current request, mapping cancellation to LSP errors.

    A client's ``$/cancelRequest`` stops the job (unless another request still waits for
    it); an edit to the document makes the request fail with ContentModified.
    """
    task = asyncio.current_task()
    msg_id = protocol.msg_id
    job.waiters += 1
    if msg_id is None:  # a detached command: only the progress UI can cancel it
        try:
            return await asyncio.shield(job.future)
        finally:
            job.waiters -= 1

    def cancelled_by_client() -> None:
        job.waiters -= 1
        if job.waiters <= 0:
            job.stop(JobCancelled.REQUESTED)
        if task is not None:
            task.cancel()

    protocol.on_cancel(msg_id, cancelled_by_client)
    try:
        result = await asyncio.shield(job.future)
    except JobCancelled as stopped:
        if stopped.reason == JobCancelled.DOCUMENT_CHANGED:
            raise JsonRpcContentModified(
                "the document changed while the request ran; ask again"
            ) from None
        if stopped.reason == JobCancelled.REQUESTED:
            raise JsonRpcRequestCancelled("cancelled") from None
        raise ServerCancelled(stopped.reason) from None
    finally:
        protocol.forget_cancel(msg_id)
    job.waiters -= 1
    return result
