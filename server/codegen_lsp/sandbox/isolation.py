"""Which operating-system isolation the sandbox's workers get, probed once per process.

Three levels, strongest first:

- ``bubblewrap``: the worker runs under ``bwrap`` in new user, network, PID, IPC, UTS and cgroup
  namespaces, sees a read-only system (``/usr``, ``/lib*``, ``/bin``, ``/sbin``, the interpreter's
  installation, its virtual environment and whatever its ``sys.path`` holds), the project folders
  it was given, read-only, a private empty working directory that is also its home and
  ``TMPDIR``, and nothing else: no ``/home``, no ``/root``, no other files, no network.
- ``namespaces``: ``unshare`` gives new user, network, PID, IPC and UTS namespaces: no network and
  no view of other processes, but the file system is the user's own.
- ``none``: a plain process.

At every level the worker itself adds resource limits and a seccomp filter (compiled by
``seccomp.py`` in the server) before any candidate code runs (see ``_worker.py``), so network
access and process creation are blocked even at ``none``; where the kernel has Landlock, it also
confines reads to the same directories bubblewrap shows. What each level does not protect is said
in :func:`weaknesses`.

The worker runs under the project's interpreter (:func:`describe_interpreter` checks it and finds
the directories it reads), or under the server's own when none is given.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

LEVELS = ("bubblewrap", "namespaces", "none")
WORKER_SCRIPT = Path(__file__).with_name("_worker.py")
SANDBOX_WORKER_PATH = "/sandbox/worker.py"
SANDBOX_WORK_DIR = "/sandbox/work"
_PROBE_TIMEOUT_S = 10.0
MIN_WORKER_PYTHON = (3, 8)
"""The oldest Python ``_worker.py`` runs on: its syntax is 3.8's (the tests parse it with that
``feature_version`` and run it under a real 3.8 where one is installed) and the one newer call it
makes, ``os.pidfd_open`` (3.9), is optional. Older interpreters get :class:`InterpreterError`."""
INTERPRETER_PROBE_TIMEOUT_S = 10.0
SYSTEM_ROOTS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

_probe_lock = threading.Lock()
_probed: dict[str, bool] = {}


def available(level: str) -> bool:
    """Whether ``level`` works on this machine (probed once, by running ``true`` under it)."""
    if level == "none":
        return True
    with _probe_lock:
        if level not in _probed:
            _probed[level] = _probe(level)
        return _probed[level]


def best_level(requested: str = "auto") -> str:
    """Return the strongest level at or below ``requested`` that works here."""
    candidates = LEVELS if requested == "auto" else LEVELS[LEVELS.index(requested) :]
    for level in candidates:
        if available(level):
            if requested not in ("auto", level):
                log.warning(
                    "sandbox: isolation level %r is unavailable here; using %r instead",
                    requested,
                    level,
                )
            return level
    return "none"


def landlock_abi() -> int:
    """Return the kernel's Landlock ABI version (0 when Landlock is unavailable)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        version = int(libc.syscall(444, None, ctypes.c_size_t(0), 1))
    except (OSError, AttributeError):
        return 0
    return max(version, 0)


def weaknesses(level: str) -> list[str]:
    """Plain statements of what ``level`` does not protect against."""
    if level == "bubblewrap":
        return []
    if landlock_abi() > 0:
        notes = [
            "no private file system (bubblewrap missing or not working): files are guarded "
            "by Landlock alone (reads limited to the system and Python directories, writes to "
            "a private temporary directory); install the 'bubblewrap' package for more"
        ]
    else:
        notes = [
            "candidates can read and write every file this user can (neither bubblewrap nor "
            "Landlock is available); install the 'bubblewrap' package"
        ]
    if level == "none":
        notes.append(
            "no network or PID namespace at this level: candidates could see this user's "
            "processes, but seccomp still denies sockets, exec, new processes and signals to "
            "other processes"
        )
    return notes


_SECRET_NAMES = (".ssh", ".gnupg", ".aws", ".netrc", ".password-store", ".kube", ".docker")


def check_project_path(path: str) -> str:
    """Return ``path`` resolved if candidates may read it, else raise ``ValueError``.

    A project directory is shown to candidates read-only (so that ``import mypackage`` works);
    the home directory itself, its ancestors and directories holding credentials never are.
    """
    resolved = os.path.realpath(path)
    if not os.path.isdir(resolved):
        raise ValueError(f"{path} is not a directory")
    problem = _exposure_problem(resolved)
    if problem:
        raise ValueError(f"{path} {problem}")
    return resolved


