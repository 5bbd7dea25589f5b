"""The explicit chain of roster format migrations, oldest to newest.

A migration is a pure function from the mapping of version N to the mapping
of version N+1. Loading dispatches on the file's `version` and applies the
chain step by step; it never tries parsers one after another. A file newer
than CURRENT_VERSION is refused. Version 1 is the first released format, so
the shipped chain is empty; tests exercise the mechanism with a chain of
their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from runtime.roster.errors import RosterLoadError

CURRENT_VERSION: Final = 1
OLDEST_VERSION: Final = 1

Migration = Callable[[dict[str, Any]], dict[str, Any]]

# from-version -> migration producing from-version + 1
MIGRATIONS: Final[Mapping[int, Migration]] = MappingProxyType({})


def migrate(
    data: dict[str, Any],
    version: int,
    *,
    current: int = CURRENT_VERSION,
    oldest: int = OLDEST_VERSION,
    chain: Mapping[int, Migration] = MIGRATIONS,
) -> dict[str, Any]:
    """Bring `data` written at `version` up to `current`, one step at a time."""
    if version > current:
        raise RosterLoadError(
            f"this roster is format version {version}; this Agent Roster reads up to version "
            f"{current}",
            path=("version",),
            hint="update Agent Roster to open it; the file was not changed",
        )
    if version < oldest:
        raise RosterLoadError(
            f"format version {version} is older than any this Agent Roster can read",
            path=("version",),
            expected=f"a version from {oldest} to {current}",
        )
    while version < current:
        step = chain.get(version)
        if step is None:
            raise RosterLoadError(
                f"no migration from format version {version} to {version + 1}",
                path=("version",),
            )
        data = step(dict(data))
        version += 1
        data["version"] = version
    return data
