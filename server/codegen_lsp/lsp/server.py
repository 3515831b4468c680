"""The codegen-lsp language server: writes function bodies and proves them in the editor.

Put the cursor in a function that has a docstring and no body and ask for code actions: the
server offers "Generate implementations…", samples candidate bodies in the background with
visible, cancellable progress, and applies the best one that passes the docstring's examples.
Once candidates are ready (ahead of time, thanks to warm-up), the code actions list them with
their evidence ("Implement: 3/3 examples pass — return a + b"). Functions that already have a
body get "Explain code", "Check examples" and "Fix with failing example".

This module holds the server object and its state: settings, the client's features, the
pipeline and its job queue, finished results, the open documents' lines and versions. It
imports no feature module: ``main.py`` registers each feature's handlers on it (see
docs/architecture.md for where each concern lives).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from cattrs import Converter
from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified, JsonRpcException, JsonRpcParseError
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from codegen_lsp import __version__
from codegen_lsp.engine.private import PrivateEngine
from codegen_lsp.engine.types import ModelError
from codegen_lsp.lsp.client import ClientFeatures
from codegen_lsp.lsp.evidence import passes
from codegen_lsp.lsp.jobs import Job, JobCancelled, Scheduler, Work
from codegen_lsp.lsp.protocol import CodegenProtocol
from codegen_lsp.lsp.results import ResultCache
from codegen_lsp.outcomes import GenerationResult
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.settings import Settings

log = logging.getLogger(__name__)


class CodegenServer(LanguageServer):
    """The server object: pygls' server plus settings, the job queue and cached results."""

    def __init__(self) -> None:
        super().__init__("codegen-lsp", __version__, protocol_cls=CodegenProtocol, max_workers=4)
        self.settings = Settings()
        self.initial_settings = Settings()
        self.features = ClientFeatures()
        """What the client can do (resolved at ``initialize``)."""
        self.results = ResultCache()
        self.check_diagnostics: dict[str, dict[str, list[types.Diagnostic]]] = {}
        self.checked_documents: set[str] = set()
        self.applied_versions: dict[str, int] = {}
        """Per document, the version the server last edited: no second edit lands on it."""
        self._logged_settings: Settings | None = None
        self.asked_for: set[tuple[str, int, str]] = set()
        """(uri, version, function) whose candidates a user asked for (not only warm-up)."""
        self._pipeline: Pipeline | None = None
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

    @property
    def converter(self) -> Converter:
        """The converter pygls reads and writes messages with (command arguments too)."""
        return self.codegen_protocol.converter

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

    def pipeline(self) -> Pipeline:
        """Return the pipeline for the current settings (created on first use)."""
        key = repr(dataclasses.replace(self.settings, server=Settings().server))
        key += self.settings.server.model_process
        with self._pipeline_lock:
            if self._pipeline is None or self._pipeline_key != key:
                if self._pipeline is not None:
                    self._pipeline.close()
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
            if self._pipeline is not None:
                self._pipeline.close()
            self._pipeline = None
            if self._model_process is not None:
                self._model_process.close(wait=wait)
            self._model_process = None
            self._model_process_key = ""

    # -- documents --------------------------------------------------------------------------

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


def _job_key(job: Job) -> tuple[str, str, int, str]:
    """Return (kind, uri, version, function) of a job :meth:`CodegenServer.submit` made."""
    key: Any = job.key
    return str(key[0]), str(key[1]), int(key[2]), str(key[3])


def _outcome(result: Any) -> str:
    """Say what a finished generation found, for its log line ("" for other jobs)."""
    if not isinstance(result, GenerationResult):
        return ""
    if not any(example.kind != "probe" for example in result.examples):
        # Nothing judged them: "8 passing" would read as proof. Say how they were compared.
        notes = "; ".join(result.notes[:1] + [n for n in result.notes if "repair" in n])
        return f": {len(result.candidates)} candidates, no examples ({notes})"
    passing = sum(1 for candidate in result.candidates if passes(candidate))
    return f": {len(result.candidates)} candidates, {passing} passing"


def _is_missing_model(error: BaseException) -> bool:
    if isinstance(error, ModelError):
        return True
    # A model directory the user named that is not there (the loaders' own error).
    return isinstance(error, FileNotFoundError) and "model" in str(error).lower()
