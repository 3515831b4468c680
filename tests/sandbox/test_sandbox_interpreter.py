"""Candidates run under the project's interpreter, import its libraries and its own package.

Every test runs real workers: a real virtualenv made by ``python -m venv`` with a library installed
by its own pip (``project_venv`` in conftest), a real package folder, real bad interpreters
(scripts that are not Python, or claim an old one).
"""

from __future__ import annotations

import ast
import glob
import json
import os
import secrets
import shutil
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest
from codegen_lsp.sandbox import isolation, seccomp
from codegen_lsp.sandbox.isolation import InterpreterError, describe_interpreter
from codegen_lsp.sandbox.runner import Sandbox, judge
from codegen_lsp.sandbox.types import CandidateRun, Example
from codegen_lsp.settings import SandboxLevel, SandboxSettings
from support.sandbox_support import (
    PROJECT_LIBRARY,
    PROJECT_LIBRARY_MAGIC,
    ProjectVenv,
    available_levels,
)

LEVELS = available_levels()
USES_LIBRARY = (
    f"import sys\nimport {PROJECT_LIBRARY}\n\n\n"
    f"def f():\n    return ({PROJECT_LIBRARY}.MAGIC, {PROJECT_LIBRARY}.triple(2), "
    "sys.executable, sys.prefix)\n"
)
IMPORTS_SHAPES = (
    "from shapes.geometry import Pt\n\n\n"
    "def f():\n    p = Pt(1, 2)\n    return (p.x, p.y, type(p).__module__)\n"
)
SHAPES_EXPECTED = [Example(call="f()", expected="(1, 2, 'shapes.geometry')", line=1)]


def one(box: Sandbox, code: str, expected: object, package: str = "") -> CandidateRun:
    """Run ``f()`` and expect ``expected`` (a value whose repr is Python source)."""
    return box.run(code, "f", [Example(call="f()", expected=repr(expected), line=1)], package)


