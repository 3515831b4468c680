"""The reference engine: the same model in transformers/torch, for tests and benchmarks.

It shares the generation loop, the sampler and the tokenizer with the ONNX engine and differs
only in who computes the logits, so a test can check that the ONNX export computes the same
log-probabilities and draws the same seeded samples. Export-only dependencies (torch,
transformers): the language server never imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from codegen_lsp.engine.decoding import DecodingEngine, TokenizerFacts
from codegen_lsp.engine.models import read_manifest


@dataclass
class TorchState:
    """An HF cache object and how many positions it holds."""

    cache: Any
    length: int


class TorchEngine(DecodingEngine[TorchState]):
    """Samples from an HF checkpoint with transformers (fp32, CPU)."""

    can_verify = True

    def __init__(self, hf_dir: Path, tokenizer_dir: Path | None = None, threads: int = 0) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        if threads > 0:
            torch.set_num_threads(threads)
        source = tokenizer_dir or hf_dir
        self.facts = TokenizerFacts(source, read_manifest(source))
        self.model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32).eval()
        self.name = f"torch:{hf_dir.name}"
        self.context_length = self.facts.context_length
        self._torch = torch

    def _forward(self, ids: Any, cache: Any, past_length: int) -> tuple[Any, Any]:
        torch = self._torch
        rows, count = ids.shape
        positions = torch.arange(past_length, past_length + count).expand(rows, count)
        with torch.inference_mode():
            output = self.model(
                input_ids=ids,
                attention_mask=torch.ones(rows, past_length + count, dtype=torch.long),
                position_ids=positions,
                past_key_values=cache,
                use_cache=True,
            )
        return output.logits, output.past_key_values

    def prefill(
        self, ids: list[int], keep_logits_from: int, capacity: int = 0
    ) -> tuple[np.ndarray, TorchState]:
        """Run the whole prompt at once; keep the logits from ``keep_logits_from`` on.

        ``capacity`` is ignored: the HF cache grows as it goes.
        """
        from transformers import DynamicCache

        tensor = self._torch.tensor([ids], dtype=self._torch.long)
        logits, cache = self._forward(tensor, DynamicCache(), 0)
        kept = logits[0, keep_logits_from:].float().numpy()
        return kept, TorchState(cache, len(ids))

    def expand(self, state: TorchState, rows: int) -> TorchState:
        """Copy the prompt's cache to ``rows`` rows."""
        if rows > 1:
            state.cache.batch_repeat_interleave(rows)
        return state

    def select(self, state: TorchState, rows: npt.NDArray[np.int64]) -> TorchState:
        """Keep the cache rows still decoding."""
        state.cache.batch_select_indices(self._torch.from_numpy(rows))
        return state

    def step(
        self, tokens: npt.NDArray[np.int64], state: TorchState
    ) -> tuple[np.ndarray, TorchState]:
        """Decode one token per row."""
        ids = self._torch.from_numpy(tokens.reshape(-1, 1).copy())
        logits, cache = self._forward(ids, state.cache, state.length)
        return logits[:, -1].float().numpy(), TorchState(cache, state.length + 1)

    def verify(self, tokens: list[int], state: TorchState) -> tuple[np.ndarray, TorchState]:
        """Feed ``tokens`` to a one-row cache in one pass; return the logits of every position."""
        ids = self._torch.tensor([tokens], dtype=self._torch.long)
        logits, cache = self._forward(ids, state.cache, state.length)
        return logits[0].float().numpy(), TorchState(cache, state.length + len(tokens))

    def truncate(self, state: TorchState, length: int) -> TorchState:
        """Keep the first ``length`` positions of the cache."""
        if length < state.length:
            state.cache.crop(length)
        return TorchState(state.cache, min(length, state.length))
