"""Entry points of installed distributions, read without importing `importlib.metadata`.

Plugins register tool kinds under an entry-point group. The designer's
palette lists them at start, and `importlib.metadata` costs about 45 ms of
CPU to import (it pulls in the `email` package to parse metadata files) plus
about 12 ms to scan: a fifth of the designer's cold-start budget to find,
usually, nothing. `entry_points(group)` reads the same `entry_points.txt`
files directly (about 3 ms): every `*.dist-info` and `*.egg-info` folder in
the folders on `sys.path`, the first distribution of each normalised name
winning, as `importlib.metadata` does. Where the path holds anything this
reader does not cover (a zip file, an `.egg`), it hands over to
`importlib.metadata`, so the answer is never partial.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_NORMALISE = re.compile(r"[-_.]+")
_VALUE = re.compile(
    r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$"
)
_META_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """One `name = module:attr` line of a group, as `importlib.metadata.EntryPoint` has it."""

    name: str
    value: str
    group: str

    def load(self) -> Any:
        """Import the module and return the attribute the entry point names."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.name!r} has a malformed value {self.value!r}")
        module = importlib.import_module(match.group("module"))
        attrs = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, attrs, module)


def entry_points(group: str, path: Iterable[str] | None = None) -> list[EntryPoint]:
    """The entry points of `group` of the distributions on `path` (default `sys.path`)."""
    folders = list(sys.path if path is None else path)
    found = _scan(folders, group)
    if found is None:
        return _from_importlib(group, folders)
    return found


def _scan(folders: list[str], group: str) -> list[EntryPoint] | None:
    """Entry points from the metadata folders, or None when the path holds something
    only `importlib.metadata` reads."""
    seen: set[str] = set()
    out: list[EntryPoint] = []
    for folder in folders:
        where = folder or "."
        if os.path.isfile(where):
            return None  # a zip or an egg file on the path
        try:
            names = sorted(entry.name for entry in os.scandir(where))
        except OSError:
            continue  # a missing folder on sys.path is normal
        for name in names:
            if name.endswith(".egg"):
                return None
            if not name.endswith(_META_SUFFIXES):
                continue
            dist = _NORMALISE.sub("_", name.rsplit(".", 1)[0].split("-", 1)[0]).lower()
            if dist in seen:
                continue
            seen.add(dist)
            try:
                with open(os.path.join(where, name, "entry_points.txt"),
                          encoding="utf-8") as handle:
                    text = handle.read()
            except OSError:
                continue
            out.extend(parse(text, group))
    return out


def parse(text: str, group: str) -> list[EntryPoint]:
    """The `group` section of an `entry_points.txt` (INI: `[group]`, `name = value`)."""
    section: str | None = None
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == group and "=" in line:
            name, value = line.split("=", 1)
            out.append(EntryPoint(name.strip(), value.strip(), group))
    return out


def _from_importlib(group: str, folders: list[str]) -> list[EntryPoint]:
    from importlib.metadata import distributions

    seen: set[str] = set()
    out: list[EntryPoint] = []
    for dist in distributions(path=folders):
        key = _NORMALISE.sub("_", dist.metadata["Name"] or "").lower()
        if key in seen:
            continue
        seen.add(key)
        out.extend(EntryPoint(point.name, point.value, group)
                   for point in dist.entry_points if point.group == group)
    return out


__all__ = ["EntryPoint", "entry_points", "parse"]
