"""The codegen-lsp language server: writes function bodies and proves them in the editor.

Put the cursor in a function that has a docstring and no body and ask for code actions: the
server offers "Generate implementations…", samples candidate bodies in the background with
visible, cancellable progress, and applies the best one that passes the docstring's examples.
Once candidates are ready (ahead of time, thanks to warm-up), the code actions list them with
their evidence ("Implement: 3/3 examples pass — return a + b"). Functions that already have a
body get "Explain code", "Check examples" and "Fix with failing example".

This module holds the server object, its state, the protocol tweaks and the entry point; each
feature lives in its own module and registers its handlers here.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import faulthandler
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Hashable, Sequence
from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcContentModified,
    JsonRpcException,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcRequestCancelled,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.workspace import TextDocument

from codegen_lsp import __version__
from codegen_lsp.engine.private import PrivateEngine
from codegen_lsp.engine.types import ModelError
from codegen_lsp.lsp.client import ClientFeatures
from codegen_lsp.lsp.evidence import passes
from codegen_lsp.lsp.jobs import Job, JobCancelled, Scheduler, Work
from codegen_lsp.pipeline import GenerationResult
from codegen_lsp.settings import Settings

log = logging.getLogger(__name__)

PipelineFactory = Callable[[Settings], Any]


class ServerCancelled(JsonRpcException):
    """LSP ``ServerCancelled``: the server dropped the request (a newer one took its place)."""

    CODE = types.LSPErrorCodes.ServerCancelled.value
    MESSAGE = "ServerCancelled"


request_work_done_token: contextvars.ContextVar[str | int | None] = contextvars.ContextVar(
    "request_work_done_token", default=None
)
"""The ``workDoneToken`` the client gave the request being handled (client-initiated progress)."""

# Replies that are part of normal editing (a cancelled or outdated request), not server faults.
_EXPECTED_ERRORS = (JsonRpcContentModified, JsonRpcRequestCancelled, ServerCancelled)


class _HangUpAwareWriter:
    """A writer that takes a closed pipe as the client's leaving, not as an error.

    An editor that quits mid-generation closes the pipe under the server's next progress
    report or reply; pygls would log each failed write with a traceback. The first one is
    logged once, quietly, and later writes are dropped: nobody is listening any more.
    """

    def __init__(self, writer: Any) -> None:
        self._writer = writer
        self.gone = False

    def write(self, data: bytes) -> Any:
        if self.gone:
            return None
        try:
            return self._writer.write(data)
        except (BrokenPipeError, ConnectionResetError, ValueError) as error:
            # ValueError: the stream was closed on our side as the process winds down.
            self.gone = True
            log.info("the client hung up (%s): nothing more is sent", type(error).__name__)
            return None

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ValueError):
            self._writer.close()  # already gone is fine


class CodegenProtocol(LanguageServerProtocol):
    """pygls' protocol, with cancel hooks for long commands and quiet expected errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cancel_hooks: dict[Any, Callable[[], None]] = {}

    def set_writer(self, writer: Any, include_headers: bool = True) -> None:
        """Write through :class:`_HangUpAwareWriter` (a client that quits is no error)."""
        super().set_writer(_HangUpAwareWriter(writer), include_headers)

    def on_cancel(self, msg_id: Any, hook: Callable[[], None]) -> None:
        """Call ``hook`` when the client cancels request ``msg_id``.

        pygls answers a cancelled ``workspace/executeCommand`` at once but does not stop the
        command's coroutine; the hook lets the command stop its generation too.
        """
        if msg_id is not None:
            self._cancel_hooks[msg_id] = hook

    def detach_request(self) -> None:
        """Let the current task outlive its request: it gets no cancel hook from now on."""
        self._ctx_msg_id.set(None)

    def forget_cancel(self, msg_id: Any) -> None:
        """Drop the cancel hook of a finished request."""
        self._cancel_hooks.pop(msg_id, None)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        """Run the server's shutdown handler, then cancel the requests still open.

        pygls' own version walks its table of open requests while handlers that finish on
        worker threads remove their entries from it ("dictionary changed size during
        iteration": the shutdown then fails and the client waits for an exit that never comes);
        this one walks a snapshot.
        """
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id  # the shutdown request itself is answered, not cancelled
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    def _run_generator(
        self, future: Any, *, gen: Generator[Any, Any, Any], result_future: Any
    ) -> None:
        """Let a built-in handler's step that was cancelled cancel its request, quietly.

        When the client hangs up, asyncio cancels the tasks still running (a command waiting
        for its generation); pygls would read the cancelled step's result in a callback and
        log the CancelledError as an unhandled exception.
        """
        if future is not None and future.cancelled():
            if not result_future.done():
                result_future.cancel()
            return
        super()._run_generator(future, gen=gen, result_future=result_future)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        hook = self._cancel_hooks.pop(msg_id, None)
        super()._handle_cancel_notification(msg_id)
        if hook is not None:
            hook()

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Answer a request whose params do not fit its method (pygls would stay silent)."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" in data and "method" in data:
                self._send_response(data["id"], error=error.to_response_error())
            raise

    def reply_error(self, msg_id: Any, error: JsonRpcException) -> None:
        """Send an error reply to ``msg_id`` (None when the request's id could not be read)."""
        if msg_id is not None:
            self._send_response(msg_id, error=error.to_response_error())
            return
        # JSON-RPC wants `"id": null` here; pygls' converter would leave the null out.
        reply = {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": error.code, "message": error.message},
        }
        self._send_data(reply)

    def handle_message(self, message: Any) -> None:
        """Answer a body that is JSON but no JSON-RPC message with Invalid Request.

        For ``workspace/executeCommand``, the handler can read the request's ``workDoneToken``
        from :data:`request_work_done_token` (pygls hands commands only their arguments).
        """
        if not hasattr(message, "jsonrpc"):  # a list (batch), a bare value, an object sans jsonrpc
            msg_id = message.get("id") if isinstance(message, dict) else None
            log.warning("not a JSON-RPC message: %.200r", message)
            self.reply_error(
                msg_id if isinstance(msg_id, (int, str)) else None,
                JsonRpcInvalidRequest("not a JSON-RPC 2.0 message (LSP sends no batches)"),
            )
            return
        method = getattr(message, "method", "")
        if self._shutdown and method != types.EXIT:
            # An editor that quits may still close its files or cancel a request after
            # ``shutdown``: ordinary, so not a warning. A request gets the error LSP asks for.
            log.info("after shutdown, %s is ignored", method or "a reply")
            msg_id = getattr(message, "id", None)
            if method and msg_id is not None:
                self.reply_error(msg_id, JsonRpcInvalidRequest("the server is shutting down"))
            return
        token = None
        if isinstance(message, types.ExecuteCommandRequest):
            token = message.params.work_done_token
        # pygls runs the handler in a copy of this context: set for this request only.
        reset = request_work_done_token.set(token)
        try:
            super().handle_message(message)
        finally:
            request_work_done_token.reset(reset)

    def _send_handler_result(self, future: Any, *, msg_id: Any) -> None:
        self._cancel_hooks.pop(msg_id, None)
        if not future.cancelled():
            error = future.exception()
            if isinstance(error, _EXPECTED_ERRORS):
                self._request_futures.pop(msg_id, None)
                log.info("request %s: %s", msg_id, error.message)
                self._send_response(msg_id, error=error.to_response_error())
                return
        super()._send_handler_result(future, msg_id=msg_id)


