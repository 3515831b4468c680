"""The generation loop every backend shares: prefill once, fan out to N rows, decode, stop.

A backend supplies four primitives over its own key/value cache (``prefill``, ``expand``,
``select``, ``step``); this module does the rest the same way for all of them: cutting an
over-long prompt from the left, sampling (:mod:`codegen_lsp.engine.sampling`), stop tokens and
stop sequences, dropping finished rows from the batch so they stop costing, cancellation between
steps, and timings.

A backend that also supplies ``verify`` (several positions of one row in one pass) and
``truncate`` (drop the cache's last positions) decodes one-sample requests speculatively, and the
last row of a request for several once the others finished: drafts from prompt lookup
(:mod:`codegen_lsp.engine.lookup`; for that last row also from its siblings' text) are
checked in one forward pass and the positions of the rejected ones rolled back; where the
request's own text has no match, the samples of earlier requests are looked in
(:class:`~codegen_lsp.engine.lookup.WrittenBefore`). Each row samples each position with its own
random number (:func:`_row_uniforms`), so drafts change how fast, never what. Decoding one
token per pass is bound by memory bandwidth (every weight is read per pass), so each accepted
draft saves most of a pass.

The last prompt's prefilled cache is kept for the next request on the same prompt (the second
wave of samples for a function, "Generate" again): a backend whose ``expand`` to several rows
copies the cache says so with :meth:`DecodingEngine.keeps_prompt_cache`, and a request for
several samples of that prompt then starts from the copy instead of a second prefill.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from codegen_lsp.engine import lookup, sampling
from codegen_lsp.engine.types import (
    FinishReason,
    GenerationCancelled,
    GenerationRequest,
    Sample,
    Timings,
)

log = logging.getLogger(__name__)

State = TypeVar("State")
REPLACEMENT_CHARACTER = "\ufffd"
"""What a byte-level tokenizer decodes an incomplete UTF-8 sequence to."""


@dataclass(frozen=True)
class _KeptPrompt(Generic[State]):
    """A prompt's prefilled one-row cache and its last position's logits, for reuse."""

    ids: tuple[int, ...]
    logits: np.ndarray
    state: State


@dataclass
class _Row:
    """One sample being drawn."""

    tokens: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    text_lengths: list[int] = field(default_factory=list)
    text: str = ""
    finish: FinishReason | None = None
    decode_s: float = 0.0
    drafted: int = 0
    accepted: int = 0
    uniforms: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    """The row's random number for each position it may sample (:func:`_row_uniforms`)."""


class TokenizerFacts:
    """The tokenizer and the model facts read from an exported directory (no transformers)."""

    def __init__(self, directory: Path, manifest: dict[str, Any]) -> None:
        from tokenizers import Tokenizer

        self.directory = directory
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.config = _read_json(directory / "config.json")
        self.tokenizer_config = _read_json(directory / "tokenizer_config.json")
        generation = _read_json(directory / "generation_config.json")
        stop_ids: set[int] = set()
        for key in ("eos_token_id",):
            for source in (generation, self.config):
                value = source.get(key)
                if isinstance(value, int):
                    stop_ids.add(value)
                elif isinstance(value, list):
                    stop_ids.update(v for v in value if isinstance(v, int))
        names = list(manifest.get("stop_tokens") or [])
        eos_name = self.tokenizer_config.get("eos_token")
        if isinstance(eos_name, str):
            names.append(eos_name)
        for name in names:
            token_id = self.tokenizer.token_to_id(name)
            if token_id is not None:
                stop_ids.add(token_id)
        # Code never contains a special token: any one the model emits ends the sample.
        for token_id, added in self.tokenizer.get_added_tokens_decoder().items():
            if added.special:
                stop_ids.add(token_id)
        self.stop_ids = frozenset(stop_ids)
        fim = manifest.get("fim_tokens")
        if not fim:
            guess = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
            fim = (
                list(guess)
                if all(self.tokenizer.token_to_id(t) is not None for t in guess)
                else None
            )
        self.fim = tuple(fim) if fim else None
        self.context_length = int(self.config.get("max_position_embeddings") or 2048)

    def encode(self, text: str) -> list[int]:
        """Tokenize without adding special tokens (Qwen and SmolLM prompts take no BOS)."""
        return list(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: list[int]) -> str:
        """Decode ids to text, keeping special tokens' spelling out (they end samples anyway)."""
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))

    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        """Render ``messages`` with the model's chat template, asking for the assistant's turn."""
        template = self.tokenizer_config.get("chat_template")
        if template is None and (self.directory / "chat_template.jinja").exists():
            template = (self.directory / "chat_template.jinja").read_text(encoding="utf-8")
        if isinstance(template, list):  # several named templates: take the default one
            named = {item.get("name"): item.get("template") for item in template}
            template = named.get("default")
        if not isinstance(template, str):
            return None
        try:
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            def raise_exception(message: str) -> None:
                raise ValueError(message)

            environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
            environment.globals["raise_exception"] = raise_exception
            return environment.from_string(template).render(
                messages=messages,
                add_generation_prompt=True,
                bos_token=self.tokenizer_config.get("bos_token") or "",
                eos_token=self.tokenizer_config.get("eos_token") or "",
            )
        except Exception as error:  # a template jinja2 cannot render: fall back to ChatML
            if "<|im_start|>" not in template:
                log.warning("chat template failed (%s) and is not ChatML; no chat prompt", error)
                return None
            log.info("chat template failed (%s); rendering ChatML directly", error)
            turns = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
            return "".join(turns) + "<|im_start|>assistant\n"


