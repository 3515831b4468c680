"""Hostile candidates: each one tries to escape, harm or hang, and each must be contained.

Every sample is a function ``f()`` that returns ``"escaped"`` when its attack worked, run with the
example ``f() == "escaped"``; the sample must not pass, and the test checks the side effects
itself: its files (and a fake ``~/.ssh``) are intact and unread, a listener on 127.0.0.1 received
nothing, the test process is alive, and the worker still runs an honest candidate afterwards.
Each sample runs at every isolation level this machine offers (bubblewrap in CI), so the seccomp
and rlimit layers are shown to hold on their own at level ``none``; and again under a project's
virtualenv interpreter, with the project folder shown read-only, at ``bubblewrap`` and ``none``
(the two ways files are guarded: binds, and Landlock alone).
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from codegen_lsp.sandbox.examples import extract_examples
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.sandbox.types import CandidateRun
from codegen_lsp.settings import SandboxSettings
from support.sandbox_support import PROJECT_LIBRARY, ProjectVenv, available_levels

SECRET = "SECRET-KEY-4f1c9e"
TIMEOUT_S = 2.0
ATTACK = extract_examples('>>> f()\n"escaped"\n', "f")
HONEST = "def f():\n    return 'escaped'\n"
PLANTED = "codegen_lsp_planted.py"
PROJECT_LEVELS = ["bubblewrap", "none"]


class Listener:
    """A TCP and a UDP socket on 127.0.0.1 and a Unix datagram socket in a temporary folder,
    which record anything that reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.tcp.settimeout(0.2)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.2)
        # A local service's socket (as syslog's /dev/log): a socket pair, which asyncio needs
        # and so is allowed, must not send to it by address.
        self.unix_folder = tempfile.mkdtemp(prefix="codegen-lsp-listener-")
        self.unix_path = os.path.join(self.unix_folder, "service.sock")
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.unix.bind(self.unix_path)
        os.chmod(self.unix_path, 0o777)
        self.unix.settimeout(0.2)
        self.received: list[str] = []
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._serve_tcp, daemon=True),
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._serve_unix, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    @property
    def tcp_port(self) -> int:
        return int(self.tcp.getsockname()[1])

    @property
    def udp_port(self) -> int:
        return int(self.udp.getsockname()[1])

    def _serve_tcp(self) -> None:
        while not self.stop.is_set():
            try:
                connection, peer = self.tcp.accept()
            except OSError:
                continue
            self.received.append(f"tcp connection from {peer}")
            connection.close()

    def _serve_udp(self) -> None:
        while not self.stop.is_set():
            try:
                data, peer = self.udp.recvfrom(65536)
            except OSError:
                continue
            self.received.append(f"udp {data!r} from {peer}")

    def _serve_unix(self) -> None:
        while not self.stop.is_set():
            try:
                data = self.unix.recv(65536)
            except OSError:
                continue
            self.received.append(f"unix datagram {data!r}")

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=2)
        self.tcp.close()
        self.udp.close()
        self.unix.close()
        shutil.rmtree(self.unix_folder, ignore_errors=True)


@dataclass
class Victim:
    """What the candidates attack: user files, a fake ~/.ssh, a listener, this process."""

    root: Path
    home: Path
    files: dict[Path, bytes]
    modes: dict[Path, int]
    listener: Listener
    test_pid: int
    planted: list[Path]
    """Where a candidate would plant a module for later runs: each site-packages."""

    def intact(self) -> list[str]:
        problems = []
        for path, content in self.files.items():
            if not path.exists():
                problems.append(f"{path} was deleted")
            elif path.read_bytes() != content:
                problems.append(f"{path} was changed")
            elif stat.S_IMODE(path.stat().st_mode) != self.modes[path]:
                problems.append(f"{path} mode was changed")
        extra = {p for p in self.root.rglob("*") if p.is_file()} - set(self.files)
        problems += [f"{path} was created" for path in sorted(extra)]
        if Path("/tmp/codegen-lsp-pwned").exists():
            problems.append("/tmp/codegen-lsp-pwned was created")
        problems += [f"{path} was created" for path in self.planted if path.exists()]
        problems += self.listener.received
        return problems


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory, project_venv: ProjectVenv) -> Iterator[Victim]:
    # A sibling of the project virtualenv's folder, and never shown to candidates (its project
    # folder is, to the sandboxes under the project's interpreter, read-only).
    root = tmp_path_factory.mktemp("victim")
    home = root / "home"
    (home / ".ssh").mkdir(parents=True)
    files = {
        home / ".ssh" / "id_rsa": SECRET.encode(),
        root / "important.txt": b"the user's work\n",
        root / "secret.txt": SECRET.encode(),
        root / "project" / "main.py": b"print('hello')\n",
    }
    venv_purelib = subprocess.run(
        [
            str(project_venv.python),
            "-I",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    planted = [Path(sysconfig.get_paths()["purelib"]) / PLANTED, Path(venv_purelib) / PLANTED]
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in files}
    listener = Listener()
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)  # even a leaked environment would point at the fake home
    try:
        yield Victim(root, home, files, modes, listener, os.getpid(), planted)
    finally:
        listener.close()
        if old_home is not None:
            os.environ["HOME"] = old_home


