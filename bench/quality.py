"""Quality per precision: 5 HumanEval prompts x 5 samples at T=0.8, passes counted.

    .venv/bin/python bench/quality.py [--model qwen2.5-coder-0.5b] [--precisions fp32,int8,int4]

Same prompts, same seeds, same stop sequences for every precision; each sample runs with the
task's own tests in a child Python process with a time limit. A faster precision must stay
within 1/25 of fp32's passes. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATA = Path("/work/shared/data/HumanEval.jsonl.gz")
TASKS = ("HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/7", "HumanEval/13")
STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert")


def load_tasks(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        tasks = {task["task_id"]: task for task in map(json.loads, handle)}
    return [tasks[task_id] for task_id in TASKS]


def passes(task: dict[str, Any], completion: str, timeout_s: float = 10.0) -> bool:
    program = (
        task["prompt"] + completion + "\n\n" + task["test"] + f"\ncheck({task['entry_point']})\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(program)
    try:
        result = subprocess.run(
            [sys.executable, handle.name], capture_output=True, timeout=timeout_s, check=False
        )
        return result.returncode == 0
    except subprocess.TimeoutExpired:
        return False
    finally:
        Path(handle.name).unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--precisions", default="fp32,int8,int4")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=192)
    args = parser.parse_args()

    from codegen_lsp.engine import models
    from codegen_lsp.engine.onnx_backend import OnnxEngine
    from codegen_lsp.engine.types import GenerationRequest

    tasks = load_tasks(DATA)
    results: dict[str, Any] = {}
    for precision in filter(None, args.precisions.split(",")):
        engine = OnnxEngine(models.export(args.model, precision), threads=args.threads)
        per_task: dict[str, int] = {}
        logprobs: list[float] = []
        started = time.perf_counter()
        for index, task in enumerate(tasks):
            request = GenerationRequest(
                task["prompt"],
                n=args.samples,
                temperature=0.8,
                top_p=0.95,
                max_new_tokens=args.max_new_tokens,
                stop=STOPS,
                seed=1000 + index,
            )
            samples = engine.generate(request)
            per_task[task["task_id"]] = sum(passes(task, s.text) for s in samples)
            logprobs += [s.mean_logprob for s in samples if s.logprobs]
        results[precision] = {
            "passes": sum(per_task.values()),
            "of": len(tasks) * args.samples,
            "per_task": per_task,
            "mean_logprob": sum(logprobs) / len(logprobs) if logprobs else None,
            "seconds": time.perf_counter() - started,
        }
        del engine
        gc.collect()

    total = len(tasks) * args.samples
    reference = results.get("fp32", {}).get("passes")
    print(f"model {args.model}: {len(tasks)} prompts x {args.samples} samples, T=0.8, top_p 0.95")
    print(f"{'precision':10} {'passes':>8} {'vs fp32':>8} {'mean lp':>8} {'seconds':>8}  per task")
    for precision, figures in results.items():
        delta = figures["passes"] - reference if reference is not None else None
        allowed_loss = max(1, round(total / 25))  # "within 1/25 of fp32"
        figures["within_1_of_25_of_fp32"] = delta is None or delta >= -allowed_loss
        print(
            f"{precision:10} {figures['passes']:>5}/{total:<2} "
            f"{'-' if delta is None else f'{delta:+d}':>8} {figures['mean_logprob']:8.3f} "
            f"{figures['seconds']:8.0f}  {list(figures['per_task'].values())}"
        )
    print(json.dumps({"model": args.model, "samples": args.samples, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