@dataclasses.dataclass
class ResultCache:
    """Finished pipeline results by (uri, version, function, kind); only live versions kept."""

    limit: int = 64
    entries: dict[tuple[str, int, str, str], Any] = dataclasses.field(default_factory=dict)

    def get(self, uri: str, version: int, function: str, kind: str) -> Any:
        """Return the cached result or None."""
        return self.entries.get((uri, version, function, kind))

    def put(self, uri: str, version: int, function: str, kind: str, result: Any) -> None:
        """Store a result, evicting the oldest beyond the limit."""
        self.entries[(uri, version, function, kind)] = result
        while len(self.entries) > self.limit:
            del self.entries[next(iter(self.entries))]

    def drop_document(self, uri: str, older_than: int | None = None) -> None:
        """Forget results for ``uri`` (those older than ``older_than`` when given)."""
        for key in [k for k in self.entries if k[0] == uri]:
            if older_than is None or key[1] < older_than:
                del self.entries[key]


class CodegenServer(LanguageServer):
    """The server object: pygls' server plus settings, the job queue and cached results."""

    def __init__(self, pipeline_factory: PipelineFactory | None = None) -> None:
        super().__init__("codegen-lsp", __version__, protocol_cls=CodegenProtocol, max_workers=4)
        self.settings = Settings()
        self.initial_settings = Settings()
        self.features = ClientFeatures()
        """What the client can do (resolved at ``initialize``)."""
        self.results = ResultCache()
        self.check_diagnostics: dict[str, dict[str, list[types.Diagnostic]]] = {}
        self.checked_documents: set[str] = set()
        self.applied_versions: dict[str, int] = {}
        self._logged_settings: Settings | None = None
        self.asked_for: set[tuple[str, int, str]] = set()
        """(uri, version, function) whose candidates a user asked for (not only warm-up)."""
        """Per document, the version the server last edited: no second edit lands on it."""
        self._pipeline_factory = pipeline_factory
        self._pipeline: Any = None
        self._pipeline_key: Hashable = None
        self._model_process: PrivateEngine | None = None
        self._model_process_key = ""
        self._schedulers: dict[Hashable, Scheduler] = {}
        self._told: set[str] = set()
        self.warmup_timers: dict[str, asyncio.TimerHandle] = {}
        self._pipeline_lock = threading.Lock()
        self._lines: dict[str, tuple[str, Sequence[str]]] = {}

    @property
    def codegen_protocol(self) -> CodegenProtocol:
        """The protocol, typed as ours."""
        assert isinstance(self.protocol, CodegenProtocol)
        return self.protocol

    # -- telling the user -------------------------------------------------------------------

    def tell_once(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """Show ``message`` to the user the first time only; always log it."""
        log.warning("%s", message)
        if message in self._told:
            return
        self._told.add(message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log server faults; a pop-up per malformed message would help nobody.

        pygls calls this hook for a message body it cannot read; JSON-RPC wants a reply to
        those: Parse error (-32700) with a null id, as the id could not be read either.
        """
        if source is JsonRpcException and isinstance(
            error, (json.JSONDecodeError, UnicodeDecodeError)
        ):
            log.warning("unreadable message body (replied Parse error): %s", error)
            self.codegen_protocol.reply_error(None, JsonRpcParseError(f"not JSON: {error}"))
            return
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)

    # -- settings ----------------------------------------------------------------------------

    def apply_settings(self, settings: Settings, warnings: Sequence[str]) -> None:
        """Adopt new settings; a changed model, sampling or sandbox means a fresh pipeline."""
        for warning in warnings:
            self.tell_once(f"codegen-lsp settings: {warning}")
        self.settings = settings
        if settings != self._logged_settings:  # initialize and the first pull often agree
            log.info("settings: %s", settings)
            self._logged_settings = settings

    # -- the pipeline and its queue ----------------------------------------------------------

    def pipeline(self) -> Any:
        """Return the pipeline for the current settings (created on first use)."""
        key = repr(dataclasses.replace(self.settings, server=Settings().server))
        key += self.settings.server.model_process
        with self._pipeline_lock:
            if self._pipeline is None or self._pipeline_key != key:
                if self._pipeline is not None and hasattr(self._pipeline, "close"):
                    self._pipeline.close()
                if self._pipeline_factory is not None:
                    self._pipeline = self._pipeline_factory(self.settings)
                else:
                    from codegen_lsp.pipeline import Pipeline

                    self._pipeline = Pipeline(self.settings, engine=self._engine_process())
                self._pipeline_key = key
            return self._pipeline

    def _engine_process(self) -> PrivateEngine | None:
        """Return the model's child process for the current settings (None: in-process).

        Kept across pipelines: a change of sampling or ranking settings keeps the loaded model.
        The shared daemon and a remote server already keep the model out of this process.
        """
        model = self.settings.model
        wanted = (
            self.settings.server.model_process == "child"
            and not model.shared
            and not model.remote_url
        )
        key = repr(model) if wanted else ""
        if key != self._model_process_key:
            if self._model_process is not None:
                self._model_process.close()
            self._model_process = PrivateEngine(model) if wanted else None
            self._model_process_key = key
        return self._model_process

    @staticmethod
    def start_model(
        engine: PrivateEngine | None, progress: Callable[[str, int, int], None]
    ) -> None:
        """Start the model's child process if it is not running, as the "loading model" stage.

        Runs on the job thread, before the pipeline draws: the user sees the model load (or
        the export on first use) instead of a long "sampling 0/n".
        """
        if engine is None or engine.running:
            return
        progress("loading model", 0, 1)
        engine.start(lambda message: progress("loading model", 0, 1))
        progress("loading model", 1, 1)

    def scheduler(self) -> Scheduler:
        """Return the job queue of the current model: one generation at a time per model."""
        model = repr(self.settings.model)
        scheduler = self._schedulers.get(model)
        if scheduler is None:
            for old in self._schedulers.values():
                old.close()
            self._schedulers.clear()
            scheduler = Scheduler(asyncio.get_running_loop(), max_waiting=4, name=model)
            self._schedulers[model] = scheduler
        return scheduler

    def submit(
        self, kind: str, document: TextDocument, function: str, work: Work, *, explicit: bool
    ) -> Job:
        """Queue pipeline work for one function of one document version; cache its result."""
        version = document.version or 0
        uri = document.uri
        key = (kind, uri, version, function)
        scheduler = self.scheduler()
        existing = scheduler.find(key)

        engine = self._model_process  # the one the caller's pipeline was made with

        def work_on_started_model(cancel: threading.Event, progress: Any) -> Any:
            self.start_model(engine, progress)
            return work(cancel, progress)

        job = scheduler.submit(key, uri, version, work_on_started_model, explicit=explicit)
        if job is not existing:
            job.future.add_done_callback(lambda done: self._remember(done, job))
        return job

    def _remember(self, done: asyncio.Future[Any], job: Job) -> None:
        """Cache a finished job's result, and log one line with its outcome."""
        kind, uri, version, function = _job_key(job)
        where = f"{kind} of {function} in {uri} v{version}"
        if done.cancelled():
            return
        error = done.exception()
        if error is None:
            result = done.result()
            self.results.put(uri, version, function, kind, result)
            if job.explicit:
                self.asked_for.add((uri, version, function))
            log.info("%s: done in %.1f s%s", where, job.seconds, _outcome(result))
        elif isinstance(error, JobCancelled):
            log.info("%s stopped: %s (after %.1f s)", where, error, job.seconds)
        else:
            log.info("%s failed after %.1f s", where, job.seconds)
            self.report_pipeline_failure(kind, error)

    def report_pipeline_failure(self, kind: str, error: BaseException, tell: bool = False) -> None:
        """Turn a pipeline failure into a log line; tell the user when they asked (``tell``).

        A missing model is said once, however often it is hit.
        """
        if _is_missing_model(error):
            name = self.settings.model.name
            self.tell_once(
                f"codegen-lsp cannot use the model {name!r}: {error}\n"
                f"Prepare it once with `codegen-lsp models pull {name}` and "
                f"`codegen-lsp models export {name}`, or set codegenLsp.model.name.",
                types.MessageType.Error,
            )
            return
        log.warning("%s failed: %s: %s", kind, type(error).__name__, error)
        log.debug("%s failure details", kind, exc_info=error)
        if tell:
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning, message=f"codegen-lsp {kind}: {error}"
                )
            )

    def close_jobs(self, wait: bool = False) -> None:
        """Stop every job and the model's child process (shutdown).

        ``wait``: also wait (a few seconds at most) for the child to end, so that a server on
        its way out never leaves it behind.
        """
        for scheduler in self._schedulers.values():
            scheduler.close()
        self._schedulers.clear()
        with self._pipeline_lock:
            if self._pipeline is not None and hasattr(self._pipeline, "close"):
                self._pipeline.close()
            self._pipeline = None
            if self._model_process is not None:
                self._model_process.close(wait=wait)
            self._model_process = None
            self._model_process_key = ""

    async def wait_for(self, job: Job) -> Any:
        """Wait for ``job`` on behalf of the current request, mapping cancellation to LSP errors.

        A client's ``$/cancelRequest`` stops the job (unless another request still waits for
        it); an edit to the document makes the request fail with ContentModified.
        """
        task = asyncio.current_task()
        msg_id = self.protocol.msg_id
        job.waiters += 1
        if msg_id is None:  # a detached command: only the progress UI can cancel it
            try:
                return await asyncio.shield(job.future)
            finally:
                job.waiters -= 1

        def cancelled_by_client() -> None:
            job.waiters -= 1
            if job.waiters <= 0:
                job.stop(JobCancelled.REQUESTED)
            if task is not None:
                task.cancel()

        self.codegen_protocol.on_cancel(msg_id, cancelled_by_client)
        try:
            result = await asyncio.shield(job.future)
        except JobCancelled as stopped:
            if stopped.reason == JobCancelled.DOCUMENT_CHANGED:
                raise JsonRpcContentModified(
                    "the document changed while the request ran; ask again"
                ) from None
            if stopped.reason == JobCancelled.REQUESTED:
                raise JsonRpcRequestCancelled("cancelled") from None
            raise ServerCancelled(stopped.reason) from None
        finally:
            self.codegen_protocol.forget_cancel(msg_id)
        job.waiters -= 1
        return result

    # -- documents and edits ----------------------------------------------------------------

    def lines(self, document: TextDocument) -> Sequence[str]:
        """Return the document's lines, split once per version.

        pygls splits the whole text on every ``lines`` access (13 ms for a 1 MB file here);
        a code-action request would pay that on every cursor move.
        """
        cached = self._lines.get(document.uri)
        source = document.source
        if cached is not None and cached[0] is source:
            return cached[1]
        lines = document.lines
        self._lines[document.uri] = (source, lines)
        return lines

    def forget_lines(self, uri: str) -> None:
        """Drop the split lines of a closed document."""
        self._lines.pop(uri, None)

    def current_document(self, uri: str, version: int | None) -> TextDocument:
        """Return the open document, failing with ContentModified when it moved past ``version``."""
        document = self.workspace.get_text_document(uri)
        if version is not None and (
            document.version != version or self.applied_versions.get(uri) == version
        ):
            raise JsonRpcContentModified(
                f"{uri} is at version {document.version}, the request was for {version}"
            )
        return document

    def text_edit(self, document: TextDocument, replacement: Any) -> types.TextEdit:
        """Turn one pipeline replacement (code-point columns) into a client-unit text edit."""
        lines = self.lines(document)
        codec = document.position_codec
        start = types.Position(line=replacement.start_line, character=replacement.start_column)
        end = types.Position(line=replacement.end_line, character=replacement.end_column)
        return types.TextEdit(
            range=types.Range(
                start=codec.position_to_client_units(lines, start),
                end=codec.position_to_client_units(lines, end),
            ),
            new_text=replacement.new_text,
        )

    def workspace_edit(
        self,
        document: TextDocument,
        replacements: Sequence[Any],
        confirm: types.ChangeAnnotation | None = None,
    ) -> types.WorkspaceEdit:
        """Return an edit of this document version only (versioned where the client allows).

        With ``confirm``, a client that supports change annotations shows the edit and asks
        before applying it; the others apply it as usual.
        """
        edits = [self.text_edit(document, replacement) for replacement in replacements]
        if self.features.versions_edits:
            identifier = types.OptionalVersionedTextDocumentIdentifier(
                uri=document.uri, version=document.version
            )
            annotations = None
            listed: list[types.TextEdit | types.AnnotatedTextEdit] = list(edits)
            if confirm is not None and self.features.confirms_edits:
                annotations = {_CONFIRM_ID: confirm}
                listed = [
                    types.AnnotatedTextEdit(
                        range=edit.range, new_text=edit.new_text, annotation_id=_CONFIRM_ID
                    )
                    for edit in edits
                ]
            return types.WorkspaceEdit(
                document_changes=[types.TextDocumentEdit(text_document=identifier, edits=listed)],
                change_annotations=annotations,
            )
        return types.WorkspaceEdit(changes={document.uri: edits})

    def cancel_document(self, uri: str, newer_than: int | None = None) -> None:
        """Stop the jobs computed on older versions of ``uri`` (all of them without a version)."""
        for scheduler in self._schedulers.values():
            scheduler.cancel_document(uri, newer_than)
        self.results.drop_document(uri, older_than=newer_than)
        self.applied_versions.pop(uri, None)
        self.asked_for = {
            asked
            for asked in self.asked_for
            if asked[0] != uri or (newer_than is not None and asked[1] >= newer_than)
        }

    async def apply_edit(
        self,
        uri: str,
        version: int,
        replacements: Sequence[Any],
        label: str,
        confirm: types.ChangeAnnotation | None = None,
    ) -> bool:
        """Apply replacements computed on ``uri`` at ``version``; never on any other version.

        ``confirm`` asks the user first where the client can (see :meth:`workspace_edit`).
        """
        document = self.current_document(uri, version)
        edit = self.workspace_edit(document, replacements, confirm)
        # Mark before awaiting: a racing request must not send a second edit for this version.
        self.applied_versions[uri] = version
        response = await self.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=label)
        )
        if not response.applied:
            self.applied_versions.pop(uri, None)
            log.info("client declined the edit: %s", response.failure_reason)
        return bool(response.applied)