@pytest.fixture(scope="module")
def sandboxes(victim: Victim) -> Iterator[dict[str, Sandbox]]:
    boxes = {
        level: Sandbox(SandboxSettings(level=level, timeout_s=TIMEOUT_S, memory_mb=256, workers=1))
        for level in available_levels()
    }
    yield boxes
    for box in boxes.values():
        box.close()


@pytest.fixture(scope="module")
def project_sandboxes(victim: Victim, project_venv: ProjectVenv) -> Iterator[dict[str, Sandbox]]:
    """Sandboxes under the project's virtualenv, showing its project folder (read-only)."""
    levels = [level for level in PROJECT_LEVELS if level in available_levels()]
    boxes = {
        level: Sandbox(
            SandboxSettings(level=level, timeout_s=TIMEOUT_S, memory_mb=256, workers=1),
            project_paths=[str(victim.root / "project")],
            python=str(project_venv.python),
        )
        for level in levels
    }
    yield boxes
    for box in boxes.values():
        box.close()


def files_guarded(box: Sandbox) -> bool:
    return box.isolation == "bubblewrap" or box.describe()["landlock"] > 0


@dataclass(frozen=True)
class Hostile:
    name: str
    body: str
    """The body of ``f`` (indented by 4), formatted with {root}, {home}, {tcp}, {udp}, {pid}."""
    needs_pid_namespace: bool = False
    needs_file_guard: bool = False
    passing_is_escape: bool = True
    """False where the attack "works" inside the sandbox's private space (its own /tmp)."""
    check: Callable[[CandidateRun], str | None] | None = None


def no_secret(run: CandidateRun) -> str | None:
    for result in run.results:
        text = f"{result.actual_repr} {result.stdout} {result.exception}"
        if SECRET in text or "important.txt" in text:
            return f"leaked: {text[:200]}"
    return None


def small_output(run: CandidateRun) -> str | None:
    for result in run.results:
        if len(result.stdout) > 10_000 or len(result.actual_repr or "") > 10_000:
            return "output was not capped"
    return None


def out_of_memory(run: CandidateRun) -> str | None:
    """The memory limit stopped it: a MemoryError, not the clock (zeroing gigabytes is slow)."""
    result = run.results[0]
    if result.exception and result.exception.startswith("MemoryError"):
        return None
    return f"not a MemoryError: {result.status} {result.exception}"


def refused(run: CandidateRun) -> str | None:
    """The attack's first step raised (the limit cannot be lifted), before any time ran out."""
    result = run.results[0]
    if result.status == "error" and result.exception and "MemoryError" not in result.exception:
        return None
    return f"not refused: {result.status} {result.exception}"


def timed_out(run: CandidateRun) -> str | None:
    return None if run.results[0].status == "timeout" else f"not a timeout: {run.results[0]}"


