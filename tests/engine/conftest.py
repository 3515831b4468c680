"""A tiny randomly initialised Qwen2 model, exported to ONNX once per test session.

The tokenizer is a real byte-level BPE trained here on Python source (with Qwen's special tokens),
the model is Qwen2ForCausalLM with tiny dimensions, and the ONNX export goes through the same
`models.export` code path a user's HF directory takes.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
]
CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
TINY_CONTEXT = 256


def _training_text() -> list[str]:
    import collections
    import json as json_module
    import textwrap

    modules = [collections, json_module, textwrap, inspect]
    return [inspect.getsource(module) for module in modules] + ["é ü — 数据 ✓ ü é"]


def build_tiny_model(directory: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1200,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_training_text(), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:],
    )
    fast.chat_template = CHATML_TEMPLATE
    config = Qwen2Config(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=TINY_CONTEXT,
        initializer_range=0.2,  # peaked distributions, so greedy and top-p have ties to break
        tie_word_embeddings=False,
        eos_token_id=tokenizer.token_to_id("<|im_end|>"),
        bos_token_id=tokenizer.token_to_id("<|endoftext|>"),
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config).eval()
    hf_dir = directory / "tiny-qwen2"
    model.save_pretrained(hf_dir)
    fast.save_pretrained(hf_dir)
    with open(hf_dir / "tokenizer_config.json", encoding="utf-8") as handle:
        assert "chat_template" in json.load(handle) or (hf_dir / "chat_template.jinja").exists()
    return hf_dir


@pytest.fixture(scope="session")
def tiny_hf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def tiny_onnx(tiny_hf: Path, tiny_cache: Path) -> Path:
    from codegen_lsp.engine import models

    return models.export(str(tiny_hf), "fp32", cache=str(tiny_cache))


@pytest.fixture(scope="session")
def onnx_engine(tiny_onnx: Path):  # type: ignore[no-untyped-def]
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    return OnnxEngine(tiny_onnx, device="cpu", threads=1)


@pytest.fixture(scope="session")
def torch_engine(tiny_hf: Path, tiny_onnx: Path):  # type: ignore[no-untyped-def]
    from codegen_lsp.engine.torch_backend import TorchEngine

    return TorchEngine(tiny_hf, tokenizer_dir=tiny_onnx, threads=1)


def build_with_genai(hf_dir: Path, scratch: Path, precision: str, provider: str) -> Path:
    """Build ``hf_dir`` with onnxruntime-genai's builder (``-p precision -e provider``)."""
    import shutil
    import subprocess
    import sys

    output = scratch / f"genai-{precision}-{provider}"
    command = [sys.executable, "-m", "onnxruntime_genai.models.builder"]
    command += ["-i", str(hf_dir), "-o", str(output), "-p", precision, "-e", provider]
    command += ["-c", str(scratch / "cache")]
    subprocess.run(command, check=True, capture_output=True)
    for name in ("config.json", "generation_config.json"):
        shutil.copy2(hf_dir / name, output / name)
    return output


@pytest.fixture(scope="session")
def tiny_genai(tiny_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model built by onnxruntime-genai's builder in fp32 (GroupQueryAttention)."""
    pytest.importorskip("onnxruntime_genai")
    return build_with_genai(tiny_hf, tmp_path_factory.mktemp("genai"), "fp32", "cpu")


@pytest.fixture(scope="session")
def tiny_genai_fp16(tiny_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model as the builder writes it for CUDA: fp16 weights, activations and cache."""
    pytest.importorskip("onnxruntime_genai")
    return build_with_genai(tiny_hf, tmp_path_factory.mktemp("genai-fp16"), "fp16", "cuda")


@pytest.fixture(scope="session")
def tiny_cuda_int4(tiny_hf: Path, tiny_cache: Path) -> Path:
    """The tiny model's CUDA target (int4, fp16 activations), through `models.export`."""
    pytest.importorskip("onnxruntime_genai")
    from codegen_lsp.engine import models

    return models.export(str(tiny_hf), "int4", cache=str(tiny_cache), target="cuda")


@pytest.fixture(scope="session")
def shared_engine(tiny_genai: Path):  # type: ignore[no-untyped-def]
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    return OnnxEngine(tiny_genai, device="cpu", threads=1)
