"""Slow work, one job at a time: the queue behind "Generate implementations…".

Sampling a model is the slow part of every action, and a model can only do one thing at a time
without making everything slower. The server therefore runs pipeline calls on one worker thread
per model, newest request first (what the user asked for last is what they are looking at), keeps
at most a few requests waiting and drops the oldest beyond that, and merges identical requests
(a warm-up and the user's own request for the same function share one generation). Every job can
be cancelled: an edit to its document, a cancelled request, or a newer request pushing it out of
the queue sets its cancel event, and the pipeline stops at its next check.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from codegen_lsp.engine.types import GenerationCancelled

log = logging.getLogger(__name__)

ProgressListener = Callable[[str, int, int, "int | None"], None]
"""``listener(stage, done, total, passing)``; see ``outcomes.ProgressFn``."""
Work = Callable[[threading.Event, ProgressListener], Any]


class JobCancelled(Exception):
    """A job stopped before it finished; ``reason`` says why, for the request that waited."""

    DOCUMENT_CHANGED = "document changed"
    SUPERSEDED = "superseded by newer requests"
    REQUESTED = "cancelled"
    SHUTDOWN = "server shutting down"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(eq=False)
class Job:
    """One pipeline call, shared by everyone who asked for the same thing."""

    key: Hashable
    uri: str
    version: int
    work: Work
    explicit: bool
    """True when a user asked for it; False for warm-up."""
    future: asyncio.Future[Any]
    cancel: threading.Event = field(default_factory=threading.Event)
    cancel_reason: str = JobCancelled.REQUESTED
    listeners: list[ProgressListener] = field(default_factory=list)
    last_progress: tuple[str, int, int, int | None] | None = None
    running: bool = False
    waiters: int = 0
    """Requests currently waiting for the result."""
    seconds: float = 0.0
    """How long the work ran (0 for a job stopped before it started)."""

    def stop(self, reason: str) -> None:
        """Ask the job to stop; waiters get :class:`JobCancelled` with ``reason``."""
        if not self.cancel.is_set():
            self.cancel_reason = reason
            self.cancel.set()


class Scheduler:
    """Runs jobs on one worker thread, newest first, with a bounded waiting list."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, max_waiting: int = 4, name: str = ""
    ) -> None:
        self._loop = loop
        self._max_waiting = max_waiting
        self._waiting: collections.deque[Job] = collections.deque()
        self._running: Job | None = None
        self._settling: set[Job] = set()
        """Jobs whose work is done but whose result has not reached the event loop yet: still
        found by :meth:`find` and :meth:`submit`, so that a request in that moment shares the
        result instead of starting the same generation again."""
        self._lock = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(
            target=self._work_loop, name=f"codegen-jobs-{name}", daemon=True
        )
        self._thread.start()

    def submit(self, key: Hashable, uri: str, version: int, work: Work, *, explicit: bool) -> Job:
        """Queue ``work`` unless a job with the same key is already waiting or running."""
        with self._lock:
            for job in self._active():
                if job.key == key and not job.cancel.is_set():
                    job.explicit = job.explicit or explicit
                    return job
            job = Job(
                key=key,
                uri=uri,
                version=version,
                work=work,
                explicit=explicit,
                future=self._loop.create_future(),
            )
            if explicit:
                # The user asked for something: warm-ups for other functions can wait for a
                # later cursor rest rather than hold the model.
                for other in self._active():
                    if not other.explicit:
                        self._stop(other, JobCancelled.SUPERSEDED)
            self._waiting.append(job)
            log.info("job %s queued (%d waiting)", key, len(self._waiting))
            while len(self._waiting) > self._max_waiting:
                self._stop(self._waiting[0], JobCancelled.SUPERSEDED)
            self._lock.notify()
            return job

    def find(self, key: Hashable) -> Job | None:
        """Return the live job for ``key``, if any."""
        with self._lock:
            for job in self._active():
                if job.key == key and not job.cancel.is_set():
                    return job
        return None

    def cancel_document(self, uri: str, newer_than: int | None = None) -> None:
        """Stop every job computed on ``uri`` at a version older than ``newer_than``."""
        with self._lock:
            for job in self._active():
                if job.uri == uri and (newer_than is None or job.version < newer_than):
                    self._stop(job, JobCancelled.DOCUMENT_CHANGED)

    def close(self) -> None:
        """Stop all jobs and let the worker thread end."""
        with self._lock:
            self._closed = True
            for job in self._active():
                job.stop(JobCancelled.SHUTDOWN)
            self._lock.notify()

    def _stop(self, job: Job, reason: str) -> None:
        """Stop ``job`` (the lock held); a job that is only waiting also leaves the queue.

        Its waiters are answered now, not when the worker would have reached it (or never: a
        job pushed out of a full queue was once left unanswered).
        """
        job.stop(reason)
        if job is not self._running and job in self._waiting:
            self._waiting.remove(job)
            self._settle(job, None, JobCancelled(job.cancel_reason))

    def _active(self) -> list[Job]:
        jobs = list(self._waiting)
        if self._running is not None:
            jobs.append(self._running)
        jobs.extend(self._settling)
        return jobs

    def _work_loop(self) -> None:
        while True:
            with self._lock:
                while not self._closed and not self._waiting:
                    self._lock.wait()
                if self._closed:
                    leftovers, self._waiting = list(self._waiting), collections.deque()
                    for job in leftovers:
                        self._settle(job, None, JobCancelled(job.cancel_reason))
                    return
                job = self._waiting.pop()  # newest first
                self._running = job
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._running = None

    def _run(self, job: Job) -> None:
        if job.cancel.is_set():
            self._settle(job, None, JobCancelled(job.cancel_reason))
            return
        job.running = True
        log.info("job %s started (%s)", job.key, "requested" if job.explicit else "warm-up")

        def progress(stage: str, done: int, total: int, passing: int | None = None) -> None:
            self._loop.call_soon_threadsafe(self._report, job, (stage, done, total, passing))

        started = time.monotonic()
        try:
            result = job.work(job.cancel, progress)
        except GenerationCancelled:
            job.seconds = time.monotonic() - started
            self._settle(job, None, JobCancelled(job.cancel_reason))
            return
        except Exception as error:  # a failing pipeline is reported to its waiters, not raised
            job.seconds = time.monotonic() - started
            if job.cancel.is_set():
                # Stopped first, then failed because of it (the model process was closed under
                # it as the server shut down): a stop, not a failure worth a warning.
                log.info("job %s failed after it was stopped: %s", job.key, error)
                self._settle(job, None, JobCancelled(job.cancel_reason))
            else:
                self._settle(job, None, error)
            return
        job.seconds = time.monotonic() - started
        if job.cancel.is_set():
            self._settle(job, None, JobCancelled(job.cancel_reason))
        else:
            self._settle(job, result, None)

    def _report(self, job: Job, update: tuple[str, int, int, int | None]) -> None:
        job.last_progress = update
        for listener in list(job.listeners):
            try:
                listener(*update)
            except Exception:
                log.debug("progress listener failed", exc_info=True)

    def _settle(self, job: Job, result: Any, error: BaseException | None) -> None:
        with self._lock:
            self._settling.add(job)

        def forget(_: asyncio.Future[Any]) -> None:  # after the callbacks that read the result
            with self._lock:
                self._settling.discard(job)

        def settle() -> None:
            job.future.add_done_callback(forget)
            if job.future.done():
                forget(job.future)
                return
            if error is not None:
                job.future.set_exception(error)
                # Warm-up jobs may have nobody waiting; their failure is logged where it's read.
                job.future.exception()
            else:
                job.future.set_result(result)

        with contextlib.suppress(RuntimeError):  # a closed loop: the server is exiting
            self._loop.call_soon_threadsafe(settle)
