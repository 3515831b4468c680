"""Decode speed, side by side: this engine at each precision, transformers/torch, llama.cpp.

    .venv/bin/python bench/decode.py [--model qwen2.5-coder-0.5b] [--threads 2] [--new-tokens 64]
        [--spin]
    .venv/bin/python bench/decode.py --prompt-lookup [--rounds 3] [--earlier 20]
    python bench/decode.py --device cuda --model HF_DIR --skip torch,llama,genai --precisions int4

``--device cuda`` runs this engine on ONNX Runtime's CUDA provider (onnxruntime-gpu), its int4
graph being the one built for CUDA (``onnx-int4-cuda``, float16 activations);
``scripts/gpu_check.py`` runs it so on a GPU machine.

Each backend runs in its own child process (so its peak RSS is its own) on the same prompt, the
same thread count and the same number of new tokens (end-of-sequence is ignored so every run
decodes exactly that many). Reported: prefill tok/s, decode tok/s at batch 1, aggregate tok/s
at batch 8 (one prompt, 8 samples, the way the server draws candidates), peak RSS, the ratio to
llama.cpp on the same GGUF, and the memory-bandwidth ceiling for the weights read per token.
The last line is one JSON object with every figure.

``--precisions int4,int4+int8`` adds the int4 graph with its int8 graph (``model.int8Graph``:
the prompt and steps of 3 or more rows on int8), whose weight traffic per token counts int4's.
Its rows share one copy of the prompt's cache (``engine.prompt_sharing``); ``int4+int8-copies``
is the same with a copy per row, as before that.

``--prompt-lookup`` instead compares batch-1 decoding of the int4 model with and without
speculative prompt-lookup drafts (``sampling.promptLookup``), greedy and sampled, on a prompt
whose continuation is new code (the one above), on a repair prompt whose answer repeats most
of the failed attempt, and on the "Explain code" prompt (a docstring whose examples repeat the
function's name and its arguments' shapes); runs alternate, best of ``--rounds`` each.
``--earlier K`` adds the first K HumanEval prompts decoded greedily in order: without drafts,
with drafts from the request alone, and with drafts also from the bodies written for the
prompts before it (``WrittenBefore``: what a server that answered them remembers).

``--prefix-lines N`` puts the first N lines of the standard library's ``textwrap.py`` before
the prompt, for every backend: the prompt above is 320 tokens, an editor's prompt with the
file's helpers and cross-file context often several times that, and each of the 8 rows of a
batch attends to its own copy of the prompt's cache at every step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

PROMPT = '''from typing import List


def separate_paren_groups(paren_string: str) -> List[str]:
    """ Input to this function is a string containing multiple groups of nested parentheses.
    Your goal is to separate those group into separate strings and return the list of those.
    Separate groups are balanced (each open brace is properly closed) and not nested within
    each other. Ignore any spaces in the input string.
    >>> separate_paren_groups('( ) (( )) (( )( ))')
    ['()', '(())', '(()())']
    """
    result = []
    current_string = []
    current_depth = 0


def truncate_number(number: float) -> float:
    """ Given a positive floating point number, it can be decomposed into
    an integer part (largest integer smaller than given number) and decimals
    (leftover part always smaller than 1).

    Return the decimal part of the number.
    >>> truncate_number(3.5)
    0.5
    """
    return number % 1.0


def below_zero(operations: List[int]) -> bool:
    """ You're given a list of deposit and withdrawal operations on a bank account that starts
    with zero balance. Your task is to detect if at any point the balance of account falls
    below zero, and at that point function should return True. Otherwise it should return False.
    >>> below_zero([1, 2, 3])
    False
    >>> below_zero([1, 2, -4, 5])
    True
    """
'''


REPAIR_PROMPT = '''def running_max(numbers: list[int]) -> list[int]:
    """Return the running maximum of numbers.

    >>> running_max([1, 3, 2, 5])
    [1, 3, 3, 5]
    >>> running_max([])
    []
    """
    result = []
    current = None
    for number in numbers:
        if current is None or number > current:
            current = number
        result.append(number)
    return result

# The first example failed: running_max([1, 3, 2, 5]) returned [1, 3, 2, 5]. Corrected:

def running_max(numbers: list[int]) -> list[int]:
    """Return the running maximum of numbers.