def _exposure_problem(resolved: str) -> str:
    """Say why candidates must not read the (resolved) ``path``; empty when they may."""
    home = os.path.realpath(os.path.expanduser("~"))
    if resolved == "/" or home == resolved or home.startswith(resolved.rstrip("/") + "/"):
        return "contains your home directory; give the project's own directory instead"
    inside = [name for name in _SECRET_NAMES if name in Path(resolved).parts]
    if inside:
        return f"lies inside a credentials directory ({inside[0]}); it cannot be shared"
    if os.path.isdir(resolved):
        found = [name for name in _SECRET_NAMES if os.path.exists(os.path.join(resolved, name))]
        if found:
            return f"holds credentials ({', '.join(found)}); it cannot be shared"
    return ""


# --- the project's interpreter -----------------------------------------------------------------


class InterpreterError(ValueError):
    """The interpreter cannot run the sandbox's worker; the message says why and what to do."""


@dataclass(frozen=True)
class InterpreterInfo:
    """A Python interpreter the worker can run under, and the directories it reads."""

    executable: str
    """The absolute path to start (a virtualenv's ``bin/python`` stays as it is, unresolved)."""
    version: tuple[int, int, int]
    roots: tuple[str, ...]
    """Its prefixes, standard library, site-packages, ``sys.path`` entries (as ``python -I``
    sees them, ``.pth`` additions included) and executable directories: what bubblewrap binds
    and Landlock lets it read. Never the home directory, an ancestor of it or credentials."""


PROBE_MARKER = "codegen-lsp-interpreter-probe-1"
# Valid Python 2 as well (no f-strings, no print function), so that even an interpreter too old
# for the worker answers with its version and gets a clear "too old" rather than a SyntaxError.
_PROBE_CODE = f"""
import json, sys
try:
    import sysconfig
    paths = sysconfig.get_paths()
except Exception:
    paths = {{}}
info = {{
    "marker": "{PROBE_MARKER}",
    "executable": sys.executable,
    "version": list(sys.version_info[:3]),
    "prefixes": [
        sys.prefix,
        getattr(sys, "base_prefix", sys.prefix),
        sys.exec_prefix,
        getattr(sys, "base_exec_prefix", sys.exec_prefix),
    ],
    "sysconfig": [paths.get(k, "") for k in ("stdlib", "platstdlib", "purelib", "platlib")],
    "path": [p for p in sys.path if p],
}}
sys.stdout.write("\\n" + json.dumps(info) + "\\n")
"""
_HOW_TO_FIX = (
    "give the project's Python 3 interpreter, e.g. <project>/.venv/bin/python, or leave it "
    "empty to use the server's own"
)

_interpreter_lock = threading.Lock()
_interpreters: dict[tuple[str, int, int], InterpreterInfo] = {}


def describe_interpreter(
    python: str, timeout_s: float = INTERPRETER_PROBE_TIMEOUT_S
) -> InterpreterInfo:
    """Check that ``python`` can run the worker and find the directories it reads.

    Runs it once (``python -I -c ...``, at most ``timeout_s``); the answer is cached per path
    and modification time, so a recreated virtualenv is probed again. Raises
    :class:`InterpreterError` when it does not exist, is not executable, is not a Python, does
    not answer in time, or is older than :data:`MIN_WORKER_PYTHON`.
    """
    path = _locate(python)
    try:
        # The link's own time changes when a virtualenv is recreated; the target's on upgrade.
        key = (path, os.lstat(path).st_mtime_ns, os.stat(path).st_mtime_ns)
    except OSError as error:
        raise InterpreterError(f"cannot use {python} as the Python interpreter: {error}") from error
    with _interpreter_lock:
        known = _interpreters.get(key)
    if known is not None:
        return known
    info = _probe_interpreter(python, path, timeout_s)
    with _interpreter_lock:
        _interpreters[key] = info
    return info


def _locate(python: str) -> str:
    """Return the absolute path of ``python`` (a bare name is looked up on PATH), or raise."""
    if os.sep not in python:
        found = shutil.which(python)
        if found is None:
            raise InterpreterError(f"the Python interpreter {python} is not on PATH; {_HOW_TO_FIX}")
        python = found
    # abspath, not realpath: a virtualenv's bin/python is a link, and following it would lose
    # the virtualenv (its pyvenv.cfg sits next to the link, not next to the target).
    path = os.path.abspath(python)
    if not os.path.lexists(path):
        raise InterpreterError(f"the Python interpreter {python} does not exist; {_HOW_TO_FIX}")
    if not os.path.exists(path):
        raise InterpreterError(
            f"the Python interpreter {python} is a broken link (to {os.readlink(path)}); "
            f"recreate the virtualenv or {_HOW_TO_FIX}"
        )
    if os.path.isdir(path):
        inside = os.path.join(path, "bin", "python")
        hint = f"give {inside}" if os.path.exists(inside) else _HOW_TO_FIX
        raise InterpreterError(f"the Python interpreter {python} is a directory; {hint}")
    if not os.access(path, os.X_OK):
        raise InterpreterError(
            f"the Python interpreter {python} is not executable; make it executable "
            f"(chmod +x) if it is a Python, or {_HOW_TO_FIX}"
        )
    return path


