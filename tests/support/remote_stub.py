"""Servers on loopback for the remote engine: a scripted OpenAI-style stub (faults) and
llama-cpp-python's real server (the happy path, the kill; also used by bench/remote.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path


def cancel_when(condition: Callable[[], bool], timeout_s: float = 60.0) -> threading.Event:
    """Return a cancel event that a watcher sets as soon as ``condition()`` holds.

    Tests cancel on an event they can observe (a request in flight, a job started), never
    after a fixed delay that a loaded machine may overrun.
    """
    cancel = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + timeout_s
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)
        cancel.set()

    threading.Thread(target=watch, name="cancel-when", daemon=True).start()
    return cancel


def free_port() -> int:
    """Return a loopback port nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class StubServer:
    """A tiny OpenAI-style server on loopback whose answers a test scripts (faults only).

    ``answer(body) -> (status, headers, payload)`` decides each /v1/completions reply; payload
    bytes are sent as they are, anything else as JSON. ``delay_s`` holds every reply back.
    """

    def __init__(self) -> None:
        import http.server
        import json
        import threading

        self.requests: list[dict[str, object]] = []
        self.headers: list[dict[str, str]] = []
        self.answer = self.default_answer
        self.delay_s = 0.0
        self.closed_early = threading.Event()
        self.lock = threading.Lock()
        self.active = 0
        self.most_active = 0
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._send(200, {}, {"object": "list", "data": [{"id": "stub-model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with stub.lock:
                    stub.requests.append(body)
                    stub.headers.append(dict(self.headers))
                    stub.active += 1
                    stub.most_active = max(stub.most_active, stub.active)
                try:
                    if stub.delay_s and stub._wait_or_hangup(self, stub.delay_s):
                        return
                    status, headers, payload = stub.answer(body)
                finally:
                    with stub.lock:  # before replying: the client may send its next at once
                        stub.active -= 1
                self._send(status, headers, payload)

            def _send(self, status: int, headers: dict[str, str], payload: object) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    stub.closed_early.set()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def _wait_or_hangup(handler: object, seconds: float) -> bool:
        """Sleep ``seconds``; return True early if the client hung up meanwhile."""
        import select
        import time

        connection = handler.connection  # type: ignore[attr-defined]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            readable, _, _ = select.select([connection], [], [], 0.02)
            if readable and not connection.recv(1, socket.MSG_PEEK):
                StubServer.hangups += 1
                return True
        return False

    hangups = 0

    @staticmethod
    def default_answer(body: dict[str, object]) -> tuple[int, dict[str, str], object]:
        return 200, {}, completion(["def", " f", "():", "\n\n", "x"], n=1)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def completion(
    pieces: list[str], n: int = 1, finish_reason: str = "length", logprob: float = -0.5
) -> dict[str, object]:
    """An OpenAI /v1/completions body with logprobs for ``pieces`` (the same for each choice)."""
    text = "".join(pieces)
    offsets = []
    position = 100  # llama-cpp-python counts offsets from the prompt's start
    for piece in pieces:
        offsets.append(position)
        position += len(piece)
    return {
        "object": "text_completion",
        "choices": [
            {
                "index": index,
                "text": text,
                "finish_reason": finish_reason,
                "logprobs": {
                    "tokens": pieces,
                    "token_logprobs": [logprob] * len(pieces),
                    "text_offset": offsets,
                    "top_logprobs": None,
                },
            }
            for index in range(n)
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": len(pieces) * n},
    }


class LlamaServer:
    """llama-cpp-python's OpenAI-compatible server on a GGUF, on a free loopback port."""

    def __init__(self, gguf: Path, extra_args: str = "") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the server)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(gguf),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                "1024",  # logprobs keep n_ctx x vocabulary logits: 1024 x 152k floats = 0.6 GB
                "--n_threads",
                str(len(os.sched_getaffinity(0))),
                *extra_args.split(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,  # a file, not a pipe: the server logs every request
        )
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/models", timeout=1).read()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.log.seek(0)
                    error = self.log.read().decode(errors="replace")[-2000:]
                    self.stop()
                    raise RuntimeError(f"llama_cpp.server did not start: {error}") from None
                time.sleep(0.25)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and drop its log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process.wait(10)
        self.log.close()
