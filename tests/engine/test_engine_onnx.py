"""The ONNX Runtime engine on a tiny Qwen2 model, checked against the torch reference."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest
from codegen_lsp.engine.decoding import _Row
from codegen_lsp.engine.types import GenerationCancelled, GenerationRequest

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'


def test_logprobs_equal_torch(onnx_engine, torch_engine) -> None:
    continuation = "    return a + b\n\nprint(add(1, 2))\n"
    from_onnx = onnx_engine.score(PROMPT, continuation)
    from_torch = torch_engine.score(PROMPT, continuation)
    assert len(from_onnx) == onnx_engine.count_tokens(continuation) > 5
    np.testing.assert_allclose(from_onnx, from_torch, rtol=0, atol=2e-4)


def test_greedy_is_argmax_and_matches_torch(onnx_engine, torch_engine) -> None:
    request = GenerationRequest(PROMPT, n=2, temperature=0.0, max_new_tokens=24)
    onnx_samples = onnx_engine.generate(request)
    torch_sample = torch_engine.generate(request)[0]
    assert onnx_samples[0].token_ids == onnx_samples[1].token_ids == torch_sample.token_ids
    np.testing.assert_allclose(onnx_samples[0].logprobs, torch_sample.logprobs, atol=2e-4)
    # Greedy means each token is the argmax given the ones before it.
    ids = onnx_engine.facts.encode(PROMPT)
    for token in onnx_samples[0].token_ids[:8]:
        logits, _ = onnx_engine.prefill(ids, keep_logits_from=len(ids) - 1)
        assert token == int(np.argmax(logits[-1]))
        ids.append(token)


def test_greedy_first_makes_the_first_sample_the_greedy_one(onnx_engine) -> None:
    greedy = onnx_engine.generate(
        GenerationRequest(PROMPT, n=1, temperature=0.0, max_new_tokens=20)
    )
    request = GenerationRequest(
        PROMPT, n=4, temperature=1.2, seed=3, max_new_tokens=20, greedy_first=True
    )
    first, *others = onnx_engine.generate(request)
    assert first.token_ids == greedy[0].token_ids
    np.testing.assert_allclose(first.logprobs, greedy[0].logprobs, atol=1e-5)
    assert any(s.token_ids != first.token_ids for s in others)  # the rest are sampled
    # Without it, the first row is sampled like the others.
    plain = onnx_engine.generate(
        GenerationRequest(PROMPT, n=4, temperature=1.2, seed=3, max_new_tokens=20)
    )
    assert plain[0].token_ids != greedy[0].token_ids


def test_each_finished_sample_is_told_as_it_finishes(onnx_engine) -> None:
    # Progress for the editor: how many samples are done, counted up as rows finish.
    told: list[int] = []
    request = GenerationRequest(
        PROMPT, n=4, temperature=1.0, max_new_tokens=24, seed=5, on_sample=told.append
    )
    samples = onnx_engine.generate(request)
    assert told == [1, 2, 3, 4] and len(samples) == 4
    # The callback is not part of what the request is: equal requests stay equal.
    assert request == GenerationRequest(PROMPT, n=4, temperature=1.0, max_new_tokens=24, seed=5)

    def broken(count: int) -> None:
        raise RuntimeError("a progress display that fails")

    again = onnx_engine.generate(GenerationRequest(PROMPT, n=2, max_new_tokens=8, on_sample=broken))
    assert len(again) == 2  # a failing callback never stops the work


def test_sample_logprobs_are_the_scored_logprobs(onnx_engine) -> None:
    request = GenerationRequest(PROMPT, n=3, temperature=1.2, top_p=0.9, max_new_tokens=16, seed=4)
    for sample in onnx_engine.generate(request):
        prompt_ids = onnx_engine.facts.encode(PROMPT)
        logits, _ = onnx_engine.prefill(
            prompt_ids + sample.token_ids, keep_logits_from=len(prompt_ids) - 1
        )
        wide = logits[: len(sample.token_ids)].astype(np.float64)
        log_total = np.log(np.exp(wide - wide.max(-1, keepdims=True)).sum(-1)) + wide.max(-1)
        expected = wide[np.arange(len(sample.token_ids)), sample.token_ids] - log_total
        np.testing.assert_allclose(sample.logprobs, expected, atol=2e-4)


def test_seeded_samples_reproducible_and_equal_to_torch(onnx_engine, torch_engine) -> None:
    request = GenerationRequest(
        PROMPT, n=4, temperature=1.0, top_p=0.95, top_k=40, seed=11, max_new_tokens=20
    )
    first = onnx_engine.generate(request)
    second = onnx_engine.generate(request)
    reference = torch_engine.generate(request)
    assert [s.token_ids for s in first] == [s.token_ids for s in second]
    assert [s.token_ids for s in first] == [s.token_ids for s in reference]
    assert len({tuple(s.token_ids) for s in first}) > 1  # different rows, different draws


def test_copied_prompt_cache_equals_n_prefills(onnx_engine) -> None:
    ids = onnx_engine.facts.encode(PROMPT)
    rows = 3
    _, single = onnx_engine.prefill(ids, keep_logits_from=len(ids) - 1)
    copied = onnx_engine.expand(single, rows)
    batch = np.asarray([ids] * rows, dtype=np.int64)
    _, prefilled = onnx_engine._run(batch, onnx_engine._empty_past(rows), 0)
    for mine, theirs in zip(copied.past, prefilled, strict=True):
        np.testing.assert_allclose(mine, theirs, atol=1e-5)
    next_tokens = np.asarray([5, 17, 300], dtype=np.int64)
    from_copy, _ = onnx_engine.step(next_tokens, copied)
    from_prefill, _ = onnx_engine._run(next_tokens.reshape(-1, 1), prefilled, len(ids))
    np.testing.assert_allclose(from_copy, from_prefill[:, -1], atol=1e-4)


def test_chunked_prefill_equals_one_pass(onnx_engine, monkeypatch) -> None:
    ids = onnx_engine.facts.encode(PROMPT * 3)
    whole, _ = onnx_engine.prefill(ids, keep_logits_from=0)
    monkeypatch.setattr(onnx_engine, "prefill_chunk", 7)
    chunked, _ = onnx_engine.prefill(ids, keep_logits_from=0)
    np.testing.assert_allclose(whole, chunked, atol=1e-4)


def test_stop_sequence_cuts_text_and_tokens(onnx_engine) -> None:
    free = onnx_engine.generate(GenerationRequest(PROMPT, temperature=0.0, max_new_tokens=40))[0]
    assert len(free.text) > 6
    stop = free.text[3:6]
    stopped = onnx_engine.generate(
        GenerationRequest(PROMPT, temperature=0.0, max_new_tokens=40, stop=("never", stop))
    )[0]
    assert stopped.finish_reason == "stop"
    assert stopped.text == free.text[: free.text.find(stop)]
    assert stop not in stopped.text
    decoded = onnx_engine.facts.decode(stopped.token_ids)
    assert decoded.startswith(stopped.text)
    assert len(stopped.logprobs) == len(stopped.token_ids) <= len(free.token_ids)


def test_stop_waits_for_whole_multibyte_character(onnx_engine) -> None:
    facts = onnx_engine.facts
    tokens = facts.encode("x = 'é' + 'ü'")
    assert any(facts.decode(tokens[:count]).endswith("\ufffd") for count in range(len(tokens)))
    row = _Row()
    for token in tokens:
        row.tokens.append(token)
        row.logprobs.append(0.0)
        onnx_engine._update_text(row, ("ü",), 1)
        assert "\ufffd" not in row.text or row.finish is None
        if row.finish:
            break
    assert row.finish == "stop"
    assert row.text == "x = 'é' + '"


def test_finished_rows_leave_the_batch(onnx_engine, monkeypatch) -> None:
    batch_sizes: list[int] = []
    original = onnx_engine.step

    def recording_step(tokens, state):  # type: ignore[no-untyped-def]
        batch_sizes.append(len(tokens))
        return original(tokens, state)

    monkeypatch.setattr(onnx_engine, "step", recording_step)
    samples = onnx_engine.generate(
        GenerationRequest(
            PROMPT,
            n=6,
            temperature=1.5,
            top_p=1.0,
            top_k=0,
            seed=2,
            max_new_tokens=30,
            stop=("e", "a", "\n"),
        )
    )
    assert batch_sizes == sorted(batch_sizes, reverse=True)
    assert batch_sizes[0] <= 6
    assert any(s.finish_reason == "stop" for s in samples)
    lengths = [len(s.token_ids) for s in samples]
    assert len(batch_sizes) <= max(lengths) + 1
    assert min(batch_sizes) < 6


class CancelAfter(threading.Event):
    """An event that reports set after a number of checks (a user pressing Esc mid-run)."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.remaining = checks

    def is_set(self) -> bool:
        self.remaining -= 1
        return self.remaining < 0


