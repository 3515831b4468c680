"""Candidates run in the sandbox, and what their runs show.

The pipeline's evidence comes from here: every candidate body runs on the docstring's examples
(:func:`run_examples`); without examples, on calls drawn from the type hints or proposed by the
model (:func:`probe_calls`, :func:`run_probes`), so that the candidates can be compared on what
they do. The runs are then read three ways: as the ranking's :class:`Candidate` objects
(:func:`ranking_candidates`), as the failure a repair prompt shows the model
(:func:`repair_failure`), and as one line for the user (:func:`describe_failure`).

Each function takes the parts it uses (sandbox, settings, engine) as arguments;
:class:`~codegen_lsp.pipeline.Pipeline` chooses them (the project's sandbox for a file).
"""

from __future__ import annotations

import ast
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from codegen_lsp import builds, inputs, quoted, variants
from codegen_lsp import prompt as prompt_mod
from codegen_lsp.context import FunctionContext
from codegen_lsp.draws import Draw
from codegen_lsp.engine.types import Engine, GenerationRequest
from codegen_lsp.outcomes import ProgressFn, RankedCandidate, check_cancel, report
from codegen_lsp.raise_rules import RaiseRules
from codegen_lsp.ranking.candidate import (
    HINTED_BROKEN_CODE,
    TIMED_OUT,
    Candidate,
    broken_rule,
    unhandled,
)
from codegen_lsp.sandbox.examples import extract_examples
from codegen_lsp.sandbox.record import execution_record, execution_signature
from codegen_lsp.sandbox.types import CandidateRun, Example, ExampleResult
from codegen_lsp.settings import Settings
from codegen_lsp.unread import asked_parameters, unread_parameters

if TYPE_CHECKING:
    from codegen_lsp.sandbox.runner import Sandbox

CALLS_TOKENS = 200
"""Longest reply the model may write when asked for calls of a function (a few lines)."""
PROPOSALS_CACHE_SIZE = 64
"""Calls prompts whose proposed calls are kept, one per function version."""


def docstring_examples(ctx: FunctionContext, skipped: bool = False) -> list[Example]:
    """Return the runnable examples of the function's docstring.

    Their lines count from the docstring's opening quotes (the raw docstring is read). Where
    it has none of the usual forms, a value the prose pairs with its result is one
    (:func:`quoted.literal_examples`: ``e.g. 1234567 as "€12,345.67"``). ``skipped``: the
    doctests marked ``+SKIP`` come too, for :func:`reproduced_examples` to keep or drop.
    """
    if not ctx.raw_docstring:
        return []
    found = extract_examples(ctx.raw_docstring, ctx.name, skipped=skipped)
    return found or quoted.literal_examples(ctx)


def reproduced_examples(
    examples: list[Example], runs: list[CandidateRun]
) -> tuple[list[Example], list[CandidateRun], int]:
    """Drop the skipped doctests (``+SKIP``) that no candidate passed; say how many went.

    ``valmap(sum, bills)  # doctest: +SKIP`` shows ``{'Alice': 65, 'Bob': 45}``: toolz skips
    it because old Pythons ordered dicts differently, and it is the docstring's only example.
    Run, it tells the one right body of four apart. A skipped example may also show what no
    body can reproduce (a random draw, an address, a network reply): when none passes it, it
    judges nobody, as doctest would not have run it. A run that could not run at all keeps
    its (empty) results.
    """
    unreproduced = {
        index
        for index, example in enumerate(examples)
        if example.skipped
        and not any(
            len(run.results) == len(examples) and run.results[index].status == "passed"
            for run in runs
        )
    }
    if not unreproduced:
        return examples, runs, 0
    kept = [e for index, e in enumerate(examples) if index not in unreproduced]
    trimmed = [
        replace(run, results=[r for i, r in enumerate(run.results) if i not in unreproduced])
        if len(run.results) == len(examples)
        else run
        for run in runs
    ]
    return kept, trimmed, len(unreproduced)


def skipped_note(examples: list[Example], dropped: int) -> str | None:
    """Say what the doctests marked ``+SKIP`` did to the ranking, if there were any."""
    ran = sum(example.skipped for example in examples)
    if dropped:
        what = "it" if dropped == 1 else "they"
        return (
            f"{dropped} example{'s' if dropped > 1 else ''} marked `doctest: +SKIP` "
            f"reproduced by no candidate: {what} judged none"
        )
    if ran:
        return (
            f"{ran} example{'s' if ran > 1 else ''} marked `doctest: +SKIP` ran too: "
            f"some candidate reproduces {'it' if ran == 1 else 'each'} (such examples rank; "
            "alone, they verify nothing)"
        )
    return None


