"""Fixtures: the engine tests' tiny random Qwen2 model (real tokenizer, real ONNX Runtime)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "engine_conftest_for_eval", Path(__file__).resolve().parents[1] / "engine" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
engine_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(engine_conftest)


@pytest.fixture(scope="session")
def tiny_engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from codegen_lsp.engine import models
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    hf = engine_conftest.build_tiny_model(tmp_path_factory.mktemp("tiny-model"))
    onnx = models.export(str(hf), "fp32", cache=str(tmp_path_factory.mktemp("cache")))
    return OnnxEngine(onnx, device="cpu", threads=1)
