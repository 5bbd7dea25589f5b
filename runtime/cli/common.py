"""Helpers the `roster` commands share: loading a roster, writing an output, or saying why not."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from runtime.roster.atomic import write_atomic
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import LoadedRoster, load_roster

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2


def load_or_error(path: str | Path) -> LoadedRoster | RosterLoadError:
    """The loaded roster, or the error after printing it (located) to stderr."""
    try:
        return load_roster(path)
    except RosterLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return error


def load_or_report(path: str | Path) -> LoadedRoster | None:
    """The loaded roster, or None after printing the located error to stderr."""
    loaded = load_or_error(path)
    return None if isinstance(loaded, RosterLoadError) else loaded


def err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def output_problem(path: str | Path) -> str | None:
    """Why a file cannot be written at `path`, or None when its directory accepts it.

    Checked before a command does its work, so that a typo in an output path
    fails at once instead of after a long simulation.
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        return f"{target} is a directory; give a file name"
    if not parent.exists():
        return f"directory {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK):
        return f"directory {parent} is not writable"
    return None


def directory_problem(path: str | Path) -> str | None:
    """Why `path` cannot be used (or created) as an output directory, or None."""
    target = Path(path)
    if target.exists():
        if not target.is_dir():
            return f"{target} is not a directory"
        return None if os.access(target, os.W_OK) else f"directory {target} is not writable"
    for ancestor in target.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                return f"{ancestor} is not a directory"
            if not os.access(ancestor, os.W_OK):
                return f"directory {ancestor} is not writable"
            return None
    return None


def check_output(path: str | Path, *, directory: bool = False) -> bool:
    """True when `path` can be written; otherwise prints `error: cannot write PATH: why`."""
    problem = directory_problem(path) if directory else output_problem(path)
    if problem is not None:
        err(f"cannot write {path}: {problem}")
    return problem is None


def write_output(path: str | Path, data: bytes | str) -> bool:
    """Write `data` to `path` atomically; False after printing why it could not be written."""
    if not check_output(path):
        return False
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        write_atomic(Path(path), payload)
    except OSError as exc:
        err(f"cannot write {path}: {exc.strerror or exc}")
        return False
    return True


def whole_number_arg(low: int | None, high: int | None = None) -> Callable[[str], int]:
    """An argparse `type` for an integer option from `low` to `high` (inclusive, if given).

    argparse prefixes the message with the option's name, e.g. `argument --tasks:
    expected a whole number from 40 to 10,000,000, got '-1'`.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or (low is not None and value < low) or (
                high is not None and value > high):
            raise argparse.ArgumentTypeError(
                f"expected a whole number{_bounds(low, high)}, got {text!r}")
        return value

    parse.__name__ = "whole number"
    return parse


def _bounds(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f" from {low:,} to {high:,}"
    if low is not None:
        return f", {low:,} or more"
    return f" up to {high:,}" if high is not None else ""


def journal_arg(text: str) -> str:
    """An argparse `type` for a run journal: a database URL, or a SQLite file whose folder
    exists or can be created (it is created when the journal is opened)."""
    if "://" in text:
        return text
    path = Path(text).expanduser()
    problem = (f"{path} is a directory; give a file name such as {path / 'runs.db'}"
               if path.is_dir() else directory_problem(path.parent))
    if problem is not None:
        raise argparse.ArgumentTypeError(f"cannot use {text} as the run journal: {problem}")
    return text
