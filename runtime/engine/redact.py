"""Redaction of everything the engine reports: resolved keys and anything key-shaped.

Built once per run with the resolved key values; applied to every argument,
output and message before it reaches an event, the journal or a log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runtime.secrets.scanner import redact


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = tuple(s for s in secrets if s and len(s) >= 8)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        return redact(text, self._secrets)

    def value(self, data: Any) -> Any:
        """A redacted deep copy of JSON-like data."""
        if isinstance(data, str):
            return self(data)
        if isinstance(data, dict):
            return {k: self.value(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.value(v) for v in data]
        return data
