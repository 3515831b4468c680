from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.settings import SandboxSettings
from support.sandbox_support import ProjectVenv


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The sandbox at the best level this machine offers (bubblewrap in CI)."""
    with Sandbox(SandboxSettings(timeout_s=3.0, memory_mb=512)) as box:
        yield box


@pytest.fixture(scope="session")
def project_venv(project_venv_python: Path) -> ProjectVenv:
    """The shared project virtualenv (``support/projects.py``): ``python -m venv``, the library
    installed by its own pip, offline."""
    return ProjectVenv(project_venv_python.parent.parent, project_venv_python)
