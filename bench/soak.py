"""Soak the language server: many generate requests with edits and cancels in between.

Starts ``codegen-lsp --stdio`` on the plumbing model and runs N rounds (default 1,000). Each round
asks for code actions (timed), starts "Generate implementations…", and then either waits for it,
cancels it ($/cancelRequest or the progress UI's cancel), or edits the document under it; while
a generation runs it keeps asking for code actions, as an editor does on cursor moves. It checks
every request got its reply (RequestCancelled, ContentModified or a result) and reports the
resident memory growth of the server, of its model process and of its sandbox workers, and
codeAction latency percentiles against the 30 ms budget. By default it soaks two fresh servers one
after the other, the model in the server's process (``server.modelProcess: inProcess``) and in
a child process (``child``, the default), and prints them side by side. Last line: a JSON object.

    .venv/bin/python bench/soak.py --rounds 1000 --n 1 --max-new-tokens 8
    .venv/bin/python bench/soak.py --n 8 --max-new-tokens 64 --max-seconds 150   # long decodes

After the rounds it also times code actions on a 1.3 MB document: as it is, right after a one-key
edit, and while a generation on it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

SOURCE = '''\
def add(a: int, b: int) -> int:
    """Return the sum of a and b.

    >>> add(1, 2)
    3
    """
    ...
'''
BODY_LINE = 6
BUDGET_MS = 30.0


def rss_kib(pid: int) -> dict[str, int]:
    """Resident memory in KiB of the server, its model process and its sandbox workers.

    Keys: ``server`` (the language server itself), ``model`` (the child that runs the model,
    when there is one), ``sandbox`` (every other descendant), ``total``.
    """
    parts = {"server": 0, "model": 0, "sandbox": 0}
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rss = int(status.split("VmRSS:")[1].split()[0])
            command = Path(f"/proc/{current}/cmdline").read_bytes()
            children = []
            for task in Path(f"/proc/{current}/task").iterdir():
                children += (task / "children").read_text().split()
        except (OSError, IndexError):
            continue
        role = (
            "server"
            if current == pid
            else "model"
            if b"codegen_lsp.engine.child" in command
            else "sandbox"
        )
        parts[role] += rss
        pending.extend(int(child) for child in children)
    parts["total"] = sum(parts.values())
    return parts


def mib(kib: int) -> float:
    """Return ``kib`` in MiB, rounded."""
    return round(kib / 1024, 1)


class Soak:
    def __init__(self, client: LanguageClient, uri: str) -> None:
        self.client = client
        self.uri = uri
        self.version = 1
        self.text = SOURCE
        self.latencies_ms: list[float] = []
        self.outcomes: dict[str, int] = {}

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def replace_text(self, text: str) -> None:
        self.text = text
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def code_actions(self, line: int = BODY_LINE) -> list[dict[str, Any]]:
        position = types.Position(line=line, character=4)
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=[]),
        )
        msg_id = str(uuid.uuid4())
        started = time.perf_counter()
        future = self.client.protocol.send_request(
            types.TEXT_DOCUMENT_CODE_ACTION, params, msg_id=msg_id
        )
        self.client.protocol._result_types.pop(msg_id, None)  # keep the raw JSON
        raw = await asyncio.wrap_future(future)
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        return list(raw or [])

    async def round(self, index: int) -> None:
        actions = await self.code_actions()
        generate = next((a for a in actions if a.get("command")), None)
        if generate is None:  # candidates are listed: ask for fresh ones as a user would
            self.replace_text(SOURCE + f"# round {index}\n")
            return
        msg_id = f"generate-{index}"
        command = generate["command"]
        reply = asyncio.ensure_future(
            self.client.protocol.send_request_async(
                types.WORKSPACE_EXECUTE_COMMAND,
                types.ExecuteCommandParams(
                    command=command["command"], arguments=command["arguments"]
                ),
                msg_id=msg_id,
            )
        )
        mode = index % 4
        await asyncio.sleep(0.02 * (index % 5))
        if mode == 1:
            self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        elif mode == 2:
            self.replace_text(self.text.replace("    ...\n", "    ...\n\n"))
        while not reply.done():  # an editor keeps asking while the work runs
            await self.code_actions()
            await asyncio.sleep(0.05)
        try:
            result = reply.result()
            self.count("applied" if result and result.get("applied") else "nothing passed")
        except JsonRpcException as error:
            self.count(
                {-32800: "RequestCancelled", -32801: "ContentModified"}.get(
                    error.code, str(error.code)
                )
            )
        if self.text != SOURCE or mode == 0:
            self.replace_text(SOURCE)  # undo whatever the round did; also drops cached results


def big_source() -> tuple[str, int]:
    """Return a 1.3 MB module (12,000 small functions) with a stub in the middle, and its line."""
    function = (
        'def f{n}(x: int) -> int:\n    """Return x plus {n}.\n\n'
        '    >>> f{n}(1)\n    {m}\n    """\n    return x + {n}\n\n\n'
    )
    parts = [function.format(n=n, m=n + 1) for n in range(12_000)]
    stub = (
        'def wanted(x):\n    """Return x twice.\n\n    >>> wanted(2)\n    4\n    """\n    ...\n\n\n'
    )
    text = "".join(parts[:6000]) + stub + "".join(parts[6000:])
    return text, text[: text.index("def wanted")].count("\n") + 6


