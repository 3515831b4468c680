from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from codegen_lsp.sandbox import isolation
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.settings import SandboxSettings
from projects import LIBRARY, LIBRARY_MAGIC

sys.path.insert(0, str(Path(__file__).parent))

PROJECT_LIBRARY = LIBRARY
"""A module installed in the project virtualenv only, never in the server's environment."""
PROJECT_LIBRARY_MAGIC = LIBRARY_MAGIC


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The sandbox at the best level this machine offers (bubblewrap in CI)."""
    with Sandbox(SandboxSettings(timeout_s=3.0, memory_mb=512)) as box:
        yield box


def available_levels() -> list[str]:
    return [level for level in isolation.LEVELS if isolation.available(level)]


@dataclass(frozen=True)
class ProjectVenv:
    """A real virtualenv, as a user's project has, with a library the server does not have."""

    root: Path
    """The virtualenv's folder (its ``sys.prefix``)."""
    python: Path
    """Its ``bin/python``: a link, left unresolved, as an editor would give it."""


@pytest.fixture(scope="session")
def project_venv(project_venv_python: Path) -> ProjectVenv:
    """The shared project virtualenv (``tests/projects.py``): ``python -m venv``, the library
    installed by its own pip, offline."""
    return ProjectVenv(project_venv_python.parent.parent, project_venv_python)
