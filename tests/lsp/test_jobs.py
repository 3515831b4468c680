"""The job queue's own guarantees, on a real Scheduler and event loop (no server needed)."""

from __future__ import annotations

import asyncio
import threading
import time

from codegen_lsp.lsp.jobs import Scheduler


async def test_a_job_whose_result_is_on_its_way_is_still_shared() -> None:
    # The worker thread finishes a job and hands the result to the event loop; until the loop
    # has taken it, a new request for the same thing must join that job, not start another
    # generation (a warm-up that fired in that moment used to sample everything again).
    scheduler = Scheduler(asyncio.get_running_loop(), name="test")
    calls = []
    finished = threading.Event()

    def work(cancel: threading.Event, progress: object) -> int:
        calls.append(1)
        finished.set()
        return 42

    try:
        job = scheduler.submit("key", "file:///m.py", 1, work, explicit=False)
        # Hold the event loop (no await) while the worker finishes: the result stays queued.
        assert finished.wait(10)
        deadline = time.monotonic() + 10
        while scheduler._running is not None:  # the worker has let go of it
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not job.future.done()
        assert scheduler.find("key") is job
        assert scheduler.submit("key", "file:///m.py", 1, work, explicit=True) is job
        assert await asyncio.wait_for(job.future, 10) == 42
        assert calls == [1]
    finally:
        scheduler.close()
