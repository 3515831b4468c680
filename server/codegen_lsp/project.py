"""The project a file belongs to: its folder, what it imports from, and the Python it runs under.

A function's examples only run, and its prompt only knows the project's own types, when the
server knows the project around the file. This module answers three questions, once per
project, and says why it answered as it did (the log line names the folder and the interpreter):

- **Which folder is the project?** The language server uses the innermost workspace folder that
  holds the file; the CLI takes ``--project DIR`` or walks up from the file to the nearest
  folder with ``pyproject.toml``, ``setup.cfg``, ``setup.py`` or ``.git``. A file outside every
  workspace folder falls back to that walk, then to the file's own folder.
- **What can the file import?** What ``python -m pytest`` run from the project's root imports:
  the root, ``src/`` when the project uses that layout, and the folder above the file's package
  (the first folder upwards without ``__init__.py``, as pytest inserts it). The file's own
  package name lets its relative imports (``from .geometry import Pt``) work.
- **Which Python?** In this order: the ``project.interpreter`` setting, the interpreter the
  editor's Python extension selected, ``$VIRTUAL_ENV``, a ``.venv`` or ``venv`` folder in the
  project (jedi's ``find_virtualenvs``), else the server's own. Each candidate is validated with
  jedi's ``create_environment``; one that is missing or not a Python is skipped with a warning
  that says what to fix. The project's interpreter is started to ask its version and paths (as
  every Python language server does); candidate code never runs outside the sandbox.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jedi
from jedi.api.environment import InvalidPythonEnvironment

log = logging.getLogger(__name__)

PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
"""Files whose folder is a project's root, nearest first, for the CLI and stray files."""

VIRTUALENV_NAMES = (".venv", "venv")
"""Virtualenv folders looked for in the project, in this order, before any other one found."""


@dataclass(frozen=True)
class Interpreter:
    """The Python a project's examples run under, and why it was chosen."""

    executable: str
    version: tuple[int, ...]
    reason: str
    """E.g. "the project.interpreter setting", "a .venv in the project", "the server's own"."""

    def describe(self) -> str:
        """Return "PATH (Python X.Y.Z, REASON)" for logs and notes."""
        version = ".".join(str(part) for part in self.version)
        return f"{self.executable} (Python {version}, {self.reason})"


@dataclass(frozen=True)
class Project:
    """A project folder, its import roots and its interpreter."""

    root: str
    reason: str
    """Why this folder: "workspace folder", "pyproject.toml found", "--project", ..."""
    interpreter: Interpreter
    import_paths: tuple[str, ...]
    """Folders on ``sys.path`` for every file of the project: the root, then ``src/``."""
    warnings: tuple[str, ...] = ()
    """What was skipped on the way (a bad interpreter path, a broken virtualenv), for the user."""

    def describe(self) -> str:
        """One line for the log: the folder, why, and the interpreter, why."""
        return f"project {self.root} ({self.reason}); interpreter {self.interpreter.describe()}"


@dataclass(frozen=True)
class ProjectFile:
    """A file inside a project: what the pipeline needs to run and explain it in place."""

    path: str
    project: Project
    package: str = ""
    """The dotted package the file belongs to ("" for a module at the top of an import root)."""
    package_root: str = ""
    """The folder above the file's top package (pytest's rootdir-less insertion)."""
    notes: tuple[str, ...] = field(default=())

    @property
    def import_paths(self) -> tuple[str, ...]:
        """Folders on ``sys.path`` for this file, the package's own root first."""
        paths = [self.package_root, *self.project.import_paths] if self.package_root else []
        paths = paths or list(self.project.import_paths)
        return tuple(dict.fromkeys(paths))


# -- which folder ------------------------------------------------------------------------------


