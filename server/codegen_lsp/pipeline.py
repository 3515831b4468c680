"""The pipeline: context -> prompt -> samples -> executed -> ranked, with evidence.

This is the one entry point the surfaces (CLI, language server, evaluation) call. It knows no
LSP types: positions are 0-based (line, column) pairs and edits are plain text replacements.
:class:`Pipeline` owns the parts (the engine, loaded on first use; one sandbox per project
interpreter; the verifier; the cross-file contexts found), finds the function and its context,
and runs the steps: it draws samples, has them run and ranks them (``implement``, ``repair``).
The other pipeline modules do the rest, each given the parts it needs:

- ``outcomes.py``: the result types below, ``ProgressFn`` and the cancel check;
- ``execution.py``: candidates run in the sandbox on the examples or on probe inputs, and what
  the runs show (for the ranking, a repair prompt and the user);
- ``as_written.py``: explain and check, which test a docstring's examples on the body a function
  already has;
- ``draws.py``: samples become distinct bodies, drawn in waves.

CONTRACT (filled in by the pipeline work; the LSP layer codes against these names; the result
types live in ``outcomes.py``):

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
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from codegen_lsp import (
    as_written,
    builds,
    crossfile,
    docstrings,
    execution,
    inputs,
    libraries,
    raise_rules,
    unread,
)
from codegen_lsp import context as context_mod
from codegen_lsp import prompt as prompt_mod
from codegen_lsp.context import FunctionContext
from codegen_lsp.draws import Draw, Waves, collect_bodies, draw_in_waves
from codegen_lsp.engine.types import Engine, GenerationRequest, Sample
from codegen_lsp.import_edits import body_edits
from codegen_lsp.outcomes import (
    CheckResult,
    ExplainResult,
    GenerationResult,
    ProgressFn,
    RankedCandidate,
    TextReplacement,
    check_cancel,
    report,
)
from codegen_lsp.project import ProjectFile
from codegen_lsp.ranking import combine
from codegen_lsp.ranking.candidate import Candidate
from codegen_lsp.ranking.verifier import VerifierModel
from codegen_lsp.sandbox.isolation import InterpreterError, weaknesses
from codegen_lsp.sandbox.types import CandidateRun, Example
from codegen_lsp.settings import Settings

if TYPE_CHECKING:
    from codegen_lsp.sandbox.runner import Sandbox

log = logging.getLogger(__name__)


PROJECT_SANDBOXES = 4
"""Sandboxes kept at once, one per (interpreter, import paths): a few projects open together."""
CONTEXT_CACHE_SIZE = 64
"""Cross-file contexts kept, one per (file version, function)."""
CUT_NAMES_SHOWN = 4
"""Names a note on a cut context lists before "and N more": the first are the signature's."""
ARGUMENT_CHECKS = 24
"""Inputs a function without examples is checked on for changing its arguments: all the drawn
ones, in effect. With 8, a user's ``apply_movements`` was checked only on calls that moved
nothing (its 2 calls that found every sku came later)."""


@dataclass(frozen=True)
class _ProjectSandbox:
    sandbox: Sandbox
    notes: tuple[str, ...]


def _repaired_first(
    first: GenerationResult, second: GenerationResult, note: str
) -> GenerationResult:
    """Return the repair round's answer with the first round's candidates after its own."""
    later = [
        replace(candidate, rank=len(second.candidates) + index + 1)
        for index, candidate in enumerate(first.candidates)
    ]
    second.candidates.extend(later)
    second.notes.insert(0, note)
    return second


DRAWN_REFILL = 3
"""When a validator refuses some drawn calls, up to this many times as many are drawn again to
make up the number."""