SAMPLES = [
    # --- files -----------------------------------------------------------------------------------
    Hostile(
        "write outside tmp",
        "open('{root}/pwned.txt', 'w').write('x')\n    return 'escaped'",
        needs_file_guard=True,
    ),
    Hostile(
        "overwrite a user file",
        "open('{root}/important.txt', 'w').write('gone')\n    return 'escaped'",
        needs_file_guard=True,
    ),
    Hostile(
        "delete a user file",
        "os.remove('{root}/important.txt')\n    return 'escaped'",
        needs_file_guard=True,
    ),
    Hostile(
        "delete a directory tree",
        "shutil.rmtree('{root}/project')\n    return 'escaped'",
        needs_file_guard=True,
    ),
    Hostile(
        "rename a user file",
        "os.rename('{root}/important.txt', '{root}/x')\n    return 'escaped'",
        needs_file_guard=True,
    ),
    Hostile("chmod a user file", "os.chmod('{root}/important.txt', 0)\n    return 'escaped'"),
    Hostile(
        "write through a symlink",
        "os.symlink('{root}/important.txt', 'link')\n"
        "    open('link', 'w').write('gone')\n    return 'escaped'",
        needs_file_guard=True,
    ),
    Hostile(
        "write to the shared /tmp",
        "open('/tmp/codegen-lsp-pwned', 'w').write('x')\n    return 'escaped'",
        needs_file_guard=True,
        passing_is_escape=False,
    ),
    Hostile(
        "write into the project folder",
        "open('{root}/project/evil.py', 'w').write('x')\n    return 'escaped'",
        needs_file_guard=True,
    ),
    Hostile(
        "plant a module in site-packages for later runs",
        "import sysconfig\n"
        "    open(os.path.join(sysconfig.get_paths()['purelib'], '" + PLANTED + "'), 'w')\n"
        "    return 'escaped'",
        needs_file_guard=True,
    ),
    Hostile(
        "read a secret in a sibling folder of the project",
        "return open('{root}/secret.txt').read()",
        needs_file_guard=True,
        check=no_secret,
    ),
    Hostile(
        "read ~/.ssh by path",
        "return open('{home}/.ssh/id_rsa').read()",
        needs_file_guard=True,
        check=no_secret,
    ),
    Hostile(
        "read ~/.ssh through HOME",
        "return open(os.path.expanduser('~/.ssh/id_rsa')).read()",
        check=no_secret,
    ),
    Hostile(
        "list the user's directory",
        "return str(os.listdir('{root}')) + str(os.listdir('{home}/.ssh'))",
        needs_file_guard=True,
        check=no_secret,
    ),
    Hostile(
        "read the test process's environment",
        "return open('/proc/{pid}/environ').read()",
        needs_file_guard=True,
        check=no_secret,
    ),
    # --- network ---------------------------------------------------------------------------------
    Hostile(
        "tcp connect to a local listener",
        "s = socket.create_connection(('127.0.0.1', {tcp}), timeout=1)\n"
        "    s.sendall(b'stolen')\n    return 'escaped'",
    ),
    Hostile(
        "udp datagram to a local listener",
        "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', {udp}))\n"
        "    return 'escaped'",
    ),
    Hostile(
        "datagram to a local unix socket through a socket pair",
        "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
        "    a.sendto(b'stolen', '{unix}')\n    return 'escaped'",
    ),
    Hostile(
        "http request with urllib",
        "import urllib.request\n"
        "    urllib.request.urlopen('http://127.0.0.1:{tcp}/', timeout=1)\n    return 'escaped'",
    ),
    Hostile(
        "raw socket syscall through ctypes",
        "libc = ctypes.CDLL(None)\n"
        "    return 'escaped' if libc.socket(2, 1, 0) >= 0 else 'blocked'",
    ),
    # --- processes -------------------------------------------------------------------------------
    Hostile("fork bomb", "while True:\n        os.fork()\n    return 'escaped'"),
    Hostile(
        "os.exec*",
        "os.execv('/bin/sh', ['sh', '-c', 'touch {root}/pwned.txt'])\n    return 'escaped'",
    ),
    Hostile(
        "os.system",
        "return 'escaped' if os.system('touch {root}/pwned.txt') == 0 else 'blocked'",
    ),
    Hostile(
        "subprocess",
        "subprocess.run(['touch', '{root}/pwned.txt'], check=True)\n    return 'escaped'",
    ),
    Hostile(
        "posix_spawn",
        "os.posix_spawn('/usr/bin/touch', ['touch', '{root}/pwned.txt'], {{}})\n"
        "    return 'escaped'",
    ),
    Hostile(
        "multiprocessing",
        "import multiprocessing\n    p = multiprocessing.Process(target=print)\n"
        "    p.start()\n    return 'escaped'",
    ),
    Hostile(
        "fork through ctypes",
        "libc = ctypes.CDLL(None)\n    pid = libc.fork()\n"
        "    if pid == 0:\n        libc._exit(0)\n    return 'escaped' if pid > 0 else 'blocked'",
    ),
    Hostile(
        "ptrace the parent through ctypes",
        "libc = ctypes.CDLL(None)\n"
        "    return 'escaped' if libc.ptrace(16, os.getppid(), 0, 0) == 0 else 'blocked'",
    ),
    Hostile(
        "write the parent's memory through /proc",
        "open('/proc/%d/mem' % os.getppid(), 'wb').write(b'x')\n    return 'escaped'",
    ),
    Hostile("segfault with ctypes", "ctypes.string_at(0)\n    return 'escaped'"),
    # --- signals ---------------------------------------------------------------------------------
    Hostile("SIGKILL the parent", "os.kill(os.getppid(), signal.SIGKILL)\n    return 'escaped'"),
    Hostile("SIGKILL the test process", "os.kill({pid}, signal.SIGKILL)\n    return 'escaped'"),
    Hostile("SIGKILL the process group", "os.killpg(0, signal.SIGKILL)\n    return 'escaped'"),
    Hostile(
        "SIGKILL every process",
        "os.kill(-1, signal.SIGKILL)\n    return 'escaped'",
        needs_pid_namespace=True,
    ),
    Hostile(
        "tgkill the parent through ctypes",
        "libc = ctypes.CDLL(None)\n"
        "    return 'escaped' if libc.syscall(234, os.getppid(), os.getppid(), 9) == 0 "
        "else 'blocked'",
    ),
    # --- resources -------------------------------------------------------------------------------
    Hostile(
        "memory bomb", "x = bytearray(8 * 1024 ** 3)\n    return 'escaped'", check=out_of_memory
    ),
    Hostile(
        "growing memory bomb",
        "chunks = []\n    while True:\n        chunks.append(bytearray(64 * 1024 ** 2))\n"
        "    return 'escaped'",
        check=out_of_memory,
    ),
    Hostile(
        "raise the memory limit first",
        "resource.setrlimit(resource.RLIMIT_AS, (-1, -1))\n"
        "    x = bytearray(8 * 1024 ** 3)\n    return 'escaped'",
        check=refused,
    ),
    Hostile("infinite loop", "while True:\n        pass", check=timed_out),
    Hostile(
        "infinite loop that swallows the timeout",
        "while True:\n        try:\n            while True:\n                pass\n"
        "        except BaseException:\n            pass",
        check=timed_out,
    ),
    Hostile(
        "ignore the alarm signal",
        "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    while True:\n        pass",
        check=timed_out,
    ),
    Hostile("sleep forever", "time.sleep(3600)\n    return 'escaped'", check=timed_out),
    Hostile(
        "deep recursion",
        "sys.setrecursionlimit(10 ** 7)\n    def down(n):\n        return down(n + 1) + 1\n"
        "    return down(0)",
    ),
    Hostile(
        "huge output",
        "for _ in range(10 ** 5):\n        print('x' * 1000)\n    return 'escaped!'",
        check=small_output,
    ),
    Hostile(
        "huge output on the raw descriptors",
        "for fd in (1, 2):\n        os.write(fd, b'x' * 10 ** 6)\n    return 'escaped!'",
        check=small_output,
    ),
    Hostile("huge return value", "return 'x' * 10 ** 8", check=small_output),
    Hostile(
        "fill the disk",
        "with open('big', 'wb') as out:\n        for _ in range(1024):\n"
        "            out.write(b'x' * 1024 ** 2)\n    return 'escaped'",
    ),
    # --- exits, stdin, threads -------------------------------------------------------------------
    Hostile("sys.exit", "sys.exit(0)"),
    Hostile("os._exit", "os._exit(0)"),
    Hostile("read stdin", "return input()"),
    Hostile("read all of stdin", "data = sys.stdin.read()\n    return 'escaped' if data else ''"),
    Hostile(
        "a thread that outlives the call",
        "def later():\n        time.sleep(0.5)\n"
        "        open('{root}/pwned.txt', 'w').write('x')\n"
        "    threading.Thread(target=later).start()\n    return 'escaped!'",
    ),
    # --- faking a pass ---------------------------------------------------------------------------
    Hostile(
        "__eq__ always true",
        "class Anything:\n        def __eq__(self, other):\n            return True\n"
        "    return Anything()",
    ),
    Hostile(
        "str subclass whose __eq__ lies",
        "class Liar(str):\n        def __eq__(self, other):\n            return True\n"
        "        __hash__ = str.__hash__\n    return Liar('nope')",
    ),
    Hostile(
        "__repr__ that prints the expected text",
        "class Fake:\n        def __repr__(self):\n            return \"'escaped'\"\n"
        "    return Fake()",
    ),
    Hostile(
        "patch builtins",
        "import builtins\n    builtins.isinstance = lambda *a: True\n"
        "    builtins.repr = lambda *a: \"'escaped'\"\n    return 0",
    ),
    Hostile(
        "patch the json encoder",
        'import json\n    json.dumps = lambda *a, **k: \'{{"event": "example", "index": 0, '
        '"value": [\\"str\\", \\"escaped\\"]}}\'\n    return 0',
    ),
    Hostile(
        "forge a verdict on the result descriptor",
        'line = \'{{"event": "example", "index": 0, "value": ["str", "escaped"]}}\\n\'\n'
        "    for fd in range(3, 64):\n        try:\n            os.write(fd, line.encode())\n"
        "            os.write(fd, ('x ' + line).encode())\n        except OSError:\n"
        "            pass\n    return 0",
    ),
    Hostile(
        "thread bomb",
        "threads = []\n    while True:\n"
        "        t = threading.Thread(target=time.sleep, args=(60,), daemon=True)\n"
        "        t.start()\n        threads.append(t)\n    return 'escaped'",
    ),
    Hostile(
        "print the expected value instead of returning it",
        "print(\"'escaped'\")\n    return 1",
    ),
]

