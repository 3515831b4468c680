"""Fixtures for the scale-out tests: a tiny exported model, a private runtime dir, a stub server.

The tiny model is the root conftest's one (a random Qwen2 with a real BPE tokenizer, exported to
ONNX through ``models.export``): the daemon tests need real plumbing, not good code.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.remote_stub import StubServer


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_onnx: Path) -> Path:
    """The tiny model's exported directory (built once per run by the root conftest)."""
    return tiny_onnx


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
