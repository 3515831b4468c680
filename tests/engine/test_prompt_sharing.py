"""N rows over one copy of their prompt's cache: the layout, and the engine decoding with it.

The layout's bookkeeping is checked position by position; the engine (the tiny model's int4
graph with its int8 graph, ``hybrid_engine``) is checked against itself with a copy of the
prompt per row: the same logits at every step, rows dropped and rows parted included. The
default model's figures are in ``test_engine_real_model.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from codegen_lsp.engine.onnx_backend import OnnxEngine, OnnxState
from codegen_lsp.engine.prompt_sharing import SharedPrompt
from codegen_lsp.engine.types import GenerationRequest

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'


def visible(layout: SharedPrompt) -> list[list[int]]:
    """The positions each row's next token may attend to."""
    bias = layout.bias()[0, 0]
    return [np.flatnonzero(row == 0).tolist() for row in bias]


def test_each_row_sees_the_prompt_and_its_own_positions_only() -> None:
    layout = SharedPrompt.start(prompt=4, rows=3, row_capacity=10)
    assert layout.capacity == 4 + 3 * 6 and layout.filled == 4
    # The first step: each row's token goes to position 4 + its slot, after the prompt.
    assert visible(layout) == [[0, 1, 2, 3, 4], [0, 1, 2, 3, 5], [0, 1, 2, 3, 6]]
    assert np.all(layout.bias()[0, 0, 0, 5:] == -np.inf)
    layout.advance()
    assert layout.filled == 7 and layout.steps == 1
    assert visible(layout) == [[0, 1, 2, 3, 4, 7], [0, 1, 2, 3, 5, 8], [0, 1, 2, 3, 6, 9]]
    # Every row's token is its own second position, whatever slot it sits in.
    assert layout.positions().tolist() == [[5, 5, 5]]


def test_a_dropped_row_stays_hidden_and_the_others_go_on() -> None:
    layout = SharedPrompt.start(prompt=2, rows=3, row_capacity=6)
    layout.advance()  # positions 2, 3, 4: rows 0, 1, 2
    layout.keep(np.asarray([2, 0]))  # row 1 finished; row 2 moves to the first slot
    assert visible(layout) == [[0, 1, 4, 5], [0, 1, 2, 6]]
    layout.advance()
    assert layout.owner[5:7].tolist() == [2, 0]
    assert layout.own_positions(0).tolist() == [0, 1, 4, 5]  # row 2: prompt, then its own
    assert layout.own_positions(1).tolist() == [0, 1, 2, 6]
    assert layout.positions().tolist() == [[4, 4]]


def test_rows_part_once_copies_of_their_own_would_be_read_faster() -> None:
    layout = SharedPrompt.start(prompt=10, rows=8, row_capacity=40)
    for _ in range(6):
        layout.advance()
    # 10 + 48 positions read once, against 16 per row from copies: sharing saves while 4
    # rows are left, not with 3 (48 of the 58 positions are the rows', most of them finished).
    assert layout.filled == 58
    assert layout.saves_reading(8) and layout.saves_reading(4)
    assert not layout.saves_reading(3)


def test_the_layout_refuses_a_step_without_room_and_grows_when_asked() -> None:
    layout = SharedPrompt.start(prompt=2, rows=2, row_capacity=3)
    layout.advance()
    with pytest.raises(ValueError, match="no room for 2 positions"):
        layout.advance()
    grown = layout.grown(10)
    grown.advance()
    assert grown.filled == 6 and grown.own_positions(1).tolist() == [0, 1, 3, 5]
    with pytest.raises(ValueError, match="cannot hold a prompt"):
        SharedPrompt.start(prompt=5, rows=2, row_capacity=4)


def test_the_int8_graph_takes_positions_and_a_bias_in_every_attention(
    tiny_int8_graph: Path,
) -> None:
    graph = onnx.load(str(tiny_int8_graph / "model.onnx"), load_external_data=False).graph
    assert {"position_ids", "attention_bias"} <= {item.name for item in graph.input}
    attention = [node for node in graph.node if node.op_type == "GroupQueryAttention"]
    assert attention
    assert all(list(node.input)[9:11] == ["position_ids", "attention_bias"] for node in attention)


@pytest.fixture(scope="module")
def copies_engine(tiny_int4: Path, tiny_int8_graph: Path) -> OnnxEngine:
    """The hybrid engine with a copy of the prompt's cache per row (the reference)."""
    return OnnxEngine(
        tiny_int4, device="cpu", threads=1, int8_directory=tiny_int8_graph, shared_prompt=False
    )


