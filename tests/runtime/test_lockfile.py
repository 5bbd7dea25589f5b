"""The document lock: one live holder per roster file, crashed holders taken over silently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.roster import lockfile
from runtime.roster.lockfile import LockedByOther, LockInfo, acquire, lock_path_for, read_lock


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "team.roster.yaml"
    path.write_text("format: agent-roster\nversion: 1\n", encoding="utf-8")
    return path


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def plant_lock(roster: Path, **fields: object) -> None:
    info = {"pid": os.getpid(), "host": lockfile.host_name(), "user": "someone",
            "since": "2026-01-01T00:00:00+00:00", "token": "planted"} | fields
    lock_path_for(roster).write_text(json.dumps(info), encoding="utf-8")


def test_the_lock_sits_next_to_the_roster_libreoffice_style(roster: Path) -> None:
    lock = acquire(roster)
    assert lock.lock_path == roster.parent / ".~lock.team.roster.yaml#"
    data = json.loads(lock.lock_path.read_text(encoding="utf-8"))
    assert data["pid"] == os.getpid()
    assert data["host"] == lockfile.host_name()
    assert {"user", "since", "token"} <= data.keys()
    lock.release()
    assert not lock.lock_path.exists()


def test_a_second_acquire_while_held_names_the_holder(roster: Path) -> None:
    with acquire(roster) as first:
        with pytest.raises(LockedByOther) as raised:
            acquire(roster)
        assert raised.value.info.pid == os.getpid()
        assert raised.value.info.token == first.info.token
        assert "team.roster.yaml is open in another Agent Roster" in str(raised.value)
    assert acquire(roster).held  # free again after the with block


def test_a_lock_left_by_a_dead_process_is_taken_over_silently(roster: Path) -> None:
    plant_lock(roster, pid=dead_pid())
    lock = acquire(roster)
    assert lock.held
    assert read_lock(roster) == lock.info
    assert read_lock(roster).pid == os.getpid()  # type: ignore[union-attr]


def test_a_recycled_pid_does_not_keep_a_dead_lock_alive(roster: Path) -> None:
    started = lockfile.process_start_time(os.getpid())
    if started is None:
        pytest.skip("no /proc here to tell process start times")
    plant_lock(roster, started=started + 1)  # our pid, but another process's start time
    assert acquire(roster).held


def test_an_unreaped_zombie_counts_as_dead() -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not lockfile._is_zombie(child.pid):
        time.sleep(0.01)
    try:
        assert not lockfile.process_alive(child.pid, lockfile.host_name())
    finally:
        child.wait()


def test_a_lock_from_another_host_is_respected_even_with_a_dead_pid(roster: Path) -> None:
    plant_lock(roster, pid=dead_pid(), host="elsewhere.example")
    with pytest.raises(LockedByOther) as raised:
        acquire(roster)
    assert raised.value.info.host == "elsewhere.example"


def test_force_takes_over_and_the_loser_cannot_undo_it(roster: Path) -> None:
    first = acquire(roster)
    second = acquire(roster, force=True)
    assert second.held and not first.held
    first.release()  # must not remove the lock it lost
    assert read_lock(roster) == second.info
    second.release()
    assert not lock_path_for(roster).exists()


def test_an_unreadable_lock_file_is_taken_over(roster: Path) -> None:
    lock_path_for(roster).write_text("not json {", encoding="utf-8")
    assert acquire(roster).held


def test_release_is_idempotent_and_leaves_no_temporary_files(roster: Path) -> None:
    lock = acquire(roster)
    lock.release()
    lock.release()
    assert sorted(p.name for p in roster.parent.iterdir()) == ["team.roster.yaml"]


def test_lock_info_reads_only_what_it_understands() -> None:
    assert LockInfo.from_json("[1, 2]") is None
    assert LockInfo.from_json('{"pid": "12"}') is None
    info = LockInfo.from_json('{"pid": 12, "host": "h", "since": "t", "extra": 1}')
    assert info == LockInfo(12, "h", "", "t")
    assert info is not None and info.describe() == "pid 12 on h since t"
