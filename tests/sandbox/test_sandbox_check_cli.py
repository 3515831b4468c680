"""``codegen-lsp check``: a user's own docstring examples, run in the sandbox, from the shell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from codegen_lsp.sandbox import isolation

SOURCE = '''import math


def hypot(a, b):
    """Length of the hypotenuse.

    >>> hypot(3, 4)
    5.0
    >>> hypot(1, 1)
    1.5
    """
    return math.sqrt(a * a + b * b)


def shout(text):
    """Upper-case ``text``.

    shout("hi") == "HI"
    """
    return text.upper()


def undocumented(x):
    return x


class Greeter:
    def greet(self, name):
        """Greet.

        >>> Greeter().greet("bo")
        'hello bo'
        """
        return "hello " + name
'''


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen_lsp", "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def module(tmp_path: Path) -> Path:
    path = tmp_path / "geometry.py"
    path.write_text(SOURCE, encoding="utf-8")
    return path


def test_every_function_json(module: Path) -> None:
    completed = check(str(module), "--json")
    assert completed.returncode == 1, completed.stderr
    reports = json.loads(completed.stdout)
    assert [r["function"] for r in reports] == ["hypot", "shout", "Greeter.greet"]
    hypot = reports[0]
    assert hypot["line"] == 4
    assert hypot["isolation"] == isolation.best_level("auto")
    assert [
        (e["call"], e["expected"], e["status"], e["actual"], e["line"]) for e in hypot["examples"]
    ] == [
        ("hypot(3, 4)", "5.0", "passed", "5.0", 7),
        ("hypot(1, 1)", "1.5", "failed", "1.4142135623730951", 9),
    ]
    assert reports[1]["examples"][0]["status"] == "passed"
    assert reports[2]["examples"][0]["status"] == "passed"


def test_function_at_line_text(module: Path) -> None:
    completed = check(f"{module}:19")
    assert completed.returncode == 0, completed.stderr
    assert "shout: 1/1 examples pass" in completed.stdout
    assert 'shout("hi")  PASSED' in completed.stdout
    failing = check(f"{module}:12")
    assert failing.returncode == 1
    assert "hypot: 1/2 examples pass" in failing.stdout
    assert "FAILED: expected 1.5, got 1.4142135623730951" in failing.stdout


def test_function_without_examples_says_so(module: Path) -> None:
    completed = check(f"{module}:24", "--json")
    assert completed.returncode == 0
    [report] = json.loads(completed.stdout)
    assert report["function"] == "undocumented" and report["examples"] == []


def test_isolation_json_names_the_level() -> None:
    completed = check("--isolation", "--json")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["isolation"] in isolation.LEVELS
    assert report["isolation"] == isolation.best_level("auto")
    assert report["seccomp"] is True


def test_bad_input_is_explained(module: Path, tmp_path: Path) -> None:
    missing = check(str(tmp_path / "nope.py"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    outside = check(f"{module}:2")
    assert outside.returncode == 2 and "not inside a function" in outside.stderr
    assert "hypot (line 4)" in outside.stderr
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n    pass\n", encoding="utf-8")
    syntax = check(str(broken))
    assert syntax.returncode == 2 and "fix the syntax" in syntax.stderr


def test_code_can_import_its_own_project_read_only(tmp_path: Path) -> None:
    helpers = tmp_path / "helpers.py"
    helpers.write_text("def double(x):\n    return 2 * x\n", encoding="utf-8")
    main = tmp_path / "main.py"
    main.write_text(
        'from helpers import double\n\n\ndef quad(x):\n    """Quadruple.\n\n'
        '    >>> quad(3)\n    12\n    >>> quad(0)\n    0\n    """\n'
        f"    if x == 0:\n        open({str(helpers)!r}, 'a').write('#')\n"
        "    return double(double(x))\n",
        encoding="utf-8",
    )
    completed = check(str(main), "--json")
    [report] = json.loads(completed.stdout)
    # The import works; writing into the project does not (it is read-only).
    assert report["error"] is None, report
    assert [e["status"] for e in report["examples"]] == ["passed", "error"]
    assert helpers.read_text(encoding="utf-8") == "def double(x):\n    return 2 * x\n"