def run_examples(
    ctx: FunctionContext,
    bodies: list[str],
    examples: list[Example],
    sandbox: Sandbox,
    package: str = "",
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    stage: str = "running examples",
) -> list[CandidateRun]:
    """Run every body's module on the examples in ``sandbox``, as a module of ``package``."""
    codes = [ctx.module_with_body(body) for body in bodies]
    # How many candidates passed every example so far, for the progress ("2 pass"); inputs
    # without expected values judge nothing, so they count none.
    judged = any(example.kind != "probe" for example in examples)
    passing = 0
    counting = threading.Lock()
    report(progress, stage, 0, len(codes), 0 if judged else None)

    def step(done: int, total: int, run: CandidateRun) -> None:
        nonlocal passing
        with counting:
            if run.error is None and run.total and run.passed == run.total:
                passing += 1
            so_far = passing
        report(progress, stage, done, total, so_far if judged else None)

    # Only a module-level function can be looked up by name; a method's examples reach it
    # through its class.
    name = ctx.name if ctx.is_top_level else ""
    runs = sandbox.run_many(codes, name, examples, cancel=cancel, progress=step, package=package)
    check_cancel(cancel)
    report(progress, stage, len(codes), len(codes), passing if judged else None)
    return runs


def run_probes(
    ctx: FunctionContext,
    bodies: list[str],
    calls: list[str],
    sandbox: Sandbox,
    package: str = "",
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> list[CandidateRun]:
    """Run every body on ``calls`` in ``sandbox``, to compare what they do."""
    probes = inputs.probe_examples(calls, inputs.probe_imports(ctx), observe=inputs.observes(ctx))
    return run_examples(
        ctx, bodies, probes, sandbox, package, cancel, progress, stage="comparing on inputs"
    )


def run_current_body(
    ctx: FunctionContext,
    examples: list[Example],
    sandbox: Sandbox,
    package: str = "",
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> CandidateRun:
    """Run the function as written on ``examples`` (check, repair, explain)."""
    return run_examples(ctx, [ctx.body_source], examples, sandbox, package, cancel, progress)[0]


def buildable_calls(
    ctx: FunctionContext,
    calls: list[str],
    sandbox: Sandbox,
    package: str = "",
    cancel: threading.Event | None = None,
) -> list[str]:
    """Return the calls whose arguments can be built: those a body that does nothing survives.

    A drawn ``Line(sku='a', qty=-3)`` where pydantic says ``qty: int = Field(gt=0)`` raises a
    ``ValidationError`` before any candidate runs: every candidate "raised" on it alike, and the
    editor's title said the top one raises on inputs it never saw. Such calls are left out.
    Only calls that build something (a constructor, a standard value) are checked, in one run
    of a body that returns ``None`` at once; plain literals always build.
    """
    building = [call for call in calls if _builds_something(call)]
    if not building:
        return calls
    null = f"{ctx.body_indent}return None\n"
    run = run_probes(ctx, [null], building, sandbox, package, cancel)[0]
    if run.error is not None:
        return calls  # the module itself does not run: the candidates will say so
    failed = {
        call
        for call, result in zip(building, run.results, strict=False)
        if result.exception is not None or result.status == "timeout"
    }
    return [call for call in calls if call not in failed]


def _builds_something(call: str) -> bool:
    """Tell a call whose arguments (or object) call something: a constructor, ``date(...)``."""
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return False
    return sum(isinstance(node, ast.Call) for node in ast.walk(tree)) > 1


def probe_calls(
    ctx: FunctionContext,
    settings: Settings,
    proposals: Callable[[], list[str]],
    count: int = inputs.DRAWN_CALLS,
) -> tuple[list[str], list[str]]:
    """Return calls to compare candidates on when there are no examples: (drawn, proposed).

    Drawn: the strings the docstring quotes (``ranking.quotedInputs``,
    :func:`quoted.quoted_calls`) first, then the calls drawn from the type hints
    (``ranking.drawnInputs``). Proposed, with ``ranking.proposedInputs``: those of
    ``proposals()`` that were not drawn, the calls the model proposes (chat models only),
    called only then. Both for a module-level function and for a method of a module-level
    class (on an instance built in the call, or on the class: :func:`inputs.callee`).
    """
    ranking = settings.ranking
    if inputs.callee(ctx) is None:
        return [], []
    drawn = quoted.quoted_calls(ctx) if ranking.quoted_inputs else []
    if ranking.drawn_inputs:
        texts = quoted.quoted_strings(ctx.docstring or "") if ranking.quoted_inputs else []
        hinted = inputs.signature_calls(
            ctx,
            count=count,
            seed_value=settings.sampling.seed,
            classes=builds.class_builds(ctx),
            texts=tuple(texts[: quoted.MAX_QUOTED_CALLS]),
            header=quoted.file_header(ctx.docstring or ""),
        )
        drawn += [call for call in hinted if call not in drawn]
    proposed: list[str] = []
    if ranking.proposed_inputs:
        proposed = [call for call in proposals() if call not in drawn]
    return drawn, proposed


def variant_calls(
    ctx: FunctionContext,
    examples: list[Example],
    settings: Settings,
    draw: Draw,
    runs: list[CandidateRun],
    rules: RaiseRules | None = None,
) -> list[str]:
    """Return calls near the examples' own (``ranking.exampleVariants``), to compare on.

    Candidates that pass every example are told apart where they part ways on these
    (:mod:`codegen_lsp.variants`); calls the type hints rule out are not kept. Only for what a
    call can reach (:func:`inputs.callee`: a module-level function, a method on an object its
    examples build, a static or class method), and only when there is something to tell
    apart: two distinct bodies, or the docstring's raise ``rules`` to hold one body to, and
    some sample passing every example.
    """
    reached = inputs.callee(ctx)
    if not settings.ranking.example_variants or reached is None:
        return []
    judged = [example for example in examples if example.kind != "probe"]
    alone = len(draw.bodies) < 2 and rules is None
    if not judged or not draw.bodies or alone or not draw.passing_samples(runs):
        return []
    return variants.example_variants(
        ctx.name,
        judged,
        keep=lambda call: inputs.fits_signature(ctx, call),
        constructors=inputs.constructors(ctx),
        reached=reached,
    )


def near_settles(
    ctx: FunctionContext,
    draw: Draw,
    runs: list[CandidateRun],
    calls: list[str],
    sandbox: Sandbox,
    package: str = "",
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> tuple[bool, list[CandidateRun]]:
    """Run a first wave on the ``calls`` near its examples; say whether its passing bodies agree.

    Decisive enough to stop drawing (``sampling.firstWave``) when, on each call, every body
    that passes every example and finished it does the same: returns the same value, or raises
    (of whatever kind: a call outside the function's domain may be refused with a ``KeyError``
    or a ``ValueError`` alike). A call that one of them did not finish in time says nothing
    about its answer (a recursion without memory is slow, not wrong; the mark still asks for
    it). Where they part ways one of them is wrong and nothing here says which: more samples
    decide. Returns the runs (on every body of ``draw``, empty when nothing had to be run) so
    that the comparison of the whole draw goes on from them; with fewer than two distinct
    passing bodies there is nothing to compare.
    """
    passing = [index for index, run in enumerate(runs) if passes_every_example(run)]
    if len(passing) < 2 or not calls:
        return True, []
    bodies = [b.body for b in draw.bodies]
    near_runs = run_probes(ctx, bodies, calls, sandbox, package, cancel, progress)
    answers: list[set[str]] = [set() for _ in calls]
    for index in passing:
        near_run = near_runs[index]
        if near_run.error is not None:
            return False, near_runs
        keys, _ = inputs.behaviour(near_run.results, None)
        for answer, key in zip(answers, keys, strict=True):
            if key != TIMED_OUT:
                answer.add("!" if key.startswith("!") else key)
    return all(len(answer) <= 1 for answer in answers), near_runs


class CallProposals:
    """The calls the model proposed for each function, asked once per calls prompt.

    A warm-up, "generate" and "again" on the same function ask once: it is one greedy
    generation, so asking again gives the same. Safe to share between threads.
    """

    def __init__(self, size: int = PROPOSALS_CACHE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._known: OrderedDict[str, list[str]] = OrderedDict()
        self._replies: OrderedDict[str, str] = OrderedDict()

    def ask(
        self,
        ctx: FunctionContext,
        engine: Engine,
        prompt_lookup: bool,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> list[str]:
        """Ask the model for a few calls of ``ctx`` and keep their literal arguments.

        A model without a chat template is not asked (no calls); ``prompt_lookup`` is the
        ``sampling.promptLookup`` setting.
        """
        reached = inputs.callee(ctx)
        if reached is None:
            return []
        form = _call_form(ctx, reached)
        rendered = prompt_mod.calls_prompt(ctx, engine, form)
        if rendered is None:
            return []
        with self._lock:
            known = self._known.get(rendered.text)
            if known is not None:
                self._known.move_to_end(rendered.text)
                return list(known)
        report(progress, "proposing inputs", 0, 1)
        (sample,) = engine.generate(
            GenerationRequest(
                prompt=rendered.text,
                n=1,
                temperature=0.0,
                top_p=1.0,
                top_k=0,
                max_new_tokens=CALLS_TOKENS,
                stop=rendered.stop,
                prompt_lookup=prompt_lookup,
            ),
            cancel,
        )
        check_cancel(cancel)
        report(progress, "proposing inputs", 1, 1)
        text = prompt_mod.calls_lead(form) + sample.text
        calls = read_proposals(ctx, text)
        with self._lock:
            self._known[rendered.text] = list(calls)
            self._replies[rendered.text] = text
            while len(self._known) > self._size:
                self._replies.pop(self._known.popitem(last=False)[0], None)
        return calls

    def reply(self, ctx: FunctionContext, engine: Engine) -> str | None:
        """Return the model's whole reply to the calls prompt, when it was asked.

        It is kept with the calls; ``eval`` records it so that the asserts in it can be
        measured without a model.
        """
        reached = inputs.callee(ctx)
        if reached is None:
            return None
        rendered = prompt_mod.calls_prompt(ctx, engine, _call_form(ctx, reached))
        if rendered is None:
            return None
        with self._lock:
            return self._replies.get(rendered.text)


def read_proposals(ctx: FunctionContext, text: str) -> list[str]:
    """Return the calls of ``ctx`` in the model's reply that can run: data only, taken as given.

    What :meth:`CallProposals.ask` keeps of the reply (:func:`inputs.proposed_calls`), less the
    calls the signature or a project constructor would refuse. ``eval --calls`` reads recorded
    replies through it too, so that they are read as the editor reads them today.
    """
    reached = inputs.callee(ctx)
    if reached is None:
        return []
    constructors = inputs.buildable(ctx)
    calls = inputs.proposed_calls(
        text,
        ctx.name,
        constructors=constructors,
        defaults=builds.field_defaults(ctx),
        reached=reached,
    )
    if "\n" in _call_form(ctx, reached):
        # Short tests that fill an object first (the form of several lines).
        sessions = variants.session_calls(text, ctx.name, constructors, reached)
        sessions = [builds.completed_fillers(ctx, call) for call in sessions]
        calls += [call for call in sessions if call not in calls]
    return [
        call
        for call in calls[: inputs.PROPOSED_CALLS]
        if inputs.fits_signature(ctx, call)
        and builds.constructors_fit(ctx, call)
        and builds.fillers_fit(ctx, call)
    ]


def _call_form(ctx: FunctionContext, reached: tuple[str, str]) -> str:
    """Return the call's shape the model is asked for, with its object's constructor spelled.

    For a method of a class whose objects are filled through its other methods, or a function
    that takes such an object, the shape of a short test that fills one first
    (``inputs.session_form``).
    """
    kind, owner = reached
    taking = "..." if inputs.takes_arguments(ctx) else ""
    if kind in ("method", "property"):
        building = builds.constructor_arguments(ctx, owner)
        fillers = builds.filling_methods(ctx, owner)
        if not fillers:
            return inputs.call_form(ctx.name, reached, building, taking)
        variable = owner.lower()
        checked = inputs.call_text(kind, owner, ctx.name, [variable, *([taking] if taking else [])])
        return inputs.session_form(checked, variable, owner, fillers, building)
    filled = builds.filled_parameter(ctx) if kind == "function" else None
    if filled is None:
        return inputs.call_form(ctx.name, reached, "...", taking)
    place, count, owner = filled
    variable = owner.lower()
    values = ["..."] * min(place, 1) + [variable] + ["..."] * min(count - place - 1, 1)
    checked = inputs.call_text(kind, "", ctx.name, values)
    fillers = builds.filling_methods(ctx, owner)
    return inputs.session_form(
        checked, variable, owner, fillers, builds.constructor_arguments(ctx, owner)
    )


def accepted_inputs(ctx: FunctionContext, settings: Settings, near_count: int) -> int:
    """Return how many of the first probe calls pass strings the docstring presents as taken.

    Those of :func:`probe_calls` that :func:`quoted.quoted_calls` put first, when the probes
    are the ones made without examples (none are near examples).
    """
    if near_count or not settings.ranking.quoted_inputs:
        return 0
    return quoted.accepted_count(ctx)


def inputs_note(ctx: FunctionContext, drawn: list[str], proposed: list[str]) -> str:
    """Say what the candidates were compared on, for a function without examples."""
    sources = []
    from_docstring = set(quoted.quoted_calls(ctx)) & set(drawn)
    if from_docstring:
        sources.append(f"{len(from_docstring)} quoted in the docstring")
    if len(drawn) > len(from_docstring):
        sources.append(f"{len(drawn) - len(from_docstring)} drawn from the type hints")
    if proposed:
        sources.append(f"{len(proposed)} proposed by the model")
    listed = " and ".join([", ".join(sources[:-1]), sources[-1]] if len(sources) > 2 else sources)
    return (
        f"candidates were compared on {len(drawn) + len(proposed)} inputs "
        f"({listed}): agreement is evidence, not proof"
    )


def first_wave_agrees(
    ctx: FunctionContext,
    draw: Draw,
    calls: list[str],
    sandbox: Sandbox,
    enough: int,
    package: str = "",
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> tuple[bool, list[CandidateRun]]:
    """Run a first wave's bodies on ``calls``; return whether they behave as one, and the runs.

    Decisive as :func:`unanimous` says, unless every body ignores a parameter (three samples of
    a user's ``total_paid(entries, payer)`` summed every entry alike, whoever paid: the rest,
    which may read ``payer``, were never drawn); the runs are where the comparison of the whole
    draw goes on from, should the draw go on.
    """
    if not calls:
        return False, []
    bodies = [b.body for b in draw.bodies]
    runs = run_probes(ctx, bodies, calls, sandbox, package, cancel, progress)
    asked = asked_parameters(ctx)
    if asked and all(unread_parameters(asked, body) for body in bodies):
        return False, runs
    return unanimous(draw, runs, builds.return_types(ctx), enough, builds.return_fields(ctx)), runs


def unanimous(
    draw: Draw,
    probe_runs: list[CandidateRun],
    return_types: frozenset[str] | None,
    enough: int,
    return_fields: inputs.ReturnFields | None = None,
) -> bool:
    """Tell whether a function's samples behave as one on every input (no examples to judge).

    Decisive enough to stop drawing (``sampling.firstWave``): at least ``enough`` samples
    (duplicates count), every distinct body doing the same on every input, none returning a
    type the annotation rules out, raising on under half of the inputs and never with an
    error of broken code. Samples that all raise the same ``AttributeError`` agree, but more
    samples might find one that runs.
    """
    if sum(b.duplicates for b in draw.bodies) < enough or not probe_runs:
        return False
    behaviours = []
    for run in probe_runs:
        if run.error is not None or not run.results:
            return False
        behaviour, wrong_type_share = inputs.behaviour(run.results, return_types, return_fields)
        if wrong_type_share:
            return False
        behaviours.append(behaviour)
    first = behaviours[0]
    if any(behaviour != first for behaviour in behaviours[1:]):
        return False
    raised = [key for key in first if not key.startswith("=")]
    return 2 * len(raised) < len(first) and not any(key in HINTED_BROKEN_CODE for key in raised)


def crash_note(run: CandidateRun) -> str | None:
    """Say what the top candidate raised when it raised on every input, else None.

    Samples that agree on a crash agree on reading the code the same wrong way (a missing
    ``self.discount.percent``); the title says "raises on 16", and the message says why.
    """
    raised = [r.exception for r in run.results if r.exception]
    if run.error is not None or not raised or len(raised) < len(run.results):
        return None
    message, times = Counter(raised).most_common(1)[0]
    which = "" if times == len(raised) else f", {times} times"
    return f"the top candidate raised on all {len(raised)} inputs{which}: {message}"


def broken_code(top: CandidateRun, calls: list[str]) -> str | None:
    """Say how the top candidate's code is broken, else None.

    ``"`passed([])` raised UnboundLocalError: cannot access local variable 'sitting' ..."``:
    all 8 samples of a user's ``passed(sittings)`` looped ``for sitting in sitting``. An error
    of broken code (:data:`HINTED_BROKEN_CODE`: a name or attribute that does not exist, or
    ``Money * 2`` where ``Money`` has no ``*``) on an input the hints allow weighs heavily in
    the ranking (``BROKEN_PENALTY``), so a top that raises one is the best of bodies that
    mostly do: no ranking can help, a repair round fed the
    error can. ``calls``: the run's inputs, in order (a probe's own call may be rewritten to
    observe its arguments).
    """
    if top.error is not None:
        return None
    for call, result in zip(calls, top.results, strict=False):
        # The caller asks only where the inputs follow type hints (the operands are theirs).
        if result.exception and inputs.error_key(result.exception) in HINTED_BROKEN_CODE:
            return f"`{call}` raised {result.exception}"
    return None


def wrong_type_note(ctx: FunctionContext, run: CandidateRun) -> str | None:
    """Say on how many inputs the top candidate returned a type its annotation rules out.

    Samples that agree on it (all compute ``line_cents * 0.10`` for an ``-> int``) still rank
    first together: the user is told, as the ranking was. Or, for an annotation that names a
    project class, a field of it typed otherwise (``Money(cents * rate)`` with a float in
    ``cents: int``). None when none did.
    """
    if run.error is not None:
        return None
    returned = [r for r in run.results if r.exception is None and r.value_digest is not None]
    allowed = builds.return_types(ctx)
    if allowed is not None:
        wrong = Counter(
            r.actual_type
            for r in returned
            if r.actual_type is None or not inputs.type_allowed(r.actual_type, allowed)
        )
        if wrong:
            shown, _ = wrong.most_common(1)[0]
            hint = ast.unparse(inputs.return_annotation(ctx) or ast.Constant(value="?"))
            return (
                f"the top candidate returned {shown} on {sum(wrong.values())} of "
                f"{len(returned)} inputs, where its hint says {hint}"
            )
    return _wrong_field_note(builds.return_fields(ctx), returned)


def _wrong_field_note(
    fields: inputs.ReturnFields | None, returned: list[ExampleResult]
) -> str | None:
    """Say on how many inputs the top candidate returned its class with a field wrongly typed."""
    filled = Counter(found[0] for r in returned if (found := inputs.wrong_fields(r, fields)))
    if fields is None or not filled:
        return None
    (name, kind), times = filled.most_common(1)[0]
    if name == inputs.SHAPE:
        return (
            f'the top candidate returned a string unlike "{fields.template}" on {times} of '
            f"{len(returned)} inputs"
        )
    owner, types = fields.owner, fields.allowed
    allowed = types.get(name) or types.get(inputs.EVERY_ITEM, frozenset())
    shown = " or ".join(sorted(allowed - {"bool"}))
    # A dict's keys or values (inputs.return_items).
    if name in (inputs.DICT_KEY, inputs.DICT_VALUE):
        side = "key" if name == inputs.DICT_KEY else "value"
        return (
            f"the top candidate returned a dict with a {side} a {kind} on {times} of "
            f"{len(returned)} inputs, where the hint says {shown}"
        )
    if name.startswith("["):  # a container's item (inputs.return_items)
        return (
            f"the top candidate returned a {owner} with item {name} a {kind} on {times} of "
            f"{len(returned)} inputs, where the hint says {shown}"
        )
    return (
        f"the top candidate returned a {owner} with {name} a {kind} on {times} of "
        f"{len(returned)} inputs, where {owner} types {name} as {shown}"
    )


def hung_call(run: CandidateRun, near_count: int) -> str | None:
    """Return the first call near the examples that ``run``'s body did not finish in time.

    Such a body passes every example (``fib4(5)``) but recurses without memory, so the larger
    call (``fib4(30)``) runs out of time (``inputs.PROBE_CALL_TIMEOUT_S``). None when it
    finished them all, or did not run.
    """
    near = run.results[len(run.results) - near_count :] if near_count else []
    hung = [inputs.plain_call(result.example) for result in near if result.status == "timeout"]
    return hung[0] if hung and run.error is None else None


def break_note(run: CandidateRun, near_count: int) -> str | None:
    """Say on which call near the examples the top candidate broke, so it is not verified.

    The ranking refused the mark (:attr:`Candidate.breaks_near`): it raised something other
    than a ``ValueError`` on a call passing an empty argument (``rolling_max([])`` reading
    ``numbers[0]``). None when it raised no such thing there, or did not run.
    """
    near = run.results[len(run.results) - near_count :] if near_count else []
    keys, _ = inputs.behaviour(near, None)
    broken = [
        result
        for result, key in zip(near, keys, strict=True)
        if unhandled(key) and variants.passes_empty(inputs.plain_call(result.example))
    ]
    if run.error is not None or not broken:
        return None
    first = broken[0]
    call = inputs.plain_call(first.example)
    return f"the top candidate raised on {call}: {first.exception}: not verified"


def rule_broken(run: CandidateRun, near_count: int, rules: RaiseRules | None) -> str | None:
    """Say where near the examples ``run``'s body did other than its raise rules say.

    For the notes and a repair prompt: "`first([])` returned <object ...>, where it must raise
    ValueError (the docstring: "If *default* is not provided and ..., raise ``ValueError``")".
    None when it followed them on every call it was told on, or did not run.
    """
    if rules is None or run.error is not None or not near_count:
        return None
    near = run.results[len(run.results) - near_count :]
    keys, _ = inputs.behaviour(near, None)
    for result, key in zip(near, keys, strict=True):
        call = inputs.plain_call(result.example)  # as drawn, not as observed
        broken = broken_rule(key, rules.expectations(call))
        if broken is None:
            continue
        exception, must = broken
        said = rules.said(exception)
        quoted = f' (the docstring: "{said}")' if said else ""
        if not must:
            return f"`{call}` raised {exception}, which it must not raise there{quoted}"
        got = f"raised {result.exception}" if result.exception else f"returned {result.actual_repr}"
        return f"`{call}` {got}, where it must raise {exception}{quoted}"
    return None


def hang_note(call: str) -> str:
    """Say that the top candidate did not finish ``call`` in time: it is never marked verified."""
    limit = inputs.PROBE_CALL_TIMEOUT_S
    return f"the top candidate did not finish {call} in {limit:g} s: not verified"


def lone_note(candidate: RankedCandidate, needed: int) -> str | None:
    """Say that too few samples pass every example and act like ``candidate`` near them.

    The verified mark asks for ``needed`` (``ranking.verifiedNearSamples``): a body only one
    sample wrote, however likely, is not verified, and the user is told why. None otherwise.
    """
    samples = candidate.score_parts.get("near_samples")
    if samples is None or samples >= needed or not passes_every_example(candidate.run):
        return None
    count = int(samples)
    return (
        f"only {count} sample{'' if count == 1 else 's'} of those that pass every example "
        f"{'acts' if count == 1 else 'act'} like the top candidate near them "
        f"(ranking.verifiedNearSamples {needed}): not verified"
    )


def is_larger_call(ctx: FunctionContext, examples: list[Example], call: str) -> bool:
    """Tell whether ``call`` is the examples' call grown larger (:func:`variants.larger_call`).

    A body that does not finish that one is too slow there; one that hangs on another call
    near the examples (``factorize(0)``) more likely never ends outside its contract, which a
    request for a faster body would not mend.
    """
    reached = inputs.callee(ctx)
    if reached is None:
        return False
    judged = [example for example in examples if example.kind != "probe"]
    return call == variants.larger_call(ctx.name, judged, inputs.constructors(ctx), reached)


def too_slow(call: str) -> str:
    """Say, for a repair prompt, that the body did not finish ``call`` in time, and what helps.

    Told only "too slow", the default model kept the recursion more often (fib4 and fibfib,
    two seeds: 4 of 14 distinct repaired bodies passed and finished, 8 of 16 with the advice).
    """
    limit = inputs.PROBE_CALL_TIMEOUT_S
    return (
        f"`{call}` did not finish in {limit:g} s: the body is too slow; compute it with a loop, "
        "or keep the values it computes again"
    )


def finishes(
    ctx: FunctionContext,
    body: str,
    call: str,
    sandbox: Sandbox,
    package: str = "",
    cancel: threading.Event | None = None,
) -> bool:
    """Tell whether ``body`` finishes ``call`` within its time (it may return or raise)."""
    (run,) = run_probes(ctx, [body], [call], sandbox, package, cancel)
    return run.error is None and all(result.status != "timeout" for result in run.results)


def returned_first(calls: list[str], top: CandidateRun | None) -> list[str]:
    """Order ``calls`` to check for changed arguments: those the top candidate returned on first.

    A call it raised on shows nothing of what it does: a user's ``apply_movements`` wrote into
    the dict it was given only where every sku was found, and the first inputs drawn, checked
    in their order, had raised KeyError. ``top``: the top candidate's run on ``calls``, in
    order; None keeps their order.
    """
    if top is None or top.error is not None:
        return calls
    returned = [
        call
        for call, result in zip(calls, top.results, strict=False)
        if result.exception is None and result.status != "timeout"
    ]
    return returned + [call for call in calls if call not in returned]


def argument_changes(
    ctx: FunctionContext,
    bodies: list[str],
    calls: list[str],
    sandbox: Sandbox,
    package: str = "",
    cancel: threading.Event | None = None,
) -> list[str | None]:
    """Return, per body, the first of ``calls`` after which its arguments changed; None if none.

    Only for a function that returns its answer (:func:`inputs.observes` is False) and whose
    docstring does not let it change what it is given: there, sorting the caller's list in
    place passes every example and still surprises the caller. Calls of another shape
    (:func:`inputs.argument_check`) are not checked. A few calls once the ranking has ended:
    no progress of their own (the bar only moves forward).
    """
    if inputs.observes(ctx) or inputs.may_change_arguments(ctx):
        return [None] * len(bodies)
    checks = [(call, check) for call in calls if (check := inputs.argument_check(call, ctx.name))]
    if not checks or not bodies:
        return [None] * len(bodies)
    probes = inputs.probe_examples([check for _, check in checks], inputs.probe_imports(ctx))
    runs = run_examples(ctx, bodies, probes, sandbox, package, cancel)
    changed: list[str | None] = []
    for run in runs:
        found = None
        if run.error is None:
            for (call, _), result in zip(checks, run.results, strict=False):
                ran = result.exception is None and result.status not in ("error", "timeout")
                if ran and result.actual_repr == "True":
                    found = call
                    break
        changed.append(found)
    return changed


def ranking_candidates(
    draw: Draw,
    runs: list[CandidateRun],
    description: str,
    probe_runs: list[CandidateRun] | None = None,
    return_types: frozenset[str] | None = None,
    near_count: int = 0,
    hinted: bool = True,
    return_fields: inputs.ReturnFields | None = None,
    accepted: int = 0,
    rules: RaiseRules | None = None,
    parameters: tuple[str, ...] = (),
) -> list[Candidate]:
    """Return the ranking's plain view of each distinct body and its run on the examples.

    ``probe_runs`` are the bodies' runs on inputs drawn for a function without examples
    (:mod:`codegen_lsp.inputs`), the last ``near_count`` of them on calls near the examples
    (:func:`variant_calls`), the first ``accepted`` on strings the docstring presents as taken
    (:func:`quoted.accepted_count`); ``return_types`` the types its return annotation allows,
    and ``return_fields`` the fields' types of the class it names (:func:`builds.return_fields`);
    ``hinted`` whether its parameters' hints vouch for those inputs (:func:`inputs.hinted`);
    ``rules`` when its docstring says it raises (:func:`raise_rules.rules_of`), told per input;
    ``parameters`` those a body is expected to read (:func:`unread.asked_parameters`).
    """
    candidates = []
    told: dict[str, dict[str, bool]] = {}  # per call: the same for every body
    probes = probe_runs if probe_runs is not None else [None] * len(runs)
    for drawn, run, probe_run in zip(draw.bodies, runs, probes, strict=True):
        behaviour: tuple[str, ...] = ()
        near: tuple[str, ...] = ()
        near_empty: tuple[str, ...] = ()
        raise_told: tuple[dict[str, bool], ...] = ()
        near_told: tuple[dict[str, bool], ...] = ()
        wrong_type_share = 0.0
        if probe_run is not None and probe_run.error is None:
            split = len(probe_run.results) - near_count
            behaviour, wrong_type_share = inputs.behaviour(
                probe_run.results[:split], return_types, return_fields
            )
            near, _ = inputs.behaviour(probe_run.results[split:], return_types)
            if rules is not None:  # the drawn inputs and the calls near the examples alike
                calls = [inputs.plain_call(result.example) for result in probe_run.results]
                every = tuple(told.setdefault(call, rules.expectations(call)) for call in calls)
                raise_told, near_told = every[:split], every[split:]
            near_empty = tuple(
                key
                for key, result in zip(near, probe_run.results[split:], strict=True)
                if variants.passes_empty(inputs.plain_call(result.example))
            )
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
                examples_skipped=sum(result.example.skipped for result in run.results),
                errored=errored,
                signature=None if errored else execution_signature(run),
                record=execution_record(run),
                duplicates=drawn.duplicates,
                description=description,
                behaviour=behaviour,
                wrong_type_share=wrong_type_share,
                accepted=accepted if behaviour else 0,
                raise_told=raise_told,
                crashes_excused=not hinted,
                near=near,
                near_told=near_told,
                near_empty=near_empty,
                unread=unread_parameters(parameters, drawn.body),
            )
        )
    return candidates


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
    expected = " ".join(expected.split())  # a doctest's output is text, its lines ended
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
