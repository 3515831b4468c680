"""The server's JSON-RPC protocol: what it does differently from pygls' own, tested directly."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from codegen_lsp.lsp.server import CodegenServer


async def test_a_built_in_step_cancelled_at_teardown_cancels_its_request_quietly() -> None:
    # When the client hangs up, asyncio cancels the tasks still running, a built-in handler's
    # pending step among them. pygls would read that step's result in its callback and the
    # CancelledError would escape as an unhandled exception (the quit-mid-generation log).
    loop = asyncio.get_running_loop()
    protocol = CodegenServer().protocol
    step: asyncio.Future[Any] = loop.create_future()
    step.cancel()
    request: asyncio.Future[Any] = loop.create_future()
    resumed: list[Any] = []

    def handler() -> Generator[Any, Any, None]:
        resumed.append((yield (lambda: None), (), {}))

    generator = handler()
    next(generator)  # the handler now waits for the step that was cancelled
    protocol._run_generator(step, gen=generator, result_future=request)  # must not raise
    assert request.cancelled()
    assert resumed == []  # the handler is not resumed with a result it never got
