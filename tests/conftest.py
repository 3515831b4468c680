"""Fixtures every test folder shares, built once per test run.

- ``project_venv_python``: a real project virtualenv of its own (``support/projects.py``).
- ``tiny_hf``, ``tiny_onnx``, ``tiny_engine``: the tiny random Qwen2 model
  (``support/tiny_model.py``), exported to ONNX through ``models.export`` and loaded by ONNX
  Runtime: real plumbing for the engine, pipeline, daemon and language-server tests (on a GPU
  machine, prebuilt and on CUDA: ``support/device.py``).

Helpers the folders share are modules of the ``support`` package (``tests/`` is on the import
path because this file sits there, in a folder without ``__init__.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.device import DEVICE, on_prebuilt_graphs, prebuilt
from support.projects import make_project_venv


@pytest.fixture(scope="session")
def project_venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a real virtualenv with ``unitsy`` installed (see ``support/projects.py``)."""
    return make_project_venv(tmp_path_factory.mktemp("project-venv") / "venv")


@pytest.fixture(scope="session")
def tiny_hf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model as a Hugging Face directory (what a user's model directory looks like)."""
    if (ready := prebuilt("hf")) is not None:
        return ready
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from support.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model cache the tiny model is exported into (every precision the tests ask for)."""
    if on_prebuilt_graphs():
        pytest.skip("exporting is tested where the exporters are, not on prebuilt graphs")
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def tiny_onnx(tiny_hf: Path, request: pytest.FixtureRequest) -> Path:
    """The tiny model exported to ONNX in fp32."""
    if (ready := prebuilt("onnx-fp32")) is not None:
        return ready
    from codegen_lsp.engine import models

    cache: Path = request.getfixturevalue("tiny_cache")
    return models.export(str(tiny_hf), "fp32", cache=str(cache))


@pytest.fixture(scope="session")
def tiny_engine(tiny_onnx: Path) -> Any:
    """The tiny model loaded by ONNX Runtime on the CPU (or the test device), one thread."""
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    return OnnxEngine(tiny_onnx, device=DEVICE, threads=1)
