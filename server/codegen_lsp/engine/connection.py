"""The calling side of one connection to a model process: requests out, replies and events in.

:class:`Connection` talks to a shared daemon over its Unix socket, or to a private child over a
socket pair; a reader thread hands each reply to the request waiting for it and each event to its
listener. :func:`generate_over` draws a generation through a connection and carries cancellation
across it. :class:`~codegen_lsp.engine.shared.SharedEngine` and
:class:`~codegen_lsp.engine.private.PrivateEngine` are built on these.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from codegen_lsp.engine.protocol import SharedEngineError, request_to_wire, sample_from_wire
from codegen_lsp.engine.types import GenerationCancelled, GenerationRequest, Sample
from codegen_lsp.framing import ProtocolError, receive_message, send_message

CANCEL_GRACE_S = 10.0
"""How long a cancelled caller waits for the daemon to confirm before giving up on it."""


class Connection:
    """The calling side of one socket: a reader thread hands each reply to its waiter."""

    def __init__(
        self,
        path: Path | None,
        timeout_s: float = 2.0,
        *,
        sock: socket.socket | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if sock is None:
            assert path is not None
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout_s)
            sock.connect(str(path))
            sock.settimeout(None)
        self.sock = sock
        self._on_event = on_event
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[Any]] = {}
        self._listeners: dict[int, Callable[[dict[str, Any]], None]] = {}
        self._lock = threading.Lock()
        self.alive = True
        self._reader = threading.Thread(target=self._read, name="shared-engine-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        reason = "the shared model process closed the connection"
        try:
            while (message := receive_message(self.sock)) is not None:
                if "event" in message and "id" not in message:
                    with self._lock:
                        listener = self._listeners.get(message.get("target"))  # type: ignore[arg-type]
                    if listener is not None:
                        listener(message)  # about one request (its samples finishing)
                    elif self._on_event is not None:
                        self._on_event(message)
                    continue
                with self._lock:
                    self._listeners.pop(message.get("id"), None)  # type: ignore[arg-type]
                    future = self._pending.pop(message.get("id"), None)  # type: ignore[arg-type]
                if future is None:
                    continue
                if "error" in message:
                    kind = message.get("kind")
                    error: Exception = (
                        GenerationCancelled(message["error"])
                        if kind == "cancelled"
                        else SharedEngineError(f"shared model process: {message['error']}")
                    )
                    future.set_exception(error)
                else:
                    future.set_result(message.get("result"))
        except (OSError, ValueError, ProtocolError) as error:
            reason = f"lost the shared model process: {error}"
        with self._lock:
            self.alive = False
            pending = list(self._pending.values())
            self._pending.clear()
        for future in pending:
            future.set_exception(ConnectionLost(reason))

    def send(
        self,
        op: str,
        listener: Callable[[dict[str, Any]], None] | None = None,
        **fields: Any,
    ) -> tuple[int, Future[Any]]:
        """Send a request; ``listener`` gets the events about it until its reply comes."""
        future: Future[Any] = Future()
        with self._lock:
            if not self.alive:
                raise ConnectionLost("the shared model process is gone")
            request_id = next(self._ids)
            self._pending[request_id] = future
            if listener is not None:
                self._listeners[request_id] = listener
            try:
                send_message(self.sock, {"op": op, "id": request_id, **fields})
            except OSError as error:
                self._pending.pop(request_id, None)
                self._listeners.pop(request_id, None)
                raise ConnectionLost(f"cannot write to the shared model process: {error}") from None
        return request_id, future

    def call(self, op: str, **fields: Any) -> Any:
        """Send a request and wait for its result (its error is raised here)."""
        _, future = self.send(op, **fields)
        return future.result()

    def close(self) -> None:
        """Hang up: the reader sees end-of-file, and so does the model process."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class ConnectionLost(SharedEngineError):
    """The connection to the model process broke; the next call reconnects or falls back."""


def generate_over(
    connection: Connection, request: GenerationRequest, cancel: threading.Event | None
) -> list[Sample]:
    """Have the model process behind ``connection`` draw ``request``; pass ``cancel`` on."""
    if cancel is not None and cancel.is_set():
        raise GenerationCancelled("generation cancelled before it started")

    def sampled(event: dict[str, Any]) -> None:
        if event.get("event") == "sampled":
            request.tell_finished(int(event.get("done", 0)))

    listener = sampled if request.on_sample is not None else None
    request_id, future = connection.send(
        "generate", listener=listener, request=request_to_wire(request)
    )
    cancelled_at: float | None = None
    while True:
        try:
            result = future.result(timeout=0.05)
            return [sample_from_wire(item) for item in result]
        except concurrent.futures.TimeoutError:
            pass
        if cancel is not None and cancel.is_set() and cancelled_at is None:
            cancelled_at = time.monotonic()
            try:
                connection.send("cancel", target=request_id)
            except ConnectionLost:
                raise GenerationCancelled("generation cancelled") from None
        if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
            raise GenerationCancelled("generation cancelled (the daemon did not confirm)")