def test_cancellation_between_steps(onnx_engine) -> None:
    request = GenerationRequest(PROMPT, n=2, temperature=1.0, max_new_tokens=50, seed=1)
    with pytest.raises(GenerationCancelled):
        onnx_engine.generate(request, cancel=CancelAfter(0))
    with pytest.raises(GenerationCancelled):
        onnx_engine.generate(request, cancel=CancelAfter(3))
    # A sample that finished before the cancel is kept; the rest say "cancelled".
    mixed = GenerationRequest(
        PROMPT, n=4, temperature=1.5, top_k=0, top_p=1.0, seed=2, max_new_tokens=50, stop=("e", "a")
    )
    uncancelled = onnx_engine.generate(mixed)
    first_stop = min(len(s.token_ids) for s in uncancelled if s.finish_reason == "stop")
    partial = onnx_engine.generate(mixed, cancel=CancelAfter(first_stop + 2))
    reasons = {s.finish_reason for s in partial}
    assert "cancelled" in reasons and reasons - {"cancelled"}


def test_over_long_prompt_is_cut_from_the_left(onnx_engine, caplog) -> None:
    long_prompt = "# filler line\n" * 200 + PROMPT
    assert onnx_engine.count_tokens(long_prompt) > onnx_engine.context_length
    with caplog.at_level(logging.WARNING):
        sample = onnx_engine.generate(
            GenerationRequest(long_prompt, temperature=0.0, max_new_tokens=16)
        )[0]
    assert "keeping its last" in caplog.text
    assert sample.timings.prompt_tokens == onnx_engine.context_length - 16
    end_only = onnx_engine.facts.decode(onnx_engine.facts.encode(long_prompt)[-(240):])
    assert end_only.endswith(PROMPT)


