"""Redaction of everything the engine reports: resolved keys and anything key-shaped.

Built once per run with the resolved key values; applied to every argument,
output and message before it reaches an event, the journal or a log. A run
reports the same strings many times (a delegated task in `Delegated` and the
callee's `AgentStarted`, the same answer in `ModelCalled` and `AgentFinished`),
so results for strings up to `CACHE_MAX_CHARS` are remembered, up to
`CACHE_ENTRIES` of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runtime.secrets.scanner import redact

CACHE_MAX_CHARS = 4096
CACHE_ENTRIES = 2048


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = tuple(s for s in secrets if s and len(s) >= 8)
        self._cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if len(text) > CACHE_MAX_CHARS:
            return redact(text, self._secrets)
        done = self._cache.get(text)
        if done is None:
            done = redact(text, self._secrets)
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.clear()
            self._cache[text] = done
        return done

    def value(self, data: Any) -> Any:
        """A redacted deep copy of JSON-like data."""
        if isinstance(data, str):
            return self(data)
        if isinstance(data, dict):
            return {k: self.value(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.value(v) for v in data]
        return data
