"""The pipeline inside a real project: its modules, its virtualenv, its definitions."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.project import Interpreter, ProjectFile, find_project
from codegen_lsp.sandbox.isolation import PROBE_MARKER
from codegen_lsp.settings import Settings
from support.projects import MOVE_ALL_LINE, SHIFT_LINE, SPAN_LINE, write_shapes_project


def settings() -> Settings:
    s = Settings()
    s.sampling.n = 2
    s.sampling.max_new_tokens = 16
    s.sampling.seed = 7
    s.sampling.prompt_format = "raw"
    s.ranking.verifier = False
    return s


@pytest.fixture
def ops(tmp_path: Path, project_venv_python: Path) -> Path:
    path = write_shapes_project(tmp_path / "shapes-project")
    os.symlink(project_venv_python.parent.parent, tmp_path / "shapes-project" / ".venv")
    return path


@pytest.fixture
def no_model_pipeline() -> Iterator[Pipeline]:
    p = Pipeline(settings())
    yield p
    p.close()


def test_examples_run_in_the_project_under_its_interpreter(
    ops: Path, no_model_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    source = ops.read_text(encoding="utf-8")
    file = find_project(ops)
    assert file.project.interpreter.reason == "the .venv virtualenv in the project"
    assert file.package == "shapes"
    for line in (MOVE_ALL_LINE, SPAN_LINE):
        [result] = no_model_pipeline.check(source, line, file=file)
        assert result.run.error is None and result.run.passed == 1, result.run
    # The same file alone (no project): neither the package nor the venv's library imports.
    [alone] = no_model_pipeline.check(source, SPAN_LINE)
    assert alone.run.error is not None and "ModuleNotFoundError" in alone.run.error


def test_the_prompt_carries_the_definitions_it_uses(
    ops: Path, tiny_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    source = ops.read_text(encoding="utf-8")
    file = find_project(ops)
    with_context = Pipeline(settings(), engine=tiny_engine)
    try:
        result = with_context.implement(source, SHIFT_LINE + 1, file=file)
    finally:
        with_context.close()
    head = result.prompt.index("def shift(")
    for text in ("# from shapes.geometry", "class Pt", "east: float", "class Vec", "self.dx"):
        assert text in result.prompt[:head], text
    assert "return (self.dx" not in result.prompt  # a summary, not the method's body
    assert 0 < result.context_tokens <= 1024
    assert result.interpreter == file.project.interpreter.executable

    off = settings()
    off.project.cross_file_context = False
    without = Pipeline(off, engine=tiny_engine)
    try:
        plain = without.implement(source, SHIFT_LINE + 1, file=file)
    finally:
        without.close()
    assert "class Pt" not in plain.prompt and plain.definitions == []
    assert plain.context_tokens == 0


def test_the_time_box_yields_a_prompt_without_failing(
    ops: Path, tiny_engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    s = settings()
    s.project.context_timeout_s = 0.0
    p = Pipeline(s, engine=tiny_engine)
    try:
        with caplog.at_level(logging.INFO):
            result = p.implement(
                ops.read_text(encoding="utf-8"), SHIFT_LINE + 1, file=find_project(ops)
            )
    finally:
        p.close()
    assert result.definitions == []
    assert "time box" in caplog.text
    # The user hears it too, with the names the model may have missed and what to do.
    assert result.not_looked_up[:2] == ["Pt", "Vec"]  # the signature's first
    [note] = [note for note in result.notes if "time box" in note]
    assert "before `Pt`, `Vec`, " in note and "project.contextTimeoutS" in note


def test_a_context_that_finished_says_nothing_of_the_time_box(ops: Path, tiny_engine: Any) -> None:
    p = Pipeline(settings(), engine=tiny_engine)
    try:
        result = p.implement(
            ops.read_text(encoding="utf-8"), SHIFT_LINE + 1, file=find_project(ops)
        )
    finally:
        p.close()
    assert result.definitions and result.not_looked_up == []
    assert not any("time box" in note for note in result.notes), result.notes


def test_an_interpreter_too_old_for_the_worker_falls_back_and_says_so(
    ops: Path, tmp_path: Path, no_model_pipeline: Pipeline
) -> None:
    old = tmp_path / "python3.6"
    answer = {
        "marker": PROBE_MARKER,
        "executable": str(old),
        "version": [3, 6, 9],
        "prefixes": ["/usr"] * 4,
        "sysconfig": [],
        "path": [],
    }
    # A Python 3.6 as far as the worker's probe can tell: it answers with its version.
    old.write_text(f"#!/bin/sh\necho '{json.dumps(answer)}'\n", encoding="utf-8")
    old.chmod(0o755)
    real = find_project(ops)
    project = real.project.__class__(
        root=real.project.root,
        reason="given",
        interpreter=Interpreter(str(old), (3, 6, 9), "the project.interpreter setting"),
        import_paths=real.project.import_paths,
    )
    file = ProjectFile(real.path, project, real.package, real.package_root)
    sandbox, notes = no_model_pipeline.sandbox_for(file)
    assert sandbox.python == sys.executable
    assert len(notes) == 1 and "3.8" in notes[0] and "server's own Python" in notes[0], notes
    [result] = no_model_pipeline.check(ops.read_text(encoding="utf-8"), MOVE_ALL_LINE, file=file)
    # The project's own package still imports (shapes comes first in ops.py); the library
    # only its virtualenv has does not, and the error says which.
    assert result.run.error == "ModuleNotFoundError: No module named 'unitsy'", result.run
