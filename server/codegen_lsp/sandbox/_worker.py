"""The sandbox worker: a zygote that forks one locked-down child per candidate run.

This file runs as ``python -I _worker.py ROOTS_JSON`` inside the isolation layer (bubblewrap,
namespaces or nothing), never inside the language server, under the project's interpreter (any
CPython >= 3.8), so it imports only the standard library. It pre-imports what candidates commonly
use, takes the seccomp filter from the parent's first message (compiled to BPF by the server, see
``seccomp.py``), and then serves jobs read from stdin: for each job it forks a child that, before
any candidate code runs, sets resource limits, closes every descriptor except its result pipe and
installs that filter (no sockets, no exec, no new processes, no ptrace, no signals to other
processes). The child evaluates the expected values while the interpreter is still pristine, runs
the candidate module and its examples, and streams one JSON line per example back through the
pipe. The zygote enforces the run's deadline, kills the child, and returns the lines to the
parent. Comparisons happen in the parent, not here.

Protocol (both directions): a 4-byte big-endian length, then a UTF-8 JSON object. The parent
sends ``{"seccomp": HEX, "why": TEXT}`` first, the worker answers with its hello, then jobs and
their results alternate.
"""

from __future__ import annotations

# Modules candidates commonly import, loaded once here so that each forked run starts warm.
import bisect  # noqa: F401
import builtins
import collections  # noqa: F401
import ctypes
import ctypes.util
import dataclasses  # noqa: F401
import datetime  # noqa: F401
import decimal  # noqa: F401
import fractions  # noqa: F401
import functools  # noqa: F401
import hashlib  # noqa: F401
import heapq  # noqa: F401
import io
import itertools  # noqa: F401
import json
import math
import operator  # noqa: F401
import os
import random  # noqa: F401
import re  # noqa: F401
import resource
import select
import signal
import statistics  # noqa: F401
import string  # noqa: F401
import struct
import sys
import time
import types
import typing
from typing import Any

PRISTINE_BUILTINS = dict(builtins.__dict__)
REPR_CAP = 1000
STDOUT_CAP = 4000
ENCODING_ITEMS_CAP = 100_000
ENCODING_DEPTH_CAP = 60
BIG_INT_BITS = 1_000_000
RESULT_BYTES_CAP = 4 * 1024 * 1024
DRAINED_ITEMS_CAP = 200
"""A drawn call's returned iterator is read to this many items: an endless one stops there."""
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_PROGRAM = b""
SECCOMP_ERROR = ""
GRACE_S = 0.5


