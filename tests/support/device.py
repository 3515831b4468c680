"""Where the engine tests run and what they load: the CPU by default, CUDA on a GPU machine.

``CODEGEN_LSP_TEST_DEVICE=cuda`` makes the engines the tests are about (the tiny model's
fixtures) run on ONNX Runtime's CUDA provider; a reference that a test builds for itself stays
on the CPU, so those tests hold the GPU's tokens and log-probs to the CPU's.
``CODEGEN_LSP_TEST_TINY=DIR`` loads the tiny model and its graphs from DIR, as
:func:`support.tiny_model.prebuild` wrote them: a GPU machine has neither this project's
exporters nor a network. ``scripts/gpu_check.py run`` sets both.
"""

from __future__ import annotations

import os
from pathlib import Path

DEVICE = os.environ.get("CODEGEN_LSP_TEST_DEVICE", "cpu")
_PREBUILT = os.environ.get("CODEGEN_LSP_TEST_TINY", "")


def on_prebuilt_graphs() -> bool:
    """Whether the tests load prebuilt graphs (and the exporters may be missing)."""
    return bool(_PREBUILT)


def prebuilt(name: str) -> Path | None:
    """The prebuilt directory ``name`` under ``CODEGEN_LSP_TEST_TINY``; None when not set."""
    if not _PREBUILT:
        return None
    path = Path(_PREBUILT).resolve() / name
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is missing: run scripts/gpu_check.py stage")
    return path
