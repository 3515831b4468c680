"""The evaluation harness: sample, execute on the prompt's own examples, rank, then judge.

For every task the harness draws N bodies (from the model, or from a file of pre-drawn samples),
runs them on the examples the prompt itself shows (never the hidden tests) and ranks them with
each ranker alone and combined. Only then are the hidden tests run, through the same sandbox, to
score the rankers' first choices (expected accuracy under random tie-breaking) and the unbiased
pass@k of the raw samples. Per-candidate features and labels can be dumped for verifier training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_lsp import builds, docstrings, execution, inputs, raise_rules, unread
from codegen_lsp import prompt as prompt_mod
from codegen_lsp.context import FunctionContext, all_functions
from codegen_lsp.draws import Draw, Waves, collect_bodies, draw_in_waves
from codegen_lsp.eval.datasets import Task
from codegen_lsp.pipeline import ARGUMENT_CHECKS, Pipeline
from codegen_lsp.ranking import agreement, combine, mean_logprob, verifier
from codegen_lsp.ranking.candidate import Candidate
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.sandbox.types import CandidateRun, Example

log = logging.getLogger(__name__)

RANKERS = (
    "random",
    "mean_logprob",
    "examples",
    "agreement",
    "verifier",
    "reviewer",
    "combined",
    "combined_no_inputs",
    "combined_drawn_inputs",
    "combined_proposed_inputs",
    "combined_reviewer",
    "combined_repair",
    "codet",
    "combined_asserts",
    "oracle",
)
OPTIONAL_RANKERS = ("reviewer", "combined_reviewer", "combined_repair", "codet", "combined_asserts")
"""Measured only when asked: the reviewer (``eval --reviewer``) costs one forward pass per
candidate, the repair round (``eval --repair-samples K``) a generation where nothing passed."""


@dataclass
class TaskOutcome:
    """How one task went."""

    task_id: str
    n: int
    correct: int
    """Samples (duplicates counted, unusable ones failing) that pass the hidden tests."""
    examples: int
    top1: dict[str, float]
    """Expected hidden-test accuracy of each ranker's first choice."""
    verified: bool = False
    verified_correct: bool = False
    distinct: int = 0
    seconds: float = 0.0
    inputs: int = 0
    """Calls the candidates were compared on (no examples only)."""
    stopped_early: bool = False
    """The first wave's samples settled it (``sampling.firstWave``): ``n`` is that wave's."""
    repaired: bool = False
    """No sample passed every example and the repair round found one that does."""
    top_score: float | None = None
    """The combined ranking's score of its first choice (what the "verified" threshold reads)."""
    top_passes_all: bool = False
    """Its first choice passes every example (the other half of the "verified" mark)."""
    top_correct: bool = False
    """Its first choice passes the hidden tests."""


@dataclass
class PreDrawn:
    """Samples drawn earlier: raw texts and (optionally) their token log-probabilities."""

    texts: list[str]
    logprobs: list[list[float]] = field(default_factory=list)
    prompt_format: str = "raw"


def load_samples(paths: Path | list[Path], tasks: list[Task]) -> dict[str, PreDrawn]:
    """Read pre-drawn samples: rows with task_id, or CodeT-style rows (prompt, samples).

    Rows of the same task (from several files, e.g. two seeds, or one file holding several
    runs) are joined in the order given, so ``--n`` takes the first files' samples first.
    CodeT's HumanEval prompts have their examples removed and come in another order; such rows
    are matched to tasks by the last function their prompt defines (the entry point), and the
    task's own prompt (with its examples) is used.
    """
    by_entry: dict[str, list[Task]] = {}
    for task in tasks:
        by_entry.setdefault(task.entry_point, []).append(task)
    drawn: dict[str, PreDrawn] = {}
    for path in [paths] if isinstance(paths, Path) else paths:
        with path.open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        for index, row in enumerate(rows):
            texts = list(row.get("samples") or row.get("completions") or [])
            lps = [list(x) for x in row.get("logprobs") or []]
            if "task_id" in row:
                task_id = str(row["task_id"])
            else:
                task_id = _match_task(str(row.get("prompt", "")), by_entry, index)
            prompt_format = row.get("format", "raw")
            known = drawn.get(task_id)
            if known is None:
                drawn[task_id] = PreDrawn(texts, lps, prompt_format)
                continue
            if known.prompt_format != prompt_format:
                raise ValueError(
                    f"{path}: {task_id} was drawn with the {prompt_format} prompt here and the "
                    f"{known.prompt_format} prompt before; join samples of one format only"
                )
            if known.logprobs or lps:  # keep log-probs aligned with texts; [] = unknown
                known.logprobs = _padded(known.logprobs, len(known.texts)) + _padded(
                    lps, len(texts)
                )
            known.texts += texts
    return drawn