def test_rows_over_one_prompt_compute_what_rows_with_copies_compute(
    hybrid_engine: OnnxEngine, copies_engine: OnnxEngine
) -> None:
    assert hybrid_engine.shares_prompt and not copies_engine.shares_prompt
    ids = hybrid_engine.facts.encode(PROMPT)
    tokens = np.random.default_rng(0).integers(10, 200, size=(4, 4))
    steps: dict[str, list[np.ndarray]] = {}
    shapes: dict[str, list[tuple[bool, int, int]]] = {}

    def shape(state: OnnxState) -> tuple[bool, int, int]:
        """Whether the rows share a prompt, the cache rows held, the rows decoding."""
        return state.layout is not None, state.hosts[0].shape[0], state.rows

    for name, engine in (("shared", hybrid_engine), ("copies", copies_engine)):
        _, state = engine.prefill(ids, len(ids) - 1, len(ids) + 6)
        state = engine.expand(state, 4)
        shapes[name] = [shape(state)]
        logits, state = engine.step(tokens[0], state)  # four rows
        steps[name] = [np.array(logits)]
        state = engine.select(state, np.asarray([3, 1, 2]))  # row 0 finished
        shapes[name].append(shape(state))
        logits, state = engine.step(tokens[1][:3], state)
        steps[name].append(np.array(logits))
        state = engine.select(state, np.asarray([2, 0]))  # two left: each its own cache
        shapes[name].append(shape(state))
        for position in (2, 3):
            logits, state = engine.step(tokens[position][:2], state)
            steps[name].append(np.array(logits))
    # The prompt is held once: one cache row, however many rows decode from it; two rows
    # left each get their own.
    assert shapes["shared"] == [(True, 1, 4), (True, 1, 3), (False, 2, 2)]
    assert shapes["copies"] == [(False, 4, 4), (False, 3, 3), (False, 2, 2)]
    for ours, theirs in zip(steps["shared"], steps["copies"], strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_a_request_for_several_samples_draws_the_same_either_way(
    hybrid_engine: OnnxEngine, copies_engine: OnnxEngine
) -> None:
    request = GenerationRequest(PROMPT, n=5, temperature=1.0, max_new_tokens=12, seed=4)
    ours = hybrid_engine.generate(request)
    theirs = copies_engine.generate(request)
    assert [s.token_ids for s in ours] == [s.token_ids for s in theirs]
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.logprobs, other.logprobs, atol=1e-4)


def test_the_setting_turns_it_off(tiny_hf: Path, tiny_cache: Path) -> None:
    from codegen_lsp.engine.local import load_local
    from codegen_lsp.settings import ModelSettings

    settings = ModelSettings(
        name=str(tiny_hf), precision="int4", device="cpu", cache_dir=str(tiny_cache)
    )
    on = load_local(settings)
    settings.rows_share_prompt = False
    off = load_local(settings)
    assert isinstance(on, OnnxEngine) and isinstance(off, OnnxEngine)
    assert on.shares_prompt and not off.shares_prompt
    for engine in (on, off):
        _, state = engine.prefill(engine.facts.encode(PROMPT), 0, 40)
        assert (engine.expand(state, 3).layout is not None) is engine.shares_prompt


def test_rows_that_would_outgrow_the_context_in_one_row_get_copies(
    hybrid_engine: OnnxEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = hybrid_engine.facts.encode(PROMPT)
    _, state = hybrid_engine.prefill(ids, len(ids) - 1, len(ids) + 10)
    assert hybrid_engine.expand(state, 4).layout is not None  # 4 x 10 new positions fit
    monkeypatch.setattr(hybrid_engine, "context_length", len(ids) + 39)
    copied = hybrid_engine.expand(state, 4)
    assert copied.layout is None and copied.rows == 4


def test_a_shared_row_without_room_grows_and_goes_on(
    hybrid_engine: OnnxEngine, copies_engine: OnnxEngine
) -> None:
    ids = hybrid_engine.facts.encode(PROMPT)
    tokens = np.asarray([[11, 12, 13], [21, 22, 23], [31, 32, 33]])
    stepped = {}
    for name, engine in (("shared", hybrid_engine), ("copies", copies_engine)):
        _, state = engine.prefill(ids, len(ids) - 1, len(ids))  # no room reserved
        state = engine.expand(state, 3)
        steps = []
        for row in tokens:
            logits, state = engine.step(row, state)
            steps.append(np.array(logits))
        assert (state.layout is not None) is (name == "shared")
        state = engine.select(state, np.asarray([2, 0]))  # two left, past the room planned
        for row in tokens[:, :2]:
            logits, state = engine.step(row, state)
            steps.append(np.pad(np.array(logits), ((0, 1), (0, 0))))
        stepped[name] = np.stack(steps)
    np.testing.assert_allclose(stepped["shared"], stepped["copies"], atol=1e-4)
