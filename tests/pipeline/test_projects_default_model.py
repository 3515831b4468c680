"""The default model inside real multi-module projects: hidden tests judge the top candidate.

Seven small projects, each needing something from outside the file: a dataclass in the
signature, an Enum, a helper from another module called in the example, a ``src/`` layout, a
method that uses the attributes ``__init__`` assigns, an object whose contents only a long method
of its class says (no examples), and a library only the project's virtualenv has. The
pipeline places each file in its project (``find_project``), as the CLI and the editor do; the
top candidate is put in the file and the project's own interpreter runs a hidden test on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.project import find_project
from codegen_lsp.settings import Settings
from support.projects import OPS, SHIFT_HIDDEN_TEST, run_hidden, write_shapes_project

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Fixture:
    name: str
    files: dict[str, str]
    target: str
    function: str
    hidden: str
    """Python run from the project's root under its interpreter; exits 0 when the body is right."""


FIXTURES = [
    Fixture(
        "dataclass",
        {},  # the shapes project (tests/support/projects.py)
        "shapes/ops.py",
        "shift",
        SHIFT_HIDDEN_TEST,
    ),
    Fixture(
        "enum",
        {
            "colors/__init__.py": "",
            "colors/palette.py": (
                "from enum import Enum\n\n\nclass Color(Enum):\n"
                '    """A paint colour."""\n\n'
                '    RED = "red"\n    GREEN = "green"\n    BLUE = "blue"\n'
            ),
            "colors/mix.py": (
                "from colors.palette import Color\n\n\n"
                "def shouted(colors: list[Color]) -> list[str]:\n"
                '    """Return the value of each colour, upper-cased.\n\n'
                "    >>> shouted([Color.RED])\n    ['RED']\n"
                '    """\n'
            ),
        },
        "colors/mix.py",
        "shouted",
        "from colors.palette import Color\nfrom colors.mix import shouted\n"
        "assert shouted([Color.GREEN, Color.BLUE]) == ['GREEN', 'BLUE']\n"
        "assert shouted([]) == []\n",
    ),
    Fixture(
        "helper",
        {
            "textkit/__init__.py": "",
            "textkit/normalize.py": (
                "import re\n\n\ndef squash(text: str) -> str:\n"
                '    """Collapse runs of whitespace to one space and strip the ends."""\n'
                '    return re.sub(r"\\s+", " ", text).strip()\n'
            ),
            "textkit/words.py": (
                "from textkit.normalize import squash\n\n\n"
                "def initials(text: str) -> str:\n"
                '    """Return the first letter of each word of squash(text), upper-cased.\n\n'
                "    >>> initials(squash('  grace   brewster hopper '))\n    'GBH'\n"
                '    """\n'
            ),
        },
        "textkit/words.py",
        "initials",
        "from textkit.words import initials\n"
        "assert initials('ada lovelace') == 'AL'\nassert initials('x') == 'X'\n",
    ),
    Fixture(
        "src-layout",
        {
            "src/ledger/__init__.py": "",
            "src/ledger/money.py": (
                "from dataclasses import dataclass\n\n\n@dataclass(frozen=True)\nclass Money:\n"
                '    """An amount in cents of one currency."""\n\n'
                "    cents: int\n    currency: str\n"
            ),
            "src/ledger/totals.py": (
                "from ledger.money import Money\n\n\n"
                "def total(items: list[Money]) -> Money:\n"
                '    """Add up amounts of one currency; raise ValueError when currencies mix.\n\n'
                "    >>> total([Money(100, 'EUR'), Money(250, 'EUR')])\n"
                "    Money(cents=350, currency='EUR')\n"
                '    """\n'
            ),
        },
        "src/ledger/totals.py",
        "total",
        "import sys\nsys.path.insert(0, 'src')\n"
        "from ledger.money import Money\nfrom ledger.totals import total\n"
        "assert total([Money(7, 'USD')]) == Money(7, 'USD')\n"
        "try:\n    total([Money(1, 'USD'), Money(1, 'EUR')])\nexcept ValueError:\n    pass\n"
        "else:\n    raise AssertionError('mixed currencies must raise')\n",
    ),
    Fixture(
        "method",
        {
            "bank/__init__.py": "",
            "bank/account.py": (
                "class Account:\n"
                '    """A bank account."""\n\n'
                "    def __init__(self, owner: str, balance: int = 0) -> None:\n"
                "        self.owner = owner\n        self.balance = balance\n"
                "        self.history: list[int] = []\n\n"
                "    def deposit(self, amount: int) -> None:\n"
                '        """Add amount to the balance and record it in the history."""\n\n'
                "    def report(self) -> str:\n"
                '        """Return "owner: balance"."""\n'
                '        return f"{self.owner}: {self.balance}"\n'
            ),
        },
        "bank/account.py",
        "deposit",
        "from bank.account import Account\n"
        "a = Account('ada')\na.deposit(5)\na.deposit(7)\n"
        "assert a.balance == 12 and a.history == [5, 7]\n",
    ),
    Fixture(
        "state-filler",
        {
            "till/__init__.py": "",
            "till/register.py": (
                "class Till:\n"
                '    """A shop till."""\n\n'
                "    def __init__(self, cashier: str) -> None:\n"
                "        self.cashier = cashier\n        self.sales = []\n\n"
                "    def ring(self, basket: dict[str, int], prices: dict[str, int]) -> None:\n"
                '        """Ring up a basket of snack -> quantity at the given prices (cents)."""\n'
                "        if not basket:\n            return\n"
                "        for snack, quantity in basket.items():\n"
                "            if quantity <= 0:\n                raise ValueError(snack)\n"
                "            cents = prices[snack] * quantity\n"
                "            self.sales.append((snack, quantity, cents))\n"
                '        print("rung", len(basket))\n'
            ),
            # No examples: only `ring`'s body says what a sale is (a long method, so its
            # writes are shown, with the line that computes `cents`).
            "till/report.py": (
                "from till.register import Till\n\n\n"
                "def takings_cents(till: Till) -> int:\n"
                '    """Return the total of all sales rung on the till, in cents."""\n'
            ),
        },
        "till/report.py",
        "takings_cents",
        "from till.register import Till\nfrom till.report import takings_cents\n"
        "t = Till('ada')\nt.ring({'tea': 2, 'bun': 1}, {'tea': 150, 'bun': 90, 'jam': 5})\n"
        "t.ring({'tea': 1}, {'tea': 100})\n"
        "assert takings_cents(t) == 490, takings_cents(t)\n"
        "assert takings_cents(Till('bo')) == 0\n",
    ),
    Fixture(
        "venv-library",
        {
            "trips/__init__.py": "",
            "trips/convert.py": (
                "from unitsy import km\n\n\n"
                "def all_km(distances: list[float]) -> list[float]:\n"
                '    """Convert each distance from miles to kilometres with km.\n\n'
                "    >>> all_km([10.0])\n    [16.093]\n"
                '    """\n'
            ),
        },
        "trips/convert.py",
        "all_km",
        "from trips.convert import all_km\nassert all_km([1.0, 0.0]) == [1.609, 0.0]\n",
    ),
]


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    settings = Settings()  # the product's sampling.n (8), with a seed
    settings.sampling.max_new_tokens = 160
    settings.sampling.seed = 5
    p = Pipeline(settings)
    yield p
    p.close()


