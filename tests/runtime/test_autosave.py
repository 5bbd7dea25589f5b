"""The autosave store: atomic, secret-guarded, and it knows which autosaves a crash left."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.roster import io, lockfile
from runtime.roster.atomic import TEMP_PREFIX
from runtime.roster.autosave import AutosaveStore, key_for
from runtime.roster.io import SecretInRosterError
from tests.conftest import make_anthropic_key

SAMPLE = Path(__file__).resolve().parents[2] / "resources/samples/support-triage.roster.yaml"


@pytest.fixture
def store(tmp_path: Path) -> AutosaveStore:
    return AutosaveStore(tmp_path / "autosave")


@pytest.fixture
def text() -> str:
    return io.dumps(io.load_roster(SAMPLE).content)


def with_secret(key: str) -> str:
    content = io.load_roster(SAMPLE).content
    triage = content.nodes["triage"]
    content.nodes["triage"] = dataclasses.replace(
        triage, instructions=f"Call the API with {key} when needed.")
    return io.dumps(content)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def orphan(store: AutosaveStore, key: str, text: str, source: Path | None,
           saved_at: str = "2026-03-01T10:00:00+00:00") -> None:
    """An autosave as a crashed process leaves it: written, then its owner gone."""
    store.write(key, text, source)
    sidecar = store.sidecar_path(key)
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    meta.update(pid=dead_pid(), saved_at=saved_at)
    sidecar.write_text(json.dumps(meta), encoding="utf-8")


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_keys_are_the_sha1_of_the_absolute_path_or_untitled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    absolute = str(tmp_path / "a.roster.yaml")
    assert key_for("a.roster.yaml") == hashlib.sha1(absolute.encode()).hexdigest()
    assert key_for(Path(absolute)) == key_for("a.roster.yaml")
    first, second = key_for(None), key_for(None)
    assert first.startswith("untitled-") and first != second


def test_write_keeps_the_text_and_a_sidecar_naming_source_time_and_pid(
        store: AutosaveStore, text: str, tmp_path: Path) -> None:
    source = tmp_path / "team.roster.yaml"
    written = store.write(key_for(source), text, source)
    assert written == store.directory / f"{key_for(source)}.roster.yaml"
    assert written.read_text(encoding="utf-8") == text
    meta = json.loads(store.sidecar_path(key_for(source)).read_text(encoding="utf-8"))
    assert meta["source"] == str(source)
    assert meta["pid"] == os.getpid()
    assert meta["saved_at"]
    assert not [n for n in files_in(store.directory) if n.startswith(TEMP_PREFIX)]


def test_write_data_gives_exactly_io_dumps(store: AutosaveStore) -> None:
    content = io.load_roster(SAMPLE).content
    written = store.write_data("k", io.to_data(content), SAMPLE)
    assert written.read_text(encoding="utf-8") == io.dumps(content)


def test_a_secret_is_refused_and_nothing_is_written(store: AutosaveStore) -> None:
    key = make_anthropic_key()
    with pytest.raises(SecretInRosterError) as raised:
        store.write("k", with_secret(key), Path("/rosters/team.roster.yaml"))
    assert key not in str(raised.value)
    assert "the autosave of team.roster.yaml" in str(raised.value)
    assert files_in(store.directory) == []


def test_a_refused_secret_leaves_the_previous_autosave_as_it_was(
        store: AutosaveStore, text: str) -> None:
    store.write("k", text, None)
    with pytest.raises(SecretInRosterError):
        store.write("k", with_secret(make_anthropic_key()), None)
    assert store.text_path("k").read_text(encoding="utf-8") == text


def test_write_data_refuses_a_secret_in_the_data(store: AutosaveStore) -> None:
    key = make_anthropic_key()
    content = io.load_roster(SAMPLE).content
    data = io.to_data(content)
    data["agents"]["triage"]["instructions"] = key
    with pytest.raises(SecretInRosterError):
        store.write_data("k", data, None)
    assert files_in(store.directory) == []


def test_autosaves_of_a_live_process_are_not_pending(store: AutosaveStore, text: str) -> None:
    store.write("mine", text, None)
    assert store.pending() == []


def test_autosaves_left_by_dead_processes_are_pending_newest_first(
        store: AutosaveStore, text: str, tmp_path: Path) -> None:
    source = tmp_path / "team.roster.yaml"
    orphan(store, "older", text, None, saved_at="2026-03-01T09:00:00+00:00")
    orphan(store, "newer", text + "# edited\n", source, saved_at="2026-03-01T10:00:00+00:00")
    store.write("mine", text, None)
    pending = store.pending()
    assert [item.key for item in pending] == ["newer", "older"]
    assert pending[0].source == source and pending[0].text == text + "# edited\n"
    assert pending[0].display_name == "team.roster.yaml"
    assert pending[1].source is None and pending[1].display_name == "Untitled roster"


def test_an_autosave_identical_to_its_saved_file_has_nothing_to_recover(
        store: AutosaveStore, text: str, tmp_path: Path) -> None:
    source = tmp_path / "team.roster.yaml"
    source.write_text(text, encoding="utf-8")
    orphan(store, key_for(source), text, source)
    assert store.pending() == []
    assert files_in(store.directory) == []


def test_autosaves_from_another_host_are_left_to_that_host(
        store: AutosaveStore, text: str) -> None:
    orphan(store, "theirs", text, None)
    meta = json.loads(store.sidecar_path("theirs").read_text(encoding="utf-8"))
    meta["host"] = "elsewhere.example"
    store.sidecar_path("theirs").write_text(json.dumps(meta), encoding="utf-8")
    assert store.pending() == []


def test_a_sidecar_whose_text_never_came_is_cleaned_up(store: AutosaveStore, text: str) -> None:
    orphan(store, "half", text, None)
    store.text_path("half").unlink()
    assert store.pending() == []
    assert files_in(store.directory) == []


def test_discard_removes_both_files_and_tolerates_absence(
        store: AutosaveStore, text: str) -> None:
    store.write("k", text, None)
    store.discard("k")
    store.discard("k")
    assert files_in(store.directory) == []


def test_a_clean_exit_removes_only_this_process_autosaves(
        store: AutosaveStore, text: str) -> None:
    store.write("mine", text, None)
    orphan(store, "crashed", text, None)
    assert store.mark_clean_exit() == ["mine"]
    assert [item.key for item in store.pending()] == ["crashed"]


def test_set_aside_keeps_a_crash_copy_out_of_a_new_autosave_s_way(
        store: AutosaveStore, text: str) -> None:
    orphan(store, "k", text, None)
    moved = store.set_aside("k")
    assert moved != "k" and store.read("k") is None
    assert [item.key for item in store.pending()] == [moved]


def test_only_old_temporary_files_are_swept(store: AutosaveStore) -> None:
    old = store.directory / f"{TEMP_PREFIX}old.tmp"
    young = store.directory / f"{TEMP_PREFIX}young.tmp"
    old.write_bytes(b"x")
    young.write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert store.sweep_temps() == [old]
    assert young.exists()


def test_keys_cannot_escape_the_folder(store: AutosaveStore, text: str) -> None:
    with pytest.raises(ValueError):
        store.write("../evil", text, None)


def test_process_liveness_is_shared_with_the_lock() -> None:
    assert lockfile.process_alive(os.getpid(), lockfile.host_name())
    assert not lockfile.process_alive(dead_pid(), lockfile.host_name())
