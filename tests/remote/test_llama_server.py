"""The remote engine against a real OpenAI-compatible server: llama-cpp-python on loopback.

The server runs the default model's GGUF (the file `codegen-lsp models pull` verified), started
by the tests on a free port. Covered: samples with per-token log-probabilities and stop
sequences, reproducible seeds, the whole pipeline through the remote engine, and
the server killed mid-generation (a clear error, the local engine taking over when configured).
`scripts/install-test-tools.sh` installs llama-cpp-python[server] (it compiles llama.cpp).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from codegen_lsp.engine import models
from codegen_lsp.engine.loader import load_engine
from codegen_lsp.engine.remote import RemoteEngine, RemoteUnavailable
from codegen_lsp.engine.types import GenerationRequest
from codegen_lsp.settings import ModelSettings, Settings
from support.remote_stub import LlamaServer

pytest.importorskip("llama_cpp.server", reason="scripts/install-test-tools.sh installs it")

# The server runs with --n_batch 1 unless CODEGEN_LSP_TEST_LLAMA_ARGS says otherwise: a native
# build of llama-cpp-python 0.3.36 segfaults in batched decoding on this project's AVX-512
# machines (single-token batches work). These tests check the client, not llama.cpp's speed.

MODEL = models.DEFAULT_MODEL
PROMPT = 'def is_even(n: int) -> bool:\n    """Return whether n is even."""\n'
LLAMA_ARGS = os.environ.get("CODEGEN_LSP_TEST_LLAMA_ARGS", "--n_batch 1")
STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\n#", "\nprint(")


def _gguf() -> Path:
    gguf = models.gguf_path(MODEL)
    if not gguf.exists():
        pytest.skip(f"{gguf} missing: `make model` pulls it (CI does)")
    return gguf


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaServer]:
    running = LlamaServer(_gguf(), LLAMA_ARGS)
    yield running
    running.stop()


def _settings(url: str, **overrides: object) -> ModelSettings:
    settings = ModelSettings(name=MODEL, remote_url=url, remote_retries=1, remote_timeout_s=120)
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


def test_samples_carry_logprobs_and_respect_stops(server: LlamaServer) -> None:
    engine = load_engine(_settings(server.url))
    assert isinstance(engine, RemoteEngine)
    request = GenerationRequest(
        prompt=PROMPT, n=3, max_new_tokens=48, temperature=0.8, seed=11, stop=STOPS
    )
    samples = engine.generate(request)
    assert len(samples) == 3
    for sample in samples:
        assert sample.finish_reason in ("stop", "eos", "length")
        assert not any(stop in sample.text for stop in STOPS)
        assert len(sample.logprobs) == sample.timings.new_tokens
        assert all(value <= 1e-6 and math.isfinite(value) for value in sample.logprobs)
        if sample.finish_reason == "length":
            assert len(sample.logprobs) == 48
    assert any(sample.text.strip() for sample in samples)
    assert any(math.isfinite(sample.mean_logprob) for sample in samples)


def test_a_seed_reproduces_and_greedy_is_stable(server: LlamaServer) -> None:
    engine = load_engine(_settings(server.url))
    request = GenerationRequest(prompt=PROMPT, n=1, max_new_tokens=24, temperature=0.0, stop=STOPS)
    first, second = engine.generate(request)[0], engine.generate(request)[0]
    assert first.text == second.text and first.text.strip()
    assert first.logprobs == pytest.approx(second.logprobs, abs=1e-3)


def test_the_pipeline_runs_unchanged_on_the_remote_engine(server: LlamaServer) -> None:
    from codegen_lsp.pipeline import Pipeline

    settings = Settings(model=_settings(server.url))
    settings.sampling.n = 3
    settings.sampling.seed = 5
    settings.sampling.max_new_tokens = 64
    settings.ranking.verifier = False
    source = (
        "def add(a: int, b: int) -> int:\n"
        '    """Return the sum of a and b.\n\n'
        "    >>> add(2, 3)\n    5\n"
        '    """\n'
    )
    pipeline = Pipeline(settings)
    try:
        result = pipeline.implement(source, 0, 4)
    finally:
        pipeline.close()
    assert pipeline.engine().name.startswith("remote:")
    assert result.function_name == "add" and result.candidates
    assert all(c.examples_total == 1 for c in result.candidates)


def test_server_killed_mid_generation_fails_fast_or_falls_back(tiny_model_dir: Path) -> None:
    killed = LlamaServer(_gguf(), LLAMA_ARGS)
    try:
        long_request = GenerationRequest(
            prompt=PROMPT, n=1, max_new_tokens=400, temperature=1.0, seed=1
        )
        engine = load_engine(_settings(killed.url, remote_model="default"))
        threading.Timer(1.5, killed.process.kill).start()
        started = time.monotonic()
        with pytest.raises(RemoteUnavailable, match=r"could not serve the request after 2 tries"):
            engine.generate(long_request)
        assert time.monotonic() - started < 15

        # Configured to, the local model takes over (the tiny one here: quality is not tested).
        fallback = load_engine(
            _settings(
                killed.url,
                name=str(tiny_model_dir),
                precision="fp32",
                remote_model="default",
                remote_fallback=True,
            )
        )
        samples = fallback.generate(GenerationRequest(prompt=PROMPT, n=2, max_new_tokens=8))
        assert len(samples) == 2 and all(s.token_ids for s in samples)
    finally:
        killed.stop()
