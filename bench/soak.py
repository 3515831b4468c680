"""Soak the language server: many generate requests with edits and cancels in between.

Starts ``codegen-lsp --stdio`` on the plumbing model and runs N rounds (default 1,000). Each round
asks for code actions (timed), starts "Generate implementations…", and then either waits for it,
cancels it ($/cancelRequest or the progress UI's cancel), or edits the document under it; while
a generation runs it keeps asking for code actions, as an editor does on cursor moves. It checks
every request got its reply (RequestCancelled, ContentModified or a result) and reports the
server's resident memory growth (server plus its sandbox workers) and codeAction latency
percentiles, side by side with the 30 ms budget. Last line: a JSON object.

    .venv/bin/python bench/soak.py --rounds 1000 --model smollm2-135m
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
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


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KiB."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, IndexError):
            continue
        pending.extend(int(child) for child in children)
    return total


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

    async def code_actions(self) -> list[dict[str, Any]]:
        position = types.Position(line=BODY_LINE, character=4)
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


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--n", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--log-file", default="/tmp/codegen-lsp-soak.log")
    parser.add_argument(
        "--max-seconds", type=float, default=0, help="stop early after this long (0: no limit)"
    )
    args = parser.parse_args()

    logging.getLogger("pygls").setLevel(logging.ERROR)  # the client ignores progress/messages
    client = LanguageClient("soak", "1")
    results: dict[str, Any] = {}
    await client.start_io(
        sys.executable, "-m", "codegen_lsp", "-v", "--log-file", args.log_file, "--stdio"
    )

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return types.ApplyWorkspaceEditResult(applied=True)  # the round restores the text

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def progress_create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    settings = {
        "model": {"name": args.model},
        "sampling": {"n": args.n, "maxNewTokens": args.max_new_tokens},
        "ranking": {"verifier": False},
        "server": {"warmup": False},
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
    uri = Path("/tmp/codegen-lsp-soak.py").absolute().as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=SOURCE
            )
        )
    )
    soak = Soak(client, uri)
    pid = client._server.pid if client._server is not None else os.getpid()
    await soak.round(0)  # model loaded, sandbox started: the baseline is a warm server
    rss_start = rss_kib(pid)
    started = time.monotonic()
    rounds = 1
    for index in range(1, args.rounds):
        if args.max_seconds and time.monotonic() - started > args.max_seconds:
            break
        await soak.round(index)
        rounds += 1
        if index % 100 == 0:
            print(f"round {index}: rss {rss_kib(pid) / 1024:.0f} MiB, {soak.outcomes}", flush=True)
    elapsed = time.monotonic() - started
    rss_end = rss_kib(pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()

    latencies = sorted(soak.latencies_ms)
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    results = {
        "rounds": rounds,
        "rounds_asked": args.rounds,
        "model": args.model,
        "generate_requests": sum(soak.outcomes.values()),
        "seconds": round(elapsed, 1),
        "outcomes": soak.outcomes,
        "code_action_requests": len(latencies),
        "code_action_p50_ms": round(p50, 2),
        "code_action_p99_ms": round(p99, 2),
        "code_action_max_ms": round(latencies[-1], 2),
        "p99_vs_30ms_budget": round(p99 / BUDGET_MS, 3),
        "rss_start_mib": round(rss_start / 1024, 1),
        "rss_end_mib": round(rss_end / 1024, 1),
        "rss_growth_mib": round((rss_end - rss_start) / 1024, 1),
        "rss_end_vs_start": round(rss_end / rss_start, 3) if rss_start else None,
    }
    print(f"{'figure':<28}{'measured':>12}{'peer':>12}{'ratio':>8}")
    print(f"{'codeAction p99 (ms)':<28}{p99:>12.2f}{BUDGET_MS:>12.1f}{p99 / BUDGET_MS:>8.3f}")
    print(
        f"{'RSS end vs start (MiB)':<28}{rss_end / 1024:>12.1f}{rss_start / 1024:>12.1f}"
        f"{(rss_end / rss_start if rss_start else 0):>8.3f}"
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
