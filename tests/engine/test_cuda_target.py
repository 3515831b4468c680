"""The int4 graph built for CUDA (fp16 activations) and the engine on fp16 graphs, without a GPU.

ONNX Runtime's CPU provider runs GroupQueryAttention, MatMulNBits, GatherBlockQuantized and the
fused layer norms in float16, so the graphs the builder writes for CUDA run here: the engine's
fp16 handling (cache buffers in the past dtype, logits converted to float32, the shared-buffer
cache, fan-out, dropping rows) is checked on them. The CUDA provider itself is not run.

Tolerances: float16 keeps 11 significant bits (relative rounding 2**-11, about 5e-4). Logits of a
few units pass through two layers of fp16 matmuls, attention and norms; measured against torch's
fp32 the log-probs of the fp16 graph differ by at most 0.019 (scored: 0.0095), so 0.05 holds
them with room while being far below the fp32 graph's gap to the int4 ones (more than 1.0).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from codegen_lsp.engine import loader, local, models
from codegen_lsp.engine.onnx_backend import OnnxEngine, uses_cuda
from codegen_lsp.engine.types import GenerationRequest
from codegen_lsp.settings import ModelSettings
from support.device import DEVICE

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'
CONTINUATION = "    return a + b\n\nprint(add(1, 2))\n"
FP16_LOGPROB_ATOL = 0.05


@pytest.fixture(scope="module")
def fp16_engine(tiny_genai_fp16: Path) -> OnnxEngine:
    return OnnxEngine(tiny_genai_fp16, device=DEVICE, threads=1)


@pytest.fixture(scope="module")
def cuda_int4_engine(tiny_cuda_int4: Path) -> OnnxEngine:
    return OnnxEngine(tiny_cuda_int4, device=DEVICE, threads=1)


def _graph(directory: Path) -> Any:
    import onnx

    return onnx.load(str(directory / "model.onnx"), load_external_data=False).graph


def test_cuda_target_is_an_fp16_int4_graph_in_its_own_directory(
    tiny_cuda_int4: Path, tiny_hf: Path, tiny_cache: Path
) -> None:
    from onnx import TensorProto

    assert tiny_cuda_int4.name == "onnx-int4-cuda"
    assert not list(tiny_cuda_int4.parent.glob(".tmp-*"))
    manifest = models.read_manifest(tiny_cuda_int4)
    assert (manifest["precision"], manifest["target"]) == ("int4", "cuda")
    assert manifest["builder"] == "onnxruntime-genai"
    graph = _graph(tiny_cuda_int4)
    kinds = {node.op_type for node in graph.node}
    assert {"MatMulNBits", "GroupQueryAttention", "GatherBlockQuantized"} <= kinds
    inputs = {item.name: item.type.tensor_type.elem_type for item in graph.input}
    assert inputs["past_key_values.0.key"] == TensorProto.FLOAT16
    assert models.KEEP_INPUT in inputs
    logits = next(item for item in graph.output if item.name == "logits")
    assert logits.type.tensor_type.elem_type == TensorProto.FLOAT16
    scales = {item.name: item.data_type for item in graph.initializer}
    embedding = next(node for node in graph.node if node.op_type == "GatherBlockQuantized")
    assert scales[embedding.input[2]] == TensorProto.FLOAT16
    # Found again without a rebuild, and not mistaken for the CPU graph.
    assert models.export(str(tiny_hf), "int4", str(tiny_cache), target="cuda") == tiny_cuda_int4
    cpu = models.onnx_path(str(tiny_hf), "int4", str(tiny_cache))
    assert cpu != tiny_cuda_int4


def test_cuda_target_refuses_what_it_does_not_build(tiny_hf: Path, tmp_path, monkeypatch) -> None:
    with pytest.raises(models.ModelError, match="int4 only"):
        models.export(str(tiny_hf), "fp32", str(tmp_path), target="cuda")
    monkeypatch.setenv("CODEGEN_LSP_NO_GENAI_BUILDER", "1")
    with pytest.raises(models.ModelError, match="pip install onnxruntime-genai"):
        models.export(str(tiny_hf), "int4", str(tmp_path), target="cuda")
    assert not (models.resolve(str(tiny_hf), str(tmp_path)).workdir / "onnx-int4-cuda").exists()


def test_fp16_graph_matches_torch(fp16_engine, torch_engine) -> None:
    assert fp16_engine.past_dtype == np.float16 and fp16_engine.logits_dtype == np.float16
    assert fp16_engine.shared_buffer
    scored = fp16_engine.score(PROMPT, CONTINUATION)
    reference = torch_engine.score(PROMPT, CONTINUATION)
    assert len(scored) > 5
    np.testing.assert_allclose(scored, reference, atol=FP16_LOGPROB_ATOL)
    request = GenerationRequest(PROMPT, n=2, temperature=0.0, max_new_tokens=40)
    greedy = fp16_engine.generate(request)
    expected = torch_engine.generate(request)[0]
    assert greedy[0].token_ids == greedy[1].token_ids == expected.token_ids
    assert len(expected.token_ids) > 10
    np.testing.assert_allclose(greedy[0].logprobs, expected.logprobs, atol=FP16_LOGPROB_ATOL)


def test_fp16_cache_buffers_and_float32_logits(fp16_engine) -> None:
    ids = fp16_engine.facts.encode(PROMPT)
    logits, state = fp16_engine.prefill(ids, len(ids) - 1, capacity=len(ids) + 4)
    assert logits.dtype == np.float32
    assert state.capacity == len(ids) + 4 and state.past[0].numpy().dtype == np.float16
    state = fp16_engine.expand(state, 2)
    step_logits, state = fp16_engine.step(np.asarray([5, 9], dtype=np.int64), state)
    assert step_logits.dtype == np.float32 and step_logits.shape == (2, fp16_engine.vocabulary)
    assert np.all(np.isfinite(step_logits))
    buffer = state.past[0].numpy()
    assert buffer.dtype == np.float16
    assert np.abs(buffer[:, :, len(ids)]).sum() > 0  # the step wrote its position in place


def test_fp16_fan_out_equals_n_prefills(fp16_engine) -> None:
    ids = fp16_engine.facts.encode(PROMPT)
    rows, capacity = 3, len(ids) + 4
    _, single = fp16_engine.prefill(ids, len(ids) - 1, capacity=capacity)
    copied = fp16_engine.expand(single, rows)
    prefilled = fp16_engine._allocate(rows, capacity)
    fp16_engine._prefill_shared(np.asarray([ids] * rows, dtype=np.int64), prefilled, 1)
    for mine, theirs in zip(copied.past, prefilled.past, strict=True):
        np.testing.assert_array_equal(
            mine.numpy()[:, :, : len(ids)], theirs.numpy()[:, :, : len(ids)]
        )
    tokens = np.asarray([5, 17, 300], dtype=np.int64)
    from_copy = fp16_engine.step(tokens, copied)[0].copy()
    from_prefill = fp16_engine.step(tokens, prefilled)[0]
    np.testing.assert_array_equal(from_copy, from_prefill)
    for row, token in enumerate(tokens):  # and each row equals its own one-pass prefill
        alone, _ = fp16_engine.prefill([*ids, int(token)], len(ids))
        np.testing.assert_allclose(from_copy[row], alone[-1], atol=1e-2)


def test_fp16_seeded_samples_agree_across_cache_paths(tiny_genai_fp16, fp16_engine) -> None:
    plain = OnnxEngine(tiny_genai_fp16, device="cpu", threads=1, shared_buffer=False)
    through_host = OnnxEngine(tiny_genai_fp16, device="cpu", threads=1)
    through_host.copy_through_host = True  # rows move through host copies, as on CUDA
    request = GenerationRequest(
        PROMPT, n=5, temperature=1.3, top_p=0.95, top_k=40, seed=7, max_new_tokens=30, stop=("e",)
    )
    mine = fp16_engine.generate(request)
    assert [s.token_ids for s in mine] == [s.token_ids for s in fp16_engine.generate(request)]
    assert [s.token_ids for s in mine] == [s.token_ids for s in plain.generate(request)]
    assert [s.token_ids for s in mine] == [s.token_ids for s in through_host.generate(request)]
    assert len({len(s.token_ids) for s in mine}) > 1  # rows finished at different steps
    for sample in mine:  # a sample's log-probs are the ones scoring its text gives
        if sample.token_ids:
            scored = fp16_engine.score(PROMPT, fp16_engine.facts.decode(sample.token_ids))
            if len(scored) == len(sample.logprobs):  # re-encoding may merge tokens differently
                np.testing.assert_allclose(sample.logprobs, scored, atol=1e-2)


def test_cuda_int4_graph_runs_on_the_cpu_provider(tiny_hf, tiny_onnx, cuda_int4_engine) -> None:
    engine = cuda_int4_engine
    assert engine.shared_buffer and engine.past_dtype == np.float16
    request = GenerationRequest(PROMPT, n=4, temperature=1.0, top_p=0.95, seed=3, max_new_tokens=20)
    first = engine.generate(request)
    assert [s.token_ids for s in first] == [s.token_ids for s in engine.generate(request)]
    plain = OnnxEngine(engine.directory, device="cpu", threads=1, shared_buffer=False)
    assert [s.token_ids for s in first] == [s.token_ids for s in plain.generate(request)]
    for sample in first:
        assert all(np.isfinite(sample.logprobs)) and all(lp <= 0 for lp in sample.logprobs)
    # 4-bit blocks of a random model's wide weights are coarse; the shape must still agree.
    fp32 = OnnxEngine(tiny_onnx, device="cpu", threads=1)
    quantised = np.asarray(engine.score(PROMPT, CONTINUATION))
    reference = np.asarray(fp32.score(PROMPT, CONTINUATION))
    assert np.abs(quantised - reference).mean() < 1.0
    assert np.corrcoef(quantised, reference)[0, 1] > 0.8


def test_loader_takes_the_cuda_graph_when_the_device_is_cuda(
    tiny_hf, tiny_cache, tiny_cuda_int4, monkeypatch
) -> None:
    # No GPU here: pretend the device resolved to CUDA; the session itself then runs on CPU.
    monkeypatch.setattr(local, "uses_cuda", lambda device: True)
    settings = ModelSettings(name=str(tiny_hf), cache_dir=str(tiny_cache), threads=1)
    assert loader.prepare_model(settings) == tiny_cuda_int4
    engine = loader.load_engine(settings)
    assert engine.name.endswith(":int4-cuda")
    assert engine.count_tokens("def f():") > 0
    fp32 = ModelSettings(name=str(tiny_hf), precision="fp32", cache_dir=str(tiny_cache))
    assert loader.prepare_model(fp32).name == "onnx-fp32"  # fp32 runs on CUDA as it is


def test_loader_falls_back_to_the_cpu_graph_without_the_builder(
    tiny_hf, tiny_onnx, tmp_path, monkeypatch
) -> None:
    import shutil

    monkeypatch.setattr(local, "uses_cuda", lambda device: True)
    monkeypatch.setenv("CODEGEN_LSP_NO_GENAI_BUILDER", "1")
    workdir = models.resolve(str(tiny_hf), str(tmp_path)).workdir
    shutil.copytree(tiny_onnx, workdir / "onnx-fp32")  # so only the quantiser runs here
    said: list[str] = []
    directory = loader.prepare_model(
        ModelSettings(name=str(tiny_hf), cache_dir=str(tmp_path)), said.append
    )
    assert directory.name == "onnx-int4"
    assert any("cannot build the CUDA graph" in line for line in said)


def test_cuda_without_onnxruntime_gpu_fails_before_any_export(tiny_hf, tmp_path) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("onnxruntime-gpu is installed here")
    assert not uses_cuda("auto") and not uses_cuda("cpu")
    settings = ModelSettings(name=str(tiny_hf), device="cuda", cache_dir=str(tmp_path))
    with pytest.raises(models.ModelError, match="pip install onnxruntime-gpu"):
        loader.load_engine(settings)
    assert not any(tmp_path.iterdir())  # nothing was exported for a device that cannot run


def test_cli_export_target(tmp_path) -> None:
    def models(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "codegen_lsp.cli", "models", "--cache-dir", str(tmp_path)]
        return subprocess.run([*command, *args], capture_output=True, text=True, check=False)

    name, cuda = "qwen2.5-coder-0.5b", ("--target", "cuda")
    refused = models("export", name, "--precision", "fp32", *cuda)
    assert refused.returncode == 1 and "int4 only" in refused.stderr
    missing = models("path", name, "--precision", "int4", *cuda)
    assert missing.returncode == 1
    assert f"models export {name} --precision int4 --target cuda" in missing.stderr
    wrong = models("path", name, "--precision", "int8", *cuda)
    assert wrong.returncode == 1 and "int4 only" in wrong.stderr
    listed = models("list")
    assert listed.returncode == 0 and "int4-cuda" in listed.stdout


def test_auto_sees_no_gpu_when_cuda_visible_devices_hides_them(monkeypatch) -> None:
    from codegen_lsp.engine import onnx_backend

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert not onnx_backend._gpu_visible()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert not onnx_backend._gpu_visible()
