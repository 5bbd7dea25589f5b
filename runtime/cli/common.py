"""Helpers the `roster` commands share: loading a roster or printing why not."""

from __future__ import annotations

import sys
from pathlib import Path

from runtime.roster.errors import RosterLoadError
from runtime.roster.io import LoadedRoster, load_roster

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2


def load_or_report(path: str | Path) -> LoadedRoster | None:
    """The loaded roster, or None after printing the located error to stderr."""
    try:
        return load_roster(path)
    except RosterLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
