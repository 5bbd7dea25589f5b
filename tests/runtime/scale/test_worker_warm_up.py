"""A worker imports what every run needs before it takes runs, so its first run is not
seconds slower than the rest; a module that cannot be imported is reported, not fatal."""

from __future__ import annotations

import logging
import sys

import pytest

from runtime.scale import worker


def test_warm_up_imports_the_modules_every_run_needs() -> None:
    worker.warm_up()
    assert all(name in sys.modules for name in worker.WARM_MODULES)
    assert "anthropic" in worker.WARM_MODULES


def test_a_missing_module_is_a_warning(monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(worker, "WARM_MODULES", ("runtime.no_such_module_here",))
    with caplog.at_level(logging.WARNING, logger="roster.scale"):
        worker.warm_up()
    assert "runtime.no_such_module_here" in caplog.text
