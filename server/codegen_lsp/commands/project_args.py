"""The project options every file command shares: ``--project``, ``--interpreter``, context.

``complete``, ``explain``, ``repair`` and ``check`` run a file inside its project, as the editor
does: the nearest folder above the file with ``pyproject.toml``, ``setup.cfg``, ``setup.py`` or
``.git`` (or ``--project DIR``), with its interpreter (``--interpreter``, else ``$VIRTUAL_ENV``,
else a ``.venv`` or ``venv`` in the project, else the server's own). ``--no-project-context``
keeps the model to the current file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegen_lsp.project import ProjectFile, find_project
from codegen_lsp.sandbox.isolation import check_project_path
from codegen_lsp.settings import Settings


def add_project_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the shared project options on a subcommand's parser."""
    parser.add_argument(
        "--project",
        metavar="DIR",
        help="the project folder (default: the nearest folder above the file with "
        "pyproject.toml, setup.cfg, setup.py or .git); its code is importable, read-only",
    )
    parser.add_argument(
        "--interpreter",
        metavar="PYTHON",
        help="the project's Python, an executable or a virtualenv folder (default: "
        "$VIRTUAL_ENV, a .venv or venv in the project, else this server's own)",
    )
    parser.add_argument(
        "--no-project-context",
        action="store_true",
        help="do not show the model definitions from the project's other files",
    )


def apply_project_settings(settings: Settings, args: argparse.Namespace) -> None:
    """Copy the project options into ``settings``."""
    if getattr(args, "interpreter", None):
        settings.project.interpreter = args.interpreter
    if getattr(args, "no_project_context", False):
        settings.project.cross_file_context = False


def project_for(path: Path, args: argparse.Namespace) -> ProjectFile | None:
    """Place ``path`` in its project, logging the folder and interpreter chosen and why.

    Raises ``ValueError`` with a message that says what to fix for a ``--project`` that is not
    a folder or that the sandbox must not show (the home directory, credentials). A project
    found on its own that the sandbox must not show is left out with a warning: the file then
    runs alone (None).
    """
    given = getattr(args, "project", None)
    file = find_project(path, root=given, interpreter=getattr(args, "interpreter", None) or "")
    for folder in file.import_paths:
        try:
            check_project_path(folder)
        except ValueError as error:
            if given:
                raise ValueError(f"--project {given}: {error}") from error
            print(f"warning: the file runs alone: {error}", file=sys.stderr)
            return None
    for warning in file.project.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return file
