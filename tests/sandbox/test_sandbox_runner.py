"""The sandbox's verdicts, records, signatures, cache and threading, on real workers."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest
from codegen_lsp.execution import describe_failure
from codegen_lsp.sandbox import isolation
from codegen_lsp.sandbox.examples import extract_examples
from codegen_lsp.sandbox.record import execution_record, execution_signature
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.sandbox.types import Example
from codegen_lsp.settings import SandboxSettings
from support.sandbox_support import available_levels


def statuses(sandbox: Sandbox, code: str, docstring: str, name: str = "f") -> list[str]:
    run = sandbox.run(code, name, extract_examples(docstring, name))
    return [result.status for result in run.results]


def test_passed_failed_error_and_expected_exception(sandbox: Sandbox) -> None:
    doc = """
    >>> f(2)
    4
    >>> f(3)
    10
    >>> f('x')
    Traceback (most recent call last):
    TypeError: unsupported
    >>> f(None)
    0
    """
    code = "def f(x):\n    if x is None:\n        raise ValueError('no')\n    return x * x + 0\n"
    run = sandbox.run(code, "f", extract_examples(doc, "f"))
    assert [r.status for r in run.results] == ["passed", "failed", "passed", "error"]
    assert run.results[1].actual_repr == "9"
    assert run.results[1].actual_type == "int"
    assert run.results[2].exception is not None
    assert run.results[2].exception.startswith("TypeError")
    assert run.results[3].exception == "ValueError: no"
    assert run.passed == 2 and run.total == 4
    assert run.isolation == sandbox.isolation
    doc_raises = ">>> f(2)\nTraceback (most recent call last):\nTypeError: can't\n"
    assert statuses(sandbox, code, doc_raises) == ["failed"]


def test_timeout_is_reported_per_example(sandbox: Sandbox) -> None:
    code = "def f(x):\n    while x:\n        pass\n    return 1\n"
    doc = "f(0) == 1\nf(1) == 1\nf(0) == 1\n"
    assert statuses(sandbox, code, doc) == ["passed", "timeout", "timeout"]


def test_a_call_with_its_own_time_limit_stops_alone(sandbox: Sandbox) -> None:
    # Without its own limit the loop on f(1) takes the rest of the run's time, and every later
    # call times out with it; with one, the calls after it still run.
    code = "def f(x):\n    while x:\n        pass\n    return 1\n"
    calls = ["f(1)", "f(0)", "f(0)"]
    capped = [Example(call=c, expected=None, line=0, kind="probe", timeout_s=0.3) for c in calls]
    started = time.monotonic()
    run = sandbox.run(code, "f", capped)
    assert [r.status for r in run.results] == ["timeout", "passed", "passed"]
    assert time.monotonic() - started < sandbox.settings.timeout_s
    uncapped = [Example(call=c, expected=None, line=0, kind="probe") for c in calls]
    assert [r.status for r in sandbox.run(code, "f", uncapped).results] == ["timeout"] * 3


LYING_BYTES = (
    "type('B', (bytes,), {'__bytes__': lambda s: b'lie', '__eq__': lambda s, o: True})(b'x')"
)
LYING_COMPLEX = "type('C', (complex,), {'real': 9.0, '__complex__': lambda s: 9j})(1, 2)"


@pytest.mark.parametrize(
    ("returned", "expected", "status"),
    [
        ("0.1 + 0.2", "0.3", "passed"),
        ("1 / 3", "0.333333", "passed"),
        ("1 / 3", "0.33", "failed"),
        ("6.0", "6", "passed"),
        ("1", "True", "failed"),
        ("True", "1", "failed"),
        ("[1, 2]", "(1, 2)", "failed"),
        ("{'b': 2, 'a': 1}", "{'a': 1, 'b': 2}", "passed"),
        ("{3, 1, 2}", "{1, 2, 3}", "passed"),
        ("float('nan')", "float('nan')", "passed"),
        ("'abc'", "'abc'", "passed"),
        ("'abc'", "'abd'", "failed"),
        ("None", "None", "passed"),
        ("b'x'", "b'x'", "passed"),
        ("2 ** 200", "2 ** 200", "passed"),
        ("(1, [2.0000000001, {'k': None}])", "(1, [2, {'k': None}])", "passed"),
        # Subclasses are read through the base type: what they override never speaks.
        (LYING_BYTES, "b'x'", "passed"),
        (LYING_BYTES, "b'lie'", "failed"),
        (LYING_COMPLEX, "1 + 2j", "passed"),
        (LYING_COMPLEX, "9 + 2j", "failed"),
    ],
)
def test_comparison_rules(sandbox: Sandbox, returned: str, expected: str, status: str) -> None:
    code = f"def f():\n    return {returned}\n"
    assert statuses(sandbox, code, f"f() == {expected}\n") == [status]


def test_doctest_output_forms(sandbox: Sandbox) -> None:
    doc = """
    >>> f(3)
    a b c
    >>> f(2)  # doctest: +NORMALIZE_WHITESPACE
    a      b
    >>> g()  # doctest: +ELLIPSIS
    <object ...>
    >>> h()
    7
    >>> for n in (1, 2):
    ...     f(n)
    a
    a b
    """
    code = (
        "def f(n):\n    print(' '.join('abc'[:n]))\n"
        "class O:\n    def __repr__(self):\n        return '<object at 0x1>'\n"
        "def g():\n    return O()\n"
        "def h():\n    print(7)\n"
    )
    assert statuses(sandbox, code, doc) == ["passed"] * 5


def test_setup_statements_and_module_names_in_expected(sandbox: Sandbox) -> None:
    doc = """
    >>> xs = [3, 1, 2]
    >>> f(xs)
    [1, 2, 3]
    >>> f(xs) == SORTED
    True

    f([2, 1]) == [1, 2]
    """
    code = "SORTED = [1, 2, 3]\ndef f(xs):\n    return sorted(xs)\n"
    run = sandbox.run(code, "f", extract_examples(doc, "f"))
    assert [r.status for r in run.results] == ["passed", "passed", "passed"]
    assert run.results[0].example.setup == ("xs = [3, 1, 2]",)


def test_code_that_does_not_run(sandbox: Sandbox) -> None:
    examples = extract_examples("f(1) == 1\nf(2) == 2\n", "f")
    broken = sandbox.run("def f(x) return x\n", "f", examples)
    assert broken.error is not None and broken.error.startswith("SyntaxError")
    assert [r.status for r in broken.results] == ["error", "error"]
    missing = sandbox.run("def g(x):\n    return x\n", "f", examples)
    assert missing.error is not None and "no function 'f'" in missing.error
    importing = sandbox.run("import not_a_module_xyz\ndef f(x):\n    return x\n", "f", examples)
    assert importing.error is not None and "ModuleNotFoundError" in importing.error
    assert execution_record(importing).startswith("ERROR: ModuleNotFoundError")


def test_stdout_is_captured_per_example(sandbox: Sandbox) -> None:
    code = "def f(x):\n    print('seen', x)\n    return x\n"
    run = sandbox.run(code, "f", extract_examples("f(1) == 1\nf(2) == 2\n", "f"))
    assert [r.stdout for r in run.results] == ["seen 1\n", "seen 2\n"]


def test_execution_record_is_lever_format(sandbox: Sandbox) -> None:
    doc = "f(1) == 1\nf(0) == 0\nf('a') == 'a'\n"
    code = "def f(x):\n    return 10 // x\n"
    run = sandbox.run(code, "f", extract_examples(doc, "f"))
    assert execution_record(run).splitlines() == [
        "# return: (int)=10",
        "ERROR: ZeroDivisionError: integer division or modulo by zero",
        "ERROR: TypeError: unsupported operand type(s) for //: 'int' and 'str'",
    ]
    assert execution_signature(run) is None


def test_signature_groups_equal_behaviour_and_never_errors() -> None:
    doc = "f([3, 1]) == {1, 3}\nf([]) == set()\n"
    examples = extract_examples(doc, "f")
    with Sandbox(SandboxSettings(workers=2)) as box:
        codes = [
            "def f(xs):\n    return set(xs)\n",
            "def f(xs):\n    s = set()\n    for x in reversed(xs):\n"
            "        s.add(x)\n    return s\n",
            "def f(xs):\n    return {str(x) for x in xs}\n",
            "def f(xs):\n    return set(xs) if xs else 1 / 0\n",
            "def f(xs):\n    return set(xs) if xs else 1 / 0\n\n",
        ]
        runs = box.run_many(codes, "f", examples)
    signatures = [execution_signature(run) for run in runs]
    assert signatures[0] is not None
    assert signatures[0] == signatures[1]
    assert signatures[2] not in (None, signatures[0])
    assert signatures[3] is None and signatures[4] is None
    assert execution_record(runs[0]).splitlines() == [
        "# return: (set)={1, 3}",
        "# return: (set)=set()",
    ]


def test_string_sets_get_the_same_signature_in_different_workers() -> None:
    # Each worker process has its own string-hash seed, so set iteration order differs.
    examples = [Example(call="f()", expected=None, line=1, expected_output="x\n")]
    code = "def f():\n    return {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'}\n"
    signatures = set()
    for _ in range(3):
        with Sandbox(SandboxSettings(workers=1)) as box:
            signatures.add(execution_signature(box.run(code, "f", examples)))
    assert len(signatures) == 1 and None not in signatures


def test_cache_by_code_and_examples(sandbox: Sandbox) -> None:
    examples = extract_examples("f(1) == 2\n", "f")
    code = "def f(x):\n    return x + 1\n"
    first = sandbox.run(code, "f", examples)
    assert sandbox.run(code, "f", examples) is first
    other = sandbox.run(code, "f", extract_examples("f(2) == 3\n", "f"))
    assert other is not first and other.passed == 1


def test_run_many_keeps_order_reports_progress_and_cancels() -> None:
    examples = extract_examples("f(2) == 4\n", "f")
    codes = [f"def f(x):\n    return x * {i}\n" for i in range(12)]
    seen: list[tuple[int, int]] = []
    with Sandbox(SandboxSettings(workers=2)) as box:
        runs = box.run_many(codes, "f", examples, progress=lambda d, t, _: seen.append((d, t)))
        assert [run.passed for run in runs] == [int(i == 2) for i in range(12)]
        assert sorted(seen) == [(i, 12) for i in range(1, 13)]
        cancel = threading.Event()
        cancel.set()
        cancelled = box.run_many(codes[:3], "f", examples, cancel=cancel)
    assert all(run.error == "cancelled" for run in cancelled)


def test_usable_from_threads_without_touching_signals() -> None:
    before = signal.getsignal(signal.SIGALRM)
    examples = extract_examples("f(3) == 9\n", "f")
    results: list[int] = []
    errors: list[BaseException] = []
    with Sandbox(SandboxSettings(workers=2)) as box:

        def worker(i: int) -> None:
            try:
                run = box.run(f"def f(x):\n    return x * x + {i} * 0\n", "f", examples)
                results.append(run.passed)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert results == [1] * 8
    assert signal.getsignal(signal.SIGALRM) == before


def test_isolation_is_the_best_available_and_reported(sandbox: Sandbox) -> None:
    assert sandbox.isolation == isolation.best_level("auto")
    report = sandbox.describe()
    assert report["isolation"] == sandbox.isolation
    assert report["seccomp"] is True
    if isolation.available("bubblewrap"):
        assert sandbox.isolation == "bubblewrap" and report["weaker"] == []


def test_closed_sandbox_refuses_clearly() -> None:
    box = Sandbox(SandboxSettings(workers=1))
    box.close()
    run = box.run("def f():\n    return 1\n", "f", extract_examples("f() == 1\n", "f"))
    assert run.error is not None and "closed" in run.error


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    members.append(int(entry))
            except OSError:
                continue
    return members


@pytest.mark.parametrize("level", ["bubblewrap", "namespaces", "none"])
def test_close_kills_every_worker_process(level: str) -> None:
    if not isolation.available(level):
        pytest.skip(f"{level} is not available here")
    box = Sandbox(SandboxSettings(level=level, workers=1))
    box.run("def f():\n    return 1\n", "f", [])
    [pgid] = {worker.process.pid for worker in box._idle.queue}
    assert len(_group_members(pgid)) >= 1
    box.close()
    deadline = time.monotonic() + 5
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group_members(pgid) == []


def test_parent_kills_the_whole_group_when_a_worker_stops_answering() -> None:
    from codegen_lsp.sandbox.runner import WorkerError, _Worker

    worker = _Worker(isolation.best_level("auto"))
    pgid = worker.process.pid
    job = {
        "code": "import time\ndef f():\n    time.sleep(30)\n",
        "function_name": "f",
        "examples": [{"call": "f()", "expected": None, "setup": []}],
        "timeout_s": 30.0,
        "memory_mb": 256,
    }
    started = time.monotonic()
    with pytest.raises(WorkerError) as raised:
        worker.request(job, timeout_s=0.5)
    assert raised.value.timed_out
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 5
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group_members(pgid) == []


def test_a_worker_that_cannot_start_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from codegen_lsp.sandbox import runner

    monkeypatch.setattr(
        runner.isolation, "command", lambda *a, **k: [sys.executable, "-c", "import no_such_mod"]
    )
    with Sandbox(SandboxSettings(level="none", workers=1)) as box:
        run = box.run("def f():\n    return 1\n", "f", extract_examples("f() == 1\n", "f"))
    assert run.error is not None
    assert "sandbox unavailable" in run.error and "no_such_mod" in run.error
    assert run.results[0].status == "error"


@pytest.mark.parametrize("future", ["", "from __future__ import annotations\n"])
def test_a_module_with_a_dataclass_runs_as_written(sandbox: Sandbox, future: str) -> None:
    # Annotations are the candidate's own: the worker's `from __future__ import annotations`
    # must not leak into them, and a module that does import it must still build dataclasses
    # (dataclasses looks the module up in sys.modules).
    code = (
        f"{future}from dataclasses import dataclass, fields\n\n\n"
        "@dataclass\nclass Stats:\n    low: int\n    high: int\n\n\n"
        "def span(s):\n    return s.high - s.low\n\n\n"
        "def kinds():\n    return [type(f.type).__name__ for f in fields(Stats)]\n"
    )
    examples = [
        Example(call="span(Stats(2, 7))", expected="5", line=1),
        Example(
            call="kinds()", expected=repr(["str", "str"] if future else ["type", "type"]), line=2
        ),
    ]
    run = sandbox.run(code, "span", examples)
    assert run.error is None, run.error
    assert [r.status for r in run.results] == ["passed", "passed"], run.results


def test_a_returned_objects_fields_come_back_with_their_types(sandbox: Sandbox) -> None:
    # What the ranking compares with the class's own annotations (`cents: int`).
    code = (
        "import enum\nfrom dataclasses import dataclass\n\n\n"
        "class Kind(enum.Enum):\n    A = 1\n\n\n"
        "@dataclass\nclass Money:\n    cents: int\n    kind: Kind\n    memo: str | None\n\n\n"
        "class Box:\n    def __init__(self):\n"
        "        self.items = [1]\n        self.label = 'x'\n\n\n"
        "def make(rate):\n    return Money(100 * rate, Kind.A, None)\n\n\n"
        "def box():\n    return Box()\n"
    )
    examples = [
        Example(call="make(1.5)", expected=None, kind="probe", line=1),
        Example(call="make(2)", expected=None, kind="probe", line=2),
        Example(call="box()", expected=None, kind="probe", line=3),
        Example(call="[make(2)]", expected=None, kind="probe", line=4),
    ]
    run = sandbox.run(code, "make", examples)
    assert run.error is None, run.error
    floated, whole, boxed, listed = (r.field_types for r in run.results)
    assert floated == (("cents", "float"), ("kind", "Kind"), ("memo", "NoneType")), floated
    assert whole[0] == ("cents", "int")
    assert boxed == (("items", "list"), ("label", "str"))
    # A list's items by position (what `list[Money]` or `list[tuple[str, int]]` says of them).
    assert listed == (("[0]", "Money"),)


@pytest.mark.parametrize("level", available_levels())
def test_what_one_candidate_writes_the_next_never_sees(level: str) -> None:
    # One worker, so both candidates run in the same working directory, one after the other.
    settings = SandboxSettings(level=level, workers=1, timeout_s=3.0, memory_mb=512)  # type: ignore[arg-type]
    writer = (
        "import os\n"
        "def f():\n"
        "    with open('left_behind.txt', 'w') as out:\n"
        "        out.write('secret')\n"
        "    os.makedirs('deep/er', exist_ok=True)\n"
        "    open('deep/er/x', 'w').close()\n"
        "    return sorted(os.listdir('.'))\n"
    )
    reader = "import os\ndef f():\n    return sorted(os.listdir('.'))\n"
    with Sandbox(settings) as box:
        assert box.isolation == level
        wrote = box.run(writer, "f", extract_examples("f() == ['deep', 'left_behind.txt']\n", "f"))
        assert [r.status for r in wrote.results] == ["passed"]
        read = box.run(reader, "f", extract_examples("f() == []\n", "f"))
        assert [r.status for r in read.results] == ["passed"], read.results[0].actual_repr


@pytest.mark.skipif("bubblewrap" not in available_levels(), reason="bubblewrap is not usable here")
def test_bubblewrap_gives_candidates_namespaces_of_their_own() -> None:
    # Seccomp also denies sockets, so the network tests alone would not notice a sandbox that
    # shares the host's network: check each namespace layer for itself.
    kinds = ("net", "pid", "ipc", "uts", "user")
    code = (
        "import os\n"
        "def f():\n"
        f"    return [os.readlink(f'/proc/self/ns/{{kind}}') for kind in {kinds!r}]\n"
    )
    ours = [os.readlink(f"/proc/self/ns/{kind}") for kind in kinds]
    settings = SandboxSettings(level="bubblewrap", workers=1, timeout_s=3.0, memory_mb=512)
    with Sandbox(settings) as box:
        run = box.run(code, "f", extract_examples(f"f() == {ours!r}\n", "f"))
    (result,) = run.results
    assert result.status == "failed", result  # ran, and returned other namespaces
    theirs = eval(result.actual_repr or "[]")  # a list of short strings, repr'd by the worker
    assert len(theirs) == len(kinds)
    for kind, mine, candidate in zip(kinds, ours, theirs, strict=True):
        assert candidate != mine, f"the candidate shares the {kind} namespace"


def test_a_doctest_is_judged_as_doctest_would_when_the_body_prints(sandbox: Sandbox) -> None:
    # doctest compares everything written: debug output before the value fails the example.
    chatty = "def f(x):\n    print('debug', x)\n    return x * 2\n"
    quiet = "def f(x):\n    return x * 2\n"
    printer = "def f(x):\n    print(x * 2)\n"  # prints its answer, returns None: doctest agrees
    doctest_example = ">>> f(2)\n4\n"
    assert statuses(sandbox, chatty, doctest_example) == ["failed"]
    assert statuses(sandbox, quiet, doctest_example) == ["passed"]
    assert statuses(sandbox, printer, doctest_example) == ["passed"]
    # A prose example compares values only, whatever was printed.
    assert statuses(sandbox, chatty, "f(2) == 4\n") == ["passed"]
    # The evidence says what was compared.
    (result,) = sandbox.run(chatty, "f", extract_examples(doctest_example, "f")).results
    assert describe_failure(result) == "`f(2)` printed 'debug 2' and returned 4, expected 4"


def test_a_doctest_s_int_is_not_a_float_as_doctest_reads_it(sandbox: Sandbox) -> None:
    # `python -m doctest` compares text: a body returning 850.0 fails an example showing 850.
    floating = "def f(x):\n    return round(x * 0.85, 0)\n"
    whole = "def f(x):\n    return x * 85 // 100\n"
    assert statuses(sandbox, floating, ">>> f(1000)\n850\n") == ["failed"]
    assert statuses(sandbox, whole, ">>> f(1000)\n850\n") == ["passed"]
    assert statuses(sandbox, floating, ">>> f(1000)\n850.0\n") == ["passed"]
    assert statuses(sandbox, whole, ">>> f(1000)\n850.0\n") == ["failed"]
    # Inside a value too; and a float still equals a float within the tolerance.
    pairs = "def f(x):\n    return [x, x / 3]\n"
    assert statuses(sandbox, pairs, ">>> f(1)\n[1.0, 0.333333333]\n") == ["failed"]
    assert statuses(sandbox, pairs, ">>> f(1)\n[1, 0.333333333]\n") == ["passed"]
    # A prose example is Python's ==, where 850.0 == 850.
    assert statuses(sandbox, floating, "f(1000) == 850\n") == ["passed"]


def test_an_async_function_s_example_runs_its_event_loop(sandbox: Sandbox) -> None:
    # asyncio's loop wakes itself through a Unix socket pair: denied, every `asyncio.run`
    # raised PermissionError and no async body could pass its example.
    code = (
        "import asyncio\n\n\nasync def prices(skus):\n    await asyncio.sleep(0)\n"
        "    doubled = await asyncio.to_thread(lambda: [2 * len(s) for s in skus])\n"
        "    return dict(zip(skus, doubled))\n"
    )
    example = ">>> asyncio.run(prices(['a', 'bc']))\n{'a': 2, 'bc': 4}\n"
    assert statuses(sandbox, code, example, "prices") == ["passed"]


def test_a_doctest_statement_shows_its_expressions_values_as_doctest_does(
    sandbox: Sandbox,
) -> None:
    # doctest runs a statement in "single" mode: `True` inside the `with` block is shown.
    code = "def f(x):\n    return [x]\n"
    shown = ">>> with open('/dev/null') as handle:\n...     f(1) == [1]\nTrue\n"
    assert statuses(sandbox, code, shown) == ["passed"]
    assert statuses(sandbox, code, shown.replace("True\n", "False\n")) == ["failed"]
    # A loop shows each value; None shows nothing.
    loop = ">>> for x in (1, 2):\n...     f(x)\n...     None\n[1]\n[2]\n"
    assert statuses(sandbox, code, loop) == ["passed"]


def test_a_line_before_an_example_that_shows_output_fails_as_under_doctest(
    sandbox: Sandbox,
) -> None:
    # `f(1)` inside the loop shows [1] under doctest, where nothing is written: doctest fails
    # that line. Here the example after it carries the failure, and says why.
    code = "def f(x):\n    return [x]\n"
    echoing = ">>> for x in (1,):\n...     f(x)\n>>> f(2)\n[2]\n"
    run = sandbox.run(code, "f", extract_examples(echoing, "f"))
    (result,) = run.results
    assert result.status == "error"
    assert result.exception == (
        "SetupShowedOutput: a line before it shows '[1]', where doctest expects nothing"
    )
    # A statement that shows nothing (an assignment, a loop of Nones) is a setup as before.
    quiet = ">>> xs = [f(1)]\n>>> for x in (1,):\n...     None\n>>> f(2)\n[2]\n"
    assert statuses(sandbox, code, quiet) == ["passed"]


def test_a_statement_example_runs_outside_any_exception_handler(sandbox: Sandbox) -> None:
    # As under doctest, no exception is being handled while an example runs (run inside the
    # worker's `except SyntaxError`, `sys.exc_info()` saw that SyntaxError).
    code = "import sys\n\n\ndef f():\n    return sys.exc_info()[0]\n"
    loop = ">>> for _ in (1,):\n...     f() is None\nTrue\n"
    assert statuses(sandbox, code, loop) == ["passed"]