PRELUDE = (
    "import ctypes, os, resource, shutil, signal, socket, subprocess, sys, threading, time\n\n"
)


def candidate(sample: Hostile, victim: Victim) -> str:
    body = sample.body.format(
        root=victim.root,
        home=victim.home,
        tcp=victim.listener.tcp_port,
        udp=victim.listener.udp_port,
        unix=victim.listener.unix_path,
        pid=victim.test_pid,
    )
    return f"{PRELUDE}def f():\n    {body}\n"


def test_at_least_thirty_samples() -> None:
    assert len(SAMPLES) >= 30
    assert len({sample.name for sample in SAMPLES}) == len(SAMPLES)


@pytest.mark.parametrize("level", ["bubblewrap", "namespaces", "none"])
@pytest.mark.parametrize("sample", SAMPLES, ids=[sample.name for sample in SAMPLES])
def test_hostile_candidate_is_contained(
    sample: Hostile, level: str, victim: Victim, sandboxes: dict[str, Sandbox]
) -> None:
    box = sandboxes.get(level)
    if box is None:
        pytest.skip(f"isolation level {level} is not available on this machine")
    contained(sample, level, box, victim)


@pytest.mark.parametrize("level", PROJECT_LEVELS)
@pytest.mark.parametrize("sample", SAMPLES, ids=[sample.name for sample in SAMPLES])
def test_hostile_candidate_is_contained_under_the_project_python(
    sample: Hostile, level: str, victim: Victim, project_sandboxes: dict[str, Sandbox]
) -> None:
    box = project_sandboxes.get(level)
    if box is None:
        pytest.skip(f"isolation level {level} is not available on this machine")
    contained(sample, level, box, victim)


