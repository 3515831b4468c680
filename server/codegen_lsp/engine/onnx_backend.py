"""The default engine: an exported model run by ONNX Runtime with a key/value cache.

Needs only onnxruntime, tokenizers and numpy (no torch, no transformers), so the language server
starts fast and stays small. The prompt is prefilled once and its cache copied to the N rows;
rows that finish are dropped from the batch. The CPU provider is the default; the CUDA provider
is used when onnxruntime-gpu finds a GPU (``device`` = ``auto``) or when asked (``cuda``).

Two ways to hold the key/value cache:

* **shared buffer** (graphs from onnxruntime-genai's builder, whose GroupQueryAttention reads the
  past and writes the present in one buffer): one buffer per layer and key/value, sized for
  prompt + new tokens, allocated once per request and bound with I/O binding as both the past
  input and the present output, so a step writes one new position in place instead of copying
  the whole cache. The step's logits land in a bound buffer as well. On CUDA the buffers are
  device OrtValues; copying rows (fan-out, dropping finished rows) goes through host memory.
* **plain** (optimum's exports): past arrays of the exact current length go in, ONNX Runtime
  concatenates and returns the grown cache.

Graphs built for CUDA (``codegen-lsp models export NAME --target cuda``) compute in float16: the
cache buffers are allocated in the dtype the graph declares for its past inputs, the small inputs
(attention mask, positions) in theirs, and the float16 logits are converted to float32 before
sampling and log-softmax, so every backend hands the sampler the same kind of numbers.

A second graph may share the cache (``int8_directory``; ``model.int8Graph``): the same
onnxruntime-genai graph with int8 weights. Its integer kernels multiply many rows faster on the
CPU than 4-bit blocks do, while one or two rows run faster from 4-bit weights. Both graphs
declare the same cache, so each reads and writes the other's buffers: the int8 graph reads the
prompt and decodes the steps of ``wide_rows`` or more rows (N samples at once), the int4 graph
decodes the rest, and verifies drafts (one row), so greedy decoding with drafts stays exact.

The rows of a request share one copy of the prompt's cache where the int8 graph takes row
inputs (``export.add_row_inputs``; ``shared_prompt``): from ``wide_rows`` rows on, the prompt
is kept once and each step appends one position per row beside the others', each row seeing the
prompt and its own positions only (:mod:`codegen_lsp.engine.prompt_sharing`). A step then reads
the prompt's keys and values once instead of once per row. When fewer rows are left, or the
rows left would read less from copies of their own, each one's positions are copied into a
cache of its own and decoding goes on as above.

Speculative decoding (see :mod:`codegen_lsp.engine.decoding`) feeds one row several positions in
a pass, as a prefill chunk does, and rolls the cache back afterwards: for the shared buffer the
rolled-back positions are simply overwritten later (only the length moves), for the plain cache
the past arrays are sliced.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from codegen_lsp.engine.decoding import DecodingEngine, TokenizerFacts
from codegen_lsp.engine.models import KEEP_INPUT, ModelError, read_manifest
from codegen_lsp.engine.prompt_sharing import SharedPrompt

log = logging.getLogger(__name__)

WIDE_STEP_ROWS = 3
"""Rows from which a step runs on the int8 graph, when there is one (see the module docstring)."""
_PAST_INPUT = re.compile(r"^past_key_values\.(\d+)\.(key|value)$")


@dataclass
class OnnxState:
    """The cache for the rows in flight.

    Plain: ``past`` holds one array per past input, [rows, heads, length, dim]. Shared buffer
    (``capacity`` > 0): ``past`` holds OrtValues [rows, heads, capacity, dim] that the graph
    reads and writes in place, ``hosts`` the CPU arrays behind them (kept alive here), and
    ``binding`` the I/O binding with them and the logits buffer bound.
    """

    past: list[Any]
    length: int
    capacity: int = 0
    hosts: list[np.ndarray] = field(default_factory=list)
    binding: Any = None
    logits: tuple[Any, np.ndarray | None] | None = None
    stepper: Any = None
    """The session ``binding`` belongs to, which runs the steps."""
    layout: SharedPrompt | None = None
    """Set when the rows share one cache row over their prompt (the buffers hold one row)."""

    @property
    def rows(self) -> int:
        """How many rows decode from the cache."""
        if self.layout is not None:
            return len(self.layout.rows)
        first = self.past[0]
        return int(first.shape[0] if isinstance(first, np.ndarray) else first.shape()[0])


def uses_cuda(device: str) -> bool:
    """Return whether ``device`` (auto, cpu, cuda) resolves to ONNX Runtime's CUDA provider.

    ``cuda`` without onnxruntime-gpu raises a :class:`ModelError` naming the fix. ``auto`` needs
    the CUDA provider *and* a visible NVIDIA GPU: onnxruntime-gpu lists its CUDA provider on a
    machine without one too, and a session asked for it there would fall back to the CPU with
    a graph built for the GPU.
    """
    if device == "cpu":
        return False
    import onnxruntime as ort

    available = "CUDAExecutionProvider" in ort.get_available_providers()
    if device == "cuda":
        if not available:
            raise ModelError(
                "model.device is 'cuda' but this ONNX Runtime has no CUDA provider (the "
                "onnxruntime package is CPU-only): pip uninstall onnxruntime && pip install "
                "onnxruntime-gpu of the same version (its PyPI build needs a CUDA 13 runtime and "
                "cuDNN 9: pip install 'onnxruntime-gpu[cuda,cudnn]' brings them), or set "
                "model.device to 'auto' or 'cpu'"
            )
        return True
    return available and _gpu_visible()


def _gpu_visible() -> bool:
    """Return whether an NVIDIA GPU is visible to this process (True where we cannot tell)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    if not Path("/proc").exists():  # not Linux: let ONNX Runtime decide
        return True
    gpus = Path("/proc/driver/nvidia/gpus")
    if gpus.is_dir() and any(gpus.iterdir()):
        return True
    return Path("/dev/nvidia0").exists() or Path("/dev/dxg").exists()  # dxg: WSL's GPU


