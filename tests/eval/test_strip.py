"""``eval --strip-examples``: what leaves a docstring (its examples), what stays (the rest)."""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

import pytest
from codegen_lsp.commands import evaluate
from codegen_lsp.eval.datasets import DatasetError, Task, find_data_file, load_tasks
from codegen_lsp.eval.harness import target_function
from codegen_lsp.eval.strip import strip_examples, strip_task
from codegen_lsp.sandbox.examples import extract_examples

try:
    find_data_file("HumanEval.jsonl.gz")
    HAVE_DATA = True
except DatasetError:
    HAVE_DATA = False

needs_data = pytest.mark.skipif(not HAVE_DATA, reason="shared data not present")


def examples_of(task: Task) -> list[str]:
    """The examples the pipeline would run for the task, as their calls."""
    ctx = target_function(task)
    return [e.call for e in extract_examples(ctx.raw_docstring or "", ctx.name)]


@needs_data
def test_humaneval_99_keeps_its_description_and_note_and_loses_every_example() -> None:
    task = load_tasks("humaneval")[99]
    assert len(examples_of(task)) == 4  # two doctests, two in the note's prose
    stripped = strip_task(task)
    # The doctests and their "Examples" heading are gone; the note's sentence before its
    # "For example closest_integer("14.5") should return 15 and ..." stays, the example goes.
    assert stripped.prompt == (
        "\ndef closest_integer(value):\n"
        "    '''\n"
        "    Create a function that takes a value (string) representing a number\n"
        "    and returns the closest integer to it. If the number is equidistant\n"
        "    from two integers, round it away from zero.\n"
        "\n"
        "    Note:\n"
        "    Rounding away from zero means that if the given number is equidistant\n"
        "    from two integers, the one you should return is the one that is the\n"
        "    farthest from zero.\n"
        "    '''\n"
    )
    assert examples_of(stripped) == []
    assert (stripped.task_id, stripped.entry_point, stripped.test) == (
        task.task_id,
        task.entry_point,
        task.test,
    )


@needs_data
def test_humaneval_120_loses_its_input_output_blocks_and_their_headings() -> None:
    task = load_tasks("humaneval")[120]
    assert len(examples_of(task)) == 3
    stripped = strip_task(task)
    assert stripped.prompt == (
        "\ndef maximum(arr, k):\n"
        '    """\n'
        "    Given an array arr of integers and a positive integer k, return a sorted list \n"
        "    of length k with the maximum k numbers in arr.\n"
        "\n"
        "    Note:\n"
        "        1. The length of the array will be in the range of [1, 1000].\n"
        "        2. The elements in the array will be in the range of [-1000, 1000].\n"
        "        3. 0 <= k <= len(arr)\n"
        '    """\n'
    )


@needs_data
def test_no_humaneval_prompt_keeps_an_example_and_every_one_still_parses() -> None:
    tasks = load_tasks("humaneval")
    stripped = [strip_task(t) for t in tasks]
    assert sum(bool(examples_of(t)) for t in tasks) == 154
    assert [t.task_id for t in stripped if examples_of(t)] == []
    for before, after in zip(tasks, stripped, strict=True):
        ast.parse(after.prompt)
        if not examples_of(before):  # nothing to strip: left exactly as written
            assert after.prompt == before.prompt
        else:
            assert len(after.prompt) < len(before.prompt)
        # The description's first words stay.
        first = (target_function(before).docstring or "").split()[:4]
        assert (target_function(after).docstring or "").split()[:4] == first


def test_prose_examples_go_with_their_explanations_and_definitions_stay() -> None:
    source = (
        "def fib(n):\n"
        '    """Return the n-th Fibonacci number, defined by\n'
        "    fib(n) -> fib(n - 1) + fib(n - 2).\n"
        "\n"
        "    Examples:\n"
        "    fib(0) -> 0\n"
        "    # the first one\n"
        "    fib(10) == 55\n"
        "    55 = 21 + 34\n"
        "    Negative n is an error.\n"
        "\n"
        "    Input: 7\n"
        "    Output: 13\n"
        "    Explanation: 0, 1, 1, 2, 3, 5, 8, 13\n"
        "      counts from zero.\n"
        "\n"
        "    It is fast. For example fib(30) returns 832040.\n"
        "    >>> fib(2)\n"
        "    1\n"
        '    """\n'
    )
    assert len(extract_examples(source.split('"""')[1], "fib")) == 5
    assert strip_examples(source, 1, "fib") == (
        "def fib(n):\n"
        '    """Return the n-th Fibonacci number, defined by\n'
        "    fib(n) -> fib(n - 1) + fib(n - 2).\n"
        "\n"
        "    Negative n is an error.\n"
        "\n"
        "    It is fast.\n"
        '    """\n'
    )


def test_a_docstring_without_examples_is_left_alone() -> None:
    source = 'def f(x):\n    """Double ``x`` -> its twice.\n\n    Returns an int.\n    """\n'
    assert strip_examples(source, 1, "f") == source
    assert strip_examples(source, 0, "f") == source  # no docstring opens there


@needs_data
def test_eval_strip_examples_reports_the_condition(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    evaluate.add_parser(parser.add_subparsers())
    out = tmp_path / "out"
    args = parser.parse_args(
        [
            "eval",
            "--dataset",
            "humaneval",
            "--samples",
            str(find_data_file("humaneval-codegen16b-samples.jsonl")),
            "--n",
            "3",
            "--limit",
            "2",
            "--no-verifier",
            "--strip-examples",
            "--out",
            str(out),
        ]
    )
    assert args.func(args) == 0
    data = json.loads((out / "report.json").read_text())
    assert data["meta"]["strip_examples"] is True and data["tasks_with_examples"] == 0
    assert all(o["examples"] == 0 for o in data["outcomes"])
    report = (out / "report.md").read_text()
    assert "`--strip-examples`" in report and "0 tasks keep an example" in report
    # The command as typed (here pytest's), named without this machine's paths.
    assert report.count("Command: `codegen-lsp ") == 1
