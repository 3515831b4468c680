"""The editor's side of the shared model: borrow the daemon's model, or load it here.

With ``model.shared`` on, :func:`load_shared` returns a :class:`SharedEngine`. It connects to the
daemon of these model settings (``daemon.py``); when none answers, it prepares the model here
(so that the export runs once) and starts ``codegen-lsp serve`` in a session of its own, which
outlives the editor. When the daemon can be neither reached nor started, the editor's server
loads the model in-process, as it would without the setting; a daemon lost mid-call is
restarted, or replaced by the local model, once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codegen_lsp.engine.connection import Connection, ConnectionLost, generate_over
from codegen_lsp.engine.daemon import socket_path
from codegen_lsp.engine.local import load_local, prepare_model
from codegen_lsp.engine.protocol import PROTOCOL_VERSION, SharedEngineError
from codegen_lsp.engine.types import Engine, GenerationRequest, Sample
from codegen_lsp.settings import ModelSettings

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0
"""How long an editor waits for a daemon it started to load the model before loading it itself."""


def _start_daemon(settings: ModelSettings, path: Path) -> None:
    """Start ``codegen-lsp serve`` for ``settings`` in its own session (it outlives the editor)."""
    command = [
        sys.executable,
        "-m",
        "codegen_lsp",
        "serve",
        "--socket",
        str(path),
        "--model-settings",
        json.dumps(dataclasses.asdict(dataclasses.replace(settings, shared=False))),
    ]
    log_path = path.with_suffix(".log")
    with open(log_path, "ab") as log_file:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
            close_fds=True,
        )
    log.info("started the shared model process for %s (log: %s)", settings.name, log_path)


class SharedEngine:
    """An :class:`~codegen_lsp.engine.types.Engine` that borrows the model of a daemon.

    Falls back to loading the model in-process (``local``) when the daemon can neither be
    reached nor started; a daemon lost later is restarted, or replaced by the local model.
    """

    def __init__(
        self,
        settings: ModelSettings,
        local: Callable[[], Engine],
        autostart: bool = True,
        startup_timeout_s: float = STARTUP_TIMEOUT_S,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self._progress = progress
        self.path = socket_path(settings)
        self._local_factory = local
        self._local: Engine | None = None
        self._autostart = autostart
        self._startup_timeout_s = startup_timeout_s
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self.name = "shared"
        self.context_length = 2048
        self._fim: tuple[str, str, str] | None = None
        self._connect_or_fall_back()

    @property
    def in_process(self) -> bool:
        """Whether the model runs in this process (the daemon could not be used)."""
        return self._local is not None

    def _try_connect(self) -> Connection | None:
        try:
            connection = Connection(self.path)
        except OSError:
            return None
        try:
            hello = connection.call("hello")
        except SharedEngineError:
            connection.close()
            return None
        if hello.get("protocol") != PROTOCOL_VERSION:
            log.warning("shared model process speaks protocol %s", hello.get("protocol"))
            connection.close()
            return None
        self.name = f"shared:{hello['name']}"
        self.context_length = int(hello["context_length"])
        fim = hello.get("fim_tokens")
        self._fim = (fim[0], fim[1], fim[2]) if fim else None
        log.info("using the shared model process (pid %s) at %s", hello.get("pid"), self.path)
        return connection

    def _connect_or_fall_back(self) -> None:
        connection = self._try_connect()
        if connection is None and self._autostart:
            try:
                self._prepare_model()
                _start_daemon(self.settings, self.path)
            except Exception as error:
                log.warning("cannot start the shared model process: %s", error)
            else:
                deadline = time.monotonic() + self._startup_timeout_s
                while connection is None and time.monotonic() < deadline:
                    time.sleep(0.1)
                    connection = self._try_connect()
        if connection is None:
            log.warning(
                "the shared model process at %s cannot be reached: loading the model in this "
                "process",
                self.path,
            )
            self._local = self._local_factory()
            self.name = self._local.name
            self.context_length = self._local.context_length
            return
        self._connection = connection

    def _prepare_model(self) -> None:
        """Prepare the model here first, so the daemon only loads it (export runs once)."""
        if self.settings.remote_url:
            return
        # The same choice of graph the daemon will load (the CUDA one on a GPU).
        prepare_model(self.settings, self._progress)

    def _current(self) -> Connection | Engine:
        with self._lock:
            if self._local is not None:
                return self._local
            if self._connection is None or not self._connection.alive:
                self._connection = None
                self._connect_or_fall_back()
            if self._local is not None:
                return self._local
            assert self._connection is not None
            return self._connection

    def _call(self, op: str, local: Callable[[Engine], Any], **fields: Any) -> Any:
        for _ in range(2):  # a daemon lost mid-call is restarted (or replaced) once
            target = self._current()
            if not isinstance(target, Connection):
                return local(target)
            try:
                return target.call(op, **fields)
            except ConnectionLost as error:
                log.warning("%s; reconnecting", error)
        raise SharedEngineError("the shared model process keeps failing; see its log")

    # ------------------------------------------------------------------ Engine protocol

    def generate(
        self, request: GenerationRequest, cancel: threading.Event | None = None
    ) -> list[Sample]:
        """Return ``request.n`` samples drawn by the daemon (see the module doc)."""
        for _ in range(2):
            target = self._current()
            if not isinstance(target, Connection):
                return target.generate(request, cancel)
            try:
                return generate_over(target, request, cancel)
            except ConnectionLost as error:
                log.warning("%s; reconnecting", error)
        raise SharedEngineError("the shared model process keeps failing; see its log")

    def score(self, prompt: str, continuation: str) -> list[float]:
        """Return the log-probs of ``continuation`` after ``prompt``."""
        result = self._call(
            "score",
            lambda engine: engine.score(prompt, continuation),
            prompt=prompt,
            continuation=continuation,
        )
        return [float(value) for value in result]

    def count_tokens(self, text: str) -> int:
        """Return how many tokens ``text`` encodes to."""
        return int(self._call("count_tokens", lambda engine: engine.count_tokens(text), text=text))

    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        """Render chat messages with the model's template, or None for a base model."""
        result = self._call(
            "chat_prompt", lambda engine: engine.chat_prompt(messages), messages=messages
        )
        return None if result is None else str(result)

    def fim_tokens(self) -> tuple[str, str, str] | None:
        """Return the (prefix, suffix, middle) FIM tokens, or None when the model has none."""
        target = self._current()
        if not isinstance(target, Connection):
            return target.fim_tokens()
        return self._fim

    def close(self) -> None:
        """Hang up (the daemon keeps running for the other editors until it is idle)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def load_shared(settings: ModelSettings, progress: Callable[[str], None] | None = None) -> Engine:
    """Return a :class:`SharedEngine` that loads the model in-process when it must."""
    in_process = dataclasses.replace(settings, shared=False)
    if progress is not None:
        progress("connecting to the shared model process")
    return SharedEngine(settings, local=lambda: load_local(in_process, progress), progress=progress)
