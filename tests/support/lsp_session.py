"""Helpers for the pytest-lsp tests: the real server over stdio, recorded client capabilities.

The clients differ where the server must branch: Neovim 0.11 resolves edits lazily but shows no
disabled actions; Emacs/eglot resolves nothing and shows no disabled actions; VS Code resolves
edits and shows disabled actions with their reason; the LSP 3.18 client also takes the
LLM-generated code action tag and inline completions (no shipping editor sends that tag yet, so
its capabilities are VS Code's recording plus the 3.18 fields, kept in ``clients/``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from support.scripted_model import Reply, body, explaining, implementing

CLIENTS_DIR = Path(__file__).resolve().parents[1] / "lsp" / "clients"
"""The initialize capabilities recorded from four real clients."""
CLIENTS = ["neovim", "emacs", "visual_studio_code", "lsp_3_18"]
PLUMBING_MODEL = os.environ.get("CODEGEN_LSP_TEST_MODEL", "smollm2-135m")

# Fast tests: the small plumbing model, few short samples, no warm-up unless a test asks.
FAST_SETTINGS: dict[str, Any] = {
    "model": {"name": PLUMBING_MODEL},
    # The scripted model answers one list of replies per prompt; a greedy request of its own
    # would repeat the first reply (greedy-first is tested on the engines themselves).
    "sampling": {"n": 3, "maxNewTokens": 48, "seed": 7, "greedyFirst": False},
    "ranking": {"verifier": False},
    "server": {"warmup": False},
}

SOURCE = '''\
def add(a: int, b: int) -> int:
    """Return the sum of a and b.

    >>> add(1, 2)
    3
    >>> add(-1, 1)
    0
    """
    ...


def double(x: int) -> int:
    """Return twice x.

    >>> double(2)
    4
    """
    return x * 3
'''
ADD_LINE = 0
DOUBLE_LINE = 11
DOUBLE_EXAMPLE_LINE = 14

# What the scripted model writes for SOURCE (tests marked ``scripted_model``). The passing body
# of add() is the least likely one, so that only the examples can put it first.
ADD_PASSES = "return a + b"
ADD_FAILS_ONE = "return a + b if a >= 0 else b - a"  # add(-1, 1) gives 2
ADD_RAISES = 'raise ValueError("scripted failure")'
DOUBLE_PASSES = "return x * 2"
DOUBLE_FAILS = "return x + 3"
TRIPLE_DOCSTRING = (
    "Return x three times.\n\n    >>> triple(2)\n    6\n    >>> triple(1)\n    4\n    "
)
SCRIPTS = [
    (
        implementing("add"),
        [body(ADD_FAILS_ONE, -0.2), body(ADD_RAISES, -0.4), body(ADD_PASSES, -0.9)],
    ),
    (implementing("double"), [body(DOUBLE_FAILS, -0.2), body(DOUBLE_PASSES, -0.6)]),
    (explaining("triple"), [Reply(TRIPLE_DOCSTRING + '"""', -0.3)]),
]