def _row_uniforms(seed: int | None, rows: int, positions: int) -> list[npt.NDArray[np.float64]]:
    """Return each row's random numbers, one per position it may sample, from ``seed``.

    A row's own stream (the seed's ``SeedSequence`` spawned once per row), read by position
    and not by use: the token a row samples at a position depends only on the model's
    distribution there and that position's number. Drafting several positions in one pass, or
    a row decoding alone once its siblings finished, then draws exactly what stepping one
    token at a time in the batch draws, and a seeded request is reproducible whatever drafts
    it met (those of earlier requests too).
    """
    streams = np.random.SeedSequence(seed).spawn(rows)
    return [np.random.default_rng(stream).random(positions + 1) for stream in streams]


def _fill_holes(still: list[int]) -> npt.NDArray[np.int64]:
    """Return the batch slots to keep, ``still`` (ascending), as a new order for the batch.

    Rows that stay within the first ``len(still)`` slots keep their slot and the last rows move
    into the holes finished rows leave, so a backend compacting its cache in place copies one
    row per finished row instead of shifting every row behind it.
    """
    count = len(still)
    movers = iter(slot for slot in still if slot >= count)
    staying = set(still)
    return np.asarray(
        [slot if slot in staying else next(movers) for slot in range(count)], dtype=np.int64
    )


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return data if isinstance(data, dict) else {}


