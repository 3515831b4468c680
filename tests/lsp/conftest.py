"""The ``session`` fixture: a started server, one per recorded client (see lsp_session)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_session import CLIENTS, FAST_SETTINGS, Session, start_session, stop_session


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lsp_settings(dict): codegenLsp settings merged over the fast test settings"
    )
    config.addinivalue_line("markers", "lsp_clients(*names): run only with these clients")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the client variants a test marked ``lsp_clients`` does not want."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("lsp_clients")
        callspec = getattr(item, "callspec", None)
        client = callspec.params.get("session") if callspec is not None else None
        wanted = marker is None or client is None or client in marker.args
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {key: dict(value) if isinstance(value, dict) else value for key, value in base.items()}
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


@pytest_asyncio.fixture(params=CLIENTS)
async def session(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Session]:
    marker = request.node.get_closest_marker("lsp_settings")
    settings = _merged(FAST_SETTINGS, marker.args[0] if marker else {})
    started, client = await start_session(tmp_path, request.param, settings)
    yield started
    await stop_session(client, started)
