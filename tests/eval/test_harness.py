"""The harness on fixed sample sets: canonical solutions, wrong bodies, CodeGen-16B samples."""

from __future__ import annotations

import json
import math
import statistics
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from codegen_lsp.commands import evaluate
from codegen_lsp.eval.datasets import DatasetError, find_data_file, load_tasks, mbpp_task
from codegen_lsp.eval.harness import Harness, load_samples, target_function
from codegen_lsp.eval.report import markdown, summarise
from codegen_lsp.execution import docstring_examples
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.prompt import reviewer_prompt
from codegen_lsp.settings import Settings

try:
    find_data_file("HumanEval.jsonl.gz")
    HAVE_DATA = True
except DatasetError:
    HAVE_DATA = False

pytestmark = pytest.mark.skipif(not HAVE_DATA, reason="shared data not present")


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    settings = Settings()
    settings.ranking.verifier = False
    settings.sampling.first_wave = 0  # every task gets its n samples, as `eval` draws by default
    p = Pipeline(settings)
    yield p
    p.close()


def write_samples(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_canonical_solutions_pass_and_wrong_ones_fail(pipeline: Pipeline, tmp_path: Path) -> None:
    tasks = load_tasks("humaneval")[:4]
    rows = [
        {"task_id": t.task_id, "samples": [row["canonical_solution"], "    return None\n"]}
        for t, row in zip(tasks, _humaneval_rows()[:4], strict=True)
    ]
    drawn = load_samples(write_samples(tmp_path / "s.jsonl", rows), tasks)
    outcomes = Harness(pipeline, 2, drawn).run(tasks)
    assert [o.correct for o in outcomes] == [1, 1, 1, 1]
    for outcome in outcomes:
        assert outcome.top1["random"] == 0.5 and outcome.top1["oracle"] == 1.0
        # The examples in the prompt separate the canonical body from `return None`.
        assert outcome.top1["examples"] == 1.0 and outcome.top1["combined"] == 1.0
    summary = summarise(outcomes, {"dataset": "humaneval"})
    assert summary["pass_at_k"]["pass@1"] == 0.5 and summary["pass_at_k"]["pass@2"] == 1.0
    assert summary["gap_closed"] == 1.0


def test_codegen16b_samples_ranked_by_execution(pipeline: Pipeline) -> None:
    tasks = load_tasks("humaneval")[:6]
    drawn = load_samples(
        find_data_file("humaneval-codegen16b-samples.jsonl"), load_tasks("humaneval")
    )
    outcomes = Harness(pipeline, 10, drawn).run(tasks)
    assert all(o.n == 10 for o in outcomes)
    mean = {
        r: sum(o.top1[r] for o in outcomes) / len(outcomes)
        for r in ("random", "combined", "oracle")
    }
    assert mean["random"] < mean["combined"] <= mean["oracle"]
    for outcome in outcomes:
        if outcome.correct == 0:
            assert outcome.top1["combined"] == 0.0 and outcome.top1["oracle"] == 0.0


def test_mbpp_conversion_keeps_the_reference_correct(pipeline: Pipeline, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in find_data_file("mbpp-validation.jsonl").open()]
    # References that define one function (a helper they define is not in the prompt).
    rows = [r for r in rows if r["code"].count("def ") == 1][:6]
    tasks = [mbpp_task(r) for r in rows]
    for task in tasks:
        assert f"def {task.entry_point}(" in task.prompt and ">>> " in task.prompt
    samples = []
    for task, row in zip(tasks, rows, strict=True):
        code = row["code"].replace("\r\n", "\n").expandtabs(4)
        # The reference's body, as a sample for the converted prompt.
        body = _body_of(code, task.entry_point)
        samples.append({"task_id": task.task_id, "samples": [body]})
    drawn = load_samples(write_samples(tmp_path / "m.jsonl", samples), tasks)
    outcomes = Harness(pipeline, 1, drawn).run(tasks)
    assert [o.correct for o in outcomes] == [1] * len(tasks)
    assert all(o.examples >= 1 for o in outcomes)


def test_eval_command_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    evaluate.add_parser(sub)
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
            "--out",
            str(out),
        ]
    )
    assert args.func(args) == 0
    assert "| combined |" in capsys.readouterr().out
    data = json.loads((out / "report.json").read_text())
    assert data["tasks"] == 2 and "pass@1" in data["pass_at_k"]
    assert (out / "report.png").stat().st_size > 1000


