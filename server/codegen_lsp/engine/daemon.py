"""One model per machine: a daemon holds the model, every editor's server borrows it.

With ``model.shared`` on, each ``codegen-lsp --stdio`` asks a daemon (``codegen-lsp serve``,
started on demand by the first editor, see ``shared.py``) to sample instead of loading the model
itself: three editor windows then hold the model once, not three times. This module is the
daemon's side. The daemon listens on a Unix socket that only its owner may use (a 0700 directory
in ``$XDG_RUNTIME_DIR`` or the cache dir, the socket 0600, and the peer's uid checked), speaks the
protocol of ``protocol.py``, serves the connected editors in turn (round robin per connection, so
one editor's burst cannot starve the others), carries cancellation across the socket, and exits
after an idle time with no editor connected.

The private model process (``child.py``) serves its one peer with the same
:class:`EngineDaemon`, over a socket pair (:meth:`EngineDaemon.serve_connection`).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import fcntl
import hashlib
import itertools
import json
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from codegen_lsp.engine.protocol import PROTOCOL_VERSION, SharedEngineError, request_from_wire
from codegen_lsp.engine.types import Engine, GenerationCancelled
from codegen_lsp.framing import ProtocolError, receive_message, send_message
from codegen_lsp.settings import ModelSettings

log = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT_S = 600.0


# ----------------------------------------------------------------------------- where


def daemon_key(settings: ModelSettings) -> str:
    """Return what makes two editors' model settings share a daemon (model, precision...)."""
    identity = {
        "name": settings.name,
        "precision": settings.precision,
        "device": settings.device,
        "cache_dir": settings.cache_dir,
        "remote_url": settings.remote_url,
        "remote_model": settings.remote_model,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]


def _private_dir(directory: Path) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid != os.getuid():
        raise SharedEngineError(f"{directory} belongs to another user; refusing to use it")
    if info.st_mode & 0o077:
        directory.chmod(0o700)
    return directory


def socket_path(settings: ModelSettings) -> Path:
    """Return the daemon's socket for ``settings``: in $XDG_RUNTIME_DIR, else the cache dir."""
    from codegen_lsp.engine.models import cache_root

    name = f"engine-{daemon_key(settings)}.sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    candidates = [Path(runtime) / "codegen-lsp"] if runtime and Path(runtime).is_dir() else []
    candidates += [cache_root(settings.cache_dir) / "run", Path(f"/tmp/codegen-lsp-{os.getuid()}")]
    for directory in candidates:
        path = directory / name
        if len(str(path).encode()) < 100:  # sun_path holds 108 bytes
            return _private_dir(directory) / name
    raise SharedEngineError("no directory short enough for a Unix socket path")


# ----------------------------------------------------------------------------- daemon


@dataclasses.dataclass
class _Job:
    client: _Client
    request_id: Any
    op: str
    payload: dict[str, Any]
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)


class _Client:
    """One connected editor: its socket, its queue of jobs, a lock for replies."""

    ids = itertools.count(1)

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.number = next(self.ids)
        self.queue: collections.deque[_Job] = collections.deque()
        self.running: dict[Any, _Job] = {}
        self.send_lock = threading.Lock()
        self.open = True

    def reply(self, message: dict[str, Any]) -> None:
        with self.send_lock:
            if not self.open:
                return
            try:
                send_message(self.sock, message)
            except OSError as error:
                log.info("client %d gone while replying: %s", self.number, error)
                self.open = False


def claim_socket(path: Path) -> IO[str]:
    """Take the lock of ``path``'s daemon (held while it lives); raise if another holds it."""
    _private_dir(path.parent)
    lock_file = open(path.with_suffix(".lock"), "w")  # noqa: SIM115 (held for the daemon's life)
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock_file.close()
        raise SharedEngineError(f"a daemon already serves {path}") from None
    return lock_file