def find_root(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Return the nearest folder above ``path`` holding a project marker, and which marker.

    Without any marker up to the file system's root, the file's own folder and the reason
    "no project marker above the file" are returned.
    """
    start = Path(path).resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        for marker in PROJECT_MARKERS:
            if (candidate / marker).exists():
                return str(candidate), f"{marker} found"
    return str(folder), "no project marker above the file: its own folder"


def innermost_folder(path: str | os.PathLike[str], folders: Iterable[str]) -> str | None:
    """Return the innermost of ``folders`` that holds ``path``, or None."""
    target = Path(path).resolve()
    best: Path | None = None
    for folder in folders:
        root = Path(folder).resolve()
        if (target == root or root in target.parents) and (
            best is None or len(root.parts) > len(best.parts)
        ):
            best = root
    return None if best is None else str(best)


def import_roots(root: str) -> tuple[str, ...]:
    """Return the project-wide import folders: the root, then ``src/`` when there is one."""
    paths = [root]
    src = os.path.join(root, "src")
    if os.path.isdir(src):
        paths.append(src)
    return tuple(paths)


def package_of(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Return (package_root, dotted package) for a file, as pytest's ``prepend`` mode finds it.

    Walks up from the file's folder while folders hold ``__init__.py``; the first folder without
    one is the package root that goes on ``sys.path``.
    """
    folder = Path(path).resolve().parent
    parts: list[str] = []
    while (folder / "__init__.py").exists() and folder.parent != folder:
        parts.append(folder.name)
        folder = folder.parent
    return str(folder), ".".join(reversed(parts))


# -- which Python ------------------------------------------------------------------------------


def _environment(path: str) -> jedi.api.environment.Environment:
    """Return jedi's environment for an executable or a virtualenv folder (runs it once)."""
    return jedi.create_environment(os.path.expanduser(path), safe=False)


def _found(environment: jedi.api.environment.Environment, reason: str) -> Interpreter:
    return Interpreter(
        executable=str(environment.executable),
        version=tuple(environment.version_info),
        reason=reason,
    )


def _project_virtualenvs(root: str) -> list[tuple[jedi.api.environment.Environment, str]]:
    """Virtualenvs directly inside the project, ``.venv`` and ``venv`` first."""
    found = []
    try:
        environments = list(
            jedi.find_virtualenvs(paths=[root], safe=False, use_environment_vars=False)
        )
    except OSError as error:  # an unreadable folder is no virtualenv
        log.warning("project: looking for virtualenvs in %s failed: %s", root, error)
        return []
    for environment in environments:
        name = os.path.basename(os.path.normpath(str(environment.path)))
        found.append((environment, name))

    def order(item: tuple[object, str]) -> tuple[int, str]:
        name = item[1]
        return (VIRTUALENV_NAMES.index(name) if name in VIRTUALENV_NAMES else 99, name)

    return sorted(found, key=order)


def choose_interpreter(
    root: str,
    setting: str = "",
    editor: str = "",
    environ: Mapping[str, str] | None = None,
) -> tuple[Interpreter, list[str]]:
    """Return the project's interpreter and the warnings of every candidate skipped on the way.

    The order is the module's: ``setting``, ``editor``, ``$VIRTUAL_ENV``, a virtualenv in the
    project, the server's own. A candidate that is missing or not a Python is skipped with a
    warning that names the path and the fix.
    """
    environ = os.environ if environ is None else environ
    warnings: list[str] = []
    tried: list[tuple[str, str, str]] = []
    if setting:
        tried.append((setting, "the project.interpreter setting", "fix or clear the setting"))
    if editor:
        tried.append(
            (editor, "the editor's selected interpreter", "select another one in the editor")
        )
    virtual_env = environ.get("VIRTUAL_ENV", "")
    if virtual_env:
        tried.append((virtual_env, "$VIRTUAL_ENV", "activate a working virtualenv"))
    for path, reason, fix in tried:
        try:
            return _found(_environment(path), reason), warnings
        except InvalidPythonEnvironment as error:
            warnings.append(f"{reason} {path!r} is not a working Python ({error}): {fix}")
    for environment, name in _project_virtualenvs(root):
        return _found(environment, f"the {name} virtualenv in the project"), warnings
    for name in VIRTUALENV_NAMES:
        folder = os.path.join(root, name)
        if os.path.isdir(folder):
            warnings.append(
                f"{folder} looks like a broken virtualenv (no working Python in it): "
                "recreate it with `python -m venv`"
            )
    own = Interpreter(sys.executable, tuple(sys.version_info[:3]), "the server's own")
    return own, warnings


# -- the whole answer, cached ----------------------------------------------------------------


_cache_lock = threading.Lock()
_cache: dict[tuple[object, ...], Project] = {}


def _cache_key(
    root: str, setting: str, editor: str, environ: Mapping[str, str]
) -> tuple[object, ...]:
    # A virtualenv created or removed later must be seen: its folder's mtime is in the key.
    def stamp(path: str) -> float:
        try:
            return os.stat(path).st_mtime
        except OSError:
            return -1.0

    venvs = tuple(stamp(os.path.join(root, name)) for name in VIRTUALENV_NAMES)
    return (root, setting, editor, environ.get("VIRTUAL_ENV", ""), stamp(root), venvs)


def load_project(
    root: str,
    reason: str,
    setting: str = "",
    editor: str = "",
    environ: Mapping[str, str] | None = None,
) -> Project:
    """Return the project at ``root`` with its interpreter (cached; logged when first found)."""
    environ = os.environ if environ is None else environ
    root = str(Path(root).resolve())
    key = (*_cache_key(root, setting, editor, environ), reason)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    interpreter, warnings = choose_interpreter(root, setting, editor, environ)
    project = Project(
        root=root,
        reason=reason,
        interpreter=interpreter,
        import_paths=import_roots(root),
        warnings=tuple(warnings),
    )
    for warning in warnings:
        log.warning("project: %s", warning)
    log.info("%s", project.describe())
    with _cache_lock:
        _cache[key] = project
    return project


def project_file(path: str | os.PathLike[str], project: Project) -> ProjectFile:
    """Place a file in its project: its package and the folder above it."""
    resolved = str(Path(path).resolve())
    package_root, package = package_of(resolved)
    inside = package_root == project.root or package_root.startswith(
        project.root.rstrip(os.sep) + os.sep
    )
    if not inside:
        # A file whose package reaches above the project: import it as the project sees it.
        package_root, package = "", ""
    return ProjectFile(resolved, project, package, package_root)


def find_project(
    path: str | os.PathLike[str],
    root: str | None = None,
    interpreter: str = "",
    editor_interpreter: str = "",
    folders: Sequence[str] = (),
) -> ProjectFile:
    """Return the file placed in its project (the CLI's and the language server's entry).

    ``root`` (the CLI's ``--project``) wins; otherwise the innermost of the workspace
    ``folders`` holding the file; otherwise the nearest folder with a project marker.
    """
    if root:
        if not os.path.isdir(root):
            raise ValueError(f"--project {root}: not a folder")
        project = load_project(root, "given", interpreter, editor_interpreter)
        return project_file(path, project)
    folder = innermost_folder(path, folders) if folders else None
    if folder is not None:
        return project_file(
            path, load_project(folder, "workspace folder", interpreter, editor_interpreter)
        )
    found, reason = find_root(path)
    if folders:
        reason = f"outside every workspace folder; {reason}"
        log.warning("project: %s is outside every workspace folder; using %s", path, found)
    return project_file(path, load_project(found, reason, interpreter, editor_interpreter))