def test_samples_of_one_task_from_several_files_are_joined(tmp_path: Path) -> None:
    tasks = load_tasks("humaneval")[:2]
    first = write_samples(
        tmp_path / "seed1.jsonl",
        [
            {
                "task_id": tasks[0].task_id,
                "format": "chat",
                "samples": ["a", "b"],
                "logprobs": [[-0.1], [-0.2]],
            }
        ],
    )
    second = write_samples(
        tmp_path / "seed2.jsonl",
        [
            {"task_id": tasks[0].task_id, "format": "chat", "samples": ["c"]},
            {"task_id": tasks[1].task_id, "format": "chat", "samples": ["d"]},
        ],
    )
    drawn = load_samples([first, second], tasks)
    joined = drawn[tasks[0].task_id]
    assert joined.texts == ["a", "b", "c"] and joined.prompt_format == "chat"
    # Log-probs stay aligned with the texts; the second file's sample has none known.
    assert joined.logprobs == [[-0.1], [-0.2], []]
    assert drawn[tasks[1].task_id].texts == ["d"]
    raw = write_samples(
        tmp_path / "raw.jsonl", [{"task_id": tasks[0].task_id, "format": "raw", "samples": ["e"]}]
    )
    with pytest.raises(ValueError, match="one format only"):
        load_samples([first, raw], tasks)