def _make(fixture: Fixture, root: Path, venv_python: Path) -> Path:
    if fixture.name == "dataclass":
        write_shapes_project(root)
        ops = root / "shapes" / "ops.py"
        ops.write_text(OPS, encoding="utf-8")
    else:
        (root / "pyproject.toml").parent.mkdir(parents=True, exist_ok=True)
        (root / "pyproject.toml").write_text(f"[project]\nname = '{fixture.name}'\n")
        for name, text in fixture.files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
    os.symlink(venv_python.parent.parent, root / ".venv")
    return root / fixture.target


def test_top_candidates_pass_hidden_tests_in_most_projects(
    pipeline: Pipeline, tmp_path: Path, project_venv_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    outcomes: dict[str, str] = {}
    for fixture in FIXTURES:
        root = tmp_path / fixture.name
        target = _make(fixture, root, project_venv_python)
        source = target.read_text(encoding="utf-8")
        line = next(
            i for i, text in enumerate(source.splitlines()) if f"def {fixture.function}(" in text
        )
        file = find_project(target)
        result = pipeline.implement(source, line + 1, file=file)
        for candidate in result.candidates:  # every candidate ran inside the project
            assert "ModuleNotFoundError" not in str(candidate.run.error), (fixture.name, candidate)
        assert result.definitions, fixture.name
        if fixture.name == "venv-library":  # the library's member, from the project's venv
            assert any(d.startswith("# unitsy: installed") for d in result.definitions)
        if not result.candidates:
            outcomes[fixture.name] = "no candidate"
            continue
        top = result.candidates[0]
        edit = top.replacement
        lines = source.splitlines(keepends=True)
        start = sum(len(x) for x in lines[: edit.start_line]) + edit.start_column
        end = sum(len(x) for x in lines[: edit.end_line]) + edit.end_column
        target.write_text(source[:start] + edit.new_text + source[end:], encoding="utf-8")
        hidden = run_hidden(root, root / ".venv" / "bin" / "python", fixture.hidden)
        outcomes[fixture.name] = (
            "pass" if hidden.returncode == 0 else f"fail: {hidden.stderr[-300:]}\n{top.body}"
        )
    passed = [name for name, outcome in outcomes.items() if outcome == "pass"]
    print(f"hidden tests passed: {len(passed)}/{len(outcomes)}: {outcomes}")
    # Seeds 1 to 10 (2026-12-06, this CPU's int4 rounding): 6 of 7 on five seeds, 5 on four,
    # 4 on one (seed 7); 4.1 on average before the two changes below, 5.4 after. The
    # dataclass, the Enum, the state filler and the virtualenv's library passed on every seed,
    # the helper on 8, the src layout on 5, the method on 1. The Enum passed on none before its
    # summary said how a member reads (`# Color.RED.value == 'red'`; the model wrote
    # `color.upper()`), the src layout on 2 before a ValueError on `total([])` stopped counting
    # as the documented "raise ValueError when currencies mix". The bar stays at 4, the fewest
    # seen: a draw on another CPU differs.
    assert len(passed) >= 4, outcomes
