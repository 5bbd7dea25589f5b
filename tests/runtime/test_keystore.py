"""Specification of the keystore: secure-only, time-boxed keyring access; session keys;
reference resolution; and the scrubbed environment handed to child processes."""

from __future__ import annotations

import importlib.abc
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest
from hypothesis import given
from hypothesis import strategies as st
from keyring.testing.backend import BackendBasicTests

from runtime.secrets import keystore
from runtime.secrets.keystore import (
    INDEX_NAME,
    BackendInfo,
    KeyDeleteError,
    KeyNotFound,
    KeyringInitError,
    KeyringLockedError,
    KeyringTimeout,
    KeySetError,
    KeyStore,
    KeyStoreError,
    NoSecureBackend,
    SessionKeys,
    classify_backend,
    detect_backend,
    resolve,
    scrubbed_env,
)
from runtime.secrets.refs import DEFAULT_SERVICE, ReferenceSyntaxError
from tests.runtime.keyring_backends import (
    HangingKeyring,
    MemoryKeyring,
    OddValuesKeyring,
    PlaintextKeyring,
    chainer_of,
    delete_error_keyring,
    fake_api_key,
    init_error_keyring,
    locked_keyring,
    no_keyring,
    set_error_keyring,
)

REPO = Path(__file__).resolve().parents[2]
FAST = 0.5  # seconds; the timeout used wherever the real default is not the point


@pytest.fixture
def memory() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def store(memory: MemoryKeyring) -> KeyStore:
    return KeyStore(backend=memory, timeout=FAST)


@pytest.fixture
def hanging() -> Iterator[HangingKeyring]:
    backend = HangingKeyring(30.0)
    yield backend
    backend.release()


class TestMemoryKeyringConformance(BackendBasicTests):
    """keyring's own backend test suite, so the fake behaves like a real backend."""

    def init_keyring(self) -> MemoryKeyring:
        return MemoryKeyring()


# --- storing, reading, deleting, listing ---------------------------------------------


def test_a_stored_key_reads_back_unchanged(store: KeyStore) -> None:
    key = fake_api_key()
    store.set("anthropic", key)
    assert store.get("anthropic") == key


def test_reading_a_name_never_stored_gives_none(store: KeyStore) -> None:
    assert store.get("anthropic") is None


def test_keys_live_under_the_store_service_with_the_name_as_user(
    store: KeyStore, memory: MemoryKeyring
) -> None:
    store.set("anthropic", "v")
    assert memory.store[(DEFAULT_SERVICE, "anthropic")] == "v"


def test_setting_again_replaces_the_value(store: KeyStore) -> None:
    store.set("anthropic", "first")
    store.set("anthropic", "second")
    assert store.get("anthropic") == "second"


def test_delete_removes_the_key(store: KeyStore) -> None:
    store.set("anthropic", "v")
    store.delete("anthropic")
    assert store.get("anthropic") is None


def test_deleting_a_missing_key_raises_key_not_found_naming_it(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match="anthropic"):
        store.delete("anthropic")


def test_list_names_gives_the_stored_names_sorted(store: KeyStore) -> None:
    store.set("zeta", "1")
    store.set("alpha", "2")
    assert store.list_names() == ["alpha", "zeta"]


def test_list_names_is_empty_when_nothing_was_stored(store: KeyStore) -> None:
    assert store.list_names() == []


def test_deleted_names_leave_the_list(store: KeyStore) -> None:
    store.set("alpha", "1")
    store.set("beta", "2")
    store.delete("alpha")
    assert store.list_names() == ["beta"]


def test_the_index_holds_names_only_never_values(store: KeyStore, memory: MemoryKeyring) -> None:
    key = fake_api_key()
    store.set("anthropic", key)
    index = memory.store[(DEFAULT_SERVICE, INDEX_NAME)]
    assert json.loads(index) == ["anthropic"]
    assert key not in index


def test_deleting_the_last_key_removes_the_index_item(
    store: KeyStore, memory: MemoryKeyring
) -> None:
    store.set("anthropic", "v")
    store.delete("anthropic")
    assert memory.store == {}


def test_a_stale_index_entry_is_dropped_when_its_delete_finds_nothing(
    store: KeyStore, memory: MemoryKeyring
) -> None:
    store.set("anthropic", "v")
    del memory.store[(DEFAULT_SERVICE, "anthropic")]  # removed behind our back
    with pytest.raises(KeyNotFound):
        store.delete("anthropic")
    assert store.list_names() == []