class Landlock:
    """A Landlock ruleset (Linux >= 5.13): reads under the given roots, writes only in one dir.

    Built once in the zygote; each child calls :meth:`restrict_self` before running a
    candidate. Where the kernel lacks Landlock, ``ruleset_fd`` stays -1 and ``error`` says why.
    """

    CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # x86_64 and aarch64 alike
    PATH_BENEATH = 1
    EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
    # Every file-system right each ABI version knows (bits 0-12, REFER 13, TRUNCATE 14, IOCTL 15).
    ALL_BY_ABI: typing.ClassVar[dict[int, int]] = {
        1: (1 << 13) - 1,
        2: (1 << 14) - 1,
        3: (1 << 15) - 1,
    }
    ALL_LATEST = (1 << 16) - 1
    PR_SET_NO_NEW_PRIVS = 38

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("handled_access_fs", ctypes.c_uint64)]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    def __init__(self, libc: Any, read_roots: list[str], writable: str) -> None:
        self.libc = libc
        self.ruleset_fd = -1
        self.error = ""
        self.abi = int(libc.syscall(self.CREATE_RULESET, None, ctypes.c_size_t(0), 1))
        if self.abi <= 0:
            self.error = f"Landlock unavailable: {os.strerror(ctypes.get_errno())}"
            return
        handled = self.ALL_BY_ABI.get(self.abi, self.ALL_LATEST)
        attr = self.RulesetAttr(handled)
        fd = int(libc.syscall(self.CREATE_RULESET, ctypes.byref(attr), ctypes.sizeof(attr), 0))
        if fd < 0:
            self.error = f"Landlock ruleset refused: {os.strerror(ctypes.get_errno())}"
            return
        read = self.EXECUTE | self.READ_FILE | self.READ_DIR
        file_only = self.EXECUTE | self.WRITE_FILE | self.READ_FILE | (1 << 14) | (1 << 15)
        rules = [(root, read) for root in read_roots] + [
            (writable, handled),
            (os.devnull, (self.READ_FILE | self.WRITE_FILE) & handled),
            ("/dev/zero", self.READ_FILE),
            ("/dev/urandom", self.READ_FILE),
            ("/dev/random", self.READ_FILE),
        ]
        for path, access in rules:
            try:
                path_fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            if not os.path.isdir(path):
                access &= file_only
            rule = self.PathBeneath(access & handled, path_fd)
            added = libc.syscall(self.ADD_RULE, fd, self.PATH_BENEATH, ctypes.byref(rule), 0)
            os.close(path_fd)
            if added != 0:
                self.error = f"Landlock rule for {path} refused: {os.strerror(ctypes.get_errno())}"
                os.close(fd)
                return
        self.ruleset_fd = fd

    def restrict_self(self) -> None:
        """Confine the calling process (and everything it starts) to the ruleset."""
        if self.libc.prctl(self.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
        if self.libc.syscall(self.RESTRICT_SELF, self.ruleset_fd, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")


LANDLOCK: Landlock | None = None


class ExampleTimeout(BaseException):
    """Raised by the per-example alarm (a BaseException, so ``except Exception`` won't eat it)."""


class SetupShowedOutput(Exception):
    """A statement before an example showed output where doctest expects none.

    A ``with`` block whose ``f.write(...)`` shows 1, say: ``python -m doctest`` fails that line.
    """


# --- protocol ----------------------------------------------------------------------------------
# The format of ``codegen_lsp/framing.py``, which the server's side (``runner.py``) uses, written
# out again here on purpose: this file runs as ``python -I`` under the project's interpreter
# (inside bubblewrap, where it is the only file of the package mounted), so it cannot import the
# package, and it must keep to Python 3.8.


def read_message(fd: int) -> dict[str, Any] | None:
    """Read one length-prefixed JSON message; None at end of input."""
    header = read_exactly(fd, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    body = read_exactly(fd, length)
    if body is None:
        return None
    message: dict[str, Any] = json.loads(body.decode("utf-8"))
    return message


def read_exactly(fd: int, count: int) -> bytes | None:
    chunks = []
    while count:
        chunk = os.read(fd, min(count, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def write_message(fd: int, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode("utf-8")
    data = struct.pack(">I", len(body)) + body
    while data:
        written = os.write(fd, data)
        data = data[written:]


# --- the zygote --------------------------------------------------------------------------------


def main() -> None:
    """Serve jobs until the parent closes stdin."""
    protocol_in = os.dup(0)
    protocol_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    # Children (candidates) must not read this process's memory through /proc/<pid>/mem.
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    global SECCOMP_ERROR, SECCOMP_PROGRAM
    # The filter comes as the first message on the protocol pipe, not in argv: argv is shown by
    # ps and in every start-up error, and a few kilobytes of hex there would bury the roots.
    setup = read_message(protocol_in)
    if setup is None:
        return
    SECCOMP_PROGRAM, SECCOMP_ERROR = seccomp_from_setup(setup)
    read_roots = json.loads(sys.argv[1]) if len(sys.argv) > 1 else []
    landlock = Landlock(libc, read_roots, os.getcwd())
    write_message(
        protocol_out,
        {
            "ready": True,
            "pid": os.getpid(),
            "python": list(sys.version_info[:3]),
            "executable": sys.executable,
            "seccomp": bool(SECCOMP_PROGRAM),
            "why": SECCOMP_ERROR,
            "landlock": landlock.abi if landlock.ruleset_fd >= 0 else 0,
            "landlock_why": landlock.error,
        },
    )
    global LANDLOCK
    LANDLOCK = landlock
    while True:
        job = read_message(protocol_in)
        if job is None:
            return
        write_message(protocol_out, serve(job, protocol_in, protocol_out))


def seccomp_from_setup(setup: dict[str, Any]) -> tuple[bytes, str]:
    """Return the filter the parent sent (empty when there is none) and, then, why."""
    try:
        program = bytes.fromhex(str(setup.get("seccomp") or ""))
    except ValueError:
        return b"", "the parent sent a seccomp program that is not hex"
    if not program:
        return b"", str(setup.get("why") or "the parent sent no seccomp program")
    if len(program) % 8:  # classic BPF instructions are 8 bytes each
        return b"", f"the parent sent a malformed seccomp program ({len(program)} bytes)"
    return program, ""


def serve(job: dict[str, Any], protocol_in: int, protocol_out: int) -> dict[str, Any]:
    """Fork a child for ``job``, collect its lines until EOF or the deadline, reap it."""
    read_end, write_end = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            os.close(read_end)
            os.close(protocol_in)
            os.close(protocol_out)
            run_child(job, write_end)
        finally:
            os._exit(0)
    os.close(write_end)
    deadline = started + float(job["timeout_s"]) + GRACE_S
    data = bytearray()
    timed_out = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([read_end], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        if len(data) < RESULT_BYTES_CAP:
            data += chunk[: RESULT_BYTES_CAP - len(data)]
    status = reap(pid, deadline)
    if status is None:
        timed_out = True
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    os.close(read_end)
    clear_directory(os.getcwd())  # what one candidate wrote, the next must not see
    lines = data.decode("utf-8", "replace").splitlines()
    return {
        "lines": lines,
        "timed_out": timed_out,
        "exit": describe_exit(status),
        "seconds": time.monotonic() - started,
    }


def clear_directory(path: str) -> None:
    """Empty ``path``, staying on its own file system.

    Mount points below it (read-only binds of the project or the interpreter, should bubblewrap
    ever place one there) are left alone: walking them would cost a stat per installed file and
    remove nothing. A loop rather than recursion (or ``shutil.rmtree``), so that a candidate's
    deeply nested directories cannot crash the zygote with a RecursionError.
    """
    try:
        device = os.lstat(path).st_dev
    except OSError:
        return
    pending, emptied = [path], []
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if not entry.is_dir(follow_symlinks=False):
                    os.unlink(entry.path)
                elif entry.stat(follow_symlinks=False).st_dev == device:
                    pending.append(entry.path)
                    emptied.append(entry.path)
            except OSError:
                continue
    for directory in reversed(emptied):  # children were found after their parents
        try:
            os.rmdir(directory)
        except OSError:
            continue


def reap(pid: int, deadline: float) -> int | None:
    """Wait for the child until the deadline; None if it is still running."""
    finished, status = os.waitpid(pid, os.WNOHANG)
    if finished:
        return status
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = -1
    if pidfd >= 0:
        try:
            select.select([pidfd], [], [], max(deadline - time.monotonic(), 0))
        finally:
            os.close(pidfd)
    while True:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            return status
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.001)


def describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return f"killed by {name}"
    return f"exit status {os.WEXITSTATUS(status)}"


# --- the child ---------------------------------------------------------------------------------


def lock_down(job: dict[str, Any], result_fd: int) -> None:
    """Limit resources, drop descriptors and install the seccomp filter."""
    cpu = math.ceil(float(job["timeout_s"])) + 1
    memory = int(job["memory_mb"]) * 1024 * 1024
    for limit, value in (
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_FSIZE, 16 * 1024 * 1024),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))
    if LANDLOCK is not None and LANDLOCK.ruleset_fd >= 0:
        LANDLOCK.restrict_self()
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 1 << 16)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    if SECCOMP_PROGRAM:
        install_seccomp(SECCOMP_PROGRAM)
    else:
        raise RuntimeError(f"seccomp unavailable ({SECCOMP_ERROR}); refusing to run")


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_seccomp(program: bytes) -> None:
    """Load the compiled filter into this process (irreversible; inherited by its threads)."""
    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(SET_SECCOMP) failed")


class CappedWriter(io.TextIOBase):
    """A text stream that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        room = self.cap - self.size
        if room > 0:
            kept = text[:room]
            self.parts.append(kept)
            self.size += len(kept)
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n... [{self.dropped} more characters]"
        self.parts, self.size, self.dropped = [], 0, 0
        return text


def run_child(job: dict[str, Any], result_fd: int) -> None:
    """Lock down, then run the job's examples, writing one JSON line per event."""
    # Everything used after the candidate runs is bound here, before it can patch anything.
    dumps, write, getpid, monotonic = json.dumps, os.write, os.getpid, time.monotonic
    # Lines without this per-run secret are ignored by the parent, so a candidate cannot simply
    # write a forged verdict to the result descriptor; it is removed from the job it came in.
    prefix = str(job.pop("nonce", "")) + " "
    setitimer, real_timer = signal.setitimer, signal.ITIMER_REAL
    pristine = dict(PRISTINE_BUILTINS)
    real_sys = sys
    stdout = CappedWriter(STDOUT_CAP)
    stderr = CappedWriter(STDOUT_CAP)

    def emit(event: dict[str, Any]) -> None:
        data = (prefix + dumps(event) + "\n").encode("utf-8", "replace")
        while data:
            data = data[write(result_fd, data) :]

    try:
        lock_down(job, result_fd)
    except BaseException as error:
        emit({"event": "fatal", "error": f"sandbox set-up failed: {describe(error)}"})
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise ExampleTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    examples = job["examples"]
    # 1. Expected values, evaluated while the interpreter is untouched by the candidate.
    pending: list[int] = []
    for index, example in enumerate(examples):
        source = example.get("expected")
        if source is None:
            continue
        try:
            value = eval(source, {"__builtins__": dict(pristine)})
        except NameError:
            pending.append(index)  # needs the module's names: evaluated after it loads
            continue
        except BaseException as error:
            emit({"event": "expected", "index": index, "error": describe(error)})
            continue
        emit({"event": "expected", "index": index, "value": encode(value), "trusted": True})
    # 2. The candidate module.
    sys.stdout, sys.stderr = stdout, stderr
    # A real module in sys.modules: code that looks itself up there (dataclasses does, for a
    # module with `from __future__ import annotations`) must find it.
    candidate_module = type(real_sys)("candidate")
    namespace: dict[str, Any] = candidate_module.__dict__
    namespace["__builtins__"] = builtins
    real_sys.modules["candidate"] = candidate_module
    if job.get("package"):
        # Relative imports resolve against __package__ (the name stays "candidate", which the
        # reported type names rely on), e.g. ``from .geometry import Pt`` inside ``shapes``.
        namespace["__package__"] = str(job["package"])
    real_sys.modules["__main__"] = type(real_sys)("candidate_main")
    started = monotonic()
    deadline = started + float(job["timeout_s"])
    try:
        setitimer(real_timer, max(deadline - monotonic(), 0.001))
        real_sys.path[:0] = [str(path) for path in job.get("sys_path", [])]
        # dont_inherit: this file's `from __future__ import annotations` is not the candidate's.
        exec(compile(job["code"], "<candidate>", "exec", dont_inherit=True), namespace)
        setitimer(real_timer, 0)
    except ExampleTimeout:
        emit({"event": "module", "error": "timeout", "timeout": True})
        return
    except BaseException as error:
        setitimer(real_timer, 0)
        emit({"event": "module", "error": describe(error), "stdout": stdout.take()})
        return
    function_name = job.get("function_name")
    if function_name and not callable(namespace.get(function_name)):
        emit(
            {
                "event": "module",
                "error": f"NameError: the code defines no function {function_name!r}",
            }
        )
        return
    emit({"event": "module", "ok": True})
    doc_namespace = dict(namespace)
    for index in pending:
        try:
            value = eval(examples[index]["expected"], doc_namespace)
            emit({"event": "expected", "index": index, "value": encode(value), "trusted": False})
        except BaseException as error:
            emit({"event": "expected", "index": index, "error": describe(error)})
    # 3. The examples, in order, in one doctest-like namespace.
    for index, example in enumerate(examples):
        remaining = deadline - monotonic()
        if remaining <= 0:
            emit({"event": "example", "index": index, "timeout": True})
            continue
        event: dict[str, Any] = {"event": "example", "index": index}
        ticked = monotonic()
        try:
            limit = example.get("timeout_s")
            setitimer(real_timer, min(remaining, limit) if limit else remaining)
            earlier = stdout.take()
            for statement in example.get("setup", []):
                exec(_statement(statement), doc_namespace)
            shown = stdout.take()
            stdout.write(earlier)
            if shown:
                raise SetupShowedOutput(
                    f"a line before it shows {shown.rstrip()!r}, where doctest expects nothing"
                )
            try:
                compiled = compile(example["call"], "<example>", "eval", dont_inherit=True)
                statement = False
            except SyntaxError:  # a doctest statement with output, e.g. a for loop that prints
                compiled, statement = _statement(example["call"]), True
            # Run outside the handler: there `sys.exc_info()` would be the SyntaxError, and an
            # exception raised would carry it as its context.
            value = None
            if statement:
                exec(compiled, doc_namespace)
            else:
                value = eval(compiled, doc_namespace)
            if example.get("drain"):
                # Read while the call's timer runs: a generator's body runs only now, and
                # what it changes while it runs is observed after it (the list's later items).
                value = drain_result(value) if example.get("observed") else drain(value)
            setitimer(real_timer, 0)
            event["value"] = encode(value)
            event["type"] = type_name(result_of(value) if example.get("observed") else value)
            event["repr"] = capped_repr(value)
        except ExampleTimeout:
            event["timeout"] = True
        except BaseException as error:
            setitimer(real_timer, 0)
            event["exception"] = describe(error)
            event["exception_type"] = type(error).__name__
        event["stdout"] = stdout.take()
        event["seconds"] = monotonic() - ticked
        stderr.take()
        emit(event)
    emit({"event": "done", "pid": getpid()})


def _statement(source: str) -> Any:
    """Compile a doctest example that is a statement the way doctest does: in "single" mode.

    There every expression statement in it shows its value (``isinstance(f.read(), str)`` in a
    ``with`` block prints True), which ``python -m doctest`` compares with the expected text.
    Source that is not one statement is run as a module, showing nothing.
    """
    try:
        return compile(source + "\n", "<example>", "single", dont_inherit=True)
    except SyntaxError:
        return compile(source, "<example>", "exec", dont_inherit=True)


def describe(error: BaseException) -> str:
    try:
        message = str(error)
    except BaseException:
        message = "<unprintable>"
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text[:REPR_CAP]


def result_of(value: Any, _type: Any = type, _list: Any = list) -> Any:
    """Return an observed call's result: the first item of the list its wrapper returns."""
    return value[0] if _type(value) is _list and value else value


class Drained:
    """What a returned iterator yielded when it was read (:func:`drain`)."""

    def __init__(self, kind: str, items: list[Any], more: bool) -> None:
        self.kind = kind
        self.items = items
        self.more = more

    def __repr__(self) -> str:
        if not self.items:
            return f"<{self.kind} yielding nothing>"
        shown = ", ".join(capped_repr(item) for item in self.items)
        more = f", ... (more than {len(self.items)})" if self.more else ""
        return f"<{self.kind} yielding {shown}{more}>"


def drain(value: Any, _type: Any = type, _hasattr: Any = hasattr) -> Any:
    """Return ``value`` read to :data:`DRAINED_ITEMS_CAP` items when it is an iterator.

    An iterator is what its type gives ``__next__`` and ``__iter__``: a generator, a ``map``,
    a ``zip``. A coroutine (what an ``async def`` returns) is run first, in an event loop of
    its own, and what it returns is read the same way; an async generator is read in one.
    Anything else (a list, a str) is returned as it is. An exception raised while running or
    reading is the call's.
    """
    if _type(value) is types.CoroutineType:
        import asyncio  # only for async functions: most workers never pay for the import

        value = asyncio.run(value)
    if _type(value) is types.AsyncGeneratorType:
        import asyncio

        return asyncio.run(_drained_async(value))
    kind = _type(value)
    if not (_hasattr(kind, "__next__") and _hasattr(kind, "__iter__")):
        return value
    items: list[Any] = []
    for item in value:
        if len(items) == DRAINED_ITEMS_CAP:
            return Drained(type_name(value), items, True)
        items.append(item)
    return Drained(type_name(value), items, False)


async def _drained_async(generator: Any) -> Drained:
    """Read an async generator (``async def`` with ``yield``) as :func:`drain` reads a generator."""
    items: list[Any] = []
    async for item in generator:
        if len(items) == DRAINED_ITEMS_CAP:
            return Drained(type_name(generator), items, True)
        items.append(item)
    return Drained(type_name(generator), items, False)


def drain_result(observed: Any, _type: Any = type, _list: Any = list) -> Any:
    """Drain the result at the head of an observed call's list (:func:`result_of`)."""
    if _type(observed) is _list and observed:
        observed[0] = drain(observed[0])
    return observed


def type_name(value: Any, _isinstance: Any = isinstance) -> str:
    if _isinstance(value, Drained):
        return value.kind
    kind = type(value)
    module = getattr(kind, "__module__", "builtins")
    name = getattr(kind, "__qualname__", kind.__name__)
    return str(name) if module in ("builtins", "candidate") else f"{module}.{name}"


def capped_repr(value: Any) -> str:
    try:
        text = repr(value)
    except BaseException as error:
        return f"<repr failed: {describe(error)}>"
    if not isinstance(text, str):
        return "<repr returned a non-string>"
    if len(text) > REPR_CAP:
        return text[:REPR_CAP] + f"... [{len(text) - REPR_CAP} more characters]"
    return text


VALUE_TYPES = frozenset(
    {
        "decimal.Decimal",
        "fractions.Fraction",
        "datetime.date",
        "datetime.datetime",
        "datetime.time",
        "datetime.timedelta",
    }
)
"""Standard-library values encoded by their text: immutable, and their text is their value."""

HELD_ITEMS = frozenset({"dict_keys", "dict_values", "dict_items", "collections.deque"})
"""Standard containers that are no list, set or dict: encoded by the items they hold, else
every body returning ``counts.keys()`` or a ``deque`` would look alike, whatever it held."""


def _instance_state(value: Any) -> list[tuple[str, Any]] | None:
    """Return an instance's own attributes, when it is an object of a class the code defined.

    Read from the instance dictionary with ``object.__getattribute__``, so no ``__getattr__``
    or property of the class runs; None for builtins, classes, modules and functions.
    """
    kind = type(value)
    if getattr(kind, "__module__", "builtins") in ("builtins", "types") or isinstance(
        value, (type, types.ModuleType, types.FunctionType)
    ):
        return None
    try:
        state = object.__getattribute__(value, "__dict__")
    except AttributeError:
        return None  # __slots__ only
    if type(state) is not dict:
        return None
    return [(key, item) for key, item in dict.items(state) if isinstance(key, str)]


def encode(value: Any) -> Any:
    """Encode builtin data as tagged JSON the parent can rebuild without running any code.

    Subclasses of builtins are encoded by their builtin content (read through the builtin type's
    own methods), so overriding ``__eq__``, ``__hash__`` or ``__iter__`` changes nothing; any
    other object is ``["opaque", type]`` and can only match an expected value by text.
    """
    budget = [ENCODING_ITEMS_CAP]
    try:
        return _encode(value, 0, budget)
    except BaseException as error:
        return ["opaque", f"<encoding failed: {describe(error)}>"]


def _encode(
    value: Any,
    depth: int,
    budget: list[int],
    _isinstance: Any = isinstance,
    _int: Any = int,
    _float: Any = float,
    _list: Any = list,
    _tuple: Any = tuple,
    _dict: Any = dict,
    _str: Any = str,
) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or depth > ENCODING_DEPTH_CAP:
        return ["opaque", "too large"]
    if value is None:
        return ["none"]
    if _isinstance(value, bool):
        return ["bool", value is True]
    if _isinstance(value, _int):
        number = _int.__index__(value)
        if number.bit_length() > BIG_INT_BITS:
            return ["opaque", "int too large"]
        return ["int", format(number, "x")]
    if _isinstance(value, _float):
        return ["float", _float.hex(_float.__float__(value))]
    if _isinstance(value, complex):
        # The base type's own fields, whatever a subclass overrides (complex.__complex__ and
        # bytes.__bytes__ exist only from Python 3.11; the project's Python may be older).
        real, imag = complex.real.__get__(value), complex.imag.__get__(value)
        return ["complex", _float.hex(real), _float.hex(imag)]
    if _isinstance(value, _str):
        text = _str.__str__(value)
        budget[0] -= len(text) // 64
        return ["str", text]
    if _isinstance(value, (bytes, bytearray)):
        whole = slice(None)  # a slice of the base type's bytes: no subclass method runs
        raw = bytes(value) if _isinstance(value, bytearray) else bytes.__getitem__(value, whole)
        budget[0] -= len(raw) // 32
        return ["bytes", raw.hex()]
    if _isinstance(value, Drained):
        items = [_encode(item, depth + 1, budget) for item in value.items]
        return ["iterator", items, value.more is True]
    for kind, tag in ((_list, "list"), (_tuple, "tuple"), (set, "set"), (frozenset, "frozenset")):
        if _isinstance(value, kind):
            items = _list(kind.__iter__(value))
            return [tag, [_encode(item, depth + 1, budget) for item in items]]
    if _isinstance(value, _dict):
        pairs = _list(_dict.items(value))
        return [
            "dict",
            [[_encode(k, depth + 1, budget), _encode(v, depth + 1, budget)] for k, v in pairs],
        ]
    fields = getattr(type(value), "__dataclass_fields__", None)
    if _isinstance(fields, _dict):
        # A dataclass (a project's Pt, say): its fields, so that two candidates returning
        # different points do not look alike. Still opaque to the comparison of examples.
        names = [name for name in _list(fields) if _isinstance(name, _str)]
        return [
            "object",
            type_name(value),
            [[name, _encode(getattr(value, name), depth + 1, budget)] for name in names],
        ]
    # The objects below are told apart by what they hold, for grouping candidates only: like a
    # dataclass, each stays opaque to the comparison of examples.
    kind = type_name(value)
    if kind in VALUE_TYPES:
        # Dates, times and exact numbers by value; equal Decimals alike (1.5 and 1.50).
        shown = value.normalize() if kind == "decimal.Decimal" else value
        return ["object", kind, [["value", ["str", _str(shown)]]]]
    if kind in HELD_ITEMS:  # exactly the builtin type: its own iteration, no subclass's
        items = [_encode(item, depth + 1, budget) for item in type(value).__iter__(value)]
        return ["object", kind, [["items", ["list", items]]]]
    if kind == "range":
        ends = [["start", value.start], ["stop", value.stop], ["step", value.step]]
        return ["object", kind, [[name, _encode(end, depth + 1, budget)] for name, end in ends]]
    state = _instance_state(value)
    if state is not None:
        # A plain object (a project's Cart): its attributes, as a dataclass's fields; an Enum
        # member too (its name and value are attributes), so that Standing.OK and
        # Standing.OVERDRAWN do not look alike.
        return [
            "object",
            kind,
            [[key, _encode(item, depth + 1, budget)] for key, item in state],
        ]
    module = getattr(type(value), "__module__", "")
    if module == "numpy":
        converted = value.tolist()
        if not _isinstance(converted, type(value)):
            return _encode(converted, depth + 1, budget)
    return ["opaque", type_name(value)]


if __name__ == "__main__":
    main()