def load_calls(path: Path) -> dict[str, list[str]]:
    """Read the calls an earlier run recorded (``calls.jsonl``: task_id and calls per line)."""
    found: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        calls = row.get("calls") if isinstance(row, dict) else None
        if not isinstance(calls, list) or not all(isinstance(c, str) for c in calls):
            raise ValueError(f'line {number}: expected {{"task_id": ..., "calls": [...]}}')
        found[str(row.get("task_id"))] = calls
    return found


def load_replies(path: Path) -> dict[str, str]:
    """Read the model's replies an earlier run recorded in ``calls.jsonl`` (``text``)."""
    found: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        text = row.get("text") if isinstance(row, dict) else None
        if text is not None and not isinstance(text, str):
            raise ValueError(f"line {number}: 'text' is not a string")
        if text:
            found[str(row.get("task_id"))] = text
    return found


def _padded(logprobs: list[list[float]], count: int) -> list[list[float]]:
    return logprobs + [[] for _ in range(count - len(logprobs))]


def _match_task(prompt: str, by_entry: dict[str, list[Task]], index: int) -> str:
    """Return the task whose entry point the prompt defines last; shared lines break ties."""
    names = re.findall(r"^def\s+(\w+)\s*\(", prompt, re.MULTILINE)
    lines = {line.strip() for line in prompt.splitlines() if line.strip()}
    for name in reversed(names):
        same_name = by_entry.get(name, [])
        if same_name:
            best = max(
                same_name,
                key=lambda t: len(lines & {x.strip() for x in t.prompt.splitlines()}),
            )
            return best.task_id
    raise ValueError(f"row {index + 1} matches no task by its functions {names}")


def target_function(task: Task) -> FunctionContext:
    """Return the function the task asks for: the last bodiless definition of the entry point."""
    found = [f for f in all_functions(task.prompt) if f.name == task.entry_point]
    if not found:
        raise ValueError(f"{task.task_id}: no function {task.entry_point} in the prompt")
    stubs = [f for f in found if not f.has_body]
    return (stubs or found)[-1]


def hidden_example(task: Task) -> Example:
    """Return the hidden tests as one example: ``check(entry_point)`` must return None."""
    return Example(call=f"check({task.entry_point})", expected="None", line=1, kind="prose")


def expected_top1(keys: list[Any], correct: list[bool], weights: list[int]) -> float:
    """Accuracy of picking the best key, ties broken at random (weighted by duplicates)."""
    if not keys:
        return 0.0
    best = max(keys)
    tied = [i for i, key in enumerate(keys) if key == best]
    total = sum(weights[i] for i in tied)
    return sum(weights[i] for i in tied if correct[i]) / total if total else 0.0


def _combined_keys(ranked: list[combine.Ranked], count: int) -> list[Any]:
    keys: list[Any] = [()] * count
    for item in ranked:
        keys[item.index] = item.sort_key[:-1]  # all but the index: equal keys are ties
    return keys