'''
LOOKUP_PROMPTS = {"new code": PROMPT, "repair": REPAIR_PROMPT}
EXPLAIN_SOURCE = """def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ordered = sorted(ranges)
    merged: list[tuple[int, int]] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
"""
"""The function "Explain code" is asked about: its docstring's examples repeat its name."""


def explain_prompt(engine: Any) -> str | None:
    """The product's own explain prompt (Codex-D) for :data:`EXPLAIN_SOURCE`, as the server asks."""
    from codegen_lsp.context import find_function
    from codegen_lsp.prompt import docstring_prompt

    asked = docstring_prompt(find_function(EXPLAIN_SOURCE, 0), engine)
    return None if asked is None else asked.text


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_prompt(prefix_lines: int) -> str:
    """Return the benchmark's prompt, after the first ``prefix_lines`` lines of textwrap.py."""
    if prefix_lines <= 0:
        return PROMPT
    import textwrap

    lines = Path(textwrap.__file__).read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(lines[:prefix_lines]) + "\n\n" + PROMPT


def measure_engine(
    engine: Any, new_tokens: int, batch: int, prompt: str = PROMPT
) -> dict[str, Any]:
    """Time prefill, batch-1 decode and batch-N decode with the engine's own generate()."""
    from codegen_lsp.engine.types import GenerationRequest

    engine.facts.stop_ids = frozenset()  # decode exactly new_tokens, as llama.cpp does below
    ids = engine.facts.encode(prompt)
    engine.generate(GenerationRequest(prompt, n=1, max_new_tokens=4, seed=1))  # warm-up
    started, cpu = time.perf_counter(), time.process_time()
    engine.prefill(ids, keep_logits_from=len(ids) - 1)
    prefill_s, prefill_cpu = time.perf_counter() - started, time.process_time() - cpu
    figures: dict[str, Any] = {"prompt_tokens": len(ids), "prefill_tok_s": len(ids) / prefill_s}
    for rows, key in ((1, "b1"), (batch, "b8")):
        # Drafts from the request alone: the warm-up's and the last run's samples forgotten.
        engine.written.clear()
        cpu = time.process_time()
        samples = engine.generate(
            GenerationRequest(prompt, n=rows, max_new_tokens=new_tokens, seed=1)
        )
        produced = sum(len(s.token_ids) for s in samples)
        rate = produced / max(s.timings.decode_s for s in samples)
        figures["decode_tok_s_b1" if rows == 1 else "aggregate_tok_s_b8"] = rate
        # CPU time per token (all threads): what load from other processes inflates least.
        figures[f"cpu_ms_per_token_{key}"] = (
            1000 * (time.process_time() - cpu - prefill_cpu) / produced
        )
    # Batch 1 above is a one-sample request as the server makes it, prompt-lookup drafts on
    # (several tokens per read of the weights where the text repeats); without them, one
    # token per read, as llama.cpp decodes.
    plain = engine.generate(
        GenerationRequest(prompt, n=1, max_new_tokens=new_tokens, seed=1, prompt_lookup=False)
    )[0]
    figures["decode_tok_s_b1_plain"] = len(plain.token_ids) / plain.timings.decode_s
    return figures


INT4_WITH_INT8 = "int4+int8"
"""The ``--precisions`` name of the int4 graph run with its int8 graph (``model.int8Graph``)."""
INT4_WITH_INT8_COPIES = "int4+int8-copies"
"""The same with the prompt's cache copied to every row (no shared prompt)."""


def worker_onnx(args: argparse.Namespace) -> dict[str, Any]:
    from codegen_lsp.engine import models
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    # A precision may also be an exported directory (a quantisation variant under study), or
    # int4+int8: the int4 graph with the int8 graph for prompts and 3+ rows (model.int8Graph).
    candidate = Path(args.precision)
    int8_directory = None
    if candidate.is_dir():
        directory = candidate
    elif args.device == "cuda" and args.precision == "int4":
        directory = models.export(args.model, "int4", target="cuda")
    elif args.precision in (INT4_WITH_INT8, INT4_WITH_INT8_COPIES):
        directory = models.export(args.model, "int4")
        int8_directory = models.export_int8_graph(args.model)
    else:
        directory = models.export(args.model, args.precision)
    engine = OnnxEngine(
        directory,
        device=args.device,
        threads=args.threads,
        shared_buffer=False if args.plain_cache else None,
        arena=args.arena,
        spin=args.spin,
        int8_directory=int8_directory,
        shared_prompt=args.precision != INT4_WITH_INT8_COPIES,
    )
    figures = measure_engine(engine, args.new_tokens, args.batch, bench_prompt(args.prefix_lines))
    figures["cache"] = "shared-buffer" if engine.shared_buffer else "plain"
    weights = sum(p.stat().st_size for p in directory.glob("model.onnx*"))
    config = engine.facts.config
    # The embedding table is read one row per token: not part of the per-token weight traffic.
    precision = "int4" if args.precision.startswith(INT4_WITH_INT8) else args.precision
    if candidate.is_dir():  # an exported directory says its own precision
        precision = str(models.read_manifest(directory).get("precision", precision))
    bytes_per_embedding_weight = {"int4": 0.5 + 4 / 32}.get(precision, 4.0)
    embedding = int(
        int(config["vocab_size"]) * int(config["hidden_size"]) * bytes_per_embedding_weight
    )
    figures["weight_bytes_per_token"] = weights - embedding
    return figures


def worker_lookup(args: argparse.Namespace) -> dict[str, Any]:
    """Batch 1 with and without prompt lookup: tok/s, drafts kept, same greedy tokens or not."""
    from codegen_lsp.engine import models
    from codegen_lsp.engine.onnx_backend import OnnxEngine
    from codegen_lsp.engine.types import GenerationRequest, Sample

    target: Literal["cpu", "cuda"] = "cuda" if args.device == "cuda" else "cpu"
    engine = OnnxEngine(
        models.export(args.model, "int4", target=target),
        device=args.device,
        threads=args.threads,
        spin=args.spin,
    )
    end_tokens = engine.facts.stop_ids
    engine.facts.stop_ids = frozenset()  # every run decodes exactly new_tokens
    engine.generate(GenerationRequest(PROMPT, n=1, max_new_tokens=4, seed=1))  # warm-up
    figures: dict[str, Any] = {}
    prompts = dict(LOOKUP_PROMPTS)
    explain = explain_prompt(engine)
    if explain is not None:  # a model without a chat template is never asked to explain
        prompts["explain"] = explain
    for name, prompt in prompts.items():
        for temperature in (0.0, 0.8):
            runs: dict[bool, list[Sample]] = {False: [], True: []}
            for _ in range(args.rounds):  # alternating, so load changes hit both alike
                for lookup in (False, True):
                    engine.written.clear()  # the same prompt again must not draft from the last
                    request = GenerationRequest(
                        prompt,
                        n=1,
                        temperature=temperature,
                        seed=1,
                        max_new_tokens=args.new_tokens,
                        prompt_lookup=lookup,
                    )
                    runs[lookup].append(engine.generate(request)[0])
            off, on = (
                max(len(s.token_ids) / s.timings.decode_s for s in runs[lookup])
                for lookup in (False, True)
            )
            last = runs[True][-1]
            figures[f"{name}, temperature {temperature}"] = {
                "tok_s_without": off,
                "tok_s_with": on,
                "speedup": on / off,
                "drafted": last.timings.draft_tokens,
                "accepted": last.timings.accepted_draft_tokens,
                "new_tokens": len(last.token_ids),
                "same_tokens": last.token_ids == runs[False][-1].token_ids,
            }
    if args.earlier:
        engine.facts.stop_ids = end_tokens  # bodies end where they end, as in the editor
        figures["earlier requests"] = measure_earlier(engine, args.earlier, args.new_tokens)
    return figures


EARLIER_STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#")
"""Where a HumanEval body ends when the raw prompt is continued."""


def measure_earlier(engine: Any, count: int, new_tokens: int) -> dict[str, Any]:
    """Greedy bodies for the first ``count`` HumanEval prompts in order, three ways each.

    Without drafts; with drafts from the request alone (nothing remembered); and with drafts
    from the request and from the bodies of the prompts before it (as a server that answered
    them would hold: ``WrittenBefore``, greedy bodies only, so fewer than it would hold after
    N samples each). Returns tokens per second over all prompts, drafts kept, and whether the
    greedy tokens were the same every way.
    """
    from codegen_lsp.engine import lookup
    from codegen_lsp.engine.types import GenerationRequest
    from codegen_lsp.eval.datasets import load_tasks

    remembered = lookup.WrittenBefore()
    arms = ("without", "request", "earlier")
    seconds = dict.fromkeys(arms, 0.0)
    tokens = dict.fromkeys(arms, 0)
    drafted = dict.fromkeys(arms, 0)
    kept = dict.fromkeys(arms, 0)
    same = True
    for task in load_tasks("humaneval")[:count]:
        produced = {}
        for arm in arms:  # the same order for every prompt: load changes hit all three alike
            engine._written = remembered if arm == "earlier" else lookup.WrittenBefore()
            request = GenerationRequest(
                task.prompt,
                n=1,
                temperature=0.0,
                seed=1,
                max_new_tokens=new_tokens,
                stop=EARLIER_STOPS,
                prompt_lookup=arm != "without",
            )
            sample = engine.generate(request)[0]
            produced[arm] = sample.token_ids
            seconds[arm] += sample.timings.decode_s
            tokens[arm] += len(sample.token_ids)
            drafted[arm] += sample.timings.draft_tokens
            kept[arm] += sample.timings.accepted_draft_tokens
        same = same and produced["without"] == produced["request"] == produced["earlier"]
    rates = {arm: tokens[arm] / seconds[arm] for arm in arms}
    return {
        "prompts": count,
        "tok_s_without": rates["without"],
        "tok_s_request": rates["request"],
        "tok_s_with": rates["earlier"],
        "speedup_request": rates["request"] / rates["without"],
        "speedup": rates["earlier"] / rates["without"],
        "drafted_request": drafted["request"],
        "accepted_request": kept["request"],
        "drafted": drafted["earlier"],
        "accepted": kept["earlier"],
        "remembered_tokens": len(remembered),
        "same_tokens": same,
    }


def worker_torch(args: argparse.Namespace) -> dict[str, Any]:
    from codegen_lsp.engine import models
    from codegen_lsp.engine.torch_backend import TorchEngine

    fp32 = models.export(args.model, "fp32")
    engine = TorchEngine(models.resolve(args.model).workdir / "hf", fp32, threads=args.threads)
    return measure_engine(engine, args.new_tokens, args.batch, bench_prompt(args.prefix_lines))


def gguf_bytes_per_token(gguf: Path) -> int:
    """Return the bytes of the GGUF's tensors a decode step reads: all but the embedding table."""
    try:
        from gguf import GGUFReader
    except ImportError:  # the export extra is missing: the whole file, an upper bound
        return gguf.stat().st_size
    reader = GGUFReader(str(gguf))
    return sum(int(t.n_bytes) for t in reader.tensors if t.name != "token_embd.weight")


def worker_llama(args: argparse.Namespace) -> dict[str, Any]:
    """llama.cpp through llama-cpp-python's C API: one prompt, then 1 or 8 sequences.

    The batch-8 run prefills the prompt once and copies its cache to the other sequences
    (``llama_memory_seq_cp``), then decodes 8 tokens per ``llama_decode``: the same work our
    engine does. Sampling is llama.cpp's own chain (top-k 50, top-p 0.95, temperature 0.8).
    """
    import llama_cpp as lc
    from codegen_lsp.engine import models

    gguf = models.pull(args.model)
    lc.llama_backend_init()
    model_params = lc.llama_model_default_params()
    # ggml's AMX buffers (on when llama.cpp was compiled with -march=native on a CPU with AMX)
    # crash batched matmuls in this VM; --llama-no-extra-buffers turns off weight repacking
    # (AMX and the AVX-512 repack alike) for a build that still has them.
    model_params.use_extra_bufts = not args.llama_no_extra_buffers
    model = lc.llama_model_load_from_file(str(gguf).encode(), model_params)
    vocab = lc.llama_model_get_vocab(model)
    text = bench_prompt(args.prefix_lines).encode()
    buffer = (lc.llama_token * (len(text) + 8))()
    count = lc.llama_tokenize(vocab, text, len(text), buffer, len(buffer), False, False)
    ids = list(buffer[:count])
    context_params = lc.llama_context_default_params()
    # The prompt's cells once, then each sequence's new tokens (a longer prompt needs more).
    context_params.n_ctx = max(2048, len(ids) + args.batch * args.new_tokens + 64)
    context_params.n_batch = 512
    context_params.n_seq_max = args.batch
    context_params.n_threads = context_params.n_threads_batch = args.threads
    context_params.kv_unified = True  # the sequences share the prompt's cells
    context = lc.llama_init_from_model(model, context_params)
    memory = lc.llama_get_memory(context)
    batch = lc.llama_batch_init(512, 0, args.batch)

    def fill(entries: list[tuple[int, int, int, bool]]) -> None:
        for index, (token, position, sequence, wants_logits) in enumerate(entries):
            batch.token[index] = token
            batch.pos[index] = position
            batch.n_seq_id[index] = 1
            batch.seq_id[index][0] = sequence
            batch.logits[index] = wants_logits
        batch.n_tokens = len(entries)

    def prefill() -> float:
        lc.llama_memory_clear(memory, True)
        started = time.perf_counter()
        for start in range(0, len(ids), context_params.n_batch):  # a long prompt in chunks
            chunk = list(enumerate(ids))[start : start + context_params.n_batch]
            fill([(token, pos, 0, pos == len(ids) - 1) for pos, token in chunk])
            if lc.llama_decode(context, batch) != 0:
                raise RuntimeError("llama_decode failed on the prompt")
        return time.perf_counter() - started

    def decode(rows: int) -> float:
        prefill()
        for sequence in range(1, rows):
            lc.llama_memory_seq_cp(memory, 0, sequence, -1, -1)
        chains = []
        for sequence in range(rows):
            chain = lc.llama_sampler_chain_init(lc.llama_sampler_chain_default_params())
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_top_k(50))
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_top_p(0.95, 1))
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_temp(0.8))
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_dist(1 + sequence))
            chains.append(chain)
        # The prompt's last logits are shared: every row draws its first token from them.
        tokens = [lc.llama_sampler_sample(chain, context, -1) for chain in chains]
        started, cpu = time.perf_counter(), time.process_time()
        for step in range(args.new_tokens - 1):
            fill([(tokens[row], len(ids) + step, row, True) for row in range(rows)])
            if lc.llama_decode(context, batch) != 0:
                raise RuntimeError("llama_decode failed")
            tokens = [lc.llama_sampler_sample(chains[row], context, row) for row in range(rows)]
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        for chain in chains:
            lc.llama_sampler_free(chain)
        produced = rows * (args.new_tokens - 1)
        return produced / elapsed, 1000 * cpu / produced

    prefill()  # warm-up
    prefill_s = min(prefill() for _ in range(2))
    b1, cpu_b1 = decode(1)
    b8, cpu_b8 = decode(args.batch)
    lc.llama_batch_free(batch)
    return {
        "prompt_tokens": len(ids),
        "prefill_tok_s": len(ids) / prefill_s,
        "decode_tok_s_b1": b1,
        "aggregate_tok_s_b8": b8,
        "cpu_ms_per_token_b1": cpu_b1,
        "cpu_ms_per_token_b8": cpu_b8,
        "weight_bytes_per_token": gguf_bytes_per_token(gguf),
        "extra_buffers": bool(model_params.use_extra_bufts),
    }


def worker_genai(args: argparse.Namespace) -> dict[str, Any]:
    """onnxruntime-genai's own C++ loop on the same int4 directory our engine loads."""
    import numpy as np
    import onnxruntime_genai as og
    from codegen_lsp.engine import models

    directory = models.export(args.model, "int4")
    if not (directory / "genai_config.json").exists():
        raise RuntimeError("the int4 export was not built by onnxruntime-genai's builder")
    # Same thread count as the others: a linked copy of the directory with its own genai config.
    linked = Path(tempfile.mkdtemp(prefix="bench-genai-"))
    for item in directory.iterdir():
        (linked / item.name).symlink_to(item)
    (linked / "genai_config.json").unlink()
    genai_config = json.loads((directory / "genai_config.json").read_text())
    genai_config["model"]["decoder"]["session_options"]["intra_op_num_threads"] = args.threads
    (linked / "genai_config.json").write_text(json.dumps(genai_config))
    model = og.Model(str(linked))
    tokenizer = og.Tokenizer(model)
    ids = tokenizer.encode(bench_prompt(args.prefix_lines))

    def run(batch: int) -> tuple[float, float]:
        params = og.GeneratorParams(model)
        length = len(ids) + args.new_tokens
        params.set_search_options(
            do_sample=True,
            temperature=0.8,
            top_p=0.95,
            top_k=50,
            max_length=length,
            min_length=length,
            batch_size=batch,
            random_seed=1,
        )
        generator = og.Generator(model, params)
        started = time.perf_counter()
        generator.append_tokens(np.asarray([ids] * batch, dtype=np.int32))
        prefill_s = time.perf_counter() - started
        started = time.perf_counter()
        produced = 0
        while not generator.is_done():
            generator.generate_next_token()
            produced += batch
        return prefill_s, produced / (time.perf_counter() - started)

    run(1)
    prefill_s, b1 = run(1)
    _, b8 = run(args.batch)
    return {
        "prompt_tokens": len(ids),
        "prefill_tok_s": len(ids) / prefill_s,
        "decode_tok_s_b1": b1,
        "aggregate_tok_s_b8": b8,
        "note": "genai's prefill at batch 8 runs the prompt 8 times (no cache copy)",
    }


def memory_bandwidth_gb_s() -> float:
    """Measure read bandwidth: sum a 512 MB array (memory bound) a few times."""
    import numpy as np

    data = np.ones(512 * 1024 * 1024 // 8, dtype=np.float64)
    data.sum()
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        data.sum()
        best = min(best, time.perf_counter() - started)
    return data.nbytes / best / 1e9


RATES = ("prefill_tok_s", "decode_tok_s_b1", "decode_tok_s_b1_plain", "aggregate_tok_s_b8")


def best_of(previous: dict[str, Any] | None, latest: dict[str, Any]) -> dict[str, Any]:
    """Keep the higher of each rate (and the lower peak RSS) over two runs of one backend."""
    if previous is None or "error" in previous:
        return latest
    if "error" in latest:
        return previous
    merged = dict(previous)
    for key in RATES:
        if latest.get(key) is not None and (merged.get(key) or 0) < latest[key]:
            merged[key] = latest[key]
    merged["peak_rss_mb"] = min(previous["peak_rss_mb"], latest["peak_rss_mb"])
    return merged


WORKERS = {
    "onnx": worker_onnx,
    "torch": worker_torch,
    "llama": worker_llama,
    "genai": worker_genai,
    "lookup": worker_lookup,
}


def run_child(
    kind: str, args: argparse.Namespace, precision: str = "", extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--model",
        args.model,
        "--threads",
        str(args.threads),
        "--new-tokens",
        str(args.new_tokens),
        "--batch",
        str(args.batch),
        "--precision",
        precision or "fp32",
        "--device",
        args.device,
        "--prefix-lines",
        str(args.prefix_lines),
        *extra,
    ]
    if args.llama_no_extra_buffers:
        command.append("--llama-no-extra-buffers")
    if args.spin:
        command.append("--spin")
    environment = dict(os.environ)
    # Both sides wait the same way: llama.cpp's OpenMP threads spin between ops by default,
    # ONNX Runtime's sleep unless model.spin. Without --spin both sleep (the server's default:
    # the editor needs the cores, and spinning collapses under load); with it both spin.
    environment["OMP_WAIT_POLICY"] = "ACTIVE" if args.spin else "PASSIVE"
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        tail = " | ".join(result.stderr.strip().splitlines()[-2:])
        return {"error": tail or f"exit {result.returncode}"}
    return dict(json.loads(lines[-1]))


def report_lookup(args: argparse.Namespace) -> int:
    """Print the with/without prompt lookup table and its JSON."""
    figures = run_child(
        "lookup", args, "int4", ("--rounds", str(args.rounds), "--earlier", str(args.earlier))
    )
    print(
        f"model {args.model} int4, {args.threads} threads, {args.new_tokens} new tokens, batch 1, "
        f"best of {args.rounds}; "
        "load average %.1f %.1f %.1f (on %d cores)" % (*os.getloadavg(), os.cpu_count() or 0)
    )
    if "error" in figures:
        print(f"unavailable: {figures['error']}")
        return 1
    print(
        f"{'prompt':28} {'without':>8} {'with':>8} {'speedup':>7} {'kept/drafted':>13} {'same':>5}"
    )
    for name, row in figures.items():
        if not isinstance(row, dict):
            continue
        if name == "earlier requests":
            print(
                f"{row['prompts']} HumanEval prompts in order, greedy: without drafts "
                f"{row['tok_s_without']:.1f} tok/s; drafts from the request "
                f"{row['tok_s_request']:.1f} ({row['speedup_request']:.2f}x, "
                f"{row['accepted_request']}/{row['drafted_request']} kept); also from earlier "
                f"bodies {row['tok_s_with']:.1f} ({row['speedup']:.2f}x, "
                f"{row['accepted']}/{row['drafted']} kept, {row['remembered_tokens']} tokens "
                f"remembered); same tokens: {'yes' if row['same_tokens'] else 'no'}"
            )
            continue
        kept = f"{row['accepted']}/{row['drafted']}"
        same = ("yes" if row["same_tokens"] else "no") if name.endswith(" 0.0") else "-"
        print(
            f"{name:28} {row['tok_s_without']:8.1f} {row['tok_s_with']:8.1f} "
            f"{row['speedup']:7.2f} {kept:>13} {same:>5}"
        )
    print(json.dumps({"model": args.model, "threads": args.threads, "lookup": figures}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="ONNX Runtime's provider for this engine (cuda: onnxruntime-gpu, the CUDA int4 graph)",
    )
    parser.add_argument("--precisions", default="fp32,int8,int4")
    parser.add_argument("--skip", default="", help="comma list of torch,llama,genai to skip")
    parser.add_argument(
        "--llama-no-extra-buffers",
        action="store_true",
        help="load the GGUF without ggml's extra buffer types (weight repacking, AMX): for a "
        "llama-cpp-python built with -march=native, whose AMX path crashes in batched decode",
    )
    parser.add_argument(
        "--ablations",
        action="store_true",
        help="also run int4 with the plain cache and with ONNX Runtime's CPU memory arena",
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs per backend, best kept")
    parser.add_argument(
        "--spin",
        action="store_true",
        help="let every backend's threads spin between ops (ONNX Runtime's allow_spinning, "
        "llama.cpp's OMP_WAIT_POLICY=ACTIVE); by default both sleep, as the server's do",
    )
    parser.add_argument(
        "--prompt-lookup",
        action="store_true",
        help="compare batch 1 with and without prompt-lookup drafts (int4 only)",
    )
    parser.add_argument(
        "--earlier",
        type=int,
        default=0,
        metavar="K",
        help="with --prompt-lookup: also decode the first K HumanEval prompts in order, greedy, "
        "without drafts, with drafts from the request, and with drafts also from the bodies "
        "written for the prompts before it",
    )
    parser.add_argument(
        "--prefix-lines",
        type=int,
        default=0,
        metavar="N",
        help="put the first N lines of the standard library's textwrap.py before the prompt "
        "(a longer prompt, as an editor's with its context)",
    )
    parser.add_argument("--plain-cache", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--arena", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=tuple(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="fp32", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        figures = WORKERS[args.worker](args)
        figures["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(figures))
        return 0

    if args.prompt_lookup:
        return report_lookup(args)
    skip = set(filter(None, args.skip.split(",")))
    runs: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    if "llama" not in skip:
        runs["llama.cpp Q4_K_M"] = ("llama", "", ())
    for precision in filter(None, args.precisions.split(",")):
        runs[f"onnx {precision}"] = ("onnx", precision, ())
    if args.ablations:
        runs["onnx int4 plain kv"] = ("onnx", "int4", ("--plain-cache",))
        runs["onnx int4 arena"] = ("onnx", "int4", ("--arena",))
    if "genai" not in skip:
        runs["ort-genai loop int4"] = ("genai", "", ())
    if "torch" not in skip:
        runs["torch fp32"] = ("torch", "", ())
    # On a shared machine the load changes between children: with --rounds N every backend
    # runs N times, interleaved, and keeps its best figures.
    results: dict[str, dict[str, Any]] = {}
    for _ in range(args.rounds):
        for name, (kind, precision, extra) in runs.items():
            figures = run_child(kind, args, precision, extra)
            results[name] = best_of(results.get(name), figures)
    bandwidth = memory_bandwidth_gb_s()
    llama = results.get("llama.cpp Q4_K_M", {})
    reference_b1 = llama.get("decode_tok_s_b1")
    reference_b8 = llama.get("aggregate_tok_s_b8")

    prompt_tokens = sorted({f["prompt_tokens"] for f in results.values() if "prompt_tokens" in f})
    print(
        f"model {args.model}, {args.threads} threads, prompt {prompt_tokens} tokens, "
        f"{args.new_tokens} new tokens, "
        f"batch {args.batch}, best of {args.rounds}, threads {'spin' if args.spin else 'sleep'}; "
        f"memory read bandwidth {bandwidth:.1f} GB/s; "
        "load average %.1f %.1f %.1f (on %d cores)" % (*os.getloadavg(), os.cpu_count() or 0)
    )
    header = (
        f"{'backend':18} {'prefill':>9} {'b1 tok/s':>9} {'b8 tok/s':>9} {'RSS MB':>7} "
        f"{'b1/llama':>8} {'b8/llama':>8} {'ceiling':>8} {'%ceil':>6} {'cpu ms/tok b1':>13} "
        f"{'b8':>5} {'b1 no drafts':>12}"
    )
    print(header)
    for name, figures in results.items():
        if "error" in figures:
            print(f"{name:18} unavailable: {figures['error'][:150]}")
            continue
        weights = figures.get("weight_bytes_per_token")
        ceiling = bandwidth * 1e9 / weights if weights else None
        figures["ceiling_tok_s_b1"] = ceiling
        b1, b8 = figures["decode_tok_s_b1"], figures.get("aggregate_tok_s_b8")
        figures["ratio_b1_vs_llama"] = b1 / reference_b1 if reference_b1 else None
        figures["ratio_b8_vs_llama"] = b8 / reference_b8 if (b8 and reference_b8) else None

        def cell(value: float | None, spec: str = "9.1f") -> str:
            return format(value, spec) if value is not None else "-".rjust(int(spec.split(".")[0]))

        print(
            f"{name:18} {cell(figures['prefill_tok_s'])} {cell(b1)} {cell(b8)} "
            f"{figures['peak_rss_mb']:7.0f} {cell(figures['ratio_b1_vs_llama'], '8.2f')} "
            f"{cell(figures['ratio_b8_vs_llama'], '8.2f')} {cell(ceiling, '8.1f')} "
            f"{cell(100 * b1 / ceiling if ceiling else None, '6.0f')} "
            f"{cell(figures.get('cpu_ms_per_token_b1'), '13.1f')} "
            f"{cell(figures.get('cpu_ms_per_token_b8'), '5.1f')} "
            f"{cell(figures.get('decode_tok_s_b1_plain'), '12.1f')}"
        )
    summary = {
        "model": args.model,
        "threads": args.threads,
        "new_tokens": args.new_tokens,
        "batch": args.batch,
        "rounds": args.rounds,
        "spin": args.spin,
        "load_average": os.getloadavg(),
        "bandwidth_gb_s": bandwidth,
        "results": results,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
