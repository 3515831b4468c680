"""The pipeline: context -> prompt -> samples -> executed -> ranked, with evidence.

This is the one entry point the surfaces (CLI, language server, evaluation) call. It knows no
LSP types: positions are 0-based (line, column) pairs and edits are plain text replacements.

CONTRACT (filled in by the pipeline work; the LSP layer codes against these names):

- ``Pipeline(settings, engine=None, project_paths=())``; the engine is loaded lazily on first
  use; ``project_paths`` are directories the sandbox lets the code import from, read-only.
- Every entry point takes ``file: ProjectFile | None``: the file's place in its project (see
  ``project.py``). With it, the examples run under the project's interpreter with the project
  importable (one sandbox per interpreter and import path), the file's relative imports work,
  and the prompt carries the definitions the function uses from other files (jedi, within
  ``project.contextTokens`` and ``project.contextTimeoutS``). Without it, the file stands alone.
- ``Pipeline.implement(source, line, column, cancel=None, progress=None, file=None)
  -> GenerationResult``
- ``Pipeline.repair(source, line, column, note=None, cancel=None, progress=None, file=None)
  -> GenerationResult``
- ``Pipeline.explain(source, line, column, cancel=None, progress=None, file=None, rewrite=False)
  -> ExplainResult``
- ``Pipeline.check(source, line=None, stubs=False, file=None) -> list[CheckResult]`` (no model):
  the function at ``line`` (0-based; a result even without examples), or every function with
  examples and a body (with ``stubs``, placeholder bodies too).
- ``progress(stage: str, done: int, total: int, passing: int | None)`` is called from the
  worker thread, with stage in {"loading model", "sampling", "running examples", "ranking", ...};
  ``passing`` counts the candidates that passed every example so far while examples run.
- ``cancel`` is a ``threading.Event``; when set, the call raises ``GenerationCancelled``.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from codegen_lsp import context as context_mod
from codegen_lsp import crossfile, docstrings, inputs, postprocess
from codegen_lsp import prompt as prompt_mod
from codegen_lsp.context import FunctionContext
from codegen_lsp.draws import Draw, Waves, collect_bodies, draw_in_waves
from codegen_lsp.engine.types import Engine, GenerationCancelled, GenerationRequest, Sample
from codegen_lsp.project import ProjectFile
from codegen_lsp.ranking import combine
from codegen_lsp.ranking.candidate import Candidate
from codegen_lsp.ranking.verifier import VerifierModel
from codegen_lsp.sandbox.examples import extract_examples
from codegen_lsp.sandbox.isolation import InterpreterError, weaknesses
from codegen_lsp.sandbox.types import CandidateRun, Example, ExampleResult
from codegen_lsp.settings import Settings

if TYPE_CHECKING:
    from codegen_lsp.sandbox.runner import Sandbox

log = logging.getLogger(__name__)


class ProgressFn(Protocol):
    """Where a pipeline call says how far it got (called from its worker thread)."""

    def __call__(self, stage: str, done: int, total: int, passing: int | None = None) -> None:
        """Say that ``stage`` has ``done`` of ``total`` steps behind it.

        While examples run, ``passing`` says how many candidates so far passed every example.
        """


CALLS_TOKENS = 200
"""Longest reply the model may write when asked for calls of a function (a few lines)."""
PROJECT_SANDBOXES = 4
"""Sandboxes kept at once, one per (interpreter, import paths): a few projects open together."""
CONTEXT_CACHE_SIZE = 64
"""Cross-file contexts kept, one per (file version, function)."""


@dataclass(frozen=True)
class TextReplacement:
    """Replace the text between two 0-based (line, column) positions with ``new_text``."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    new_text: str


@dataclass
class RankedCandidate:
    """One candidate body with the evidence behind its rank."""

    rank: int
    body: str
    """The body as it will be inserted, indented to the function's body indentation."""
    replacement: TextReplacement
    """The edit that puts ``body`` into the source the request was computed on."""
    mean_logprob: float
    run: CandidateRun
    score: float
    verified: bool
    duplicates: int = 1
    """How many samples produced exactly this code."""
    group_size: int = 1
    """How many candidates behaved the same on the examples (agreement)."""
    verifier: float | None = None
    reviewer: float | None = None
    score_parts: dict[str, float] = field(default_factory=dict)

    @property
    def examples_passed(self) -> int:
        """Examples this candidate passed."""
        return self.run.passed

    @property
    def examples_total(self) -> int:
        """Examples this candidate ran."""
        return self.run.total


@dataclass
class GenerationResult:
    """The ranked candidates for one function, best first."""

    function_name: str
    function_line: int
    examples: list[Example]
    candidates: list[RankedCandidate]
    notes: list[str] = field(default_factory=list)
    """Honest remarks for the user, e.g. "no examples in the docstring: nothing is verified"."""
    prompt: str = ""
    """The prompt the model read (empty for pre-drawn text)."""
    definitions: list[str] = field(default_factory=list)
    """The definitions from other files of the project that the prompt carried."""
    context_tokens: int = 0
    """Estimated tokens those definitions added to the prompt."""
    interpreter: str = ""
    """The Python the examples ran under."""
    inputs: list[str] = field(default_factory=list)
    """Without examples: the calls the candidates were compared on (drawn, then proposed)."""
    complete: bool = True
    """False for the first wave's candidates, shown while the rest are drawn."""


