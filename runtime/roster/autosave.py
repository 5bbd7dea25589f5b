"""The autosave store: unsaved edits kept in a data folder, and offered back after a crash.

Each open document has a key: the SHA-1 of its absolute path, or `untitled-<uuid>` for
a roster that was never saved. `AutosaveStore.write` keeps `<key>.roster.yaml` (the
roster text) and `<key>.json` (a sidecar: source path, time, and the pid, host and
start time of the writing process) in the store's folder, both written atomically,
sidecar first, so an autosave file always has an owner. Before anything is written
the text passes the same secret guard as a save (`io.guarded_bytes`: a scan of the
data, then of the bytes); a roster that holds a literal secret is refused with
`SecretInRosterError` and nothing is written, so the previous autosave, if any, stays.
`pending` lists the autosaves whose owning process is dead, i.e. left behind by a
crash, newest first (one whose text equals its source file has nothing to recover
and is dropped); `discard` removes one (after a save, or when the user declines
recovery); `mark_clean_exit` removes every autosave of this process. Qt-free: the
designer calls it from a worker thread so disk I/O never blocks the UI.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from runtime.roster import yaml_read
from runtime.roster.atomic import TEMP_PREFIX, write_atomic
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import SecretInRosterError, guarded_bytes
from runtime.roster.lockfile import current_owner, process_alive

if TYPE_CHECKING:  # the scanner compiles its patterns on import: loaded at the first autosave
    from runtime.secrets.scanner import SecretHit

TEXT_SUFFIX: Final = ".roster.yaml"
SIDECAR_SUFFIX: Final = ".json"
UNTITLED_PREFIX: Final = "untitled-"
STALE_TEMP_AGE_S: Final = 600.0
_KEY: Final = re.compile(r"[A-Za-z0-9_-]{1,128}\Z")


def key_for(source: str | Path | None) -> str:
    """The autosave key of a roster: SHA-1 of its absolute path, or a fresh untitled key."""
    if source is None:
        return f"{UNTITLED_PREFIX}{uuid.uuid4().hex}"
    absolute = os.path.abspath(os.fspath(source))
    return hashlib.sha1(absolute.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Recoverable:
    """An autosave left by a process that is gone: what it was, when, and its text."""

    key: str
    source: Path | None
    saved_at: datetime
    pid: int
    text: str

    @property
    def display_name(self) -> str:
        return self.source.name if self.source is not None else "Untitled roster"


def _check_key(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not an autosave key: {key!r}")
    return key


def guard_text(text: str, target: str) -> bytes:
    """`text` as UTF-8, or SecretInRosterError: `io.guarded_bytes` semantics for text.

    The data scan runs on the parsed text (so a credential under a credential-like key
    is caught as in a save), then the text scan on the exact characters to be written.
    """
    from runtime.secrets.scanner import scan_text, scan_value

    hits: list[SecretHit] = []
    try:
        data = yaml_read.parse(text)
    except (RosterLoadError, RecursionError):
        data = None
    if data is not None:
        hits = scan_value(data)
    if not hits:
        hits = scan_text(text)
    if hits:
        raise SecretInRosterError(hits, target)
    return text.encode("utf-8")


def _same_text(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


class AutosaveStore:
    """Autosave files in one folder; safe to share between instances of the app."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def text_path(self, key: str) -> Path:
        return self.directory / f"{_check_key(key)}{TEXT_SUFFIX}"

    def sidecar_path(self, key: str) -> Path:
        return self.directory / f"{_check_key(key)}{SIDECAR_SUFFIX}"

    # ------------------------------------------------------------ writing

    def write(self, key: str, text: str, source_path: str | Path | None) -> Path:
        """Autosave `text` under `key`; SecretInRosterError (nothing written) on a secret."""
        payload = guard_text(text, self._target(source_path))
        return self._write(key, payload, source_path)

    def write_data(self, key: str, data: dict[str, Any], source_path: str | Path | None) -> Path:
        """Autosave roster data (`io.to_data(content)`): the file is `io.dumps(content)`.

        Exactly `io.guarded_bytes`, which scans the data it already has, so it skips
        the parse that `write` needs; the designer uses this one.
        """
        payload = guarded_bytes(data, self._target(source_path))
        return self._write(key, payload, source_path)

    @staticmethod
    def _target(source_path: str | Path | None) -> str:
        name = Path(source_path).name if source_path is not None else "an untitled roster"
        return f"the autosave of {name}"

    def _write(self, key: str, payload: bytes, source_path: str | Path | None) -> Path:
        pid, host, started = current_owner()
        sidecar = {
            "source": os.path.abspath(os.fspath(source_path)) if source_path is not None
            else None,
            "saved_at": datetime.now(UTC).isoformat(),
            "pid": pid,
            "host": host,
            "started": started,
        }
        write_atomic(self.sidecar_path(key), json.dumps(sidecar, indent=1).encode("utf-8"))
        target = self.text_path(key)
        write_atomic(target, payload)
        return target

    # ------------------------------------------------------------ reading

    def _sidecar(self, key: str) -> dict[str, Any] | None:
        try:
            raw = json.loads(self.sidecar_path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return raw if isinstance(raw, dict) else None

    def keys(self) -> list[str]:
        """Every key with a sidecar in the folder, whoever owns it."""
        found = []
        for sidecar in self.directory.glob(f"*{SIDECAR_SUFFIX}"):
            key = sidecar.name[: -len(SIDECAR_SUFFIX)]
            if _KEY.match(key):
                found.append(key)
        return sorted(found)

    def read(self, key: str) -> Recoverable | None:
        """The autosave under `key`, whoever owns it, or None if there is none."""
        meta = self._sidecar(key)
        if meta is None:
            return None
        try:
            text = self.text_path(key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        source = meta.get("source")
        pid = meta.get("pid")
        return Recoverable(
            key=key,
            source=Path(source) if isinstance(source, str) else None,
            saved_at=self._saved_at(meta, key),
            pid=pid if isinstance(pid, int) else -1,
            text=text,
        )

    def _saved_at(self, meta: dict[str, Any], key: str) -> datetime:
        with contextlib.suppress(TypeError, ValueError):
            return datetime.fromisoformat(meta["saved_at"])
        with contextlib.suppress(OSError):
            return datetime.fromtimestamp(self.text_path(key).stat().st_mtime, UTC)
        return datetime.fromtimestamp(0, UTC)

    def owner_alive(self, key: str) -> bool:
        meta = self._sidecar(key)
        if meta is None:
            return False
        pid, host, started = meta.get("pid"), meta.get("host"), meta.get("started")
        if not isinstance(pid, int) or not isinstance(host, str):
            return False
        return process_alive(pid, host, started if isinstance(started, int) else None)

    def pending(self) -> list[Recoverable]:
        """Autosaves whose owner is dead (left by a crash), newest first."""
        found = []
        for key in self.keys():
            if self.owner_alive(key):
                continue
            item = self.read(key)
            if item is None:
                if not self.text_path(key).exists():  # a sidecar whose text never came
                    self.discard(key)
                continue
            if item.source is not None and _same_text(item.source, item.text):
                self.discard(key)  # saved after all (a crash between save and discard)
                continue
            found.append(item)
        found.sort(key=lambda item: item.saved_at, reverse=True)
        return found

    # ------------------------------------------------------------ removing

    def discard(self, key: str) -> None:
        """Remove the autosave under `key` (text first, then sidecar); no error if absent."""
        for path in (self.text_path(key), self.sidecar_path(key)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def set_aside(self, key: str) -> str:
        """Move the autosave under `key` to a fresh key (so a new autosave of the same
        file cannot overwrite it) and return that key; it stays pending if its owner is dead."""
        new_key = f"{key[:100]}-{uuid.uuid4().hex[:8]}"
        os.replace(self.sidecar_path(key), self.sidecar_path(new_key))
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.text_path(key), self.text_path(new_key))
        return new_key

    def mark_clean_exit(self) -> list[str]:
        """Remove every autosave this process wrote (nothing to recover after a clean exit)."""
        pid, host, _ = current_owner()
        removed = []
        for key in self.keys():
            meta = self._sidecar(key)
            if meta is not None and meta.get("pid") == pid and meta.get("host") == host:
                self.discard(key)
                removed.append(key)
        self.sweep_temps()
        return removed

    def sweep_temps(self, older_than_s: float = STALE_TEMP_AGE_S) -> list[Path]:
        """Remove temporary files of interrupted writes; young ones may be another
        instance's write in progress and are left alone."""
        removed = []
        now = time.time()
        for candidate in self.directory.glob(f"{TEMP_PREFIX}*.tmp"):
            with contextlib.suppress(OSError):
                if now - candidate.stat().st_mtime >= older_than_s:
                    candidate.unlink()
                    removed.append(candidate)
        return removed