def test_home_directory_is_never_shared(module: Path) -> None:
    completed = check("--project", str(Path.home()), str(module))
    assert completed.returncode == 2
    assert "home directory" in completed.stderr


def test_stubs_fail_as_written_and_script_lines_do_not_run(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import sys\n\n\n"
        'def todo(x):\n    """Later.\n\n    >>> todo(1)\n    2\n    """\n    ...\n\n\n'
        'sys.exit("the script ran")\n',
        encoding="utf-8",
    )
    completed = check(str(script), "--json")
    assert completed.returncode == 1, completed.stderr
    [report] = json.loads(completed.stdout)
    assert report["function"] == "todo" and report["docstring_line"] == 5
    assert report["error"] is None  # the module ran without its script line
    assert [(e["status"], e["actual"], e["line"]) for e in report["examples"]] == [
        ("failed", "None", 7)
    ]


def test_an_expected_none_passes_but_says_that_doctest_fails_it(tmp_path: Path) -> None:
    path = tmp_path / "resets.py"
    path.write_text(
        'def reset(x):\n    """Reset.\n\n    >>> reset(1)\n    None\n    >>> reset(2)\n    """\n',
        encoding="utf-8",
    )
    # The check compares values, as the ranking does; `python -m doctest` shows nothing for None.
    doctest = subprocess.run(
        [sys.executable, "-m", "doctest", str(path)], capture_output=True, text=True, check=False
    )
    assert doctest.returncode == 1 and "reset(1)" in doctest.stdout
    completed = check(str(path), "--json")
    assert completed.returncode == 0, completed.stderr
    (report,) = json.loads(completed.stdout)
    notes = [(e["call"], e["status"], e["doctest_note"]) for e in report["examples"]]
    assert notes[0][:2] == ("reset(1)", "passed") and "python -m doctest" in notes[0][2]
    assert notes[1] == ("reset(2)", "passed", None)
    text = check(str(path)).stdout
    assert "note: returns None as expected, but `python -m doctest` fails it" in text
    # And a value written another way: doctest compares the text.
    path.write_text(
        'def name():\n    """Name.\n\n    >>> name()\n    u"ada"\n    >>> name().upper()\n'
        "    'ADA'\n    \"\"\"\n    return 'ada'\n"
    )
    (report,) = json.loads(check(str(path), "--json").stdout)
    assert [example["status"] for example in report["examples"]] == ["passed", "passed"]
    assert [example["doctest_note"] for example in report["examples"]] == [
        "returns the value expected, but `python -m doctest` compares the text and shows "
        "'ada': write that",
        None,  # written as doctest shows it
    ]


def test_a_float_within_tolerance_passes_but_says_what_doctest_shows(tmp_path: Path) -> None:
    path = tmp_path / "thirds.py"
    path.write_text(
        'def third(x):\n    """A third.\n\n    >>> third(7)\n    2.333333\n    >>> third(3)\n'
        '    1.0\n    >>> [third(1.5)]\n    [0.5]\n    """\n    return x / 3\n',
        encoding="utf-8",
    )
    # Floats are compared within a tolerance here; `python -m doctest` compares the text.
    doctest = subprocess.run(
        [sys.executable, "-m", "doctest", str(path)], capture_output=True, text=True, check=False
    )
    assert doctest.returncode == 1 and "Got:\n    2.3333333333333335" in doctest.stdout
    assert "1 failure" in doctest.stdout
    completed = check(str(path), "--json")
    assert completed.returncode == 0, completed.stderr
    (report,) = json.loads(completed.stdout)
    assert [example["status"] for example in report["examples"]] == ["passed"] * 3
    assert [example["doctest_note"] for example in report["examples"]] == [
        "is within 1e-06 of the value expected, but `python -m doctest` compares the text and "
        "shows 2.3333333333333335: write that, or round the value in the example",
        None,  # exactly as doctest shows it
        None,
    ]
