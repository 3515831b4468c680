"""The pipeline end to end on a tiny random model and the real sandbox; checks without a model."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from codegen_lsp.as_written import check_docstring
from codegen_lsp.context import find_function
from codegen_lsp.docstrings import normalised
from codegen_lsp.engine.types import GenerationCancelled
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.settings import Settings

SOURCE = 'def add(a, b):\n    """Add.\n\n    >>> add(1, 2)\n    3\n    """\n'
WRONG = 'def add(a, b):\n    """Add.\n\n    >>> add(1, 2)\n    3\n    """\n    return a - b\n'


def settings(fmt: str = "raw") -> Settings:
    s = Settings()
    s.sampling.n = 3
    s.sampling.max_new_tokens = 24
    s.sampling.seed = 7
    s.sampling.prompt_format = fmt  # type: ignore[assignment]
    s.ranking.verifier = False
    return s


@pytest.fixture
def pipeline(tiny_engine: Any) -> Iterator[Pipeline]:
    p = Pipeline(settings(), engine=tiny_engine)
    yield p
    p.close()


@pytest.fixture(scope="module")
def no_model_pipeline() -> Iterator[Pipeline]:
    p = Pipeline(settings())
    yield p
    p.close()


@pytest.mark.parametrize("fmt", ["raw", "chat", "fim"])
def test_implement_on_a_tiny_model(tiny_engine: Any, fmt: str) -> None:
    stages: list[str] = []
    p = Pipeline(settings(fmt), engine=tiny_engine)
    try:
        result = p.implement(
            SOURCE, 3, progress=lambda stage, done, total, passing=None: stages.append(stage)
        )
    finally:
        p.close()
    assert result.function_name == "add" and len(result.examples) == 1
    assert stages[0] == "sampling" and "ranking" in stages
    ctx = find_function(SOURCE, 0)
    for rank, candidate in enumerate(result.candidates, start=1):
        assert candidate.rank == rank
        assert candidate.replacement.new_text == "\n" + candidate.body
        assert (
            candidate.replacement.start_line,
            candidate.replacement.start_column,
        ) == ctx.replace_start
        ast.parse(SOURCE + candidate.body + "\n")  # only parseable bodies are offered
        assert (
            candidate.examples_total == 1 and not candidate.verified
        ) or candidate.examples_passed == 1
    # A random model passes nothing, and says so instead of pretending.
    if not any(c.examples_passed for c in result.candidates):
        assert any("no candidate passes" in n or "no usable body" in n for n in result.notes)


def test_cancel_before_sampling(pipeline: Pipeline) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(GenerationCancelled):
        pipeline.implement(SOURCE, 0, cancel=cancel)


def test_repair_reports_the_failing_example(pipeline: Pipeline) -> None:
    result = pipeline.repair(WRONG, 0, note="it should add")
    assert result.notes[0] == "repairing: `add(1, 2)` returned -1, expected 3"


def test_check_runs_examples_against_the_current_body(no_model_pipeline: Pipeline) -> None:
    source = WRONG + "\n\n" + SOURCE.replace("add", "plus") + "    return a + b\n"
    results = no_model_pipeline.check(source)
    assert [(r.function_name, r.run.passed, r.run.total) for r in results] == [
        ("add", 0, 1),
        ("plus", 1, 1),
    ]
    assert results[0].docstring_line == 1


def test_explain_keeps_examples_that_hold_and_shows_actual_output(
    no_model_pipeline: Pipeline,
) -> None:
    source = "def double(x):\n    return 2 * x\n"
    ctx = find_function(source, 0)
    docstring = "Double x.\n\n>>> double(2)\n4\n>>> double(3)\n7\n>>> double(x=[1])\n[2]"
    result = check_docstring(ctx, docstring, lambda: no_model_pipeline.sandbox)
    assert (result.examples_checked, result.examples_kept, result.examples_corrected) == (3, 3, 2)
    assert ">>> double(3)\n6\n" in result.docstring
    assert result.docstring.endswith(">>> double(x=[1])\n[1, 1]")
    assert any("`double(3)` returned 6, expected 7" in n for n in result.notes)
    assert any("returned [1, 1], expected [2]" in n for n in result.notes)
    edited = source.splitlines()
    assert result.replacement.start_line == 0 and result.replacement.new_text.startswith("\n    ")
    new = edited[0] + result.replacement.new_text + "\n" + edited[1] + "\n"
    tree = ast.parse(new)
    assert ast.get_docstring(tree.body[0]) == result.docstring  # type: ignore[arg-type]


def test_explain_needs_a_body(no_model_pipeline: Pipeline) -> None:
    with pytest.raises(ValueError, match="no body to explain"):
        no_model_pipeline.explain(SOURCE, 0)


def test_harness_samples_from_the_engine(tiny_engine: Any) -> None:
    from codegen_lsp.eval.datasets import Task
    from codegen_lsp.eval.harness import Harness

    task = Task("t/1", SOURCE, "add", "def check(candidate):\n    assert candidate(2, 2) == 4\n")
    p = Pipeline(settings(), engine=tiny_engine)
    try:
        harness = Harness(p, 2, prompt_format="raw")
        [outcome] = harness.run([task])
    finally:
        p.close()
    assert outcome.n == 2 and outcome.examples == 1
    assert set(outcome.top1) >= {"random", "combined", "oracle", "mean_logprob"}
    [row] = harness.samples
    assert row["task_id"] == "t/1" and len(row["samples"]) == 2 and len(row["logprobs"]) == 2


def test_repair_recognises_the_failing_body_rewritten() -> None:
    assert normalised("    # count\n    return len(x)") == normalised("    return len( x )")
    assert normalised("    return len(x)") != normalised("    return len(x.split())")


def test_weaker_isolation_is_named_in_the_notes(tiny_engine: Any) -> None:
    s = settings()
    s.sandbox.level = "none"
    p = Pipeline(s, engine=tiny_engine)
    try:
        result = p.implement(SOURCE, 3)
    finally:
        p.close()
    level_notes = [n for n in result.notes if n.startswith("sandbox at level 'none'")]
    assert level_notes, result.notes
    # Plain about what is weaker, and about what still holds (seccomp at every level).
    assert any("seccomp still denies sockets" in n for n in level_notes)
