"""The child processes a run's tools started, so the kill switch and tool timeouts can end
them, without ever signalling a process that is not ours.

A tool registers a process while it runs it and unregisters it when it is done
(`ToolContext.register_process` / `unregister_process`). It may register a handle
(`asyncio.subprocess.Process`, `subprocess.Popen`, an anyio `Process`: anything with
`pid` and `returncode`) or a bare pid. A handle whose `returncode` is set has exited
and been reaped, so its pid may already belong to someone else: it is dropped, never
signalled. A bare pid is remembered with its start time (Linux `/proc/PID/stat`,
field 22); before it is signalled the start time is read again and a pid that is
gone or now names another process is dropped. A process is signalled as a group
(`killpg`) only when it still leads the process group of its own pid (tools start
children with `start_new_session=True`); otherwise only the process is signalled.
Exited handles are also pruned at every registration, so a long run's list stays
as long as the number of processes actually running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@runtime_checkable
class ProcessHandle(Protocol):
    """What the registry needs of a process object: its pid and, once it exited, its code."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...


ProcessRef = int | ProcessHandle


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None when it does not exist
    (or this is not Linux)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[19])  # field 22 of stat; fields[0] is field 3 (the state)


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


@dataclass(slots=True)
class _Entry:
    pid: int
    handle: ProcessHandle | None
    started: int | None
    owner: str

    def exited(self) -> bool:
        """True once the process is gone or its pid may name another process."""
        if self.handle is not None:
            poll = getattr(self.handle, "poll", None)  # Popen updates returncode in poll()
            if callable(poll):
                with contextlib.suppress(Exception):
                    poll()
            return self.handle.returncode is not None
        if not sys.platform.startswith("linux"):  # pragma: no cover - no /proc to check
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:  # exists but is not ours: someone else has the pid now
                return True
            return False
        return self.started is None or start_time(self.pid) != self.started


class ProcessRegistry:
    """Processes tools of one run are running, by owner (the tool call's id)."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def pids(self) -> list[int]:
        return list(self._entries)

    def register(self, ref: ProcessRef, owner: str = "") -> None:
        self._prune()
        if isinstance(ref, int):
            started = start_time(ref)
            if started is None and sys.platform.startswith("linux"):
                return  # already gone (and reaped): nothing to end, nothing to remember
            self._entries[ref] = _Entry(ref, None, started, owner)
        else:
            self._entries[ref.pid] = _Entry(ref.pid, ref, None, owner)

    def unregister(self, ref: ProcessRef) -> None:
        self._entries.pop(ref if isinstance(ref, int) else ref.pid, None)

    def _prune(self) -> None:
        for pid, entry in list(self._entries.items()):
            if entry.exited():
                self._entries.pop(pid, None)  # pop: a signal handler's kill may race us

    def kill(self, owner: str | None = None) -> list[int]:
        """SIGKILL every registered process (or only `owner`'s) that is still ours, and
        forget them; returns the pids signalled."""
        killed: list[int] = []
        for pid, entry in list(self._entries.items()):
            if owner is not None and entry.owner != owner:
                continue
            if self._entries.pop(pid, None) is None or entry.exited():
                continue
            if _group_of(pid) == pid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        return killed


__all__ = ["ProcessHandle", "ProcessRef", "ProcessRegistry", "start_time"]
