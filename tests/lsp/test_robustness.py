"""Bad input over raw stdio: the server logs it, answers what it can and stays up."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

GENERATE_TITLE = "Generate implementations…"


class RawClient:
    """Frames JSON-RPC by hand, so that it can also send what no real client would."""

    def __init__(self, log_file: Path) -> None:
        command = [sys.executable, "-m", "codegen_lsp", "-v", "--log-file", str(log_file)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.messages.put(json.loads(stream.read(length)))

    def send_bytes(self, body: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def request(self, msg_id: int, method: str, params: Any) -> dict[str, Any]:
        self.send({"id": msg_id, "method": method, "params": params})
        return self.reply(msg_id)

    def reply(self, msg_id: int | None, timeout: float = 60) -> dict[str, Any]:
        while True:
            message = self.messages.get(timeout=timeout)
            if "id" in message and message["id"] == msg_id and "method" not in message:
                return message


@pytest.fixture
def raw(tmp_path: Path):
    client = RawClient(tmp_path / "server.log")
    init = client.request(
        1,
        "initialize",
        {
            "processId": None,
            "rootUri": tmp_path.as_uri(),
            "capabilities": {},
            "initializationOptions": {"codegenLsp": {"server": {"warmup": False}}},
        },
    )
    assert "codeActionProvider" in init["result"]["capabilities"]
    client.send({"method": "initialized", "params": {}})
    yield client
    if client.process.poll() is None:
        client.process.kill()
    client.process.wait(10)


def _code_action(raw: RawClient, msg_id: int, uri: str, line: int) -> dict[str, Any]:
    position = {"line": line, "character": 4}
    return raw.request(
        msg_id,
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": {"start": position, "end": position},
            "context": {"diagnostics": []},
        },
    )


def _open(raw: RawClient, uri: str, text: str) -> None:
    raw.send(
        {
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}
            },
        }
    )


def test_malformed_messages_and_unknown_methods(raw: RawClient, tmp_path: Path) -> None:
    # JSON-RPC 2.0: a body that is not JSON gets Parse error, one that is JSON but no message
    # gets Invalid Request; both with a null id (the id could not be read), in order.
    raw.send_bytes(b"{this is not json")
    assert raw.reply(None)["error"]["code"] == -32700
    raw.send_bytes(b'{"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction"')
    assert raw.reply(None)["error"]["code"] == -32700
    raw.send_bytes(b'{"jsonrpc": "2.0", "method": "\xff\xfe"}')
    assert raw.reply(None)["error"]["code"] == -32700
    raw.send_bytes(b"[1, 2, 3]")
    assert raw.reply(None)["error"]["code"] == -32600
    raw.send_bytes(b'{"id": 9, "method": "shutdown"}')
    assert raw.reply(9)["error"]["code"] == -32600
    raw.send({"method": "$/somethingNew", "params": {"x": 1}})
    unknown = raw.request(3, "codegen/doesNotExist", {})
    assert unknown["error"]["code"] == -32601
    bad_params = raw.request(4, "textDocument/codeAction", {"textDocument": 7})
    assert bad_params["error"]["code"] == -32602
    raw.send({"id": 5, "method": "textDocument/codeAction", "params": {"bogus": True}})
    uri = (tmp_path / "mod.py").as_uri()
    _open(raw, uri, 'def f(x):\n    """Return x.\n\n    >>> f(1)\n    1\n    """\n    ...\n')
    actions = _code_action(raw, 6, uri, 6)
    assert [a["title"] for a in actions["result"]] == [GENERATE_TITLE]
    assert raw.request(7, "shutdown", None)["result"] is None
    raw.send({"method": "exit"})
    assert raw.process.wait(30) == 0
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_a_one_megabyte_document(raw: RawClient, tmp_path: Path) -> None:
    function = (
        'def f{n}(x: int) -> int:\n    """Return x plus {n}.\n\n'
        '    >>> f{n}(1)\n    {m}\n    """\n    return x + {n}\n\n\n'
    )
    parts = [function.format(n=n, m=n + 1) for n in range(12_000)]
    stub = (
        'def wanted(x):\n    """Return x twice.\n\n    >>> wanted(2)\n    4\n    """\n    ...\n\n\n'
    )
    middle = len(parts) // 2
    text = "".join(parts[:middle]) + stub + "".join(parts[middle:])
    assert len(text) > 1_000_000
    uri = (tmp_path / "big.py").as_uri()
    _open(raw, uri, text)
    stub_line = text[: text.index("def wanted")].count("\n")
    actions = _code_action(raw, 2, uri, stub_line + 6)
    assert [a["title"] for a in actions["result"]] == [GENERATE_TITLE]
    titles = [a["title"] for a in _code_action(raw, 3, uri, 6)["result"]]
    assert "Explain code" in titles and "Check examples" in titles


def test_a_file_that_is_not_valid_python(raw: RawClient, tmp_path: Path) -> None:
    uri = (tmp_path / "broken.py").as_uri()
    text = (
        'import os\n\ndef broken(:\n    """Nope."""\n    ...\n\nclass }{\n\n'
        'def fine(x):\n    """Return x.\n\n    >>> fine(1)\n    1\n    """\n    ...\n'
    )
    _open(raw, uri, text)
    assert not _code_action(raw, 2, uri, 4)["result"]
    fine = _code_action(raw, 3, uri, 14)["result"]
    assert [a["title"] for a in fine] == [GENERATE_TITLE]
    # Checking examples in a file that does not parse: an answer, not a crash.
    check = raw.request(
        4,
        "workspace/executeCommand",
        {
            "command": "codegenLsp.checkExamples",
            "arguments": [{"uri": uri, "version": 1, "line": 8}],
        },
    )
    # The rest of the file still runs: fine()'s example is checked (its body `...` gives None).
    assert check["result"] == {
        "function": "fine",
        "examples": 1,
        "passed": 0,
        "message": "fine: 0 of 1 examples pass; the failing ones are marked",
    }, check
    assert _code_action(raw, 5, uri, 14)["result"] == fine
