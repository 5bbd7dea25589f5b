"""Work off the UI thread: a callable on Qt's thread pool, its result back as a signal.

`BackgroundRunner.start(fn)` runs `fn(progress)` on the global thread pool;
`progress(value)` may be called from the worker any number of times and
arrives as `progress` on the UI thread; the return value arrives as
`finished`, an exception as `failed` (its message, never lost in a thread).
Each start carries a generation number, so results of a request the user has
since replaced are dropped instead of overwriting what they asked for last.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

Progress = Callable[[Any], None]
Work = Callable[[Progress], Any]
EXPECTED_ERRORS: tuple[type[Exception], ...] = (ValueError, KeyError, OSError)


class _Signals(QObject):
    progress = Signal(int, object)
    done = Signal(int, object)
    failed = Signal(int, str)


class _Job(QRunnable):
    def __init__(self, generation: int, work: Work, signals: _Signals) -> None:
        super().__init__()
        self.generation, self.work, self.signals = generation, work, signals

    def run(self) -> None:
        def progress(value: Any) -> None:
            self.signals.progress.emit(self.generation, value)

        try:
            result = self.work(progress)
        except EXPECTED_ERRORS as exc:
            self.signals.failed.emit(self.generation, str(exc))
        except Exception:  # any failure is shown, never lost in a thread
            self.signals.failed.emit(self.generation, traceback.format_exc(limit=3))
        else:
            self.signals.done.emit(self.generation, result)


class BackgroundRunner(QObject):
    """Runs one kind of job; emits only the newest job's progress and outcome."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._pending = 0
        self._signals = _Signals(self)
        self._signals.progress.connect(self._progress)
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self.pool = QThreadPool.globalInstance()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def start(self, work: Work) -> None:
        self._generation += 1
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        self.pool.start(_Job(self._generation, work, self._signals))

    def _settle(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)

    def _progress(self, generation: int, value: object) -> None:
        if generation == self._generation:
            self.progress.emit(value)

    def _done(self, generation: int, result: object) -> None:
        self._settle()
        if generation == self._generation:
            self.finished.emit(result)

    def _failed(self, generation: int, message: str) -> None:
        self._settle()
        if generation == self._generation:
            self.failed.emit(message)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool is idle (tests and shutdown)."""
        return bool(self.pool.waitForDone(msecs))
