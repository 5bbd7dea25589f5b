"""Every keyring call is time-boxed: a hung keyring never hangs the caller or its exit."""

from __future__ import annotations

import importlib.abc
import subprocess
import sys
import threading
import time
from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from runtime.secrets.keystore import (
    KeyringTimeout,
    KeyStore,
    detect_backend,
)
from tests.runtime.keyring_backends import (
    HangingKeyring,
)
from tests.runtime.keys.support import FAST, REPO

# --- timeouts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.get("anthropic"),
        lambda s: s.set("anthropic", "v"),
        lambda s: s.delete("anthropic"),
        lambda s: s.list_names(),
    ],
    ids=["get", "set", "delete", "list_names"],
)
def test_a_hung_keyring_call_times_out_promptly(hanging: HangingKeyring, operation: Any) -> None:
    store = KeyStore(backend=hanging, timeout=FAST)
    started = time.monotonic()
    with pytest.raises(KeyringTimeout, match=r"did not answer within 0\.5 s"):
        operation(store)
    assert time.monotonic() - started < FAST + 1.0


def test_the_timeout_message_says_what_to_do(hanging: HangingKeyring) -> None:
    with pytest.raises(KeyringTimeout) as info:
        KeyStore(backend=hanging, timeout=FAST).get("anthropic")
    assert "Unlock the keyring" in str(info.value)
    assert "--timeout" in str(info.value)


@pytest.mark.slow
def test_the_default_five_second_timeout_fires_against_a_thirty_second_hang(
    hanging: HangingKeyring,
) -> None:
    store = KeyStore(backend=hanging)  # the real default timeout
    started = time.monotonic()
    with pytest.raises(KeyringTimeout):
        store.get("anthropic")
    assert time.monotonic() - started < 6.0


def test_a_hung_call_does_not_block_the_next_one(hanging: HangingKeyring) -> None:
    store = KeyStore(backend=hanging, timeout=FAST)
    started = time.monotonic()
    for _ in range(3):
        with pytest.raises(KeyringTimeout):
            store.get("anthropic")
    assert time.monotonic() - started < 3 * FAST + 1.5


def test_a_hung_call_is_left_on_a_daemon_thread(hanging: HangingKeyring) -> None:
    with pytest.raises(KeyringTimeout):
        KeyStore(backend=hanging, timeout=FAST).get("anthropic")
    workers = [t for t in threading.enumerate() if t.name.startswith("keyring:")]
    assert workers and all(t.daemon for t in workers)


def test_a_hung_call_never_delays_interpreter_exit() -> None:
    script = (
        "import time\n"
        "from runtime.secrets.keystore import KeyStore, KeyringTimeout\n"
        "from tests.runtime.keyring_backends import HangingKeyring\n"
        "try:\n"
        "    KeyStore(backend=HangingKeyring(30.0), timeout=0.2).get('anthropic')\n"
        "except KeyringTimeout:\n"
        "    print('timed out')\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=25
    )
    assert done.stdout.strip() == "timed out", done.stderr
    assert time.monotonic() - started < 10.0


class _HangingImport(importlib.abc.MetaPathFinder):
    """Makes `import keyring` block, like a D-Bus probe that takes minutes."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname == "keyring":
            self.released.wait(30)
            raise ImportError("blocked by the test")
        return None


def test_a_hanging_import_of_keyring_is_time_boxed(monkeypatch: pytest.MonkeyPatch) -> None:
    finder = _HangingImport()
    monkeypatch.delitem(sys.modules, "keyring")
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    try:
        started = time.monotonic()
        with pytest.raises(KeyringTimeout):
            detect_backend(timeout=FAST)
        with pytest.raises(KeyringTimeout):
            KeyStore(timeout=FAST).get("anthropic")
        assert time.monotonic() - started < 2 * FAST + 1.5
    finally:
        finder.released.set()


def test_slow_backend_detection_is_time_boxed(monkeypatch: pytest.MonkeyPatch) -> None:
    released = threading.Event()
    monkeypatch.setattr(keyring, "get_keyring", lambda: released.wait(30))
    try:
        with pytest.raises(KeyringTimeout, match="detecting the keyring backend"):
            detect_backend(timeout=FAST)
    finally:
        released.set()
