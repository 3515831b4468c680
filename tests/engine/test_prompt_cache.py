"""The prompt's prefilled cache kept for the next request on the same prompt.

The second wave of samples for a function (and "Generate" again) asks for more samples of the
prompt it asked for before; the engine starts those from the kept one-row cache instead of
prefilling again. The samples must be exactly those a fresh engine draws.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from codegen_lsp.engine.onnx_backend import OnnxEngine
from codegen_lsp.engine.types import GenerationRequest

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'
OTHER = 'def sub(a, b):\n    """Return a minus b."""\n'


def counting(engine: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the engine's prefills (the real ones, run as before)."""
    calls: list[int] = []
    real: Callable[..., Any] = engine.prefill

    def prefill(ids: list[int], *args: Any, **kwargs: Any) -> Any:
        calls.append(len(ids))
        return real(ids, *args, **kwargs)

    monkeypatch.setattr(engine, "prefill", prefill)
    return calls


def request(n: int, seed: int, max_new_tokens: int = 12, prompt: str = PROMPT) -> GenerationRequest:
    return GenerationRequest(
        prompt, n=n, temperature=1.0, top_p=0.95, seed=seed, max_new_tokens=max_new_tokens
    )


def tokens(samples: list[Any]) -> list[list[int]]:
    return [sample.token_ids for sample in samples]


@pytest.fixture(params=["shared-buffer", "plain"])
def graph(request: pytest.FixtureRequest, tiny_genai: Path, tiny_onnx: Path) -> Path:
    return tiny_genai if request.param == "shared-buffer" else tiny_onnx


def test_a_second_wave_on_the_same_prompt_skips_the_prefill_and_draws_the_same(
    graph: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = OnnxEngine(graph, device="cpu", threads=1)
    calls = counting(engine, monkeypatch)
    engine.generate(request(3, seed=1))
    second = engine.generate(request(5, seed=2))
    assert len(calls) == 1  # the second wave started from the kept cache
    assert second[0].timings.prefill_s < 0.01
    fresh = OnnxEngine(graph, device="cpu", threads=1)
    assert tokens(second) == tokens(fresh.generate(request(5, seed=2)))


def test_another_prompt_or_one_row_prefills_again(
    graph: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = OnnxEngine(graph, device="cpu", threads=1)
    calls = counting(engine, monkeypatch)
    engine.generate(request(3, seed=1))
    engine.generate(request(3, seed=1, prompt=OTHER))
    assert len(calls) == 2
    # One row decodes in its own prefilled cache (greedy, drafts): it neither uses nor keeps one,
    # so the next request on its prompt starts from a clean prefill.
    engine.generate(request(1, seed=1, prompt=PROMPT))
    assert len(calls) == 3
    after_one_row = engine.generate(request(3, seed=4, prompt=PROMPT))
    assert len(calls) == 4
    fresh = OnnxEngine(graph, device="cpu", threads=1)
    assert tokens(after_one_row) == tokens(fresh.generate(request(3, seed=4, prompt=PROMPT)))


def test_a_request_needing_more_room_than_the_kept_cache_prefills_again(
    tiny_genai: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shared-buffer cache reserves prompt + new tokens up front: a later request for more
    # new tokens does not fit the kept one.
    engine = OnnxEngine(tiny_genai, device="cpu", threads=1)
    calls = counting(engine, monkeypatch)
    engine.generate(request(3, seed=1, max_new_tokens=4))
    longer = engine.generate(request(3, seed=5, max_new_tokens=40))
    assert len(calls) == 2
    fresh = OnnxEngine(tiny_genai, device="cpu", threads=1)
    assert tokens(longer) == tokens(fresh.generate(request(3, seed=5, max_new_tokens=40)))
