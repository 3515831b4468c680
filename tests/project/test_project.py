"""Which folder is the project, what it imports, which Python runs it (real venvs, jedi)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from codegen_lsp.project import (
    choose_interpreter,
    find_project,
    find_root,
    innermost_folder,
    package_of,
)


def make_venv(folder: Path) -> Path:
    """A real virtualenv (without pip: fast); returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    return folder / "bin" / "python"


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_virtual_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)


def test_root_is_the_nearest_folder_with_a_marker(tmp_path: Path) -> None:
    write(tmp_path / "outer" / ".git" / "HEAD")
    write(tmp_path / "outer" / "inner" / "pyproject.toml", "[project]\nname='x'\n")
    module = write(tmp_path / "outer" / "inner" / "pkg" / "deep" / "mod.py")
    assert find_root(module) == (str(tmp_path / "outer" / "inner"), "pyproject.toml found")
    other = write(tmp_path / "outer" / "tools" / "script.py")
    assert find_root(other) == (str(tmp_path / "outer"), ".git found")
    stray = write(tmp_path / "nowhere" / "alone.py")
    root, reason = find_root(stray)
    assert root == str(tmp_path / "nowhere") and "no project marker" in reason


def test_a_file_belongs_to_the_innermost_workspace_folder(tmp_path: Path) -> None:
    module = write(tmp_path / "mono" / "libs" / "geo" / "geo" / "ops.py")
    folders = [str(tmp_path / "mono"), str(tmp_path / "mono" / "libs" / "geo"), str(tmp_path / "x")]
    assert innermost_folder(module, folders) == str(tmp_path / "mono" / "libs" / "geo")
    assert innermost_folder(module, [str(tmp_path / "x")]) is None
    # A folder whose name only starts like the file's folder does not hold it.
    assert innermost_folder(module, [str(tmp_path / "mon")]) is None


def test_package_and_its_root_as_pytest_finds_them(tmp_path: Path) -> None:
    write(tmp_path / "shapes" / "__init__.py")
    write(tmp_path / "shapes" / "sub" / "__init__.py")
    module = write(tmp_path / "shapes" / "sub" / "ops.py")
    assert package_of(module) == (str(tmp_path), "shapes.sub")
    script = write(tmp_path / "scripts" / "run.py")
    assert package_of(script) == (str(tmp_path / "scripts"), "")


def test_src_layout_is_importable(tmp_path: Path, no_virtual_env: None) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname='geo'\n")
    write(tmp_path / "src" / "geo" / "__init__.py")
    module = write(tmp_path / "src" / "geo" / "ops.py")
    file = find_project(module)
    assert file.project.root == str(tmp_path)
    assert file.package == "geo"
    assert file.import_paths == (str(tmp_path / "src"), str(tmp_path))


def test_project_option_overrides_the_markers(tmp_path: Path, no_virtual_env: None) -> None:
    write(tmp_path / "a" / "pyproject.toml")
    module = write(tmp_path / "a" / "b" / "m.py")
    assert find_project(module).project.root == str(tmp_path / "a")
    given = find_project(module, root=str(tmp_path / "a" / "b"))
    assert given.project.root == str(tmp_path / "a" / "b") and given.project.reason == "given"
    with pytest.raises(ValueError, match="not a folder"):
        find_project(module, root=str(tmp_path / "missing"))


def test_outside_every_workspace_folder_falls_back_and_says_so(
    tmp_path: Path, no_virtual_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "elsewhere" / "setup.py")
    module = write(tmp_path / "elsewhere" / "m.py")
    with caplog.at_level(logging.WARNING, logger="codegen_lsp.project"):
        file = find_project(module, folders=[str(tmp_path / "workspace")])
    assert file.project.root == str(tmp_path / "elsewhere")
    assert "outside every workspace folder" in file.project.reason
    assert "outside every workspace folder" in caplog.text


def test_interpreter_order_setting_editor_virtual_env_dot_venv_own(tmp_path: Path) -> None:
    project = tmp_path / "project"
    dot_venv = make_venv(project / ".venv")
    make_venv(project / "venv")
    setting = make_venv(tmp_path / "chosen")
    editor = make_venv(tmp_path / "editor")
    active = make_venv(tmp_path / "active")
    env = {"VIRTUAL_ENV": str(active.parent.parent)}

    def chosen(**kwargs: object) -> tuple[str, str]:
        interpreter, _ = choose_interpreter(str(project), **kwargs)  # type: ignore[arg-type]
        return os.path.realpath(interpreter.executable), interpreter.reason

    def real(path: Path) -> str:
        return os.path.realpath(path)

    assert chosen(setting=str(setting), editor=str(editor), environ=env) == (
        real(setting),
        "the project.interpreter setting",
    )
    assert chosen(editor=str(editor), environ=env)[1] == "the editor's selected interpreter"
    assert chosen(environ=env)[1] == "$VIRTUAL_ENV"
    found, reason = chosen(environ={})
    assert reason == "the .venv virtualenv in the project"
    assert found == real(dot_venv)
    # A virtualenv folder works as the setting too (jedi finds its python).
    assert chosen(setting=str(setting.parent.parent), environ={})[1] == (
        "the project.interpreter setting"
    )
    lonely = tmp_path / "no-venv-here"
    lonely.mkdir()
    interpreter, warnings = choose_interpreter(str(lonely), environ={})
    assert interpreter.reason == "the server's own" and interpreter.executable == sys.executable
    assert warnings == []


def test_a_bad_interpreter_is_skipped_with_a_message_that_says_what_to_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    good = make_venv(project / ".venv")
    not_python = write(tmp_path / "fake-python", "#!/bin/sh\necho hello\n")
    not_python.chmod(0o755)
    interpreter, warnings = choose_interpreter(
        str(project),
        setting=str(tmp_path / "does-not-exist" / "python"),
        editor=str(not_python),
        environ={},
    )
    assert os.path.realpath(interpreter.executable) == os.path.realpath(good)
    assert len(warnings) == 2
    assert "project.interpreter setting" in warnings[0] and "does-not-exist" in warnings[0]
    assert "fix or clear the setting" in warnings[0]
    assert "fake-python" in warnings[1] and "select another one" in warnings[1]


def test_a_broken_virtualenv_is_reported_and_the_server_python_used(tmp_path: Path) -> None:
    project = tmp_path / "project"
    python = make_venv(project / ".venv")
    python.unlink()  # the base interpreter it pointed at was removed
    interpreter, warnings = choose_interpreter(str(project), environ={})
    assert interpreter.reason == "the server's own"
    assert any("broken virtualenv" in w and ".venv" in w for w in warnings)
