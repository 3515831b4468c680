"""The CUDA path on a GPU machine, in one prepared run of under 10 minutes.

The CUDA provider has no CI and no GPU here, so this script is ready for the day one is lent:

    .venv/bin/python scripts/gpu_check.py stage          # here: no GPU needed
    python3 scripts/gpu_check.py receive                 # there, once per carried part
    python3 scripts/gpu_check.py run [--device cuda]     # there: tests and bench on CUDA

``stage`` writes ``.gpu/`` (ignored by git): ``tiny/``, the tiny model and its five graphs built
by this project's exporters (``tests/support/tiny_model.py``); ``wheels/``, the small wheels a
GPU machine with python3 and torch lacks; ``shape/``, the default model's config and tokenizer
without its weights; ``parts/``, onnxruntime-gpu and onnxruntime-genai cut into parts of at most
50 MiB, because the device tool carries 64 MiB per call (the working tree included).

``receive`` copies the parts that came with a call into ``/tmp/gpu-parts``. ``run`` joins and
installs the wheels under ``/tmp/gpu-site`` (shadowing the machine's CPU onnxruntime), checks
that ONNX Runtime starts its CUDA provider, runs the engine tests with
``CODEGEN_LSP_TEST_DEVICE=cuda`` on the prebuilt tiny graphs (engines under test on the GPU,
references on the CPU), builds a model of the default model's shape with random weights (the
speed of a forward pass does not depend on the weights' values) as the int4 graph for CUDA, and
runs ``bench/decode.py --device cuda`` on it at batch 1 and 8. Everything lands in ``$OUT``
(the device tool's folder that comes back) or ``out/gpu``: ``summary.json``, the test log and
junit XML, the bench log. ``run --device cpu`` does the same on the CPU provider with the
packages of the environment it runs in (no wheels installed): a dry run of the script itself.

Through the device tool, one call per part, then the run::

    run(command="python3 scripts/gpu_check.py receive", carry=[".gpu/parts/PART"])   # each part
    run(command="python3 scripts/gpu_check.py run", carry=[".gpu/tiny", ".gpu/wheels",
        ".gpu/shape"], timeout_s=600)

The machine stays warm about 30 s between calls: send the parts back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / ".gpu"
PARTS_THERE = Path("/tmp/gpu-parts")
SITE = Path("/tmp/gpu-site")
PART_BYTES = 50 * 1024 * 1024
# What the device machine's python (3.12, manylinux x86-64) needs beyond its own packages.
BIG_WHEELS = ("onnxruntime-gpu==1.31.1", "onnxruntime-genai==0.11.4")
SMALL_WHEELS = (
    "pygls==2.1.1",
    "lsprotocol==2025.0.0",
    "cattrs",
    "jedi",
    "parso",
    "pyseccomp==0.1.2",
    "pytest-asyncio",
)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "any")
SHAPE_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "chat_template.jinja",
)
# Time caps of the steps: together under the device tool's 10 minutes a call.
ENGINE_TESTS_S = 180
SHAPE_S = 60
EXPORT_S = 180
BENCH_S = 150


def download(requirement: str, into: Path) -> None:
    """Download one wheel for the device machine's python (3.12, x86-64 Linux), no deps."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--python-version", "3.12", "--implementation", "cp", "-d", str(into)]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    subprocess.run([*command, requirement], check=True, capture_output=True)


