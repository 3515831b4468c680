"""What the sandbox tests share besides fixtures (a module of its own: ``conftest`` is a name
every test folder has, so importing from it finds whichever folder's was loaded last)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codegen_lsp.sandbox import isolation

from support.projects import LIBRARY, LIBRARY_MAGIC

PROJECT_LIBRARY = LIBRARY
"""A module installed in the project virtualenv only, never in the server's environment."""
PROJECT_LIBRARY_MAGIC = LIBRARY_MAGIC


def available_levels() -> list[str]:
    return [level for level in isolation.LEVELS if isolation.available(level)]


@dataclass(frozen=True)
class ProjectVenv:
    """A real virtualenv, as a user's project has, with a library the server does not have."""

    root: Path
    """The virtualenv's folder (its ``sys.prefix``)."""
    python: Path
    """Its ``bin/python``: a link, left unresolved, as an editor would give it."""
