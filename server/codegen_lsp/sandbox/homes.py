"""The sandbox workers' home directories, and the sweep of those a dead server left behind.

Every worker runs with a fresh, empty ``HOME`` and ``TMPDIR`` of its own under the system's
temporary directory; whatever a candidate writes lands there, and the directory goes when the
worker does. A server that is killed (``SIGKILL``, a crash, an editor that never sends
``exit``) cannot remove them, so each name carries the server's process id
(``codegen-lsp-sandbox-<pid>-<random>``), and the first sandbox a later server opens removes
the directories whose server is no longer running. Only directories of this user are touched,
never through a symbolic link; one whose server still runs (or whose process id now belongs to
another process) is left alone.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading

log = logging.getLogger(__name__)

PREFIX = "codegen-lsp-sandbox-"
"""Start of every worker home's name; the owning server's process id follows."""

_swept = False
_sweep_lock = threading.Lock()


def make() -> str:
    """Create a new, empty worker home owned by this process (mode 0700) and return its path."""
    return tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")


def remove(path: str) -> None:
    """Remove a worker home and everything a candidate wrote into it."""
    shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    """Tell whether a process with this id exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(name: str) -> int | None:
    """Return the server process id in a worker home's name (None for any other name)."""
    if not name.startswith(PREFIX):
        return None
    pid, _, rest = name[len(PREFIX) :].partition("-")
    return int(pid) if pid.isdigit() and rest else None


def sweep(root: str | None = None) -> list[str]:
    """Remove the worker homes under ``root`` whose server is gone; return their paths."""
    root = root or tempfile.gettempdir()
    removed: list[str] = []
    try:
        entries = list(os.scandir(root))
    except OSError as error:
        log.warning("sandbox: could not look for stale worker homes in %s: %s", root, error)
        return removed
    for entry in entries:
        pid = _owner(entry.name)
        if pid is None or pid == os.getpid() or _running(pid):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        remove(entry.path)
        removed.append(entry.path)
    if removed:
        log.info("sandbox: removed %d worker homes left by servers no longer running", len(removed))
    return removed


def sweep_once() -> None:
    """Sweep the system's temporary directory, once per process."""
    global _swept
    with _sweep_lock:
        if _swept:
            return
        _swept = True
    sweep()
