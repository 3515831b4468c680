"""The int4 graph built for CUDA, run on the CPU provider beside the CPU graph (no GPU needed).

    .venv/bin/python bench/cuda_target.py [--model qwen2.5-coder-0.5b] [--threads 2]

Prepares both int4 targets (``onnx-int4`` and ``onnx-int4-cuda``; the first run builds what is
missing) and runs each, one after the other in this process, on the CPU provider: load time,
greedy completions of two docstring prompts (decode tok/s, whether the two graphs pick the same
tokens), aggregate tok/s drawing 8 samples, and the per-token log-prob gap on a canonical body.
The CUDA graph computes in float16, which a CPU does slowly: these figures say it loads and
writes the same code, not how fast it is on the GPU it is built for. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from typing import Any

import numpy as np
from codegen_lsp.engine import models
from codegen_lsp.engine.onnx_backend import OnnxEngine
from codegen_lsp.engine.types import GenerationRequest

log = logging.getLogger(__name__)

PROMPTS = (
    'def is_palindrome(text: str) -> bool:\n    """Return True if text reads the same backwards.'
    '\n\n    >>> is_palindrome("abba")\n    True\n    """\n',
    'def fizzbuzz(n: int) -> list[str]:\n    """Return the FizzBuzz strings for 1..n."""\n',
)
CANONICAL = "    return text == text[::-1]\n"
STOPS = ("\ndef ", "\nclass ", "\nif __name__")


def measure(model: str, target: models.ExportTarget, threads: int) -> dict[str, Any]:
    """Prepare ``model``'s int4 graph for ``target`` and measure it on the CPU provider."""
    directory = models.export(model, "int4", target=target)
    started = time.perf_counter()
    engine = OnnxEngine(directory, device="cpu", threads=threads)
    figures: dict[str, Any] = {
        "directory": str(directory),
        "load_s": time.perf_counter() - started,
        "cache_dtype": np.dtype(engine.past_dtype).name,
        "greedy": [],
    }
    for prompt in PROMPTS:
        request = GenerationRequest(prompt, n=1, temperature=0.0, max_new_tokens=48, stop=STOPS)
        sample = engine.generate(request)[0]
        figures["greedy"].append(
            {
                "tokens": sample.token_ids,
                "text": sample.text,
                "tok_s": sample.timings.new_tokens / max(sample.timings.decode_s, 1e-9),
            }
        )
    request = GenerationRequest(
        PROMPTS[0], n=8, temperature=0.8, top_p=0.95, seed=1, max_new_tokens=32
    )
    batch = engine.generate(request)
    new_tokens = sum(sample.timings.new_tokens for sample in batch)
    figures["batch8_tok_s"] = new_tokens / max(sample.timings.decode_s for sample in batch)
    figures["score"] = engine.score(PROMPTS[0], CANONICAL)
    return figures


def main() -> None:
    """Measure both targets and print them side by side; the last line is JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=models.DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    cpu = measure(args.model, "cpu", args.threads)
    cuda = measure(args.model, "cuda", args.threads)
    same = [a["tokens"] == b["tokens"] for a, b in zip(cpu["greedy"], cuda["greedy"], strict=True)]
    gap = float(np.mean(np.abs(np.asarray(cpu["score"]) - np.asarray(cuda["score"]))))
    b1 = [float(np.mean([row["tok_s"] for row in f["greedy"]])) for f in (cpu, cuda)]
    print(f"{'graph':12} {'cache':8} {'load s':>7} {'b1 tok/s':>9} {'b8 tok/s':>9}")
    for label, figures, rate in (("int4 (cpu)", cpu, b1[0]), ("int4-cuda", cuda, b1[1])):
        print(
            f"{label:12} {figures['cache_dtype']:8} {figures['load_s']:7.2f} {rate:9.2f} "
            f"{figures['batch8_tok_s']:9.2f}"
        )
    print(
        f"cuda / cpu: batch 1 {b1[1] / b1[0]:.2f}x, batch 8 "
        f"{cuda['batch8_tok_s'] / cpu['batch8_tok_s']:.2f}x (fp16 on a CPU; built for a GPU)"
    )
    print(f"greedy tokens identical per prompt: {same}; mean |log-prob gap| {gap:.3f}")
    for prompt_index, row in enumerate(cuda["greedy"]):
        print(f"--- int4-cuda greedy, prompt {prompt_index + 1}:\n{row['text']}")
    summary = {
        "model": args.model,
        "threads": args.threads,
        "cpu": {k: cpu[k] for k in ("directory", "load_s", "cache_dtype", "batch8_tok_s")},
        "cuda": {k: cuda[k] for k in ("directory", "load_s", "cache_dtype", "batch8_tok_s")},
        "batch1_tok_s": {"cpu": b1[0], "cuda": b1[1]},
        "greedy_identical": same,
        "mean_abs_logprob_gap": gap,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