def stage() -> int:
    """Build ``.gpu/`` here: the tiny graphs, the wheels, the parts, the default model's shape."""
    sys.path.insert(0, str(ROOT / "tests"))  # the tiny model's builder lives with the tests
    from codegen_lsp.engine import models
    from support.tiny_model import prebuild

    shutil.rmtree(STAGE, ignore_errors=True)
    prebuild(STAGE / "tiny")
    for requirement in SMALL_WHEELS:
        download(requirement, STAGE / "wheels")
    big = STAGE / "big"
    for requirement in BIG_WHEELS:
        download(requirement, big)
    (STAGE / "parts").mkdir()
    for wheel in sorted(big.glob("*.whl")):
        data = wheel.read_bytes()
        for index, start in enumerate(range(0, len(data), PART_BYTES)):
            part = STAGE / "parts" / f"{wheel.name}.part-{index:02d}"
            part.write_bytes(data[start : start + PART_BYTES])
    shutil.rmtree(big)
    # Preparing the default model converts its GGUF into this folder on the way to ONNX.
    source = models.resolve("qwen2.5-coder-0.5b", "").workdir / "hf"
    if not (source / "config.json").exists():
        print(f"{source} is missing: run `codegen-lsp models prepare` (or make model) first")
        return 2
    (STAGE / "shape").mkdir()
    for name in SHAPE_FILES:
        if (source / name).exists():
            shutil.copy2(source / name, STAGE / "shape" / name)
    for path in sorted(STAGE.glob("*/*")):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 2**20:.1f} MiB")
    return 0


def receive() -> int:
    """Keep the parts that came with this call (in ``.gpu/parts``) under ``/tmp/gpu-parts``."""
    PARTS_THERE.mkdir(parents=True, exist_ok=True)
    for part in sorted((ROOT / ".gpu" / "parts").glob("*.part-*")):
        shutil.copy2(part, PARTS_THERE / part.name)
    print("\n".join(sorted(p.name for p in PARTS_THERE.iterdir())))
    return 0


def joined_wheels(into: Path) -> list[Path]:
    """Join the big wheels from their parts (received there, or staged here) into ``into``."""
    parts = sorted(PARTS_THERE.glob("*.part-*")) or sorted(STAGE.glob("parts/*.part-*"))
    names = sorted({part.name.rsplit(".part-", 1)[0] for part in parts})
    wheels = []
    for name in names:
        wheel = into / name
        with wheel.open("wb") as out:
            for part in (p for p in parts if p.name.rsplit(".part-", 1)[0] == name):
                out.write(part.read_bytes())
        wheels.append(wheel)
    return wheels


def timed(command: list[str], log: Path, env: dict[str, str], limit_s: float) -> dict[str, Any]:
    """Run ``command`` with its output in ``log``; its exit code and seconds."""
    started = time.perf_counter()
    with log.open("w") as out:
        try:
            code = subprocess.run(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=limit_s
            ).returncode
        except subprocess.TimeoutExpired:
            code = 124
    return {"exit": code, "seconds": round(time.perf_counter() - started, 1), "log": log.name}


