"""Fixtures of the engine tests: engines over the tiny model and its onnxruntime-genai builds.

The tiny model itself (``tiny_hf``, ``tiny_onnx``) is built once per test run by the root
``conftest.py`` (see ``support/tiny_model.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.device import DEVICE, prebuilt
from support.tiny_model import build_with_genai


@pytest.fixture(scope="session")
def onnx_engine(tiny_onnx: Path):  # type: ignore[no-untyped-def]
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    return OnnxEngine(tiny_onnx, device=DEVICE, threads=1)


@pytest.fixture(scope="session")
def torch_engine(tiny_hf: Path, tiny_onnx: Path):  # type: ignore[no-untyped-def]
    from codegen_lsp.engine.torch_backend import TorchEngine

    return TorchEngine(tiny_hf, tokenizer_dir=tiny_onnx, threads=1)


@pytest.fixture(scope="session")
def tiny_genai(tiny_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model built by onnxruntime-genai's builder in fp32 (GroupQueryAttention)."""
    if (ready := prebuilt("genai-fp32-cpu")) is not None:
        return ready
    pytest.importorskip("onnxruntime_genai")
    return build_with_genai(tiny_hf, tmp_path_factory.mktemp("genai"), "fp32", "cpu")


@pytest.fixture(scope="session")
def tiny_genai_fp16(tiny_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model as the builder writes it for CUDA: fp16 weights, activations and cache."""
    if (ready := prebuilt("genai-fp16-cuda")) is not None:
        return ready
    pytest.importorskip("onnxruntime_genai")
    return build_with_genai(tiny_hf, tmp_path_factory.mktemp("genai-fp16"), "fp16", "cuda")


@pytest.fixture(scope="session")
def tiny_cuda_int4(tiny_hf: Path, request: pytest.FixtureRequest) -> Path:
    """The tiny model's CUDA target (int4, fp16 activations), through `models.export`."""
    if (ready := prebuilt("onnx-int4-cuda")) is not None:
        return ready
    pytest.importorskip("onnxruntime_genai")
    from codegen_lsp.engine import models

    cache: Path = request.getfixturevalue("tiny_cache")
    return models.export(str(tiny_hf), "int4", cache=str(cache), target="cuda")


@pytest.fixture(scope="session")
def shared_engine(tiny_genai: Path):  # type: ignore[no-untyped-def]
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    return OnnxEngine(tiny_genai, device=DEVICE, threads=1)


@pytest.fixture(scope="session")
def tiny_int4(tiny_hf: Path, tiny_cache: Path) -> Path:
    """The tiny model's CPU int4 graph from onnxruntime-genai's builder, via `models.export`."""
    pytest.importorskip("onnxruntime_genai")
    from codegen_lsp.engine import models

    return models.export(str(tiny_hf), "int4", cache=str(tiny_cache))


@pytest.fixture(scope="session")
def tiny_int8_graph(tiny_hf: Path, tiny_cache: Path) -> Path:
    """The int8 graph that shares the tiny int4 graph's cache (`models.export_int8_graph`)."""
    pytest.importorskip("onnxruntime_genai")
    from codegen_lsp.engine import models

    return models.export_int8_graph(str(tiny_hf), cache=str(tiny_cache))


@pytest.fixture(scope="session")
def hybrid_engine(tiny_int4: Path, tiny_int8_graph: Path):  # type: ignore[no-untyped-def]
    """The int4 graph with its int8 graph: prompts and 3+ rows on int8, the rest on int4."""
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    return OnnxEngine(tiny_int4, device=DEVICE, threads=1, int8_directory=tiny_int8_graph)