async def big_document(client: LanguageClient, path: Path, asks: int = 40) -> dict[str, Any]:
    """Time code actions on a 1.3 MB document: as they are, and right after a one-key edit.

    The second figure includes the server applying the edit (pygls rewrites the whole text).
    """
    text, stub_line = big_source()
    uri = path.absolute().as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    run = Soak(client, uri)
    run.text = text
    for _ in range(asks):
        await run.code_actions(stub_line)
    still = sorted(run.latencies_ms)
    run.latencies_ms.clear()
    for _ in range(asks):
        run.version += 1
        at = types.Position(line=stub_line + 2, character=0)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=run.version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=at, end=at), text="#"
                    )
                ],
            )
        )
        await run.code_actions(stub_line)
    after_edit = sorted(run.latencies_ms)
    # Generate on it, asking for code actions meanwhile: the pipeline reads the whole module
    # (parso, pure Python) in the server process, whichever process samples.
    run.latencies_ms.clear()
    actions = await run.code_actions(stub_line)
    command = next(a["command"] for a in actions if a.get("command"))
    started = time.perf_counter()
    reply = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command=command["command"], arguments=command["arguments"]),
        )
    )
    run.latencies_ms.clear()
    while not reply.done():
        await run.code_actions(stub_line)
        await asyncio.sleep(0.05)
    generate_seconds = time.perf_counter() - started
    during = sorted(run.latencies_ms)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    return {
        "size_bytes": len(text.encode()),
        "code_action_p50_ms": round(statistics.median(still), 2),
        "code_action_max_ms": round(still[-1], 2),
        "after_edit_p50_ms": round(statistics.median(after_edit), 2),
        "after_edit_max_ms": round(after_edit[-1], 2),
        "generate_seconds": round(generate_seconds, 2),
        "during_generate_requests": len(during),
        "during_generate_p50_ms": round(statistics.median(during), 2) if during else None,
        "during_generate_p99_ms": (
            round(during[min(len(during) - 1, int(len(during) * 0.99))], 2) if during else None
        ),
        "during_generate_max_ms": round(during[-1], 2) if during else None,
    }