def ranker_keys(
    candidates: list[Candidate],
    ranked: list[combine.Ranked],
    verifier_probs: list[float | None],
    reviewed: list[combine.Ranked] | None = None,
) -> dict[str, list[Any] | None]:
    """Each ranker's sort key per candidate (higher is better); None where it has no signal.

    ``reviewed`` is the combined ranking with the Codex-D reviewer on, when it was measured.
    """
    sizes = agreement.group_sizes(candidates)
    combined_key = _combined_keys(ranked, len(candidates))
    has_logprobs = any(c.mean_logprob is not None for c in candidates)
    has_verifier = any(p is not None for p in verifier_probs)
    return {
        "mean_logprob": (
            [c.mean_logprob if c.mean_logprob is not None else -1e9 for c in candidates]
            if has_logprobs
            else None
        ),
        "examples": [
            c.examples_passed / c.examples_total if c.examples_total else 0.0 for c in candidates
        ],
        "agreement": [0 if c.errored else s for c, s in zip(candidates, sizes, strict=True)],
        "verifier": (
            [p if p is not None else 0.0 for p in verifier_probs] if has_verifier else None
        ),
        "combined": combined_key,
        "reviewer": (
            [r.reviewer if r.reviewer is not None else -1e9 for r in sorted(reviewed, key=_index)]
            if reviewed
            else None
        ),
        "combined_reviewer": _combined_keys(reviewed, len(candidates)) if reviewed else None,
    }


def _with_behaviour(candidates: list[Candidate], start: int, end: int) -> list[Candidate]:
    """Return copies of ``candidates`` that saw only the inputs ``start:end`` (none when empty)."""
    return [
        dataclasses.replace(
            candidate,
            behaviour=candidate.behaviour[start:end],
            wrong_type_share=candidate.wrong_type_share if end > start else 0.0,
        )
        for candidate in candidates
    ]


def _index(item: combine.Ranked) -> int:
    return item.index


