"""Scale-out figures: memory of three editors with and without the shared model, the socket hop's
latency, and the remote engine against llama.cpp's server (llama-cpp-python) next to local ONNX.

    .venv/bin/python bench/remote.py                 # all parts, the default model
    .venv/bin/python bench/remote.py --part rss      # one part: rss, hop, remote

Each "editor" is a child process that imports the language server and loads its engine through
``load_engine`` (as ``codegen-lsp --stdio`` does on first use), draws one sample, then holds
still while its RSS and PSS are read from /proc. PSS splits shared pages among the processes that
map them, so its sum is the memory the machine really spends. The last line is a JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EDITORS = 3


def _memory_mb(pid: int) -> tuple[float, float]:
    """Return (RSS, PSS) of ``pid`` in MiB."""
    rss = pss = 0.0
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    return rss, pss


def _settings(model: str, shared: bool) -> Any:
    from codegen_lsp.settings import ModelSettings

    return ModelSettings(name=model, shared=shared)


def child(model: str, shared: bool) -> None:
    """One editor's server: load the engine the way the LSP does, sample once, hold still."""
    import codegen_lsp.lsp.server  # noqa: F401  (an editor's server has the LSP stack loaded)
    from codegen_lsp.engine.loader import load_engine
    from codegen_lsp.engine.types import GenerationRequest

    engine = load_engine(_settings(model, shared))
    engine.generate(GenerationRequest(prompt="def add(a, b):\n", n=1, max_new_tokens=4, seed=1))
    in_process = getattr(engine, "in_process", not shared)
    print(json.dumps({"ready": True, "in_process": in_process}), flush=True)
    sys.stdin.read()  # hold until the parent has measured