@dataclass
class ExplainResult:
    """A generated docstring whose examples were checked against the existing function."""

    function_name: str
    docstring: str
    replacement: TextReplacement
    examples_checked: int
    examples_kept: int
    """Examples left in the docstring: those that passed, plus the corrected ones."""
    notes: list[str] = field(default_factory=list)
    examples_corrected: int = 0
    """Doctests whose expected value the model got wrong, rewritten to what the function returns."""


@dataclass
class CheckResult:
    """A function's own docstring examples run against its current body."""

    function_name: str
    function_line: int
    docstring_line: int
    """0-based line of the docstring's opening quotes in the source (the ``def`` line when there
    is no docstring); an example's line ``n`` in its docstring is source line
    ``docstring_line + n - 1``."""
    run: CandidateRun
    has_docstring: bool = True


@dataclass(frozen=True)
class _ProjectSandbox:
    sandbox: Sandbox
    notes: tuple[str, ...]


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise GenerationCancelled("cancelled")


def _report(
    progress: ProgressFn | None, stage: str, done: int, total: int, passing: int | None = None
) -> None:
    if progress is None:
        return
    try:
        progress(stage, done, total, passing)
    except Exception:  # a broken progress display must not stop the work
        log.debug("progress callback failed", exc_info=True)


def ranking_candidates(
    draw: Draw,
    runs: list[CandidateRun],
    description: str,
    probe_runs: list[CandidateRun] | None = None,
    return_types: frozenset[str] | None = None,
) -> list[Candidate]:
    """Return the ranking's plain view of each distinct body and its run on the examples.

    ``probe_runs`` are the bodies' runs on inputs drawn for a function without examples
    (:mod:`codegen_lsp.inputs`); ``return_types`` the types its return annotation allows.
    """
    from codegen_lsp.sandbox.record import execution_record, execution_signature

    candidates = []
    probes = probe_runs if probe_runs is not None else [None] * len(runs)
    for drawn, run, probe_run in zip(draw.bodies, runs, probes, strict=True):
        behaviour: tuple[str, ...] = ()
        wrong_type_share = 0.0
        if probe_run is not None and probe_run.error is None:
            behaviour, wrong_type_share = inputs.behaviour(probe_run.results, return_types)
        errored = run.error is not None or any(
            r.status in ("error", "timeout") and r.example.expected_exception is None
            for r in run.results
        )
        candidates.append(
            Candidate(
                code=drawn.body,
                logprobs=drawn.logprobs,
                examples_passed=run.passed,
                examples_total=run.total,
                errored=errored,
                signature=None if errored else execution_signature(run),
                record=execution_record(run),
                duplicates=drawn.duplicates,
                description=description,
                behaviour=behaviour,
                wrong_type_share=wrong_type_share,
            )
        )
    return candidates


def _inputs_note(drawn: list[str], proposed: list[str]) -> str:
    sources = []
    if drawn:
        sources.append(f"{len(drawn)} drawn from the type hints")
    if proposed:
        sources.append(f"{len(proposed)} proposed by the model")
    return (
        f"candidates were compared on {len(drawn) + len(proposed)} inputs "
        f"({' and '.join(sources)}): agreement is evidence, not proof"
    )


def passes_every_example(run: CandidateRun) -> bool:
    """Tell whether a candidate ran and passed every one of its examples (at least one)."""
    return run.error is None and run.total > 0 and run.passed == run.total


def repair_failure(run: CandidateRun) -> str:
    """Say what went wrong with a candidate, for a repair prompt."""
    if run.error:
        return f"the function does not run: {run.error}"
    failing = [r for r in run.results if r.status != "passed"]
    return describe_failure(failing[0]) if failing else "it passed no example"


def describe_failure(result: ExampleResult) -> str:
    """Say what an example expected and what happened, in one line."""
    example = result.example
    expected = example.expected or example.expected_output or example.expected_exception or "?"
    if result.status == "timeout":
        got = "timed out"
    elif result.exception:
        got = f"raised {result.exception}"
    elif result.stdout.strip():  # a doctest compares the printed text too: say so
        printed = " ".join(result.stdout.split())
        printed = printed if len(printed) <= 40 else printed[:39] + "…"
        got = f"printed {printed!r} and returned {result.actual_repr}"
    else:
        got = f"returned {result.actual_repr}"
    return f"`{example.call}` {got}, expected {expected}"


