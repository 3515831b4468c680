"""The teacher-forced quality measure of bench/quality.py, on the tiny model's exports."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from scipy.special import log_softmax

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'
SOLUTION = "    result = a + b\n    return result\n"


def _load_bench() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "quality.py"
    spec = importlib.util.spec_from_file_location("bench_quality", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


quality = _load_bench()


def test_rows_are_distributions_scoring_the_solution(onnx_engine) -> None:  # type: ignore[no-untyped-def]
    rows, targets = quality.solution_logprobs(onnx_engine, PROMPT, SOLUTION)
    assert rows.shape == (len(targets), onnx_engine.vocabulary)
    np.testing.assert_allclose(np.exp(rows).sum(axis=-1), 1.0, atol=1e-6)
    chosen = rows[np.arange(len(targets)), targets]
    np.testing.assert_allclose(chosen, onnx_engine.score(PROMPT, SOLUTION), atol=1e-4)


def test_a_precision_against_itself_has_no_loss(onnx_engine) -> None:  # type: ignore[no-untyped-def]
    texts = [(PROMPT, SOLUTION), ("import json\n", "value = json.dumps([1, 2])\n")]
    results = quality.teacher_forced({"fp32": onnx_engine, "same": onnx_engine}, texts, "fp32")
    assert results["same"]["mean_kl"] == pytest.approx(0.0, abs=1e-9)
    assert results["same"]["top1_agreement"] == 1.0
    assert results["same"]["mean_logprob"] == pytest.approx(results["fp32"]["mean_logprob"])
    assert "mean_kl" not in results["fp32"]
    scored = [x for p, s in texts for x in onnx_engine.score(p, s)]
    assert results["fp32"]["tokens"] == len(scored)
    assert results["fp32"]["mean_logprob"] == pytest.approx(np.mean(scored), abs=1e-4)
    assert results["fp32"]["perplexity"] == pytest.approx(np.exp(-np.mean(scored)), rel=1e-4)


def test_int8_export_differs_measurably_but_little(
    tiny_hf: Path, tiny_cache: Path, onnx_engine
) -> None:  # type: ignore[no-untyped-def]
    from codegen_lsp.engine import models
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    int8 = OnnxEngine(models.export(str(tiny_hf), "int8", cache=str(tiny_cache)), threads=1)
    texts = [(PROMPT, SOLUTION), ("import json\n", "value = json.dumps([1, 2])\n")]
    results = quality.teacher_forced({"fp32": onnx_engine, "int8": int8}, texts, "fp32")
    # The same figures, from each engine's own logits over prompt + solution: KL(fp32 || int8)
    # summed over every solution token of both texts, over the token count; the share of
    # tokens whose most likely next token the two agree on.
    kl, agree, tokens, per_text = 0.0, 0, 0, []
    for prompt, solution in texts:
        prompt_ids = onnx_engine.facts.encode(prompt)
        ids = prompt_ids + onnx_engine.facts.encode(solution)
        assert int8.facts.encode(prompt) + int8.facts.encode(solution) == ids
        count = len(ids) - len(prompt_ids)
        # Row i of the logits kept from the prompt's last token predicts solution token i.
        p, q = (
            log_softmax(
                np.asarray(engine.prefill(ids, len(prompt_ids) - 1)[0][:count], np.float64),
                axis=-1,
            )
            for engine in (onnx_engine, int8)
        )
        text_kl = float((np.exp(p) * (p - q)).sum())
        kl += text_kl
        per_text.append(text_kl / count)
        agree += int((p.argmax(axis=-1) == q.argmax(axis=-1)).sum())
        tokens += count
    figures = results["int8"]
    assert figures["tokens"] == tokens == results["fp32"]["tokens"]
    assert figures["mean_kl"] == pytest.approx(kl / tokens, rel=1e-6)
    assert figures["max_text_kl"] == pytest.approx(max(per_text), rel=1e-6)
    assert figures["top1_agreement"] == agree / tokens
    # Measurable but small; and the inputs tell the formulas apart: the two texts' KL per token
    # differ (a mean of per-text means is not the per-token mean), and the engines agree on
    # some top tokens but not all (neither 0 nor 1 can pass for the agreement).
    assert 0.0 < figures["mean_kl"] < 0.5
    assert abs(per_text[0] - per_text[1]) > 1e-3 * max(per_text)
    assert 0 < agree < tokens


def test_texts_are_spread_over_humaneval() -> None:
    tasks = {
        f"HumanEval/{i}": {"prompt": f"def f{i}():\n", "canonical_solution": "    pass\n"}
        for i in range(quality.HUMANEVAL_TASKS)
    }
    texts = quality.teacher_forced_texts(tasks, 40)
    assert len(texts) == 40
    assert texts[0][0] == "def f0():\n" and texts[-1][0] == "def f160():\n"
    assert len(set(texts)) == 40