def test_a_malformed_index_lists_nothing_and_is_rewritten_on_the_next_set(
    store: KeyStore, memory: MemoryKeyring
) -> None:
    memory.store[(DEFAULT_SERVICE, INDEX_NAME)] = "{not json"
    assert store.list_names() == []
    store.set("anthropic", "v")
    assert store.list_names() == ["anthropic"]


def test_an_invalid_name_is_refused_before_the_backend_is_touched(
    store: KeyStore, memory: MemoryKeyring
) -> None:
    for name in ("", "__index__", "a/b", "has space"):
        with pytest.raises(ReferenceSyntaxError):
            store.set(name, "v")
    assert memory.calls == []


def test_an_empty_value_is_refused(store: KeyStore, memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        store.set("anthropic", "")
    assert memory.calls == []


def test_a_non_positive_timeout_is_refused() -> None:
    with pytest.raises(ValueError, match="timeout"):
        KeyStore(timeout=0)


def test_a_store_for_another_service_shares_the_backend(
    store: KeyStore, memory: MemoryKeyring
) -> None:
    store.with_service("other").set("anthropic", "v")
    assert memory.store[("other", "anthropic")] == "v"


# --- values are returned exactly as stored -------------------------------------------


def test_a_trailing_newline_in_a_stored_value_is_kept() -> None:
    store = KeyStore(backend=OddValuesKeyring("value\n"), timeout=FAST)
    assert store.get("anthropic") == "value\n"


def test_a_unicode_value_is_returned_unchanged() -> None:
    value = "ключ-🔑-\u00a0-\u200b-é"
    store = KeyStore(backend=OddValuesKeyring(value), timeout=FAST)
    assert store.get("anthropic") == value


def test_unicode_and_newline_values_round_trip(store: KeyStore) -> None:
    value = " ключ 🔑\nsecond line\n"
    store.set("anthropic", value)
    assert store.get("anthropic") == value


# --- faults map to actionable errors -------------------------------------------------


def test_no_keyring_error_becomes_no_secure_backend_saying_what_to_run() -> None:
    with pytest.raises(NoSecureBackend, match="gnome-keyring"):
        KeyStore(backend=no_keyring(), timeout=FAST).get("anthropic")


def test_a_locked_keyring_says_how_to_unlock_it() -> None:
    with pytest.raises(KeyringLockedError) as info:
        KeyStore(backend=locked_keyring(), timeout=FAST).get("anthropic")
    assert "The keyring is locked. Unlock it" in str(info.value)
    assert "gnome-keyring-daemon --unlock" in str(info.value)


def test_an_init_error_says_to_check_the_secret_service_daemon() -> None:
    with pytest.raises(KeyringInitError, match="Secret Service daemon"):
        KeyStore(backend=init_error_keyring(), timeout=FAST).set("anthropic", "v")


def test_a_refused_write_becomes_key_set_error_saying_to_check_the_keyring() -> None:
    with pytest.raises(KeySetError, match="unlocked and writable"):
        KeyStore(backend=set_error_keyring(), timeout=FAST).set("anthropic", "v")


def test_a_failed_delete_of_an_existing_key_becomes_key_delete_error() -> None:
    backend = delete_error_keyring()
    backend.store[(DEFAULT_SERVICE, "anthropic")] = "v"
    with pytest.raises(KeyDeleteError, match="try again"):
        KeyStore(backend=backend, timeout=FAST).delete("anthropic")
    assert backend.store[(DEFAULT_SERVICE, "anthropic")] == "v"


def test_a_failed_delete_of_a_missing_key_becomes_key_not_found() -> None:
    with pytest.raises(KeyNotFound):
        KeyStore(backend=delete_error_keyring(), timeout=FAST).delete("anthropic")


def test_an_unexpected_backend_exception_becomes_a_key_store_error() -> None:
    backend = _RaisingWith(OSError("D-Bus connection reset"))
    with pytest.raises(KeyStoreError, match="D-Bus connection reset"):
        KeyStore(backend=backend, timeout=FAST).get("anthropic")


@pytest.mark.parametrize(
    "error_type",
    [
        NoSecureBackend,
        KeyringLockedError,
        KeyringTimeout,
        KeyringInitError,
        KeySetError,
        KeyDeleteError,
        KeyNotFound,
    ],
)
def test_every_keystore_error_shares_one_base(error_type: type[Exception]) -> None:
    assert issubclass(error_type, KeyStoreError)


class _RaisingWith(MemoryKeyring):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error


class _EchoingSetError(MemoryKeyring):
    """A badly behaved backend whose error message repeats the password."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"could not store {password!s}")


def test_an_error_message_never_repeats_the_value_being_stored() -> None:
    key = fake_api_key()
    with pytest.raises(KeySetError) as info:
        KeyStore(backend=_EchoingSetError(), timeout=FAST).set("anthropic", key)
    assert key not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_no_value_reaches_the_logs(
    store: KeyStore, memory: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = fake_api_key()
    store.set("anthropic", key)
    store.get("anthropic")
    store.list_names()
    store.delete("anthropic")
    with pytest.raises(KeySetError):
        KeyStore(backend=_EchoingSetError(), timeout=FAST).set("anthropic", key)
    assert caplog.records, "the store is expected to log its operations (names only)"
    assert key not in caplog.text


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


# --- insecure backends are refused ---------------------------------------------------


def test_detect_backend_reports_the_fail_backend_as_not_secure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)
    info = detect_backend(timeout=FAST)
    assert info == BackendInfo("keyring.backends.fail.Keyring", False, info.reason)
    assert "no usable backend" in info.reason


def test_detect_backend_reports_a_real_store_as_secure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", MemoryKeyring)
    assert detect_backend(timeout=FAST).secure


@pytest.mark.parametrize(
    "backend",
    [
        keyring.backends.fail.Keyring(),
        keyring.backends.null.Keyring(),
        PlaintextKeyring(),
        chainer_of(PlaintextKeyring(), keyring.backends.null.Keyring()),
        chainer_of(),
    ],
    ids=["fail", "null", "plaintext", "chainer-of-insecure", "empty-chainer"],
)
def test_insecure_backends_are_classified_as_not_secure(backend: object) -> None:
    info, usable = classify_backend(backend)
    assert not info.secure and usable is None and info.reason


def test_a_chainer_with_a_secure_member_uses_only_that_member() -> None:
    secure = MemoryKeyring()
    info, usable = classify_backend(chainer_of(secure, PlaintextKeyring()))
    assert info.secure and usable is secure


def test_the_store_refuses_to_read_through_the_fail_backend() -> None:
    store = KeyStore(backend=keyring.backends.fail.Keyring(), timeout=FAST)
    with pytest.raises(NoSecureBackend, match=r"fail\.Keyring"):
        store.get("anthropic")


@pytest.mark.parametrize(
    "operation",
    [lambda s: s.get("anthropic"), lambda s: s.set("anthropic", "v"), lambda s: s.list_names()],
    ids=["get", "set", "list_names"],
)
def test_the_store_refuses_the_null_backend(operation: Any) -> None:
    store = KeyStore(backend=keyring.backends.null.Keyring(), timeout=FAST)
    with pytest.raises(NoSecureBackend, match="null"):
        operation(store)


def test_a_plaintext_backend_is_never_written_to() -> None:
    plaintext = PlaintextKeyring()
    store = KeyStore(backend=plaintext, timeout=FAST)
    with pytest.raises(NoSecureBackend, match="plaintext fallback"):
        store.set("anthropic", fake_api_key())
    assert plaintext.calls == [] and plaintext.store == {}


def test_a_plaintext_member_of_a_chain_is_never_read_or_written() -> None:
    secure, plaintext = MemoryKeyring(), PlaintextKeyring()
    plaintext.store[(DEFAULT_SERVICE, "anthropic")] = "stale plaintext copy"
    store = KeyStore(backend=chainer_of(secure, plaintext), timeout=FAST)
    assert store.get("anthropic") is None
    store.set("anthropic", "v")
    assert plaintext.calls == []
    assert secure.store[(DEFAULT_SERVICE, "anthropic")] == "v"


def test_backend_info_describes_an_insecure_backend_without_raising() -> None:
    info = KeyStore(backend=PlaintextKeyring(), timeout=FAST).backend_info()
    assert info.name == "keyrings.alt.file.PlaintextKeyring" and not info.secure


def test_an_insecure_backend_is_used_only_when_explicitly_allowed() -> None:
    store = KeyStore(backend=PlaintextKeyring(), timeout=FAST, allow_insecure=True)
    store.set("anthropic", "v")
    assert store.get("anthropic") == "v"


# --- session-only keys ---------------------------------------------------------------


def test_a_session_key_reads_back() -> None:
    session = SessionKeys()
    session.set("anthropic", "v")
    assert session.get("anthropic") == "v"
    assert session.list_names() == ["anthropic"]


def test_clearing_a_session_forgets_every_key() -> None:
    session = SessionKeys()
    session.set("anthropic", "v")
    session.clear()
    assert session.get("anthropic") is None and len(session) == 0


def test_sessions_are_cleared_by_the_exit_hook() -> None:
    session = SessionKeys()
    session.set("anthropic", "v")
    keystore._clear_all_sessions()
    assert len(session) == 0


def test_deleting_a_missing_session_key_raises_key_not_found() -> None:
    with pytest.raises(KeyNotFound):
        SessionKeys().delete("anthropic")


def test_a_session_repr_never_shows_values() -> None:
    key = fake_api_key()
    session = SessionKeys()
    session.set("anthropic", key)
    assert key not in repr(session)


# --- resolving references ------------------------------------------------------------


def test_a_keyring_reference_resolves_through_the_store(store: KeyStore) -> None:
    key = fake_api_key()
    store.set("anthropic", key)
    assert resolve("keyring:agent-roster/anthropic", store, env={}) == key


def test_a_keyring_reference_to_another_service_resolves(
    store: KeyStore, memory: MemoryKeyring
) -> None:
    memory.store[("payments-svc", "token")] = "t"
    assert resolve("keyring:payments-svc/token", store, env={}) == "t"


def test_a_missing_keyring_reference_says_how_to_store_it(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match=r"`roster keys set anthropic`"):
        resolve("keyring:agent-roster/anthropic", store, env={})


def test_a_missing_key_in_another_service_names_the_service_option(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match=r"roster keys set token --service other"):
        resolve("keyring:other/token", store, env={})


def test_an_env_reference_resolves_from_the_given_environment(store: KeyStore) -> None:
    assert resolve("env:MY_KEY", store, env={"MY_KEY": "v\n"}) == "v\n"


def test_an_unset_env_reference_names_the_variable(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match=r"MY_KEY .*is not set"):
        resolve("env:MY_KEY", store, env={})


def test_an_empty_env_reference_is_not_a_key(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match="set but empty"):
        resolve("env:MY_KEY", store, env={"MY_KEY": ""})


def test_a_session_key_is_used_before_the_keyring() -> None:
    session = SessionKeys()
    session.set("anthropic", "from-session")
    store = KeyStore(backend=keyring.backends.fail.Keyring(), timeout=FAST)
    assert resolve("keyring:agent-roster/anthropic", store, env={}, session=session) == (
        "from-session"
    )


def test_resolve_returns_unicode_and_newlines_as_stored() -> None:
    value = "ключ🔑\n"
    store = KeyStore(backend=OddValuesKeyring(value), timeout=FAST)
    assert resolve("keyring:agent-roster/anthropic", store, env={}) == value


def test_a_malformed_reference_raises_reference_syntax_error(store: KeyStore) -> None:
    with pytest.raises(ReferenceSyntaxError):
        resolve("keyring:anthropic", store, env={})


# --- child process environments ------------------------------------------------------

BASE_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/home/u",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "ANTHROPIC_API_KEY": "k",
    "GITHUB_TOKEN": "t",
    "AWS_SECRET_ACCESS_KEY": "s",
    "PAYMENTS_KEY": "p",
    "MY_SECRET_THING": "m",
    "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x",
    "PYTHONPATH": "/evil",
}


def test_the_scrubbed_env_keeps_only_the_safe_allowlist() -> None:
    assert scrubbed_env(BASE_ENV) == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    }


def test_an_explicitly_allowed_credential_is_passed_on() -> None:
    env = scrubbed_env(BASE_ENV, allowed=["PAYMENTS_KEY"])
    assert env["PAYMENTS_KEY"] == "p"
    assert "ANTHROPIC_API_KEY" not in env


def test_an_allowed_name_missing_from_the_base_is_not_invented() -> None:
    assert "NOT_THERE" not in scrubbed_env(BASE_ENV, allowed=["NOT_THERE"])


def test_scrubbing_leaves_the_base_unchanged() -> None:
    base = dict(BASE_ENV)
    scrubbed_env(base)
    assert base == BASE_ENV


@given(
    stem=st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True),
    suffix=st.sampled_from(["_TOKEN", "_KEY", "_SECRET", "SECRET_X", "_API_KEY"]),
)
def test_no_secret_shaped_variable_survives_unless_allowed(stem: str, suffix: str) -> None:
    name = stem + suffix
    assert name not in scrubbed_env({name: "v"})
    assert scrubbed_env({name: "v"}, allowed=[name]) == {name: "v"}
