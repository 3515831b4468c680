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


def test_a_cancel_that_crossed_its_reply_is_no_warning(caplog: Any) -> None:
    # The client may cancel a request the server has already answered (VS Code does, for the
    # requests of a window it reloads): LSP makes that ordinary, so the log stays clean.
    protocol = CodegenServer().protocol
    fired: list[str] = []
    protocol.on_cancel(7, lambda: fired.append("hook"))
    with caplog.at_level("DEBUG"):
        protocol._handle_cancel_notification(7)
    warnings = [record for record in caplog.records if record.levelname == "WARNING"]
    assert warnings == [], [record.getMessage() for record in warnings]
    assert fired == ["hook"]  # a long command's hook still runs: its work stops


async def test_a_cancel_of_an_open_request_cancels_it() -> None:
    loop = asyncio.get_running_loop()
    protocol = CodegenServer().protocol
    request: asyncio.Future[Any] = loop.create_future()
    protocol._request_futures[3] = request
    protocol._handle_cancel_notification(3)
    assert request.cancelled()
