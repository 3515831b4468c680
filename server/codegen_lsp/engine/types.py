"""The engine's contract: what a request asks for and what a sample carries.

Log-probabilities are always taken under the *model's* distribution at temperature 1 before any
truncation (no temperature scaling, no top-k/top-p renormalisation), so that the mean log-prob
of a sample is comparable across requests drawn at different temperatures (as in Chen et al. 2021).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

FinishReason = Literal["stop", "eos", "length", "cancelled"]


class GenerationCancelled(Exception):
    """Raised by an engine when the cancel event was set before any sample finished."""


@dataclass(frozen=True)
class GenerationRequest:
    """One call to the engine: a prompt and how to sample from it."""

    prompt: str
    n: int = 1
    temperature: float = 0.8
    """0 means greedy decoding."""
    top_p: float = 0.95
    top_k: int = 50
    """0 disables top-k truncation."""
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()
    """Stop sequences matched on the decoded text; the sample's text ends before the match."""
    seed: int | None = None
    greedy_first: bool = False
    """Make the first sample the greedy one (the likeliest token at every step) and sample the
    others: the model's own favourite is always among the candidates (with ``n`` > 1 and a
    temperature above 0; otherwise nothing changes)."""
    prompt_lookup: bool = True
    """Let a one-sample request (and the last row of a request for several, once the others
    finished) decode several tokens per forward pass where the text repeats:
    tokens that followed the latest n-gram seen earlier (prompt lookup) are drafted and checked
    in one pass. The samples are the same (greedy) or distributed the same (sampled); only the
    speed changes. Engines that cannot verify drafts ignore it."""
    on_sample: Callable[[int], None] | None = field(default=None, compare=False, repr=False)
    """Told how many samples have finished so far, as each one finishes (for progress; called
    from the generating thread). Engines that draw all samples at once may never call it."""

    def tell_finished(self, count: int) -> None:
        """Call :attr:`on_sample` with ``count``; a failing callback never stops the work."""
        if self.on_sample is None:
            return
        try:
            self.on_sample(count)
        except Exception:
            logging.getLogger(__name__).debug("on_sample failed", exc_info=True)


@dataclass
class Timings:
    """Where a request's time went, in seconds."""

    prefill_s: float = 0.0
    decode_s: float = 0.0
    prompt_tokens: int = 0
    new_tokens: int = 0
    draft_tokens: int = 0
    """Tokens proposed by prompt lookup and checked by the model (0 without speculation)."""
    accepted_draft_tokens: int = 0
    """Of those, the ones kept: each saved a forward pass."""


@dataclass
class Sample:
    """One sampled continuation of the prompt."""

    text: str
    """Decoded continuation, cut before the first stop sequence."""
    token_ids: list[int]
    logprobs: list[float]
    """Per-token log-probabilities of ``token_ids`` under the untempered model distribution."""
    finish_reason: FinishReason
    timings: Timings = field(default_factory=Timings)

    @property
    def mean_logprob(self) -> float:
        """Mean token log-probability (the Codex ranking heuristic); -inf when empty."""
        return sum(self.logprobs) / len(self.logprobs) if self.logprobs else float("-inf")


@runtime_checkable
class Engine(Protocol):
    """What every backend offers."""

    name: str
    context_length: int

    def generate(
        self,
        request: GenerationRequest,
        cancel: threading.Event | None = None,
    ) -> list[Sample]:
        """Return ``request.n`` samples; stop early (finish_reason "cancelled") when cancelled."""
        ...

    def score(self, prompt: str, continuation: str) -> list[float]:
        """Return the log-probabilities of ``continuation``'s tokens given ``prompt``."""
        ...

    def count_tokens(self, text: str) -> int:
        """Return how many tokens ``text`` encodes to."""
        ...

    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        """Render chat messages with the model's template, or None for a base model."""
        ...

    def fim_tokens(self) -> tuple[str, str, str] | None:
        """Return the (prefix, suffix, middle) FIM tokens, or None when the model has none."""
        ...


class ModelError(Exception):
    """A model cannot be prepared or loaded; the message says what to do about it.

    Every engine raises it (or a subclass) for a missing or broken model, so that the surfaces
    tell that case apart with ``isinstance``.
    """