@pytest.mark.parametrize("level", PROJECT_LEVELS)
def test_the_project_python_sees_its_library_and_project_read_only(
    level: str, victim: Victim, project_venv: ProjectVenv, project_sandboxes: dict[str, Sandbox]
) -> None:
    # What the attacks above are denied is not simply absent: the project is there to read.
    box = project_sandboxes.get(level)
    if box is None:
        pytest.skip(f"isolation level {level} is not available on this machine")
    code = (
        f"import sys, {PROJECT_LIBRARY}\n\n\ndef f():\n"
        f"    return (sys.prefix, open('{victim.root}/project/main.py').read())\n"
    )
    expected = repr((str(project_venv.root), "print('hello')\n"))
    run = box.run(code, "f", extract_examples(f">>> f()\n{expected}\n", "f"))
    assert run.passed == 1, run


def contained(sample: Hostile, level: str, box: Sandbox, victim: Victim) -> None:
    """Run ``sample`` in ``box`` and check that nothing escaped (see the module docstring)."""
    if sample.needs_pid_namespace and level == "none":
        pytest.skip("would signal every process of this user if seccomp failed")
    if sample.needs_file_guard and not files_guarded(box):
        pytest.skip("neither bubblewrap nor Landlock: the log says files are unprotected")
    started = time.monotonic()
    run = box.run(candidate(sample, victim), "f", ATTACK)
    elapsed = time.monotonic() - started
    assert os.getpid() == victim.test_pid
    assert run.total == 1
    if sample.passing_is_escape:
        assert run.results[0].status != "passed", run.results[0]
    assert elapsed < TIMEOUT_S + 6, f"took {elapsed:.1f}s"
    if sample.check is not None:
        assert sample.check(run) is None, sample.check(run)
    time.sleep(0.05 if "thread" not in sample.name else 1.0)
    assert victim.intact() == []
    honest = box.run(HONEST, "f", ATTACK)
    assert honest.passed == 1, honest


def test_log_says_plainly_what_is_weaker(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING")
    with Sandbox(SandboxSettings(level="none")) as box:
        assert box.isolation == "none"
    text = caplog.text
    assert "weaker than bubblewrap" in text
    assert "seccomp still denies sockets, exec, new processes" in text