def choose_providers(device: str) -> list[str]:
    """Return ONNX Runtime providers for ``device`` (auto, cpu, cuda), CPU always last."""
    if uses_cuda(device):
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OnnxEngine(DecodingEngine[OnnxState]):
    """Samples from an ONNX export (optimum's ``text-generation-with-past`` layout)."""

    can_verify = True

    def __init__(
        self,
        directory: Path,
        device: str = "auto",
        threads: int = 0,
        name: str | None = None,
        shared_buffer: bool | None = None,
        arena: bool = False,
        spin: bool = False,
        int8_directory: Path | None = None,
        shared_prompt: bool = True,
    ) -> None:
        """Load ``directory``'s model.onnx.

        ``shared_buffer`` None uses the shared-buffer cache when the graph supports it (see the
        module docstring); False forces the plain one. ``arena`` turns on ONNX Runtime's CPU
        memory arena (bench/decode.py measures both). ``spin`` lets the intra-op threads
        spin between operators (``model.spin``). ``int8_directory`` holds the int8 graph that
        shares the cache; ``shared_prompt`` lets the rows of a request share their prompt's
        cache where that graph can (both in the module docstring).
        """
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
        options.enable_cpu_mem_arena = arena
        # Spinning threads burn the cores the editor and the sandbox workers need between steps;
        # off unless the user trades those cores for speed.
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
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
        # What the session really uses: ONNX Runtime falls back to the CPU when CUDA fails.
        active = self.session.get_providers()
        self.device = "cuda" if active and active[0] == "CUDAExecutionProvider" else "cpu"
        if self.device == "cpu" and self.providers[0] == "CUDAExecutionProvider":
            log.warning("ONNX Runtime could not start its CUDA provider: running on the CPU")
        inputs = {item.name: item for item in self.session.get_inputs()}
        self.input_dtypes = {name: _numpy_dtype(item.type) for name, item in inputs.items()}
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
        self.past_dtype: Any = self.input_dtypes[self.past_names[0]]
        self.logits_dtype: Any = _numpy_dtype(self.session.get_outputs()[0].type)
        self.vocabulary = int(config.get("vocab_size") or self.session.get_outputs()[0].shape[-1])
        supported = _shares_buffer(directory)
        if shared_buffer and not supported:
            raise ModelError(
                f"{directory} cannot share its past and present cache buffers (only graphs "
                "from onnxruntime-genai's builder, with GroupQueryAttention, can)"
            )
        self.shared_buffer = supported if shared_buffer is None else shared_buffer
        # On CPU the buffers are numpy arrays wrapped without copying; elsewhere (CUDA) rows are
        # copied through host memory. Tests set this on CPU to run the device code path.
        self.copy_through_host = self.device != "cpu"
        self._ort = ort
        self.int8_session = self.session
        self.int8_input_names = self.input_names
        # Rows from which a step runs faster on the int8 graph (AMD EPYC, AVX2, 2 threads:
        # 38 against 34 ms at 3 rows, 97 against 64 at 8; 28 against 30 at 2).
        self.wide_rows = WIDE_STEP_ROWS if int8_directory is not None else sys.maxsize
        if int8_directory is not None:
            self.int8_session = self._load_int8(int8_directory, options)
            self.int8_input_names = {item.name for item in self.int8_session.get_inputs()} | {
                item.name for item in self.int8_session.get_overridable_initializers()
            }
        self.shares_prompt = (
            shared_prompt
            and int8_directory is not None
            and {"position_ids", "attention_bias"} <= self.int8_input_names
        )
        log.info(
            "loaded %s on %s (%s), %d layers, context %d, %s cache%s",
            self.name,
            self.device,
            ",".join(self.providers),
            len(self.past_names) // 2,
            self.context_length,
            "shared-buffer" if self.shared_buffer else "plain",
            ", one prompt cache for the rows" if self.shares_prompt else "",
        )

    def _load_int8(self, directory: Path, options: Any) -> Any:
        """Return a session over ``directory``'s graph, refused unless its cache matches ours."""
        model_file = directory / "model.onnx"
        if not _shares_buffer(directory):
            raise ModelError(
                f"{directory} cannot share a cache with {self.directory}: it does not read and "
                "write a shared-buffer cache (only onnxruntime-genai's graphs do)"
            )
        if not self.shared_buffer:
            raise ModelError(
                f"an int8 graph needs the shared-buffer cache, which {self.directory} lacks "
                "(only onnxruntime-genai's graphs have it): turn model.int8Graph off"
            )
        try:
            session = self._ort.InferenceSession(
                str(model_file), sess_options=options, providers=self.providers
            )
        except Exception as error:
            raise ModelError(
                f"ONNX Runtime cannot load the int8 graph {model_file} ({error}): delete "
                f"{directory} and it is built again, or turn model.int8Graph off"
            ) from error
        if _cache_signature(session) != _cache_signature(self.session):
            raise ModelError(
                f"the int8 graph in {directory} does not declare the cache {self.directory} "
                "decodes from (another model or builder): delete it and it is built again"
            )
        log.info("prompts and steps of %d or more rows run on %s", self.wide_rows, model_file)
        return session

    def _run(
        self,
        ids: npt.NDArray[np.int64],
        past: list[np.ndarray],
        past_length: int,
        keep_logits: int = 0,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Run one forward pass; logits for the last ``keep_logits`` positions (0: all)."""
        feed = self._inputs(ids, past_length, keep_logits or ids.shape[1], always_keep=True)
        feed.update(zip(self.past_names, past, strict=True))
        outputs = self.session.run(self.output_names, feed)
        return outputs[0], outputs[1:]

    def _empty_past(self, rows: int) -> list[np.ndarray]:
        shape = (rows, self.kv_heads, 0, self.head_dim)
        return [np.zeros(shape, dtype=self.past_dtype) for _ in self.past_names]

    def prefill(
        self, ids: list[int], keep_logits_from: int, capacity: int = 0
    ) -> tuple[np.ndarray, OnnxState]:
        """Run the prompt in chunks; keep the logits from ``keep_logits_from`` on."""
        if self.shared_buffer:
            state = self._allocate(1, max(capacity, len(ids)))
        else:
            state = OnnxState(self._empty_past(1), 0)
        kept: list[np.ndarray] = []
        for start in range(0, len(ids), self.prefill_chunk):
            chunk = np.asarray([ids[start : start + self.prefill_chunk]], dtype=np.int64)
            end = start + chunk.shape[1]
            wanted = end - max(keep_logits_from, start)
            if self.shared_buffer:
                logits = self._prefill_shared(chunk, state, keep_logits=max(wanted, 1))
            else:
                logits, past = self._run(chunk, state.past, start, keep_logits=max(wanted, 1))
                state = OnnxState(past, end)
            if wanted > 0:
                kept.append(np.asarray(logits[0, -wanted:], dtype=np.float32))
        return np.concatenate(kept, axis=0), state

    def keeps_prompt_cache(self, state: OnnxState, capacity: int) -> bool:
        """Say yes: expanding to several rows gathers or repeats into new arrays.

        A shared-buffer cache must also have room for ``capacity`` positions (its rows take the
        kept cache's capacity); a plain one grows as it goes.
        """
        return state.capacity == 0 or state.capacity >= capacity

    def expand(self, state: OnnxState, rows: int) -> OnnxState:
        """Copy the prompt's cache to ``rows`` rows."""
        if rows == 1:
            return state
        if (
            state.capacity
            and self.shares_prompt
            and rows >= self.wide_rows
            # The shared row holds every row's positions; the graph's rotary tables and mask
            # are sized for the model's context, so a longer row is not asked of it.
            and state.length + rows * (state.capacity - state.length) <= self.context_length
        ):
            return self._share(state, rows)
        if state.capacity:
            return self._gather(state, np.zeros(rows, dtype=np.int64), state.capacity)
        return OnnxState([np.repeat(p, rows, axis=0) for p in state.past], state.length)

    def select(self, state: OnnxState, rows: npt.NDArray[np.int64]) -> OnnxState:
        """Keep the cache rows still decoding (``state`` is not to be used afterwards)."""
        if state.layout is not None:
            if len(rows) >= self.wide_rows and state.layout.saves_reading(len(rows)):
                state.layout.keep(rows)
                state.binding = None  # the logits buffer is one position per row
                return state
            return self._unshare(state, rows)
        if state.capacity:
            if (
                state.hosts
                and not self.copy_through_host
                and bool(np.all(rows >= np.arange(len(rows))))
            ):
                return self._compact(state, rows)
            return self._gather(state, rows, state.capacity)
        return OnnxState([np.ascontiguousarray(p[rows]) for p in state.past], state.length)

    def _compact(self, state: OnnxState, rows: npt.NDArray[np.int64]) -> OnnxState:
        """Move the kept rows to the front of the same host buffers (CPU, shared buffer).

        A gather into fresh full-capacity buffers cost about one batch-8 step per dropped row;
        here only the rows that move are copied, and only their filled positions. In place is
        safe because each row ``i`` is read from a row ``rows[i] >= i`` no earlier write reached.
        The first ``len(rows)`` rows of a buffer are contiguous: a view, not a copy.
        """
        moves = [(target, int(source)) for target, source in enumerate(rows) if target != source]
        for host in state.hosts:
            for target, source in moves:
                host[target, :, : state.length] = host[source, :, : state.length]
        return self._adopt(
            [host[: len(rows)] for host in state.hosts], state.length, state.capacity
        )

    def step(self, tokens: npt.NDArray[np.int64], state: OnnxState) -> tuple[np.ndarray, OnnxState]:
        """Decode one token per row.

        With the shared-buffer cache the returned logits are a view of the bound logits buffer
        (on CPU): valid until the next step on the same state; copy them to keep them longer.
        """
        if state.layout is not None:
            logits, state = self._step_rows(tokens, state)
            return np.asarray(logits, dtype=np.float32), state
        ids = tokens.reshape(-1, 1)
        if not state.capacity:
            logits, past = self._run(ids, state.past, state.length, keep_logits=1)
            return np.asarray(logits[:, -1, :], dtype=np.float32), OnnxState(past, state.length + 1)
        if state.length + 1 > state.capacity:  # a caller that did not reserve room: grow
            state = self._gather(state, np.arange(state.rows), max(2 * state.capacity, 64))
        if state.binding is None:
            self._bind_step(state)
        # A float32 graph's logits stay a view of the bound buffer; float16 ones are converted.
        return np.asarray(self._step_shared(ids, state)[:, -1, :], dtype=np.float32), state

    def verify(self, tokens: list[int], state: OnnxState) -> tuple[np.ndarray, OnnxState]:
        """Feed ``tokens`` to a one-row cache in one pass; return the logits of every position."""
        if state.layout is not None:
            raise ValueError("drafts are verified on one row's own cache, not a shared prompt's")
        ids = np.asarray([tokens], dtype=np.int64)
        if not state.capacity:
            logits, past = self._run(ids, state.past, state.length, keep_logits=len(tokens))
            return np.asarray(logits[0], dtype=np.float32), OnnxState(
                past, state.length + len(tokens)
            )
        if state.length + len(tokens) > state.capacity:
            state = self._gather(state, np.arange(state.rows), max(2 * state.capacity, 64))
        return np.asarray(self._verify_shared(ids, state)[0], dtype=np.float32), state

    def truncate(self, state: OnnxState, length: int) -> OnnxState:
        """Keep the first ``length`` positions of the cache."""
        if length >= state.length:
            return state
        if state.capacity:  # the positions past the length are overwritten by the next pass
            state.length = length
            return state
        return OnnxState([np.ascontiguousarray(p[:, :, :length]) for p in state.past], length)

    # ---------------------------------------------------------------- shared-buffer cache

    def _wrap(self, array: np.ndarray) -> Any:
        """Return an OrtValue on the session's device holding ``array`` (no copy on CPU)."""
        return self._ort.OrtValue.ortvalue_from_numpy(array, self.device, 0)

    def _host(self, value: Any, host: np.ndarray | None) -> np.ndarray:
        """Return a buffer's contents as a host array (the backing array itself on CPU).

        With ``copy_through_host`` on CPU (the device's way, run where tests can) a copy of
        that array: an OrtValue made from a numpy array does not keep it alive, and what its
        ``numpy()`` returns may point into it, so once a pass's own logits array is dropped
        (a verify pass binds one per call) that view would read freed memory.
        """
        if host is not None:
            return host.copy() if self.copy_through_host else host
        return np.asarray(value.numpy())

    def _allocate(self, rows: int, capacity: int) -> OnnxState:
        shape = (rows, self.kv_heads, capacity, self.head_dim)
        hosts = [np.zeros(shape, dtype=self.past_dtype) for _ in self.past_names]
        return self._adopt(hosts, 0, capacity)

    def _adopt(self, hosts: list[np.ndarray], length: int, capacity: int) -> OnnxState:
        """Put host arrays on the device as the cache buffers of a new state."""
        past = [self._wrap(host) for host in hosts]
        # On CPU the OrtValues alias the arrays, which must outlive them; on a device they
        # are copies and the host arrays can go.
        return OnnxState(past, length, capacity, hosts if self.device == "cpu" else [])

    def _gather(self, state: OnnxState, rows: npt.NDArray[np.int64], capacity: int) -> OnnxState:
        """Return a new cache holding ``state``'s ``rows`` (in that order) with ``capacity``."""
        length = state.length
        hosts = []
        for index, value in enumerate(state.past):
            source = self._host(value, state.hosts[index] if state.hosts else None)
            target = np.zeros(
                (len(rows), *source.shape[1:2], capacity, source.shape[3]), source.dtype
            )
            target[:, :, :length] = source[rows, :, :length]
            hosts.append(target)
        return self._adopt(hosts, length, capacity)

    def _bind_step(self, state: OnnxState) -> None:
        """Bind the cache and a one-position logits buffer for the steps on ``state``.

        The steps run on the int8 graph when ``state`` has ``wide_rows`` or more rows, else on
        the int4 graph; a state keeps its rows, so the choice holds for all its steps.
        """
        wide = state.rows >= self.wide_rows
        state.stepper = self.int8_session if wide else self.session
        state.binding, state.logits = self._bind(state, 1, state.stepper)

    def _bind(
        self, state: OnnxState, positions: int, session: Any = None
    ) -> tuple[Any, tuple[Any, np.ndarray | None]]:
        """Bind the cache (past in, present out: the same buffers) and a logits buffer.

        For ``session`` (the int4 graph's by default). The logits buffer holds ``positions``
        per cache row: a shared prompt's one row gets one position per decoding row.
        """
        binding = (session or self.session).io_binding()
        for past_name, present_name, value in zip(
            self.past_names, self.present_names, state.past, strict=True
        ):
            binding.bind_ortvalue_input(past_name, value)
            binding.bind_ortvalue_output(present_name, value)
        cache_rows = 1 if state.layout is not None else state.rows
        shape = (cache_rows, positions, self.vocabulary)
        host: np.ndarray | None = None
        if self.device == "cpu":
            host = np.empty(shape, dtype=self.logits_dtype)
            logits = self._wrap(host)
        else:
            logits = self._ort.OrtValue.ortvalue_from_shape_and_type(
                list(shape), self.logits_dtype, self.device, 0
            )
        binding.bind_ortvalue_output("logits", logits)
        return binding, (logits, host)

    def _inputs(
        self,
        ids: npt.NDArray[np.int64],
        length: int,
        keep_logits: int,
        always_keep: bool = False,
        wide: bool = False,
    ) -> dict[str, np.ndarray]:
        """Return the small inputs of a pass over ``ids`` after ``length`` cached positions.

        Each in the integer type the graph declares for it (int64 in the exports seen so far,
        int32 in some builders' graphs). ``wide``: for the int8 graph, whose row inputs (when it
        has them) get each row's own cache's values: positions in order, nothing hidden.
        """
        rows, count = ids.shape
        dtypes = self.input_dtypes
        names = self.int8_input_names if wide else self.input_names
        inputs = {"input_ids": np.ascontiguousarray(ids, dtype=dtypes["input_ids"])}
        # Its default keeps every position: a single-token step need not send it.
        if KEEP_INPUT in names and (count > 1 or always_keep):
            inputs[KEEP_INPUT] = np.asarray(keep_logits, dtype=np.int64)
        if "attention_mask" in names:
            mask_type = dtypes.get("attention_mask", np.int64)
            inputs["attention_mask"] = np.ones((rows, length + count), dtype=mask_type)
        if "position_ids" in names:
            positions = np.arange(
                length, length + count, dtype=dtypes.get("position_ids", np.int64)
            )
            inputs["position_ids"] = np.broadcast_to(positions, (rows, count)).copy()
        if "attention_bias" in names:
            inputs["attention_bias"] = np.zeros((1, 1, count, length + count), np.float32)
        return inputs

    def _prefill_shared(
        self, ids: npt.NDArray[np.int64], state: OnnxState, keep_logits: int
    ) -> np.ndarray:
        """Run a prompt chunk into ``state``'s buffers; return its logits (host).

        A plain run, not I/O binding: ``num_logits_to_keep`` may be an overridable initializer,
        which I/O binding cannot bind. The presents come back as new full-capacity buffers.
        """
        feed = {
            name: self._ort.OrtValue.ortvalue_from_numpy(array)
            for name, array in self._inputs(ids, state.length, keep_logits, wide=True).items()
        }
        feed.update(zip(self.past_names, state.past, strict=True))
        outputs = self.int8_session.run_with_ort_values(self.output_names, feed)
        state.past, state.hosts = list(outputs[1:]), []
        state.length += ids.shape[1]
        return np.asarray(outputs[0].numpy())

    def _verify_shared(self, ids: npt.NDArray[np.int64], state: OnnxState) -> np.ndarray:
        """Run several positions of one row in place in ``state``'s buffers; return the logits.

        A binding of its own (the step's binds a one-position logits buffer) over the same cache
        buffers, so nothing is copied. ``num_logits_to_keep`` is left at its default, every
        position, which I/O binding could not override anyway.
        """
        binding, (logits, host) = self._bind(state, ids.shape[1])
        for name, array in self._inputs(ids, state.length, ids.shape[1]).items():
            if name != KEEP_INPUT:
                binding.bind_cpu_input(name, array)
        self.session.run_with_iobinding(binding)
        state.length += ids.shape[1]
        return self._host(logits, host)

    def _step_shared(self, ids: npt.NDArray[np.int64], state: OnnxState) -> np.ndarray:
        """Decode one position per row in place in ``state``'s buffers; return the logits."""
        binding = state.binding
        wide = state.stepper is self.int8_session
        for name, array in self._inputs(ids, state.length, 1, wide=wide).items():
            binding.bind_cpu_input(name, array)
        state.stepper.run_with_iobinding(binding)
        state.length += 1
        assert state.logits is not None
        value, host = state.logits
        return self._host(value, host)

    # ---------------------------------------------------------------- one prompt, N rows

    def _share(self, state: OnnxState, rows: int) -> OnnxState:
        """Return a cache row holding ``state``'s prompt once, with room for ``rows`` rows.

        ``state`` (one row, the prompt prefilled, perhaps kept for a later request) is copied,
        not reused: only its filled positions, once.
        """
        layout = SharedPrompt.start(state.length, rows, state.capacity)
        shared = self._gather(state, np.zeros(1, dtype=np.int64), layout.capacity)
        shared.layout = layout
        shared.stepper = self.int8_session
        return shared

    def _unshare(self, state: OnnxState, slots: npt.NDArray[np.int64]) -> OnnxState:
        """Return a cache of their own for the rows in batch ``slots`` (fewer than shared ones).

        Each row gets the prompt and its own positions, in order: the cache it would have had
        decoding alone.
        """
        layout = state.layout
        assert layout is not None
        positions = [layout.own_positions(int(slot)) for slot in slots]
        length = len(positions[0])
        # A row that grew without room reserved (``_regrow``) may be past its planned capacity;
        # the rows then grow on their own as they step.
        capacity = max(layout.row_capacity, length)
        hosts = []
        for index, value in enumerate(state.past):
            source = self._host(value, state.hosts[index] if state.hosts else None)
            target = np.zeros(
                (len(slots), source.shape[1], capacity, source.shape[3]), source.dtype
            )
            for row, own in enumerate(positions):
                target[row, :, :length] = source[0][:, own]
            hosts.append(target)
        return self._adopt(hosts, length, capacity)

    def _step_rows(
        self, tokens: npt.NDArray[np.int64], state: OnnxState
    ) -> tuple[np.ndarray, OnnxState]:
        """Decode one position per row over the shared prompt; return the logits [rows, vocab].

        The rows' tokens go in as one cache row's next positions, each at its own rotary
        position and hidden from the others by the bias. Returned with the state, which is a
        new one when the row had to grow.
        """
        layout = state.layout
        assert layout is not None
        count = len(layout.rows)
        if layout.room() < count:  # a caller that did not reserve room: grow
            state = self._regrow(state, max(2 * layout.capacity, layout.capacity + 64 * count))
            layout = state.layout
            assert layout is not None
        if state.binding is None:
            state.stepper = self.int8_session
            state.binding, state.logits = self._bind(state, count, self.int8_session)
        binding = state.binding
        ids = np.ascontiguousarray(tokens.reshape(1, count), dtype=self.input_dtypes["input_ids"])
        binding.bind_cpu_input("input_ids", ids)
        mask_type = self.input_dtypes.get("attention_mask", np.int64)
        binding.bind_cpu_input("attention_mask", np.ones((1, layout.filled + count), mask_type))
        binding.bind_cpu_input("position_ids", layout.positions())
        binding.bind_cpu_input("attention_bias", layout.bias())
        self.int8_session.run_with_iobinding(binding)
        layout.advance()
        state.length = layout.filled
        assert state.logits is not None
        value, host = state.logits
        return self._host(value, host)[0], state

    def _regrow(self, state: OnnxState, capacity: int) -> OnnxState:
        """Return ``state``'s shared cache row in buffers of ``capacity`` positions."""
        layout = state.layout
        assert layout is not None
        grown = self._gather(state, np.zeros(1, dtype=np.int64), capacity)
        grown.layout = layout.grown(capacity)
        return grown


_TENSOR_TYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


def _numpy_dtype(onnx_type: str) -> Any:
    """Return the numpy dtype of an ONNX Runtime type string such as ``tensor(float16)``."""
    try:
        return _TENSOR_TYPES[onnx_type]
    except KeyError:
        raise ModelError(
            f"the graph uses {onnx_type}, which the engine does not feed or read (it handles "
            f"{', '.join(_TENSOR_TYPES)}): export the model with `codegen-lsp models export`"
        ) from None


def _cache_signature(session: Any) -> tuple[object, ...]:
    """Return what a graph declares of its cache: each past input's name, type, heads and size.

    Plus the logits' type. Two graphs with the same signature read and write the same buffers.
    """
    past = [
        (item.name, item.type, item.shape[1], item.shape[3])
        for item in session.get_inputs()
        if _PAST_INPUT.match(item.name)
    ]
    return (*past, session.get_outputs()[0].type)


def default_threads() -> int:
    """Return the intra-op thread count to use when the setting is 0 (all usable cores)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _shares_buffer(directory: Path) -> bool:
    """Return whether the graph may read its past and write its present in one buffer.

    onnxruntime-genai's builder says so in genai_config.json (its GroupQueryAttention supports
    it); optimum's exports concatenate and cannot.
    """
    config = directory / "genai_config.json"
    if not config.exists():
        return False
    try:
        search = json.loads(config.read_text(encoding="utf-8")).get("search", {})
    except (OSError, ValueError):
        return False
    return bool(search.get("past_present_share_buffer"))