_CONFIRM_ID = "codegenLsp.confirm"
"""The change annotation of an edit the user confirms before it is applied."""


def _job_key(job: Job) -> tuple[str, str, int, str]:
    """Return (kind, uri, version, function) of a job :meth:`CodegenServer.submit` made."""
    key: Any = job.key
    return str(key[0]), str(key[1]), int(key[2]), str(key[3])


def _outcome(result: Any) -> str:
    """Say what a finished generation found, for its log line ("" for other jobs)."""
    if not isinstance(result, GenerationResult):
        return ""
    passing = sum(1 for candidate in result.candidates if passes(candidate))
    return f": {len(result.candidates)} candidates, {passing} passing"


def _is_missing_model(error: BaseException) -> bool:
    if isinstance(error, ModelError):
        return True
    # A model directory the user named that is not there (the loaders' own error).
    return isinstance(error, FileNotFoundError) and "model" in str(error).lower()


EXIT_GRACE_S = 10.0
"""How long the process may take to wind down after the client's ``exit``."""

_exit_armed = threading.Event()


def log_stream() -> Any:
    """Return the stream the log goes to (a real file), if any: where stacks are dumped."""
    for handler in logging.getLogger().handlers:
        stream = getattr(handler, "stream", None)
        if stream is not None and hasattr(stream, "fileno"):
            try:
                stream.fileno()
            except (OSError, ValueError):
                continue
            return stream
    return None


def exit_soon(grace_s: float = EXIT_GRACE_S) -> None:
    """End the process ``grace_s`` seconds from now if it has not ended by then.

    Once armed, later calls do nothing. An editor that sent ``exit`` waits for the process; a
    thread stuck in native code or on a child must not keep a dead server, and its model, in
    memory.
    """
    if _exit_armed.is_set():
        return
    _exit_armed.set()

    def watchdog() -> None:
        time.sleep(grace_s)
        names = sorted(t.name for t in threading.enumerate() if t is not threading.current_thread())
        log.warning(
            "still running %.0f s after the client left (threads: %s); stacks follow, then exit",
            grace_s,
            ", ".join(names),
        )
        stream = log_stream()
        if stream is not None:
            stream.flush()
            faulthandler.dump_traceback(file=stream, all_threads=True)
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()
