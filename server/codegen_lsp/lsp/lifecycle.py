"""How the server ends: ``shutdown`` stops the work, ``exit`` ends the process, surely.

``shutdown`` stops every job and the model's child, off the event loop and bounded, so that
its reply (and the client's ``exit`` after it) is never held up. ``exit``, or the client going
away, arms a watchdog (:func:`exit_soon`): a thread stuck in native code or on a child must not
keep a dead server, and its model, in memory while the editor waits for the process to end.
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import threading
import time
from typing import Any

from lsprotocol import types

from codegen_lsp.lsp.logs import log_stream
from codegen_lsp.lsp.server import CodegenServer

log = logging.getLogger(__name__)

SHUTDOWN_WAIT_S = 5.0
"""How long ``shutdown`` waits for the jobs to stop before it answers anyway."""

EXIT_GRACE_S = 10.0
"""How long the process may take to wind down after the client's ``exit``."""

_exit_armed = threading.Event()


def register(server: CodegenServer) -> None:
    """Register the ``shutdown`` and ``exit`` handlers."""

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: CodegenServer, params: Any) -> None:
        # Stopping jobs waits for running sandbox runs: off the event loop, and bounded, so
        # that the reply and the client's ``exit`` are never held up.
        try:
            await asyncio.wait_for(asyncio.to_thread(ls.close_jobs), SHUTDOWN_WAIT_S)
        except asyncio.TimeoutError:  # TimeoutError itself only from 3.11 on
            # A loaded machine, a job in native code: the reply goes now, the exit watchdog
            # ends whatever is left (an ordinary end, not something to warn about).
            log.info("jobs still stopping after %.0f s; answering shutdown", SHUTDOWN_WAIT_S)
        except asyncio.CancelledError:
            # The client sent ``exit`` (or hung up) without waiting for this reply, as Neovim
            # does on :qa: an ordinary end, not an error worth a traceback in the log.
            log.info("shutdown cut short: the client is gone")

    @server.feature(types.EXIT)
    def exit_(ls: CodegenServer, params: Any) -> None:
        exit_soon()


def exit_soon(grace_s: float = EXIT_GRACE_S) -> None:
    """End the process ``grace_s`` seconds from now if it has not ended by then.

    Once armed, later calls do nothing. An editor that sent ``exit`` waits for the process; a
    thread stuck in native code or on a child must not keep a dead server, and its model, in
    memory.
    """
    if _exit_armed.is_set():
        return
    _exit_armed.set()

    def watchdog() -> None:
        time.sleep(grace_s)
        names = sorted(t.name for t in threading.enumerate() if t is not threading.current_thread())
        log.warning(
            "still running %.0f s after the client left (threads: %s); stacks follow, then exit",
            grace_s,
            ", ".join(names),
        )
        stream = log_stream()
        if stream is not None:
            stream.flush()
            faulthandler.dump_traceback(file=stream, all_threads=True)
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()
