"""The JSON-RPC protocol as this server speaks it: pygls' protocol with the gaps filled.

pygls' :class:`~pygls.protocol.LanguageServerProtocol` does the framing and dispatch; this
subclass changes what it does at the edges: a client that hangs up is no error, a long command
can stop its work when the client cancels it, a cancelled or outdated request is answered
quietly (an expected reply, not a server fault), a message that is no JSON-RPC or whose params
do not fit gets the error reply JSON-RPC asks for, and ``shutdown`` cancels the requests still
open without tripping over handlers that finish meanwhile. The command handlers read the
request's ``workDoneToken`` from :data:`request_work_done_token`.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Generator
from typing import Any

from cattrs import Converter
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcContentModified,
    JsonRpcException,
    JsonRpcInvalidRequest,
    JsonRpcRequestCancelled,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger(__name__)


class ServerCancelled(JsonRpcException):
    """LSP ``ServerCancelled``: the server dropped the request (a newer one took its place)."""

    CODE = types.LSPErrorCodes.ServerCancelled.value
    MESSAGE = "ServerCancelled"


request_work_done_token: contextvars.ContextVar[str | int | None] = contextvars.ContextVar(
    "request_work_done_token", default=None
)
"""The ``workDoneToken`` the client gave the request being handled (client-initiated progress)."""

# Replies that are part of normal editing (a cancelled or outdated request), not server faults.
_EXPECTED_ERRORS = (JsonRpcContentModified, JsonRpcRequestCancelled, ServerCancelled)


class _HangUpAwareWriter:
    """A writer that takes a closed pipe as the client's leaving, not as an error.

    An editor that quits mid-generation closes the pipe under the server's next progress
    report or reply; pygls would log each failed write with a traceback. The first one is
    logged once, quietly, and later writes are dropped: nobody is listening any more.
    """

    def __init__(self, writer: Any) -> None:
        self._writer = writer
        self.gone = False

    def write(self, data: bytes) -> Any:
        if self.gone:
            return None
        try:
            return self._writer.write(data)
        except (BrokenPipeError, ConnectionResetError, ValueError) as error:
            # ValueError: the stream was closed on our side as the process winds down.
            self.gone = True
            log.info("the client hung up (%s): nothing more is sent", type(error).__name__)
            return None

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ValueError):
            self._writer.close()  # already gone is fine


class CodegenProtocol(LanguageServerProtocol):
    """pygls' protocol, with cancel hooks for long commands and quiet expected errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cancel_hooks: dict[Any, Callable[[], None]] = {}

    @property
    def converter(self) -> Converter:
        """The cattrs converter pygls reads and writes every message with (camelCase keys).

        pygls 2 keeps it private; the commands' arguments and replies go through it too, so
        that they follow the rules of every other LSP structure on the wire.
        """
        return self._converter

    def set_writer(self, writer: Any, include_headers: bool = True) -> None:
        """Write through :class:`_HangUpAwareWriter` (a client that quits is no error)."""
        super().set_writer(_HangUpAwareWriter(writer), include_headers)

    def on_cancel(self, msg_id: Any, hook: Callable[[], None]) -> None:
        """Call ``hook`` when the client cancels request ``msg_id``.

        pygls answers a cancelled ``workspace/executeCommand`` at once but does not stop the
        command's coroutine; the hook lets the command stop its generation too.
        """
        if msg_id is not None:
            self._cancel_hooks[msg_id] = hook

    def detach_request(self) -> None:
        """Let the current task outlive its request: it gets no cancel hook from now on."""
        self._ctx_msg_id.set(None)

    def forget_cancel(self, msg_id: Any) -> None:
        """Drop the cancel hook of a finished request."""
        self._cancel_hooks.pop(msg_id, None)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        """Run the server's shutdown handler, then cancel the requests still open.

        pygls' own version walks its table of open requests while handlers that finish on
        worker threads remove their entries from it ("dictionary changed size during
        iteration": the shutdown then fails and the client waits for an exit that never comes);
        this one walks a snapshot.
        """
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id  # the shutdown request itself is answered, not cancelled
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    def _run_generator(
        self, future: Any, *, gen: Generator[Any, Any, Any], result_future: Any
    ) -> None:
        """Let a built-in handler's step that was cancelled cancel its request, quietly.

        When the client hangs up, asyncio cancels the tasks still running (a command waiting
        for its generation); pygls would read the cancelled step's result in a callback and
        log the CancelledError as an unhandled exception.
        """
        if future is not None and future.cancelled():
            if not result_future.done():
                result_future.cancel()
            return
        super()._run_generator(future, gen=gen, result_future=result_future)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """Cancel request ``msg_id``; one already answered is no fault.

        A reply and the client's cancel cross on the wire (VS Code cancels the requests of a
        window it reloads, some already answered): LSP makes that ordinary, pygls would warn.
        """
        hook = self._cancel_hooks.pop(msg_id, None)
        if msg_id not in self._request_futures:
            log.debug("cancel of request %s: already answered", msg_id)
        else:
            super()._handle_cancel_notification(msg_id)
        if hook is not None:
            hook()

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Answer a request whose params do not fit its method (pygls would stay silent)."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" in data and "method" in data:
                self._send_response(data["id"], error=error.to_response_error())
            raise

    def reply_error(self, msg_id: Any, error: JsonRpcException) -> None:
        """Send an error reply to ``msg_id`` (None when the request's id could not be read)."""
        if msg_id is not None:
            self._send_response(msg_id, error=error.to_response_error())
            return
        # JSON-RPC wants `"id": null` here; pygls' converter would leave the null out.
        reply = {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": error.code, "message": error.message},
        }
        self._send_data(reply)

    def handle_message(self, message: Any) -> None:
        """Answer a body that is JSON but no JSON-RPC message with Invalid Request.

        For ``workspace/executeCommand``, the handler can read the request's ``workDoneToken``
        from :data:`request_work_done_token` (pygls hands commands only their arguments).
        """
        if not hasattr(message, "jsonrpc"):  # a list (batch), a bare value, an object sans jsonrpc
            msg_id = message.get("id") if isinstance(message, dict) else None
            log.warning("not a JSON-RPC message: %.200r", message)
            self.reply_error(
                msg_id if isinstance(msg_id, (int, str)) else None,
                JsonRpcInvalidRequest("not a JSON-RPC 2.0 message (LSP sends no batches)"),
            )
            return
        method = getattr(message, "method", "")
        if self._shutdown and method != types.EXIT:
            # An editor that quits may still close its files or cancel a request after
            # ``shutdown``: ordinary, so not a warning. A request gets the error LSP asks for.
            log.info("after shutdown, %s is ignored", method or "a reply")
            msg_id = getattr(message, "id", None)
            if method and msg_id is not None:
                self.reply_error(msg_id, JsonRpcInvalidRequest("the server is shutting down"))
            return
        token = None
        if isinstance(message, types.ExecuteCommandRequest):
            token = message.params.work_done_token
        # pygls runs the handler in a copy of this context: set for this request only.
        reset = request_work_done_token.set(token)
        try:
            super().handle_message(message)
        finally:
            request_work_done_token.reset(reset)

    def _send_handler_result(self, future: Any, *, msg_id: Any) -> None:
        self._cancel_hooks.pop(msg_id, None)
        if not future.cancelled():
            error = future.exception()
            if isinstance(error, _EXPECTED_ERRORS):
                self._request_futures.pop(msg_id, None)
                log.info("request %s: %s", msg_id, error.message)
                self._send_response(msg_id, error=error.to_response_error())
                return
        super()._send_handler_result(future, msg_id=msg_id)
