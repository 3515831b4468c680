"""The finished pipeline results the code actions answer from: no sampling on the request path.

A generation or check that ends is stored here by (uri, document version, function, kind);
code actions, resolve, inline completion and the commands read it back. Only live document
versions are kept: an edit drops the older ones, closing a document drops all of its results.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass
class ResultCache:
    """Finished pipeline results by (uri, version, function, kind); only live versions kept."""

    limit: int = 64
    entries: dict[tuple[str, int, str, str], Any] = dataclasses.field(default_factory=dict)

    def get(self, uri: str, version: int, function: str, kind: str) -> Any:
        """Return the cached result or None."""
        return self.entries.get((uri, version, function, kind))

    def put(self, uri: str, version: int, function: str, kind: str, result: Any) -> None:
        """Store a result, evicting the oldest beyond the limit."""
        self.entries[(uri, version, function, kind)] = result
        while len(self.entries) > self.limit:
            del self.entries[next(iter(self.entries))]

    def drop_document(self, uri: str, older_than: int | None = None) -> None:
        """Forget results for ``uri`` (those older than ``older_than`` when given)."""
        for key in [k for k in self.entries if k[0] == uri]:
            if older_than is None or key[1] < older_than:
                del self.entries[key]