async def soak(args: argparse.Namespace, model_process: str) -> dict[str, Any]:
    """Run the soak against a fresh server with ``server.modelProcess`` set; return figures."""
    client = LanguageClient("soak", "1")
    log_file = f"{args.log_file.removesuffix('.log')}-{model_process}.log"
    Path(log_file).unlink(missing_ok=True)
    await client.start_io(
        sys.executable, "-m", "codegen_lsp", "-v", "--log-file", log_file, "--stdio"
    )

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return types.ApplyWorkspaceEditResult(applied=True)  # the round restores the text

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def progress_create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    settings = {
        "model": {"name": args.model, "spin": args.spin},
        "sampling": {"n": args.n, "maxNewTokens": args.max_new_tokens},
        "ranking": {"verifier": args.verifier},
        "server": {"warmup": False, "modelProcess": model_process},
    }
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True),
                workspace=types.WorkspaceClientCapabilities(apply_edit=True),
            ),
            initialization_options={"codegenLsp": settings},
        )
    )
    client.initialized(types.InitializedParams())
    uri = (Path(tempfile.gettempdir()) / "codegen-lsp-soak.py").absolute().as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=SOURCE
            )
        )
    )
    run = Soak(client, uri)
    pid = client._server.pid if client._server is not None else os.getpid()
    await run.round(0)  # model loaded, sandbox started: the baseline is a warm server
    run.latencies_ms.clear()
    rss_start = rss_kib(pid)
    started = time.monotonic()
    rounds = 1
    for index in range(1, args.rounds):
        if args.max_seconds and time.monotonic() - started > args.max_seconds:
            break
        await run.round(index)
        rounds += 1
        if index % 100 == 0:
            now = rss_kib(pid)
            print(
                f"{model_process} round {index}: server {mib(now['server'])} MiB, "
                f"model {mib(now['model'])} MiB, sandbox {mib(now['sandbox'])} MiB, "
                f"{run.outcomes}",
                flush=True,
            )
    elapsed = time.monotonic() - started
    rss_end = rss_kib(pid)
    big = await big_document(
        client, Path(tempfile.gettempdir()) / f"codegen-lsp-soak-big-{model_process}.py"
    )
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    traceback_lines = Path(log_file).read_text().count("Traceback")

    latencies = sorted(run.latencies_ms)
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {
        "model_process": model_process,
        "rounds": rounds,
        "rounds_asked": args.rounds,
        "model": args.model,
        "generate_requests": sum(run.outcomes.values()),
        "seconds": round(elapsed, 1),
        "outcomes": run.outcomes,
        "tracebacks_in_log": traceback_lines,
        "code_action_requests": len(latencies),
        "code_action_p50_ms": round(p50, 2),
        "code_action_p99_ms": round(p99, 2),
        "code_action_max_ms": round(latencies[-1], 2),
        "p99_vs_30ms_budget": round(p99 / BUDGET_MS, 3),
        "rss_start_mib": {key: mib(value) for key, value in rss_start.items()},
        "rss_end_mib": {key: mib(value) for key, value in rss_end.items()},
        "rss_growth_mib": {key: mib(rss_end[key] - rss_start[key]) for key in rss_start},
        "load_average_end": round(os.getloadavg()[0], 2),
        "one_megabyte_document": big,
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--n", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--verifier", action="store_true", help="rank with the verifier too")
    parser.add_argument(
        "--model-process",
        choices=("both", "child", "inProcess"),
        default="both",
        help="server.modelProcess to soak; both: inProcess then child, side by side",
    )
    parser.add_argument(
        "--spin", action="store_true", help="model.spin: ONNX Runtime's threads spin between ops"
    )
    parser.add_argument(
        "--log-file", default=str(Path(tempfile.gettempdir()) / "codegen-lsp-soak.log")
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=0,
        help="stop each soak early after this long (0: no limit)",
    )
    args = parser.parse_args()

    logging.getLogger("pygls").setLevel(logging.ERROR)  # the client ignores progress/messages
    modes = ["inProcess", "child"] if args.model_process == "both" else [args.model_process]
    results = {mode: await soak(args, mode) for mode in modes}

    print(f"{'figure':<34}" + "".join(f"{mode:>12}" for mode in modes) + f"{'budget':>10}")

    def row(label: str, values: list[float], peer: str = "") -> None:
        print(f"{label:<34}" + "".join(f"{value:>12.2f}" for value in values) + f"{peer:>10}")

    row("codeAction p50 (ms)", [results[m]["code_action_p50_ms"] for m in modes])
    row("codeAction p99 (ms)", [results[m]["code_action_p99_ms"] for m in modes], "30")
    row("codeAction max (ms)", [results[m]["code_action_max_ms"] for m in modes])
    for figure in (
        "code_action_p50_ms",
        "code_action_max_ms",
        "after_edit_p50_ms",
        "during_generate_p50_ms",
        "during_generate_max_ms",
    ):
        values = [results[m]["one_megabyte_document"][figure] for m in modes]
        row(f"1.3 MB {figure.removesuffix('_ms')} (ms)", values)
    for part in ("server", "model", "sandbox", "total"):
        row(f"RSS {part} start (MiB)", [results[m]["rss_start_mib"][part] for m in modes])
        row(f"RSS {part} growth (MiB)", [results[m]["rss_growth_mib"][part] for m in modes])
    if len(modes) == 2:
        first, second = (results[m]["code_action_p99_ms"] for m in modes)
        print(f"p99 {modes[1]} / {modes[0]}: {second / first:.3f}")
    summary: dict[str, Any] = {"modes": results}
    if len(modes) == 2:
        summary["p99_ratio_child_vs_in_process"] = round(
            results["child"]["code_action_p99_ms"] / results["inProcess"]["code_action_p99_ms"], 3
        )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
