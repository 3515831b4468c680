"""The int8 graph that shares the int4 graph's cache (``model.int8Graph``).

Built from the tiny model through the same export code the server runs on first use (the
``tiny_int4`` and ``tiny_int8_graph`` fixtures): the int8 graph reads the prompt into the
shared-buffer cache and steps 3 or more rows, the int4 graph steps fewer from the same buffers.
A graph whose cache differs is refused with a message, never used. Speculative decoding over
that cache is exact: the ``hybrid_engine`` runs every test of ``test_engine_speculative.py``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import pytest
from codegen_lsp.engine import models
from codegen_lsp.engine.local import load_local, prepare_int8_graph
from codegen_lsp.engine.models import ModelError
from codegen_lsp.engine.onnx_backend import OnnxEngine
from codegen_lsp.settings import ModelSettings

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'


@pytest.fixture(scope="module")
def int4_engine(tiny_int4: Path) -> OnnxEngine:
    return OnnxEngine(tiny_int4, device="cpu", threads=1)


def test_the_int8_graph_is_the_builders_graph_with_int8_weights(tiny_int8_graph: Path) -> None:
    manifest = models.read_manifest(tiny_int8_graph)
    assert manifest["role"] == "int8-graph" and manifest["precision"] == "int8"
    graph = onnx.load(str(tiny_int8_graph / "model.onnx"), load_external_data=False).graph
    kinds = {node.op_type for node in graph.node}
    assert "GroupQueryAttention" in kinds  # the int4 graph's attention, so its cache
    assert "MatMulInteger" in kinds  # dynamic int8: the integer kernels that make it fast
    bits = {
        node.name: {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}["bits"]
        for node in graph.node
        if node.op_type == "MatMulNBits"
    }
    assert bits and all("down_proj" in name and width == 8 for name, width in bits.items())


def test_the_int8_graph_reads_the_prompt_and_the_int4_graph_decodes_from_its_cache(
    int4_engine: OnnxEngine, hybrid_engine: OnnxEngine, tiny_genai: Path
) -> None:
    reference = OnnxEngine(tiny_genai, device="cpu", threads=1)  # the same model in fp32
    ids = int4_engine.facts.encode(PROMPT)
    capacity = len(ids) + 4
    first = {}
    stepped = {}
    for name, engine in (("int4", int4_engine), ("hybrid", hybrid_engine), ("fp32", reference)):
        logits, state = engine.prefill(ids, len(ids) - 1, capacity)
        first[name] = logits[-1]
        token = np.asarray([int(np.argmax(first["fp32" if name == "fp32" else "int4"]))])
        stepped[name] = engine.step(token, state)[0][-1]
    # The prompt's logits came from the int8 graph: not the int4 graph's numbers ...
    assert not np.allclose(first["hybrid"], first["int4"], atol=1e-4)
    # ... but the same model's: as close to fp32 as the int4 graph's own.
    spread = np.abs(first["int4"] - first["fp32"]).max()
    assert np.abs(first["hybrid"] - first["fp32"]).max() < 3 * spread + 1e-3
    # The int4 graph decodes from the cache the int8 graph wrote: a cache in another layout,
    # or one left empty, would give logits far from what decoding after its own prefill gives.
    step_spread = np.abs(stepped["int4"] - stepped["fp32"]).max()
    assert np.abs(stepped["hybrid"] - stepped["int4"]).max() < 3 * step_spread + 1e-3


def test_steps_of_three_rows_or_more_run_on_the_int8_graph(
    tiny_int4: Path, tiny_int8_graph: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = OnnxEngine(tiny_int8_graph, device="cpu", threads=1)  # the int8 graph on its own
    # A cache row per sample (the rows sharing their prompt step on the int8 graph always:
    # test_prompt_sharing.py).
    hybrid_engine = OnnxEngine(
        tiny_int4, device="cpu", threads=1, int8_directory=tiny_int8_graph, shared_prompt=False
    )
    ids = hybrid_engine.facts.encode(PROMPT)

    def stepped(engine: OnnxEngine, rows: int) -> tuple[np.ndarray, object]:
        _, state = engine.prefill(ids, len(ids) - 1, len(ids) + 4)
        state = engine.expand(state, rows)
        logits, state = engine.step(np.arange(5, 5 + rows, dtype=np.int64), state)
        return np.array(logits), state.stepper

    # Three rows: the hybrid engine's step is the int8 graph's, to the bit.
    wide, runner = stepped(hybrid_engine, 3)
    assert runner is hybrid_engine.int8_session
    np.testing.assert_allclose(wide, stepped(alone, 3)[0], atol=1e-6)
    # Two rows: the int4 graph's, from the same cache (as if wide steps were off).
    narrow, runner = stepped(hybrid_engine, 2)
    assert runner is hybrid_engine.session
    monkeypatch.setattr(hybrid_engine, "wide_rows", 99)
    np.testing.assert_allclose(narrow, stepped(hybrid_engine, 2)[0], atol=1e-6)
    assert not np.allclose(wide, stepped(hybrid_engine, 3)[0], atol=1e-4)


def test_a_graph_with_another_cache_is_refused(
    tiny_int4: Path, tiny_onnx: Path, tiny_int8_graph: Path, tiny_genai_fp16: Path
) -> None:
    with pytest.raises(ModelError, match="shared-buffer"):
        OnnxEngine(tiny_int4, device="cpu", threads=1, int8_directory=tiny_onnx)
    with pytest.raises(ModelError, match="needs the shared-buffer cache"):
        OnnxEngine(tiny_onnx, device="cpu", threads=1, int8_directory=tiny_int8_graph)
    with pytest.raises(ModelError, match="does not declare the cache"):
        OnnxEngine(tiny_int4, device="cpu", threads=1, int8_directory=tiny_genai_fp16)


def test_the_setting_chooses_the_int8_graph_and_says_why_not(
    tiny_hf: Path, tiny_cache: Path, tiny_int4: Path, tiny_int8_graph: Path, caplog
) -> None:
    on = ModelSettings(name=str(tiny_hf), precision="int4", device="cpu", cache_dir=str(tiny_cache))
    assert prepare_int8_graph(on, tiny_int4) == tiny_int8_graph
    engine = load_local(on)
    assert isinstance(engine, OnnxEngine) and engine.int8_session is not engine.session
    off = ModelSettings(
        name=str(tiny_hf), precision="int4", device="cpu", cache_dir=str(tiny_cache)
    )
    off.int8_graph = False
    assert prepare_int8_graph(off, tiny_int4) is None
    plain = load_local(off)
    assert isinstance(plain, OnnxEngine) and plain.int8_session is plain.session
    fp32 = ModelSettings(name=str(tiny_hf), precision="fp32", cache_dir=str(tiny_cache))
    with caplog.at_level(logging.INFO, logger="codegen_lsp.engine.local"):
        assert (
            prepare_int8_graph(fp32, models.export(str(tiny_hf), "fp32", str(tiny_cache))) is None
        )
    assert "pairs with onnxruntime-genai's int4 graphs" in caplog.text


def test_a_model_given_as_an_onnx_directory_runs_on_its_own_graph(
    tiny_int4: Path, tiny_cache: Path
) -> None:
    told: list[str] = []
    settings = ModelSettings(name=str(tiny_int4), device="cpu", cache_dir=str(tiny_cache))
    assert prepare_int8_graph(settings, tiny_int4, told.append) is None
    assert told and "the int4 graph runs it all" in told[0] and "ONNX export" in told[0]