class Harness:
    """Runs tasks through a pipeline and collects outcomes (and optional verifier rows)."""

    def __init__(
        self,
        pipeline: Pipeline,
        n: int,
        pre_drawn: dict[str, PreDrawn] | None = None,
        prompt_format: str | None = None,
        dump_rows: bool = False,
        stream_dir: Path | None = None,
        reviewer: bool = False,
        hidden_sandbox: Sandbox | None = None,
        proposed: dict[str, list[str]] | None = None,
        inputs_with_examples: bool = False,
        replies: dict[str, str] | None = None,
        proposed_replies: dict[str, str] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.replies = replies
        """The model's replies to the calls prompt per task (``eval --asserts``): their
        ``assert f(...) == value`` lines are run on every candidate (CodeT) and measured as the
        ``codet`` and ``combined_asserts`` rankers (a task without asserts ranks as combined)."""
        self.inputs_with_examples = inputs_with_examples
        """Compare candidates on inputs even when the prompt has examples (an experiment)."""
        self.proposed = proposed
        """Calls the model proposed earlier per task (``eval --calls``); without them, and with
        ``ranking.proposedInputs`` on, the model is asked for them (and they are recorded)."""
        self.proposed_replies = proposed_replies or {}
        """The replies those calls were read from, where recorded: read again, as the editor
        reads them today (:func:`execution.read_proposals`), in place of the recorded calls."""
        self.calls: list[dict[str, Any]] = []
        self.hidden_sandbox = hidden_sandbox
        """Where the hidden tests run (a longer time limit than the examples'); else the
        pipeline's own sandbox."""
        self.n = n
        self.pre_drawn = pre_drawn
        self.prompt_format = prompt_format
        self.dump_rows = dump_rows
        self.rows: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        self.stream_dir = stream_dir
        """When set, samples, rows and outcomes are appended there as each task finishes, so
        a long run that is stopped keeps what it did."""
        self.reviewer = reviewer
        """Also measure the Codex-D reviewer alone and inside the combined ranking."""
        self.repairs: list[dict[str, Any]] = []
        """What the repair rounds drew (``sampling.repairSamples``), per task repaired."""
        self.repair_seconds: list[float] = []

    def draw(self, task: Task, ctx: FunctionContext, start: int = 0, count: int = 0) -> Draw:
        """Draw (or read) samples ``start .. start + count - 1`` of the task (0: all n)."""
        count = count or self.n
        if self.pre_drawn is not None:
            pre = self.pre_drawn.get(task.task_id)
            if pre is None:
                raise ValueError(f"no pre-drawn samples for {task.task_id}")
            end = min(start + count, self.n)
            texts = pre.texts[start:end]
            lps = pre.logprobs[start:end] if pre.logprobs else [[] for _ in texts]
            return collect_bodies(texts, lps, ctx, prompt_format=pre.prompt_format)
        return self.pipeline.draw(
            ctx, n=count, prompt_format=self.prompt_format, start=start, of=self.n
        )

    def _run_examples(
        self, ctx: FunctionContext, bodies: list[str], examples: list[Example]
    ) -> list[CandidateRun]:
        """Run the bodies on the prompt's examples in the pipeline's sandbox (none: no runs)."""
        if not bodies:
            return []
        return execution.run_examples(ctx, bodies, examples, self.pipeline.sandbox)

    def _keep_samples(self, task: Task, draw: Draw) -> None:
        """Remember what the model drew for the task (written as samples.jsonl)."""
        self.samples.append(
            {
                "task_id": task.task_id,
                "format": draw.prompt_format,
                "samples": [s.text for s in draw.raw],
                "logprobs": [[round(x, 3) for x in s.logprobs] for s in draw.raw],
            }
        )

    def run_task(self, task: Task) -> TaskOutcome:
        """Draw, execute on the prompt's examples, rank, then judge with the hidden tests."""
        started = time.monotonic()
        ctx = target_function(task)
        examples = execution.docstring_examples(ctx)
        sampling = self.pipeline.settings.sampling
        asked: list[tuple[list[str], list[str]]] = []  # the task's inputs, asked for once

        def task_inputs() -> tuple[list[str], list[str]]:
            if not asked:
                asked.append(self.inputs(task, ctx))
            return asked[0]

        def agreed(first: Draw) -> bool:
            drawn_calls, proposed_calls = task_inputs()
            return execution.first_wave_agrees(
                ctx,
                first,
                drawn_calls + proposed_calls,
                self.pipeline.sandbox,
                sampling.enough_passing,
            )[0]

        first_near: list[CandidateRun] = []  # the first wave's runs near the examples

        def settled(first: Draw, first_runs: list[CandidateRun]) -> bool:
            calls = execution.variant_calls(
                ctx, examples, self.pipeline.settings, first, first_runs
            )
            agrees, first_near[:] = execution.near_settles(
                ctx, first, first_runs, calls, self.pipeline.sandbox
            )
            return agrees

        in_waves = draw_in_waves(
            Waves(self.n, sampling.first_wave, sampling.enough_passing),
            any(example.kind != "probe" for example in examples),
            lambda start, count: self.draw(task, ctx, start, count),
            lambda bodies: self._run_examples(ctx, bodies, examples),
            agreed=agreed if not examples and sampling.first_wave_without_examples else None,
            settled=settled,
        )
        draw, runs = in_waves.draw, in_waves.runs
        if self.pre_drawn is None:
            self._keep_samples(task, draw)
        n = len(draw.sample_body)
        bodies = [b.body for b in draw.bodies]
        compare = (len(bodies) > 1 or in_waves.stopped_early) and (
            not examples or self.inputs_with_examples
        )
        drawn, proposed = task_inputs() if compare else ([], [])
        rules = raise_rules.rules_of(ctx)
        near = execution.variant_calls(ctx, examples, self.pipeline.settings, draw, runs, rules)
        calls = drawn + proposed + near
        probe_runs = None
        if calls:
            # The first wave ran near the examples already; only the bodies added since run
            # (unless the inputs go first, as with --inputs-with-examples).
            reused = first_near if calls == near else []
            probe_runs = reused + (
                execution.run_probes(ctx, bodies[len(reused) :], calls, self.pipeline.sandbox)
                if bodies[len(reused) :]
                else []
            )
        candidates = execution.ranking_candidates(
            draw,
            runs,
            ctx.docstring or "",
            probe_runs,
            builds.return_types(ctx),
            len(near),
            hinted=inputs.hinted(ctx),
            return_fields=builds.return_fields(ctx),
            accepted=execution.accepted_inputs(ctx, self.pipeline.settings, len(near)),
            rules=rules,
            parameters=unread.asked_parameters(ctx),
        )
        sizes = agreement.group_sizes(candidates)
        model = self.pipeline.verifier_model if self.pipeline.settings.ranking.verifier else None
        probs = verifier.verify(candidates, sizes, model)
        settings = dataclasses.replace(self.pipeline.settings.ranking, reviewer=False)
        ranked = combine.rank(candidates, settings, model)
        # The same ranking with part of the inputs' evidence taken away, to see what each adds.
        variants = {
            "combined_no_inputs": _with_behaviour(candidates, 0, 0),
            "combined_drawn_inputs": _with_behaviour(candidates, 0, len(drawn)),
            "combined_proposed_inputs": _with_behaviour(
                candidates, len(drawn), len(drawn) + len(proposed)
            ),
        }
        variant_keys: dict[str, list[Any] | None] = {
            name: _combined_keys(combine.rank(variant, settings, model), len(candidates))
            for name, variant in variants.items()
        }
        reviewed = (
            combine.rank(
                candidates,
                dataclasses.replace(settings, reviewer=True),
                model,
                self._review_fn(ctx),
            )
            if self.reviewer and ctx.docstring
            else None
        )

        variant_keys |= self._assert_keys(task, ctx, bodies, candidates, ranked)

        # Only now, after ranking, are the hidden tests run.
        hidden_codes = [ctx.module_with_body(b) + "\n\n" + task.test for b in bodies]
        judge = self.hidden_sandbox or self.pipeline.sandbox
        hidden = (
            judge.run_many(hidden_codes, task.entry_point, [hidden_example(task)]) if bodies else []
        )
        correct = [r.error is None and r.total > 0 and r.passed == r.total for r in hidden]
        weights = [b.duplicates for b in draw.bodies]
        c = sum(w for w, ok in zip(weights, correct, strict=True) if ok)
        top1 = {"random": c / n if n else 0.0, "oracle": float(c > 0)}
        keyed = ranker_keys(candidates, ranked, probs, reviewed) | variant_keys
        # The pipeline's last tie-break, on the examples' calls (else the inputs the top
        # returned on first).
        shown = [example.call for example in examples if example.kind != "probe"]
        combined = keyed["combined"] or []
        top_run = probe_runs[combined.index(max(combined))] if probe_runs and combined else None
        checked = shown or execution.returned_first(calls, top_run)[:ARGUMENT_CHECKS]
        keyed["combined"] = self._prefer_leaving_arguments(ctx, combined, bodies, checked)
        for name, keys in keyed.items():
            # A ranker without a signal (no log-probs, no verifier) is not measured.
            top1[name] = float("nan") if keys is None else expected_top1(keys, correct, weights)
        if self.reviewer and reviewed is None:  # no docstring: the reviewer changes nothing
            top1["reviewer"] = top1["random"]
            top1["combined_reviewer"] = top1["combined"]
        repaired = False
        sampling = self.pipeline.settings.sampling
        if sampling.repair_samples or sampling.slow_repair_samples:
            top1["combined_repair"] = top1["combined"]
            judged = any(example.kind != "probe" for example in examples)
            top = ranked[0].index if ranked else -1
            # As the pipeline does: a round on the failure where nothing passed; where the top
            # passes but did not finish a call near the examples, a round for speed.
            hung = (
                execution.hung_call(probe_runs[top], len(near))
                if probe_runs is not None and near and top >= 0 and candidates[top].passes_all
                else None
            )
            failure: str | None = None
            if (
                sampling.repair_samples
                and judged
                and top >= 0
                and not any(c.passes_all for c in candidates)
            ):
                failure, count = execution.repair_failure(runs[top]), sampling.repair_samples
            elif (
                sampling.slow_repair_samples
                and hung is not None
                and execution.is_larger_call(ctx, examples, hung)
            ):
                failure, count = execution.too_slow(hung), sampling.slow_repair_samples
            if failure is not None:
                repair_started = time.monotonic()
                outcome_of_repair = self._repair_top1(
                    task, ctx, examples, bodies[top], failure, count, hung
                )
                if outcome_of_repair is not None:
                    top1["combined_repair"] = outcome_of_repair
                    repaired = True
                self.repair_seconds.append(time.monotonic() - repair_started)
        outcome = TaskOutcome(task.task_id, n, c, len(examples), top1, distinct=len(bodies))
        outcome.inputs = len(drawn) + len(proposed)
        outcome.stopped_early = in_waves.stopped_early
        outcome.repaired = repaired
        if ranked:
            outcome.verified = ranked[0].verified
            outcome.verified_correct = ranked[0].verified and correct[ranked[0].index]
            outcome.top_score = ranked[0].score
            outcome.top_passes_all = candidates[ranked[0].index].passes_all
            outcome.top_correct = correct[ranked[0].index]
        if self.dump_rows and candidates:
            features = verifier.feature_rows(candidates, sizes)
            keys = agreement.group_keys(candidates)
            for i, candidate in enumerate(candidates):
                p_lm = mean_logprob.lm_probability(candidate)
                self.rows.append(
                    {
                        "task_id": task.task_id,
                        "features": [round(float(x), 5) for x in features[i]],
                        "label": int(correct[i]),
                        "duplicates": candidate.duplicates,
                        "group": hashlib.sha1(keys[i].encode()).hexdigest()[:16],
                        "p_lm": p_lm if p_lm is not None else 1.0,
                        "passes_all": candidate.passes_all,
                        "examples_passed": candidate.examples_passed,
                        "samples": n,
                        "code": candidate.code,
                        "record": candidate.record,
                        "near": list(candidate.near),
                        "breaks_near": candidate.breaks_near,
                        "raises_as_documented": candidate.raises_as_documented,
                        "inputs": len(candidate.behaviour),
                        "crashes": round(candidate.crash_share * len(candidate.behaviour)),
                        "top": i == ranked[0].index,
                        "score": next(r.score for r in ranked if r.index == i),
                    }
                )
        outcome.seconds = time.monotonic() - started
        return outcome

    def _prefer_leaving_arguments(
        self, ctx: FunctionContext, keys: list[Any], bodies: list[str], calls: list[str]
    ) -> list[Any]:
        """Return the combined ranking's keys with the pipeline's last tie-break applied.

        The editor looks at the candidates equal to its top on score and examples passed (the
        key's first two parts: the rest, likelihood included, only orders them) and, when the
        top changes its arguments, puts first the best of them that leaves them alone
        (``Pipeline._prefer_leaving_arguments``). Here the keys change so that the same
        candidate comes first: among those tied for first, one that leaves its arguments alone;
        when none of them does, the best-keyed equal that does.
        """
        if not keys:
            return keys
        best = max(keys)
        equals = [index for index, key in enumerate(keys) if key[:2] == best[:2]]
        if len(equals) < 2:
            return keys
        changed = execution.argument_changes(
            ctx, [bodies[index] for index in equals], calls, self.pipeline.sandbox
        )
        alone = {index for index, call in zip(equals, changed, strict=True) if call is None}
        tied = [index for index in equals if keys[index] == best]
        if not alone or all(index in alone for index in tied):
            return keys
        if any(index in alone for index in tied):
            first = {index for index in tied if index in alone}
        else:
            top = max(keys[index] for index in alone)
            first = {index for index in alone if keys[index] == top}
        return [(index in first, *key) for index, key in enumerate(keys)]

    def _repair_top1(
        self,
        task: Task,
        ctx: FunctionContext,
        examples: list[Example],
        body: str,
        failure: str,
        count: int,
        hung: str | None = None,
    ) -> float | None:
        """Run one repair round of ``count`` samples on the top's ``failure``, as the pipeline does.

        Returns whether the repaired top candidate passes the hidden tests, or None when no
        repaired sample passes every example, or (``hung``: a round for speed) the repaired top
        does not finish that call in time: the first round's answer then stands.
        """
        # As the pipeline does: the round on a failure tells the failure without the body, the
        # round for speed shows the body that was too slow.
        feedback = prompt_mod.Feedback(body, failure, show_body=hung is not None)
        sampling = self.pipeline.settings.sampling
        draw = self.pipeline.draw(
            ctx,
            n=count,
            feedback=feedback,
            prompt_format=self.prompt_format,
            # As the pipeline does: the round on a failure draws hotter, the round for speed not.
            temperature=sampling.repair_temperature if hung is None else None,
        )
        current = docstrings.normalised(body)
        draw.drop(lambda drawn: docstrings.normalised(drawn.body) == current)
        self.repairs.append(
            {
                "task_id": task.task_id,
                "failure": feedback.failure,
                "samples": [s.text for s in draw.raw],
                "logprobs": [[round(x, 3) for x in s.logprobs] for s in draw.raw],
            }
        )
        if self.stream_dir is not None:
            _append(self.stream_dir / "repairs.jsonl", self.repairs[-1:])
        bodies = [b.body for b in draw.bodies]
        runs = self._run_examples(ctx, bodies, examples)
        candidates = execution.ranking_candidates(
            draw, runs, ctx.docstring or "", None, builds.return_types(ctx)
        )
        if not any(c.passes_all for c in candidates):
            return None
        model = self.pipeline.verifier_model if self.pipeline.settings.ranking.verifier else None
        settings = dataclasses.replace(self.pipeline.settings.ranking, reviewer=False)
        best = bodies[combine.rank(candidates, settings, model)[0].index]
        if hung is not None and not execution.finishes(ctx, best, hung, self.pipeline.sandbox):
            return None
        judge = self.hidden_sandbox or self.pipeline.sandbox
        (hidden,) = judge.run_many(
            [ctx.module_with_body(best) + "\n\n" + task.test],
            task.entry_point,
            [hidden_example(task)],
        )
        return float(hidden.error is None and hidden.total > 0 and hidden.passed == hidden.total)

    def _assert_keys(
        self,
        task: Task,
        ctx: FunctionContext,
        bodies: list[str],
        candidates: list[Candidate],
        ranked: list[combine.Ranked],
    ) -> dict[str, list[Any] | None]:
        """Sort keys of the two assert rankers (CodeT), when the task has the model's asserts.

        ``codet``: CodeT's dual execution agreement: candidates that pass the same asserts form
        a set, worth (samples in it) x (asserts they pass). ``combined_asserts``: the combined
        score times the smoothed share of asserts the candidate passes.
        """
        if self.replies is None:
            return {}
        text = self.replies.get(task.task_id)
        pairs = inputs.proposed_asserts(text or "", ctx.name, constructors=inputs.constructors(ctx))
        if not pairs or not bodies:
            # No asserts to run: both rankers are what the ranking does without them.
            combined = _combined_keys(ranked, len(candidates))
            return {"codet": combined, "combined_asserts": combined}
        tests = [Example(call=call, expected=expected, line=0) for call, expected in pairs]
        runs = self._run_examples(ctx, bodies, tests)
        passed = [
            frozenset(i for i, r in enumerate(run.results) if r.status == "passed")
            if run.error is None
            else frozenset()
            for run in runs
        ]
        samples: dict[frozenset[int], int] = {}
        for candidate, tests_passed in zip(candidates, passed, strict=True):
            samples[tests_passed] = samples.get(tests_passed, 0) + candidate.duplicates
        lps = [c.mean_logprob if c.mean_logprob is not None else -1e9 for c in candidates]
        codet = [(samples[p] * len(p), lp) for p, lp in zip(passed, lps, strict=True)]
        combined = _combined_keys(ranked, len(candidates))
        smoothed = [(len(p) + 1) / (len(tests) + 1) for p in passed]
        with_asserts = [
            (key[0], key[1] * share, *key[2:]) if key else key
            for key, share in zip(combined, smoothed, strict=True)
        ]
        return {"codet": codet, "combined_asserts": with_asserts}

    def inputs(self, task: Task, ctx: FunctionContext) -> tuple[list[str], list[str]]:
        """Return the calls to compare the task's candidates on: drawn, then proposed."""
        if self.proposed is not None:
            reply = self.proposed_replies.get(task.task_id)
            if reply is not None:
                known = execution.read_proposals(ctx, reply)
            else:
                known = self.proposed.get(task.task_id, [])
            return self.pipeline.probe_calls(ctx, known_proposals=known)
        drawn, proposed = self.pipeline.probe_calls(ctx)
        if self.pipeline.settings.ranking.proposed_inputs:
            reply = self.pipeline.proposals_reply(ctx)
            self.calls.append({"task_id": task.task_id, "calls": proposed, "text": reply})
            if self.stream_dir is not None:
                _append(self.stream_dir / "calls.jsonl", self.calls[-1:])
        return drawn, proposed

    def _review_fn(self, ctx: FunctionContext) -> Callable[[Candidate], list[float]]:
        """Codex-D through the pipeline's engine: log P(docstring | candidate's code)."""
        engine = self.pipeline.engine()

        def review(candidate: Candidate) -> list[float]:
            prompt, continuation = prompt_mod.reviewer_prompt(ctx, candidate.code)
            return engine.score(prompt, continuation)

        return review

    def run(
        self, tasks: list[Task], on_task: Callable[[int, int, TaskOutcome], None] | None = None
    ) -> list[TaskOutcome]:
        """Run every task; a task that fails is logged and counted as all-wrong."""
        outcomes = []
        for number, task in enumerate(tasks, start=1):
            try:
                outcome = self.run_task(task)
            except Exception as error:  # one broken task must not lose the whole evaluation
                log.warning("%s failed: %s", task.task_id, error, exc_info=True)
                measured = [r for r in RANKERS if self.reviewer or r not in OPTIONAL_RANKERS]
                top1 = dict.fromkeys(RANKERS, float("nan")) | dict.fromkeys(measured, 0.0)
                outcome = TaskOutcome(task.task_id, self.n, 0, 0, top1)
            outcomes.append(outcome)
            self._stream(outcome)
            if on_task is not None:
                on_task(number, len(tasks), outcome)
        return outcomes

    def _stream(self, outcome: TaskOutcome) -> None:
        if self.stream_dir is None:
            return
        self.stream_dir.mkdir(parents=True, exist_ok=True)
        _append(self.stream_dir / "outcomes.jsonl", [outcome_to_json(outcome)])
        _append(self.stream_dir / "samples.jsonl", self.samples[self._streamed_samples :])
        _append(self.stream_dir / "rows.jsonl", self.rows[self._streamed_rows :])
        self._streamed_samples, self._streamed_rows = len(self.samples), len(self.rows)

    _streamed_samples = 0
    _streamed_rows = 0


def _append(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def stderr_progress(number: int, total: int, outcome: TaskOutcome) -> None:
    """One progress line per task on stderr."""
    top = outcome.top1
    print(
        f"[{number}/{total}] {outcome.task_id}: {outcome.correct}/{outcome.n} correct, "
        f"combined {top.get('combined', 0):.2f}, oracle {top.get('oracle', 0):.0f} "
        f"({outcome.seconds:.1f}s)",
        file=sys.stderr,
        flush=True,
    )


def outcome_to_json(outcome: TaskOutcome) -> dict[str, Any]:
    """Plain-data form of an outcome."""
    data = dataclasses.asdict(outcome)
    data["top1"] = {k: (v if math.isfinite(v) else None) for k, v in outcome.top1.items()}
    return data
