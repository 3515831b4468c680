"""Turns the model settings into a ready engine: remote, shared, or local.

The language server, the CLI and the evaluation harness all call :func:`load_engine`. With
``model.remoteUrl`` the samples come from an inference server (``remote.py``); with
``model.shared`` from the one model process of this machine (``shared.py``); otherwise the model
runs here (``local.py``, which prepares it on first use). The backends never import this module:
what they fall back to is :func:`~codegen_lsp.engine.local.load_local`.
"""

from __future__ import annotations

from codegen_lsp.engine import models
from codegen_lsp.engine.local import load_local, prepare_model
from codegen_lsp.engine.remote import load_remote
from codegen_lsp.engine.shared import load_shared
from codegen_lsp.engine.types import Engine
from codegen_lsp.settings import ModelSettings

__all__ = ["load_engine", "load_local", "prepare_model"]


def load_engine(settings: ModelSettings, progress: models.Progress | None = None) -> Engine:
    """Return the engine ``settings`` ask for (see the module doc).

    Raises :class:`~codegen_lsp.engine.models.ModelError` with a message that names the fix
    when the model cannot be prepared or loaded.
    """
    if settings.remote_url:
        return load_remote(settings, progress)
    if settings.shared:
        return load_shared(settings, progress)
    return load_local(settings, progress)