class DecodingEngine(ABC, Generic[State]):
    """An :class:`~codegen_lsp.engine.types.Engine` built on four cache primitives."""

    name: str
    context_length: int
    facts: TokenizerFacts
    prefill_chunk = 256
    """Prompt tokens per prefill call: bounds the logits a call returns (tokens x vocabulary)."""

    @abstractmethod
    def prefill(
        self, ids: list[int], keep_logits_from: int, capacity: int = 0
    ) -> tuple[np.ndarray, State]:
        """Run ``ids`` through the model from an empty cache.

        Return the logits of positions ``keep_logits_from`` .. end (float32 [positions, vocab])
        and the cache for one row. ``capacity`` is how many positions the cache will hold in
        all (prompt + new tokens), for backends that reserve it up front (0: the prompt's).
        """

    @abstractmethod
    def expand(self, state: State, rows: int) -> State:
        """Copy a one-row cache to ``rows`` rows."""

    @abstractmethod
    def select(self, state: State, rows: npt.NDArray[np.int64]) -> State:
        """Keep only the cache rows listed in ``rows``, in that order (finished rows stop costing).

        ``state`` may be reused in place and is not used afterwards.
        """

    @abstractmethod
    def step(self, tokens: npt.NDArray[np.int64], state: State) -> tuple[np.ndarray, State]:
        """Feed one token per row; return the next-token logits [rows, vocab] and the cache."""

    can_verify = False
    """Whether :meth:`verify` and :meth:`truncate` are implemented (speculative decoding)."""

    _kept_prompt: _KeptPrompt[State] | None = None
    _written: lookup.WrittenBefore | None = None

    @property
    def written(self) -> lookup.WrittenBefore:
        """The samples this engine wrote in earlier requests: a second source of drafts.

        For every row: drafts change how fast, not what. A greedy row's tokens are the argmax
        either way, and a sampled row draws each position's token with that position's own
        random number (:func:`_row_uniforms`), whatever was drafted there; so a seeded
        request's samples do not depend on what was asked before it.
        """
        if self._written is None:
            self._written = lookup.WrittenBefore()
        return self._written

    def keeps_prompt_cache(self, state: State, capacity: int) -> bool:
        """Whether the one-row ``state`` can be kept to start a later request on its prompt.

        Only where :meth:`expand` to several rows copies the cache (leaving ``state`` as it
        was) and ``state`` has room for ``capacity`` positions. The default says no.
        """
        return False

    def verify(self, tokens: list[int], state: State) -> tuple[np.ndarray, State]:
        """Feed several tokens to a one-row cache in one pass; return every position's logits.

        The logits are float32 [len(tokens), vocab]: row ``i`` is the next-token distribution
        after ``tokens[i]``. The cache grows by ``len(tokens)`` positions.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot verify drafts")

    def truncate(self, state: State, length: int) -> State:
        """Keep the cache's first ``length`` positions (drop the rejected drafts' positions)."""
        raise NotImplementedError(f"{type(self).__name__} cannot roll its cache back")

    # ------------------------------------------------------------------ Engine protocol

    def count_tokens(self, text: str) -> int:
        """Return how many tokens ``text`` encodes to."""
        return len(self.facts.encode(text))

    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        """Render chat messages with the model's template, or None for a base model."""
        return self.facts.chat_prompt(messages)

    def fim_tokens(self) -> tuple[str, str, str] | None:
        """Return the (prefix, suffix, middle) FIM tokens, or None when the model has none."""
        fim = self.facts.fim
        return (fim[0], fim[1], fim[2]) if fim else None

    def score(self, prompt: str, continuation: str) -> list[float]:
        """Return the untempered log-probabilities of ``continuation``'s tokens after ``prompt``."""
        prompt_ids = self.facts.encode(prompt)
        continuation_ids = self.facts.encode(continuation)
        if not continuation_ids:
            return []
        ids = prompt_ids + continuation_ids
        if len(ids) > self.context_length:
            raise ValueError(
                f"prompt + continuation is {len(ids)} tokens, over the model's context of "
                f"{self.context_length}; shorten the prompt"
            )
        if not prompt_ids:  # the first token has no context to be scored under
            ids = ids[1:]
            continuation_ids = continuation_ids[1:]
            prompt_ids = [ids.pop(0)] if ids else []
            ids = prompt_ids + continuation_ids
            if not continuation_ids:
                return []
        logits, _ = self.prefill(ids, keep_logits_from=len(prompt_ids) - 1)
        logits = logits[: len(continuation_ids)]
        targets = np.asarray(continuation_ids, dtype=np.int64)
        return [float(x) for x in sampling.token_logprobs(logits, targets)]

    def fit_prompt(self, ids: list[int], max_new_tokens: int) -> tuple[list[int], int]:
        """Cut ``ids`` from the left so prompt + new tokens fit the context; warn when cutting."""
        budget_new = min(max_new_tokens, max(1, self.context_length // 2))
        room = self.context_length - budget_new
        if len(ids) > room:
            log.warning(
                "prompt of %d tokens exceeds the room of %d (context %d - %d new tokens): "
                "keeping its last %d tokens (the end holds the function)",
                len(ids),
                room,
                self.context_length,
                budget_new,
                room,
            )
            ids = ids[-room:]
        return ids, min(max_new_tokens, self.context_length - len(ids))

    def generate(
        self, request: GenerationRequest, cancel: threading.Event | None = None
    ) -> list[Sample]:
        """Return ``request.n`` samples (see :class:`~codegen_lsp.engine.types.Engine`)."""
        if request.n < 1:
            return []
        ids, max_new = self.fit_prompt(self.facts.encode(request.prompt), request.max_new_tokens)
        if not ids:
            raise ValueError("the prompt is empty: give the model something to continue")
        started = time.perf_counter()
        logits, state = self._prefill_prompt(ids, len(ids) + max_new, request.n)
        prefill_s = time.perf_counter() - started
        rows = [_Row(uniforms=u) for u in _row_uniforms(request.seed, request.n, max_new)]
        decode_started = time.perf_counter()
        if request.n == 1 and request.prompt_lookup and self.can_verify:
            cancelled = max_new >= 1 and self._speculate(
                request,
                lookup.PromptLookup(ids, earlier=self.written),
                len(ids),
                logits[-1:],
                state,
                max_new,
                rows[0],
                cancel,
                decode_started,
                0,
            )
        else:
            cancelled = self._decode_rows(request, ids, logits, state, max_new, rows, cancel)
        elapsed = time.perf_counter() - decode_started
        for row in rows:
            if row.finish is None:
                row.finish = "cancelled" if cancelled else "length"
                row.decode_s = elapsed
        if cancelled and all(row.finish == "cancelled" for row in rows):
            raise GenerationCancelled("generation cancelled before any sample finished")
        for row in rows:
            if row.finish != "cancelled":
                self.written.add(row.tokens)
        return [
            Sample(
                text=row.text,
                token_ids=row.tokens,
                logprobs=row.logprobs,
                finish_reason=row.finish or "length",
                timings=Timings(
                    prefill_s=prefill_s,
                    decode_s=row.decode_s,
                    prompt_tokens=len(ids),
                    new_tokens=len(row.tokens),
                    draft_tokens=row.drafted,
                    accepted_draft_tokens=row.accepted,
                ),
            )
            for row in rows
        ]

    def _prefill_prompt(self, ids: list[int], capacity: int, rows: int) -> tuple[np.ndarray, State]:
        """Return the prompt's last logits and one-row cache: kept from before, or prefilled.

        Only a request for several rows reuses or keeps a cache (it is copied into the rows);
        one row decodes in the prefilled cache itself.
        """
        kept = self._kept_prompt
        if (
            rows > 1
            and kept is not None
            and kept.ids == tuple(ids)
            and self.keeps_prompt_cache(kept.state, capacity)
        ):
            log.debug("prompt of %d tokens: its cache is kept from the last request", len(ids))
            return kept.logits, kept.state
        logits, state = self.prefill(ids, keep_logits_from=len(ids) - 1, capacity=capacity)
        if rows > 1 and self.keeps_prompt_cache(state, capacity):
            self._kept_prompt = _KeptPrompt(tuple(ids), np.array(logits[-1:]), state)
        return logits, state

    def _decode_rows(
        self,
        request: GenerationRequest,
        ids: list[int],
        logits: np.ndarray,
        state: State,
        max_new: int,
        rows: list[_Row],
        cancel: threading.Event | None,
    ) -> bool:
        """Decode every row one token per step from the prompt's ``logits``; return if cancelled.

        Once one row is left (the longest sample; the others wait for it), it goes on
        speculatively when drafts are allowed: one row decodes at batch 1, where a pass is bound
        by reading the weights and drafts save passes, and the finished siblings' text is a good
        source of drafts (samples of one function repeat each other).
        """
        active = np.arange(request.n, dtype=np.int64)
        next_logits = np.repeat(logits[-1:], request.n, axis=0)
        state = self.expand(state, request.n)
        decode_started = time.perf_counter()
        cancelled = False
        finished = 0
        greedy_row = request.greedy_first and request.n > 1 and request.temperature > 0
        for position in range(max_new):
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            uniforms = np.asarray([rows[index].uniforms[position] for index in active])
            tokens, logprobs = sampling.choose(
                next_logits, request.temperature, request.top_p, request.top_k, uniforms
            )
            if greedy_row and active[0] == 0:
                # Row 0 takes the argmax; the others' draws are the ones they had anyway.
                best, best_logprob = sampling.choose(next_logits[:1], 0.0, 1.0, 0)
                tokens[0], logprobs[0] = best[0], best_logprob[0]
            still: list[int] = []
            for slot, row_index in enumerate(active):
                row = rows[row_index]
                last = position + 1 >= max_new
                self._take(row, int(tokens[slot]), float(logprobs[slot]), request, last)
                if row.finish is None:
                    still.append(slot)
                else:
                    row.decode_s = time.perf_counter() - decode_started
                    finished += 1
                    request.tell_finished(finished)
            if not still:
                break
            keep = _fill_holes(still)
            if len(keep) < len(active):
                state = self.select(state, keep)
                active = active[keep]
            next_logits, state = self.step(tokens[keep], state)
            if len(active) == 1 and request.prompt_lookup and self.can_verify:
                alone = int(active[0])
                siblings = [t for i, other in enumerate(rows) if i != alone for t in other.tokens]
                row = rows[alone]
                alone_request = (
                    replace(request, temperature=0.0) if greedy_row and alone == 0 else request
                )
                return self._speculate(
                    alone_request,
                    lookup.PromptLookup(
                        [*ids, *siblings, *row.tokens],
                        earlier=self.written,
                    ),
                    len(ids) + len(row.tokens),
                    next_logits,
                    state,
                    max_new,
                    row,
                    cancel,
                    decode_started,
                    finished,
                )
        return cancelled

    def _speculate(
        self,
        request: GenerationRequest,
        history: lookup.PromptLookup,
        length: int,
        logits: np.ndarray,
        state: State,
        max_new: int,
        row: _Row,
        cancel: threading.Event | None,
        decode_started: float,
        finished: int,
    ) -> bool:
        """Decode one row, several tokens per pass where prompt lookup guesses right.

        Each pass feeds the last token chosen (not yet in the cache) and the drafts after it;
        :func:`~codegen_lsp.engine.sampling.speculate` keeps the drafts the model agrees with
        plus one token of its own, and the cache is cut back to the last kept draft. The tokens
        then go through the same checks as :meth:`_decode_rows`' one at a time, so a stop token,
        a stop sequence or ``max_new`` ends the row at the same token, and nothing past it is
        kept. With no drafts a pass is a plain :meth:`step`. Return whether it was cancelled.

        ``history``: the tokens drafts are looked up in; ``length``: the positions in the
        one-row cache ``state`` (the token ``logits`` follow is among them); ``finished``: the
        rows of the request that finished before this one.
        """
        drafts: list[int] = []
        while True:
            if cancel is not None and cancel.is_set():
                return True
            # The row's numbers from its next position on: each position draws with its own.
            start = len(row.tokens)
            tokens, logprobs = sampling.speculate(
                logits,
                drafts,
                request.temperature,
                request.top_p,
                request.top_k,
                row.uniforms[start : start + len(drafts) + 1],
            )
            if drafts:
                row.drafted += len(drafts)
                row.accepted += len(tokens) - 1
                history.checked(len(drafts), len(tokens) - 1)
                # The pass wrote the fed token and every draft; keep those up to the last
                # accepted draft: the rejected ones' keys and values must not be attended to.
                length += len(tokens)
                state = self.truncate(state, length)
            for token, logprob in zip(tokens.tolist(), logprobs.tolist(), strict=True):
                history.append(token)
                self._take(row, token, logprob, request, len(row.tokens) + 1 >= max_new)
                if row.finish is not None:
                    row.decode_s = time.perf_counter() - decode_started
                    request.tell_finished(finished + 1)
                    return False
            # No drafts past max_new: the pass keeps every accepted draft plus one more token.
            drafts = history.drafts(max_new - len(row.tokens) - 1)
            if drafts:
                logits, state = self.verify([int(tokens[-1]), *drafts], state)
            else:
                logits, state = self.step(tokens[-1:], state)
                length += 1

    def _take(
        self, row: _Row, token: int, logprob: float, request: GenerationRequest, last: bool
    ) -> None:
        """Add a chosen token to ``row``, or finish it: stop token, stop sequence, ``last``."""
        if token in self.facts.stop_ids:
            row.finish = "eos"
            return
        row.tokens.append(token)
        row.logprobs.append(logprob)
        longest_stop = max((len(stop) for stop in request.stop), default=0)
        self._update_text(row, request.stop, longest_stop)
        if row.finish is None and last:
            row.finish = "length"

    def _update_text(self, row: _Row, stops: tuple[str, ...], longest_stop: int) -> None:
        """Decode the row's text; on a stop sequence cut text and tokens before it."""
        previous = len(row.text)
        row.text = self.facts.decode(row.tokens)
        row.text_lengths.append(len(row.text))
        if not stops or row.text.endswith(REPLACEMENT_CHARACTER):
            return  # an incomplete multi-byte character: wait for the rest of its bytes
        search_from = max(0, previous - longest_stop)
        hits = [row.text.find(stop, search_from) for stop in stops if stop]
        hits = [hit for hit in hits if hit >= 0]
        if not hits:
            return
        cut = min(hits)
        row.text = row.text[:cut]
        # Keep the tokens that produced the kept text (a token straddling the cut stays).
        keep = next(
            (count for count, length in enumerate(row.text_lengths, start=1) if length >= cut),
            len(row.tokens),
        )
        if cut == 0:
            keep = 0
        del row.tokens[keep:], row.logprobs[keep:], row.text_lengths[keep:]
        row.finish = "stop"