def _spawn_editor(model: str, shared: bool, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, "--child", "--model", model, *(["--shared"] if shared else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _start_daemon(model: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
    from codegen_lsp.engine.daemon import socket_path

    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = env["XDG_RUNTIME_DIR"]
    try:
        path = socket_path(_settings(model, True))
    finally:
        if previous is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous
    daemon = subprocess.Popen(
        [sys.executable, "-m", "codegen_lsp", "serve", "--model", model, "--idle-timeout", "60"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not path.exists():
        if daemon.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the daemon did not start")
        time.sleep(0.1)
    return daemon, path


def measure_rss(model: str) -> dict[str, Any]:
    """Three editors in-process, then three editors sharing one daemon."""
    results: dict[str, Any] = {}
    runtime = tempfile.mkdtemp(prefix="codegen-bench-run-")
    env = {**os.environ, "XDG_RUNTIME_DIR": runtime}
    try:
        for shared in (False, True):
            daemon = None
            if shared:
                daemon, _ = _start_daemon(model, env)
            editors = [_spawn_editor(model, shared, env) for _ in range(EDITORS)]
            for editor in editors:
                assert editor.stdout is not None
                line = json.loads(editor.stdout.readline())
                assert line["in_process"] is not shared, "an editor did not use the daemon"
            editor_memory = [_memory_mb(editor.pid) for editor in editors]
            daemon_memory = _memory_mb(daemon.pid) if daemon is not None else (0.0, 0.0)
            for editor in editors:
                assert editor.stdin is not None
                editor.stdin.close()
                editor.wait(60)
            if daemon is not None:
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(60)
            label = "shared" if shared else "separate"
            results[label] = {
                "editor_rss_mb": [round(rss, 1) for rss, _ in editor_memory],
                "editor_pss_mb": [round(pss, 1) for _, pss in editor_memory],
                "daemon_rss_mb": round(daemon_memory[0], 1),
                "daemon_pss_mb": round(daemon_memory[1], 1),
                "total_rss_mb": round(sum(r for r, _ in editor_memory) + daemon_memory[0], 1),
                "total_pss_mb": round(sum(p for _, p in editor_memory) + daemon_memory[1], 1),
            }
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    return results


def _median_ms(action: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_hop(model: str, repeats: int) -> dict[str, Any]:
    """The same small request in-process and through the daemon; the bare round trip."""
    from codegen_lsp.engine.loader import load_engine
    from codegen_lsp.engine.shared import SharedEngine
    from codegen_lsp.engine.types import GenerationRequest

    runtime = tempfile.mkdtemp(prefix="codegen-bench-run-")
    env = {**os.environ, "XDG_RUNTIME_DIR": runtime}
    daemon, _ = _start_daemon(model, env)
    os.environ["XDG_RUNTIME_DIR"] = runtime
    try:
        local = load_engine(_settings(model, False))
        shared = SharedEngine(_settings(model, True), local=lambda: local, autostart=False)
        assert not shared.in_process
        request = GenerationRequest(
            prompt="def add(a, b):\n    ", n=1, max_new_tokens=16, temperature=0.0
        )
        local.generate(request)
        shared.generate(request)  # warm both
        # Interleaved, so that load from other processes falls on both sides alike. Besides
        # the wall time, the time outside the engine (wall minus the sample's own prefill and
        # decode timings, taken inside the engine wherever it runs) isolates what the hop adds
        # from the engine running faster or slower in the other process.
        walls: dict[str, list[float]] = {"local": [], "shared": []}
        outside: dict[str, list[float]] = {"local": [], "shared": []}
        for _ in range(repeats):
            for label, engine in (("local", local), ("shared", shared)):
                started = time.perf_counter()
                (sample,) = engine.generate(request)
                wall = (time.perf_counter() - started) * 1000
                inside = (sample.timings.prefill_s + sample.timings.decode_s) * 1000
                walls[label].append(wall)
                outside[label].append(wall - inside)
        in_process = statistics.median(walls["local"])
        through = statistics.median(walls["shared"])
        outside_local = statistics.median(outside["local"])
        outside_shared = statistics.median(outside["shared"])
        round_trip = _median_ms(lambda: shared.count_tokens("x"), repeats * 20)
        tokens = _median_ms(lambda: local.count_tokens("x"), repeats * 20)
        shared.close()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
        shutil.rmtree(runtime, ignore_errors=True)
    return {
        "generate_in_process_ms": round(in_process, 2),
        "generate_through_daemon_ms": round(through, 2),
        "outside_engine_in_process_ms": round(outside_local, 3),
        "outside_engine_through_daemon_ms": round(outside_shared, 3),
        "added_ms": round(outside_shared - outside_local, 3),
        "round_trip_ms": round(round_trip - tokens, 3),
    }


def measure_remote(
    model: str, repeats: int, n: int, max_new_tokens: int, llama_args: str
) -> dict[str, Any]:
    """The same request on llama-cpp-python's server (remote engine) and on local ONNX."""
    from codegen_lsp.engine import models
    from codegen_lsp.engine.loader import load_engine
    from codegen_lsp.engine.types import GenerationRequest

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from remote_stub import LlamaServer

    gguf = models.gguf_path(model)
    if not gguf.exists():
        raise SystemExit(f"{gguf} is missing: run `codegen-lsp models pull {model}`")
    server = LlamaServer(gguf, llama_args)
    try:
        settings = dataclasses.replace(
            _settings(model, False),
            remote_url=server.url,
            remote_timeout_s=1800.0,  # llama-cpp-python serves one request at a time
        )
        remote = load_engine(settings)
        local = load_engine(_settings(model, False))
        request = GenerationRequest(
            prompt='def is_even(n: int) -> bool:\n    """Return whether n is even."""\n',
            n=n,
            max_new_tokens=max_new_tokens,
            temperature=0.8,
            seed=3,
            stop=("\ndef ", "\nclass ", "\nif __name__"),
        )
        figures: dict[str, Any] = {
            "n": n,
            "max_new_tokens": max_new_tokens,
            "llama_server_args": llama_args,
        }
        for label, engine in (("llama_cpp_server", remote), ("local_onnx", local)):
            engine.generate(request)  # warm
            tokens: list[int] = []

            def run(engine: Any = engine, tokens: list[int] = tokens) -> None:
                samples = engine.generate(request)
                tokens.append(sum(len(s.logprobs) for s in samples))

            milliseconds = _median_ms(run, repeats)
            figures[f"{label}_ms"] = round(milliseconds, 1)
            figures[f"{label}_tokens_per_s"] = round(
                statistics.median(tokens) / (milliseconds / 1000), 1
            )
        figures["server_takes_n"] = getattr(remote, "_server_takes_n", None)
    finally:
        server.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--part", choices=("all", "rss", "hop", "remote"), default="all")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument(
        "--llama-server-args",
        default="--n_batch 1",
        help="extra llama_cpp.server flags (default '--n_batch 1': a native 0.3.36 build "
        "segfaults in batched decoding on AVX-512 machines; give '' where it does not)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shared", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.model, args.shared)
        return
    report: dict[str, Any] = {"model": args.model, "cpus": len(os.sched_getaffinity(0))}
    if args.part in ("all", "rss"):
        rss = measure_rss(args.model)
        report["rss"] = rss
        separate, shared = rss["separate"], rss["shared"]
        print(f"memory of {EDITORS} editors' servers ({args.model}), MiB:")
        print(f"  {'':28}{'separate':>12}{'shared':>12}{'shared/separate':>18}")
        for key in ("total_rss_mb", "total_pss_mb"):
            ratio = shared[key] / separate[key]
            print(f"  {key:28}{separate[key]:>12.0f}{shared[key]:>12.0f}{ratio:>18.2f}")
        print(f"  per editor RSS: separate {separate['editor_rss_mb']}, shared ", end="")
        print(f"{shared['editor_rss_mb']} + daemon {shared['daemon_rss_mb']}")
    if args.part in ("all", "hop"):
        hop = measure_hop(args.model, args.repeats)
        report["hop"] = hop
        in_ms = hop["generate_in_process_ms"]
        ratio = hop["generate_through_daemon_ms"] / in_ms
        print("socket hop (greedy, 16 new tokens, median):")
        print(f"  in-process {hop['generate_in_process_ms']:.1f} ms, through the daemon ", end="")
        print(f"{hop['generate_through_daemon_ms']:.1f} ms (x{ratio:.3f}); ", end="")
        print(f"bare round trip {hop['round_trip_ms']:.3f} ms")
        print(
            f"  time outside the engine: in-process {hop['outside_engine_in_process_ms']:.2f} ms,"
            f" through the daemon {hop['outside_engine_through_daemon_ms']:.2f} ms: the hop adds "
            f"{hop['added_ms']:.2f} ms ({hop['added_ms'] / in_ms * 100:.2f}% of a generation)"
        )
    if args.part in ("all", "remote"):
        remote = measure_remote(
            args.model, args.repeats, args.n, args.max_new_tokens, args.llama_server_args
        )
        report["remote"] = remote
        print(f"n={remote['n']}, up to {remote['max_new_tokens']} new tokens, median:")
        for label in ("llama_cpp_server", "local_onnx"):
            print(
                f"  {label:18} {remote[f'{label}_ms']:>9.0f} ms "
                f"{remote[f'{label}_tokens_per_s']:>8.1f} tokens/s"
            )
        ratio = remote["llama_cpp_server_ms"] / remote["local_onnx_ms"]
        print(
            f"  remote/local time ratio {ratio:.2f} (server honours n: {remote['server_takes_n']})"
        )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
