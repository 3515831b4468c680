"""Fixtures every test folder shares: real projects with a virtualenv of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import make_project_venv


@pytest.fixture(scope="session")
def project_venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a real virtualenv with ``unitsy`` installed (see ``projects.py``)."""
    return make_project_venv(tmp_path_factory.mktemp("project-venv") / "venv")
