"""Keyring faults map to actionable errors, and no value ever reaches an error or a log."""

from __future__ import annotations

import logging

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from runtime.secrets.keystore import (
    KeyDeleteError,
    KeyNotFound,
    KeyringInitError,
    KeyringLockedError,
    KeyringTimeout,
    KeySetError,
    KeyStore,
    KeyStoreError,
    NoSecureBackend,
)
from runtime.secrets.refs import DEFAULT_SERVICE
from tests.runtime.keyring_backends import (
    MemoryKeyring,
    delete_error_keyring,
    fake_api_key,
    init_error_keyring,
    locked_keyring,
    no_keyring,
    set_error_keyring,
)
from tests.runtime.keys.support import FAST

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
