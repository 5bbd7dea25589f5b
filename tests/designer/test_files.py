"""FileService: locks, off-thread autosave, and recovery after a real crash (SIGKILL)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.controller import RosterController
from designer.files import CANCEL, OPEN_ANYWAY, READ_ONLY, FileService
from runtime.roster import autosave, io, lockfile
from runtime.roster.autosave import AutosaveStore, Recoverable, key_for
from runtime.roster.lockfile import LockInfo, lock_path_for, read_lock
from tests.conftest import make_anthropic_key

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources/samples/support-triage.roster.yaml"
INTERVAL_MS = 50


class ScriptedFiles(FileService):
    """A FileService whose questions are answered by the test, and recorded."""

    lock_answer = CANCEL
    recover_choice: Callable[[list[Recoverable]], list[Recoverable]] = staticmethod(
        lambda items: items[:1])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.asked_locked: list[LockInfo] = []
        self.asked_recover: list[list[Recoverable]] = []
        self.warnings: list[str] = []

    def ask_locked(self, info: LockInfo) -> str:
        self.asked_locked.append(info)
        return self.lock_answer

    def ask_recover(self, items: list[Recoverable]) -> list[Recoverable]:
        self.asked_recover.append(items)
        return self.recover_choice(items)

    def warn(self, title: str, text: str) -> None:
        self.warnings.append(text)


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    folder = tmp_path / "rosters"
    folder.mkdir()
    return Path(shutil.copy(SAMPLE, folder / SAMPLE.name))


@pytest.fixture
def autosave_dir(tmp_path: Path) -> Path:
    return tmp_path / "autosave"


@pytest.fixture
def make_files(qtbot: QtBot, autosave_dir: Path) -> Iterator[Callable[..., ScriptedFiles]]:
    made: list[ScriptedFiles] = []

    def make(interval_ms: int = INTERVAL_MS, **answers: object) -> ScriptedFiles:
        files = ScriptedFiles(RosterController(), None, autosave_dir=autosave_dir,
                              interval_ms=interval_ms)
        for name, value in answers.items():
            setattr(files, name, value)
        made.append(files)
        return files

    yield make
    for files in made:
        files.shutdown()


def wait_for_autosave(qtbot: QtBot, files: FileService) -> str:
    qtbot.waitUntil(lambda: files.autosave_path().exists(), timeout=10_000)
    assert files.wait_idle()
    return files.autosave_path().read_text(encoding="utf-8")


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# ---------------------------------------------------------------- autosave


def test_autosave_waits_for_an_edit_then_writes_exactly_io_dumps(
        qtbot: QtBot, make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    files = make_files()
    original = roster.read_bytes()
    assert files.open(roster)
    qtbot.wait(INTERVAL_MS * 5)
    assert not files.autosave_path().exists()  # not modified: nothing to keep

    files.controller.set_property("triage", "name", "Edited ticket classifier")
    text = wait_for_autosave(qtbot, files)

    assert text == io.dumps(files.controller.document.content())
    assert files.store.read(files.key).source == roster  # type: ignore[union-attr]
    assert roster.read_bytes() == original


def test_serialising_guarding_and_writing_happen_off_the_ui_thread(
        qtbot: QtBot, make_files: Callable[..., ScriptedFiles], roster: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    threads: dict[str, threading.Thread] = {}

    def spy(name: str, real: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            threads[name] = threading.current_thread()
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(io, "to_data", spy("to_data", io.to_data))
    monkeypatch.setattr(autosave, "guarded_bytes", spy("guard", autosave.guarded_bytes))
    monkeypatch.setattr(autosave, "write_atomic", spy("write", autosave.write_atomic))
    files = make_files()
    files.open(roster)
    files.controller.set_property("triage", "name", "Written by the worker")
    wait_for_autosave(qtbot, files)
    assert set(threads) == {"to_data", "guard", "write"}
    assert threading.main_thread() not in threads.values()


def test_an_unchanged_document_is_not_autosaved_again(
        qtbot: QtBot, make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    files = make_files()
    files.open(roster)
    files.controller.set_property("triage", "name", "Edited once")
    wait_for_autosave(qtbot, files)
    writes: list[object] = []
    files.autosaved.connect(writes.append)
    qtbot.wait(INTERVAL_MS * 6)
    assert writes == []


def test_a_secret_in_the_document_is_never_autosaved(
        qtbot: QtBot, make_files: Callable[..., ScriptedFiles], roster: Path,
        tmp_path: Path) -> None:
    files = make_files()
    files.open(roster)
    files.controller.set_property("triage", "name", "Before the secret")
    before = wait_for_autosave(qtbot, files)

    key = make_anthropic_key()
    with qtbot.waitSignal(files.autosave_refused, timeout=10_000) as refused:
        files.controller.set_property("triage", "instructions", f"Use {key} for the API.")
    assert files.wait_idle()

    assert key not in refused.args[0]
    assert files.autosave_path().read_text(encoding="utf-8") == before  # the safe one stays
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert key not in path.read_text(encoding="utf-8", errors="replace"), path


def test_saving_discards_the_autosave(
        qtbot: QtBot, make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    files = make_files()
    files.open(roster)
    files.controller.set_property("triage", "name", "Saved name")
    wait_for_autosave(qtbot, files)

    assert files.save() == roster
    assert files.wait_idle()

    assert not files.autosave_path().exists()
    assert files.store.keys() == []
    assert "Saved name" in roster.read_text(encoding="utf-8")


def test_undoing_back_to_the_saved_state_discards_the_autosave(
        qtbot: QtBot, make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    files = make_files()
    files.open(roster)
    files.controller.set_property("triage", "name", "Undone")
    wait_for_autosave(qtbot, files)
    files.controller.undo_stack.undo()
    assert files.wait_idle()
    assert not files.autosave_path().exists()


def test_replacing_the_document_discards_its_autosave_and_releases_the_lock(
        qtbot: QtBot, make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    files = make_files()
    files.open(roster)
    files.controller.set_property("triage", "name", "Given up")
    wait_for_autosave(qtbot, files)
    files.controller.replace_document(io.load_roster(SAMPLE).content, None)  # a template
    assert files.wait_idle()
    assert files.store.keys() == []
    assert not lock_path_for(roster).exists()
    assert files.key.startswith("untitled-")


# ---------------------------------------------------------------- locks


def test_a_second_instance_sees_the_lock_and_cancel_changes_nothing(
        make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    first = make_files()
    assert first.open(roster)
    second = make_files(lock_answer=CANCEL)

    assert second.open(roster) is False

    [info] = second.asked_locked
    assert (info.pid, info.host) == (os.getpid(), lockfile.host_name())
    assert second.controller.path is None and second.controller.document.nodes == {}
    assert not second.controller.modified and second.lock is None
    assert read_lock(roster) == first.lock.info  # type: ignore[union-attr]


def test_read_only_opens_without_the_lock_and_refuses_to_save_over_the_file(
        make_files: Callable[..., ScriptedFiles], roster: Path, tmp_path: Path) -> None:
    first = make_files()
    first.open(roster)
    second = make_files(lock_answer=READ_ONLY)
    original = roster.read_bytes()

    assert second.open(roster)
    assert second.read_only and second.lock is None
    assert second.key != first.key  # its autosaves never overwrite the holder's
    second.controller.set_property("triage", "name", "Read-only edit")
    with pytest.raises(PermissionError):
        second.save()
    assert roster.read_bytes() == original
    copy = tmp_path / "rosters" / "copy.roster.yaml"
    assert second.save(copy) == copy and not second.read_only
    assert read_lock(roster) == first.lock.info  # type: ignore[union-attr]


def test_open_anyway_takes_the_lock_and_the_loser_cannot_remove_it(
        make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    first = make_files()
    first.open(roster)
    second = make_files(lock_answer=OPEN_ANYWAY)
    assert second.open(roster)
    assert second.lock is not None and second.lock.held
    assert first.lock is not None and not first.lock.held
    first.shutdown()
    assert read_lock(roster) == second.lock.info


def test_a_stale_lock_from_a_dead_process_is_taken_over_without_asking(
        make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    lock_path_for(roster).write_text(json.dumps(
        {"pid": dead_pid(), "host": lockfile.host_name(), "user": "gone", "since": "then"}),
        encoding="utf-8")
    files = make_files()
    assert files.open(roster)
    assert files.asked_locked == []
    assert read_lock(roster).pid == os.getpid()  # type: ignore[union-attr]


def test_the_lock_follows_the_open_file_and_goes_at_shutdown(
        make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    other = roster.with_name("other.roster.yaml")
    shutil.copy(roster, other)
    files = make_files()
    files.open(roster)
    files.open(other)
    assert not lock_path_for(roster).exists() and lock_path_for(other).exists()
    files.shutdown()
    assert not lock_path_for(other).exists()


# ---------------------------------------------------------------- recovery


def test_no_question_when_nothing_needs_recovery(
        make_files: Callable[..., ScriptedFiles]) -> None:
    files = make_files()
    assert files.check_recovery() is False
    assert files.asked_recover == []


def plant_crash_autosave(autosave_dir: Path, roster: Path, name: str) -> str:
    content = io.load_roster(roster).content
    store = AutosaveStore(autosave_dir)
    key = key_for(roster)
    triage = content.nodes["triage"]
    content.nodes["triage"] = dataclasses.replace(triage, name=name)
    store.write(key, io.dumps(content), roster)
    meta = json.loads(store.sidecar_path(key).read_text(encoding="utf-8"))
    meta["pid"] = dead_pid()
    store.sidecar_path(key).write_text(json.dumps(meta), encoding="utf-8")
    return io.dumps(content)


def test_opening_a_file_with_a_crash_copy_offers_it(
        make_files: Callable[..., ScriptedFiles], roster: Path, autosave_dir: Path) -> None:
    text = plant_crash_autosave(autosave_dir, roster, "From the crash")
    files = make_files()
    assert files.open(roster)
    assert [item.source for item in files.asked_recover[0]] == [roster]
    assert files.controller.modified
    assert io.dumps(files.controller.document.content()) == text


def test_declining_a_crash_copy_at_open_keeps_it_for_later(
        make_files: Callable[..., ScriptedFiles], roster: Path, autosave_dir: Path) -> None:
    text = plant_crash_autosave(autosave_dir, roster, "From the crash")
    files = make_files(recover_choice=lambda items: [])
    files.open(roster)
    assert not files.controller.modified
    [kept] = files.store.pending()
    assert kept.text == text and kept.source == roster


def test_a_damaged_autosave_is_reported_and_kept(
        make_files: Callable[..., ScriptedFiles], roster: Path, autosave_dir: Path) -> None:
    plant_crash_autosave(autosave_dir, roster, "From the crash")
    damaged = autosave_dir / f"{key_for(roster)}.roster.yaml"
    damaged.write_text("format: agent-roster\nversion: [\n", encoding="utf-8")
    files = make_files()
    assert files.check_recovery() is False
    assert "is damaged" in files.warnings[0]
    assert files.controller.path is None and not lock_path_for(roster).exists()
    assert damaged.exists()


def test_a_clean_exit_keeps_autosaves_of_other_windows_still_open(
        qtbot: QtBot, make_files: Callable[..., ScriptedFiles], roster: Path) -> None:
    first, second = make_files(), make_files()
    first.open(roster)
    first.controller.set_property("triage", "name", "Still being edited")
    wait_for_autosave(qtbot, first)
    second.shutdown()
    assert first.autosave_path().exists()
    first.controller.replace_document(first.controller.document.content(), None)
    first.shutdown()
    assert first.store.keys() == []


CHILD = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from designer.controller import RosterController
from designer.files import FileService

app = QApplication([])
controller = RosterController()
files = FileService(controller, None, autosave_dir=sys.argv[2], interval_ms=200)
assert files.open(Path(sys.argv[1]))
controller.set_property("triage", "name", "Edited just before the crash")
app.exec()
"""