@pytest.fixture(scope="module")
def project_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a package ``shapes`` whose ``geometry`` module defines a dataclass."""
    root = tmp_path_factory.mktemp("project")
    (root / "shapes").mkdir()
    (root / "shapes" / "__init__.py").write_text("")
    (root / "shapes" / "geometry.py").write_text(
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Pt:\n    x: int\n    y: int\n"
    )
    return root


def settings(level: str) -> SandboxSettings:
    chosen = cast(SandboxLevel, level)
    return SandboxSettings(level=chosen, workers=1, timeout_s=3.0, memory_mb=512)


# --- the interpreter switches ------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_candidates_import_the_project_venv_library(level: str, project_venv: ProjectVenv) -> None:
    expected = (PROJECT_LIBRARY_MAGIC, 6, str(project_venv.python), str(project_venv.root))
    with Sandbox(settings(level), python=str(project_venv.python)) as box:
        assert box.isolation == level
        assert box.python == str(project_venv.python)
        assert box.python_version == tuple(sys.version_info[:3])  # the venv's base is ours
        run = one(box, USES_LIBRARY, expected)
        assert run.passed == 1, run
        report = box.describe()
    assert report["seccomp"] is True
    assert report["python"] == str(project_venv.python)


@pytest.mark.parametrize("level", LEVELS)
def test_the_server_interpreter_lacks_that_library(level: str) -> None:
    with Sandbox(settings(level)) as box:
        assert box.python == describe_interpreter(sys.executable).executable
        run = one(box, USES_LIBRARY, None)
    assert run.error is not None and "ModuleNotFoundError" in run.error, run.error


def test_the_server_interpreter_is_described_without_home_or_credentials() -> None:
    info = describe_interpreter(sys.executable)
    assert info.version == tuple(sys.version_info[:3])
    assert os.path.isabs(info.executable)
    purelib = os.path.realpath(__import__("sysconfig").get_paths()["purelib"])
    assert any(purelib == root or purelib.startswith(root + "/") for root in info.roots)
    home = os.path.realpath(os.path.expanduser("~"))
    for root in info.roots:
        assert root != "/" and not home.startswith(root.rstrip("/") + "/") and root != home
    assert describe_interpreter(sys.executable) is info  # cached


# --- the project's own package ----------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_project_package_absolute_and_relative_imports(
    level: str, project_venv: ProjectVenv, project_folder: Path
) -> None:
    relative = IMPORTS_SHAPES.replace("from shapes.geometry", "from .geometry")
    with Sandbox(
        settings(level), project_paths=[str(project_folder)], python=str(project_venv.python)
    ) as box:
        absolute = box.run(IMPORTS_SHAPES, "f", SHAPES_EXPECTED)
        assert absolute.passed == 1, absolute
        # Same code, same examples: only the package differs, so the cache must tell them apart.
        without = box.run(relative, "f", SHAPES_EXPECTED)
        assert without.error is not None and "ImportError" in without.error, without.error
        assert "no known parent package" in without.error
        within = box.run(relative, "f", SHAPES_EXPECTED, package="shapes")
        assert within.passed == 1, within
        [many] = box.run_many([relative + "\n"], "f", SHAPES_EXPECTED, package="shapes")
        assert many.passed == 1, many
        with pytest.raises(ValueError, match="dotted name"):
            box.run(relative, "f", SHAPES_EXPECTED, package="shapes/ops")


# --- what one candidate leaves, the next does not see -------------------------------------------

WRITER = (
    "import os, tempfile\n\n\ndef f():\n"
    "    open('left.txt', 'w').write('x')\n"
    "    os.makedirs('deep/er')\n"
    "    open('deep/er/f.txt', 'w').write('y')\n"
    "    open(os.path.join(tempfile.gettempdir(), 'tmp.txt'), 'w').write('z')\n"
    "    return 1\n"
)
READER = (
    "import os, tempfile\nfrom shapes.geometry import Pt\n\n\ndef f():\n"
    "    return sorted(os.listdir('.')) + sorted(os.listdir(tempfile.gettempdir()))\n"
)


@pytest.mark.parametrize("level", LEVELS)
def test_a_candidate_does_not_see_what_the_previous_one_wrote(
    level: str, project_venv: ProjectVenv, project_folder: Path
) -> None:
    # One worker, so both candidates are forked by the same zygote from the same directory; the
    # project and the virtualenv live in /tmp, so bubblewrap binds them under its /tmp.
    with Sandbox(
        settings(level), project_paths=[str(project_folder)], python=str(project_venv.python)
    ) as box:
        assert one(box, WRITER, 1).passed == 1
        seen = one(box, READER, [])
        assert seen.passed == 1, seen.results[0]
        assert one(box, WRITER, 1).passed == 1  # and again: the clean-up left it usable
    assert [p.name for p in project_folder.iterdir()] == ["shapes"]


# --- the worker is standard-library only ------------------------------------------------------


def test_worker_parses_as_the_oldest_supported_python() -> None:
    source = isolation.WORKER_SCRIPT.read_text(encoding="utf-8")
    ast.parse(source, feature_version=isolation.MIN_WORKER_PYTHON)
    with pytest.raises(SyntaxError):  # feature_version does bite: a 3.10 match statement
        ast.parse("match x:\n    case 1:\n        pass\n", feature_version=(3, 8))


def test_worker_imports_only_the_standard_library() -> None:
    tree = ast.parse(isolation.WORKER_SCRIPT.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported and imported <= set(sys.stdlib_module_names)


def talk(python: str, cwd: Path, setup: dict[str, Any], jobs: list[dict[str, Any]]) -> list[Any]:
    """Start ``_worker.py`` under ``python`` (no isolation), send ``setup`` and ``jobs``.

    Returns every message it sent back: its hello, then one response per job.
    """
    messages = [setup, *jobs]
    data = b"".join(
        struct.pack(">I", len(body)) + body
        for body in (json.dumps(message).encode() for message in messages)
    )
    completed = subprocess.run(
        isolation.command("none", python=python),
        input=data,
        capture_output=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "TMPDIR": str(cwd), "LANG": "C.UTF-8"},
        timeout=60,
        check=False,
    )
    out, answers = completed.stdout, []
    while out:
        (length,) = struct.unpack(">I", out[:4])
        answers.append(json.loads(out[4 : 4 + length]))
        out = out[4 + length :]
    return answers


SOCKET_CANDIDATE = (
    "import socket\n\n\ndef f():\n    try:\n        socket.socket()\n"
    "    except OSError:\n        return 'blocked'\n    return 'open'\n"
)
BLOCKED = [Example(call="f()", expected="'blocked'", line=1)]


def job(code: str, examples: list[Example], nonce: str) -> dict[str, Any]:
    return {
        "code": code,
        "function_name": "f",
        "examples": [{"call": e.call, "expected": e.expected, "setup": []} for e in examples],
        "timeout_s": 3.0,
        "memory_mb": 512,
        "sys_path": [],
        "nonce": nonce,
    }


def test_worker_runs_under_a_python_without_pyseccomp(
    project_venv: ProjectVenv, tmp_path: Path
) -> None:
    python = str(project_venv.python)
    lacks = subprocess.run([python, "-I", "-c", "import pyseccomp"], capture_output=True)
    assert lacks.returncode != 0 and b"ModuleNotFoundError" in lacks.stderr
    program = seccomp.compiled()
    assert program.program and not program.error
    nonce = secrets.token_hex(8)
    hello, response = talk(
        python,
        tmp_path,
        {"seccomp": program.program.hex(), "why": ""},
        [job(SOCKET_CANDIDATE, BLOCKED, nonce)],
    )
    assert hello["ready"] is True and hello["seccomp"] is True, hello
    assert hello["executable"] == python and hello["python"] == list(sys.version_info[:3])
    assert judge(BLOCKED, response, "none", nonce).passed == 1, response


@pytest.mark.parametrize(
    ("program", "why"),
    [
        ("", "the parent sent no seccomp program"),
        ("", "ModuleNotFoundError: No module named 'pyseccomp'"),
        ("00" * 7, "malformed seccomp program (7 bytes)"),
        ("not hex", "not hex"),
    ],
)
def test_worker_without_a_program_refuses_candidates(
    program: str, why: str, project_venv: ProjectVenv, tmp_path: Path
) -> None:
    nonce = secrets.token_hex(8)
    sent_why = why if why.startswith("ModuleNotFound") else ""
    hello, response = talk(
        str(project_venv.python),
        tmp_path,
        {"seccomp": program, "why": sent_why},
        [job(SOCKET_CANDIDATE, BLOCKED, nonce)],
    )
    assert hello["seccomp"] is False and why in hello["why"], hello
    run = judge(BLOCKED, response, "none", nonce)
    assert run.passed == 0
    assert run.error is not None and "seccomp unavailable" in run.error and why in run.error


# --- real interpreters of other versions, where this machine has them --------------------------


def installed_python(version: str) -> str | None:
    """A working ``python<version>`` on this machine (on PATH or under pyenv), else None."""
    found = [shutil.which(f"python{version}") or ""]
    pyenv_roots = {os.environ.get("PYENV_ROOT", ""), os.path.expanduser("~/.pyenv")}
    for root in sorted(filter(None, pyenv_roots)):
        pattern = os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}")
        found += sorted(glob.glob(pattern))
    for python in filter(None, found):
        # pyenv's shims only start the versions it was told to; a direct path always runs.
        works = subprocess.run([python, "-c", "pass"], capture_output=True, check=False)
        if works.returncode == 0:
            return python
    return None


@pytest.mark.parametrize("version", ["2.7", "3.6", "3.7"])
def test_real_pythons_older_than_the_minimum_are_refused(version: str) -> None:
    python = installed_python(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine")
    message = refusal(python)
    assert f"the Python interpreter {python} is" in message
    assert "too old" in message or "older than the 3.8 the sandbox needs" in message


OLDEST = ".".join(map(str, isolation.MIN_WORKER_PYTHON))


@pytest.mark.parametrize("level", LEVELS)
def test_the_oldest_supported_python_runs_candidates(level: str, project_folder: Path) -> None:
    python = installed_python(OLDEST)
    if python is None:
        pytest.skip(f"no Python {OLDEST} on this machine")
    code = IMPORTS_SHAPES.replace("from shapes.geometry", "from .geometry") + (
        "\n\ndef g():\n    import socket, sys\n    try:\n        socket.socket()\n"
        "    except OSError:\n        return sys.version_info[:2]\n    return 'open'\n"
    )
    with Sandbox(settings(level), project_paths=[str(project_folder)], python=python) as box:
        assert box.python_version[:2] == isolation.MIN_WORKER_PYTHON
        run = box.run(code, "f", SHAPES_EXPECTED, package="shapes")
        assert run.passed == 1, run
        expected = [Example("g()", repr(isolation.MIN_WORKER_PYTHON), 1)]
        blocked = box.run(code, "g", expected, package="shapes")
        assert blocked.passed == 1, blocked  # seccomp denied the socket under that Python too


# --- interpreters the worker cannot use -------------------------------------------------------


def script(path: Path, body: str, mode: int = 0o755) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(mode)
    return str(path)


def probe_answer(version: list[object], **fields: Any) -> str:
    """What the probe prints, as a shell script would fake it."""
    answer = {
        "marker": isolation.PROBE_MARKER,
        "executable": "",
        "version": version,
        "prefixes": [],
        "sysconfig": [],
        "path": [],
        **fields,
    }
    return f"cat <<'EOF'\n{json.dumps(answer)}\nEOF\n"


FIX = "give the project's Python 3 interpreter, e.g. <project>/.venv/bin/python"


def refusal(python: str, timeout_s: float | None = None) -> str:
    """The message ``python`` is refused with (by the Sandbox too, before any worker starts)."""
    with pytest.raises(InterpreterError) as raised:
        if timeout_s is None:
            describe_interpreter(python)
        else:
            describe_interpreter(python, timeout_s=timeout_s)
    if timeout_s is None:
        with pytest.raises(ValueError, match="Python"):
            Sandbox(SandboxSettings(workers=1), python=python)
    return str(raised.value)


def test_a_missing_interpreter(tmp_path: Path) -> None:
    python = str(tmp_path / "venv" / "bin" / "python")
    message = refusal(python)
    assert message.startswith(f"the Python interpreter {python} does not exist; {FIX}")
    assert "is not on PATH" in refusal("no-such-python-codegen-lsp")


def test_a_file_that_is_not_executable(tmp_path: Path) -> None:
    python = script(tmp_path / "python", "exit 0\n", mode=0o644)
    message = refusal(python)
    assert f"the Python interpreter {python} is not executable" in message
    assert "chmod +x" in message and FIX in message


def test_a_directory(project_venv: ProjectVenv) -> None:
    message = refusal(str(project_venv.root))
    assert message == (
        f"the Python interpreter {project_venv.root} is a directory; "
        f"give {project_venv.root / 'bin' / 'python'}"
    )


def test_scripts_that_are_not_python(tmp_path: Path) -> None:
    chatty = script(tmp_path / "chatty", "echo hello\n")
    message = refusal(chatty)
    assert message.startswith(f"{chatty} does not look like a Python interpreter")
    assert "'hello'" in message and FIX in message
    failing = script(tmp_path / "failing", "echo 'no such thing' >&2\nexit 3\n")
    message = refusal(failing)
    assert f"{failing} does not look like a Python interpreter (exit status 3: no such thing)" in (
        message
    )
    assert message.endswith(FIX + ", or leave it empty to use the server's own")
    wrong = script(tmp_path / "wrong", probe_answer(["3", "x"]))
    assert "does not look like a Python interpreter" in refusal(wrong)


def test_a_python_that_is_too_old(tmp_path: Path) -> None:
    old = script(tmp_path / "python3.6", probe_answer([3, 6, 9]))
    assert refusal(old) == (
        f"the Python interpreter {old} is Python 3.6.9, older than the 3.8 the sandbox needs; "
        "give a newer one (recreate the project's virtualenv with Python 3.8 or newer), or leave "
        "it empty to use the server's own"
    )
    # Python 2 (and 3.0-3.3) stop at -I before running any code; that is what they print.
    python2 = script(tmp_path / "python2", "echo 'Unknown option: -I' >&2\nexit 2\n")
    message = refusal(python2)
    assert f"the Python interpreter {python2} is too old" in message
    assert "Python 3.8 or newer" in message


def test_an_interpreter_that_does_not_answer(tmp_path: Path) -> None:
    stuck = script(tmp_path / "stuck", "sleep 60\n")  # a child of the shell: killed with it
    started = time.monotonic()
    message = refusal(stuck, timeout_s=0.5)
    assert time.monotonic() - started < 5  # the shell's own child is killed with it
    assert f"the Python interpreter {stuck} did not answer within 0.5 s" in message


def test_exposed_roots_skip_home_and_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    inside_ssh = home / ".ssh" / "lib"
    holds_keys = tmp_path / "keys"
    good, good_too = tmp_path / "good", tmp_path / "site"
    for folder in (inside_ssh, holds_keys / ".aws", good, good_too):
        folder.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    wanted = [str(p) for p in (home, tmp_path, inside_ssh, holds_keys, good_too)]
    fake = script(
        tmp_path / "bin" / "python",
        probe_answer([3, 11, 0], prefixes=[str(good)], path=[*wanted, "/", "relative", "/nope"]),
    )
    caplog.set_level("WARNING")
    info = describe_interpreter(fake)
    assert info.executable == fake and info.version == (3, 11, 0)
    assert info.roots == (str(good), str(tmp_path / "bin"), str(good_too))
    assert f"not showing {home} " in caplog.text
    assert "credentials" in caplog.text


def test_the_description_is_cached_until_the_interpreter_changes(tmp_path: Path) -> None:
    path = tmp_path / "python"
    fake = script(path, probe_answer([3, 9, 1]))
    first = describe_interpreter(fake)
    assert describe_interpreter(fake) is first
    script(path, probe_answer([3, 10, 2]))
    later = time.time() + 5
    os.utime(path, (later, later))
    assert describe_interpreter(fake).version == (3, 10, 2)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