def test_chat_template_fim_and_counting(onnx_engine) -> None:
    rendered = onnx_engine.chat_prompt([{"role": "user", "content": "write add"}])
    assert rendered == "<|im_start|>user\nwrite add<|im_end|>\n<|im_start|>assistant\n"
    assert onnx_engine.fim_tokens() == ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
    assert onnx_engine.count_tokens("<|fim_prefix|>") == 1
    assert onnx_engine.count_tokens("") == 0


def test_model_spin_reaches_the_session_and_keeps_the_samples(tiny_onnx, onnx_engine) -> None:
    from codegen_lsp.engine.loader import load_engine
    from codegen_lsp.settings import ModelSettings, parse_settings

    def spinning(engine) -> str:  # type: ignore[no-untyped-def]
        options = engine.session.get_session_options()
        return str(options.get_session_config_entry("session.intra_op.allow_spinning"))

    settings, warnings = parse_settings({"model": {"spin": True}})
    assert settings.model.spin is True and not warnings
    spun = load_engine(ModelSettings(name=str(tiny_onnx), spin=True, device="cpu", threads=1))
    assert spinning(spun) == "1" and spinning(onnx_engine) == "0"
    request = GenerationRequest("def f(x):\n", n=3, max_new_tokens=12, seed=5)
    assert [s.token_ids for s in spun.generate(request)] == [
        s.token_ids for s in onnx_engine.generate(request)
    ]
