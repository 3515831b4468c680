"""Which operating-system isolation the sandbox's workers get, probed once per process.

Three levels, strongest first:

- ``bubblewrap``: the worker runs under ``bwrap`` in new user, network, PID, IPC, UTS and cgroup
  namespaces, sees a read-only system (``/usr``, ``/lib*``, ``/bin``, ``/sbin``, the Python
  installation and its virtual environment), a private empty ``/tmp`` as its working directory and
  home, and nothing else: no ``/home``, no ``/root``, no project files, no network.
- ``namespaces``: ``unshare`` gives new user, network, PID, IPC and UTS namespaces: no network and
  no view of other processes, but the file system is the user's own.
- ``none``: a plain process.

At every level the worker itself adds resource limits and a seccomp filter before any candidate
code runs (see ``_worker.py``), so network access and process creation are blocked even at
``none``. What each level does not protect is said in :func:`weaknesses`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

LEVELS = ("bubblewrap", "namespaces", "none")
WORKER_SCRIPT = Path(__file__).with_name("_worker.py")
SANDBOX_WORKER_PATH = "/sandbox/worker.py"
_PROBE_TIMEOUT_S = 10.0

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
    home = os.path.realpath(os.path.expanduser("~"))
    if resolved == "/" or home == resolved or home.startswith(resolved.rstrip("/") + "/"):
        raise ValueError(
            f"{path} contains your home directory; give the project's own directory instead"
        )
    found = [name for name in _SECRET_NAMES if os.path.exists(os.path.join(resolved, name))]
    if found:
        raise ValueError(f"{path} holds credentials ({', '.join(found)}); it cannot be shared")
    return resolved


def command(level: str, python: str | None = None, project_paths: Sequence[str] = ()) -> list[str]:
    """Return the argv that starts a worker at ``level`` (``python -I _worker.py`` inside it).

    ``project_paths`` (checked with :func:`check_project_path`) are readable by candidates.
    """
    python = python or sys.executable
    # The worker confines its children's reads to these roots with Landlock where it can.
    roots = json.dumps([*_read_only_roots(python), "/etc/ld.so.cache", *project_paths])
    if level == "bubblewrap":
        prefix = _bubblewrap_prefix(python)
        for path in project_paths:
            prefix += ["--ro-bind", path, path]
        return [*prefix, python, "-I", SANDBOX_WORKER_PATH, roots]
    inner = [python, "-I", str(WORKER_SCRIPT), roots]
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
    """Directories the worker needs to read: the system and this Python installation."""
    roots = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if key in paths:
            roots.add(paths[key])
    roots.update({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
    roots.add(str(Path(python).parent))
    roots.add(str(Path(os.path.realpath(python)).parent))
    existing = sorted(root for root in roots if root and os.path.exists(root))
    # Drop roots already inside another root: bwrap binds each once.
    kept: list[str] = []
    for root in existing:
        if not any(root == k or root.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(root)
    return kept


def _bubblewrap_prefix(python: str) -> list[str]:
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
        "/tmp",
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
        "--tmpfs",
        "/tmp",
        "--chdir",
        "/tmp",
    ]
    for root in _read_only_roots(python):
        if os.path.islink(root):
            argv += ["--symlink", os.readlink(root), root]
        else:
            argv += ["--ro-bind", root, root]
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    argv += ["--ro-bind", str(WORKER_SCRIPT), SANDBOX_WORKER_PATH]
    return argv


def _probe(level: str) -> bool:
    tool = "bwrap" if level == "bubblewrap" else "unshare"
    if shutil.which(tool) is None:
        log.info("sandbox: %s not found; isolation level %r unavailable", tool, level)
        return False
    if level == "bubblewrap":
        argv = [*_bubblewrap_prefix(sys.executable), sys.executable, "-I", "-c", "pass"]
    else:
        argv = [*_unshare_prefix(), sys.executable, "-I", "-c", "pass"]
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