class Pipeline:
    """Context -> prompt -> samples -> executed -> ranked, with evidence (see the module doc)."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        sandbox: Sandbox | None = None,
        verifier_model: VerifierModel | None = None,
        project_paths: Sequence[str] = (),
    ) -> None:
        """Keep the parts; ``project_paths`` are directories the sandbox may import from."""
        self.settings = settings
        self.project_paths = list(project_paths)
        self._engine = engine
        self._sandbox = sandbox
        self._verifier = verifier_model
        self._verifier_loaded = verifier_model is not None
        # One lock per part: a check needs only the sandbox and must not wait for a model
        # that takes minutes to load.
        self._engine_lock = threading.Lock()
        self._sandbox_lock = threading.Lock()
        self._project_sandboxes: OrderedDict[tuple[str, tuple[str, ...]], _ProjectSandbox] = (
            OrderedDict()
        )
        self._context_lock = threading.Lock()
        self._contexts: OrderedDict[tuple[object, ...], list[str]] = OrderedDict()
        self._proposed: OrderedDict[str, list[str]] = OrderedDict()
        """The model's calls per calls prompt: a warm-up, "generate" and "again" on the same
        function ask once (it is one greedy generation, so asking again gives the same)."""

    # -- parts, loaded on first use ---------------------------------------------------------

    def engine(self, progress: ProgressFn | None = None) -> Engine:
        """Return the engine, loading (and on first use preparing) it when first needed."""
        with self._engine_lock:
            if self._engine is None:
                from codegen_lsp.engine.loader import load_engine

                _report(progress, "loading model", 0, 1)
                self._engine = load_engine(
                    self.settings.model, lambda message: _report(progress, "loading model", 0, 1)
                )
                _report(progress, "loading model", 1, 1)
            return self._engine

    @property
    def sandbox(self) -> Sandbox:
        """The sandbox, started on first use."""
        with self._sandbox_lock:
            if self._sandbox is None:
                from codegen_lsp.sandbox.runner import Sandbox

                self._sandbox = Sandbox(self.settings.sandbox, project_paths=self.project_paths)
            return self._sandbox

    @property
    def verifier_model(self) -> VerifierModel | None:
        """The trained verifier, or None when it is off or missing."""
        if not self._verifier_loaded:
            self._verifier = VerifierModel.load()
            self._verifier_loaded = True
        return self._verifier

    def sandbox_for(self, file: ProjectFile | None) -> tuple[Sandbox, list[str]]:
        """Return the sandbox that runs ``file``'s code, and notes on how it was chosen.

        A file in a project runs under the project's interpreter with its import paths; an
        interpreter the worker cannot use (too old, broken) falls back to the server's own,
        and the note says so.
        """
        if file is None:
            return self.sandbox, []
        python: str | None = file.project.interpreter.executable
        paths = tuple(dict.fromkeys([*file.import_paths, *self.project_paths]))
        key = (file.project.interpreter.executable, paths)
        with self._sandbox_lock:
            found = self._project_sandboxes.get(key)
            if found is not None:
                self._project_sandboxes.move_to_end(key)
                return found.sandbox, list(found.notes)
            from codegen_lsp.sandbox.runner import Sandbox

            notes: list[str] = []
            try:
                sandbox = Sandbox(self.settings.sandbox, project_paths=paths, python=python)
            except InterpreterError as error:
                notes.append(
                    f"the project's interpreter cannot run the examples ({error}); they ran "
                    "under the server's own Python, without the project's virtualenv"
                )
                python = None
            except ValueError as error:  # a project folder the sandbox refuses to show
                notes.append(f"the project's files cannot be shown to the sandbox: {error}")
                paths = ()
            if notes:
                log.warning("pipeline: %s", notes[-1])
                try:
                    sandbox = Sandbox(self.settings.sandbox, project_paths=paths, python=python)
                except ValueError as error:  # both the interpreter and the folders refused
                    notes.append(f"the project's files cannot be shown to the sandbox: {error}")
                    log.warning("pipeline: %s", notes[-1])
                    sandbox = Sandbox(self.settings.sandbox)
            self._project_sandboxes[key] = _ProjectSandbox(sandbox, tuple(notes))
            while len(self._project_sandboxes) > PROJECT_SANDBOXES:
                _, evicted = self._project_sandboxes.popitem(last=False)
                evicted.sandbox.close()
            return sandbox, notes

    def in_project(
        self,
        ctx: FunctionContext,
        source: str,
        file: ProjectFile | None,
        cancel: threading.Event | None = None,
    ) -> FunctionContext:
        """Return ``ctx`` with the definitions it uses from other files of the project.

        Resolved by jedi under the project's interpreter, within the token budget and the time
        box, cached per file version and function. Nothing changes without a file, with the
        setting off, or when jedi fails (the failure is logged, unless ``cancel`` was set).
        """
        settings = self.settings.project
        if file is None or not settings.cross_file_context or settings.context_tokens <= 0:
            return ctx
        key = (
            file.path,
            hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest(),
            ctx.qualified_name,
            ctx.def_line,
            file.project.interpreter.executable,
            file.import_paths,
            settings.context_tokens,
        )
        with self._context_lock:
            cached = self._contexts.get(key)
            if cached is not None:
                self._contexts.move_to_end(key)
                return replace(ctx, definitions=list(cached))
        try:
            found = crossfile.cross_file_context(
                source,
                file.path,
                ctx,
                project_root=file.project.root,
                sys_path=[p for p in file.import_paths if p != file.project.root],
                interpreter=file.project.interpreter.executable,
                budget_tokens=settings.context_tokens,
                timeout_s=settings.context_timeout_s,
                stopping=cancel.is_set if cancel is not None else None,
            )
        except Exception:  # a failing signal logs and yields nothing, never a failed job
            log.exception("pipeline: cross-file context failed for %s", ctx.qualified_name)
            return ctx
        texts = found.texts()
        log.info(
            "context: %s: %d definitions from other files (%d tokens) in %.2f s%s",
            ctx.qualified_name,
            len(texts),
            found.tokens,
            found.seconds,
            "; stopped at the time box" if found.timed_out else "",
        )
        if not found.timed_out:  # a partial answer is not remembered: the next try may finish
            with self._context_lock:
                self._contexts[key] = list(texts)
                while len(self._contexts) > CONTEXT_CACHE_SIZE:
                    self._contexts.popitem(last=False)
        return replace(ctx, definitions=list(texts))

    def close(self) -> None:
        """Stop the sandboxes' workers."""
        if self._sandbox is not None:
            self._sandbox.close()
        with self._sandbox_lock:
            sandboxes = [found.sandbox for found in self._project_sandboxes.values()]
            self._project_sandboxes.clear()
        for sandbox in sandboxes:
            sandbox.close()

    # -- the steps, reusable by the evaluation harness ----------------------------------------

    def draw(
        self,
        ctx: FunctionContext,
        n: int | None = None,
        feedback: prompt_mod.Feedback | None = None,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        prompt_format: str | None = None,
        start: int = 0,
        of: int | None = None,
    ) -> Draw:
        """Sample ``n`` bodies for ``ctx`` and clean them.

        ``start`` and ``of`` place these samples in a larger draw made in waves: the progress
        counts from ``start`` up to ``of``, only the first wave holds the greedy sample, and a
        reproducible seed moves on so that a later wave does not repeat the first one's draws.
        """
        engine = self.engine(progress)
        _check_cancel(cancel)
        sampling = self.settings.sampling
        fmt = prompt_mod.resolve_format(prompt_format or sampling.prompt_format, engine)
        rendered = prompt_mod.build_prompt(ctx, fmt, engine, feedback)
        count = n or sampling.n
        total = of or start + count
        _report(progress, "sampling", start, total)
        samples: list[Sample] = engine.generate(
            GenerationRequest(
                prompt=rendered.text,
                n=count,
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                top_k=sampling.top_k,
                max_new_tokens=sampling.max_new_tokens,
                stop=rendered.stop,
                seed=(sampling.seed + start) if sampling.seed else None,
                greedy_first=sampling.greedy_first and start == 0,
                prompt_lookup=sampling.prompt_lookup,
                on_sample=lambda done: _report(progress, "sampling", start + done, total),
            ),
            cancel,
        )
        _check_cancel(cancel)
        _report(progress, "sampling", start + count, total)
        draw = collect_bodies(
            [s.text for s in samples],
            [s.logprobs for s in samples],
            ctx,
            rendered.stop,
            rendered.format,
        )
        draw.raw = samples
        draw.prompt = rendered.text
        return draw

    def run_examples(
        self,
        ctx: FunctionContext,
        bodies: list[str],
        examples: list[Example],
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        file: ProjectFile | None = None,
        stage: str = "running examples",
    ) -> list[CandidateRun]:
        """Run every body's module on the examples in the sandbox (the project's, with a file)."""
        codes = [ctx.module_with_body(body) for body in bodies]
        # How many candidates passed every example so far, for the progress ("2 pass"); inputs
        # without expected values judge nothing, so they count none.
        judged = any(example.kind != "probe" for example in examples)
        passing = 0
        counting = threading.Lock()
        _report(progress, stage, 0, len(codes), 0 if judged else None)

        def step(done: int, total: int, run: CandidateRun) -> None:
            nonlocal passing
            with counting:
                if run.error is None and run.total and run.passed == run.total:
                    passing += 1
                so_far = passing
            _report(progress, stage, done, total, so_far if judged else None)

        # Only a module-level function can be looked up by name; a method's examples reach it
        # through its class.
        name = ctx.name if ctx.is_top_level else ""
        sandbox, _ = self.sandbox_for(file)
        package = file.package if file is not None else ""
        runs = sandbox.run_many(
            codes, name, examples, cancel=cancel, progress=step, package=package
        )
        _check_cancel(cancel)
        _report(progress, stage, len(codes), len(codes), passing if judged else None)
        return runs

    def probe_calls(
        self,
        ctx: FunctionContext,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        known_proposals: list[str] | None = None,
    ) -> tuple[list[str], list[str]]:
        """Return calls to compare candidates on when there are no examples: (drawn, proposed).

        Drawn from the type hints (``ranking.drawnInputs``) and proposed by the model in one
        short greedy generation (``ranking.proposedInputs``, chat models only), or taken from
        ``known_proposals`` (calls the model proposed earlier); only for a module-level
        function, the only kind a call can reach.
        """
        ranking = self.settings.ranking
        if not ctx.is_top_level or ctx.is_async:
            return [], []
        drawn = inputs.signature_calls(ctx, seed_value=self.settings.sampling.seed)
        drawn = drawn if ranking.drawn_inputs else []
        proposed: list[str] = []
        if ranking.proposed_inputs:
            if known_proposals is None:
                known_proposals = self.proposed_calls(ctx, cancel, progress)
            proposed = [call for call in known_proposals if call not in drawn]
        return drawn, proposed

    def proposed_calls(
        self,
        ctx: FunctionContext,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> list[str]:
        """Ask the model for a few calls of ``ctx`` and keep their literal arguments."""
        engine = self.engine(progress)
        rendered = prompt_mod.calls_prompt(ctx, engine)
        if rendered is None:
            return []
        with self._context_lock:
            known = self._proposed.get(rendered.text)
            if known is not None:
                self._proposed.move_to_end(rendered.text)
                return list(known)
        _report(progress, "proposing inputs", 0, 1)
        (sample,) = engine.generate(
            GenerationRequest(
                prompt=rendered.text,
                n=1,
                temperature=0.0,
                top_p=1.0,
                top_k=0,
                max_new_tokens=CALLS_TOKENS,
                stop=rendered.stop,
                prompt_lookup=self.settings.sampling.prompt_lookup,
            ),
            cancel,
        )
        _check_cancel(cancel)
        _report(progress, "proposing inputs", 1, 1)
        text = prompt_mod.calls_lead(ctx) + sample.text
        calls = inputs.proposed_calls(text, ctx.name, constructors=inputs.constructors(ctx))
        calls = [call for call in calls if inputs.fits_signature(ctx, call)]
        with self._context_lock:
            self._proposed[rendered.text] = list(calls)
            while len(self._proposed) > CONTEXT_CACHE_SIZE:
                self._proposed.popitem(last=False)
        return calls

    def run_probes(
        self,
        ctx: FunctionContext,
        bodies: list[str],
        calls: list[str],
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        file: ProjectFile | None = None,
    ) -> list[CandidateRun]:
        """Run every body on ``calls`` in the sandbox, to compare what they do."""
        probes = inputs.probe_examples(calls)
        return self.run_examples(
            ctx, bodies, probes, cancel, progress, file, stage="comparing on inputs"
        )

    def run_current_body(
        self,
        ctx: FunctionContext,
        examples: list[Example],
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        file: ProjectFile | None = None,
    ) -> CandidateRun:
        """Run the function as written on ``examples`` (check, repair, explain)."""
        return self.run_examples(ctx, [ctx.body_source], examples, cancel, progress, file)[0]

    def rank(
        self,
        ctx: FunctionContext,
        draw: Draw,
        runs: list[CandidateRun],
        examples: list[Example],
        progress: ProgressFn | None = None,
        probe_runs: list[CandidateRun] | None = None,
    ) -> GenerationResult:
        """Rank the executed bodies and package them with their evidence.

        ``probe_runs``: the bodies' runs on drawn inputs (:meth:`run_probes`), when there are
        no examples.
        """
        _report(progress, "ranking", 0, len(draw.bodies))
        candidates = ranking_candidates(
            draw, runs, ctx.docstring or "", probe_runs, inputs.return_types(ctx)
        )
        review_fn = None
        if self.settings.ranking.reviewer and ctx.docstring:
            engine = self.engine(progress)

            def review_fn(candidate: Candidate) -> list[float]:
                prompt, continuation = prompt_mod.reviewer_prompt(ctx, candidate.code)
                return engine.score(prompt, continuation)

        verifier_model = self.verifier_model if self.settings.ranking.verifier else None
        ranked = combine.rank(candidates, self.settings.ranking, verifier_model, review_fn)
        result = GenerationResult(
            function_name=ctx.qualified_name,
            function_line=ctx.def_line,
            examples=examples,
            candidates=[],
        )
        for place, item in enumerate(ranked, start=1):
            drawn = draw.bodies[item.index]
            candidate = candidates[item.index]
            result.candidates.append(
                RankedCandidate(
                    rank=place,
                    body=drawn.body,
                    replacement=TextReplacement(
                        *ctx.replace_start, *ctx.replace_end, "\n" + drawn.body
                    ),
                    mean_logprob=(
                        candidate.mean_logprob
                        if candidate.mean_logprob is not None
                        else float("-inf")
                    ),
                    run=runs[item.index],
                    score=item.score,
                    verified=item.verified,
                    duplicates=drawn.duplicates,
                    group_size=item.group_size,
                    verifier=item.verifier,
                    reviewer=item.reviewer,
                    score_parts=item.parts,
                )
            )
        result.notes.extend(self._notes(result, draw, verifier_model))
        _report(progress, "ranking", len(draw.bodies), len(draw.bodies))
        return result

    def _notes(
        self, result: GenerationResult, draw: Draw, verifier_model: VerifierModel | None
    ) -> list[str]:
        notes = []
        if not result.examples:
            notes.append(
                "no examples in the docstring: nothing is verified (add `>>> f(x)` lines or "
                "`f(x) == y` to have candidates checked)"
            )
        elif result.candidates and not any(c.run.passed == c.run.total for c in result.candidates):
            notes.append(
                f"no candidate passes all {len(result.examples)} examples: treat these as drafts"
            )
        if not result.candidates:
            notes.append("the model produced no usable body; try again or raise the temperature")
        if draw.dropped_empty or draw.dropped_unparseable:
            notes.append(
                f"{draw.dropped_empty} empty and {draw.dropped_unparseable} unparseable samples "
                "were dropped"
            )
        if self.settings.ranking.verifier and verifier_model is None:
            notes.append("the verifier is unavailable: ranked without it")
        return notes

    # -- the contract -----------------------------------------------------------------------

    def implement(
        self,
        source: str,
        line: int,
        column: int = 0,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        file: ProjectFile | None = None,
        early: Callable[[GenerationResult], None] | None = None,
    ) -> GenerationResult:
        """Write ranked candidate bodies for the function at (line, column).

        ``early`` hears, when sampling goes on in waves, the first wave's ranked candidates as
        soon as one passes every example (``complete`` False): what an editor can offer while
        the rest are drawn.
        """
        ctx = self.in_project(context_mod.find_function(source, line, column), source, file, cancel)
        return self.implement_context(ctx, cancel=cancel, progress=progress, file=file, early=early)

    def implement_context(
        self,
        ctx: FunctionContext,
        feedback: prompt_mod.Feedback | None = None,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        examples: list[Example] | None = None,
        file: ProjectFile | None = None,
        early: Callable[[GenerationResult], None] | None = None,
        n: int | None = None,
    ) -> GenerationResult:
        """Sample, run and rank bodies for an already located function.

        ``ctx`` already carries its cross-file definitions when it should (:meth:`in_project`);
        ``file`` chooses the sandbox; ``n`` overrides ``sampling.n``. When no sample passes
        every example, one repair round follows (``sampling.repairSamples``).
        """
        if examples is None:
            examples = self.examples(ctx)
        sampling = self.settings.sampling
        total = n or sampling.n
        current = docstrings.normalised(feedback.current_body) if feedback is not None else ""
        repeated = 0

        def sample(start: int, count: int) -> Draw:
            nonlocal repeated
            wave = self.draw(ctx, count, feedback, cancel, progress, start=start, of=total)
            if current.strip():  # a repair that writes the failing body again is no repair
                repeated += wave.drop(lambda drawn: docstrings.normalised(drawn.body) == current)
            return wave

        def run(bodies: list[str]) -> list[CandidateRun]:
            return self.run_examples(
                ctx, bodies, examples, cancel=cancel, progress=progress, file=file
            )

        def going_on(first: Draw, first_runs: list[CandidateRun]) -> None:
            if early is None or not first.passing_samples(first_runs):
                return
            try:
                shown = self.rank(ctx, first, first_runs, examples)
                shown.complete = False
                shown.notes.append(
                    f"the first {len(first.sample_body)} of {total} samples; "
                    "the rest are still being drawn"
                )
                early(shown)
            except Exception:  # showing early is a courtesy: the request goes on regardless
                log.warning("the first wave's candidates could not be shown", exc_info=True)

        waves = Waves(total, sampling.first_wave, sampling.enough_passing)
        judged = any(example.kind != "probe" for example in examples)
        in_waves = draw_in_waves(waves, judged, sample, run, going_on)
        draw, runs = in_waves.draw, in_waves.runs
        probe_runs = None
        drawn: list[str] = []
        proposed: list[str] = []
        if not examples and len(draw.bodies) > 1:
            # Nothing says what is right: compare what the candidates do on the same inputs.
            drawn, proposed = self.probe_calls(ctx, cancel, progress)
        calls = drawn + proposed
        if calls:
            bodies = [b.body for b in draw.bodies]
            probe_runs = self.run_probes(ctx, bodies, calls, cancel, progress, file)
        result = self.rank(ctx, draw, runs, examples, progress, probe_runs)
        if probe_runs is not None:
            result.inputs = calls
            result.notes[:0] = [_inputs_note(drawn, proposed)]
        sandbox, sandbox_notes = self.sandbox_for(file)
        level = sandbox.isolation
        if level != "bubblewrap":
            result.notes.extend(f"sandbox at level '{level}': {weak}" for weak in weaknesses(level))
        result.notes.extend(sandbox_notes)
        result.prompt = draw.prompt
        result.definitions = list(ctx.definitions)
        result.context_tokens = crossfile.estimate_tokens("\n\n".join(ctx.definitions))
        result.interpreter = sandbox.python
        if file is not None:
            result.notes.extend(file.project.warnings)
        if repeated:
            result.notes.append(f"{repeated} samples repeated the current body and were dropped")
        if in_waves.stopped_early:
            passing = draw.passing_samples(runs)
            result.notes.append(
                f"stopped after {len(draw.sample_body)} of {total} samples: {passing} "
                "already pass every example (sampling.firstWave)"
            )
        wants_repair = feedback is None and judged and sampling.repair_samples > 0
        if (
            wants_repair
            and result.candidates
            and not any(passes_every_example(c.run) for c in result.candidates)
        ):
            return self._repair_round(ctx, result, examples, cancel, progress, file)
        return result

    def _repair_round(
        self,
        ctx: FunctionContext,
        first: GenerationResult,
        examples: list[Example],
        cancel: threading.Event | None,
        progress: ProgressFn | None,
        file: ProjectFile | None,
    ) -> GenerationResult:
        """No sample passed every example: sample again, showing the model the best one's failure.

        The repaired candidates that pass come first, the first round's follow; when none
        passes, the first round's answer stands and says that the repair found nothing.
        """
        failure = repair_failure(first.candidates[0].run)
        feedback = prompt_mod.Feedback(first.candidates[0].body, failure)
        second = self.implement_context(
            ctx,
            feedback=feedback,
            cancel=cancel,
            progress=progress,
            examples=examples,
            file=file,
            n=self.settings.sampling.repair_samples,
        )
        if not any(passes_every_example(c.run) for c in second.candidates):
            first.notes.append(f"one repair round (on {failure}) found nothing that passes")
            return first
        later = [
            replace(candidate, rank=len(second.candidates) + index + 1)
            for index, candidate in enumerate(first.candidates)
        ]
        second.candidates.extend(later)
        second.notes.insert(0, f"no sample passed every example; repaired once on {failure}")
        return second

    @staticmethod
    def examples(ctx: FunctionContext) -> list[Example]:
        """Return the runnable examples of the function's docstring.

        Their lines count from the docstring's opening quotes (the raw docstring is read).
        """
        if not ctx.raw_docstring:
            return []
        return extract_examples(ctx.raw_docstring, ctx.name)

    def repair(
        self,
        source: str,
        line: int,
        column: int = 0,
        note: str | None = None,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        file: ProjectFile | None = None,
    ) -> GenerationResult:
        """Re-prompt with a failing example's expected vs actual output (and the user's note)."""
        ctx = self.in_project(context_mod.find_function(source, line, column), source, file, cancel)
        examples = self.examples(ctx)
        failure = None
        if ctx.has_body and examples:
            current = self.run_current_body(ctx, examples, cancel, file=file)
            if current.error:
                failure = f"the function does not run: {current.error}"
            else:
                failing = [r for r in current.results if r.status != "passed"]
                failure = describe_failure(failing[0]) if failing else None
        feedback = prompt_mod.Feedback(ctx.body_source, failure, note)
        result = self.implement_context(
            ctx, feedback=feedback, cancel=cancel, progress=progress, examples=examples, file=file
        )
        if failure:
            result.notes.insert(0, f"repairing: {failure}")
        elif ctx.has_body and examples:
            result.notes.insert(0, "the current body passes every example; repaired on the note")
        return result

    def explain(
        self,
        source: str,
        line: int,
        column: int = 0,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        file: ProjectFile | None = None,
        rewrite: bool = False,
    ) -> ExplainResult:
        """Write a docstring with examples for a function and check them against its body.

        A docstring the user wrote is kept as written, and the model only adds examples after
        it; ``rewrite`` lets the model write the whole docstring anew (Codex-D).
        """
        ctx = self.in_project(context_mod.find_function(source, line, column), source, file, cancel)
        if not ctx.has_body:
            raise ValueError(f"`{ctx.name}` has no body to explain: write it first")
        engine = self.engine(progress)
        rendered = prompt_mod.docstring_prompt(ctx, engine)
        if rendered is None:
            raise ValueError("explain needs a model with a chat template")
        own = "" if rewrite else inspect.cleandoc(ctx.docstring or "").strip()
        _report(progress, "sampling", 0, 2)
        # A lead ends at ">>>", never inside the call: a token cut in two there (``(`` without
        # the ``"`` the model would write with it) made the model drop a quote.
        if own:
            # The user's words stay; the model continues after them with examples only.
            has_examples = bool(extract_examples(own, ctx.name))
            lead = f"{own}\n\n>>>" if has_examples else f"{own}\n\nExamples:\n>>>"
            text = self._docstring_text(engine, rendered, lead, cancel)
        else:
            text = self._docstring_text(engine, rendered, "", cancel)
            if not extract_examples(text, ctx.name):
                # The model closed the docstring before its examples (it often writes them
                # after the quotes): start the examples inside the docstring and let it go on.
                heading = "Examples\n--------" if re.search(r"\n\s*-{3,}\n", text) else "Examples:"
                lead = f"{text.rstrip()}\n\n{heading}\n>>>"
                text = self._docstring_text(engine, rendered, lead, cancel)
        _report(progress, "sampling", 2, 2)
        docstring = inspect.cleandoc(text.strip("\n"))
        # Only what the model added is checked: the user's own examples are theirs to fix.
        fixed = len(own.splitlines()) if own else 0
        result = self.check_docstring(ctx, docstring, cancel, progress, file, fixed_lines=fixed)
        if own and result.examples_kept == 0:
            result.notes.append("no generated example held: the docstring is left as it was")
            result.docstring = own
            result.replacement = _docstring_replacement(ctx, own)
        return result

    def _docstring_text(
        self,
        engine: Engine,
        rendered: prompt_mod.Prompt,
        lead: str,
        cancel: threading.Event | None,
    ) -> str:
        """Return the docstring the model writes after ``lead``, up to its closing quotes."""
        sample = engine.generate(
            GenerationRequest(
                prompt=rendered.text + lead,
                n=1,
                temperature=0.0,
                max_new_tokens=self.settings.sampling.max_new_tokens,
                stop=rendered.stop,
                prompt_lookup=self.settings.sampling.prompt_lookup,
            ),
            cancel,
        )[0]
        _check_cancel(cancel)
        text = lead + postprocess.cut_at(sample.text, (*prompt_mod.END_TOKENS, '"""'))
        if sample.finish_reason == "length" and ">>>" in text:
            # The docstring never closed: its last example may be cut mid-line.
            text = text[: text.rindex(">>>")].rstrip()
        return text

    def check_docstring(
        self,
        ctx: FunctionContext,
        docstring: str,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        file: ProjectFile | None = None,
        fixed_lines: int = 0,
    ) -> ExplainResult:
        """Run a docstring's examples against the existing body; keep only those that hold.

        An example written twice (the same call and the same expected result) is kept once.
        Every other example that does not pass is removed, and a note says what it returned.
        Examples on the first ``fixed_lines`` lines (the user's own) are neither run nor touched.
        """
        found = [e for e in extract_examples(docstring, ctx.name) if e.line > fixed_lines]
        examples, repeated = docstrings.unique_examples(found)
        notes: list[str] = []
        # A generated ``>>>`` line that is no example (not Python: a quote left out) goes too.
        broken = docstrings.broken_doctests(docstring, fixed_lines)
        for example in broken:
            notes.append(f"dropped a line that is no runnable example: {example.call}")
        kept = corrected = 0
        drop = list(broken)
        rewrites: dict[int, str] = {}
        if examples:
            run = self.run_current_body(ctx, examples, cancel, progress, file)
            if run.error:
                notes.append(f"the function could not run its examples: {run.error}")
            held = {id(r.example) for r in run.results if r.status == "passed"}
            shown = {docstrings.example_key(r.example) for r in run.results if r.status == "passed"}
            for result in run.results:
                if result.status == "passed":
                    continue
                actual = docstrings.shown_value(result)
                if actual is None:
                    notes.append(
                        f"dropped an example that does not hold: {describe_failure(result)}"
                    )
                    continue
                key = docstrings.example_key(replace(result.example, expected=actual))
                if key in shown:
                    continue  # corrected, it would repeat an example already shown: dropped
                shown.add(key)
                rewrites[result.example.line - 1] = actual
                held.add(id(result.example))
                notes.append(
                    f"corrected an example to the function's actual output: "
                    f"{describe_failure(result)}"
                )
            # A run that stopped early leaves examples without a result: they did not pass.
            drop += [e for e in examples if id(e) not in held] + repeated
            kept, corrected = len(held), len(rewrites)
            if repeated:
                notes.append(f"removed {len(repeated)} repeated examples")
            notes.append(
                f"checked {len(examples)} examples against the existing body: {kept} kept"
                + (f" ({corrected} corrected to its actual output)" if corrected else "")
            )
        else:
            notes.append("the generated docstring has no runnable examples: nothing was checked")
        docstring = docstrings.edit_examples(docstring, drop, rewrites)
        return ExplainResult(
            function_name=ctx.qualified_name,
            docstring=docstring,
            replacement=_docstring_replacement(ctx, docstring),
            examples_checked=len(examples),
            examples_kept=kept,
            notes=notes,
            examples_corrected=corrected,
        )

    def check(
        self,
        source: str,
        line: int | None = None,
        stubs: bool = False,
        file: ProjectFile | None = None,
    ) -> list[CheckResult]:
        """Run functions' own docstring examples against their current bodies (no model).

        With ``line`` (0-based) the function there is checked, and reported even when its
        docstring has no examples (raises ``NoFunctionError`` when there is none). Without it,
        every function with examples and a body is; ``stubs`` adds those whose body is only a
        placeholder (``pass``, ``...``, ``raise NotImplementedError``), which fail as written.
        """
        if line is None:
            contexts = [c for c in context_mod.all_functions(source) if c.has_body or stubs]
        else:
            contexts = [context_mod.find_function(source, line)]
        results = []
        for ctx in contexts:
            examples = self.examples(ctx)
            if not examples and line is None:
                continue
            if examples:
                run = self.run_current_body(ctx, examples, file=file)
            else:
                run = CandidateRun(results=[], isolation=self.sandbox_for(file)[0].isolation)
            results.append(
                CheckResult(
                    ctx.qualified_name,
                    ctx.def_line,
                    ctx.def_line if ctx.docstring_line is None else ctx.docstring_line,
                    run,
                    has_docstring=ctx.docstring_line is not None,
                )
            )
        return results


def _docstring_replacement(ctx: FunctionContext, docstring: str) -> TextReplacement:
    indent = ctx.body_indent
    lines = docstring.split("\n")
    body = [lines[0]] + [(indent + line) if line.strip() else "" for line in lines[1:]]
    closing = f"\n{indent}" if len(lines) > 1 else ""
    literal = f'{indent}"""{chr(10).join(body)}{closing}"""'
    if ctx.docstring_line is not None:
        return TextReplacement(ctx.docstring_line, 0, *ctx.replace_start, literal)
    return TextReplacement(*ctx.replace_start, *ctx.replace_start, "\n" + literal)
