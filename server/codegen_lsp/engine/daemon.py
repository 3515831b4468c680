"""One model per machine: a daemon holds the model, every editor's server borrows it.

With ``model.shared`` on, each ``codegen-lsp --stdio`` asks a daemon (``codegen-lsp serve``,
started on demand by the first editor) to sample instead of loading the model itself: three
editor windows then hold the model once, not three times. The daemon listens on a Unix socket
that only its owner may use (a 0700 directory in ``$XDG_RUNTIME_DIR`` or the cache dir, the socket
0600, and the peer's uid checked), speaks a small length-prefixed JSON protocol, serves the
connected editors in turn (round robin per connection, so one editor's burst cannot starve the
others), carries cancellation across the socket, and exits after an idle time with no editor
connected. When the daemon cannot be reached or started, the editor's server loads the model
in-process, as it would without the setting.

Protocol: each message is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.
Requests carry ``op`` (``hello``, ``generate``, ``score``, ``count_tokens``, ``chat_prompt``,
``cancel``) and an ``id``; replies carry the same ``id`` and either ``result`` or ``error``
(with ``kind`` ``cancelled`` for a cancelled generation).

Private mode (:class:`PrivateEngine`, the language server's default): the same protocol over a
socket pair between the language server and a child process it starts on first use
(``python -m codegen_lsp.engine.child``). Nobody else can connect, and the child exits with
its parent. The model's decoding loop then runs outside the server's interpreter, so it cannot
hold the interpreter lock against the event loop that answers the editor.
"""

from __future__ import annotations

import collections
import concurrent.futures
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
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

from codegen_lsp.engine.local import load_local, prepare_model
from codegen_lsp.engine.types import (
    Engine,
    GenerationCancelled,
    GenerationRequest,
    ModelError,
    Sample,
    Timings,
)
from codegen_lsp.settings import ModelSettings

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 64 << 20
DEFAULT_IDLE_TIMEOUT_S = 600.0
STARTUP_TIMEOUT_S = 120.0
"""How long an editor waits for a daemon it started to load the model before loading it itself."""
CANCEL_GRACE_S = 10.0
"""How long a cancelled caller waits for the daemon to confirm before giving up on it."""


class SharedEngineError(Exception):
    """The shared model process failed a request; the message says what happened."""


class ProtocolError(Exception):
    """A peer sent something that is not a protocol message."""


# ----------------------------------------------------------------------------- wire


def send_message(sock: socket.socket, message: dict[str, Any]) -> None:
    """Write one length-prefixed JSON message."""
    data = json.dumps(message, separators=(",", ":")).encode()
    sock.sendall(HEADER.pack(len(data)) + data)


def _read_exactly(sock: socket.socket, count: int) -> bytes | None:
    chunks: list[bytes] = []
    while count:
        chunk = sock.recv(min(count, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def receive_message(sock: socket.socket) -> dict[str, Any] | None:
    """Read one message; None when the peer closed the connection."""
    header = _read_exactly(sock, HEADER.size)
    if header is None:
        return None
    (length,) = HEADER.unpack(header)
    if length > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {length} bytes is over the {MAX_MESSAGE_BYTES} limit")
    body = _read_exactly(sock, length)
    if body is None:
        return None
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def request_to_wire(request: GenerationRequest) -> dict[str, Any]:
    """Return a JSON-ready form of ``request``."""
    wire = dataclasses.asdict(request)
    wire.pop("on_sample", None)  # a callback stays on this side; progress comes back as events
    wire["stop"] = list(request.stop)
    return wire


def request_from_wire(wire: dict[str, Any]) -> GenerationRequest:
    """Rebuild a request (unknown keys are ignored, so newer clients stay compatible)."""
    known = {f.name for f in dataclasses.fields(GenerationRequest)}
    fields = {key: value for key, value in wire.items() if key in known}
    fields["stop"] = tuple(fields.get("stop", ()))
    return GenerationRequest(**fields)


def sample_from_wire(wire: dict[str, Any]) -> Sample:
    """Rebuild a sample sent by :func:`dataclasses.asdict`."""
    return Sample(
        text=wire["text"],
        token_ids=list(wire["token_ids"]),
        logprobs=list(wire["logprobs"]),
        finish_reason=wire["finish_reason"],
        timings=Timings(**wire.get("timings", {})),
    )


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


# ----------------------------------------------------------------------------- client


class _Connection:
    """The editor's side of one socket: a reader thread hands each reply to its waiter."""

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
            future.set_exception(_DaemonLost(reason))

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
                raise _DaemonLost("the shared model process is gone")
            request_id = next(self._ids)
            self._pending[request_id] = future
            if listener is not None:
                self._listeners[request_id] = listener
            try:
                send_message(self.sock, {"op": op, "id": request_id, **fields})
            except OSError as error:
                self._pending.pop(request_id, None)
                self._listeners.pop(request_id, None)
                raise _DaemonLost(f"cannot write to the shared model process: {error}") from None
        return request_id, future

    def call(self, op: str, **fields: Any) -> Any:
        _, future = self.send(op, **fields)
        return future.result()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class _DaemonLost(SharedEngineError):
    """The connection to the daemon broke; the next call reconnects or falls back."""


def _generate_over(
    connection: _Connection, request: GenerationRequest, cancel: threading.Event | None
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
            except _DaemonLost:
                raise GenerationCancelled("generation cancelled") from None
        if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
            raise GenerationCancelled("generation cancelled (the daemon did not confirm)")


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
        self._connection: _Connection | None = None
        self._lock = threading.Lock()
        self.name = "shared"
        self.context_length = 2048
        self._fim: tuple[str, str, str] | None = None
        self._connect_or_fall_back()

    @property
    def in_process(self) -> bool:
        """Whether the model runs in this process (the daemon could not be used)."""
        return self._local is not None

    def _try_connect(self) -> _Connection | None:
        try:
            connection = _Connection(self.path)
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

    def _current(self) -> _Connection | Engine:
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
            if not isinstance(target, _Connection):
                return local(target)
            try:
                return target.call(op, **fields)
            except _DaemonLost as error:
                log.warning("%s; reconnecting", error)
        raise SharedEngineError("the shared model process keeps failing; see its log")

    # ------------------------------------------------------------------ Engine protocol

    def generate(
        self, request: GenerationRequest, cancel: threading.Event | None = None
    ) -> list[Sample]:
        """Return ``request.n`` samples drawn by the daemon (see the module doc)."""
        for _ in range(2):
            target = self._current()
            if not isinstance(target, _Connection):
                return target.generate(request, cancel)
            try:
                return _generate_over(target, request, cancel)
            except _DaemonLost as error:
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
        if not isinstance(target, _Connection):
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


# ----------------------------------------------------------------------------- private child


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
        self._connection: _Connection | None = None
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

    def _ensure(self, progress: Callable[[str], None] | None = None) -> _Connection:
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

    def _spawn(self) -> _Connection:
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
        connection = _Connection(None, sock=ours, on_event=self._event)
        try:
            hello = connection.call("hello")
        except _DaemonLost:
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

    def _with_restart(self, action: Callable[[_Connection], Any]) -> Any:
        """Run ``action`` on the child's connection; a child lost meanwhile is restarted once."""
        for _ in range(2):
            connection = self._ensure()
            try:
                return action(connection)
            except _DaemonLost as error:
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

        def draw(connection: _Connection) -> list[Sample]:
            try:
                return _generate_over(connection, request, cancel)
            except _DaemonLost:
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