def _probe_interpreter(python: str, path: str, timeout_s: float) -> InterpreterInfo:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": os.path.expanduser("~"),  # for launchers (pyenv shims) that look under it
        "LANG": "C.UTF-8",
    }
    try:
        process = subprocess.Popen(
            [path, "-I", "-c", _PROBE_CODE],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd="/",
            env=env,
            start_new_session=True,  # so that a timeout kills whatever it started, too
        )
    except OSError as error:
        raise InterpreterError(
            f"cannot run the Python interpreter {python}: {error}; {_HOW_TO_FIX}"
        ) from error
    with process:
        try:
            out, err = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise InterpreterError(
                f"the Python interpreter {python} did not answer within {timeout_s:g} s when "
                f"asked for its version; check that `{python} -c pass` runs, or {_HOW_TO_FIX}"
            ) from None
    said = " ".join(err.decode("utf-8", "replace").split())  # one line, for logs and editors
    if process.returncode != 0:
        if re.search(r"nknown option:? -I", said):  # Python 2 and 3.0-3.3 lack -I
            raise InterpreterError(
                f"the Python interpreter {python} is too old (it does not know -I, so it is "
                f"older than Python 3.4); the sandbox needs Python "
                f"{_dotted(MIN_WORKER_PYTHON)} or newer: {_HOW_TO_FIX}"
            )
        raise InterpreterError(
            f"{python} does not look like a Python interpreter (exit status "
            f"{process.returncode}: {said[-300:] or 'it printed nothing'}); {_HOW_TO_FIX}"
        )
    found = _parse_probe(out.decode("utf-8", "replace"))
    if found is None:
        printed = out.decode("utf-8", "replace").strip()[-200:] or "nothing"
        raise InterpreterError(
            f"{python} does not look like a Python interpreter (asked for its version, it "
            f"printed {printed!r}); {_HOW_TO_FIX}"
        )
    version = found.version
    if version[:2] < MIN_WORKER_PYTHON:
        raise InterpreterError(
            f"the Python interpreter {python} is Python {_dotted(version)}, older than the "
            f"{_dotted(MIN_WORKER_PYTHON)} the sandbox needs; give a newer one (recreate the "
            f"project's virtualenv with Python {_dotted(MIN_WORKER_PYTHON)} or newer), or leave "
            "it empty to use the server's own"
        )
    executable = found.executable
    # A launcher (a pyenv shim) reports the interpreter it started: run that one directly, since
    # the launcher's own files are not shown inside the sandbox.
    if not (os.path.isabs(executable) and os.access(executable, os.X_OK)):
        executable = path
    wanted = [
        *found.prefixes,
        *found.sysconfig,
        os.path.dirname(path),
        os.path.dirname(os.path.realpath(path)),
        os.path.dirname(executable),
        os.path.dirname(os.path.realpath(executable)),
        *found.path,
    ]
    return InterpreterInfo(
        executable=executable,
        version=version,
        roots=_exposable(python, wanted),
    )


class _ProbeAnswer(NamedTuple):
    version: tuple[int, int, int]
    executable: str
    prefixes: list[str]
    sysconfig: list[str]
    path: list[str]


def _parse_probe(out: str) -> _ProbeAnswer | None:
    """Return the probe's answer (the last line that is one), or None when it printed garbage.

    Start-up code (``sitecustomize``, ``.pth`` files) may print first, hence the last line.
    """
    for line in reversed(out.splitlines()):
        try:
            answer = json.loads(line)
        except ValueError:
            continue
        if not isinstance(answer, dict) or answer.get("marker") != PROBE_MARKER:
            continue
        version = answer.get("version")
        if not (
            isinstance(version, list)
            and len(version) >= 3
            and all(isinstance(part, int) for part in version[:3])
        ):
            return None
        executable = answer.get("executable")
        return _ProbeAnswer(
            version=(version[0], version[1], version[2]),
            executable=executable if isinstance(executable, str) else "",
            prefixes=_strings(answer.get("prefixes")),
            sysconfig=_strings(answer.get("sysconfig")),
            path=_strings(answer.get("path")),
        )
    return None


def _strings(items: object) -> list[str]:
    return [item for item in items if isinstance(item, str)] if isinstance(items, list) else []


