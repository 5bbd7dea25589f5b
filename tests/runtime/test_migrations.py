"""Format versions: an explicit chain of pure migrations, and refusal of the future.

FORMAT.md and RELIABILITY.md ("Format versioning and migrations"): loading dispatches
on the integer `version`; an older file goes through the chain one step at a time
(each step a pure dict → dict function); a newer one is refused with a message saying
to update, and the file is not touched; the first save after a migration keeps the
original as NAME.vN.bak. Version 1 is the first format, so the shipped chain is empty
and the mechanism is tested here with a chain of the tests' own.
"""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import pytest

from runtime.roster import codec, io
from runtime.roster.errors import RosterLoadError
from runtime.roster.migrations import CURRENT_VERSION, MIGRATIONS, OLDEST_VERSION, migrate

V0_TEXT = """\
format: agent-roster
version: 0
title: Legacy roster
agents:
  helper:
    display_name: Helper
    model: claude-haiku-5-5
"""


def v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A made-up version 0 called the roster name `title` and agent names `display_name`."""
    data = dict(data)
    if "title" in data:
        data["name"] = data.pop("title")
    data["agents"] = {
        agent_id: {("name" if k == "display_name" else k): v for k, v in agent.items()}
        for agent_id, agent in (data.get("agents") or {}).items()
    }
    return data


TEST_CHAIN = {0: v0_to_v1}
migrate_from_v0 = functools.partial(migrate, current=1, oldest=0, chain=TEST_CHAIN)


def v0_data() -> dict[str, Any]:
    return io.yaml_read.parse(V0_TEXT)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- the mechanism


def test_a_v0_mapping_is_migrated_to_v1_by_the_chain() -> None:
    migrated = migrate_from_v0(v0_data(), 0)
    assert migrated["version"] == 1
    assert migrated["name"] == "Legacy roster" and "title" not in migrated
    assert migrated["agents"]["helper"] == {"name": "Helper", "model": "claude-haiku-5-5"}


def test_a_migrated_mapping_decodes_as_the_current_format() -> None:
    content = codec.decode(migrate_from_v0(v0_data(), 0))
    assert content.meta.name == "Legacy roster"
    assert content.nodes["helper"].name == "Helper"


def test_migrating_does_not_change_the_mapping_it_was_given() -> None:
    original = v0_data()
    kept = copy.deepcopy(original)
    migrate_from_v0(original, 0)
    assert original == kept


def test_a_current_mapping_passes_through_unchanged() -> None:
    data = {"format": "agent-roster", "version": 1, "name": "Now"}
    assert migrate_from_v0(dict(data), 1) == data


def test_each_step_runs_once_in_order_and_stamps_the_new_version() -> None:
    seen: list[int] = []

    def step(n: int) -> Any:
        def run(data: dict[str, Any]) -> dict[str, Any]:
            seen.append(data["version"])
            return {**data, f"step{n}": True}
        return run

    migrated = migrate({"version": 0}, 0, current=3, oldest=0,
                       chain={0: step(0), 1: step(1), 2: step(2)})
    assert seen == [0, 1, 2]
    assert migrated == {"version": 3, "step0": True, "step1": True, "step2": True}


def test_a_gap_in_the_chain_is_an_error_naming_the_missing_step() -> None:
    with pytest.raises(RosterLoadError, match="no migration from format version 1 to 2"):
        migrate({"version": 0}, 0, current=2, oldest=0, chain=TEST_CHAIN)


def test_a_future_version_is_refused_with_a_message_to_update() -> None:
    with pytest.raises(RosterLoadError) as caught:
        migrate({"version": 2}, 2, current=1, oldest=0, chain=TEST_CHAIN)
    error = caught.value
    assert "format version 2" in error.message and "up to version 1" in error.message
    assert error.hint is not None and "update Agent Roster" in error.hint
    assert error.path == ("version",)


def test_a_version_older_than_the_oldest_supported_is_refused() -> None:
    with pytest.raises(RosterLoadError, match="older than any") as caught:
        migrate({"version": 0}, 0, current=1, oldest=1, chain={})
    assert caught.value.expected == "a version from 1 to 1"


# ---------------------------------------------------------------- the shipped chain


def test_the_shipped_chain_has_a_step_from_every_supported_version_below_current() -> None:
    assert OLDEST_VERSION <= CURRENT_VERSION
    assert set(MIGRATIONS) == set(range(OLDEST_VERSION, CURRENT_VERSION))


def test_the_shipped_chain_reaches_the_current_version_from_the_oldest() -> None:
    data = {"format": "agent-roster", "version": OLDEST_VERSION}
    assert migrate(data, OLDEST_VERSION)["version"] == CURRENT_VERSION


def test_the_shipped_chain_refuses_the_next_version() -> None:
    with pytest.raises(RosterLoadError, match="update Agent Roster"):
        migrate({"version": CURRENT_VERSION + 1}, CURRENT_VERSION + 1)


# ---------------------------------------------------------------- files


def test_a_file_from_the_future_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.roster.yaml"
    data = b"format: agent-roster\nversion: 99\nname: From the future\nfuture_only: {a: 1}\n"
    path.write_bytes(data)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    with pytest.raises(RosterLoadError) as caught:
        io.load_roster(path)
    assert str(caught.value).startswith(f"{path}:2:10: version: this roster is format version 99")
    assert "update Agent Roster" in str(caught.value)
    assert path.read_bytes() == data
    assert path.stat().st_mtime == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["future.roster.yaml"]


@pytest.fixture
def v0_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the loader read version 0 files through the test chain."""
    monkeypatch.setattr(io, "migrate", migrate_from_v0)


def test_loading_an_old_file_migrates_it_and_says_so(v0_chain: None, tmp_path: Path) -> None:
    path = tmp_path / "legacy.roster.yaml"
    path.write_text(V0_TEXT, encoding="utf-8")
    loaded = io.load_roster(path)
    assert loaded.version_read == 0
    assert loaded.migrated
    assert loaded.content.meta.name == "Legacy roster"
    assert path.read_text(encoding="utf-8") == V0_TEXT  # loading never writes


def test_saving_after_a_migration_keeps_the_original_as_a_versioned_backup(
    v0_chain: None, tmp_path: Path
) -> None:
    path = tmp_path / "legacy.roster.yaml"
    path.write_text(V0_TEXT, encoding="utf-8")
    loaded = io.load_roster(path)
    io.save_roster(loaded.content, path, migrated_from=loaded.version_read)
    backup = tmp_path / "legacy.roster.yaml.v0.bak"
    assert backup.read_text(encoding="utf-8") == V0_TEXT
    assert path.read_text(encoding="utf-8") == io.dumps(loaded.content)
    assert io.load_roster(path).version_read == CURRENT_VERSION


def test_saving_without_a_migration_keeps_no_versioned_backup(tmp_path: Path) -> None:
    path = tmp_path / "current.roster.yaml"
    path.write_text("format: agent-roster\nversion: 1\nname: Now\n", encoding="utf-8")
    loaded = io.load_roster(path)
    io.save_roster(loaded.content, path, migrated_from=loaded.version_read)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.roster.yaml"]


def test_saving_a_migrated_roster_to_a_new_file_needs_no_backup(
    v0_chain: None, tmp_path: Path
) -> None:
    source = tmp_path / "legacy.roster.yaml"
    source.write_text(V0_TEXT, encoding="utf-8")
    loaded = io.load_roster(source)
    io.save_roster(loaded.content, tmp_path / "new.roster.yaml", migrated_from=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legacy.roster.yaml", "new.roster.yaml"]