def _package(file: ProjectFile | None) -> str:
    """Return the package ``file``'s code runs as (its relative imports), "" without a file."""
    return file.package if file is not None else ""


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
        self._proposals = execution.CallProposals()

    # -- parts, loaded on first use ---------------------------------------------------------

    def engine(self, progress: ProgressFn | None = None) -> Engine:
        """Return the engine, loading (and on first use preparing) it when first needed."""
        with self._engine_lock:
            if self._engine is None:
                from codegen_lsp.engine.loader import load_engine

                report(progress, "loading model", 0, 1)
                self._engine = load_engine(
                    self.settings.model, lambda message: report(progress, "loading model", 0, 1)
                )
                report(progress, "loading model", 1, 1)
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
        return replace(ctx, definitions=list(texts), definitions_not_tried=list(found.not_tried))

    def _cut_context_note(self, ctx: FunctionContext) -> str:
        """Say that the time box cut the lookup of ``ctx``'s definitions, and what to do."""
        missed = ctx.definitions_not_tried
        names = ", ".join(f"`{name}`" for name in missed[:CUT_NAMES_SHOWN])
        if len(missed) > CUT_NAMES_SHOWN:
            names += f" and {len(missed) - CUT_NAMES_SHOWN} more"
        seconds = self.settings.project.context_timeout_s
        return (
            f"the {seconds:g} s time box for the project's definitions ran out before {names} "
            f"{'was' if len(missed) == 1 else 'were'} looked up, so the "
            "model may not have seen them (a busy machine, or a large project): try again, or "
            "raise `project.contextTimeoutS`"
        )

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
        temperature: float | None = None,
    ) -> Draw:
        """Sample ``n`` bodies for ``ctx`` and clean them.

        ``start`` and ``of`` place these samples in a larger draw made in waves: the progress
        counts from ``start`` up to ``of``, only the first wave holds the greedy sample, and a
        reproducible seed moves on so that a later wave does not repeat the first one's draws.
        ``temperature`` overrides ``sampling.temperature`` (a repair round's).
        """
        engine = self.engine(progress)
        check_cancel(cancel)
        sampling = self.settings.sampling
        fmt = prompt_mod.resolve_format(prompt_format or sampling.prompt_format, engine)
        rendered = prompt_mod.build_prompt(ctx, fmt, engine, feedback)
        count = n or sampling.n
        total = of or start + count
        report(progress, "sampling", start, total)
        samples: list[Sample] = engine.generate(
            GenerationRequest(
                prompt=rendered.text,
                n=count,
                temperature=sampling.temperature if temperature is None else temperature,
                top_p=sampling.top_p,
                top_k=sampling.top_k,
                max_new_tokens=sampling.max_new_tokens,
                stop=rendered.stop,
                seed=(sampling.seed + start) if sampling.seed else None,
                greedy_first=sampling.greedy_first and start == 0,
                prompt_lookup=sampling.prompt_lookup,
                on_sample=lambda done: report(progress, "sampling", start + done, total),
            ),
            cancel,
        )
        check_cancel(cancel)
        report(progress, "sampling", start + count, total)
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

    def probe_calls(
        self,
        ctx: FunctionContext,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        known_proposals: list[str] | None = None,
        file: ProjectFile | None = None,
    ) -> tuple[list[str], list[str]]:
        """Return calls to compare candidates on when there are no examples: (drawn, proposed).

        See :func:`execution.probe_calls`; the model is asked for its calls (once per function
        version) unless ``known_proposals`` gives the calls it proposed earlier. Calls whose
        arguments cannot be built are left out (:func:`execution.buildable_calls`).
        """

        def proposals() -> list[str]:
            if known_proposals is not None:
                return known_proposals
            engine = self.engine(progress)
            lookup = self.settings.sampling.prompt_lookup
            return self._proposals.ask(ctx, engine, lookup, cancel, progress)

        drawn, proposed = execution.probe_calls(ctx, self.settings, proposals)
        if not drawn and not proposed:
            return drawn, proposed
        sandbox, _ = self.sandbox_for(file)
        calls = drawn + proposed
        kept = set(execution.buildable_calls(ctx, calls, sandbox, _package(file), cancel))
        built = [c for c in drawn if c in kept]
        if len(built) < len(drawn):
            # A validator refused some: draw more, so that as many are compared on.
            more, _ = execution.probe_calls(
                ctx, self.settings, list, count=DRAWN_REFILL * len(drawn)
            )
            fresh = [c for c in more if c not in drawn]
            refill = execution.buildable_calls(ctx, fresh, sandbox, _package(file), cancel)
            built += refill[: len(drawn) - len(built)]
        return built, [c for c in proposed if c in kept]

    def proposals_reply(self, ctx: FunctionContext) -> str | None:
        """Return the model's reply to the calls prompt for ``ctx``, if it was asked."""
        return self._proposals.reply(ctx, self.engine())

    def rank(
        self,
        ctx: FunctionContext,
        draw: Draw,
        runs: list[CandidateRun],
        examples: list[Example],
        progress: ProgressFn | None = None,
        probe_runs: list[CandidateRun] | None = None,
        near_count: int = 0,
        unreproduced: int = 0,
    ) -> GenerationResult:
        """Rank the executed bodies and package them with their evidence.

        ``probe_runs``: the bodies' runs on drawn inputs (:func:`execution.run_probes`), when
        there are no examples, or on the ``near_count`` calls near the examples.
        ``unreproduced``: the docstring's skipped doctests no candidate reproduced (dropped).
        """
        report(progress, "ranking", 0, len(draw.bodies))
        candidates = execution.ranking_candidates(
            draw,
            runs,
            ctx.docstring or "",
            probe_runs,
            builds.return_types(ctx),
            near_count,
            hinted=inputs.hinted(ctx),
            return_fields=builds.return_fields(ctx),
            accepted=execution.accepted_inputs(ctx, self.settings, near_count),
            rules=raise_rules.rules_of(ctx),
            parameters=unread.asked_parameters(ctx),
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
            edits = body_edits(ctx, drawn.body)  # its imports among the file's, when safe
            result.candidates.append(
                RankedCandidate(
                    rank=place,
                    body=drawn.body,
                    replacement=TextReplacement(
                        *ctx.replace_start, *ctx.replace_end, "\n" + drawn.body
                    ),
                    edits=tuple(edits) if len(edits) > 1 else (),
                    ignored=() if examples else candidate.unread,
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
        result.notes.extend(self._notes(result, draw, verifier_model, unreproduced))
        asked = unread.asked_parameters(ctx)
        top = result.candidates[0].body if result.candidates and not examples else ""
        ignored = unread.unread_parameters(asked, top) if top else ()
        if ignored:
            names = ", ".join(f"`{name}`" for name in ignored)
            result.notes.append(
                f"the top candidate never reads {names}, which the function takes: no "
                "candidate that reads every parameter did as well"
            )
        report(progress, "ranking", len(draw.bodies), len(draw.bodies))
        return result

    def _notes(
        self,
        result: GenerationResult,
        draw: Draw,
        verifier_model: VerifierModel | None,
        unreproduced: int = 0,
    ) -> list[str]:
        notes = []
        # A docstring whose only examples are skipped doctests no candidate reproduced has
        # examples, none that run: say so, not "no examples in the docstring".
        none = "no examples in the docstring"
        if unreproduced:
            were = "was" if unreproduced == 1 else "were"
            none = (
                f"no examples that run (the docstring's {unreproduced} marked `doctest: +SKIP` "
                f"{were} reproduced by no candidate)"
            )
        if not result.examples and any(c.verified for c in result.candidates):
            notes.append(
                f"{none}: verified here means nearly all samples behave "
                "alike on every input tried, not that a result was checked (add `>>> f(x)` "
                "lines or `f(x) == y` to have candidates checked)"
            )
        elif not result.examples:
            notes.append(
                f"{none}: nothing is verified (add `>>> f(x)` lines or "
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

    def _prefer_leaving_arguments(
        self,
        ctx: FunctionContext,
        result: GenerationResult,
        calls: list[str],
        file: ProjectFile | None,
        cancel: threading.Event | None,
    ) -> None:
        """Put first an equal candidate that leaves its arguments alone; say when none does.

        Equal: the top candidate's score and examples passed, so the evidence cannot tell them
        apart (:func:`execution.argument_changes` says which change what they are given).
        """
        if not result.candidates:
            return
        top = result.candidates[0]
        equals = [
            c for c in result.candidates if c.score == top.score and c.run.passed == top.run.passed
        ]
        sandbox, _ = self.sandbox_for(file)
        changed = execution.argument_changes(
            ctx, [c.body for c in equals], calls, sandbox, _package(file), cancel
        )
        if changed[0] is None:
            return
        alone = next((c for c, call in zip(equals, changed, strict=True) if call is None), None)
        if alone is None:
            result.notes.append(
                f"the top candidate changes the arguments it is given (on `{changed[0]}`), "
                "which its docstring does not ask for"
            )
            return
        result.candidates.remove(alone)
        result.candidates.insert(0, alone)
        for place, candidate in enumerate(result.candidates, start=1):
            candidate.rank = place
        result.notes.append(
            "put first an equal candidate that leaves its arguments alone: the likelier one "
            f"changes them (on `{changed[0]}`)"
        )

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
        temperature: float | None = None,
    ) -> GenerationResult:
        """Sample, run and rank bodies for an already located function.

        ``ctx`` already carries its cross-file definitions when it should (:meth:`in_project`);
        ``file`` chooses the sandbox; ``n`` and ``temperature`` override ``sampling.n`` and
        ``sampling.temperature``. When no sample passes every example, one repair round follows
        (``sampling.repairSamples``).
        """
        if examples is None:
            examples = execution.docstring_examples(ctx, skipped=True)
        asked = examples  # what the waves judge by; ``examples`` may lose skipped ones after
        sampling = self.settings.sampling
        total = n or sampling.n
        current = docstrings.normalised(feedback.current_body) if feedback is not None else ""
        repeated = 0

        def sample(start: int, count: int) -> Draw:
            nonlocal repeated
            wave = self.draw(
                ctx,
                count,
                feedback,
                cancel,
                progress,
                start=start,
                of=total,
                temperature=temperature,
            )
            if current.strip():  # a repair that writes the failing body again is no repair
                repeated += wave.drop(lambda drawn: docstrings.normalised(drawn.body) == current)
            return wave

        def run(bodies: list[str]) -> list[CandidateRun]:
            sandbox, _ = self.sandbox_for(file)
            return execution.run_examples(
                ctx, bodies, asked, sandbox, _package(file), cancel=cancel, progress=progress
            )

        def going_on(first: Draw, first_runs: list[CandidateRun]) -> None:
            if early is None or not first.passing_samples(first_runs):
                return
            try:
                shown = self.rank(ctx, first, first_runs, asked)
                shown.complete = False
                shown.notes.append(
                    f"the first {len(first.sample_body)} of {total} samples; "
                    "the rest are still being drawn"
                )
                early(shown)
            except Exception:  # showing early is a courtesy: the request goes on regardless
                log.warning("the first wave's candidates could not be shown", exc_info=True)

        first_probes: list[CandidateRun] = []
        made_calls: list[tuple[list[str], list[str]]] = []

        def compared_calls() -> tuple[list[str], list[str]]:
            # Made once per request: the first wave and the whole draw compare on the same
            # inputs, and checking that drawn objects build costs a sandbox run.
            if not made_calls:
                made_calls.append(self.probe_calls(ctx, cancel, progress, file=file))
            return made_calls[0]

        def agreed(first: Draw) -> bool:
            drawn_calls, proposed_calls = compared_calls()
            sandbox, _ = self.sandbox_for(file)
            agrees, first_probes[:] = execution.first_wave_agrees(
                ctx,
                first,
                drawn_calls + proposed_calls,
                sandbox,
                sampling.enough_passing,
                _package(file),
                cancel,
                progress,
            )
            return agrees

        def settled(first: Draw, first_runs: list[CandidateRun]) -> bool:
            calls = execution.variant_calls(ctx, asked, self.settings, first, first_runs)
            sandbox, _ = self.sandbox_for(file)
            agrees, first_probes[:] = execution.near_settles(
                ctx, first, first_runs, calls, sandbox, _package(file), cancel, progress
            )
            return agrees

        waves = Waves(total, sampling.first_wave, sampling.enough_passing)
        judged = any(example.kind != "probe" for example in examples)
        agreeing = agreed if not examples and sampling.first_wave_without_examples else None
        in_waves = draw_in_waves(waves, judged, sample, run, going_on, agreeing, settled)
        draw = in_waves.draw
        skipped_said = None
        dropped = 0  # skipped doctests no candidate reproduced
        if any(example.skipped for example in examples):
            examples, runs, dropped = execution.reproduced_examples(examples, in_waves.runs)
            # With no example left, the note that says there is none says why.
            skipped_said = execution.skipped_note(examples, dropped) if examples else None
            judged = any(example.kind != "probe" for example in examples)
            if dropped:  # the calls near the examples (or, with none left, the inputs) differ
                first_probes.clear()
        else:
            runs = in_waves.runs
        probe_runs = None
        broken = None  # without examples: how the top candidate's code is broken, if it is
        drawn: list[str] = []
        proposed: list[str] = []
        near: list[str] = []
        rules = None  # what the docstring says of when it raises, where it says so
        if not examples and draw.bodies:
            # Nothing says what is right: compare what the candidates do on the same inputs.
            # A lone body too: whether it raises there is the title's evidence, and decides
            # whether a repair round is drawn or a repair's body is kept (all 8 samples of a
            # stub were once one body that raised NameError, shown without a word).
            drawn, proposed = compared_calls()
        else:
            # The examples leave edges open: the verified mark asks whether the candidates that
            # pass them part ways near them.
            rules = raise_rules.rules_of(ctx)
            near = execution.variant_calls(ctx, examples, self.settings, draw, runs, rules)
        calls = drawn + proposed + near
        if calls:
            # The first wave's bodies ran on these inputs already (sampling.firstWave: without
            # examples, or near them); a later wave only appends bodies, so only those run now.
            bodies = [b.body for b in draw.bodies][len(first_probes) :]
            sandbox, _ = self.sandbox_for(file)
            probe_runs = list(first_probes)
            if bodies:
                probe_runs += execution.run_probes(
                    ctx, bodies, calls, sandbox, _package(file), cancel, progress
                )
        result = self.rank(ctx, draw, runs, examples, progress, probe_runs, len(near), dropped)
        result.notes.extend([skipped_said] if skipped_said else [])
        best = result.candidates[0] if result.candidates else None
        top_probes = None  # the top candidate's run on the inputs
        if probe_runs is not None and best is not None:
            top_probes = probe_runs[[b.body for b in draw.bodies].index(best.body)]
        if probe_runs is not None and not near:
            result.inputs = calls
            result.notes[:0] = [execution.inputs_note(ctx, drawn, proposed)]
            crashed = execution.crash_note(top_probes) if top_probes is not None else None
            # Only where the inputs follow type hints: without them a drawn int where every
            # body splits a string is the input's fault, not the code's (HumanEval/67).
            repairs = feedback is None and sampling.repair_samples > 0 and inputs.hinted(ctx)
            if top_probes is not None and repairs:
                broken = execution.broken_code(top_probes, calls)
            mistyped = (
                execution.wrong_type_note(ctx, top_probes) if top_probes is not None else None
            )
            result.notes[1:1] = [note for note in (crashed, mistyped) if note]
        hung = None  # the call near the examples that the top candidate did not finish
        ruled = None  # where near them it did other than its docstring's raise conditions say
        if probe_runs is not None and near:
            result.notes.append(f"compared on {len(near)} inputs near the examples")
            passes = best is not None and best.run.total and best.run.passed == best.run.total
            if top_probes is not None and passes:
                hung = execution.hung_call(top_probes, len(near))
                result.notes.extend([execution.hang_note(hung)] if hung else [])
                if best is not None and best.score_parts.get("breaks_near"):
                    broke = execution.break_note(top_probes, len(near))
                    result.notes.extend([broke] if broke else [])
                if best is not None and best.score_parts.get("breaks_rule_near"):
                    ruled = execution.rule_broken(top_probes, len(near), rules)
                    result.notes.extend([f"{ruled}: not verified"] if ruled else [])
        lone = (
            execution.lone_note(best, self.settings.ranking.verified_near_samples) if best else None
        )
        result.notes.extend([lone] if lone and judged else [])
        # The examples' calls, else inputs compared on (a handful show a sort in place).
        shown = [example.call for example in examples if example.kind != "probe"]
        checked = shown or execution.returned_first(calls, top_probes)[:ARGUMENT_CHECKS]
        self._prefer_leaving_arguments(ctx, result, checked, file, cancel)
        sandbox, sandbox_notes = self.sandbox_for(file)
        level = sandbox.isolation
        if level != "bubblewrap":
            result.notes.extend(f"sandbox at level '{level}': {weak}" for weak in weaknesses(level))
        result.notes.extend(sandbox_notes)
        result.prompt = draw.prompt
        result.definitions = list(ctx.definitions)
        result.context_tokens = crossfile.estimate_tokens("\n\n".join(ctx.definitions))
        result.not_looked_up = list(ctx.definitions_not_tried)
        if ctx.definitions_not_tried:
            result.notes.append(self._cut_context_note(ctx))
        result.interpreter = sandbox.python
        if file is not None:
            result.notes.extend(file.project.warnings)
        if repeated:
            result.notes.append(f"{repeated} samples repeated the current body and were dropped")
        if in_waves.stopped_early and judged:
            passing = draw.passing_samples(runs)
            alike = f" and act alike on the {len(near)} calls near them" if near else ""
            result.notes.append(
                f"stopped after {len(draw.sample_body)} of {total} samples: {passing} "
                f"already pass every example{alike} (sampling.firstWave)"
            )
        elif in_waves.stopped_early:
            result.notes.append(
                f"stopped after {len(draw.sample_body)} of {total} samples: they all behave "
                "alike on every input (sampling.firstWaveWithoutExamples)"
            )
        wants_repair = feedback is None and judged and sampling.repair_samples > 0
        if (
            wants_repair
            and result.candidates
            and not any(execution.passes_every_example(c.run) for c in result.candidates)
        ):
            return self._repair_round(ctx, result, examples, cancel, progress, file)
        if broken is not None:
            return self._repair_broken(ctx, result, broken, cancel, progress, file)
        if (
            feedback is None
            and hung is not None
            and sampling.slow_repair_samples > 0
            and execution.is_larger_call(ctx, examples, hung)
        ):
            return self._repair_slow(ctx, result, examples, hung, cancel, progress, file)
        if feedback is None and ruled and sampling.repair_samples > 0:
            return self._repair_rule(ctx, result, examples, ruled, cancel, progress, file)
        return result

    def _again(
        self,
        ctx: FunctionContext,
        feedback: prompt_mod.Feedback,
        count: int,
        examples: list[Example],
        cancel: threading.Event | None,
        progress: ProgressFn | None,
        file: ProjectFile | None,
        temperature: float | None = None,
    ) -> GenerationResult:
        """Draw, run and rank ``count`` samples more with ``feedback`` shown: a repair round."""
        return self.implement_context(
            ctx,
            feedback=feedback,
            cancel=cancel,
            progress=progress,
            examples=examples,
            file=file,
            n=count,
            temperature=temperature,
        )

    def _repair_slow(
        self,
        ctx: FunctionContext,
        first: GenerationResult,
        examples: list[Example],
        hung: str,
        cancel: threading.Event | None,
        progress: ProgressFn | None,
        file: ProjectFile | None,
    ) -> GenerationResult:
        """Ask once for a faster body: the top passes every example but did not finish ``hung``.

        Shown its recursion without memory as too slow, the default model writes the loop that
        ten plain samples never held. The repaired candidates come first only when the best of
        them passes every example and finishes ``hung`` in time; else the first answer stands
        and says so (``sampling.slowRepairSamples``).
        """
        feedback = prompt_mod.Feedback(first.candidates[0].body, execution.too_slow(hung))
        count = self.settings.sampling.slow_repair_samples
        second = self._again(ctx, feedback, count, examples, cancel, progress, file)
        best = second.candidates[0] if second.candidates else None
        sandbox, _ = self.sandbox_for(file)
        if (
            best is None
            or not execution.passes_every_example(best.run)
            or not execution.finishes(ctx, best.body, hung, sandbox, _package(file), cancel)
        ):
            first.notes.append(f"asked once more for a faster body: none finished {hung} in time")
            return first
        return _repaired_first(
            first, second, f"the likeliest body did not finish {hung} in time; repaired once"
        )

    def _repair_rule(
        self,
        ctx: FunctionContext,
        first: GenerationResult,
        examples: list[Example],
        failure: str,
        cancel: threading.Event | None,
        progress: ProgressFn | None,
        file: ProjectFile | None,
    ) -> GenerationResult:
        """Ask once more: the top passes every example but breaks a raise condition near them.

        more-itertools' ``first`` says "If *default* is not provided and there are no items in
        the iterable, raise ``ValueError``"; its docstring also mentions
        ``next(iter(iterable), default)``, which the samples copy, returning a private sentinel
        on ``first([])``. Told where, as in :meth:`_repair_round` (not shown the body). The
        repaired candidates come first only when the best of them passes every example and
        follows the conditions near them; else the first answer stands and says so.
        """
        second = self._told(ctx, first, failure, examples, cancel, progress, file)
        best = second.candidates[0] if second.candidates else None
        # The repair's bodies are compared near the examples too (with the rules, even a lone
        # body is): the call told of is among those calls.
        if (
            best is None
            or not execution.passes_every_example(best.run)
            or best.score_parts.get("breaks_rule_near")
        ):
            first.notes.append(f"one repair round (on {failure}) found no body that follows it")
            return first
        return _repaired_first(
            first,
            second,
            f"the top body broke its docstring's raise condition; repaired once on {failure}",
        )

    def _told(
        self,
        ctx: FunctionContext,
        first: GenerationResult,
        failure: str,
        examples: list[Example],
        cancel: threading.Event | None,
        progress: ProgressFn | None,
        file: ProjectFile | None,
    ) -> GenerationResult:
        """Draw a repair round's samples: told the top's ``failure``, not shown its body."""
        # The body still travels: a sample that repeats it is dropped unrun. A library member
        # or an object's attribute that does not exist is told with those that do.
        told = builds.with_attributes(libraries.with_members(failure, ctx.definitions), ctx)
        feedback = prompt_mod.Feedback(first.candidates[0].body, told, show_body=False)
        sampling = self.settings.sampling
        return self._again(
            ctx,
            feedback,
            sampling.repair_samples,
            examples,
            cancel,
            progress,
            file,
            sampling.repair_temperature,
        )

    def _repair_round(
        self,
        ctx: FunctionContext,
        first: GenerationResult,
        examples: list[Example],
        cancel: threading.Event | None,
        progress: ProgressFn | None,
        file: ProjectFile | None,
    ) -> GenerationResult:
        """No sample passed every example: sample again, telling the model the best one's failure.

        The model is told the failing example but not shown the body that failed: shown it,
        the 0.5B model mostly writes that body again (on MBPP validation with one example
        shown, 2 of 38 rounds found a passing sample with the body, 6 of 38 without). The
        repaired candidates that pass come first, the first round's follow; when none passes,
        the first round's answer stands and says that the repair found nothing.
        """
        failure = execution.repair_failure(first.candidates[0].run)
        second = self._told(ctx, first, failure, examples, cancel, progress, file)
        if not any(execution.passes_every_example(c.run) for c in second.candidates):
            first.notes.append(f"one repair round (on {failure}) found nothing that passes")
            return first
        return _repaired_first(
            first, second, f"no sample passed every example; repaired once on {failure}"
        )

    def _repair_broken(
        self,
        ctx: FunctionContext,
        first: GenerationResult,
        failure: str,
        cancel: threading.Event | None,
        progress: ProgressFn | None,
        file: ProjectFile | None,
    ) -> GenerationResult:
        """No examples, and the top sample's code is broken: sample again, told its error.

        All 8 samples of a user's ``passed(sittings: list[Sitting])`` looped ``for sitting in
        sitting`` (UnboundLocalError on every input); agreement cannot choose among bodies that
        all fail alike. As in :meth:`_repair_round`, the model is told the error and not shown
        the body. The repaired candidates come first only when the best of them runs on every
        input without an error of broken code, and raises on no more inputs than the first
        answer's top; else the first answer stands and says so. (A user's ``nights`` was
        repaired into ``isinstance(booking.status, Status.CANCELLED)``, a TypeError on every
        input but not one of broken code, over a body right on all but one.)
        """
        second = self._told(ctx, first, failure, [], cancel, progress, file)
        best = second.candidates[0] if second.candidates else None
        crashes = first.candidates[0].score_parts.get("crashes", 0.0)
        if (
            best is None
            or best.score_parts.get("broken", 1.0) > 0
            or best.score_parts.get("crashes", 0.0) > crashes
        ):
            first.notes.append(f"one repair round (on {failure}) found no body that runs")
            return first
        return _repaired_first(
            first, second, f"the top sample's code was broken; repaired once on {failure}"
        )

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
        examples = execution.docstring_examples(ctx)
        failure = None
        if ctx.has_body and examples:
            sandbox, _ = self.sandbox_for(file)
            current = execution.run_current_body(ctx, examples, sandbox, _package(file), cancel)
            if current.error:
                failure = f"the function does not run: {current.error}"
            else:
                failing = [r for r in current.results if r.status != "passed"]
                failure = execution.describe_failure(failing[0]) if failing else None
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
        it; ``rewrite`` lets the model write the whole docstring anew (Codex-D). See
        :func:`as_written.explain`.
        """
        ctx = self.in_project(context_mod.find_function(source, line, column), source, file, cancel)
        return as_written.explain(
            ctx,
            lambda: self.engine(progress),
            lambda: self.sandbox_for(file)[0],
            self.settings.sampling,
            _package(file),
            cancel,
            progress,
            rewrite,
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
        docstring has no examples; without it, every function with examples and a body is
        (``stubs``: placeholder bodies too). See :func:`as_written.check`.
        """
        return as_written.check(
            source, lambda: self.sandbox_for(file)[0], _package(file), line, stubs
        )
