"""Fixtures: the pipeline tests' tiny random Qwen2 engine (real tokenizer, real ONNX Runtime)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "pipeline_conftest_for_eval", Path(__file__).resolve().parents[1] / "pipeline" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_pipeline_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pipeline_conftest)

tiny_engine = _pipeline_conftest.tiny_engine
