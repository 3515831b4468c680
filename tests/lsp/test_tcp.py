"""``codegen-lsp --tcp --port N``: the same server over a real TCP socket on the loopback."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from support.lsp_session import DOUBLE_EXAMPLE_LINE, DOUBLE_LINE, FAST_SETTINGS, SOURCE, until


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _connect_raw(port: int, process: subprocess.Popen[bytes]) -> socket.socket:
    """Connect once the server listens (no probing: pygls serves one connection, then exits)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=30)
        except OSError:
            assert process.poll() is None, "the server exited before it listened"
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            time.sleep(0.1)


async def test_the_server_speaks_lsp_over_tcp(tmp_path: Path) -> None:
    port = _free_port()
    log_file = tmp_path / "server.log"
    command = [sys.executable, "-m", "codegen_lsp", "--tcp", "--port", str(port), "-v"]
    process = subprocess.Popen([*command, "--log-file", str(log_file)])
    try:
        # Raw bytes first: a body that is not JSON gets a Parse error reply, over TCP too.
        raw = _connect_raw(port, process)
        body = b"{not json"
        raw.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        reply = raw.recv(65536)
        payload = json.loads(reply.split(b"\r\n\r\n", 1)[1])
        assert payload["id"] is None and payload["error"]["code"] == -32700
        raw.close()
        assert process.wait(30) == 0  # one connection per server process, as with stdio

        process = subprocess.Popen([*command, "--log-file", str(log_file)])
        client = LanguageClient("tcp-test", "1")
        deadline = time.monotonic() + 60
        while True:
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None
                await asyncio.sleep(0.1)
        diagnostics: list[types.PublishDiagnosticsParams] = []

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            diagnostics.append(params)

        result = await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                initialization_options={"codegenLsp": FAST_SETTINGS},
            )
        )
        assert result.server_info is not None and result.server_info.name == "codegen-lsp"
        client.initialized(types.InitializedParams())
        uri = (tmp_path / "mod.py").as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=SOURCE
                )
            )
        )
        position = types.Position(line=DOUBLE_LINE + 6, character=4)
        # Read the reply raw: pygls' converter mangles a CodeAction that carries a command.
        future = client.protocol.send_request(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=position, end=position),
                context=types.CodeActionContext(diagnostics=[]),
            ),
            msg_id="actions-1",
        )
        client.protocol._result_types.pop("actions-1", None)
        actions = await asyncio.wrap_future(future)
        check = next(a for a in actions if a["title"] == "Check examples")
        summary = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=check["command"]["command"], arguments=check["command"]["arguments"]
            )
        )
        assert summary["passed"] == 0 and summary["examples"] == 1  # double() returns x * 3
        await until(lambda: any(d.diagnostics for d in diagnostics), 60)
        assert diagnostics[-1].diagnostics[0].range.start.line == DOUBLE_EXAMPLE_LINE
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        assert process.wait(30) == 0
        assert "Traceback" not in log_file.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
