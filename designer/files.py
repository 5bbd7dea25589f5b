"""Opening, saving, locking, autosaving and crash recovery for the designer's one document.

`FileService` sits beside a `RosterController`. `open` locks the file
(`runtime.roster.lockfile`) and, when another live instance holds it, asks
`ask_locked` (read-only, open anyway, cancel); `save` refuses to overwrite a file
opened read-only and moves the lock on Save As. Every `interval_ms` (30 s) the
autosave timer checks whether the document is modified and changed since the last
autosave; if so the UI thread takes only `Document.content()`, an immutable snapshot
(well under a millisecond even for 2,000 agents), and a single worker thread
serialises it, runs the secret guard and writes it through `AutosaveStore`, so
neither YAML dumping nor disk I/O ever blocks the event loop. The single worker also
orders work: a discard queued after a save runs after any autosave still in flight.
An autosave is discarded when the document becomes clean (saved, or undone back to
the saved state) and when it is replaced or the app exits cleanly. `check_recovery`,
called once the event loop runs, offers autosaves left by a crashed instance
(`ask_recover`); a recovered roster opens as a modified document at its original
path, so the user has to save it, and the file on disk stays untouched until then.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
import uuid
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar, Final

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QMessageBox, QWidget

from designer.controller import RosterController
from runtime.roster import io
from runtime.roster.autosave import AutosaveStore, Recoverable, key_for
from runtime.roster.codec import RosterContent
from runtime.roster.lockfile import Lock, LockedByOther, LockInfo, acquire

OWN: Final = "own"
READ_ONLY: Final = "read-only"
OPEN_ANYWAY: Final = "anyway"
CANCEL: Final = "cancel"
DEFAULT_INTERVAL_MS: Final = 30_000
WORKER_SWITCH_INTERVAL_S: Final = 0.001


def default_autosave_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "autosave"


class FileService(QObject):
    autosaved = Signal(object)  # Path of the autosave file (emitted from the worker)
    autosave_refused = Signal(str)  # a secret is in the roster; the message never quotes it
    autosave_failed = Signal(str)  # an I/O error; retried at the next tick
    read_only_changed = Signal(bool)
    _live: ClassVar[weakref.WeakSet[FileService]] = weakref.WeakSet()

    def __init__(self, controller: RosterController, parent: QWidget | None = None, *,
                 autosave_dir: str | Path | None = None,
                 interval_ms: int = DEFAULT_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.controller = controller
        self.dialog_parent = parent
        self.store = AutosaveStore(autosave_dir if autosave_dir is not None
                                   else default_autosave_dir())
        self.lock: Lock | None = None
        self.read_only = False
        self.last_snapshot_ms = 0.0  # UI-thread time of the latest autosave snapshot
        self._key = key_for(controller.path)
        self._generation = 0  # bumped whenever the controller gets a new document
        self._last_stamp: tuple[int, int, str] | None = None
        self._replacing: str | None = None  # the key open()/recover() are switching to
        self._asking_about: Path | None = None
        self._pending: Future[Path | None] | None = None
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-autosave")
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        controller.clean_changed.connect(self._on_clean_changed)
        controller.document_replaced.connect(self._on_document_replaced)
        self.autosave_failed.connect(self._forget_stamp)
        FileService._live.add(self)

    @property
    def key(self) -> str:
        """The autosave key of the current document."""
        return self._key

    def autosave_path(self) -> Path:
        return self.store.text_path(self._key)

    # ------------------------------------------------------------ questions (overridable)

    def ask_locked(self, info: LockInfo) -> str:
        """READ_ONLY, OPEN_ANYWAY or CANCEL for a file another live instance holds."""
        name = self._asking_about.name if self._asking_about else "The roster"
        box = QMessageBox(QMessageBox.Icon.Warning, "Roster in use",
                          f"{name} is open in another Agent Roster ({info.describe()}).",
                          QMessageBox.StandardButton.NoButton, self.dialog_parent)
        box.setInformativeText("Open it read-only, or take it over if that instance is gone.")
        read_only = box.addButton("Open read-only", QMessageBox.ButtonRole.AcceptRole)
        anyway = box.addButton("Open anyway", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(read_only)
        box.exec()
        clicked = box.clickedButton()
        return READ_ONLY if clicked is read_only else OPEN_ANYWAY if clicked is anyway else CANCEL

    def ask_recover(self, items: list[Recoverable]) -> list[Recoverable]:
        """The autosaves to recover (the first one opens); Discard removes one for good."""
        for item in items:
            when = item.saved_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            where = f" ({item.source})" if item.source else ""
            box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved changes",
                              f"Agent Roster did not close properly. Unsaved changes to "
                              f"{item.display_name}{where} from {when} can be recovered.",
                              QMessageBox.StandardButton.NoButton, self.dialog_parent)
            recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
            discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
            box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
            box.setDefaultButton(recover)
            box.exec()
            if box.clickedButton() is recover:
                return [item]
            if box.clickedButton() is discard:
                self.store.discard(item.key)
        return []

    def warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self.dialog_parent, title, text)

    # ------------------------------------------------------------ open and save

    def open(self, path: str | Path) -> bool:
        """Lock and open `path`; False if the user cancelled. Raises RosterLoadError."""
        path = Path(path)
        decision = self._lock_for(path)
        if decision is None:
            return False
        lock, mode = decision
        key = _contested_key(path) if mode in (READ_ONLY, OPEN_ANYWAY) else key_for(path)
        crashed = self.store.read(key)
        if crashed is not None and not self.store.owner_alive(key):
            if self.ask_recover([crashed]):
                if self._adopt(crashed, lock, mode, key):
                    return True  # else it was damaged (and kept): open the saved file
            if self.store.read(key) is not None:  # "Later": keep it out of this file's way
                self.store.set_aside(key)
        try:
            self._replacing = key
            self.controller.open(path)
        except BaseException:
            if lock is not None and lock is not self.lock:
                lock.release()
            raise
        finally:
            self._replacing = None
        self._take(lock, mode, key)
        return True

    def save(self, path: str | Path | None = None) -> Path | None:
        """Save (Save As with `path`); None if the user cancelled. Raises OSError or
        SecretInRosterError like `RosterController.save`, PermissionError if read-only."""
        current = self.controller.path
        target = Path(path) if path is not None else current
        if target is None:
            raise ValueError("no file name; use Save As")
        same = current is not None and os.path.abspath(target) == os.path.abspath(current)
        if same and self.read_only:
            raise PermissionError(errno.EACCES, "opened read-only; use Save As", str(target))
        lock = self.lock
        if not same:
            self._asking_about = target
            try:
                lock = acquire(target)
            except LockedByOther as exc:
                if self.ask_locked(exc.info) != OPEN_ANYWAY:
                    return None
                lock = acquire(target, force=True)
            except OSError:
                lock = None
        old_key = self._key
        try:
            self.controller.save(target)
        except BaseException:
            if lock is not None and lock is not self.lock:
                lock.release()
            raise
        if not same:
            self._take(lock, OWN, key_for(target))
        self._discard(old_key)
        self._discard(self._key)
        return target

    def _lock_for(self, path: Path) -> tuple[Lock | None, str] | None:
        """(lock or None, mode) for opening `path`, or None if the user cancelled. The mode
        is OWN (ours alone, or no lock could be made), READ_ONLY or OPEN_ANYWAY."""
        if self.lock is not None and self.lock.path == path.absolute() and self.lock.held:
            return self.lock, OWN
        self._asking_about = path
        try:
            return acquire(path), OWN
        except LockedByOther as exc:
            answer = self.ask_locked(exc.info)
            if answer == OPEN_ANYWAY:
                return acquire(path, force=True), OPEN_ANYWAY
            if answer == READ_ONLY:
                return None, READ_ONLY
            return None
        except OSError:  # e.g. a read-only folder: open without a lock
            return None, OWN

    def _take(self, lock: Lock | None, mode: str, key: str) -> None:
        if self.lock is not None and self.lock is not lock:
            self.lock.release()
        self.lock = lock
        self._key = key
        self._last_stamp = None
        read_only = mode == READ_ONLY
        if read_only != self.read_only:
            self.read_only = read_only
            self.read_only_changed.emit(read_only)

    # ------------------------------------------------------------ recovery

    def check_recovery(self) -> bool:
        """Offer autosaves left by crashed instances; True if one was recovered."""
        self.store.sweep_temps()
        items = self.store.pending()
        if not items:
            return False
        for item in self.ask_recover(items):
            if self.recover(item):
                return True
        return False

    def recover(self, item: Recoverable) -> bool:
        """Open `item` as a modified document at its original path; False if cancelled."""
        if item.source is None:
            return self._adopt(item, None, OWN, item.key)
        decision = self._lock_for(item.source)
        if decision is None:
            return False
        lock, mode = decision
        key = item.key if mode == OWN else _contested_key(item.source)
        if self._adopt(item, lock, mode, key):
            return True
        if lock is not None and lock is not self.lock:
            lock.release()
        return False

    def _adopt(self, item: Recoverable, lock: Lock | None, mode: str, key: str) -> bool:
        try:
            content = io.loads(item.text, filename=f"autosave of {item.display_name}",
                               source=item.source).content
        except Exception as exc:
            self.warn("Cannot recover", f"The autosave of {item.display_name} is damaged "
                      f"and was kept in {self.store.directory}: {exc}")
            return False
        self._replacing = key
        try:
            self.controller.replace_document(content, item.source)
        finally:
            self._replacing = None
        self._take(lock, mode, key)
        self.controller.undo_stack.resetClean()  # never clean: the user must save it
        self.autosave_now()  # this instance now owns the autosave
        return True

    # ------------------------------------------------------------ autosave

    def _tick(self) -> None:
        if self._pending is not None and not self._pending.done():
            return  # still writing the previous snapshot; the next tick catches up
        self.autosave_now()

    def autosave_now(self) -> Future[Path | None] | None:
        """Queue an autosave of the current document if it is modified and changed since
        the last one; the future gives the file written (None if refused or failed)."""
        if self._closed or not self.controller.modified:
            return None
        document = self.controller.document
        stamp = (self._generation, document.revision, self._key)
        if stamp == self._last_stamp:
            return None
        started = time.perf_counter()
        snapshot = document.content()
        self._last_stamp = stamp
        future = self._executor.submit(self._write, self._key, snapshot, self.controller.path)
        self._pending = future
        self.last_snapshot_ms = (time.perf_counter() - started) * 1000
        return future

    def _write(self, key: str, snapshot: RosterContent, source: Path | None) -> Path | None:
        """Worker thread: serialise, guard, write. Never touches Qt objects but signals.

        While it runs, the interpreter switches threads every millisecond instead of every
        five, so the UI thread waits at most about that long for the GIL."""
        previous = sys.getswitchinterval()
        sys.setswitchinterval(min(previous, WORKER_SWITCH_INTERVAL_S))
        try:
            written = self.store.write_data(key, io.to_data(snapshot), source)
        except io.SecretInRosterError as exc:
            _emit(self.autosave_refused, str(exc))
            return None
        except OSError as exc:
            _emit(self.autosave_failed, f"Autosave failed: {exc}")
            return None
        finally:
            if sys.getswitchinterval() == min(previous, WORKER_SWITCH_INTERVAL_S):
                sys.setswitchinterval(previous)
        _emit(self.autosaved, written)
        return written

    def _discard(self, key: str) -> None:
        """Queued behind any autosave in flight, so nothing re-creates the file after."""
        if self._closed:
            self.store.discard(key)
        else:
            self._executor.submit(self.store.discard, key)

    def wait_idle(self, timeout: float | None = 10.0) -> bool:
        """Block until queued autosaves and discards are done (tests, quitting)."""
        if self._closed:
            return True
        marker = self._executor.submit(lambda: None)
        try:
            marker.result(timeout)
        except TimeoutError:
            return False
        return True

    def _forget_stamp(self, _message: str) -> None:
        self._last_stamp = None

    def _on_clean_changed(self, clean: bool) -> None:
        if clean:
            self._discard(self._key)
            self._last_stamp = None

    def _on_document_replaced(self, _document: object) -> None:
        self._generation += 1
        self._last_stamp = None
        if self._key != self._replacing:
            self._discard(self._key)  # the previous document was saved or given up
        if self._replacing is None:  # replaced by someone else: not ours to lock
            self._take(None, OWN, key_for(self.controller.path))

    # ------------------------------------------------------------ exit

    def shutdown(self) -> None:
        """Clean exit: stop autosaving, drop this instance's autosaves, release the lock.
        Call it after the user saved or discarded their changes."""
        self.timer.stop()
        self._discard(self._key)
        self._closed = True
        self._executor.shutdown(wait=True)
        FileService._live.discard(self)
        if not any(other.store.directory == self.store.directory for other in FileService._live):
            self.store.mark_clean_exit()  # the last window of this process is closing
        self._take(None, OWN, self._key)


def _emit(signal: SignalInstance, value: object) -> None:
    """Emit from the worker; the service may already be gone at exit."""
    with contextlib.suppress(RuntimeError):
        signal.emit(value)


def _contested_key(path: Path) -> str:
    """A key of its own for a file another instance also has open, so neither
    instance overwrites the other's autosave."""
    return f"{key_for(path)}-{uuid.uuid4().hex[:8]}"
