"""Speculative decoding with prompt-lookup drafts, on the tiny model's three backends.

The tiny model is random: it never continues text it has seen, so real prompt lookup drafts
tokens the model rejects. To check kept drafts as well, ``oracle`` replaces the lookup with one
that drafts what a plain run produced, with one token in the third place of every other draft
made wrong: the model must keep the right drafts, reject the wrong one, and roll its cache back
over the rejected positions, or the rest of the sample diverges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar
from unittest import mock

import numpy as np
import pytest
from codegen_lsp.engine import lookup, sampling
from codegen_lsp.engine.types import GenerationCancelled, GenerationRequest, Sample
from test_engine_onnx import CancelAfter

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'
ENGINES = ("onnx_engine", "shared_engine", "hybrid_engine", "torch_engine")


class Oracle(lookup.PromptLookup):
    """Drafts the tokens of ``truth`` that come next, every other draft with a wrong third.

    With ``engine`` set, ``truth`` is the engine's greedy continuation of the text so far
    instead: the likeliest tokens, which a sampled run keeps often.
    """

    truth: ClassVar[list[int]] = []
    engine: ClassVar[Any] = None

    def __init__(self, ids: list[int], **options: Any) -> None:
        super().__init__(ids, **options)
        self.prompt_length = len(ids)
        self.calls = 0

    def drafts(self, limit: int) -> list[int]:
        done = len(self.tokens) - self.prompt_length
        guess = list(self.truth[done : done + min(limit, 5)])
        if self.engine is not None:
            guess = greedy_continuation(self.engine, self.tokens, min(limit, 5))
        self.calls += 1
        if self.calls % 2 == 0 and len(guess) > 2:
            guess[2] = (guess[2] + 1) % 1000
        return guess


def greedy_continuation(engine: Any, ids: list[int], count: int) -> list[int]:
    """Return the ``count`` tokens greedy decoding appends to ``ids`` (one prefill each)."""
    ids = list(ids)
    for _ in range(count):
        logits, _ = engine.prefill(ids, keep_logits_from=len(ids) - 1)
        ids.append(int(np.argmax(logits[-1])))
    return ids[-count:] if count else []


@pytest.fixture
def oracle(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """Return a function that makes the decoding loop draft from the given tokens (or engine)."""

    def use(truth: Any) -> None:
        if isinstance(truth, list):
            monkeypatch.setattr(Oracle, "truth", list(truth))
        else:
            monkeypatch.setattr(Oracle, "engine", truth)
        monkeypatch.setattr(lookup, "PromptLookup", Oracle)

    return use


def plain_and_drafted(engine, request: GenerationRequest) -> tuple[Sample, Sample]:  # type: ignore[no-untyped-def]
    """Return the sample without drafts and the one with them (``prompt_lookup`` on)."""
    plain = engine.generate(replace(request, prompt_lookup=False))[0]
    drafted = engine.generate(replace(request, prompt_lookup=True))[0]
    assert plain.timings.draft_tokens == 0
    return plain, drafted


INT4_PASS_TOLERANCE = 3e-2
"""How far a log-prob of the int4 kernel may move when a pass holds several positions.

