"""The model directory lock: exclusive across processes, re-entrant within one."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from codegen_lsp.engine import models


def _in_thread(target: object, seconds: float) -> bool:
    """Run ``target`` in a daemon thread; tell whether it finished within ``seconds``."""
    worker = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    worker.start()
    worker.join(seconds)
    return not worker.is_alive()


def test_lock_is_reentrant_so_export_can_call_pull(tmp_path: Path) -> None:
    entered: list[int] = []

    def nested() -> None:
        with models._locked(tmp_path), models._locked(tmp_path):
            entered.append(1)

    assert _in_thread(nested, 10), "taking the lock twice in one thread deadlocked"
    assert entered == [1]


def test_lock_excludes_another_process_until_released(tmp_path: Path) -> None:
    probe = (
        "import fcntl, sys\n"
        f"handle = open({str(tmp_path / '.lock')!r}, 'w')\n"
        "try:\n"
        "    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n"
        "    sys.exit(3)\n"
    )
    with models._locked(tmp_path), models._locked(tmp_path):
        pass
    with models._locked(tmp_path):
        with models._locked(tmp_path):
            held = subprocess.run([sys.executable, "-c", probe], check=False)
        still_held = subprocess.run([sys.executable, "-c", probe], check=False)
    released = subprocess.run([sys.executable, "-c", probe], check=False)
    assert held.returncode == 3
    assert still_held.returncode == 3, "the inner exit released the outer hold"
    assert released.returncode == 0
