"""Only secure backends are used: the fail, null and plaintext backends are refused."""

from __future__ import annotations

from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from runtime.secrets.keystore import (
    BackendInfo,
    KeyStore,
    NoSecureBackend,
    classify_backend,
    detect_backend,
)
from runtime.secrets.refs import DEFAULT_SERVICE
from tests.runtime.keyring_backends import (
    MemoryKeyring,
    PlaintextKeyring,
    chainer_of,
    fake_api_key,
)
from tests.runtime.keys.support import FAST

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
