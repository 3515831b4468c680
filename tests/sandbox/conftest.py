from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.settings import SandboxSettings

sys.path.insert(0, str(Path(__file__).parent))

from sandbox_support import ProjectVenv


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The sandbox at the best level this machine offers (bubblewrap in CI)."""
    with Sandbox(SandboxSettings(timeout_s=3.0, memory_mb=512)) as box:
        yield box


@pytest.fixture(scope="session")
def project_venv(project_venv_python: Path) -> ProjectVenv:
    """The shared project virtualenv (``tests/projects.py``): ``python -m venv``, the library
    installed by its own pip, offline."""
    return ProjectVenv(project_venv_python.parent.parent, project_venv_python)
