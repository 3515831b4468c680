"""A tiny randomly initialised Qwen2 model: real tokenizer, real export path, no download.

The tokenizer is a real byte-level BPE trained here on Python source (with Qwen's special tokens),
the model is Qwen2ForCausalLM with tiny dimensions; the root ``conftest.py`` exports it to ONNX
once per test run through the same ``models.export`` code path a user's HF directory takes. The
tests that need real plumbing (engine, pipeline, daemon, language server) use it; none of them
needs good code.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

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


def prebuild(directory: Path) -> Path:
    """Build the tiny model and every graph the engine tests load into ``directory``.

    For a machine that cannot build them (a GPU machine without this project's exporters):
    ``hf``, ``onnx-fp32``, ``genai-fp32-cpu``, ``genai-fp16-cuda``, ``onnx-int4-cuda``, the
    names ``support.device.prebuilt`` looks for.
    """
    import shutil

    from codegen_lsp.engine import models

    directory.mkdir(parents=True, exist_ok=True)
    scratch = directory / "scratch"
    hf_dir = build_tiny_model(scratch)
    shutil.copytree(hf_dir, directory / "hf")
    cache = str(scratch / "cache")
    shutil.copytree(models.export(str(hf_dir), "fp32", cache=cache), directory / "onnx-fp32")
    for precision, provider in (("fp32", "cpu"), ("fp16", "cuda")):
        built = build_with_genai(hf_dir, scratch, precision, provider)
        shutil.copytree(built, directory / built.name)
    cuda_int4 = models.export(str(hf_dir), "int4", cache=cache, target="cuda")
    shutil.copytree(cuda_int4, directory / "onnx-int4-cuda")
    shutil.rmtree(scratch)
    return directory
