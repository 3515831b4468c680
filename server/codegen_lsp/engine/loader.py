"""Turns the model settings into a ready engine, preparing the model on first use.

The language server, the CLI and the evaluation harness all call :func:`load_engine`; on a fresh
machine it pulls and exports the model through exactly the code ``codegen-lsp models export``
runs, reporting each step to ``progress`` (the server shows them to the user).
"""

from __future__ import annotations

import logging

from codegen_lsp.engine import models
from codegen_lsp.engine.onnx_backend import OnnxEngine
from codegen_lsp.engine.types import Engine
from codegen_lsp.settings import ModelSettings

log = logging.getLogger(__name__)


def load_engine(settings: ModelSettings, progress: models.Progress | None = None) -> Engine:
    """Return the ONNX Runtime engine for ``settings.name`` at ``settings.precision``.

    Raises :class:`~codegen_lsp.engine.models.ModelError` with a message that names the fix
    when the model cannot be prepared or loaded.
    """
    if settings.remote_url:  # scale-out backends (engine/remote.py, engine/daemon.py)
        from codegen_lsp.engine.remote import load_remote

        return load_remote(settings, progress)
    if settings.shared:
        from codegen_lsp.engine.daemon import load_shared

        return load_shared(settings, progress)
    directory = models.export(
        settings.name, settings.precision, cache=settings.cache_dir, progress=progress
    )
    if progress is not None:
        progress(f"loading {settings.name} from {directory}")
    return OnnxEngine(
        directory,
        device=settings.device,
        threads=settings.threads,
        name=f"{settings.name}:{directory.name.removeprefix('onnx-')}",
    )
