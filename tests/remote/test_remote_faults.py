"""The remote engine's contract and its faults, against a scripted OpenAI-style stub on loopback.

The happy path against a real server (llama-cpp-python) is in test_llama_server.py; here each
fault a real server shows only by accident is produced on purpose: a refused connection, a slow
answer, malformed bodies, 429 with Retry-After, a server that ignores ``n``.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from codegen_lsp.engine.loader import load_engine
from codegen_lsp.engine.remote import (
    RemoteEngine,
    RemoteError,
    RemoteProtocolError,
    RemoteTimeout,
    RemoteUnavailable,
)
from codegen_lsp.engine.types import Engine, GenerationCancelled, GenerationRequest
from codegen_lsp.settings import ModelSettings
from support.remote_stub import StubServer, cancel_when, completion, free_port

PROMPT = "def f():\n    "


def _engine(url: str, **overrides: object) -> RemoteEngine:
    settings = ModelSettings(remote_url=url, remote_retries=1, remote_timeout_s=5.0)
    for key, value in overrides.items():
        setattr(settings, key, value)
    return RemoteEngine(settings)


def _wait_for_hangups(count: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while StubServer.hangups < count:
        assert time.monotonic() < deadline, f"the stub saw {StubServer.hangups} hang-ups"
        time.sleep(0.02)
    assert StubServer.hangups == count


def test_samples_are_cut_at_stop_sequences_with_their_tokens(stub: StubServer) -> None:
    engine = _engine(stub.url)
    assert isinstance(engine, Engine)
    stops = ("\n\n", "#1", "#2", "#3", "#4", "#5")
    (sample,) = engine.generate(GenerationRequest(prompt=PROMPT, n=1, stop=stops, seed=5))
    assert sample.text == "def f():"
    assert sample.logprobs == [-0.5, -0.5, -0.5]
    assert sample.finish_reason == "stop"
    assert sample.timings.new_tokens == 3 and sample.timings.prompt_tokens == 9
    (sent,) = stub.requests
    assert sent["stop"] == ["\n\n", "#1", "#2", "#3"]  # the rest are applied locally
    assert sent["prompt"] == PROMPT and sent["logprobs"] == 1 and sent["seed"] == 5
    assert sent["model"] == "stub-model"  # asked from /v1/models


def test_a_server_that_honours_n_gets_one_request(stub: StubServer) -> None:
    stub.answer = lambda body: (200, {}, completion(["a", "b"], n=int(body["n"])))  # type: ignore[arg-type]
    samples = _engine(stub.url).generate(GenerationRequest(prompt=PROMPT, n=4))
    assert len(samples) == 4 and len(stub.requests) == 1
    assert all(s.finish_reason == "length" and s.text == "ab" for s in samples)


def test_the_greedy_sample_is_a_request_of_its_own(stub: StubServer) -> None:
    stub.answer = lambda body: (200, {}, completion(["a", "b"], n=int(body["n"])))  # type: ignore[arg-type]
    request = GenerationRequest(prompt=PROMPT, n=4, temperature=0.8, greedy_first=True)
    samples = _engine(stub.url).generate(request)
    assert len(samples) == 4
    assert [(r["n"], r["temperature"]) for r in stub.requests] == [(1, 0.0), (3, 0.8)]


def test_a_server_that_ignores_n_gets_parallel_requests_bounded_in_flight(
    stub: StubServer,
) -> None:
    stub.delay_s = 0.3
    engine = _engine(stub.url, remote_max_in_flight=2)
    samples = engine.generate(GenerationRequest(prompt=PROMPT, n=5, seed=10))
    assert len(samples) == 5
    assert len(stub.requests) == 5  # the n=5 probe drew one, then four single requests
    assert stub.most_active == 2  # in parallel, and never more than the bound
    seeds = sorted(int(r["seed"]) for r in stub.requests[1:])  # type: ignore[call-overload]
    assert len(set(seeds)) == 4  # parallel requests draw different samples
    stub.requests.clear()
    assert len(engine.generate(GenerationRequest(prompt=PROMPT, n=2))) == 2
    assert [r["n"] for r in stub.requests] == [1, 1]  # remembered: no second probe


def test_server_down_at_start_is_a_clear_error_soon() -> None:
    engine = _engine(f"http://127.0.0.1:{free_port()}/v1", remote_model="m")
    started = time.monotonic()
    with pytest.raises(RemoteUnavailable, match=r"connection refused.*Start or check the server"):
        engine.generate(GenerationRequest(prompt=PROMPT))
    assert time.monotonic() - started < 5


def test_a_slow_server_times_out(stub: StubServer) -> None:
    stub.delay_s = 5.0
    engine = _engine(stub.url, remote_timeout_s=0.5, remote_model="m")
    with pytest.raises(RemoteTimeout, match=r"within 0.5 s \(model.remoteTimeoutS\)"):
        engine.generate(GenerationRequest(prompt=PROMPT))
    # A timeout is final (no retry), and the server saw the client give up on its request.
    assert len(stub.requests) == 1
    _wait_for_hangups(1)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html>502 bad gateway</html>", "not JSON"),
        ({"choices": []}, "without choices"),
        ({"choices": [{"text": "x", "logprobs": None}]}, "no log-probabilities"),
        (
            {"choices": [{"text": "x", "logprobs": {"tokens": ["x"], "token_logprobs": []}}]},
            "differ in length",
        ),
        (
            {"choices": [{"text": "x", "logprobs": {"tokens": ["x"], "token_logprobs": ["?"]}}]},
            "not a number",
        ),
    ],
)
def test_malformed_responses_are_named_not_retried(
    stub: StubServer, payload: object, message: str
) -> None:
    stub.answer = lambda body: (200, {}, payload)
    with pytest.raises(RemoteProtocolError, match=message):
        _engine(stub.url, remote_model="m").generate(GenerationRequest(prompt=PROMPT))
    assert len(stub.requests) == 1


def test_429_waits_for_retry_after_then_succeeds(stub: StubServer) -> None:
    answers = iter(
        [(429, {"Retry-After": "1"}, {"error": {"message": "slow down"}})]
        + [(200, {}, completion(["ok"]))] * 3
    )
    stub.answer = lambda body: next(answers)
    started = time.monotonic()
    (sample,) = _engine(stub.url, remote_model="m").generate(GenerationRequest(prompt=PROMPT))
    assert sample.text == "ok"
    assert time.monotonic() - started >= 0.95
    assert len(stub.requests) == 2


def test_429_exhaustion_says_the_server_is_busy(stub: StubServer) -> None:
    stub.answer = lambda body: (429, {"Retry-After": "0"}, {"error": "queue full"})
    engine = _engine(stub.url, remote_model="m", remote_retries=2)
    with pytest.raises(
        RemoteUnavailable, match=r"after 3 tries: server busy \(HTTP 429: queue full"
    ):
        engine.generate(GenerationRequest(prompt=PROMPT))
    assert len(stub.requests) == 3


def test_a_retry_after_too_long_is_not_waited_for(stub: StubServer) -> None:
    stub.answer = lambda body: (503, {"Retry-After": "3600"}, b"maintenance")
    with pytest.raises(RemoteUnavailable, match="retry after 3600 s"):
        _engine(stub.url, remote_model="m", remote_retries=5).generate(
            GenerationRequest(prompt=PROMPT)
        )
    assert len(stub.requests) == 1  # it gave up at once rather than wait or retry


def test_cancel_aborts_the_request_in_flight(stub: StubServer) -> None:
    stub.delay_s = 60.0  # a reply would come far too late to pass for a cancelled one
    engine = _engine(stub.url, remote_model="m")
    cancel = cancel_when(lambda: len(stub.requests) == 1)  # once the request is in flight
    with pytest.raises(GenerationCancelled):
        engine.generate(GenerationRequest(prompt=PROMPT, n=1), cancel)
    _wait_for_hangups(1)  # the server saw the connection close: vLLM aborts there


def test_cancel_keeps_samples_already_drawn(stub: StubServer) -> None:
    cancel = threading.Event()

    def answer(body: dict[str, object]) -> tuple[int, dict[str, str], object]:
        if len(stub.requests) > 1:  # the single requests after the n probe: cancel, then hang
            cancel.set()
            time.sleep(30)
        return 200, {}, completion(["x"])

    stub.answer = answer
    samples = _engine(stub.url, remote_model="m").generate(
        GenerationRequest(prompt=PROMPT, n=3), cancel
    )
    assert [s.finish_reason for s in samples] == ["length", "cancelled", "cancelled"]
    assert samples[0].text == "x"


def test_errors_the_server_explains_are_shown(stub: StubServer) -> None:
    stub.answer = lambda body: (404, {}, {"error": {"message": "model 'x' does not exist"}})
    with pytest.raises(RemoteError, match=r"HTTP 404: model 'x' does not exist.*remoteModel"):
        _engine(stub.url, remote_model="x").generate(GenerationRequest(prompt=PROMPT))


def test_the_api_key_is_sent_and_never_logged(
    stub: StubServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-test-do-not-log-4242"
    monkeypatch.setenv("CODEGEN_TEST_KEY", secret)
    caplog.set_level(logging.DEBUG)
    stub.answer = lambda body: (401, {}, {"error": "bad key"})
    engine = _engine(stub.url, remote_api_key_env="CODEGEN_TEST_KEY", remote_model="m")
    with pytest.raises(RemoteError) as raised:
        engine.generate(GenerationRequest(prompt=PROMPT))
    assert stub.headers[0]["Authorization"] == f"Bearer {secret}"
    assert "remoteApiKeyEnv" in str(raised.value)
    assert secret not in str(raised.value) and secret not in caplog.text
    monkeypatch.delenv("CODEGEN_TEST_KEY")
    with pytest.raises(RemoteError, match=r"\$CODEGEN_TEST_KEY, but it is not set"):
        _engine(stub.url, remote_api_key_env="CODEGEN_TEST_KEY")


def test_the_local_model_takes_over_when_configured(tiny_model_dir: Path) -> None:
    settings = ModelSettings(
        name=str(tiny_model_dir),
        precision="fp32",
        remote_url=f"http://127.0.0.1:{free_port()}",
        remote_model="m",
        remote_retries=0,
        remote_fallback=True,
    )
    engine = load_engine(settings)  # the loader's hook: a remote URL selects RemoteEngine
    assert isinstance(engine, RemoteEngine)
    samples = engine.generate(GenerationRequest(prompt=PROMPT, n=2, max_new_tokens=8, seed=1))
    assert len(samples) == 2 and all(s.token_ids for s in samples)  # local samples carry ids
    assert engine.count_tokens(PROMPT) == load_engine(
        ModelSettings(name=str(tiny_model_dir), precision="fp32")
    ).count_tokens(PROMPT)


def test_scoring_reads_the_echoed_continuation(stub: StubServer) -> None:
    prompt, continuation = "def f():\n    ", "return 1"
    pieces = ["def", " f", "():\n", "    ", "return", " 1", "\n"]  # the last one is drawn
    offsets = [0, 3, 5, 9, 13, 19, 21]
    values = [None, -1.0, -2.0, -3.0, -0.25, -0.5, -4.0]
    echoed = {"tokens": pieces, "token_logprobs": values, "text_offset": offsets}
    text = prompt + continuation + "\n"
    stub.answer = lambda body: (200, {}, {"choices": [{"text": text, "logprobs": echoed}]})
    assert _engine(stub.url, remote_model="m").score(prompt, continuation) == [-0.25, -0.5]
    (sent,) = stub.requests
    assert sent["echo"] is True and sent["prompt"] == prompt + continuation


def test_llama_server_logprob_entries_give_token_ids(stub: StubServer) -> None:
    entries = [
        {"id": 750, "token": "def", "logprob": -0.1},
        {"id": 282, "token": " f", "logprob": -0.2},
        {"id": 4415, "token": "():", "logprob": -0.3},
        {"id": 271, "token": "\n\n", "logprob": -0.4},
    ]
    body = {"text": "def f():\n\n", "finish_reason": "length", "logprobs": {"content": entries}}
    stub.answer = lambda request: (200, {}, {"choices": [body]})
    (sample,) = _engine(stub.url, remote_model="m").generate(
        GenerationRequest(prompt=PROMPT, stop=("\n\n",))
    )
    assert sample.text == "def f():" and sample.finish_reason == "stop"
    assert sample.token_ids == [750, 282, 4415] and sample.logprobs == [-0.1, -0.2, -0.3]
