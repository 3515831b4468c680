"""Fixtures for the scale-out tests: a tiny exported model, a private runtime dir, a stub server.

The tiny model is the engine tests' one (a random Qwen2 with a real BPE tokenizer, exported to
ONNX through ``models.export``): the daemon tests need real plumbing, not good code.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_stub import StubServer

ENGINE_CONFTEST = Path(__file__).resolve().parents[1] / "engine" / "conftest.py"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    spec = importlib.util.spec_from_file_location("engine_tiny_model", ENGINE_CONFTEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from codegen_lsp.engine import models

    hf = module.build_tiny_model(tmp_path_factory.mktemp("tiny-model"))
    cache = tmp_path_factory.mktemp("tiny-cache")
    return Path(models.export(str(hf), "fp32", cache=str(cache)))


@pytest.fixture
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private $XDG_RUNTIME_DIR, so sockets of tests never meet a user's daemon."""
    directory = Path(tmp_path_factory.mktemp("run", numbered=True))
    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(directory)
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    StubServer.hangups = 0
    yield server
    server.close()
