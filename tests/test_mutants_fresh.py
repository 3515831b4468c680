"""Every safeguard in ``scripts/mutants.py`` still names code that exists.

A mutant deletes one safeguard by replacing a snippet of its file; after a refactor the snippet
may no longer be there, and the full run (20 minutes, run by hand) reports the mutant STALE
instead of checking the safeguard. This test reads the same entries and fails at once, naming
the ones to update, so a stranded mutant cannot wait for the next full run.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _mutants() -> tuple[Any, ...]:
    spec = importlib.util.spec_from_file_location("mutants", REPO / "scripts" / "mutants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mutants", module)
    spec.loader.exec_module(module)
    return tuple(module.MUTANTS)


def test_every_mutant_snippet_is_in_its_file_once() -> None:
    stale = []
    mutants = _mutants()
    for mutant in mutants:
        text = (REPO / mutant.file).read_text(encoding="utf-8")
        if text.count(mutant.old) != 1:
            stale.append(f"{mutant.name} ({mutant.file})")
    assert not stale, f"update these entries of scripts/mutants.py: {stale}"
    names = [mutant.name for mutant in mutants]
    assert len(names) == len(set(names)), "two mutants share a name"
