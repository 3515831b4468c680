"""One model per machine: `codegen-lsp serve` shared by several clients over a Unix socket.

A real daemon process (`python -m codegen_lsp serve`) on the tiny exported model; real clients
(:class:`SharedEngine`) in this process and in child processes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from codegen_lsp.engine.daemon import _same_user, socket_path
from codegen_lsp.engine.loader import load_engine
from codegen_lsp.engine.onnx_backend import OnnxEngine
from codegen_lsp.engine.shared import SharedEngine
from codegen_lsp.engine.types import Engine, GenerationCancelled, GenerationRequest, Sample
from codegen_lsp.framing import receive_message, send_message
from codegen_lsp.settings import ModelSettings
from support.remote_stub import cancel_when

PROMPT = "def add(a, b):\n    "


def _settings(model: Path) -> ModelSettings:
    return ModelSettings(name=str(model), precision="fp32", device="cpu", shared=True)


def _no_local() -> Engine:
    raise AssertionError("the client loaded the model in-process although a daemon runs")


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Daemon:
    def __init__(self, process: subprocess.Popen[bytes], path: Path, log_file: Path) -> None:
        self.process = process
        self.path = path
        self.log_file = log_file

    def jobs(self, outcome: str) -> list[str]:
        """The ids of generate jobs that reached ``outcome`` (queued, started, done,
        cancelled), in the order the daemon logged them."""
        text = self.log_file.read_text() if self.log_file.exists() else ""
        return re.findall(rf"client \d+: generate (\S+) {outcome}$", text, re.MULTILINE)

    def wait_for_jobs(self, outcome: str, count: int, timeout: float = 60) -> list[str]:
        _wait_for(lambda: len(self.jobs(outcome)) >= count, timeout, f"{count} jobs {outcome}")
        return self.jobs(outcome)


def _start_daemon(model: Path, idle_timeout: float = 60.0) -> Daemon:
    settings = _settings(model)
    path = socket_path(settings)
    log_file = Path(tempfile.mkdtemp(prefix="codegen-daemon-log-")) / "daemon.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "codegen_lsp",
            "-v",
            "--log-file",
            str(log_file),
            "serve",
            "--model",
            str(model),
            "--precision",
            "fp32",
            "--device",
            "cpu",
            "--idle-timeout",
            str(idle_timeout),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _wait_for(lambda: path.exists() or process.poll() is not None, 60, "the daemon's socket")
    assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
    return Daemon(process, path, log_file)


@pytest.fixture
def daemon(tiny_model_dir: Path, runtime_dir: Path) -> Iterator[Daemon]:
    started = _start_daemon(tiny_model_dir)
    yield started
    if started.process.poll() is None:
        started.process.send_signal(signal.SIGTERM)
        started.process.wait(10)


def _request(
    n: int = 2, max_new_tokens: int = 24, seed: int = 7, **extra: object
) -> GenerationRequest:
    return GenerationRequest(
        prompt=PROMPT,
        n=n,
        max_new_tokens=max_new_tokens,
        seed=seed,
        stop=("\n\n",),
        **extra,  # type: ignore[arg-type]
    )


def test_two_clients_share_one_daemon_and_get_what_the_model_gives(
    daemon: Daemon, tiny_model_dir: Path
) -> None:
    first = SharedEngine(_settings(tiny_model_dir), local=_no_local, autostart=False)
    second = SharedEngine(_settings(tiny_model_dir), local=_no_local, autostart=False)
    assert isinstance(first, Engine)
    assert not first.in_process and not second.in_process
    assert first.name == second.name and first.name.startswith("shared:")

    local = OnnxEngine(tiny_model_dir, device="cpu")
    greedy = _request(n=1, temperature=0.0)
    expected = local.generate(greedy)
    results: dict[str, list[Sample]] = {}

    def draw(label: str, engine: SharedEngine) -> None:
        results[label] = engine.generate(greedy)

    threads = [
        threading.Thread(target=draw, args=(label, engine))
        for label, engine in (("first", first), ("second", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for label in ("first", "second"):
        (sample,) = results[label]
        assert sample.text == expected[0].text
        assert sample.token_ids == expected[0].token_ids
        assert sample.logprobs == pytest.approx(expected[0].logprobs, abs=1e-4)
        assert sample.finish_reason == expected[0].finish_reason
    # The tokenizer-side calls cross the socket too.
    assert first.count_tokens(PROMPT) == local.count_tokens(PROMPT)
    messages = [{"role": "user", "content": "write add"}]
    assert second.chat_prompt(messages) == local.chat_prompt(messages)
    assert first.fim_tokens() == local.fim_tokens()
    assert first.score(PROMPT, "return a + b") == pytest.approx(
        local.score(PROMPT, "return a + b"), abs=1e-4
    )
    first.close()
    second.close()


def test_the_socket_is_private(daemon: Daemon) -> None:
    mode = daemon.path.stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(daemon.path.parent.stat().st_mode) == 0o700
    assert daemon.path.parent.parent == Path(os.environ["XDG_RUNTIME_DIR"])


def test_finished_samples_are_told_across_the_socket(daemon: Daemon, tiny_model_dir: Path) -> None:
    engine = SharedEngine(_settings(tiny_model_dir), local=_no_local, autostart=False)
    told: list[int] = []
    samples = engine.generate(_request(n=3, temperature=1.0, on_sample=told.append))
    assert told == [1, 2, 3] and len(samples) == 3
    engine.close()


def test_cancellation_crosses_the_socket(daemon: Daemon, tiny_model_dir: Path) -> None:
    engine = SharedEngine(_settings(tiny_model_dir), local=_no_local, autostart=False)
    long_request = _request(n=64, max_new_tokens=120, temperature=1.5, seed=3)
    cancel = cancel_when(lambda: len(daemon.jobs("started")) == 1)
    try:
        samples = engine.generate(long_request, cancel)
    except GenerationCancelled:
        samples = []
    # The daemon's engine stopped between steps (its log says so): nothing or some rows
    # marked cancelled came back.
    (started,) = daemon.jobs("started")
    assert daemon.wait_for_jobs("cancelled", 1) == [started]
    assert samples == [] or any(s.finish_reason == "cancelled" for s in samples)
    # The daemon serves the next request normally.
    assert len(engine.generate(_request(n=1))) == 1
    assert len(daemon.jobs("done")) == 1
    engine.close()


def test_a_queued_request_cancelled_never_runs(daemon: Daemon, tiny_model_dir: Path) -> None:
    engine = SharedEngine(_settings(tiny_model_dir), local=_no_local, autostart=False)
    busy = threading.Thread(
        target=engine.generate, args=(_request(n=64, max_new_tokens=120, temperature=1.5),)
    )
    busy.start()
    daemon.wait_for_jobs("started", 1)  # the long job runs; the next one waits in the queue
    cancel = cancel_when(lambda: len(daemon.jobs("queued")) == 2)
    with pytest.raises(GenerationCancelled, match="before it started"):
        engine.generate(_request(n=1), cancel)
    busy.join(60)
    first, _cancelled = daemon.jobs("queued")
    assert daemon.jobs("started") == [first]  # the cancelled one never ran
    assert daemon.jobs("done") == [first]
    engine.close()


def test_clients_are_served_in_turn(daemon: Daemon, tiny_model_dir: Path) -> None:
    greedy_client = SharedEngine(_settings(tiny_model_dir), local=_no_local, autostart=False)
    polite_client = SharedEngine(_settings(tiny_model_dir), local=_no_local, autostart=False)
    finished: list[str] = []
    lock = threading.Lock()

    def draw(label: str, engine: SharedEngine) -> None:
        engine.generate(_request(n=128, max_new_tokens=100, temperature=1.5))
        with lock:
            finished.append(label)

    threads = []
    for index in range(4):  # one client queues four jobs first...
        threads.append(threading.Thread(target=draw, args=(f"greedy{index}", greedy_client)))
        threads[-1].start()
        daemon.wait_for_jobs("queued", index + 1)
    threads.append(threading.Thread(target=draw, args=("polite", polite_client)))
    threads[-1].start()  # ...then the other asks once: it must not wait for all four
    for thread in threads:
        thread.join(60)
    assert len(finished) == 5
    # Round robin: the polite job starts right after the greedy job that was running when it
    # arrived (or after the next one, had that started first), never after all the others.
    # Read in the daemon's own log, from the moment it was queued: how fast the greedy jobs
    # ran while the test queued them (two may be done before the polite one arrives) and in
    # which order the client threads woke up say nothing about the daemon's turns.
    events = re.findall(
        r"client (\d+): generate \S+ (queued|started)$", daemon.log_file.read_text(), re.M
    )
    queued = [(client, kind) for client, kind in events if kind == "queued"]
    polite_client = queued[-1][0]
    arrived = events.index((polite_client, "queued"))
    began = events.index((polite_client, "started"))
    # The greedy jobs are long enough (128 rows) that at least two still wait when it arrives:
    # only then can the order tell round robin from first come, first served.
    waiting = sum(1 if kind == "queued" else -1 for _, kind in events[:arrived])
    assert waiting >= 2, events
    others_started = [client for client, kind in events[arrived:began] if kind == "started"]
    assert len(others_started) <= 1, (events, finished)
    assert len(queued) == 5 and polite_client != queued[0][0]


def test_the_daemon_exits_when_idle(tiny_model_dir: Path, runtime_dir: Path) -> None:
    started = _start_daemon(tiny_model_dir, idle_timeout=1.0)
    engine = SharedEngine(_settings(tiny_model_dir), local=_no_local, autostart=False)
    assert len(engine.generate(_request(n=1))) == 1
    time.sleep(1.5)
    assert started.process.poll() is None, "exited while an editor was connected"
    engine.close()
    assert started.process.wait(15) == 0
    assert not started.path.exists()


def test_no_daemon_falls_back_to_in_process(tiny_model_dir: Path, runtime_dir: Path) -> None:
    settings = _settings(tiny_model_dir)
    loaded: list[Engine] = []

    def local() -> Engine:
        engine = load_engine(ModelSettings(name=str(tiny_model_dir), precision="fp32"))
        loaded.append(engine)
        return engine

    engine = SharedEngine(settings, local=local, autostart=False)
    assert engine.in_process and len(loaded) == 1
    assert len(engine.generate(_request(n=2))) == 2


def test_first_editor_starts_the_daemon_and_a_lost_daemon_is_replaced(
    tiny_model_dir: Path, runtime_dir: Path
) -> None:
    settings = _settings(tiny_model_dir)
    engine = load_engine(settings)  # the loader's hook: model.shared selects SharedEngine
    assert isinstance(engine, SharedEngine) and not engine.in_process
    path = socket_path(settings)
    with socket.socket(socket.AF_UNIX) as probe:
        probe.connect(str(path))
        send_message(probe, {"op": "hello", "id": 1})
        hello = receive_message(probe)
    assert hello is not None
    first_pid = hello["result"]["pid"]
    assert len(engine.generate(_request(n=1))) == 1

    os.kill(first_pid, signal.SIGKILL)  # the daemon dies: the next call starts another
    _wait_for(lambda: not _alive(first_pid), 10, "the daemon to die")
    assert len(engine.generate(_request(n=2))) == 2
    assert not engine.in_process
    with socket.socket(socket.AF_UNIX) as probe:
        probe.connect(str(path))
        send_message(probe, {"op": "hello", "id": 1})
        hello = receive_message(probe)
    assert hello is not None and hello["result"]["pid"] != first_pid
    os.kill(hello["result"]["pid"], signal.SIGTERM)
    engine.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of another process lingers as a zombie until reaped; count it as dead.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_bad_messages_get_an_error_and_the_daemon_keeps_serving(
    daemon: Daemon, tiny_model_dir: Path
) -> None:
    with socket.socket(socket.AF_UNIX) as probe:
        probe.connect(str(daemon.path))
        send_message(probe, {"op": "explode", "id": 5})
        reply = receive_message(probe)
        assert reply is not None and reply["id"] == 5 and "unknown op" in reply["error"]
        send_message(probe, {"op": "generate", "id": 6, "request": {"prompt": ""}})
        reply = receive_message(probe)
        assert reply is not None and reply["id"] == 6 and "prompt is empty" in reply["error"]
        probe.sendall(b"\xff\xff\xff\xff")  # a length over the limit: the daemon hangs up
        assert probe.recv(1) == b""
    engine = SharedEngine(_settings(tiny_model_dir), local=_no_local, autostart=False)
    assert len(engine.generate(_request(n=1))) == 1


def test_the_uid_check_refuses_a_peer_that_is_another_user(monkeypatch: pytest.MonkeyPatch) -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with ours, theirs:
        assert _same_user(ours)
        monkeypatch.setattr(os, "getuid", lambda: os.geteuid() + 1)
        assert not _same_user(ours)


PEER = """
import socket, struct, sys
sock = socket.socket(socket.AF_UNIX)
sock.connect(sys.argv[1])
body = b'{"op": "hello", "id": 1}'
sock.settimeout(10)
try:
    sock.sendall(struct.pack(">I", len(body)) + body)
    print("answered" if sock.recv(4) else "hung up")
except (BrokenPipeError, ConnectionResetError):  # closed before or after our request
    print("hung up")
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists(),
    reason="needs root and setpriv to run a peer as another user",
)
def test_the_daemon_hangs_up_on_another_user_even_when_the_socket_is_open_to_all(
    tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A runtime dir every user can reach, and the socket opened to all after the daemon made it
    # private (a user's chmod, a shared /tmp): the uid check is what still keeps others out.
    runtime = Path(tempfile.mkdtemp(prefix="codegen-peer-", dir="/tmp"))
    runtime.chmod(0o755)
    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    daemon = _start_daemon(tiny_model_dir)
    try:
        daemon.path.parent.chmod(0o777)
        daemon.path.chmod(0o777)
        python = shutil.which("python3", path="/usr/bin:/bin")
        assert python is not None

        def peer(*as_user: str) -> str:
            done = subprocess.run(
                [*as_user, python, "-c", PEER, str(daemon.path)],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout.strip()

        assert peer() == "answered"  # the same user, through the same script
        nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
        assert peer(*nobody) == "hung up"
        assert daemon.process.poll() is None  # refused, and still serving
    finally:
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(10)
        shutil.rmtree(runtime, ignore_errors=True)
        if previous is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous
