"""Samples on an inference server a team already runs (vLLM, TGI, llama.cpp's server).

With ``model.remoteUrl`` set, the engine sends the prompt to the server's OpenAI-compatible
``/v1/completions`` endpoint and asks for per-token log-probabilities; everything else (running
the examples, ranking, the verifier) stays on the user's machine. Only prompts leave the machine,
and only to that URL.

What this backend guarantees to the rest of codegen-lsp, whatever the server:

- the same :class:`~codegen_lsp.engine.types.Sample` objects as the local engine (text cut before
  the first stop sequence, per-token log-probs of the kept tokens, finish reason, timings);
  stop sequences the server was not sent (OpenAI-style servers take at most four) are applied
  here;
- N samples through the ``n`` parameter, or N parallel requests when the server ignores ``n``;
  never more than ``model.remoteMaxInFlight`` requests open at once;
- cancellation closes the open connections at once (vLLM then aborts the generation);
- retries with exponential backoff on refused connections, dropped connections and 429/503
  (honouring ``Retry-After``), then an error whose message the editor can show; with
  ``model.remoteFallback`` the local model takes over instead.

The API key is read from the environment variable named by ``model.remoteApiKeyEnv`` and is
never logged or put in an error message.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import email.utils
import http.client
import json
import logging
import math
import os
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from codegen_lsp.engine.local import load_local
from codegen_lsp.engine.types import (
    Engine,
    FinishReason,
    GenerationCancelled,
    GenerationRequest,
    Sample,
    Timings,
)
from codegen_lsp.settings import ModelSettings

log = logging.getLogger(__name__)

SERVER_STOP_LIMIT = 4
"""Stop sequences sent to the server (OpenAI's limit, also TGI's default); the rest apply here."""
MAX_RETRY_AFTER_S = 60.0
"""A longer Retry-After is not waited for: the user is waiting at the editor."""
CONNECT_TIMEOUT_S = 5.0


class RemoteError(Exception):
    """The inference server could not serve a request; the message says what to do."""


class RemoteUnavailable(RemoteError):
    """The server cannot be reached, dropped the connection, or stayed busy through retries."""


class RemoteTimeout(RemoteError):
    """The server did not answer within ``model.remoteTimeoutS``."""


class RemoteProtocolError(RemoteError):
    """The server answered something that is not a completion with log-probabilities."""


class _Retryable(Exception):
    """One attempt failed in a way another attempt may not (refused, dropped, 429, 503)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Endpoint:
    """Where the server is, parsed once from ``model.remoteUrl``."""

    scheme: str
    host: str
    port: int
    base_path: str
    """Path prefix before ``/v1/...`` (empty, or e.g. ``/llm`` behind a proxy)."""

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """Accept ``http(s)://host[:port][/prefix][/v1]``; raise RemoteError on anything else."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RemoteError(
                f"model.remoteUrl {url!r} is not an http(s) URL: give the server's address, "
                "e.g. http://gpu-box:8000/v1"
            )
        path = parts.path.rstrip("/")
        path = path.removesuffix("/v1")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, path)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{self.base_path}"


class _OpenConnections:
    """The connections one generate() call has open, so that cancelling can close them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: set[http.client.HTTPConnection] = set()
        self.closed = False

    def add(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if self.closed:
                raise GenerationCancelled("generation cancelled")
            self._connections.add(connection)

    def discard(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def close_all(self) -> None:
        """Shut every open socket down: blocked reads return at once, the server sees a hang-up."""
        with self._lock:
            self.closed = True
            connections = list(self._connections)
        for connection in connections:
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            connection.close()


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_message(body: bytes) -> str:
    """Return the error text an OpenAI-style server put in its body, shortened."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error is not None:
            return str(error)[:300]
    return text[:300]


@dataclass
class _Choice:
    """One choice of a completion response, validated."""

    text: str
    pieces: list[str]
    logprobs: list[float]
    offsets: list[int]
    token_ids: list[int]
    finish_reason: str | None
    stop_reason: Any


def _parse_choice(choice: Any, where: str) -> _Choice:
    """Validate one ``choices[i]`` (OpenAI completions format or llama-server's content list)."""
    if not isinstance(choice, dict) or not isinstance(choice.get("text"), str):
        raise RemoteProtocolError(f"{where}: a choice has no text")
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, dict):
        raise RemoteProtocolError(
            f"{where}: the server returned no log-probabilities (the 'logprobs' field is "
            f"{logprobs!r}); codegen-lsp ranks samples by them: use a server that returns them "
            "for /v1/completions (vLLM, TGI, llama.cpp's server, llama-cpp-python)"
        )
    pieces: list[str]
    values: list[Any]
    ids: list[int] = []
    if isinstance(logprobs.get("content"), list):  # llama-server: chat-style entries
        entries = logprobs["content"]
        if not all(isinstance(e, dict) for e in entries):
            raise RemoteProtocolError(f"{where}: malformed logprobs.content entries")
        pieces = [e.get("token") for e in entries]
        values = [e.get("logprob") for e in entries]
        raw_ids = [e.get("id") for e in entries]
        if raw_ids and all(isinstance(i, int) for i in raw_ids):
            ids = list(raw_ids)
        offsets = _cumulative_offsets(pieces, where)
    else:
        pieces = logprobs.get("tokens")  # type: ignore[assignment]
        values = logprobs.get("token_logprobs")  # type: ignore[assignment]
        if not isinstance(pieces, list) or not isinstance(values, list):
            raise RemoteProtocolError(f"{where}: logprobs lacks 'tokens' or 'token_logprobs'")
        raw_offsets = logprobs.get("text_offset")
        if (
            isinstance(raw_offsets, list)
            and len(raw_offsets) == len(pieces)
            and all(isinstance(o, int) for o in raw_offsets)
        ):
            # llama-cpp-python counts from the prompt's start, vLLM from the text's: rebase.
            first = raw_offsets[0] if raw_offsets else 0
            offsets = [o - first for o in raw_offsets]
        else:
            offsets = _cumulative_offsets(pieces, where)
        if pieces and all(isinstance(p, str) and p.startswith("token_id:") for p in pieces):
            ids = [int(p.removeprefix("token_id:")) for p in pieces]  # vLLM, token ids asked
    if len(values) != len(pieces) or not all(isinstance(p, str) for p in pieces):
        raise RemoteProtocolError(f"{where}: logprobs tokens and values differ in length")
    if values and values[0] is None:
        values = [math.nan, *values[1:]]  # an echoed prompt's first token has no context
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise RemoteProtocolError(f"{where}: a token log-probability is not a number")
    return _Choice(
        text=choice["text"],
        pieces=pieces,
        logprobs=[float(v) for v in values],
        offsets=offsets,
        token_ids=ids,
        finish_reason=choice.get("finish_reason"),
        stop_reason=choice.get("stop_reason"),
    )


def _cumulative_offsets(pieces: list[Any], where: str) -> list[int]:
    if not all(isinstance(p, str) for p in pieces):
        raise RemoteProtocolError(f"{where}: a logprobs token is not a string")
    offsets: list[int] = []
    position = 0
    for piece in pieces:
        offsets.append(position)
        position += len(piece)
    return offsets


def to_sample(choice: _Choice, stops: tuple[str, ...], timings: Timings) -> Sample:
    """Cut the choice before the first stop sequence and keep the tokens that made the text."""
    text = choice.text
    cuts = [index for stop in stops if stop and (index := text.find(stop)) >= 0]
    finish: FinishReason
    if cuts:
        text = text[: min(cuts)]
        finish = "stop"
    elif choice.finish_reason == "length":
        finish = "length"
    elif isinstance(choice.stop_reason, str):
        finish = "stop"  # vLLM names the stop string that ended the text
    elif choice.stop_reason is None and sum(map(len, choice.pieces)) > len(text):
        finish = "stop"  # the tokens carry more text than was returned: a stop string was cut
    else:
        finish = "eos"
    # A token straddling the cut stays (as the local engine does); none when the cut is at 0.
    keep = sum(1 for offset in choice.offsets if offset < len(text)) if text else 0
    # The local engine reports a length-capped sample's tokens without the eos it never drew.
    return Sample(
        text=text,
        token_ids=choice.token_ids[:keep],
        logprobs=choice.logprobs[:keep],
        finish_reason=finish,
        timings=replace(timings, new_tokens=keep),
    )


def _cancelled_sample() -> Sample:
    return Sample("", [], [], "cancelled", Timings())


class RemoteEngine:
    """An :class:`~codegen_lsp.engine.types.Engine` backed by an OpenAI-compatible server."""

    def __init__(
        self,
        settings: ModelSettings,
        fallback: Callable[[], Engine] | None = None,
        tokenizer: Any = None,
    ) -> None:
        self.settings = settings
        self.endpoint = Endpoint.parse(settings.remote_url)
        self.timeout_s = settings.remote_timeout_s
        self.retries = settings.remote_retries
        self.model = settings.remote_model
        self.name = f"remote:{self.endpoint}"
        self.context_length = 32768
        self._fallback_factory = fallback
        self._fallback: Engine | None = None
        self._fallback_lock = threading.Lock()
        self._tokenizer = tokenizer
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=settings.remote_max_in_flight, thread_name_prefix="remote-engine"
        )
        self._server_takes_n: bool | None = None
        self._model_lock = threading.Lock()
        key_env = settings.remote_api_key_env
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key_env:
            key = os.environ.get(key_env)
            if not key:
                raise RemoteError(
                    f"model.remoteApiKeyEnv names ${key_env}, but it is not set in the "
                    "environment the editor started codegen-lsp in: export it there"
                )
            self._headers["Authorization"] = f"Bearer {key}"
        log.info("remote engine: %s (model %s)", self.endpoint, self.model or "server default")

    # ------------------------------------------------------------------ HTTP

    def _connection(self) -> http.client.HTTPConnection:
        connect = min(CONNECT_TIMEOUT_S, self.timeout_s)
        if self.endpoint.scheme == "https":
            return http.client.HTTPSConnection(
                self.endpoint.host,
                self.endpoint.port,
                timeout=connect,
                context=ssl.create_default_context(),
            )
        return http.client.HTTPConnection(self.endpoint.host, self.endpoint.port, timeout=connect)

    def _attempt(
        self, method: str, path: str, body: dict[str, Any] | None, open_: _OpenConnections
    ) -> Any:
        """One HTTP exchange; return the decoded JSON or raise (retryable or final)."""
        connection = self._connection()
        open_.add(connection)
        try:
            try:
                try:
                    connection.connect()
                except TimeoutError:
                    raise _Retryable(
                        f"no connection within {min(CONNECT_TIMEOUT_S, self.timeout_s):g} s"
                    ) from None
                assert connection.sock is not None
                connection.sock.settimeout(self.timeout_s)
                payload = json.dumps(body).encode() if body is not None else None
                connection.request(
                    method, self.endpoint.base_path + path, body=payload, headers=self._headers
                )
                response = connection.getresponse()
                data = response.read()
            except TimeoutError as error:
                if open_.closed:
                    raise GenerationCancelled("generation cancelled") from None
                raise RemoteTimeout(
                    f"the inference server at {self.endpoint} did not answer within "
                    f"{self.timeout_s:g} s (model.remoteTimeoutS): it is overloaded or stuck; "
                    "raise the timeout, lower sampling.n, or check the server"
                ) from error
            except (ConnectionError, http.client.HTTPException, OSError) as error:
                if open_.closed:
                    raise GenerationCancelled("generation cancelled") from None
                if isinstance(error, ConnectionRefusedError):
                    raise _Retryable("connection refused (is the server running?)") from error
                raise _Retryable(f"connection lost ({type(error).__name__}: {error})") from error
        finally:
            open_.discard(connection)
            connection.close()
        if response.status in (429, 503):
            raise _Retryable(
                f"server busy (HTTP {response.status}: {_server_message(data)})",
                _retry_after_seconds(response.getheader("Retry-After")),
            )
        if response.status >= 500:
            raise _Retryable(f"server error (HTTP {response.status}: {_server_message(data)})")
        if response.status != 200:
            hint = ""
            if response.status in (401, 403):
                hint = ": set model.remoteApiKeyEnv to the variable holding the API key"
            elif response.status == 404:
                hint = ": check model.remoteUrl (the /v1 prefix) and model.remoteModel"
            raise RemoteError(
                f"the inference server at {self.endpoint} refused the request (HTTP "
                f"{response.status}: {_server_message(data)}){hint}"
            )
        try:
            return json.loads(data)
        except ValueError:
            raise RemoteProtocolError(
                f"the server at {self.endpoint} answered {path} with something that is not "
                f"JSON ({data[:120]!r}); is model.remoteUrl an OpenAI-compatible server?"
            ) from None

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        open_: _OpenConnections,
        cancel: threading.Event | None,
    ) -> Any:
        """Call with retries: exponential backoff with jitter, or the server's Retry-After."""
        last = ""
        for attempt in range(self.retries + 1):
            if open_.closed or (cancel is not None and cancel.is_set()):
                raise GenerationCancelled("generation cancelled")
            try:
                return self._attempt(method, path, body, open_)
            except _Retryable as error:
                last = str(error)
                if attempt == self.retries:
                    break
                delay = min(8.0, 0.25 * 2**attempt) * (0.5 + random.random() / 2)
                if error.retry_after is not None:
                    if error.retry_after > MAX_RETRY_AFTER_S:
                        last += f"; it asked to retry after {error.retry_after:.0f} s"
                        break
                    delay = error.retry_after
                log.info(
                    "remote %s failed (%s); retry %d/%d in %.2f s",
                    path,
                    last,
                    attempt + 1,
                    self.retries,
                    delay,
                )
                if cancel is not None and cancel.wait(delay):
                    raise GenerationCancelled("generation cancelled") from None
                if cancel is None:
                    time.sleep(delay)
        raise RemoteUnavailable(
            f"the inference server at {self.endpoint} could not serve the request after "
            f"{self.retries + 1} tries: {last}. Start or check the server, or set "
            "model.remoteFallback to sample locally meanwhile"
        )

    def _model_name(self, open_: _OpenConnections, cancel: threading.Event | None) -> str:
        with self._model_lock:
            if self.model:
                return self.model
            listing = self._call("GET", "/v1/models", None, open_, cancel)
            try:
                self.model = str(listing["data"][0]["id"])
            except (KeyError, IndexError, TypeError):
                raise RemoteProtocolError(
                    f"{self.endpoint}/v1/models lists no model; set model.remoteModel"
                ) from None
            log.info("remote server serves %s", self.model)
            return self.model

    # ------------------------------------------------------------------ Engine protocol

    def generate(
        self, request: GenerationRequest, cancel: threading.Event | None = None
    ) -> list[Sample]:
        """Return ``request.n`` samples drawn by the server (see the module doc)."""
        if request.n < 1:
            return []
        if not request.prompt:
            raise ValueError("the prompt is empty: give the model something to continue")
        if request.greedy_first and request.n > 1 and request.temperature > 0:
            # A server samples every choice of one request alike: the greedy one is a request
            # of its own.
            plain = replace(request, greedy_first=False)
            greedy = self.generate(replace(plain, n=1, temperature=0.0), cancel)
            return greedy + self.generate(replace(plain, n=request.n - 1), cancel)
        try:
            return self._generate_remote(request, cancel)
        except RemoteError as error:
            local = self._local_engine(error)
            if local is None:
                raise
            return local.generate(request, cancel)

    def _local_engine(self, error: RemoteError) -> Engine | None:
        if self._fallback_factory is None:
            return None
        log.warning("remote engine failed (%s); sampling with the local model instead", error)
        with self._fallback_lock:
            if self._fallback is None:
                self._fallback = self._fallback_factory()
            return self._fallback

    def _body(self, request: GenerationRequest, n: int, seed: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p if request.temperature > 0 else 1.0,
            "n": n,
            "logprobs": 1,
            "stream": False,
            # The local engine's sampling and nothing else: top-k (0 = off) and top-p only.
            # llama.cpp servers otherwise add min_p 0.05 and a repeat penalty of 1.1.
            "top_k": request.top_k,
            "min_p": 0.0,
            "repeat_penalty": 1.0,
        }
        stops = [stop for stop in request.stop if stop][:SERVER_STOP_LIMIT]
        if stops:
            body["stop"] = stops
        if seed is not None:
            body["seed"] = seed
        return body

    def _generate_remote(
        self, request: GenerationRequest, cancel: threading.Event | None
    ) -> list[Sample]:
        open_ = _OpenConnections()
        model = self._model_name(open_, cancel)
        if self._server_takes_n is not False and request.n > 1:
            samples = self._gather(request, model, [request.n], open_, cancel)
            if len(samples) == request.n:
                self._server_takes_n = True
                return samples
            log.info("%s ignores n; drawing with %d requests", self.endpoint, request.n)
            self._server_takes_n = False
            missing = request.n - len(samples)
            try:
                return samples + self._gather(request, model, [1] * missing, open_, cancel)
            except GenerationCancelled:
                return samples + [_cancelled_sample() for _ in range(missing)]
        return self._gather(request, model, [1] * request.n, open_, cancel)

    def _gather(
        self,
        request: GenerationRequest,
        model: str,
        counts: list[int],
        open_: _OpenConnections,
        cancel: threading.Event | None,
    ) -> list[Sample]:
        """Send one request per entry of ``counts`` (its ``n``) through the bounded pool.

        Returns as soon as all are answered, one fails, or ``cancel`` is set (then the open
        connections are closed and the samples already drawn are kept).
        """
        futures = [
            self._pool.submit(
                self._one_request,
                request,
                model,
                count,
                None if request.seed is None else request.seed + index,
                open_,
                cancel,
            )
            for index, count in enumerate(counts)
        ]
        pending = set(futures)
        try:
            while pending:
                if cancel is not None and cancel.is_set():
                    raise GenerationCancelled("generation cancelled")
                done, pending = concurrent.futures.wait(
                    pending, timeout=0.05, return_when=concurrent.futures.FIRST_EXCEPTION
                )
                for future in done:
                    future.result()  # raises the first failure
        except GenerationCancelled:
            for future in futures:
                future.cancel()
            open_.close_all()
            finished = [
                sample
                for future in futures
                if future.done() and not future.cancelled() and future.exception() is None
                for sample in future.result()
            ]
            if not finished:
                raise
            # Samples drawn before the cancel are kept; the rest are reported cancelled.
            missing = sum(counts) - len(finished)
            return finished + [_cancelled_sample() for _ in range(missing)]
        except BaseException:
            for future in futures:
                future.cancel()
            open_.close_all()
            raise
        return [sample for future in futures for sample in future.result()]

    def _one_request(
        self,
        request: GenerationRequest,
        model: str,
        n: int,
        seed: int | None,
        open_: _OpenConnections,
        cancel: threading.Event | None,
    ) -> list[Sample]:
        body = self._body(request, n, seed)
        body["model"] = model
        started = time.perf_counter()
        response = self._call("POST", "/v1/completions", body, open_, cancel)
        elapsed = time.perf_counter() - started
        where = f"{self.endpoint}/v1/completions"
        choices = response.get("choices") if isinstance(response, dict) else None
        if not isinstance(choices, list) or not choices:
            raise RemoteProtocolError(f"{where} answered without choices: {str(response)[:200]}")
        usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
        prompt_tokens = usage.get("prompt_tokens", 0) if isinstance(usage, dict) else 0
        timings = Timings(
            prefill_s=0.0,
            decode_s=elapsed,
            prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else 0,
        )
        ordered = sorted(
            choices,
            key=lambda c: c.get("index", 0) if isinstance(c, dict) else 0,
        )
        return [to_sample(_parse_choice(c, where), request.stop, timings) for c in ordered]

    def score(self, prompt: str, continuation: str) -> list[float]:
        """Return the log-probs of ``continuation``'s tokens after ``prompt`` (server echo)."""
        if not continuation:
            return []
        open_ = _OpenConnections()
        try:
            model = self._model_name(open_, None)
            body = {
                "model": model,
                "prompt": prompt + continuation,
                "max_tokens": 1,  # 0 means "until the context ends" to llama-cpp-python
                "temperature": 0.0,
                "echo": True,
                "logprobs": 1,
            }
            response = self._call("POST", "/v1/completions", body, open_, None)
        except RemoteError as error:
            local = self._local_engine(error)
            if local is None:
                raise
            return local.score(prompt, continuation)
        where = f"{self.endpoint}/v1/completions (echo)"
        try:
            choice = _parse_choice(response["choices"][0], where)
        except (KeyError, IndexError, TypeError):
            raise RemoteProtocolError(f"{where} answered without choices") from None
        if not choice.text.startswith(prompt):
            raise RemoteProtocolError(
                f"{where}: the server does not echo the prompt with log-probabilities, so it "
                "cannot score text; switch ranking.reviewer off for this server"
            )
        # Echoed offsets count from the prompt's start; the last token is the one drawn.
        raw = choice.offsets
        picked = [
            value
            for offset, value in zip(raw[:-1], choice.logprobs[:-1], strict=True)
            if offset >= len(prompt)
        ]
        return picked

    def count_tokens(self, text: str) -> int:
        """Count with the model's local tokenizer when there is one, else estimate (4 chars)."""
        if self._tokenizer is not None:
            return len(self._tokenizer.encode(text))
        return max(1, len(text) // 4) if text else 0

    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        """Render with the model's local chat template, or ChatML for catalogue ChatML models."""
        if self._tokenizer is not None:
            rendered: str | None = self._tokenizer.chat_prompt(messages)
            return rendered
        from codegen_lsp.engine.models import CATALOGUE

        spec = CATALOGUE.get(self.settings.name)
        if spec is None or "<|im_end|>" not in spec.stop_tokens:
            return None
        turns = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
        return "".join(turns) + "<|im_start|>assistant\n"

    def fim_tokens(self) -> tuple[str, str, str] | None:
        """Return the catalogue's (or the local tokenizer's) fill-in-the-middle tokens."""
        if self._tokenizer is not None and self._tokenizer.fim:
            fim = self._tokenizer.fim
            return (fim[0], fim[1], fim[2])
        from codegen_lsp.engine.models import CATALOGUE

        spec = CATALOGUE.get(self.settings.name)
        return spec.fim_tokens if spec is not None else None

    def close(self) -> None:
        """Stop the request threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def local_tokenizer(settings: ModelSettings) -> Any:
    """Return the tokenizer facts of ``model.name`` if it is prepared here (no download)."""
    from codegen_lsp.engine import models
    from codegen_lsp.engine.decoding import TokenizerFacts

    try:
        source = models.resolve(settings.name, settings.cache_dir)
        candidates = [source.onnx] if source.onnx else []
        candidates += [source.workdir / f"onnx-{p}" for p in models.PRECISIONS]
        for directory in candidates:
            if directory is not None and models.is_onnx_dir(directory):
                return TokenizerFacts(directory, models.read_manifest(directory))
    except Exception as error:  # only a nicety: count and template fall back without it
        log.debug("no local tokenizer for %s: %s", settings.name, error)
    return None


def load_remote(settings: ModelSettings, progress: Callable[[str], None] | None = None) -> Engine:
    """Return the remote engine for ``settings`` (with the local one as fallback if asked)."""
    fallback: Callable[[], Engine] | None = None
    if settings.remote_fallback:
        local_settings = replace(settings, remote_url="", shared=False)

        def fallback() -> Engine:
            return load_local(local_settings, progress)

    if progress is not None:
        progress(f"using the inference server at {settings.remote_url}")
    return RemoteEngine(settings, fallback=fallback, tokenizer=local_tokenizer(settings))
