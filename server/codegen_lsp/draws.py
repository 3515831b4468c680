"""Samples become bodies: cleaned, merged when equal, and drawn in waves that stop when enough pass.

A :class:`Draw` is what sampling produced for one function: the distinct cleaned bodies, how
many samples wrote each, and which sample wrote which. :func:`draw_in_waves` draws the greedy
sample and a few more first and stops there when enough of them pass every docstring example
and they act alike near the examples (``sampling.firstWave``); otherwise it draws the rest and
runs only the bodies they add.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from codegen_lsp import postprocess
from codegen_lsp.context import FunctionContext
from codegen_lsp.engine.types import Sample
from codegen_lsp.sandbox.types import CandidateRun


@dataclass
class DrawnBody:
    """One distinct cleaned body and the samples that produced it."""

    body: str
    logprobs: list[float]
    duplicates: int = 1
    parses: bool = True

    def add_copies(self, count: int, logprobs: list[float]) -> None:
        """Count ``count`` more samples that wrote this body, with one copy's log-probs.

        The most confident copy's log-probs are kept: equal text, possibly another tokenisation.
        """
        self.duplicates += count
        old = self.logprobs
        if logprobs and (not old or sum(logprobs) / len(logprobs) > sum(old) / len(old)):
            self.logprobs = list(logprobs)


@dataclass
class Draw:
    """What sampling produced for one function: distinct bodies plus per-sample bookkeeping."""

    bodies: list[DrawnBody]
    sample_body: list[int | None]
    """For each sample, the index of its body in ``bodies`` (None: empty or unparseable)."""
    prompt_format: str
    dropped_empty: int = 0
    dropped_unparseable: int = 0
    raw: list[Sample] = field(default_factory=list)
    """The engine's samples as drawn (empty for pre-drawn text)."""
    prompt: str = ""
    """The rendered prompt the samples continue."""

    def extend(self, later: Draw) -> None:
        """Add a later wave's samples; a body drawn before counts them as more copies."""
        known = {drawn.body: index for index, drawn in enumerate(self.bodies)}
        moved: dict[int, int] = {}
        for index, drawn in enumerate(later.bodies):
            mine = known.get(drawn.body)
            if mine is None:
                mine = known[drawn.body] = len(self.bodies)
                self.bodies.append(replace(drawn, logprobs=list(drawn.logprobs)))
            else:
                self.bodies[mine].add_copies(drawn.duplicates, drawn.logprobs)
            moved[index] = mine
        self.sample_body += [None if i is None else moved[i] for i in later.sample_body]
        self.dropped_empty += later.dropped_empty
        self.dropped_unparseable += later.dropped_unparseable
        self.raw += later.raw

    def copy(self) -> Draw:
        """Return a copy that later waves do not change."""
        return replace(
            self,
            bodies=[replace(b, logprobs=list(b.logprobs)) for b in self.bodies],
            sample_body=list(self.sample_body),
            raw=list(self.raw),
        )

    def passing_samples(self, runs: list[CandidateRun]) -> int:
        """Count the samples (copies included) whose body passed every example it ran."""
        return sum(
            drawn.duplicates
            for drawn, run in zip(self.bodies, runs, strict=True)
            if run.error is None and run.total > 0 and run.passed == run.total
        )

    def drop(self, unwanted: Callable[[DrawnBody], bool]) -> int:
        """Drop the bodies ``unwanted`` picks; return how many samples had written them."""
        new_index: dict[int, int] = {}
        kept: list[DrawnBody] = []
        for index, body in enumerate(self.bodies):
            if not unwanted(body):
                new_index[index] = len(kept)
                kept.append(body)
        dropped = sum(b.duplicates for b in self.bodies) - sum(b.duplicates for b in kept)
        self.bodies = kept
        self.sample_body = [None if i is None else new_index.get(i) for i in self.sample_body]
        return dropped


def collect_bodies(
    texts: list[str],
    logprobs: list[list[float]],
    ctx: FunctionContext,
    stop: tuple[str, ...] = (),
    prompt_format: str = "raw",
) -> Draw:
    """Clean every sample, drop empties and unparseable ones, merge exact duplicates."""
    bodies: list[DrawnBody] = []
    by_text: dict[str, int] = {}
    sample_body: list[int | None] = []
    empty = unparseable = 0
    for text, lps in zip(texts, logprobs, strict=True):
        body = postprocess.extract_body(text, ctx, stop)
        if body is None:
            empty += 1
            sample_body.append(None)
            continue
        if not body.parses:
            unparseable += 1
            sample_body.append(None)
            continue
        index = by_text.get(body.text)
        if index is None:
            index = by_text[body.text] = len(bodies)
            bodies.append(DrawnBody(body.text, list(lps)))
        else:
            bodies[index].add_copies(1, lps)
        sample_body.append(index)
    return Draw(bodies, sample_body, prompt_format, empty, unparseable)


@dataclass(frozen=True)
class Waves:
    """How many samples to draw, and when to stop early (``sampling.firstWave``)."""

    total: int
    first: int = 0
    """Samples in the first wave; 0 (or ``total`` or more) draws everything at once."""
    enough_passing: int = 2
    """Stop after the first wave when this many of its samples pass every example."""


@dataclass
class Drawn:
    """The samples drawn in waves, their bodies' runs on the examples, and where it stopped."""

    draw: Draw
    runs: list[CandidateRun]
    stopped_early: bool = False


def draw_in_waves(
    waves: Waves,
    judged: bool,
    sample: Callable[[int, int], Draw],
    run: Callable[[list[str]], list[CandidateRun]],
    going_on: Callable[[Draw, list[CandidateRun]], None] | None = None,
    agreed: Callable[[Draw], bool] | None = None,
    settled: Callable[[Draw, list[CandidateRun]], bool] | None = None,
) -> Drawn:
    """Draw ``waves.total`` samples, or stop after the first wave when the evidence is decisive.

    ``sample(start, count)`` draws samples ``start .. start + count - 1`` (the first wave holds
    the greedy one); ``run(bodies)`` runs bodies on the examples. Decisive means the examples
    judge (``judged``: they have expected values), at least ``waves.enough_passing`` samples
    of the first wave pass every one of them, and ``settled(first_wave, runs)`` says those that
    pass do not part ways elsewhere (:func:`codegen_lsp.execution.near_settles`); the rest would
    only be drawn to be outranked. Passing samples that disagree near the examples leave the
    answer open: more samples are the votes that decide it.
    Without judging examples, ``agreed(first_wave)`` decides instead (the samples behave as
    one on every input: :func:`codegen_lsp.execution.unanimous`); without it, all are drawn.
    Bodies run once: a later wave runs only the bodies it adds. ``going_on`` hears the first
    wave (a copy, with its runs) when the rest is about to be drawn: what can be shown already.
    """
    decides = judged or agreed is not None
    first = waves.first if 0 < waves.first < waves.total and decides else waves.total
    drawn = sample(0, first)
    runs = run([b.body for b in drawn.bodies])
    if first == waves.total:
        return Drawn(drawn, runs)
    enough = judged and drawn.passing_samples(runs) >= waves.enough_passing
    if enough and (settled is None or settled(drawn, runs)):
        return Drawn(drawn, runs, stopped_early=True)
    if not judged and agreed is not None and agreed(drawn):
        return Drawn(drawn, runs, stopped_early=True)
    if going_on is not None:
        going_on(drawn.copy(), list(runs))
    before = len(drawn.bodies)
    drawn.extend(sample(first, waves.total - first))
    runs += run([b.body for b in drawn.bodies[before:]])
    return Drawn(drawn, runs)
