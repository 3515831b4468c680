"""MBPP judged on more calls than its three asserts, against the reference (``mbpp-validation+``).

The "verified" mark's thresholds are chosen on MBPP; judged on MBPP's own asserts, a body that
passes the docstring's examples is checked on one or two more calls, far looser than HumanEval+
where the mark is reported. These tests hold the stricter judge to what it promises.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from codegen_lsp.eval.datasets import (
    MBPP_PLUS_CALLS,
    DatasetError,
    find_data_file,
    load_tasks,
    read_plus_calls,
)
from codegen_lsp.eval.harness import hidden_example
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.settings import SandboxSettings

SCRIPT = Path(__file__).resolve().parents[2] / "models" / "verifier" / "mbpp_plus.py"


@pytest.fixture(scope="module")
def judge() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(timeout_s=60.0, memory_mb=2048)) as box:
        yield box


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mbpp_plus", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mbpp_plus"] = module
    spec.loader.exec_module(module)
    return module


def _row(task_id: int) -> dict[str, object]:
    for name in ("mbpp-validation.jsonl", "mbpp-train.jsonl"):
        with find_data_file(name).open(encoding="utf-8") as handle:
            for row in map(json.loads, handle):
                if row["task_id"] == task_id:
                    return dict(row)
    raise KeyError(task_id)


def _body(row: dict[str, object]) -> str:
    """The reference solution's body (its first line is the ``def``), indented by four."""
    lines = str(row["code"]).replace("\r\n", "\n").expandtabs(4).splitlines()[1:]
    return textwrap.indent(textwrap.dedent("\n".join(lines)), "    ") + "\n"


def _passes(judge: Sandbox, dataset: str, task_id: str, body: str, shown: int = 1) -> bool:
    (task,) = [t for t in load_tasks(dataset, shown) if t.task_id == task_id]
    run = judge.run(
        task.prompt + body + "\n\n" + task.test, task.entry_point, [hidden_example(task)]
    )
    return run.error is None and run.passed == run.total == 1


def test_every_task_keeps_its_prompt_and_is_judged_on_more_calls() -> None:
    for split in ("mbpp-validation", "mbpp-train"):
        base = {t.task_id: t for t in load_tasks(split, 2)}
        plus = {t.task_id: t for t in load_tasks(split + "+", 2)}
        assert plus.keys() == base.keys()
        assert all(plus[k].prompt == base[k].prompt for k in base)
    calls = read_plus_calls()
    assert len(calls) == 374 + 90
    # Most tasks gain calls beyond their three asserts' own.
    assert sum(1 for found in calls.values() if len(found) > 3) > 400


def test_the_reference_passes_and_a_body_right_only_on_the_asserts_fails(judge: Sandbox) -> None:
    # MBPP/564 counts the unequal pairs of positions; counting distinct unequal value pairs is
    # right on the three asserts (no value repeats there) and wrong once one repeats.
    row = _row(564)
    reference_body = _body(row)
    assert _passes(judge, "mbpp-validation+", "MBPP/564", reference_body)
    distinct = (
        "    pairs = set()\n"
        "    for i in range(n):\n"
        "        for j in range(i + 1, n):\n"
        "            if arr[i] != arr[j]:\n"
        "                pairs.add((arr[i], arr[j]))\n"
        "    return len(pairs)\n"
    )
    assert _passes(judge, "mbpp-validation", "MBPP/564", distinct)
    assert not _passes(judge, "mbpp-validation+", "MBPP/564", distinct)


def test_the_asserts_still_judge_where_no_call_could_be_grown(judge: Sandbox) -> None:
    # MBPP/533's calls pass a type (``int``), which no literal call can: no calls were kept,
    # and the task's own asserts are its whole judge.
    assert read_plus_calls()["MBPP/533"] == []
    row = _row(533)
    reference_body = _body(row)
    assert _passes(judge, "mbpp-validation+", "MBPP/533", reference_body)
    assert not _passes(judge, "mbpp-validation+", "MBPP/533", "    return []\n")


def test_a_missing_calls_file_says_how_to_write_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"mbpp_plus\.py"):
        read_plus_calls(tmp_path / "absent.jsonl.gz")
    assert MBPP_PLUS_CALLS.is_file()


def test_a_length_argument_changes_with_the_sequence_it_measures(script: ModuleType) -> None:
    seeds = [([1, 2, 3], 3), ([4, 5], 2)]
    assert script.length_pairs(seeds) == {1: 0}
    grown = script.grown_calls(seeds, random.Random(0))
    assert len(grown) > 10
    assert all(n == len(items) for items, n in grown)


def test_a_number_stays_at_least_zero_where_every_test_passes_one(script: ModuleType) -> None:
    grown = script.grown_calls([(5, "ab"), (0, "c")], random.Random(0))
    assert any(number == 0 for number, _ in grown) and any(text == "" for _, text in grown)
    assert all(number >= 0 for number, _ in grown)
    # A negative number in a test lets the mutations go below zero.
    assert any(number < 0 for (number,) in script.grown_calls([(5,), (-1,)], random.Random(0)))


def test_calls_the_reference_refuses_or_cannot_finish_are_left_out(script: ModuleType) -> None:
    code = (
        "def f(n):\n"
        "    if n == 2:\n"
        "        raise ValueError(n)\n"
        "    while n == 3:\n"
        "        pass\n"
        "    return n if n != 4 else range(n)\n"
    )
    assert script.reference_keeps(code, "f", ["(1,)", "(2,)", "(3,)", "(4,)", "(5,)"]) == [
        "(1,)",
        "(5,)",
    ]


def test_the_shipped_calls_are_what_the_script_writes(script: ModuleType) -> None:
    # Regenerated for a few tasks (the whole file takes a minute): same calls, same order.
    shipped = read_plus_calls()
    for task_id in (511, 564, 601, 700):
        row = _row(task_id)
        entry = load_tasks("mbpp-validation" if task_id < 601 else "mbpp-train")
        (task,) = [t for t in entry if t.task_id == f"MBPP/{task_id}"]
        seeds = script.seed_calls(row, task.entry_point)
        calls = [repr(a) for a in script.grown_calls(seeds, random.Random(task_id))]
        code = str(row["code"]).replace("\r\n", "\n").expandtabs(4)
        kept = script.reference_keeps(code, task.entry_point, calls)[: script.CALLS_PER_TASK]
        assert kept == shipped[f"MBPP/{task_id}"], task_id


def test_calls_keep_what_every_test_call_shares(script: ModuleType) -> None:
    # Sorted lists stay sorted, two tuples keep one length, a character stays one character.
    seeds = [([1, 2, 5], (1, 2), "a"), ([0, 3, 3, 9], (4, 0), "b")]
    shape = script.Shape.of(seeds)
    assert (
        shape.sorted_at == {0} and shape.same_length == frozenset() and shape.characters_at == {2}
    )
    grown = script.grown_calls(seeds, random.Random(0))
    assert len(grown) > 10
    assert all(list(items) == sorted(items) for items, _, _ in grown)
    assert all(len(char) == 1 for _, _, char in grown)
    paired = script.grown_calls([((1, 2, 3), (4, 5, 6)), ((7, 8), (9, 1))], random.Random(0))
    assert len(paired) > 10 and all(len(a) == len(b) for a, b in paired)
    # Where the tests differ (an unsorted list among them), the calls may differ too.
    loose = script.grown_calls([([3, 1, 2],), ([1, 2, 3],)], random.Random(0))
    assert any(list(items) != sorted(items) for (items,) in loose)