class EngineDaemon:
    """Serves one engine to the editors connected to a Unix socket (see the module doc)."""

    def __init__(
        self,
        engine: Engine,
        path: Path,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        lock_file: IO[str] | None = None,
    ) -> None:
        self.engine = engine
        self.path = path
        self.idle_timeout_s = idle_timeout_s
        self._lock = threading.Condition()
        self._clients: list[_Client] = []
        self._turn = 0
        self._stopping = threading.Event()
        self._last_activity = time.monotonic()
        self._lock_file = lock_file
        self._listener: socket.socket | None = None
        self.jobs_served = 0

    def bind(self) -> None:
        """Listen on a 0600 socket (claiming it first); raise if another daemon serves it."""
        if self._lock_file is None:
            self._lock_file = claim_socket(self.path)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # stale: its daemon is gone (we hold the lock)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous = os.umask(0o177)
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(previous)
        self.path.chmod(0o600)
        listener.listen(16)
        listener.settimeout(0.2)
        self._listener = listener
        log.info("shared engine %s listening on %s", self.engine.name, self.path)

    def serve_forever(self) -> None:
        """Accept editors and serve them until stopped or idle."""
        if self._listener is None:
            self.bind()
        listener = self._listener
        assert listener is not None
        worker = threading.Thread(target=self._work, name="daemon-worker", daemon=True)
        worker.start()
        try:
            while not self._stopping.is_set():
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    if self._idle():
                        log.info("idle for %.0f s with no editor: exiting", self.idle_timeout_s)
                        break
                    continue
                except OSError:
                    if self._stopping.is_set():
                        break  # stop() closed the listener (a signal)
                    raise
                if not _same_user(connection):
                    log.warning("refused a connection from another user")
                    connection.close()
                    continue
                connection.settimeout(None)
                client = _Client(connection)
                with self._lock:
                    self._clients.append(client)
                    self._last_activity = time.monotonic()
                threading.Thread(
                    target=self._read, args=(client,), name=f"daemon-client-{client.number}"
                ).start()
        finally:
            self.stop()

    def serve_connection(self, sock: socket.socket) -> None:
        """Serve the one peer already connected on ``sock`` until it hangs up (private mode)."""
        worker = threading.Thread(target=self._work, name="daemon-worker", daemon=True)
        worker.start()
        client = _Client(sock)
        with self._lock:
            self._clients.append(client)
        try:
            self._read(client)
        finally:
            self.stop()

    def _idle(self) -> bool:
        with self._lock:
            if self._clients:
                return False
            return time.monotonic() - self._last_activity >= self.idle_timeout_s

    def stop(self) -> None:
        """Stop accepting, hang up on editors, remove the socket."""
        self._stopping.set()
        with self._lock:
            clients = list(self._clients)
            self._lock.notify_all()
        for client in clients:
            for job in [*client.queue, *client.running.values()]:
                job.cancel.set()
            with contextlib.suppress(OSError):
                client.sock.shutdown(socket.SHUT_RDWR)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # -- one reader thread per editor -----------------------------------------------------

    def _read(self, client: _Client) -> None:
        try:
            while True:
                message = receive_message(client.sock)
                if message is None:
                    break
                self._handle(client, message)
        except (OSError, ValueError, ProtocolError) as error:
            log.info("client %d: %s", client.number, error)
        finally:
            client.open = False
            with self._lock:
                for job in [*client.queue, *client.running.values()]:
                    job.cancel.set()  # the editor is gone: its work is wasted
                client.queue.clear()
                if client in self._clients:
                    self._clients.remove(client)
                self._last_activity = time.monotonic()
            with contextlib.suppress(OSError):
                client.sock.close()

    def _handle(self, client: _Client, message: dict[str, Any]) -> None:
        op = message.get("op")
        request_id = message.get("id")
        try:
            if op == "hello":
                client.reply({"id": request_id, "result": self._hello()})
            elif op == "count_tokens":
                count = self.engine.count_tokens(str(message["text"]))
                client.reply({"id": request_id, "result": count})
            elif op == "chat_prompt":
                rendered = self.engine.chat_prompt(list(message["messages"]))
                client.reply({"id": request_id, "result": rendered})
            elif op in ("generate", "score"):
                with self._lock:
                    client.queue.append(_Job(client, request_id, op, message))
                    self._lock.notify_all()
                log.info("client %d: %s %s queued", client.number, op, request_id)
            elif op == "cancel":
                self._cancel(client, message.get("target"))
            else:
                client.reply({"id": request_id, "error": f"unknown op {op!r}", "kind": "error"})
        except (KeyError, TypeError, ValueError) as error:
            client.reply({"id": request_id, "error": f"bad {op} message: {error}", "kind": "error"})

    def _hello(self) -> dict[str, Any]:
        return {
            "protocol": PROTOCOL_VERSION,
            "name": self.engine.name,
            "context_length": self.engine.context_length,
            "fim_tokens": self.engine.fim_tokens(),
            "pid": os.getpid(),
        }

    def _cancel(self, client: _Client, target: Any) -> None:
        with self._lock:
            queued = next((job for job in client.queue if job.request_id == target), None)
            if queued is not None:
                client.queue.remove(queued)
            running = client.running.get(target)
            if running is not None:
                running.cancel.set()
        if queued is not None:
            client.reply(
                {"id": target, "error": "cancelled before it started", "kind": "cancelled"}
            )

    # -- the one worker: round robin over editors --------------------------------------

    def _next_job(self) -> _Job | None:
        with self._lock:
            while not self._stopping.is_set():
                count = len(self._clients)
                for offset in range(count):
                    client = self._clients[(self._turn + offset) % count]
                    if client.queue:
                        self._turn = (self._turn + offset + 1) % max(count, 1)
                        job = client.queue.popleft()
                        client.running[job.request_id] = job
                        log.info("client %d: %s %s started", client.number, job.op, job.request_id)
                        return job
                self._lock.wait(0.5)
        return None

    def _work(self) -> None:
        while (job := self._next_job()) is not None:
            try:
                if job.op == "generate":
                    request = dataclasses.replace(
                        request_from_wire(job.payload["request"]),
                        on_sample=_sampled_event(job.client, job.request_id),
                    )
                    samples = self.engine.generate(request, job.cancel)
                    result: Any = [dataclasses.asdict(sample) for sample in samples]
                else:
                    result = self.engine.score(
                        str(job.payload["prompt"]), str(job.payload["continuation"])
                    )
                reply: dict[str, Any] = {"id": job.request_id, "result": result}
            except GenerationCancelled as error:
                reply = {"id": job.request_id, "error": str(error), "kind": "cancelled"}
            except Exception as error:  # the editor shows it; the daemon keeps serving
                log.warning("%s failed: %s", job.op, error, exc_info=True)
                reply = {
                    "id": job.request_id,
                    "error": f"{type(error).__name__}: {error}",
                    "kind": "error",
                }
            with self._lock:
                job.client.running.pop(job.request_id, None)
                self._last_activity = time.monotonic()
                self.jobs_served += 1
            outcome = "cancelled" if job.cancel.is_set() else reply.get("kind", "done")
            log.info("client %d: %s %s %s", job.client.number, job.op, job.request_id, outcome)
            job.client.reply(reply)


def _sampled_event(client: _Client, request_id: Any) -> Callable[[int], None]:
    """Tell ``client`` how many samples of its request ``request_id`` have finished."""

    def tell(done: int) -> None:
        client.reply({"event": "sampled", "target": request_id, "done": done})

    return tell


def _same_user(connection: socket.socket) -> bool:
    """Return whether the peer runs as this user (SO_PEERCRED; other systems trust the 0600)."""
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:
        return True
    credentials = connection.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    return bool(uid == os.getuid())
