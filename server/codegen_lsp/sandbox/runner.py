"""Runs candidates' examples in sandboxed worker processes and reports exactly what happened.

``Sandbox(settings, python=...)`` probes the machine's isolation once (see ``isolation.py``),
checks the interpreter candidates run under (the project's, or the server's own by default) and
keeps up to ``settings.workers`` (default: one per CPU core) worker processes: each is
``python -I`` running ``_worker.py`` in its own process group, inside bubblewrap or namespaces
where available. A worker is a zygote: it forks a fresh, locked-down child per candidate, so a run
costs a ``fork``, not a Python start-up. The server process never runs candidate code and is never
forked. The seccomp filter is compiled here, once (``seccomp.py``), and sent to each worker.

``run`` and ``run_many`` are safe to call from any thread; no signal handlers are installed here.
Results are cached by the hashes of (code, function name, package) and of the examples.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import queue
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from codegen_lsp import framing
from codegen_lsp.sandbox import homes, isolation, seccomp
from codegen_lsp.sandbox.compare import canonical, decode, equal, field_types, output_matches
from codegen_lsp.sandbox.types import CandidateRun, Example, ExampleResult, ExampleStatus
from codegen_lsp.settings import SandboxSettings

log = logging.getLogger(__name__)

CACHE_SIZE = 4096
START_TIMEOUT_S = 30.0
# The zygote's own deadline is timeout + 0.5 s; the parent waits a little longer before it
# concludes the worker itself is stuck and kills its whole process group.
PARENT_SLACK_S = 3.0

ProgressCallback = Callable[[int, int, CandidateRun], None]
"""``progress(done, total, run)``: ``run`` is the one that just finished."""


class WorkerError(RuntimeError):
    """A worker could not start, or stopped answering and was killed."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class _Worker:
    """One zygote process and the pipes to it."""

    def __init__(
        self, level: str, project_paths: Sequence[str] = (), python: str | None = None
    ) -> None:
        self.level = level
        self.home = homes.make()
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": self.home,
            "TMPDIR": self.home,
            "LANG": "C.UTF-8",
        }
        # Start-up errors (bwrap, a broken Python) land here; the worker then silences fd 2.
        with tempfile.TemporaryFile() as startup_errors:
            self.process = subprocess.Popen(
                isolation.command(level, python=python, project_paths=project_paths),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=startup_errors,
                cwd=self.home,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
            filter_ = seccomp.compiled()
            setup = {"seccomp": filter_.program.hex(), "why": filter_.error}
            try:
                self._send(setup)
                self.hello = self._receive(time.monotonic() + START_TIMEOUT_S)
            except WorkerError as error:
                startup_errors.seek(0)
                said = startup_errors.read()[-2000:].decode("utf-8", "replace").strip()
                raise WorkerError(f"{error}: {said or 'it printed nothing'}") from error
        if not self.hello.get("ready"):
            self.kill()
            raise WorkerError(f"sandbox worker did not start: {self.hello}")

    def request(self, job: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        self._send(job)
        return self._receive(time.monotonic() + timeout_s)

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(framing.encode(message, compact=False))
            self.process.stdin.flush()
        except OSError as error:
            self.kill()
            raise WorkerError(f"sandbox worker is gone: {error}") from error

    def _receive(self, deadline: float) -> dict[str, Any]:
        # No size limit: the worker is this package's own code and caps what a candidate can
        # make it send; ``_read`` raises rather than return None, so a message always comes.
        message = framing.read_message(lambda count: self._read(count, deadline), limit=None)
        assert message is not None
        return message

    def _read(self, count: int, deadline: float) -> bytes:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        chunks: list[bytes] = []
        while count:
            remaining = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(remaining, 0))[0] if remaining > 0 else []
            if not ready:
                self.kill()
                raise WorkerError(
                    "sandbox worker stopped answering; killed its process group", timed_out=True
                )
            chunk = os.read(fd, min(count, 1 << 20))
            if not chunk:
                self.kill()
                raise WorkerError(f"sandbox worker exited ({self.process.poll()})")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        """Kill the worker's whole process group and remove its directory."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.warning("sandbox worker %d did not die", self.process.pid)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        homes.remove(self.home)


class Sandbox:
    """Runs candidate modules against examples in isolated workers."""

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        cache_size: int = CACHE_SIZE,
        project_paths: Sequence[str] = (),
        python: str | None = None,
    ) -> None:
        """Probe isolation (once per process) and prepare workers (started on first use).

        ``python`` is the interpreter candidates run under, e.g. the project's virtualenv's
        ``bin/python`` (default: the server's own); one it cannot use (missing, not a Python,
        older than :data:`isolation.MIN_WORKER_PYTHON`) is refused here with
        :class:`isolation.InterpreterError`, before any worker starts. Candidates read its
        installation and ``sys.path`` (site-packages, editable installs), read-only.

        ``project_paths`` are directories candidates may read and import from (read-only),
        e.g. the project of the file being checked; each is refused with ``ValueError`` if it
        is or contains the home directory or holds credentials (``.ssh`` and the like).
        """
        self.settings = settings or SandboxSettings()
        self._interpreter = isolation.describe_interpreter(python or sys.executable)
        self.project_paths = [isolation.check_project_path(path) for path in project_paths]
        self.cache_size = cache_size
        self._level = isolation.best_level(self.settings.level)
        homes.sweep_once()  # what killed servers left behind
        self.workers = self.settings.workers or os.cpu_count() or 1
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._closed = False
        self._cache: OrderedDict[tuple[str, str], CandidateRun] = OrderedDict()
        self._executor: ThreadPoolExecutor | None = None
        weaknesses = isolation.weaknesses(self._level)
        log.info(
            "sandbox: isolation level %r, %d workers, Python %s (%s)",
            self._level,
            self.workers,
            ".".join(map(str, self.python_version)),
            self.python,
        )
        for note in weaknesses:
            log.warning("sandbox: isolation %r is weaker than bubblewrap: %s", self._level, note)
        self._finalizer = weakref.finalize(self, _close_workers, self._idle)
        atexit.register(self._finalizer)

    @property
    def isolation(self) -> str:
        """The isolation level every run gets: ``bubblewrap``, ``namespaces`` or ``none``."""
        return self._level

    @property
    def python(self) -> str:
        """The interpreter every worker runs under (an absolute path)."""
        return self._interpreter.executable

    @property
    def python_version(self) -> tuple[int, int, int]:
        """That interpreter's version, e.g. ``(3, 11, 7)``."""
        return self._interpreter.version

    def describe(self) -> dict[str, Any]:
        """Describe the isolation level: what it does and does not protect (logs, ``--json``).

        Starts a worker if none is running, to report what the worker itself found (seccomp).
        """
        seccomp, why, landlock = False, "", 0
        try:
            worker = self._acquire()
        except (WorkerError, OSError) as error:
            why = f"the worker did not start: {error}"
        else:
            seccomp, why = bool(worker.hello.get("seccomp")), str(worker.hello.get("why") or "")
            landlock = int(worker.hello.get("landlock") or 0)
            self._release(worker, True)
        weaker = isolation.weaknesses(self._level)
        if not seccomp:
            weaker.append(f"no seccomp filter ({why}): candidates are refused")
        return {
            "isolation": self._level,
            "seccomp": seccomp,
            "landlock": landlock,
            "rlimits": True,
            "python": self.python,
            "python_version": ".".join(map(str, self.python_version)),
            "weaker": weaker,
        }

    def run(
        self, code: str, function_name: str, examples: Sequence[Example], package: str = ""
    ) -> CandidateRun:
        """Run ``code`` (a whole module) and every example against it.

        ``package`` (e.g. ``shapes`` for a file ``shapes/ops.py``) is the package the code
        belongs to: its relative imports (``from .geometry import Pt``) resolve against it,
        from ``project_paths``. ``ValueError`` if it is not a dotted name.
        """
        _check_package(package)
        examples = list(examples)
        key = (_hash(code + "\0" + function_name + "\0" + package), _examples_hash(examples))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        run = self._execute(code, function_name, examples, package)
        if self.cache_size > 0 and (run.error is None or not run.error.startswith("sandbox")):
            with self._lock:
                self._cache[key] = run
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return run

    def run_many(
        self,
        codes: Sequence[str],
        function_name: str,
        examples: Sequence[Example],
        cancel: threading.Event | None = None,
        progress: ProgressCallback | None = None,
        package: str = "",
    ) -> list[CandidateRun]:
        """Run many candidates in parallel (up to ``workers`` at once), in input order.

        ``progress(done, total, run)`` is called from worker threads as each run finishes. When
        ``cancel`` is set, runs not yet started are skipped and come back with
        ``error == "cancelled"``. ``package`` is as for :meth:`run`.
        """
        _check_package(package)
        total = len(codes)
        done = 0
        done_lock = threading.Lock()

        def one(code: str) -> CandidateRun:
            nonlocal done
            if cancel is not None and cancel.is_set():
                run = CandidateRun(error="cancelled", isolation=self._level)
            else:
                run = self.run(code, function_name, examples, package)
            with done_lock:
                done += 1
                finished = done
            if progress is not None:
                try:
                    progress(finished, total, run)
                except Exception:  # a broken progress callback must not lose the results
                    log.exception("sandbox: progress callback failed")
            return run

        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="sandbox")
            executor = self._executor
        return list(executor.map(one, codes))

    def close(self) -> None:
        """Stop every worker (kills their process groups). The sandbox cannot be used after."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        self._finalizer()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- internals ----------------------------------------------------------------------------

    def _acquire(self) -> _Worker:
        while True:
            with self._lock:
                if self._closed:
                    raise WorkerError("sandbox is closed")
                try:
                    return self._idle.get_nowait()
                except queue.Empty:
                    pass
                start_one = self._started < self.workers
                if start_one:
                    self._started += 1
            if start_one:
                try:
                    return _Worker(self._level, self.project_paths, self.python)
                except BaseException:
                    with self._lock:
                        self._started -= 1
                    raise
            try:
                return self._idle.get(timeout=1.0)
            except queue.Empty:
                continue

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if healthy and not self._closed:
            self._idle.put(worker)
            return
        worker.kill()
        with self._lock:
            self._started -= 1

    def _execute(
        self, code: str, function_name: str, examples: list[Example], package: str
    ) -> CandidateRun:
        job = {
            "code": code,
            "function_name": function_name,
            "package": package,
            "examples": [
                {
                    "call": e.call,
                    "expected": e.expected,
                    "setup": list(e.setup),
                    "observed": e.observed,
                    "drain": e.drain,
                    "timeout_s": e.timeout_s,
                }
                for e in examples
            ],
            "timeout_s": self.settings.timeout_s,
            "memory_mb": self.settings.memory_mb,
            "sys_path": self.project_paths,
            "nonce": secrets.token_hex(16),
        }
        try:
            worker = self._acquire()
        except (WorkerError, OSError) as error:
            return _failed_run(examples, f"sandbox unavailable: {error}", self._level)
        healthy = True
        try:
            if not worker.hello.get("seccomp"):
                log.error(
                    "sandbox: seccomp is unavailable in the worker (%s); candidates cannot run",
                    worker.hello.get("why"),
                )
            response = worker.request(job, self.settings.timeout_s + PARENT_SLACK_S)
        except WorkerError as error:
            healthy = False
            log.warning("sandbox: %s", error)
            if error.timed_out:
                return _failed_run(examples, "timeout", self._level, status="timeout")
            return _failed_run(examples, f"sandbox worker failed: {error}", self._level)
        finally:
            self._release(worker, healthy)
        return judge(examples, response, self._level, str(job["nonce"]))


def _close_workers(idle: queue.LifoQueue[_Worker]) -> None:
    while True:
        try:
            worker = idle.get_nowait()
        except queue.Empty:
            return
        worker.kill()


def _check_package(package: str) -> None:
    if package and not all(part.isidentifier() for part in package.split(".")):
        raise ValueError(f"package {package!r} is not a dotted name like 'shapes.geometry'")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _examples_hash(examples: Sequence[Example]) -> str:
    return _hash(json.dumps([asdict(e) for e in examples], sort_keys=True))


def _failed_run(
    examples: Sequence[Example], reason: str, level: str, status: ExampleStatus = "error"
) -> CandidateRun:
    return CandidateRun(
        results=[ExampleResult(example=e, status=status, exception=reason) for e in examples],
        error=reason,
        isolation=level,
    )


def judge(
    examples: Sequence[Example], response: dict[str, Any], level: str, nonce: str = ""
) -> CandidateRun:
    """Turn the worker's event lines into per-example verdicts (comparisons happen here).

    Only lines that start with the run's ``nonce`` count; anything else was written by the
    candidate itself.
    """
    expected: dict[int, dict[str, Any]] = {}
    outcomes: dict[int, dict[str, Any]] = {}
    module: dict[str, Any] | None = None
    fatal: str | None = None
    prefix = nonce + " "
    for line in response.get("lines", []):
        if not line.startswith(prefix):
            continue
        try:
            event = json.loads(line[len(prefix) :])
        except ValueError:
            continue  # garbage written to the result pipe by the candidate itself
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        index = event.get("index")
        if kind == "fatal":
            fatal = str(event.get("error"))
        elif kind == "module" and module is None:
            module = event
        elif kind == "expected" and isinstance(index, int) and index not in expected:
            expected[index] = event
        elif kind == "example" and isinstance(index, int) and index not in outcomes:
            outcomes[index] = event
    timed_out = bool(response.get("timed_out"))
    exit_note = str(response.get("exit", "unknown exit"))
    if fatal is not None:
        return _failed_run(examples, fatal, level)
    if module is None or not module.get("ok"):
        if module is None:
            reason = "timeout" if timed_out else f"the worker died loading the code ({exit_note})"
        else:
            reason = str(module.get("error"))
        status: ExampleStatus = "timeout" if timed_out or (module or {}).get("timeout") else "error"
        run = _failed_run(examples, reason, level, status=status)
        if module is not None and module.get("stdout"):
            for result in run.results:
                result.stdout = str(module["stdout"])
        return run
    results = []
    for index, example in enumerate(examples):
        outcome = outcomes.get(index)
        if outcome is None:
            if timed_out:
                results.append(ExampleResult(example=example, status="timeout"))
            else:
                note = f"the candidate ended the worker during this example ({exit_note})"
                results.append(ExampleResult(example=example, status="error", exception=note))
            continue
        results.append(_judge_one(example, outcome, expected.get(index)))
    return CandidateRun(results=results, isolation=level)


def _judge_one(
    example: Example, outcome: dict[str, Any], expected: dict[str, Any] | None
) -> ExampleResult:
    result = ExampleResult(
        example=example,
        status="failed",
        actual_type=outcome.get("type"),
        actual_repr=outcome.get("repr"),
        exception=outcome.get("exception"),
        stdout=str(outcome.get("stdout") or ""),
        seconds=float(outcome.get("seconds") or 0.0),
    )
    if outcome.get("timeout"):
        result.status = "timeout"
        return result
    if outcome.get("exception") is not None:
        raised = str(outcome.get("exception_type"))
        result.status = "passed" if example.expected_exception == raised else "error"
        return result
    if example.expected_exception is not None:
        return result  # returned normally where an exception was expected: failed
    actual = decode(outcome.get("value"))
    result.value_digest = hashlib.sha256(canonical(outcome.get("value")).encode()).hexdigest()
    # An observed call returns its result at the head of a list of what it changed: the
    # fields are the result's (a club's `leave` returning `list[Ride]` was once read as a list
    # whose first item is a list, and counted against as the wrong type).
    returned = _result_part(outcome.get("value"), example.observed)
    result.field_types = field_types(returned)
    if example.kind == "probe":  # nothing to compare with: it ran, and returned this value
        result.status = "passed"
        return result
    if example.expected is not None:
        if expected is None or "error" in expected:
            why = expected.get("error") if expected else "not evaluated"
            result.status = "error"
            result.exception = f"the expected value {example.expected!r} failed: {why}"
            return result
        if example.kind == "doctest" and result.stdout and actual is not None:
            # doctest compares everything written: what the body printed, then the value's
            # repr. Debug output before a right value fails there, so it fails here too.
            got = result.stdout + (result.actual_repr or repr(actual)) + "\n"
            if output_matches(got, example.expected + "\n", example.options):
                result.status = "passed"
        elif equal(actual, decode(expected.get("value")), as_written=example.kind == "doctest"):
            # A doctest's int is not a float: `python -m doctest` would fail 850.0 for 850.
            result.status = "passed"
        elif example.kind == "doctest" and actual is None and result.stdout:
            # A doctest whose function prints its answer instead of returning it.
            want = example.expected + "\n"
            if output_matches(result.stdout, want, example.options):
                result.status = "passed"
        return result
    want = example.expected_output or ""
    got = result.stdout
    if actual is not None:
        got += (result.actual_repr or repr(actual)) + "\n"
    if output_matches(got, want, example.options):
        result.status = "passed"
    return result


def _result_part(encoded: Any, observed: bool) -> Any:
    """Return the encoded result of a call: an observed call's is its list's first item."""
    if not observed:
        return encoded
    if (
        isinstance(encoded, list)
        and len(encoded) == 2
        and encoded[0] == "list"
        and isinstance(encoded[1], list)
        and encoded[1]
    ):
        return encoded[1][0]
    return None
