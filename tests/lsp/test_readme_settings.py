"""The settings reference (docs/settings.md) is the one generated from the settings tree.

After changing a setting, `python tests/lsp/test_readme_settings.py --write` regenerates the table
in docs/settings.md (the text around it stays as written).
"""

from __future__ import annotations

import sys
from pathlib import Path

from codegen_lsp.settings import settings_reference

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SETTINGS_PAGE = ROOT / "docs" / "settings.md"
HEADER = "| setting | type | default | meaning |"


def _table_span(page: str) -> tuple[int, int]:
    """Return the line range [start, end) of the settings table: its header and the rows after."""
    lines = page.splitlines()
    assert lines.count(HEADER) == 1, f"{SETTINGS_PAGE.name} must hold one table headed {HEADER!r}"
    start = lines.index(HEADER)
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return start, end


def _settings_table(page: str) -> str:
    start, end = _table_span(page)
    return "\n".join(page.splitlines()[start:end])


def _page_with_fresh_table(page: str) -> str:
    start, end = _table_span(page)
    lines = page.splitlines()
    lines[start:end] = settings_reference().splitlines()
    return "\n".join(lines) + "\n"


def test_settings_page_table_is_generated_from_the_tree() -> None:
    table = _settings_table(SETTINGS_PAGE.read_text(encoding="utf-8"))
    assert table == settings_reference(), (
        "docs/settings.md's settings table is stale: regenerate it with "
        "`python tests/lsp/test_readme_settings.py --write`"
    )


def test_readme_links_the_settings_page() -> None:
    assert "(docs/settings.md)" in README.read_text(encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        SETTINGS_PAGE.write_text(
            _page_with_fresh_table(SETTINGS_PAGE.read_text(encoding="utf-8")), encoding="utf-8"
        )
    else:
        sys.exit("usage: python tests/lsp/test_readme_settings.py --write")
