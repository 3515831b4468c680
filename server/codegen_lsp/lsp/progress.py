"""Progress the user can see for every job they may wait on, warm-up included.

A job's stages (loading the model, sampling, running the examples, ranking) become LSP
work-done progress: on the request's own ``workDoneToken`` when the client sent one
(client-initiated), else on a token the server creates where the client shows server-initiated
progress. The percentage moves with each stage's counts, and the user can cancel from the
progress UI. Warm-up, which starts on its own when the cursor rests, gets the same display, so
that "preparing candidates for add" is visible instead of silent work.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from typing import Any

from lsprotocol import types

from codegen_lsp.lsp.jobs import Job, JobCancelled
from codegen_lsp.lsp.server import CodegenServer

log = logging.getLogger(__name__)

# Share of the progress bar each pipeline stage fills, in order.
STAGES = {
    "loading model": (0, 10),
    "sampling": (10, 60),
    "running examples": (60, 80),
    # Only without examples: the model's calls, then every candidate run on the inputs.
    "proposing inputs": (80, 85),
    "comparing on inputs": (85, 90),
    "ranking": (90, 100),
}

# How long an ended progress token stays known: a cancel the client sent as the work ended
# then finds it (and does nothing) instead of being logged as a cancel for an unknown token.
ENDED_TOKEN_GRACE_S = 60.0


# How long the client may take to accept a progress token before the job goes on without one.
CREATE_TOKEN_WAIT_S = 10.0


async def _within(awaitable: Awaitable[Any], seconds: float) -> Any:
    """Await ``awaitable`` for at most ``seconds`` (TimeoutError after), keeping cancellation.

    ``asyncio.wait_for`` before Python 3.12 swallows a cancel that arrives as the awaited
    future completes: when the client hung up, the create request failed in the same moment
    as asyncio cancelled the command, the failure was caught as "refused", and the cancelled
    command went on to end with an error that asyncio logged as unhandled at shutdown.
    ``asyncio.wait`` raises the cancel whatever the future did.
    """
    future = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({future}, timeout=seconds)
    except asyncio.CancelledError:
        if future.done() and not future.cancelled():
            future.exception()  # read, so that asyncio does not log it as never retrieved
        future.cancel()
        raise
    if not done:
        future.cancel()
        raise asyncio.TimeoutError(f"no answer in {seconds:.0f} s")
    return future.result()


class JobProgress:
    """One job's work-done progress: begin, a report per stage update, end."""

    def __init__(self, ls: CodegenServer, token: str | int, job: Job) -> None:
        self.ls = ls
        self.token = token
        self.job = job

    @classmethod
    async def start(
        cls, ls: CodegenServer, title: str, job: Job, token: str | int | None = None
    ) -> JobProgress | None:
        """Begin progress for ``job``; None when the client shows none.

        The progress goes to ``token`` (the request's own), else to a new token where the
        client shows server-initiated progress.
        """
        if token is None:
            if not ls.features.shows_progress:
                return None
            token = f"codegen-lsp/{uuid.uuid4()}"
            try:
                await _within(ls.work_done_progress.create_async(token), CREATE_TOKEN_WAIT_S)
            except Exception as error:
                log.info("client refused a progress token: %s", error)
                return None
        progress = cls(ls, token, job)
        ls.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title=title, cancellable=True, message="queued", percentage=0
            ),
        )
        cancel_signal = ls.work_done_progress.tokens.get(token)
        if cancel_signal is not None:
            cancel_signal.add_done_callback(
                lambda signal: job.stop(JobCancelled.REQUESTED) if signal.cancelled() else None
            )
        if job.last_progress is not None:
            progress.report(*job.last_progress)
        job.listeners.append(progress.report)
        return progress

    def report(self, stage: str, done: int, total: int, passing: int | None = None) -> None:
        """Show a stage with its counts and the overall percentage.

        "running examples 3/8 · 2 pass": how many candidates passed every example so far.
        """
        low, high = STAGES.get(stage, (0, 100))
        share = done / total if total else 0.0
        message = f"{stage} {done}/{total}" if total else stage
        if passing is not None:
            message += f" · {passing} pass"
        self.ls.work_done_progress.report(
            self.token,
            types.WorkDoneProgressReport(
                message=message, percentage=int(low + (high - low) * share), cancellable=True
            ),
        )

    def end(self, outcome: str) -> None:
        """End the progress with ``outcome`` ("done", "cancelled", ...)."""
        if self.report in self.job.listeners:
            self.job.listeners.remove(self.report)
        self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=outcome))
        asyncio.get_running_loop().call_later(
            ENDED_TOKEN_GRACE_S, self.ls.work_done_progress.tokens.pop, self.token, None
        )


async def follow_warmup(ls: CodegenServer, function: str, job: Job) -> None:
    """Show a warm-up job's progress until it ends (it has no request to answer)."""
    progress = await JobProgress.start(ls, f"codegen: preparing candidates for {function}", job)
    if progress is None:
        return
    outcome = "done"
    try:
        await asyncio.shield(job.future)
    except JobCancelled as stopped:
        outcome = f"stopped: {stopped.reason}"
    except Exception:  # the failure is logged where the job's result is read
        outcome = "failed"
    finally:
        progress.end(outcome)
