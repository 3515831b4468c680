"""The model on this machine: prepare its ONNX graphs on first use, then load them.

:func:`prepare_model` pulls and exports the model through exactly the code ``codegen-lsp models
export`` runs, reporting each step to ``progress``; on a GPU it prepares the graph built for
CUDA (int4 with float16 activations, ``onnx-int4-cuda``) instead of the CPU one. On the CPU
:func:`prepare_int8_graph` also prepares the int8 graph that runs prompts and batches
(``model.int8Graph``).
:func:`load_local` loads them into ONNX Runtime in this process. The scale-out backends
(``remote.py``, ``shared.py``) fall back to it; :func:`~codegen_lsp.engine.loader.load_engine`
chooses among them all.
"""

from __future__ import annotations

import logging
from pathlib import Path

from codegen_lsp.engine import models
from codegen_lsp.engine.onnx_backend import OnnxEngine, uses_cuda
from codegen_lsp.engine.types import Engine
from codegen_lsp.settings import ModelSettings

log = logging.getLogger(__name__)


def load_local(settings: ModelSettings, progress: models.Progress | None = None) -> Engine:
    """Return the ONNX Runtime engine for ``settings.name`` at ``settings.precision``, here.

    Raises :class:`~codegen_lsp.engine.models.ModelError` with a message that names the fix
    when the model cannot be prepared or loaded.
    """
    directory = prepare_model(settings, progress)
    int8_graph = prepare_int8_graph(settings, directory, progress)
    if progress is not None:
        progress(f"loading {settings.name} from {directory}")
    return OnnxEngine(
        directory,
        device=settings.device,
        threads=settings.threads,
        spin=settings.spin,
        name=f"{settings.name}:{directory.name.removeprefix('onnx-')}",
        int8_directory=int8_graph,
        shared_prompt=settings.rows_share_prompt,
    )


def prepare_int8_graph(
    settings: ModelSettings, directory: Path, progress: models.Progress | None = None
) -> Path | None:
    """Return the int8 graph that shares ``directory``'s cache, building it on first use.

    None when ``settings.int8_graph`` is off or it does not apply: a CUDA device, a graph
    other than onnxruntime-genai's int4 for the CPU, a model given as an ONNX directory. A
    build that fails is logged and told to ``progress``; the int4 graph then runs it all.
    """
    if not settings.int8_graph:
        return None
    manifest = models.read_manifest(directory)
    if uses_cuda(settings.device) or manifest.get("target", "cpu") != "cpu":
        return None
    if manifest.get("builder") != "onnxruntime-genai" or manifest.get("precision") != "int4":
        log.info("no int8 graph for %s: it pairs with onnxruntime-genai's int4 graphs", directory)
        return None
    try:
        return models.export_int8_graph(settings.name, settings.cache_dir, progress)
    except models.ModelError as error:
        message = f"no int8 graph ({error}); the int4 graph runs it all"
        log.warning("%s", message)
        if progress is not None:
            progress(message)
        return None


def prepare_model(settings: ModelSettings, progress: models.Progress | None = None) -> Path:
    """Return the ONNX directory ``settings`` runs, exporting it on first use.

    When ``settings.device`` resolves to CUDA (``cuda``, or ``auto`` with onnxruntime-gpu and
    a visible GPU) and the precision has a CUDA graph (int4), that graph is prepared; if it
    cannot be built (onnxruntime-genai missing, an architecture its builder lacks) the CPU
    graph is used instead, which the CUDA provider also runs, more slowly. ``cuda`` without
    onnxruntime-gpu fails here, before any export, with the fix in the message.
    """
    precision = (
        models.recommended_precision(settings.name)
        if settings.precision == "auto"
        else settings.precision
    )
    if uses_cuda(settings.device) and precision in models.CUDA_PRECISIONS:
        try:
            return models.export(
                settings.name, precision, settings.cache_dir, progress, target="cuda"
            )
        except models.ModelError as error:
            message = f"cannot build the CUDA graph ({error}); using the CPU graph on CUDA"
            log.warning("%s", message)
            if progress is not None:
                progress(message)
    return models.export(settings.name, precision, cache=settings.cache_dir, progress=progress)