def test_reviewer_is_measured_alone_and_combined(
    tiny_engine: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings()
    settings.ranking.verifier = False
    pipeline = Pipeline(settings, engine=tiny_engine)
    # Tasks whose reviewer prompts fit the tiny model's 256-token context (the first tasks' do
    # not: scoring them fails, and the reviewer would measure only its fallback).
    wanted = ["HumanEval/54", "HumanEval/55"]
    by_id = {t.task_id: t for t in load_tasks("humaneval")}
    solutions = {r["task_id"]: r["canonical_solution"] for r in _humaneval_rows()}
    tasks = [by_id[task_id] for task_id in wanted]
    wrong = "    return None\n"
    rows = [{"task_id": t.task_id, "samples": [solutions[t.task_id], wrong]} for t in tasks]
    drawn = load_samples(write_samples(tmp_path / "s.jsonl", rows), tasks)
    # The reviewer alone picks the body under which the docstring is likelier (mean token
    # log-prob of the docstring after the code); only the canonical body is correct.
    expected = []
    for task in tasks:
        ctx = target_function(task)
        right, bad = (
            statistics.fmean(tiny_engine.score(*reviewer_prompt(ctx, body)))
            for body in (solutions[task.task_id], wrong)
        )
        expected.append(1.0 if right > bad else 0.0 if right < bad else 0.5)
    # One task each way, so a reversed or constant reviewer cannot match.
    assert expected == [0.0, 1.0]
    try:
        with_reviewer = Harness(pipeline, 2, drawn, reviewer=True).run(tasks)
        without = Harness(pipeline, 2, drawn).run(tasks)
    finally:
        pipeline.close()
    assert [o.top1["reviewer"] for o in with_reviewer] == expected
    assert not [r for r in caplog.records if "reviewer failed" in r.getMessage()]
    for outcome, plain in zip(with_reviewer, without, strict=True):
        # Examples still come first: the canonical body passes them, `return None` does not.
        assert outcome.top1["combined_reviewer"] == 1.0 == plain.top1["combined"]
        assert math.isnan(plain.top1["reviewer"]) and math.isnan(plain.top1["combined_reviewer"])
    summary = summarise(with_reviewer, {"dataset": "humaneval"})
    assert "| combined_reviewer |" in markdown(summary)
    assert "| reviewer |" not in markdown(summarise(without, {"dataset": "humaneval"}))


def test_unknown_dataset_is_a_clear_error() -> None:
    with pytest.raises(DatasetError, match="no such dataset"):
        load_tasks("nope.jsonl")


def _humaneval_rows() -> list[dict[str, str]]:
    import gzip

    with gzip.open(find_data_file("HumanEval.jsonl.gz"), "rt") as handle:
        return [json.loads(line) for line in handle]


def _body_of(code: str, name: str) -> str:
    import ast

    tree = ast.parse(code)
    lines = code.splitlines()
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    body = "\n".join(lines[func.body[0].lineno - 1 : func.end_lineno])
    return textwrap.indent(textwrap.dedent(body), "    ") + "\n"


def test_without_examples_the_inputs_decide_and_each_kind_is_measured(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    from codegen_lsp.eval.harness import load_calls
    from codegen_lsp.eval.strip import strip_task

    task = strip_task(load_tasks("humaneval")[13])  # greatest_common_divisor(a: int, b: int)
    assert docstring_examples(target_function(task)) == []
    wrong = "    return a * b\n"
    right = "    return a if b == 0 else greatest_common_divisor(b, a % b)\n"
    canonical = _humaneval_rows()[13]["canonical_solution"]
    row = {
        "task_id": task.task_id,
        "samples": [wrong, right, canonical],
        "logprobs": [[-0.3] * 4, [-0.8] * 4, [-0.9] * 4],  # the wrong one is the likeliest
    }
    drawn = load_samples(write_samples(tmp_path / "s.jsonl", [row]), [task])
    calls = tmp_path / "calls.jsonl"
    proposed = ["greatest_common_divisor(48, 18)", "greatest_common_divisor(7, 3)"]
    calls.write_text(json.dumps({"task_id": task.task_id, "calls": proposed}) + "\n")
    (outcome,) = Harness(pipeline, 3, drawn, proposed=load_calls(calls)).run([task])
    assert outcome.inputs > len(proposed)  # drawn from `a: int, b: int`, and the proposed two
    assert outcome.top1["mean_logprob"] == 0.0 and outcome.top1["combined_no_inputs"] == 0.0
    assert outcome.top1["combined"] == 1.0
    assert outcome.top1["combined_drawn_inputs"] == 1.0
    assert outcome.top1["combined_proposed_inputs"] == 1.0
    calls.write_text('{"task_id": "x", "calls": "not a list"}\n')
    with pytest.raises(ValueError, match="line 1"):
        load_calls(calls)


def test_recorded_replies_are_read_again_as_the_editor_reads_them(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    from codegen_lsp.eval.harness import load_calls, load_replies
    from codegen_lsp.eval.strip import strip_task

    task = strip_task(load_tasks("humaneval")[13])  # greatest_common_divisor(a: int, b: int)
    right = "    return a if b == 0 else greatest_common_divisor(b, a % b)\n"
    wrong = "    return a * b\n"
    row = {"task_id": task.task_id, "samples": [right, wrong], "logprobs": [[-0.3] * 4] * 2}
    drawn = load_samples(write_samples(tmp_path / "s.jsonl", [row]), [task])
    # Recorded by an older reader, which kept nothing of these lines (a comma for `==`).
    reply = "assert greatest_common_divisor(48, 18), 6)\nassert greatest_common_divisor(7, 3), 1)\n"
    calls = tmp_path / "calls.jsonl"
    calls.write_text(json.dumps({"task_id": task.task_id, "calls": [], "text": reply}) + "\n")
    (as_recorded,) = Harness(pipeline, 2, drawn, proposed=load_calls(calls)).run([task])
    harness = Harness(
        pipeline, 2, drawn, proposed=load_calls(calls), proposed_replies=load_replies(calls)
    )
    (read_again,) = harness.run([task])
    assert read_again.inputs == as_recorded.inputs + 2


def test_the_models_asserts_are_run_and_measured_as_codet(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    from codegen_lsp.eval.harness import load_calls, load_replies
    from codegen_lsp.eval.strip import strip_task

    task = strip_task(load_tasks("humaneval")[13])  # greatest_common_divisor(a: int, b: int)
    wrong = "    return a * b\n"
    right = "    return a if b == 0 else greatest_common_divisor(b, a % b)\n"
    row = {
        "task_id": task.task_id,
        "samples": [wrong, wrong, right],  # the wrong one twice, and likelier
        "logprobs": [[-0.3] * 4, [-0.3] * 4, [-0.9] * 4],
    }
    drawn = load_samples(write_samples(tmp_path / "s.jsonl", [row]), [task])
    reply = (
        "assert greatest_common_divisor(48, 18) == 6\n"
        "assert greatest_common_divisor(7, 3) == 1\n"
        "assert greatest_common_divisor(x, 3) == 1\n"  # not data: dropped
        "assert greatest_common_divisor(2, 2) == two\n"  # not a literal result: dropped
    )
    calls = tmp_path / "calls.jsonl"
    calls.write_text(json.dumps({"task_id": task.task_id, "calls": [], "text": reply}) + "\n")
    harness = Harness(pipeline, 3, drawn, proposed=load_calls(calls), replies=load_replies(calls))
    (outcome,) = harness.run([task])
    # The two likelier samples agree with each other everywhere: the ranking picks them...
    assert outcome.top1["combined"] == 0.0 and outcome.top1["combined_no_inputs"] == 0.0
    # ... the right one alone passes both asserts: 1 sample x 2 asserts beats 2 x 0, and its
    # share of asserts passed (3/3 against 1/3, smoothed) outweighs the ranking's preference.
    assert outcome.top1["codet"] == 1.0
    assert outcome.top1["combined_asserts"] == 1.0
    calls.write_text('{"task_id": "x", "calls": [], "text": 3}\n')
    with pytest.raises(ValueError, match="line 1"):
        load_replies(calls)


@pytest.mark.parametrize("in_place_logprob", [-0.5, -0.1], ids=["tied", "likelier"])
def test_a_tie_is_broken_for_the_body_that_leaves_its_arguments_alone(
    pipeline: Pipeline, tmp_path: Path, in_place_logprob: float
) -> None:
    # The editor puts first, of candidates equal to its top on score and examples passed, one
    # that leaves its arguments alone (a sort in place passes every example and still
    # surprises the caller), however much likelier the other is; so does `eval`.
    from codegen_lsp.eval.datasets import Task

    task = Task(
        "Local/sorted",
        "def ordered(xs: list[int]) -> list[int]:\n"
        '    """Return the items in increasing order.\n\n'
        "    >>> ordered([3, 1, 2])\n    [1, 2, 3]\n"
        '    """\n',
        "ordered",
        "def check(candidate):\n    xs = [3, 1, 2]\n    assert candidate(xs) == [1, 2, 3]\n"
        "    assert xs == [3, 1, 2]\n",
    )
    row = {
        "task_id": task.task_id,
        "samples": ["    xs.sort()\n    return xs\n", "    return sorted(xs)\n"],
        "logprobs": [[in_place_logprob] * 4, [-0.5] * 4],  # one group: the same score
    }
    drawn = load_samples(write_samples(tmp_path / "s.jsonl", [row]), [task])
    (outcome,) = Harness(pipeline, 2, drawn).run([task])
    assert outcome.correct == 1 and outcome.top1["random"] == 0.5
    # On likelihood alone: a coin toss, or the sort in place.
    assert outcome.top1["mean_logprob"] == (0.5 if in_place_logprob == -0.5 else 0.0)
    assert outcome.top1["combined"] == 1.0


def test_the_repair_round_is_measured_as_the_editor_runs_it(tmp_path: Path) -> None:
    from support.scripted_model import ScriptedModel, body

    task = load_tasks("humaneval")[13]  # greatest_common_divisor, with examples
    canonical = _humaneval_rows()[13]["canonical_solution"]
    row = {"task_id": task.task_id, "samples": ["    return a * b\n", "    return a + b\n"]}
    drawn = load_samples(write_samples(tmp_path / "s.jsonl", [row]), [task])
    model = ScriptedModel()
    model.script("fails this example", [body(textwrap.dedent(canonical))])
    settings = Settings()
    settings.model.remote_url = model.url
    settings.model.remote_retries = 0
    settings.sampling.prompt_format = "chat"
    settings.sampling.first_wave = 0
    settings.sampling.repair_samples = 2
    settings.ranking.verifier = False
    pipeline = Pipeline(settings)
    try:
        (outcome,) = Harness(pipeline, 2, drawn).run([task])
    finally:
        pipeline.close()
        model.close()
    # Nothing drawn passed an example; the round, drawn hotter as the editor draws it, did.
    assert outcome.top1["combined"] == 0.0 and outcome.top1["combined_repair"] == 1.0
    assert outcome.repaired
    asked = [r["temperature"] for r in model.stub.requests if r["temperature"]]
    assert asked == [settings.sampling.repair_temperature], asked
    # Told the failure, as the editor tells it, not shown the failing body.
    prompts = {str(r["prompt"]) for r in model.stub.requests}
    assert prompts and all("fails this example" in p and "return a * b" not in p for p in prompts)
