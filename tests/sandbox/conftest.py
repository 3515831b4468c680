from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from codegen_lsp.sandbox import isolation
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.settings import SandboxSettings

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The sandbox at the best level this machine offers (bubblewrap in CI)."""
    with Sandbox(SandboxSettings(timeout_s=3.0, memory_mb=512)) as box:
        yield box


def available_levels() -> list[str]:
    return [level for level in isolation.LEVELS if isolation.available(level)]
