"""Storing, reading, deleting and listing keys, and values returned exactly as stored."""

from __future__ import annotations

import json

import pytest
from keyring.testing.backend import BackendBasicTests

from runtime.secrets.keystore import (
    INDEX_NAME,
    KeyNotFound,
    KeyStore,
)
from runtime.secrets.refs import DEFAULT_SERVICE, ReferenceSyntaxError
from tests.runtime.keyring_backends import (
    MemoryKeyring,
    OddValuesKeyring,
    fake_api_key,
)
from tests.runtime.keys.support import FAST


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
