"""The default engine: an exported model run by ONNX Runtime with a key/value cache.

Needs only onnxruntime, tokenizers and numpy (no torch, no transformers), so the language server
starts fast and stays small. The prompt is prefilled once and its cache copied to the N rows;
rows that finish are dropped from the batch. The CPU provider is the default; the CUDA provider
is used when onnxruntime-gpu finds a GPU (``device`` = ``auto``) or when asked (``cuda``).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from codegen_lsp.engine.decoding import DecodingEngine, TokenizerFacts
from codegen_lsp.engine.models import KEEP_INPUT, ModelError, read_manifest

log = logging.getLogger(__name__)

_PAST_INPUT = re.compile(r"^past_key_values\.(\d+)\.(key|value)$")


@dataclass
class OnnxState:
    """The cache for the rows in flight: one array per past input, [rows, heads, length, dim]."""

    past: list[np.ndarray]
    length: int


def choose_providers(device: str) -> list[str]:
    """Return ONNX Runtime providers for ``device`` (auto, cpu, cuda), CPU always last."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device == "cuda" and "CUDAExecutionProvider" not in available:
        raise ModelError(
            "model.device is 'cuda' but ONNX Runtime has no CUDA provider: install "
            "onnxruntime-gpu (and a CUDA runtime), or set model.device to 'auto' or 'cpu'"
        )
    if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OnnxEngine(DecodingEngine[OnnxState]):
    """Samples from an ONNX export (optimum's ``text-generation-with-past`` layout)."""

    def __init__(
        self,
        directory: Path,
        device: str = "auto",
        threads: int = 0,
        name: str | None = None,
    ) -> None:
        import onnxruntime as ort

        model_file = directory / "model.onnx"
        if not model_file.exists():
            raise ModelError(
                f"{directory} has no model.onnx: the export is missing or incomplete. Run "
                "`codegen-lsp models export NAME` (or delete the directory and run it again)"
            )
        manifest = read_manifest(directory)
        self.directory = directory
        self.facts = TokenizerFacts(directory, manifest)
        self.precision = str(manifest.get("precision", "unknown"))
        self.name = name or f"onnx:{manifest.get('model', directory.name)}:{self.precision}"
        self.context_length = self.facts.context_length
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads > 0:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: the defaulted keep-logits input warns
        options.enable_cpu_mem_arena = False
        # Spinning threads burn the cores the editor and the sandbox workers need between steps.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.providers = choose_providers(device)
        try:
            self.session = ort.InferenceSession(
                str(model_file), sess_options=options, providers=self.providers
            )
        except Exception as error:  # corrupt or truncated files: say which and how to fix
            raise ModelError(
                f"ONNX Runtime cannot load {model_file} ({error}). The export looks corrupt: "
                f"delete {directory} and run `codegen-lsp models export` again"
            ) from error
        self.device = "cuda" if self.providers[0] == "CUDAExecutionProvider" else "cpu"
        inputs = {item.name: item for item in self.session.get_inputs()}
        # An input with a default (an overridable initializer) is not listed among the inputs.
        overridable = {item.name for item in self.session.get_overridable_initializers()}
        self.input_names = set(inputs) | overridable
        past = sorted(
            (int(m.group(1)), m.group(2), name) for name in inputs if (m := _PAST_INPUT.match(name))
        )
        if not past or "input_ids" not in inputs:
            raise ModelError(
                f"{model_file} is not a decoder with a KV cache (expected input_ids and "
                "past_key_values.N.key/value inputs): export it with "
                "--task text-generation-with-past"
            )
        self.past_names = [name for _, _, name in past]
        self.present_names = [
            name.replace("past_key_values", "present") for name in self.past_names
        ]
        self.output_names = ["logits", *self.present_names]
        config = self.facts.config
        heads = int(config.get("num_attention_heads", 1))
        self.kv_heads = int(config.get("num_key_value_heads", heads))
        self.head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)
        element = inputs[self.past_names[0]].type
        self.past_dtype: Any = np.float16 if "float16" in element else np.float32
        log.info(
            "loaded %s on %s (%s), %d layers, context %d",
            self.name,
            self.device,
            ",".join(self.providers),
            len(self.past_names) // 2,
            self.context_length,
        )

    def _run(
        self,
        ids: npt.NDArray[np.int64],
        past: list[np.ndarray],
        past_length: int,
        keep_logits: int = 0,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Run one forward pass; logits for the last ``keep_logits`` positions (0: all)."""
        rows, count = ids.shape
        feed: dict[str, np.ndarray] = {"input_ids": ids}
        if KEEP_INPUT in self.input_names:
            feed[KEEP_INPUT] = np.asarray(keep_logits or count, dtype=np.int64)
        if "attention_mask" in self.input_names:
            feed["attention_mask"] = np.ones((rows, past_length + count), dtype=np.int64)
        if "position_ids" in self.input_names:
            positions = np.arange(past_length, past_length + count, dtype=np.int64)
            feed["position_ids"] = np.broadcast_to(positions, (rows, count)).copy()
        feed.update(zip(self.past_names, past, strict=True))
        outputs = self.session.run(self.output_names, feed)
        return outputs[0], outputs[1:]

    def _empty_past(self, rows: int) -> list[np.ndarray]:
        shape = (rows, self.kv_heads, 0, self.head_dim)
        return [np.zeros(shape, dtype=self.past_dtype) for _ in self.past_names]

    def prefill(self, ids: list[int], keep_logits_from: int) -> tuple[np.ndarray, OnnxState]:
        """Run the prompt in chunks; keep the logits from ``keep_logits_from`` on."""
        past = self._empty_past(1)
        kept: list[np.ndarray] = []
        for start in range(0, len(ids), self.prefill_chunk):
            chunk = np.asarray([ids[start : start + self.prefill_chunk]], dtype=np.int64)
            end = start + chunk.shape[1]
            wanted = end - max(keep_logits_from, start)
            logits, past = self._run(chunk, past, start, keep_logits=max(wanted, 1))
            if wanted > 0:
                kept.append(np.asarray(logits[0, -wanted:], dtype=np.float32))
        return np.concatenate(kept, axis=0), OnnxState(past, len(ids))

    def expand(self, state: OnnxState, rows: int) -> OnnxState:
        """Copy the prompt's cache to ``rows`` rows."""
        if rows == 1:
            return state
        return OnnxState([np.repeat(p, rows, axis=0) for p in state.past], state.length)

    def select(self, state: OnnxState, rows: npt.NDArray[np.int64]) -> OnnxState:
        """Keep the cache rows still decoding."""
        return OnnxState([np.ascontiguousarray(p[rows]) for p in state.past], state.length)

    def step(self, tokens: npt.NDArray[np.int64], state: OnnxState) -> tuple[np.ndarray, OnnxState]:
        """Decode one token per row."""
        logits, past = self._run(tokens.reshape(-1, 1), state.past, state.length, keep_logits=1)
        return np.asarray(logits[:, -1, :], dtype=np.float32), OnnxState(past, state.length + 1)


def default_threads() -> int:
    """Return the intra-op thread count to use when the setting is 0 (all usable cores)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