async def until(condition: Any, timeout: float = 120.0) -> None:
    """Wait until ``condition()`` holds, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


def capabilities_of(client: str) -> types.ClientCapabilities:
    """Return the recorded capabilities of ``client``."""
    recorded = CLIENTS_DIR / f"{client}.json"
    if recorded.exists():
        data = json.loads(recorded.read_text())["capabilities"]
        return default_converter().structure(data, types.ClientCapabilities)
    return client_capabilities(client)


class Session:
    """A started server with a client that records what the server asked it to do."""

    def __init__(self, client: LanguageClient, name: str, log_file: Path, uri: str) -> None:
        self.client = client
        self.name = name
        self.log_file = log_file
        self.uri = uri
        self.version = 1
        self.text = ""
        self.applied: list[types.WorkspaceEdit] = []

    def open(self, text: str = SOURCE, uri: str | None = None) -> None:
        self.text = text
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri or self.uri, language_id="python", version=self.version, text=text
                )
            )
        )

    def edit(self, line: int, text: str) -> None:
        """Insert ``text`` at the start of ``line``, as a typing user would."""
        position = types.Position(line=line, character=0)
        self.change(
            [types.TextEdit(range=types.Range(start=position, end=position), new_text=text)]
        )

    def change(self, edits: list[types.TextEdit]) -> None:
        """Apply ``edits`` (ASCII text: any position encoding) and tell the server."""
        lines = self.text.splitlines(keepends=True)

        def offset(position: types.Position) -> int:
            return sum(len(line) for line in lines[: position.line]) + position.character

        for text_edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
            start, end = offset(text_edit.range.start), offset(text_edit.range.end)
            self.text = self.text[:start] + text_edit.new_text + self.text[end:]
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=self.text)],
            )
        )

    async def actions(self, line: int, character: int = 4) -> list[types.CodeAction]:
        position = types.Position(line=line, character=character)
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=[]),
        )
        # pygls' converter turns a CodeAction with a command into a Command (it stringifies the
        # nested command), so read the reply raw and structure each item as a CodeAction.
        msg_id = f"actions-{uuid.uuid4()}"
        future = self.client.protocol.send_request(
            types.TEXT_DOCUMENT_CODE_ACTION, params, msg_id=msg_id
        )
        self.client.protocol._result_types.pop(msg_id, None)
        raw = await asyncio.wrap_future(future)
        converter = self.client.protocol._converter
        return [converter.structure(item, types.CodeAction) for item in raw or []]

    async def warmed_actions(self, line: int, timeout: float = 120.0) -> list[types.CodeAction]:
        """Rest the cursor on ``line`` until warm-up has turned candidates into actions."""
        from codegen_lsp.lsp.actions import GENERATE_TITLE

        actions = await self.actions(line)  # starts warm-up once the cursor rests
        deadline = time.monotonic() + timeout
        while [a.title for a in actions] == [GENERATE_TITLE]:
            assert time.monotonic() < deadline, "warm-up produced no candidates"
            await asyncio.sleep(0.1)
            actions = await self.actions(line)
        return actions

    async def inline_items(self, position: types.Position) -> list[types.InlineCompletionItem]:
        """Ask for inline completions at ``position``, as an editor does while the user types."""
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            position=position,
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        answer = await self.client.text_document_inline_completion_async(params)
        return list(
            (answer.items if isinstance(answer, types.InlineCompletionList) else answer) or []
        )

    def command_request(self, action: types.CodeAction, msg_id: str | None = None) -> Any:
        """Send the action's command; return the future of its reply."""
        assert action.command is not None
        request = self.client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(
                command=action.command.command, arguments=action.command.arguments
            ),
            msg_id=msg_id,
        )
        return asyncio.ensure_future(request)  # sent now, awaited whenever the test likes

    def cancel(self, msg_id: str) -> None:
        self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

    def log_text(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""


def server_command(log_file: Path) -> list[str]:
    # CODEGEN_LSP_TEST_SERVER runs another build of the server (e.g. an installed one).
    base = os.environ.get("CODEGEN_LSP_TEST_SERVER", f"{sys.executable} -m codegen_lsp").split()
    return [*base, "-v", "--log-file", str(log_file), "--stdio"]


async def start_session(
    tmp_path: Path,
    name: str,
    settings: dict[str, Any] | None = None,
    configuration: dict[str, Any] | None = None,
    client_info: types.ClientInfo | None = None,
    folders: list[Path] | None = None,
) -> tuple[Session, LanguageClient]:
    """Start the server and initialize it as ``name`` does.

    ``folders`` become the workspace folders (the first is also the root); without them the
    root is ``tmp_path`` and there are none.
    """
    log_file = tmp_path / "server.log"
    env = {**os.environ, "HOME": os.environ.get("HOME", str(tmp_path))}
    config = ClientServerConfig(server_command=server_command(log_file), server_env=env)
    client = await config.start()
    assert isinstance(client, LanguageClient)
    if configuration is not None:
        client.set_configuration(configuration, section="codegenLsp")
    session = Session(client, name, log_file, (tmp_path / "mod.py").as_uri())

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        # Behave like an editor: refuse an edit for another version, else apply and report it.
        session.applied.append(params.edit)
        pairs = edits_of(params.edit)
        if any(version not in (None, session.version) for version, _ in pairs):
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="stale version")
        session.change([text_edit for _, text_edit in pairs])
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities_of(name),
            initialization_options={
                "codegenLsp": settings if settings is not None else FAST_SETTINGS
            },
            root_uri=(folders[0] if folders else tmp_path).as_uri(),
            workspace_folders=[
                types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)
                for folder in folders or []
            ]
            or None,
            client_info=client_info,
        )
    )
    return session, client


def edits_of(edit: types.WorkspaceEdit) -> list[tuple[int | None, types.TextEdit]]:
    """Return (version or None, text edit) pairs of a workspace edit."""
    found: list[tuple[int | None, types.TextEdit]] = []
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        for text_edit in change.edits:
            if isinstance(text_edit, types.AnnotatedTextEdit):  # an edit the user confirms
                text_edit = types.TextEdit(range=text_edit.range, new_text=text_edit.new_text)
            assert isinstance(text_edit, types.TextEdit)
            found.append((change.text_document.version, text_edit))
    for text_edits in (edit.changes or {}).values():
        found.extend((None, text_edit) for text_edit in text_edits)
    return found


async def stop_session(client: LanguageClient, session: Session, grace_s: float = 60.0) -> None:
    """Shut the server down as an editor does, and fail (never hang) if it does not end.

    The client's wait for the server ends only once the server has exited and every holder of
    its stdout and stderr has closed them, model child included. If that takes longer than
    ``grace_s``: the server's stacks go to its log (SIGUSR1), everything started for this
    session is killed, and the test fails with the log's tail.
    """
    process = client._server
    assert process is not None
    try:
        await asyncio.wait_for(client.shutdown_session(), 30)
    finally:
        try:
            await asyncio.wait_for(process.wait(), grace_s)
        except TimeoutError:
            server_alive = alive(process.pid)
            if server_alive:
                os.kill(process.pid, signal.SIGUSR1)
                await asyncio.sleep(1)
            leftovers = _kill_session_processes(session)
            await asyncio.wait_for(process.wait(), 10)
            tail = "\n".join(session.log_text().splitlines()[-80:])
            raise AssertionError(
                f"not over {grace_s:.0f} s after exit: server "
                f"{'still running' if server_alive else 'gone'}, left behind: {leftovers}\n{tail}"
            ) from None
        finally:
            await asyncio.wait_for(client.stop(), 30)
    log = session.log_text()
    assert process.returncode == 0, log[-4000:]
    assert "after the client left" not in log, log[-8000:]  # the exit watchdog had to step in


def alive(pid: int) -> bool:
    """Tell whether ``pid`` runs (a zombie, not yet reaped by its parent, does not)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _kill_session_processes(session: Session) -> list[str]:
    """Kill every process whose command line names this session's log file; describe them."""
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(session.log_file).encode() in argv and alive(int(entry.name)):
            killed.append(f"{entry.name}: {b' '.join(argv[:4]).decode(errors='replace')}")
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)
    return killed
