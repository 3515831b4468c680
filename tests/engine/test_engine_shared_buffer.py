"""The shared-buffer key/value cache (I/O binding) on a tiny GroupQueryAttention graph.

The graph comes from onnxruntime-genai's builder (fp32, so it can be held to torch's numbers);
the same directory also runs with the plain cache, and with the buffers copied through host
memory the way the CUDA path moves them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from codegen_lsp.engine.models import ModelError
from codegen_lsp.engine.onnx_backend import OnnxEngine
from codegen_lsp.engine.types import GenerationRequest

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'


@pytest.fixture(scope="module")
def plain_engine(tiny_genai: Path) -> OnnxEngine:
    return OnnxEngine(tiny_genai, device="cpu", threads=1, shared_buffer=False)


@pytest.fixture(scope="module")
def host_copy_engine(tiny_genai: Path) -> OnnxEngine:
    engine = OnnxEngine(tiny_genai, device="cpu", threads=1)
    engine.copy_through_host = True  # the device code path: rows move through host copies
    return engine


def test_genai_graph_shares_its_buffers_and_optimum_graph_does_not(
    shared_engine, onnx_engine, tiny_onnx
) -> None:
    assert shared_engine.shared_buffer
    assert not onnx_engine.shared_buffer
    with pytest.raises(ModelError, match="cannot share"):
        OnnxEngine(tiny_onnx, device="cpu", threads=1, shared_buffer=True)


def test_logprobs_equal_torch(shared_engine, torch_engine) -> None:
    continuation = "    return a + b\n\nprint(add(1, 2))\n"
    scored = shared_engine.score(PROMPT, continuation)
    assert len(scored) > 5
    np.testing.assert_allclose(scored, torch_engine.score(PROMPT, continuation), atol=2e-4)


def test_buffer_is_written_in_place(shared_engine) -> None:
    ids = shared_engine.facts.encode(PROMPT)
    _, state = shared_engine.prefill(ids, len(ids) - 1, capacity=len(ids) + 4)
    state = shared_engine.expand(state, 2)
    buffers = list(state.past)
    before = [np.array(value.numpy()) for value in buffers]
    _, after_step = shared_engine.step(np.asarray([5, 9], dtype=np.int64), state)
    assert after_step.past == buffers and after_step.length == len(ids) + 1
    for old, value in zip(before, buffers, strict=True):
        new = value.numpy()
        np.testing.assert_array_equal(new[:, :, : len(ids)], old[:, :, : len(ids)])
        assert np.abs(new[:, :, len(ids)]).sum() > 0  # the new position landed in the buffer
        assert not np.any(new[:, :, len(ids) + 1 :])  # nothing beyond it


@pytest.mark.parametrize("engine_name", ["shared_engine", "host_copy_engine"])
def test_seeded_samples_equal_plain_cache_and_torch(
    engine_name, request, plain_engine, torch_engine
) -> None:
    engine = request.getfixturevalue(engine_name)
    sample_request = GenerationRequest(
        PROMPT,
        n=5,
        temperature=1.3,
        top_p=0.95,
        top_k=40,
        seed=7,
        max_new_tokens=30,
        stop=("e", "\n\n"),
    )
    mine = engine.generate(sample_request)
    again = engine.generate(sample_request)
    plain = plain_engine.generate(sample_request)
    reference = torch_engine.generate(sample_request)
    assert [s.token_ids for s in mine] == [s.token_ids for s in again]
    assert [s.token_ids for s in mine] == [s.token_ids for s in plain]
    assert [s.token_ids for s in mine] == [s.token_ids for s in reference]
    assert len({len(s.token_ids) for s in mine}) > 1  # rows finished at different steps
    for ours, theirs in zip(mine, reference, strict=True):
        np.testing.assert_allclose(ours.logprobs, theirs.logprobs, atol=2e-4)


def test_cache_grows_when_no_room_was_reserved(shared_engine, plain_engine) -> None:
    ids = shared_engine.facts.encode(PROMPT)
    _, state = shared_engine.prefill(ids, len(ids) - 1)  # capacity: the prompt only
    _, reference = plain_engine.prefill(ids, len(ids) - 1)
    state, reference = shared_engine.expand(state, 2), plain_engine.expand(reference, 2)
    for token in (5, 40, 7):
        tokens = np.asarray([token, token + 1], dtype=np.int64)
        logits, state = shared_engine.step(tokens, state)
        expected, reference = plain_engine.step(tokens, reference)
        np.testing.assert_allclose(logits, expected, atol=1e-4)
    assert state.capacity > len(ids) + 3


def test_dropping_rows_keeps_the_survivors_cache(shared_engine, plain_engine) -> None:
    ids = shared_engine.facts.encode(PROMPT)
    states = []
    for engine in (shared_engine, plain_engine):
        _, state = engine.prefill(ids, len(ids) - 1, capacity=len(ids) + 8)
        state = engine.expand(state, 3)
        _, state = engine.step(np.asarray([5, 40, 7], dtype=np.int64), state)
        state = engine.select(state, np.asarray([2, 0], dtype=np.int64))
        logits, state = engine.step(np.asarray([11, 12], dtype=np.int64), state)
        states.append(logits.copy())
    np.testing.assert_allclose(states[0], states[1], atol=1e-4)