def test_after_sigkill_the_next_start_recovers_the_last_autosave(
        qtbot: QtBot, make_files: Callable[..., ScriptedFiles], roster: Path,
        autosave_dir: Path) -> None:
    original = roster.read_bytes()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(roster), str(autosave_dir)],
                             cwd=REPO, env=env, stderr=subprocess.PIPE)
    autosave = autosave_dir / f"{key_for(roster)}.roster.yaml"
    deadline = time.monotonic() + 60
    try:
        while not (autosave.exists() and "just before the crash" in autosave.read_text("utf-8")):
            assert child.poll() is None, child.stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the child never autosaved"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stderr.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL
    last_autosave = autosave.read_text(encoding="utf-8")
    assert lock_path_for(roster).exists()  # the crash left its lock behind

    files = make_files()
    assert files.check_recovery()

    [offered] = files.asked_recover
    assert [(item.source, item.text) for item in offered] == [(roster, last_autosave)]
    assert files.asked_locked == []  # the dead child's lock was taken over silently
    assert read_lock(roster).pid == os.getpid()  # type: ignore[union-attr]
    assert files.controller.path == roster
    assert files.controller.modified  # the user has to save it
    assert files.controller.document.nodes["triage"].name == "Edited just before the crash"
    assert io.dumps(files.controller.document.content()) == last_autosave
    assert roster.read_bytes() == original

    assert files.wait_idle()
    assert files.store.pending() == []  # this instance owns the autosave now
    files.save()
    assert files.wait_idle()
    assert "Edited just before the crash" in roster.read_text(encoding="utf-8")
    assert files.store.keys() == []