def run(device: str) -> int:
    """Install, check the provider, run the engine tests and the decode bench on ``device``."""
    out = Path(os.environ.get("OUT") or ROOT / "out" / "gpu")
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"device": device}
    SITE.mkdir(parents=True, exist_ok=True)
    downloads = SITE.parent / "gpu-wheels"
    downloads.mkdir(exist_ok=True)
    wheels = [*joined_wheels(downloads), *sorted(STAGE.glob("wheels/*.whl"))]
    if device == "cpu":  # a dry run: this environment's own packages (the wheels are cp312)
        wheels = []
    if wheels:
        install = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
        install += ["--no-compile", "--target", str(SITE), "--upgrade", *map(str, wheels)]
        subprocess.run(install, check=True)
    summary["wheels"] = [w.name for w in wheels]
    env = dict(os.environ)
    paths = [str(SITE), str(ROOT / "server"), str(ROOT / "tests"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env["PYTHONUNBUFFERED"] = "1"
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, device, str(STAGE / "tiny" / "onnx-fp32")],
        env=env,
        capture_output=True,
        text=True,
    )
    summary["probe"] = (probe.stdout + probe.stderr).strip()[-2000:]
    if probe.returncode != 0:
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
        print(json.dumps(summary, indent=2))
        return 3
    env["CODEGEN_LSP_TEST_DEVICE"] = device
    env["CODEGEN_LSP_TEST_TINY"] = str(STAGE / "tiny")
    tests = [sys.executable, "-m", "pytest", "-q", "tests/engine", "-m", "not slow"]
    tests += ["-p", "no:cacheprovider", "--timeout", "120", f"--junitxml={out / 'engine.xml'}"]
    summary["engine_tests"] = timed(tests, out / "engine-tests.log", env, ENGINE_TESTS_S)
    summary["engine_tests"]["tail"] = (out / "engine-tests.log").read_text()[-600:]
    shaped = SITE.parent / "gpu-shape-model"
    build = [sys.executable, "-c", BUILD_SHAPE, str(STAGE / "shape"), str(shaped)]
    summary["shape_model"] = timed(build, out / "shape-model.log", env, SHAPE_S)
    if summary["shape_model"]["exit"] == 0:
        env["CODEGEN_LSP_CACHE"] = str(SITE.parent / "gpu-cache")
        export = [sys.executable, "-c", EXPORT_CUDA_INT4, str(shaped)]
        summary["export"] = timed(export, out / "export.log", env, EXPORT_S)
        graph = (out / "export.log").read_text().strip().splitlines()[-1:]
        if summary["export"]["exit"] == 0 and graph:
            # A dry run decodes the fp16 graph on the CPU provider: slow, so fewer tokens.
            tokens, rounds = ("64", "2") if device == "cuda" else ("16", "1")
            bench = [sys.executable, "bench/decode.py", "--device", device, "--model", str(shaped)]
            bench += ["--precisions", graph[0], "--skip", "torch,llama,genai", "--rounds", rounds]
            bench += ["--new-tokens", tokens, "--threads", str(min(os.cpu_count() or 2, 8))]
            summary["decode_bench"] = timed(bench, out / "decode-bench.log", env, BENCH_S)
            lines = (out / "decode-bench.log").read_text().strip().splitlines()
            summary["decode_bench"]["figures"] = lines[-1][-2000:] if lines else ""
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0 if summary["engine_tests"]["exit"] == 0 else 1


# Which providers ONNX Runtime has, and whether a session really starts on the one asked for.
PROBE = """
import pathlib, sys, onnxruntime as ort
from codegen_lsp.engine.onnx_backend import OnnxEngine
device, graph = sys.argv[1], pathlib.Path(sys.argv[2])
print("onnxruntime", ort.__version__, ort.get_available_providers())
engine = OnnxEngine(graph, device=device, threads=1)
print("asked for", device, "- the session runs on", engine.device)
sys.exit(0 if engine.device == device else 1)
"""

# The int4 graph for CUDA (float16 activations) of that model; its directory on the last line.
EXPORT_CUDA_INT4 = """
import sys
from codegen_lsp.engine import models
print(models.export(sys.argv[1], "int4", target="cuda"))
"""

# A model of the default model's shape (its config) with random weights, saved in float16.
BUILD_SHAPE = """
import shutil, sys, pathlib, torch
from transformers import AutoConfig, AutoModelForCausalLM
shape, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
torch.manual_seed(0)
config = AutoConfig.from_pretrained(shape)
model = AutoModelForCausalLM.from_config(config, dtype=torch.float16)
model.save_pretrained(out)
for name in shape.iterdir():
    if name.name != "config.json":
        shutil.copy2(name, out / name.name)
print(sum(p.numel() for p in model.parameters()), "parameters")
"""


def main() -> int:
    """Stage here, receive and run there."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("stage", help="build .gpu/ here (no GPU needed)")
    sub.add_parser("receive", help="on the GPU machine: keep the parts carried by this call")
    running = sub.add_parser("run", help="on the GPU machine: install, test, bench")
    running.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    args = parser.parse_args()
    if args.step == "stage":
        return stage()
    if args.step == "receive":
        return receive()
    return run(args.device)


if __name__ == "__main__":
    sys.exit(main())
