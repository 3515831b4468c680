"""Dropping finished rows from the batch: the shared-buffer cache compacts in place.

Checked on the tiny GroupQueryAttention graph against the plain cache (which copies arrays)
and the host-copy path (the way the CUDA buffers move), with rows finishing at different steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from codegen_lsp.engine.decoding import _fill_holes
from codegen_lsp.engine.onnx_backend import OnnxEngine
from codegen_lsp.engine.types import GenerationRequest

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'


@pytest.fixture(scope="module", params=["plain", "host-copy"])
def reference_engine(request: pytest.FixtureRequest, tiny_genai: Path) -> OnnxEngine:
    """The same graph with the plain cache, or with rows moved through host copies (CUDA's way)."""
    engine = OnnxEngine(
        tiny_genai, device="cpu", threads=1, shared_buffer=request.param == "host-copy"
    )
    engine.copy_through_host = request.param == "host-copy"
    return engine


@pytest.mark.parametrize(
    "still", [[1, 2, 3, 4, 5, 6, 7], [0, 2, 4, 6], [0, 1, 2], [5, 7], [3], [0, 1, 2, 3]]
)
def test_fill_holes_moves_only_tail_rows_into_holes(still: list[int]) -> None:
    keep = _fill_holes(still).tolist()
    assert sorted(keep) == still  # the same rows, reordered
    for slot, source in enumerate(keep):
        assert source == slot or source >= len(still)  # stays, or comes from the tail


def test_compaction_reuses_the_buffers_and_equals_the_other_paths(
    shared_engine, reference_engine
) -> None:
    ids = shared_engine.facts.encode(PROMPT)
    logits = []
    for engine in (shared_engine, reference_engine):
        _, state = engine.prefill(ids, len(ids) - 1, capacity=len(ids) + 8)
        state = engine.expand(state, 4)
        _, state = engine.step(np.asarray([5, 40, 7, 9], dtype=np.int64), state)
        hosts = list(state.hosts)
        state = engine.select(state, np.asarray([0, 3, 2], dtype=np.int64))
        if engine is shared_engine:  # compacted in place: views of the same buffers
            assert all(np.shares_memory(a, b) for a, b in zip(state.hosts, hosts, strict=True))
            assert state.rows == 3
        _, state = engine.step(np.asarray([11, 12, 13], dtype=np.int64), state)
        state = engine.select(state, np.asarray([1], dtype=np.int64))
        result, _ = engine.step(np.asarray([14], dtype=np.int64), state)
        logits.append(np.array(result))
    np.testing.assert_allclose(logits[0], logits[1], atol=1e-4)


def test_rows_finishing_at_different_steps_draw_the_same_samples_on_every_path(
    shared_engine, reference_engine
) -> None:
    request = GenerationRequest(
        PROMPT, n=6, temperature=1.0, top_p=1.0, top_k=0, max_new_tokens=24, stop=("e",), seed=3
    )
    drawn = [engine.generate(request) for engine in (shared_engine, reference_engine)]
    lengths = {len(sample.token_ids) for sample in drawn[0]}
    assert len(lengths) > 2, "rows should finish at different steps for this test to mean much"
    for other in drawn[1:]:
        assert [s.token_ids for s in other] == [s.token_ids for s in drawn[0]]
        for mine, theirs in zip(drawn[0], other, strict=True):
            np.testing.assert_allclose(mine.logprobs, theirs.logprobs, atol=1e-4)