def _exposable(python: str, wanted: Sequence[str]) -> tuple[str, ...]:
    """Keep the existing absolute paths candidates may read, in order, each once.

    A path that is a link is kept with its target (bubblewrap recreates the link and binds the
    target). A path that is, or contains, the home directory, or holds credentials, is dropped
    and logged rather than refused: a stray ``.pth`` entry must not keep the project's Python
    from running its examples.
    """
    kept: dict[str, None] = {}
    for entry in wanted:
        if not entry or not os.path.isabs(entry):
            continue
        entry = os.path.normpath(entry)
        if not os.path.exists(entry):
            continue
        resolved = os.path.realpath(entry)
        problem = _exposure_problem(resolved)
        if problem:
            log.warning(
                "sandbox: not showing %s (which %s reads) to candidates: it %s",
                entry,
                python,
                problem,
            )
            continue
        kept[entry] = None
        kept[resolved] = None
    return tuple(kept)


def _dotted(version: Sequence[int]) -> str:
    return ".".join(str(part) for part in version)


def command(level: str, python: str | None = None, project_paths: Sequence[str] = ()) -> list[str]:
    """Return the argv that starts a worker at ``level`` (``python -I _worker.py`` inside it).

    ``python`` (default: the server's own) is checked with :func:`describe_interpreter`;
    ``project_paths`` (checked with :func:`check_project_path`) are readable by candidates.
    """
    executable = describe_interpreter(python or sys.executable).executable
    # The worker confines its children's reads to these roots with Landlock where it can.
    roots = json.dumps([*_read_only_roots(executable), "/etc/ld.so.cache", *project_paths])
    if level == "bubblewrap":
        prefix = _bubblewrap_prefix(executable, project_paths)
        return [*prefix, executable, "-I", SANDBOX_WORKER_PATH, roots]
    inner = [executable, "-I", str(WORKER_SCRIPT), roots]
    if level == "namespaces":
        return [*_unshare_prefix(), *inner]
    return inner


def _unshare_prefix() -> list[str]:
    unshare = shutil.which("unshare") or "unshare"
    return [
        unshare,
        "--user",
        "--map-root-user",
        "--net",
        "--ipc",
        "--uts",
        "--pid",
        "--fork",
        "--kill-child",
    ]


def _read_only_roots(python: str) -> list[str]:
    """Directories the worker needs to read: the system and ``python``'s installation."""
    roots = {*SYSTEM_ROOTS, *describe_interpreter(python).roots}
    existing = sorted(root for root in roots if root and os.path.exists(root))
    # Drop roots already inside another root: bwrap binds each once.
    kept: list[str] = []
    for root in existing:
        if not any(root == k or root.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(root)
    return kept


def _bubblewrap_prefix(python: str, project_paths: Sequence[str] = ()) -> list[str]:
    bwrap = shutil.which("bwrap") or "bwrap"
    argv = [
        bwrap,
        "--unshare-all",
        # No --new-session: the worker must stay in the process group the parent kills (the
        # parent already starts it in a new session, away from any terminal).
        "--cap-drop",
        "ALL",
        "--clearenv",
        "--setenv",
        "HOME",
        SANDBOX_WORK_DIR,
        "--setenv",
        "TMPDIR",
        SANDBOX_WORK_DIR,
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        # An empty /tmp, read-only once the roots that live below it (a virtualenv or project
        # in /tmp) are bound: the candidates' writable directory is elsewhere, so that the
        # zygote can empty it between candidates without walking those binds, and nothing a
        # candidate writes outlives its run.
        "--tmpfs",
        "/tmp",
    ]
    for root in _read_only_roots(python):
        if os.path.islink(root):
            argv += ["--symlink", os.readlink(root), root]
        else:
            argv += ["--ro-bind", root, root]
    for path in project_paths:
        argv += ["--ro-bind", path, path]
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    argv += [
        "--remount-ro",
        "/tmp",
        "--ro-bind",
        str(WORKER_SCRIPT),
        SANDBOX_WORKER_PATH,
        "--tmpfs",
        SANDBOX_WORK_DIR,
        "--chdir",
        SANDBOX_WORK_DIR,
    ]
    return argv


def _probe(level: str) -> bool:
    tool = "bwrap" if level == "bubblewrap" else "unshare"
    if shutil.which(tool) is None:
        log.info("sandbox: %s not found; isolation level %r unavailable", tool, level)
        return False
    try:
        if level == "bubblewrap":
            argv = [*_bubblewrap_prefix(sys.executable), sys.executable, "-I", "-c", "pass"]
        else:
            argv = [*_unshare_prefix(), sys.executable, "-I", "-c", "pass"]
    except InterpreterError as error:
        log.warning("sandbox: the server's own Python cannot run the worker: %s", error)
        return False
    try:
        completed = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.info("sandbox: probing %r failed: %s", level, error)
        return False
    if completed.returncode != 0:
        log.info(
            "sandbox: %r unavailable (exit %d): %s",
            level,
            completed.returncode,
            completed.stderr.decode("utf-8", "replace").strip()[:300],
        )
        return False
    return True
