"""The project a document belongs to, so that its examples import what the project imports.

A file belongs to the innermost workspace folder that holds it (the editor's ``initialize``
folders, kept current by ``workspace/didChangeWorkspaceFolders``; the root URI when the client
sends no folders). A file outside every folder falls back to the nearest folder above it with a
project marker, and the log says so. The interpreter comes from ``project.interpreter``, then
``project.editorInterpreter`` (the VS Code extension fills it from the Python extension), then
``$VIRTUAL_ENV``, a ``.venv``/``venv`` in the project, else the server's own (``project.py``).

Finding the interpreter starts it once, so the work happens inside the generation job, never in
a request handler: :func:`project_finder` snapshots what it needs on the event loop and returns
a function to call off it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pygls.uris import to_fs_path
from pygls.workspace import Workspace

from codegen_lsp.project import ProjectFile, find_project
from codegen_lsp.settings import ProjectSettings

log = logging.getLogger(__name__)

ProjectFinder = Callable[[], "ProjectFile | None"]


def workspace_folders(workspace: Workspace) -> list[str]:
    """Return the workspace folders as paths (the root path when the client sent none)."""
    folders = [to_fs_path(folder.uri) for folder in workspace.folders.values()]
    paths = [path for path in folders if path]
    if not paths and workspace.root_path:
        paths = [workspace.root_path]
    return paths


def project_finder(workspace: Workspace, settings: ProjectSettings, uri: str) -> ProjectFinder:
    """Return a function that places the document at ``uri`` in its project (None: no file).

    It takes the workspace and the ``project.*`` settings, not the server, so that this module
    imports nothing of ``lsp/``. Call the function off the event loop: the first call for a
    project starts its interpreter.
    """
    path = to_fs_path(uri) if uri.startswith("file:") else None
    folders = workspace_folders(workspace)

    def find() -> ProjectFile | None:
        if path is None:
            return None  # an unsaved buffer: it runs alone
        try:
            return find_project(
                path,
                interpreter=settings.interpreter,
                editor_interpreter=settings.editor_interpreter,
                folders=folders,
            )
        except Exception:  # the file then runs alone; the job goes on
            log.exception("project: could not place %s in a project", path)
            return None

    return find