The int4 kernel rounds several positions of a pass apart from one (the random model's flat
logits show it most, and more on some CPUs: 0.020 at 2 of 48 positions on one machine, under
1e-2 on another): the same tokens, log-probs a little apart.
"""


def assert_same(plain: Sample, drafted: Sample, engine_name: str = "") -> None:
    assert drafted.token_ids == plain.token_ids
    assert drafted.text == plain.text
    assert drafted.finish_reason == plain.finish_reason
    tolerance = INT4_PASS_TOLERANCE if engine_name == "hybrid_engine" else 2e-4
    np.testing.assert_allclose(drafted.logprobs, plain.logprobs, atol=tolerance)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_verify_and_truncate_equal_stepping(engine_name: str, request) -> None:  # type: ignore[no-untyped-def]
    engine = request.getfixturevalue(engine_name)
    ids = engine.facts.encode(PROMPT)
    extra = engine.facts.encode("    return a + b\n")[:5]
    assert len(extra) == 5
    _, verified_state = engine.prefill(ids, len(ids) - 1, capacity=len(ids) + 16)
    verified, verified_state = engine.verify(extra, verified_state)
    _, state = engine.prefill(ids, len(ids) - 1, capacity=len(ids) + 16)
    stepped = []
    for token in extra:
        logits, state = engine.step(np.asarray([token], dtype=np.int64), state)
        stepped.append(np.array(logits[0]))
    assert verified.shape == (5, len(stepped[0]))
    np.testing.assert_allclose(verified, np.stack(stepped), atol=1e-4)
    # Roll back to the first two and feed another token: as if the rest never happened.
    state = engine.truncate(verified_state, len(ids) + 2)
    after, _ = engine.step(np.asarray([extra[4]], dtype=np.int64), state)
    # Expected: the prompt read afresh and those three tokens stepped (the hybrid engine reads
    # prompts with another graph than it steps with, so a prefill of all of it would differ).
    _, fresh = engine.prefill(ids, len(ids) - 1, capacity=len(ids) + 16)
    for token in (*extra[:2], extra[4]):
        expected, fresh = engine.step(np.asarray([token], dtype=np.int64), fresh)
    np.testing.assert_allclose(after[0], expected[0], atol=1e-4)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_greedy_with_drafts_is_greedy_without(
    engine_name: str, request, oracle, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    engine = request.getfixturevalue(engine_name)
    # The random model's greedy text may reach its end token within a few tokens, depending
    # on the CPU's rounding (the hybrid engine did after 8 on an AVX-512 machine): decode all 40.
    monkeypatch.setattr(engine.facts, "stop_ids", frozenset())
    greedy = GenerationRequest(PROMPT, n=1, temperature=0.0, max_new_tokens=40)
    truth = engine.generate(replace(greedy, prompt_lookup=False))[0]
    assert len(truth.token_ids) > 12
    oracle(truth.token_ids)
    plain, drafted = plain_and_drafted(engine, greedy)
    assert_same(plain, drafted)
    timings = drafted.timings
    assert 0 < timings.accepted_draft_tokens < timings.draft_tokens  # kept some, rejected some
    assert timings.new_tokens == len(drafted.token_ids)


def test_drafts_from_earlier_requests_keep_greedy_and_are_kept(onnx_engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The random model never repeats its prompt, but asked the same thing again it writes the
    # same greedy text: the earlier sample is where drafts come from, and all but a few are kept.
    monkeypatch.setattr(onnx_engine.facts, "stop_ids", frozenset())
    greedy = GenerationRequest(PROMPT, n=1, temperature=0.0, max_new_tokens=32)
    onnx_engine.written.clear()
    first = onnx_engine.generate(greedy)[0]
    assert len(onnx_engine.written) == len(first.token_ids) == 32
    again = onnx_engine.generate(greedy)[0]
    assert_same(first, again)
    assert again.timings.accepted_draft_tokens >= 16 > first.timings.accepted_draft_tokens
    # Forgotten, the same request drafts from its own text only, as the first did.
    onnx_engine.written.clear()
    alone = onnx_engine.generate(greedy)[0]
    assert alone.timings.accepted_draft_tokens == first.timings.accepted_draft_tokens
    # A sampled row drafts from them too, and draws what it draws without them: each position
    # samples with its own random number, so what was asked before changes how fast, not what.
    sampled = replace(greedy, temperature=0.8, seed=3)
    onnx_engine.written.clear()
    fresh = onnx_engine.generate(sampled)[0]
    assert len(onnx_engine.written) == len(fresh.token_ids) > 0
    repeated = onnx_engine.generate(sampled)[0]
    assert_same(fresh, repeated)
    assert repeated.timings.accepted_draft_tokens >= 16 > fresh.timings.accepted_draft_tokens


@pytest.mark.parametrize("engine_name", ENGINES)
def test_real_lookup_on_repeated_text_keeps_greedy(engine_name: str, request) -> None:  # type: ignore[no-untyped-def]
    engine = request.getfixturevalue(engine_name)
    repeated = GenerationRequest(PROMPT * 3, n=1, temperature=0.0, max_new_tokens=48)
    plain, drafted = plain_and_drafted(engine, repeated)
    assert_same(plain, drafted, engine_name)
    assert drafted.timings.draft_tokens > 0  # the random model rejects most of them


def test_stops_and_max_new_inside_accepted_drafts(onnx_engine, oracle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    free = onnx_engine.generate(
        GenerationRequest(PROMPT, temperature=0.0, max_new_tokens=40, prompt_lookup=False)
    )[0]
    assert len(free.token_ids) > 12
    oracle(free.token_ids)  # drafts run on past every end below
    stop = free.text[8:11]
    stopped = GenerationRequest(PROMPT, temperature=0.0, max_new_tokens=40, stop=("zz", stop))
    plain, drafted = plain_and_drafted(onnx_engine, stopped)
    assert_same(plain, drafted)
    assert drafted.finish_reason == "stop" and stop not in drafted.text
    assert drafted.timings.accepted_draft_tokens > 0
    # max_new_tokens ends the sample at that token, whatever the drafts held after it.
    short = GenerationRequest(PROMPT, temperature=0.0, max_new_tokens=7)
    plain, drafted = plain_and_drafted(onnx_engine, short)
    assert_same(plain, drafted)
    assert len(drafted.token_ids) == 7 and drafted.finish_reason == "length"
    # A stop token in the middle of a run of accepted drafts ends the sample before it.
    end = next(i for i in range(6, 12) if free.token_ids[i] not in free.token_ids[:i])
    facts = onnx_engine.facts
    monkeypatch.setattr(facts, "stop_ids", facts.stop_ids | {free.token_ids[end]})
    plain, drafted = plain_and_drafted(
        onnx_engine, GenerationRequest(PROMPT, temperature=0.0, max_new_tokens=40)
    )
    assert_same(plain, drafted)
    assert drafted.finish_reason == "eos" and drafted.token_ids == free.token_ids[:end]


@pytest.mark.parametrize("engine_name", ("onnx_engine", "shared_engine"))
def test_sampled_with_drafts_draws_from_the_model(engine_name: str, request, oracle) -> None:  # type: ignore[no-untyped-def]
    engine = request.getfixturevalue(engine_name)
    sampled = GenerationRequest(
        PROMPT, n=1, temperature=1.0, top_p=0.95, top_k=40, seed=11, max_new_tokens=30
    )
    oracle(engine)  # the likeliest tokens: often what the draw takes
    first, again = engine.generate(sampled)[0], engine.generate(sampled)[0]
    assert first.token_ids == again.token_ids  # seeded: reproducible
    assert first.timings.accepted_draft_tokens > 0
    # Every token is one sampling could pick there; its log-prob is the untempered one.
    ids = engine.facts.encode(PROMPT)
    logits, _ = engine.prefill(ids + first.token_ids, keep_logits_from=len(ids) - 1)
    for position, token in enumerate(first.token_ids):
        options, _ = sampling.candidates(logits[position], 1.0, 0.95, 40)
        assert token in options.tolist()
    scored = sampling.token_logprobs(
        logits[: len(first.token_ids)], np.asarray(first.token_ids, dtype=np.int64)
    )
    np.testing.assert_allclose(first.logprobs, scored, atol=2e-4)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_sampled_with_drafts_is_sampled_without(
    engine_name: str, request, oracle, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # A seeded sample is the same with drafts or without, kept or rejected: the token at each
    # position is drawn with that position's own number, whatever was drafted there.
    engine = request.getfixturevalue(engine_name)
    monkeypatch.setattr(engine.facts, "stop_ids", frozenset())
    for seed, temperature in ((11, 1.0), (4, 0.6)):
        sampled = GenerationRequest(
            PROMPT, n=1, temperature=temperature, top_p=0.95, seed=seed, max_new_tokens=30
        )
        oracle(engine)  # the likeliest tokens, every other draft with a wrong third
        plain, drafted = plain_and_drafted(engine, sampled)
        assert (drafted.token_ids, drafted.text) == (plain.token_ids, plain.text)
        tolerance = INT4_PASS_TOLERANCE if engine_name == "hybrid_engine" else 2e-4
        np.testing.assert_allclose(drafted.logprobs, plain.logprobs, atol=tolerance)
        assert 0 < drafted.timings.accepted_draft_tokens < drafted.timings.draft_tokens


def test_a_rows_sample_does_not_depend_on_the_rows_beside_it(onnx_engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Row i of a seeded request draws from its own stream: the first sample of a request for
    # four is the sample of a request for one, and the four are not one sample four times.
    monkeypatch.setattr(onnx_engine.facts, "stop_ids", frozenset())
    one = GenerationRequest(PROMPT, n=1, temperature=1.0, seed=5, max_new_tokens=24)
    alone = onnx_engine.generate(replace(one, prompt_lookup=False))[0]
    four = onnx_engine.generate(replace(one, n=4))
    assert four[0].token_ids == alone.token_ids
    assert len({tuple(sample.token_ids) for sample in four}) > 1


def test_cancellation_progress_and_the_switch(onnx_engine, oracle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    greedy = GenerationRequest(PROMPT, temperature=0.0, max_new_tokens=40, prompt_lookup=False)
    truth = onnx_engine.generate(greedy)[0]
    oracle(truth.token_ids)
    drafting = GenerationRequest(PROMPT, temperature=0.0, max_new_tokens=40)
    passes = mock.Mock(wraps=onnx_engine.verify)
    monkeypatch.setattr(onnx_engine, "verify", passes)
    for checks in (0, 3):
        with pytest.raises(GenerationCancelled):
            onnx_engine.generate(drafting, cancel=CancelAfter(checks))
    assert passes.call_count <= 3  # checked between passes, not only at the end
    told: list[int] = []
    sample = onnx_engine.generate(replace(drafting, on_sample=told.append))[0]
    assert told == [1] and sample.token_ids == truth.token_ids
    # Off by the request, or for an engine that cannot verify: one token per step, no drafts.
    passes.reset_mock()
    assert onnx_engine.generate(greedy)[0].timings.draft_tokens == 0
    monkeypatch.setattr(onnx_engine, "can_verify", False)
    unverified = onnx_engine.generate(drafting)[0]
    assert unverified.timings.draft_tokens == 0 and unverified.token_ids == truth.token_ids
    assert not passes.called


@pytest.mark.parametrize("engine_name", ENGINES)
def test_the_last_row_left_goes_on_with_drafts_and_stays_what_it_was(
    engine_name: str, request, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # Two rows, the first greedy: once the sampled one has finished, the greedy one decodes
    # alone with drafts, and must still be exactly the greedy sample.
    engine = request.getfixturevalue(engine_name)
    prompt = PROMPT * 3  # repeated text: the lookup finds something to draft
    greedy = engine.generate(
        GenerationRequest(prompt, temperature=0.0, max_new_tokens=48, prompt_lookup=False)
    )[0]
    pair = GenerationRequest(
        prompt, n=2, temperature=1.0, seed=7, max_new_tokens=48, greedy_first=True
    )
    _, sampled = engine.generate(replace(pair, prompt_lookup=False))
    # End the sampled row early: its third token becomes a stop token the greedy row never uses.
    end = next(t for t in sampled.token_ids[2:] if t not in greedy.token_ids)
    facts = engine.facts
    monkeypatch.setattr(facts, "stop_ids", facts.stop_ids | {end})
    told: list[int] = []
    plain = engine.generate(replace(pair, prompt_lookup=False))
    drafted = engine.generate(replace(pair, on_sample=told.append))
    assert plain[1].finish_reason == "eos" and len(plain[1].token_ids) < len(greedy.token_ids)
    assert_same(plain[1], drafted[1], engine_name)  # finished before the switch: untouched
    assert_same(greedy, drafted[0], engine_name)
    assert plain[0].timings.draft_tokens == 0 < drafted[0].timings.draft_tokens
    assert told == [1, 2]
