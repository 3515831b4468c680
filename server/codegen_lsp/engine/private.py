"""The language server's model in a child process of its own (the default, ``PrivateEngine``).

The server starts the child (``python -m codegen_lsp.engine.child``) on first use and speaks the
daemon's protocol (``protocol.py``) with it over a socket pair: nobody else can connect, and the
child exits with its parent. The model's decoding loop then runs outside the server's
interpreter, so it cannot hold the interpreter lock against the event loop that answers the
editor.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from codegen_lsp.engine.connection import Connection, ConnectionLost, generate_over
from codegen_lsp.engine.protocol import SharedEngineError
from codegen_lsp.engine.types import GenerationCancelled, GenerationRequest, ModelError, Sample
from codegen_lsp.settings import ModelSettings

log = logging.getLogger(__name__)


class PrivateEngine:
    """An :class:`~codegen_lsp.engine.types.Engine` whose model runs in a child process.

    The child (``python -m codegen_lsp.engine.child``) is started on first use (or by
    :meth:`start`, which reports its loading steps), talks over an inherited socket pair, and is
    stopped by :meth:`close`; it also exits on its own when this process dies. A model that
    cannot be prepared raises :class:`~codegen_lsp.engine.models.ModelError` with the child's
    message; a child lost mid-request is restarted once.
    """

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = dataclasses.replace(settings, shared=False)
        self.name = f"child:{settings.name}"
        self.context_length = 2048
        self._fim: tuple[str, str, str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._lock = threading.RLock()
        self._progress: Callable[[str], None] | None = None
        self._failure: dict[str, Any] | None = None
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the child is up with its model loaded."""
        return self._connection is not None and self._connection.alive

    def start(self, progress: Callable[[str], None] | None = None) -> None:
        """Start the child unless it runs; return once its model is loaded.

        ``progress`` receives the child's loading steps (pulling, exporting, loading).
        """
        self._ensure(progress)

    def _ensure(self, progress: Callable[[str], None] | None = None) -> Connection:
        with self._lock:
            if self._closed:
                raise SharedEngineError("the model process was closed")
            if self._connection is not None and self._connection.alive:
                return self._connection
            self._stop_child()
            self._progress = progress
            self._failure = None
            try:
                self._connection = self._spawn()
            finally:
                self._progress = None
            return self._connection

    def _spawn(self) -> Connection:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        command = [
            sys.executable,
            "-m",
            "codegen_lsp.engine.child",
            "--fd",
            str(theirs.fileno()),
            "--model-settings",
            json.dumps(dataclasses.asdict(self.settings)),
            "--log-level",
            str(logging.getLogger().getEffectiveLevel()),
            "--parent",
            str(os.getpid()),
        ]
        log_file = next(
            (
                handler.baseFilename
                for handler in logging.getLogger().handlers
                if isinstance(handler, logging.FileHandler)
            ),
            None,
        )
        if log_file is not None:
            command += ["--log-file", log_file]
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # stdout may be the editor's LSP channel
                pass_fds=(theirs.fileno(),),
                close_fds=True,
            )
        finally:
            theirs.close()
        if self._closed:  # closed while it was being started
            ours.close()
            self._stop_child()
            raise SharedEngineError("the model process was closed")
        log.info("model process %d started for %s", self._process.pid, self.settings.name)
        connection = Connection(None, sock=ours, on_event=self._event)
        try:
            hello = connection.call("hello")
        except ConnectionLost:
            connection.close()
            self._reap()
            failure = self._failure
            if failure is not None and failure.get("type") == "ModelError":
                raise ModelError(str(failure["error"])) from None
            if failure is not None:
                raise SharedEngineError(
                    f"the model process failed: {failure.get('type')}: {failure['error']}"
                ) from None
            raise SharedEngineError(
                "the model process exited before it was ready; see the log"
            ) from None
        self.name = str(hello["name"])
        self.context_length = int(hello["context_length"])
        fim = hello.get("fim_tokens")
        self._fim = (fim[0], fim[1], fim[2]) if fim else None
        log.info("model process %d ready: %s", self._process.pid, self.name)
        return connection

    def _event(self, message: dict[str, Any]) -> None:
        if message["event"] == "progress" and self._progress is not None:
            with contextlib.suppress(Exception):
                self._progress(str(message.get("message", "")))
        elif message["event"] == "failed":
            self._failure = message

    def _reap(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            _reap(process)

    def _stop_child(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()  # the child sees end-of-file and exits
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
        self._reap()

    def _with_restart(self, action: Callable[[Connection], Any]) -> Any:
        """Run ``action`` on the child's connection; a child lost meanwhile is restarted once."""
        for _ in range(2):
            connection = self._ensure()
            try:
                return action(connection)
            except ConnectionLost as error:
                if self._closed:
                    # Closed under the call (the server shutting down, another model chosen):
                    # the end that was asked for, not a failure to restart from.
                    raise SharedEngineError("the model process was closed") from None
                log.warning("%s; restarting the model process", error)
        raise SharedEngineError("the model process keeps failing; see the log")

    def _call(self, op: str, **fields: Any) -> Any:
        return self._with_restart(lambda connection: connection.call(op, **fields))

    # ------------------------------------------------------------------ Engine protocol

    def generate(
        self, request: GenerationRequest, cancel: threading.Event | None = None
    ) -> list[Sample]:
        """Return ``request.n`` samples drawn in the child; ``cancel`` stops it mid-decoding."""

        def draw(connection: Connection) -> list[Sample]:
            try:
                return generate_over(connection, request, cancel)
            except ConnectionLost:
                if cancel is not None and cancel.is_set():
                    raise GenerationCancelled("generation cancelled") from None
                raise

        samples: list[Sample] = self._with_restart(draw)
        return samples

    def score(self, prompt: str, continuation: str) -> list[float]:
        """Return the log-probs of ``continuation`` after ``prompt``."""
        result = self._call("score", prompt=prompt, continuation=continuation)
        return [float(value) for value in result]

    def count_tokens(self, text: str) -> int:
        """Return how many tokens ``text`` encodes to."""
        return int(self._call("count_tokens", text=text))

    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        """Render chat messages with the model's template, or None for a base model."""
        result = self._call("chat_prompt", messages=messages)
        return None if result is None else str(result)

    def fim_tokens(self) -> tuple[str, str, str] | None:
        """Return the (prefix, suffix, middle) FIM tokens, or None when the model has none."""
        self._ensure()
        return self._fim

    def close(self, wait: bool = False) -> None:
        """Stop the child; later calls fail.

        Called on the server's event loop (shutdown, another model chosen): the child is told
        to go (end-of-file, then SIGTERM) and reaped on a thread of its own, so the loop never
        waits for it. ``wait`` reaps it here instead.
        """
        self._closed = True
        connection, process = self._connection, self._process
        if connection is not None:
            connection.close()
        if process is not None and process.poll() is None:
            process.terminate()
            if wait:
                _reap(process)
            else:
                # Not a daemon thread: the server's exit waits for it (a few seconds at most),
                # so a child slow to go is killed rather than left behind.
                threading.Thread(target=_reap, args=(process,), name="reap-model").start()


def _reap(process: subprocess.Popen[bytes]) -> None:
    """Wait for a child told to stop; kill it if it does not within a few seconds."""
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
