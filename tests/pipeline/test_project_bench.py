"""The task set of bench/project_context.py, without a model: each task is sound and needs context.

Sound: the hidden tests pass with the reference body put in through the product's edit and fail
with ``pass``. Needing context: the definitions cross-file context shows for the task include the
class whose fields the reference body uses, and its own file does not define that class.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import project_context  # noqa: E402


def _task_contexts(tasks: list[Any], tmp_path: Path) -> Iterator[tuple[Any, str, Any]]:
    """Yield each task, its blanked source, and its function as the language server reads it.

    Each task in a fresh copy of its project with every task's body blanked, the project found
    as the server finds it, the context built through the pipeline (cross-file context on).
    """
    from codegen_lsp.context import find_function
    from codegen_lsp.pipeline import Pipeline
    from codegen_lsp.project import find_project
    from codegen_lsp.settings import Settings

    pipeline = Pipeline(Settings())
    try:
        for task in tasks:
            scratch = tmp_path / task.id.replace(":", "__")
            path, blanked, _ = project_context.prepare(task, tasks, scratch)
            line = project_context.find_def(ast.parse(blanked), task.function).lineno - 1
            file = find_project(path, root=str(scratch), interpreter=sys.executable)
            yield task, blanked, pipeline.in_project(find_function(blanked, line, 0), blanked, file)
    finally:
        pipeline.close()


def _sound_tasks(tmp_path: Path, count: int, with_example: int, name: str = "") -> list[Any]:
    """Load a task set (the default one, or ``name`` under the bench's projects) and check it.

    Sound: every reference body passes through the product's edit and every blank body fails
    (``project_context.validate``), with ``count`` tasks of which ``with_example`` have one.
    """
    tasks = (
        project_context.load_tasks(project_context.PROJECTS / name)
        if name
        else project_context.load_tasks()
    )
    checked = project_context.validate(tasks, tmp_path, timeout_s=60.0)
    assert checked["problems"] == []
    assert (checked["tasks"], checked["with_example"]) == (count, with_example)
    return tasks


def test_reference_bodies_pass_and_blank_bodies_fail(tmp_path: Path) -> None:
    _sound_tasks(tmp_path, 20, 10)


def test_the_method_tasks_are_sound_too(tmp_path: Path) -> None:
    # Methods, a property and a static method: found, blanked and put back by `Class.method`.
    tasks = _sound_tasks(tmp_path, 6, 0, "method_tasks.json")
    assert all("." in task.function for task in tasks)


def test_the_method_tasks_with_examples_are_sound_and_seed_calls_near_them(
    tmp_path: Path,
) -> None:
    # Doctests that build a tray and fill it through `tray.put(...)`: every one seeds calls
    # near its examples, so that the bench's "novariants" arm has something to switch off.
    from codegen_lsp import execution, inputs, variants

    tasks = _sound_tasks(tmp_path, 6, 6, "method_example_tasks.json")
    for task, _, ctx in _task_contexts(tasks, tmp_path):
        reached = inputs.callee(ctx)
        assert reached is not None and reached[0] == "method", task.id
        near = variants.example_variants(
            ctx.name,
            execution.docstring_examples(ctx),
            constructors=inputs.constructors(ctx),
            reached=reached,
        )
        assert any("tray.put(Snack(" in call for call in near), (task.id, near)


def test_context_shows_each_task_the_class_it_uses(tmp_path: Path) -> None:
    tasks = project_context.load_tasks()
    for task, blanked, ctx in _task_contexts(tasks, tmp_path):
        used = task.uses[0].split(".")[0]
        assert f"class {used}" not in blanked, task.id
        assert any(f"class {used}" in d for d in ctx.definitions), task.id


def test_the_filled_tasks_are_sound_and_ask_for_tests_that_fill_the_till(tmp_path: Path) -> None:
    # A `Till` filled only through `ring(...)`: each task's model is asked for tests that fill
    # one, and shown what `ring` writes (the state is untyped; its body says what it holds).
    from codegen_lsp import execution, inputs

    tasks = _sound_tasks(tmp_path, 5, 0, "filled_tasks.json")
    for task, _, ctx in _task_contexts(tasks, tmp_path):
        reached = inputs.callee(ctx)
        assert reached == ("method", "Till"), task.id
        form = execution._call_form(ctx, reached)
        assert form.startswith("till = Till(cashier=...)\ntill.ring(Snack(...), ...)\n"), form
        shown = "\n".join(ctx.definitions)
        assert "        self.sales.append((snack, quantity))" in shown, (task.id, shown)


def test_the_nested_tasks_are_sound_and_each_nested_field_says_how_it_reads(
    tmp_path: Path,
) -> None:
    # A `Parcel` holds a `Weight`, a `Size` and an `Address`: the prompt of every task shows
    # Parcel's fields read through to a value (`parcel.weight.grams: int`).
    tasks = _sound_tasks(tmp_path, 7, 1, "nested_tasks.json")
    for task, _, ctx in _task_contexts(tasks, tmp_path):
        shown = "\n".join(ctx.definitions).splitlines()
        assert "    weight: Weight  # parcel.weight.grams: int" in shown, (task.id, shown)
        size = "parcel.size.length_cm: int, parcel.size.width_cm: int, parcel.size.height_cm: int"
        assert f"    size: Size  # {size}" in shown, (task.id, shown)


def test_the_typed_dict_tasks_are_sound_and_each_prompt_says_an_entry_is_a_dict(
    tmp_path: Path,
) -> None:
    # `Entry` is a TypedDict with a `Kind = Literal[...]` field: every task's prompt shows
    # how both read, and every function taking entries gets entries drawn through the alias.
    from codegen_lsp import builds, inputs
    from codegen_lsp.prompt import build_prompt

    tasks = _sound_tasks(tmp_path, 7, 0, "typed_dict_tasks.json")

    class Chat:
        def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
            return "".join(m["content"] for m in messages)

        def fim_tokens(self) -> None:
            return None

    for task, _, ctx in _task_contexts(tasks, tmp_path):
        shown = "\n".join(ctx.definitions)
        assert 'Entry is a dict: entry["day"], entry["amount"], entry["kind"]' in shown, task.id
        assert "Each `Entry` is a plain dict" in build_prompt(ctx, "chat", Chat()).text, task.id
        if task.function != "parse_line":
            drawn = inputs.signature_calls(ctx, count=4, classes=builds.class_builds(ctx))
            assert any("kind='debit'" in c or "kind='credit'" in c for c in drawn), task.id
